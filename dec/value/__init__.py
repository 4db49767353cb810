"""Customer value: closed forms of BG/NBD, Pareto/NBD, Gamma-Gamma and CLV
(:mod:`~dec.value.closed_forms`) and their fit by pymc-marketing (:mod:`~dec.value.fit`)."""


def __getattr__(name: str):
    # Before the layout by stage, dec.value was the closed forms' module: its names still
    # resolve, with a warning naming their module.
    import importlib
    import warnings

    closed_forms = importlib.import_module("dec.value.closed_forms")

    if name.startswith("_") or not hasattr(closed_forms, name):
        raise AttributeError(f"module 'dec.value' has no attribute {name!r}")
    warnings.warn(
        f"dec.value.{name} moved to dec.value.closed_forms.{name}", DeprecationWarning, stacklevel=2
    )
    return getattr(closed_forms, name)
