"""Typed configuration: dataclasses, YAML files and dotted command-line overrides.

A config is built from the dataclass defaults, then a YAML file, then ``key.sub=value``
overrides, in that order. Unknown keys and values of the wrong type raise
:class:`~dec.errors.ConfigError` naming the key, so a typo never passes silently.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dec.errors import ConfigError


@dataclass
class DataConfig:
    """Where the customers come from and how they are split."""

    source: str = "synthetic"
    n_samples: int = 20000
    random_state: int = 0
    format: str = "table"  # "table": one row per customer; "transactions": a purchase log
    id_column: str | None = None
    label_column: str | None = None
    date_column: str | None = None
    amount_column: str | None = None
    quantity_column: str | None = None
    as_of: str | None = None  # transactions: features up to this date, outcomes after it
    drop_columns: list[str] = field(default_factory=list)
    categorical_columns: list[str] = field(default_factory=list)
    scaling: str = "standard"  # numeric columns: "standard" (log1p if skewed, z-score) | "none"
    val_fraction: float = 0.1
    test_fraction: float = 0.2


@dataclass
class ModelConfig:
    """Autoencoder architecture and the clustering head."""

    n_clusters: int = 5
    hidden_dims: list[int] = field(default_factory=lambda: [256, 128])
    embedding_dim: int = 10
    alpha: float = 1.0


@dataclass
class PretrainConfig:
    """Autoencoder pretraining (reconstruction loss only)."""

    epochs: int = 40
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 0.0
    input_noise: float = 1.5


@dataclass
class RefineConfig:
    """DEC/IDEC refinement of the encoder and the cluster centres."""

    epochs: int = 30
    batch_size: int = 256
    lr: float = 1e-3
    gamma: float = 10.0
    update_interval: int = 100
    tol: float = 0.001
    n_init: int = 20


@dataclass
class TrainerConfig:
    """Passed to ``pytorch_lightning.Trainer``."""

    accelerator: str = "cpu"
    devices: int = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str = "32-true"
    deterministic: bool = True
    enable_progress_bar: bool = True
    log_every_n_steps: int = 20


@dataclass
class Config:
    """The whole resolved configuration of one run."""

    seed: int = 0
    output_dir: str | None = None
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)
    refine: RefineConfig = field(default_factory=RefineConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def validate(self) -> "Config":
        """Check values that are well typed but impossible; return self."""
        checks = [
            (self.model.n_clusters >= 2, "model.n_clusters must be at least 2"),
            (self.data.n_samples >= 1, "data.n_samples must be positive"),
            (self.data.format in ("table", "transactions"),
             "data.format must be 'table' or 'transactions'"),
            (self.data.scaling in ("standard", "none"),
             "data.scaling must be 'standard' or 'none'"),
            (self.model.embedding_dim >= 1, "model.embedding_dim must be at least 1"),
            (all(d >= 1 for d in self.model.hidden_dims), "model.hidden_dims must be positive"),
            (self.model.alpha > 0, "model.alpha must be positive"),
            (0 <= self.data.test_fraction < 1, "data.test_fraction must be in [0, 1)"),
            (0 < self.data.val_fraction < 1, "data.val_fraction must be between 0 and 1"),
            (self.data.val_fraction + self.data.test_fraction < 1,
             "data.val_fraction + data.test_fraction must leave some training data"),
            (self.pretrain.epochs >= 0, "pretrain.epochs must be non-negative"),
            (self.refine.epochs >= 0, "refine.epochs must be non-negative"),
            (self.refine.gamma >= 0, "refine.gamma must be non-negative (0 = plain DEC)"),
            (self.refine.update_interval >= 1, "refine.update_interval must be at least 1"),
            (self.refine.n_init >= 1, "refine.n_init must be at least 1"),
            (self.pretrain.batch_size >= 1 and self.refine.batch_size >= 1,
             "batch sizes must be at least 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)
        return self


def _coerce(value: Any, annotation: Any, key: str) -> Any:
    """Return ``value`` as the type ``annotation`` asks for, or raise ConfigError."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], key)
    if origin is list:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            value = [v for v in str(value).split(",") if v] if isinstance(value, str) else [value]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"config key '{key}' must be a list, got {value!r}")
        return [_coerce(v, args[0], key) for v in value]
    if annotation is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"config key '{key}' must be true or false, got {value!r}")
    if annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ConfigError(f"config key '{key}' must be an integer, got {value!r}")
    if annotation is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"config key '{key}' must be a number, got {value!r}")
    if annotation is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"config key '{key}' must be a string, got {value!r}")
    return value


def _merge(target: Any, updates: dict[str, Any], prefix: str = "") -> None:
    hints = typing.get_type_hints(type(target))
    for name, value in updates.items():
        key = f"{prefix}{name}"
        if name not in hints:
            valid = ", ".join(f"{prefix}{n}" for n in hints)
            raise ConfigError(f"unknown config key '{key}'; valid keys here: {valid}")
        current = getattr(target, name)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"config key '{key}' is a section; give it a mapping")
            _merge(current, value, prefix=f"{key}.")
        else:
            setattr(target, name, _coerce(value, hints[name], key))


def parse_override(text: str) -> dict[str, Any]:
    """Turn ``"a.b=1"`` into ``{"a": {"b": 1}}`` with the value parsed as YAML."""
    if "=" not in text:
        raise ConfigError(f"override '{text}' must look like key.sub=value, e.g. refine.gamma=0.5")
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    nested: dict[str, Any] = {}
    node = nested
    parts = key.strip().split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return nested


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> Config:
    """Build a :class:`Config` from defaults, an optional YAML file and dotted overrides.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file whose nested keys mirror :class:`Config`.
    overrides : list of str, optional
        ``key.sub=value`` strings applied after the file.

    Returns
    -------
    Config
        The validated configuration.
    """
    config = Config()
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} not found; see configs/ for examples")
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as err:
            raise ConfigError(f"config file {path} is not valid YAML: {str(err).splitlines()[0]}")
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {path} must hold a mapping of keys to values")
        _merge(config, loaded)
    return apply_overrides(config, overrides or [])


def merge_values(config: Config, values: dict[str, Any]) -> Config:
    """Set nested ``{"section": {"key": value}}`` values with type checks; validate."""
    _merge(config, values)
    return config.validate()


def apply_overrides(config: Config, overrides: list[str]) -> Config:
    """Apply ``key.sub=value`` strings to ``config`` in place; validate and return it."""
    for text in overrides:
        _merge(config, parse_override(text))
    return config.validate()


def config_from_dict(values: dict[str, Any]) -> Config:
    """Rebuild a :class:`Config` from :meth:`Config.to_dict` output."""
    config = Config()
    _merge(config, values)
    return config.validate()


def save_config_yaml(config: Config) -> str:
    """The resolved config as YAML text, in field order."""
    return yaml.safe_dump(config.to_dict(), sort_keys=False)
