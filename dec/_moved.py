"""Module paths from before the package was laid out by stage (0.1.0, December 2026).

``import dec.pipeline`` still works: it gives :mod:`dec.training.pipeline` itself, with a
``DeprecationWarning`` naming the new path, so code written against the flat layout keeps
running while it moves. New code imports the new paths; ``docs/layout.md`` lists them.

Two old modules were split (:data:`SPLIT`): their old paths give a module that finds each
name where it lives now. The user features of ``dec.experiments`` (the sweep and its rules)
import from their old paths too; its harnesses are not installed any more, and importing
one says where it went.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings

#: Old module path -> where it lives now.
MOVED = {
    "dec.baselines": "dec.evaluation.baselines",
    "dec.bootstrap": "dec.evaluation.bootstrap",
    "dec.commands": "dec.cli.commands",
    "dec.consensus": "dec.training.consensus",
    "dec.data.datasets": "dec.data.sources",
    "dec.data.dates": "dec.utils.dates",
    "dec.data.log_queries": "dec.data.logs.queries",
    "dec.data.log_read": "dec.data.logs.read",
    "dec.data.log_sql": "dec.data.logs.sql",
    "dec.data.transactions": "dec.data.logs.transactions",
    "dec.distributed": "dec.training.distributed",
    "dec.evaluate": "dec.evaluation.evaluate",
    "dec.export": "dec.scoring.export",
    "dec.features_command": "dec.cli.features",
    "dec.files": "dec.utils.files",
    "dec.markdown": "dec.utils.markdown",
    "dec.migrate": "dec.scoring.migrate",
    "dec.models.autoencoder_module": "dec.training.autoencoder_module",
    "dec.models.dec_module": "dec.training.dec_module",
    "dec.paths": "dec.utils.paths",
    "dec.pipeline": "dec.training.pipeline",
    "dec.plots": "dec.segments.plots",
    "dec.profiles": "dec.segments.profiles",
    "dec.rank": "dec.training.rank",
    "dec.report": "dec.segments.report",
    "dec.resources": "dec.utils.resources",
    "dec.result": "dec.runs.result",
    "dec.rfm": "dec.segments.rfm",
    "dec.run_guard": "dec.runs.guard",
    "dec.run_outputs": "dec.runs.outputs",
    "dec.run_summary": "dec.training.summary",
    "dec.rundir": "dec.runs.rundir",
    "dec.scoring_commands": "dec.cli.scoring",
    "dec.sizing": "dec.training.sizing",
    "dec.stability": "dec.evaluation.stability",
    "dec.stages": "dec.training.stages",
    "dec.sweep_command": "dec.cli.sweep",
    "dec.trainer": "dec.training.trainer",
    "dec.value_fit": "dec.value.fit",
    "dec.value_report": "dec.evaluation.value_report",
    "dec.verdict": "dec.evaluation.verdict",
    "dec.experiments.k_rules": "dec.evaluation.k_rules",
    "dec.experiments.recommend_k": "dec.evaluation.recommend_k",
    "dec.experiments.sweep": "dec.evaluation.sweep",
}
#: Old modules whose names now live in several: old path -> the modules, searched in order.
SPLIT = {
    "dec.plots": ("dec.segments.plots", "dec.utils.figures", "dec.evaluation.sweep_plot"),
    "dec.data.datasets": ("dec.data.sources", "dec.data.dataset", "dec.data.builtin"),
}
#: The old package of the harnesses, now benchmarks/harness in the repository.
EXPERIMENTS = "dec.experiments"


class _Split(types.ModuleType):
    """An old module whose names moved to several new ones (:data:`SPLIT`)."""

    def __getattr__(self, name):
        for module in SPLIT[self.__name__]:
            found = importlib.import_module(module)
            if hasattr(found, name):
                return getattr(found, name)
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old path and loads it as the module at its new path (the same object)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED or fullname in SPLIT:
            return importlib.machinery.ModuleSpec(fullname, self)
        if fullname == EXPERIMENTS:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        if fullname.startswith(EXPERIMENTS + "."):
            name = fullname.rsplit(".", 1)[1]
            raise ModuleNotFoundError(
                f"{fullname} was a benchmark harness: it is benchmarks/harness/{name}.py in "
                "the repository now, and not installed",
                name=fullname,
            )
        return None

    def create_module(self, spec):
        if spec.name == EXPERIMENTS:
            module = types.ModuleType(spec.name, "The old home of the sweep (now dec.evaluation).")
            module.__path__ = []
            return module
        new = ", ".join(SPLIT[spec.name]) if spec.name in SPLIT else MOVED[spec.name]
        warnings.warn(
            f"{spec.name} moved to {new}; import it from there", DeprecationWarning, stacklevel=2
        )
        if spec.name in SPLIT:
            return _Split(spec.name)
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module):
        pass  # the module at the new path is already executed


def install() -> None:
    """Let the old paths be imported (once per process)."""
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.append(_Alias())
