"""Code written against the flat layout (before December 2026) keeps running: every old
module path imports, with a DeprecationWarning naming the new one, and every public name
each old module defined is still there. ``helpers/old_names.json`` lists those names, read
from the old modules (commit ec3a32c)."""

import importlib
import json
import subprocess
import sys
import warnings

import pytest
from conftest import ROOT

from dec import _moved

OLD_NAMES = json.loads((ROOT / "tests" / "helpers" / "old_names.json").read_text())


@pytest.mark.parametrize("old", sorted(OLD_NAMES))
def test_every_old_name_still_resolves(old):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = importlib.import_module(old)
        missing = [name for name in OLD_NAMES[old] if not hasattr(module, name)]
    assert not missing, f"{old} lost {missing}"


def test_an_old_path_warns_with_the_new_one_and_is_the_same_module():
    code = (
        "import warnings; warnings.simplefilter('error')\n"
        "try:\n    import dec.pipeline\nexcept DeprecationWarning as w:\n    print(w)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "dec.pipeline moved to dec.training.pipeline" in done.stdout, done.stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import dec.pipeline
        import dec.training.pipeline
    assert dec.pipeline is dec.training.pipeline  # a monkeypatch on either reaches both


def test_every_moved_path_points_at_a_module_that_exists():
    for new in _moved.MOVED.values():
        importlib.import_module(new)
    for modules in _moved.SPLIT.values():
        for new in modules:
            importlib.import_module(new)


def test_a_harness_says_where_it_went():
    with pytest.raises(ModuleNotFoundError, match="benchmarks/harness/benchmark.py"):
        importlib.import_module("dec.experiments.benchmark")
