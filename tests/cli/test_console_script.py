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
