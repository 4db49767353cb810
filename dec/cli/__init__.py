"""The command line: one module per command group; :mod:`~dec.cli.commands` lists them
for the ``dec`` console script and ``python -m dec``."""


def __getattr__(name: str):
    # Before the layout by stage, dec.cli was the module dec.cli.common is now: its names
    # still resolve, with a warning naming their module.
    import importlib
    import warnings

    common = importlib.import_module("dec.cli.common")
    if name.startswith("_") or not hasattr(common, name):
        raise AttributeError(f"module 'dec.cli' has no attribute {name!r}")
    warnings.warn(
        f"dec.cli.{name} moved to dec.cli.common.{name}", DeprecationWarning, stacklevel=2
    )
    return getattr(common, name)
