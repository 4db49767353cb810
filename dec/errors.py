"""Exceptions the package raises for problems a user can fix.

Scripts turn any :class:`DecError` into one line on stderr and a non-zero exit code;
the Python API lets them propagate so callers can catch the specific type.
"""


class DecError(Exception):
    """Base class: a problem with the user's input, config or environment."""


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
