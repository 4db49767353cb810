"""The ``dec`` console script: installed by ``pip install -e .``, the same commands as
``python -m dec`` and ``scripts/*.py``."""

import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

from dec import __version__
from dec.cli.commands import COMMANDS


def _dec(*args, cwd):
    # the installed script where pip put one; else the module it points at
    exe = shutil.which("dec")
    command = [exe] if exe else [sys.executable, "-m", "dec"]
    return subprocess.run([*command, *args], capture_output=True, text=True, cwd=cwd)


def test_dec_help_lists_every_command_from_any_folder(tmp_path):
    done = _dec("--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name in COMMANDS:
        assert f"\n  {name} " in done.stdout


def test_dec_version_is_the_package_metadata(tmp_path):
    from importlib.metadata import version

    done = _dec("--version", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == f"dec {__version__}"
    assert __version__ == version("dec")


@pytest.mark.parametrize("args", [[], ["no-such-command"]])
def test_dec_without_a_known_command_prints_usage_and_fails(tmp_path, args):
    done = _dec(*args, cwd=tmp_path)
    assert done.returncode == 2 and "usage: dec COMMAND" in done.stderr


def test_console_script_points_at_main():
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"dec": "dec.__main__:main"}


def test_hints_name_the_command_as_the_user_ran_it(tmp_path):
    # From a folder without scripts/: `dec` says `dec train`, the script keeps its path.
    through_dec = _dec("test", cwd=tmp_path)
    assert through_dec.returncode == 2
    assert "train one with dec train" in through_dec.stderr, through_dec.stderr
    as_script = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "test.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert "train one with scripts/train.py" in as_script.stderr, as_script.stderr


@pytest.mark.parametrize(
    ("argv0", "expected"),
    [
        ("dec test", "fit it again with: dec test --run r --clv; or dec train"),
        (
            "scripts/test.py",
            "fit it again with: python scripts/test.py --run r --clv; or scripts/train.py",
        ),
    ],
)
def test_as_invoked_rewrites_every_script_mention(monkeypatch, argv0, expected):
    from dec.cli.common import as_invoked

    monkeypatch.setattr(sys, "argv", [argv0])
    text = "fit it again with: python scripts/test.py --run r --clv; or scripts/train.py"
    assert as_invoked(text) == expected
