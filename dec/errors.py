"""Exceptions the package raises for problems a user can fix.

Scripts turn any :class:`DecError` into one line on stderr and a non-zero exit code;
the Python API lets them propagate so callers can catch the specific type.

A message names a setting as ``{section.key}`` (a dotted config key in braces), never by a
command-line flag: :meth:`DecError.render` shows the flag that :mod:`dec.config` declares for
that key (``--n-clusters``), or the dotted key where the setting has no flag.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_SETTING = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)*)\}")
#: Dotted config key -> the flag that sets it; filled by :mod:`dec.config` when it loads.
SETTING_FLAGS: dict[str, str] = {}


def render_settings(text: str, name: Callable[[str], str] | None = None) -> str:
    """``text`` with each ``{section.key}`` replaced by ``name(key)``: by default the flag
    declared for the key in :mod:`dec.config`, else the key (for warnings as for errors)."""
    if name is None:
        name = lambda key: SETTING_FLAGS.get(key, key)  # noqa: E731
    return _SETTING.sub(lambda m: name(m.group(1)), text)


def plain(value):
    """``value`` as a message shows it: a NumPy scalar as the Python value it holds, so a
    message reads ``4`` or ``nan``, not ``np.int64(4)`` or ``np.float64(nan)``."""
    import numpy as np

    return value.item() if isinstance(value, np.generic) else value


class DecError(Exception):
    """Base class: a problem with the user's input, config or environment."""

    def render(self, name: Callable[[str], str] | None = None) -> str:
        """The message with each ``{section.key}`` replaced by ``name(key)``.

        By default the flag declared for the key in :mod:`dec.config`, else the key.
        """
        return render_settings(str(self.args[0]) if self.args else "", name)

    def __str__(self) -> str:
        return self.render()


class ConfigError(DecError, ValueError):
    """An unknown config key, a value of the wrong type or an impossible setting."""


class DataError(DecError, ValueError):
    """A data file that is missing, unreadable, empty or unusable."""


class SchemaError(DataError):
    """Data whose columns do not match what a fitted preprocessor expects."""


class RunDirError(DecError, FileNotFoundError):
    """A run directory that does not exist or is incomplete."""


class UnsafeModelError(DecError):
    """A model file that would run code when loaded; it is refused, not loaded."""


class OutputPathError(DecError, OSError):
    """An output file or run directory that cannot be created or written."""
