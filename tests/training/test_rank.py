import sys

import pytest

from dec.training.rank import is_rank_zero


@pytest.mark.parametrize(
    "environment, zero",
    [
        ({}, True),
        ({"RANK": "0"}, True),
        ({"RANK": "1"}, False),
        ({"LOCAL_RANK": "2"}, False),
        ({"RANK": "0", "LOCAL_RANK": "1"}, True),  # the first variable set wins, as in Lightning
        ({"SLURM_PROCID": "3"}, False),
        ({"RANK": "x"}, True),
    ],
)
def test_before_lightning_the_rank_comes_from_the_launchers_environment(
    monkeypatch, environment, zero
):
    from dec.training.rank import RANK_VARIABLES

    monkeypatch.delitem(sys.modules, "pytorch_lightning", raising=False)
    for name in RANK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert is_rank_zero() is zero


def test_with_lightning_loaded_its_rank_decides(monkeypatch):
    from pytorch_lightning.utilities import rank_zero_only

    monkeypatch.setenv("RANK", "0")
    monkeypatch.setattr(rank_zero_only, "rank", 1, raising=False)
    assert is_rank_zero() is False


def test_the_features_command_does_not_load_torch(tmp_path):
    """About 190 MB and a second less for a command that has no model to run."""
    import subprocess

    from conftest import write_small_log

    log = write_small_log(tmp_path)
    code = (
        "import sys; from dec.cli.common import run_cli; from dec.cli.commands import COMMANDS; "
        f"sys.argv = ['features', '--transactions', {str(log)!r}, '--id-column', 'cust', "
        "'--date-column', 'date', '--amount-column', 'value', '--output', "
        f"{str(tmp_path / 'f.parquet')!r}]; run_cli(COMMANDS['features']); "
        "sys.exit('torch' in sys.modules or 'pytorch_lightning' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
    assert (tmp_path / "f.parquet").is_file()
