"""Building a :class:`~dec.config.schema.Config`: defaults, a YAML file, dotted overrides.

OmegaConf (structured configs) merges the dataclass defaults, a YAML file, dotted
``key.sub=value`` overrides and typed values, in that order, and checks each value's type
against the dataclass. Its errors become one-line :class:`~dec.errors.ConfigError`
messages naming the key.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf import errors as oc_errors

from dec.config.schema import Config
from dec.config.validation import validate
from dec.errors import ConfigError
from dec.utils.urls import is_database_url, masked


def _schema() -> DictConfig:
    return OmegaConf.structured(Config)


def _merge(base: DictConfig, update: Any, origin: str) -> DictConfig:
    try:
        return OmegaConf.merge(base, update)
    except oc_errors.OmegaConfBaseException as err:
        raise _config_error(err, base, origin) from None


def _config_error(err, base: DictConfig, origin: str) -> ConfigError:
    key = getattr(err, "full_key", None) or ""
    if isinstance(err, oc_errors.ConfigKeyError):
        parent = key.rpartition(".")[0]
        node = OmegaConf.select(base, parent) if parent else base
        valid = ", ".join(f"{parent + '.' if parent else ''}{k}" for k in node)
        return ConfigError(f"unknown config key '{key}'; valid keys here: {valid}")
    if not key or isinstance(OmegaConf.select(base, key), DictConfig):
        section = key or str(err).split("subclass of ")[-1].split(".")[0]
        return ConfigError(f"config key '{_section_key(section)}' is a section; give it a mapping")
    expected = {
        "Integer": "an integer",
        "Float": "a number",
        "Boolean": "true or false",
        "String": "a string",
    }
    kind = next((v for k, v in expected.items() if f"to {k}" in str(err)), None)
    value = getattr(err, "value", None)
    if kind is None:  # e.g. a scalar where a list belongs
        kind = "a list" if "ListConfig" in str(err) else "of another type"
    return ConfigError(f"config key '{key}' must be {kind}, got {value!r} ({origin})")


def _section_key(section: str) -> str:
    names = {
        c.__name__: f.name
        for f in dataclasses.fields(Config)
        for c in [typing.get_type_hints(Config)[f.name]]
        if dataclasses.is_dataclass(c)
    }
    return names.get(section, section)


def _check_booleans(overrides: DictConfig, origin: str) -> None:
    # OmegaConf reads any integer as a boolean (3 -> true); a typo should not pass.
    def walk(node, prefix):
        for name, value in node.items():
            key = f"{prefix}{name}"
            if isinstance(value, DictConfig):
                walk(value, f"{key}.")
            elif _annotation(key) is bool and not isinstance(value, bool):
                raise ConfigError(
                    f"config key '{key}' must be true or false, got {value!r} ({origin})"
                )

    walk(overrides, "")


def _annotation(key: str) -> Any:
    cls: Any = Config
    for part in key.split("."):
        hints = typing.get_type_hints(cls) if dataclasses.is_dataclass(cls) else {}
        if part not in hints:
            return None
        cls = hints[part]
    return cls


def _parse_dotlist(overrides: list[str]) -> DictConfig:
    for text in overrides:
        if "=" not in text:
            raise ConfigError(
                f"override '{text}' must look like key.sub=value, e.g. refine.gamma=0.5"
            )
    try:
        return OmegaConf.from_dotlist(list(overrides))
    except oc_errors.OmegaConfBaseException as err:
        raise ConfigError(
            f"cannot read override(s) {overrides}: {str(err).splitlines()[0]}"
        ) from None


def _to_config(merged: DictConfig) -> Config:
    config = OmegaConf.to_object(merged)
    if is_database_url(config.data.source):
        # From here on no config holds the password: not config.yaml, logs or TensorBoard.
        config.data.source = masked(config.data.source)
    return validate(config)


@contextmanager
def _resolving() -> Iterator[None]:
    """OmegaConf resolves ``${...}`` interpolations as values are read: a missing key, a
    loop or an unknown resolver becomes one ConfigError line."""
    try:
        yield
    except oc_errors.OmegaConfBaseException as err:
        key = getattr(err, "full_key", None) or "a config value"
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(
            f"cannot resolve {key}: {detail[:200]}; give the value itself "
            "instead of a ${...} interpolation"
        ) from None


# ------------------------------------------------------------------ public API
def load_config(
    path: str | Path | None = None, overrides: list[str] | None = None, values: dict | None = None
) -> Config:
    """Build a :class:`Config` from defaults, a YAML file, dotted overrides and values.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file whose nested keys mirror :class:`Config`, or the name of a shipped
        config (``default``, ``cdnow``, ``digits``, ``large``, ``smoke``).
    overrides : list of str, optional
        ``key.sub=value`` strings applied after the file.
    values : dict, optional
        Nested ``{"section": {"key": value}}`` of typed values (from flags or estimator
        parameters), applied last.

    Returns
    -------
    Config
        The validated configuration.
    """
    first = _read_yaml(path) if path is not None else {}
    return _build(first, f"in {path}", overrides, values)


def _build(first: dict, origin: str, overrides: list[str] | None, values: dict | None) -> Config:
    """Defaults, then ``first`` (a file's or a config's values), overrides, values."""
    with _resolving():
        merged = _merge(_schema(), first, origin)
        dotlist = _parse_dotlist(overrides or [])
        _check_booleans(dotlist, "in the overrides")
        merged = _merge(merged, dotlist, "in the overrides")
        if values:
            merged = _merge(merged, values, "as given")
        return _to_config(merged)


def _read_yaml(path: str | Path) -> dict:
    from dec.utils.resources import config_path

    path = config_path(path)
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"config file {path} is larger than {MAX_CONFIG_BYTES // 1000} kB; "
            "a config holds a few dozen settings"
        )
    try:
        loaded = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(
            f"config file {path} is not valid YAML: {str(err).splitlines()[0]}"
        ) from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"config file {path} must hold a mapping of keys to values")
    if _count_values(loaded, MAX_CONFIG_VALUES) > MAX_CONFIG_VALUES:
        raise ConfigError(
            f"config file {path} expands to more than {MAX_CONFIG_VALUES:,} "
            "values (YAML aliases repeated inside each other?); write the "
            "settings out plainly"
        )
    with _resolving():
        _check_booleans(OmegaConf.create(loaded), f"in {path}")
    return loaded


#: Bounds on a config file, checked before it is expanded: YAML aliases nested in each
#: other ("billion laughs") make a few lines into billions of values.
MAX_CONFIG_BYTES = 1_000_000
MAX_CONFIG_VALUES = 100_000


def _count_values(node: Any, limit: int) -> int:
    """Values in ``node`` with every alias expanded, counting no further than ``limit + 1``
    (the aliases share one object, so counting stops long before memory runs out)."""
    count, stack = 0, [node]
    while stack and count <= limit:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def replace(
    config: Config, overrides: list[str] | None = None, values: dict | None = None
) -> Config:
    """A validated copy of ``config`` with dotted ``overrides`` and nested ``values``."""
    return _build(config.to_dict(), "as given", overrides, values)


def config_from_dict(values: dict[str, Any]) -> Config:
    """Rebuild a :class:`Config` from :meth:`Config.to_dict` output."""
    return load_config(values=values)


def config_yaml(config: Config) -> str:
    """The resolved config as YAML text, in field order."""
    return yaml.safe_dump(config.to_dict(), sort_keys=False)
