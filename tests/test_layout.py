"""The folders are the architecture: imports go one way, down the data flow, and never in a
circle; the models need torch only; the wheel holds the library, not the harnesses.
``docs/layout.md`` explains the layers this test states."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

#: Lowest first. A module may import its own layer and the layers below it, never above.
LAYERS = [
    ("utilities", ("dec.errors", "dec.metrics", "dec.utils")),
    ("config", ("dec.config",)),
    ("data", ("dec.data",)),
    ("models", ("dec.models",)),
    ("value", ("dec.value",)),
    ("runs", ("dec.runs",)),
    ("training", ("dec.training",)),
    ("evaluation", ("dec.evaluation",)),
    ("segments", ("dec.segments",)),
    ("scoring", ("dec.scoring",)),
    ("estimator", ("dec.estimator",)),
    ("spark", ("dec.spark",)),
    ("cli", ("dec.cli",)),
    ("package", ("dec", "dec._moved", "dec.__main__")),
]
PACKAGE = ROOT / "dec"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> int:
    """The index in :data:`LAYERS` of the longest prefix that names ``module``."""
    best, found = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), i
    assert found is not None, f"{module} is in no layer: add its folder to LAYERS"
    return found


def imported(tree: ast.AST) -> set[str]:
    """Every module a parsed file imports, at the top or inside a function, by statement or
    by ``importlib.import_module("...")`` / ``__import__("...")`` with a literal name."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import: ruff's TID252 bans them"
            # ``from dec.utils import files`` imports the module dec.utils.files
            found.update(
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module
                for a in node.names
            )
        elif (
            isinstance(node, ast.Call)
            and (
                getattr(node.func, "attr", None) == "import_module"
                or getattr(node.func, "id", None) == "__import__"
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def imports(module: str) -> set[str]:
    """Every ``dec`` module ``module`` imports (:func:`imported`)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    return {n for n in imported(tree) if n == "dec" or n.startswith("dec.")} - {module}


def test_every_module_sits_in_a_layer():
    for module in MODULES:
        layer(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_layers(module):
    against = [
        (other, LAYERS[layer(other)][0])
        for other in sorted(imports(module))
        if layer(other) > layer(module)
    ]
    assert not against, f"{module} ({LAYERS[layer(module)][0]}) imports upwards: {against}"


def test_no_import_cycles():
    graph = {m: {i for i in imports(m) if i in MODULES and i != "dec"} for m in MODULES}
    done, path = set(), []

    def visit(module):
        if module in path:
            cycle = path[path.index(module) :] + [module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        path.append(module)
        for other in sorted(graph[module]):
            visit(other)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)


def test_the_layer_test_catches_an_upward_import_and_a_cycle(tmp_path, monkeypatch):
    # The checks above pass on the package; this shows they can fail.
    fake = {
        "dec.data.a": tmp_path / "a.py",
        "dec.data.b": tmp_path / "b.py",
        "dec.config.c": tmp_path / "c.py",
    }
    fake["dec.data.a"].write_text("from dec.data import b\n")
    fake["dec.data.b"].write_text("def f():\n    import dec.data.a\n")
    fake["dec.config.c"].write_text("from dec.training.pipeline import fit\n")
    fake["dec.config.d"] = tmp_path / "d.py"
    fake["dec.config.d"].write_text(
        "import importlib\nimportlib.import_module('dec.runs.rundir')\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "MODULES", fake)
    for module in ("dec.config.c", "dec.config.d"):
        with pytest.raises(AssertionError, match="imports upwards"):
            test_imports_go_down_the_layers(module)
    with pytest.raises(pytest.fail.Exception, match="dec.data.a -> dec.data.b -> dec.data.a"):
        test_no_import_cycles()


def test_imported_sees_every_spelling_of_an_import():
    code = (
        "import benchmarks.harness.suite\n"
        "def f():\n    __import__('dec.training.stages')\n"
        "from dec.utils import files\n"
    )
    assert imported(ast.parse(code)) == {
        "benchmarks.harness.suite",
        "dec.training.stages",
        "dec.utils.files",
    }
    with pytest.raises(AssertionError, match="relative import"):
        imported(ast.parse("from . import files\n"))


def test_models_import_without_lightning():
    modules = [m for m in MODULES if m.startswith("dec.models.")]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pytorch_lightning', 'lightning', 'lightning_fabric'))\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_installed_packages_are_the_library_only():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = set(project["tool"]["setuptools"]["packages"])
    folders = {module_name(p.parent) for p in PACKAGE.rglob("__init__.py")}
    assert packages - {"dec._configs", "dec._data"} == folders  # every folder, nothing else
    assert not any(p.startswith("benchmarks") for p in packages)
    harness = ROOT / "benchmarks" / "harness"
    assert sorted(harness.glob("*.py")), "the harnesses live beside their results"
    for module, path in MODULES.items():
        names = imported(ast.parse(path.read_text(encoding="utf-8")))
        assert not {n for n in names if n.split(".")[0] == "benchmarks"}, module


@pytest.mark.slow
def test_the_wheel_has_no_harness(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    import zipfile

    (wheel,) = tmp_path.glob("dec-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "dec/training/pipeline.py" in names and "dec/models/clustering.py" in names
    assert not [
        n for n in names if "harness" in n or "experiments" in n or n.startswith("benchmarks/")
    ]
