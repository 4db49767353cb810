"""Files the package ships: the configs in ``configs/`` and the data in ``data/``.

``pyproject.toml`` installs those two top-level folders as the packages ``dec._configs`` and
``dec._data``, so they are found with :mod:`importlib.resources` from any working directory,
in an editable install and a plain ``pip install .`` alike.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from dec.errors import ConfigError


def _shipped(package: str, name: str) -> Path:
    return Path(str(resources.files(package).joinpath(name)))


def shipped_config(name: str) -> Path:
    """The shipped config ``configs/<name>.yaml``."""
    return _shipped("dec._configs", f"{name}.yaml")


def shipped_config_names() -> list[str]:
    return sorted(
        p.name.removesuffix(".yaml")
        for p in resources.files("dec._configs").iterdir()
        if p.name.endswith(".yaml")
    )


def config_path(path: str | Path) -> Path:
    """A config file's path: ``path`` itself if it exists, else the shipped config of that name.

    ``--config cdnow`` and ``--config configs/cdnow.yaml`` both work from any folder.
    """
    given = Path(path)
    if given.is_file():
        return given
    name = given.name.removesuffix(".yaml")
    if name in shipped_config_names() and given.parent.name in ("", "configs"):
        return shipped_config(name)
    raise ConfigError(
        f"config file {path} not found; shipped configs are {', '.join(shipped_config_names())}"
    )


def shipped_data(name: str) -> Path:
    """A file in ``data/`` (provenance in ``data/README.md``)."""
    return _shipped("dec._data", name)


def cdnow_path() -> Path:
    """The CDNOW transaction log in ``data/cdnow/``."""
    return shipped_data("cdnow/CDNOW_master.txt.gz")
