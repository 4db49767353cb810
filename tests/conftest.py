import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "configs" / "smoke.yaml"


def run_script(name: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``scripts/<name>`` as a user would, capturing output."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=900,
    )


def cli(command: str, *args, capsys) -> tuple[int, str]:
    """``python -m dec COMMAND ARGS`` in this process: exit code and stderr."""
    from dec.cli.commands import COMMANDS
    from dec.cli.common import run_cli

    argv, log = sys.argv, logging.getLogger("dec")
    handlers = list(log.handlers)
    sys.argv = [command, *map(str, args)]
    capsys.readouterr()
    try:
        code = run_cli(COMMANDS[command])
    except SystemExit as exit_:  # argparse's usage errors
        code = exit_.code
    finally:
        sys.argv, log.handlers = argv, handlers
    return code, capsys.readouterr().err


class NoCapture:
    """What :func:`cli` reads output from in a module-scoped fixture, which has no capsys."""

    def readouterr(self):
        return type("Captured", (), {"out": "", "err": ""})()


def database_customers(n: int = 400, seed: int = 0):
    """A customer table for the database tests: ids with leading zeros, numbers, a category."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    centre = rng.integers(0, 4, n)
    return pd.DataFrame(
        {
            "customer_id": [f"{i:05d}" for i in range(n)],  # leading zeros must survive
            "spend": rng.gamma(2, 50, n) * (1 + centre),
            "visits": rng.poisson(3 + 2 * centre),
            "tenure": rng.uniform(10, 400, n),
            "channel": np.array(["web", "app", "store"])[rng.integers(0, 3, n)],
        }
    )


def one_error(err: str, text: str) -> bool:
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    return len(errors) == 1 and text in errors[0] and "Traceback" not in err


def log_features(n: int = 400, seed: int = 0):
    """Random customers' log features (the columns :mod:`dec.value.closed_forms` reads), for the value
    models: 1 to 7 orders, tenure 60 to 270 days."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frequency = rng.integers(1, 8, n).astype(float)
    tenure = rng.uniform(60, 270, n)
    features = pd.DataFrame(
        {
            "frequency": frequency,
            "tenure_days": tenure,
            "recency_days": np.where(frequency > 1, rng.uniform(0, 1, n) * tenure, tenure),
            "first_order_value": rng.gamma(4, 10, n),
        }
    )
    features["total_spend"] = features["first_order_value"] + rng.gamma(4, 10, n) * (frequency - 1)
    return features


def write_small_log(folder: Path) -> Path:
    """The first 3,000 rows of CDNOW as ``folder/log.csv``, columns renamed ``cust, date,
    number_of_cds, value`` (ids keep their zeros)."""
    import pandas as pd

    from dec.utils.resources import cdnow_path

    raw = pd.read_csv(cdnow_path(), sep=r"\s+", dtype={"customer_id": str, "date": str})
    raw.head(3000).rename(columns={"customer_id": "cust", "dollar_value": "value"}).to_csv(
        folder / "log.csv", index=False
    )
    return folder / "log.csv"


@pytest.fixture(scope="session")
def _cdnow_trained(tmp_path_factory):
    """One short CDNOW run (2 + 2 epochs), trained once per session: copy it with
    :func:`cdnow_copy` before writing into it."""
    from dec.config import load_config
    from dec.training.pipeline import fit

    config = load_config(
        "cdnow", ["pretrain.epochs=2", "refine.epochs=2", "trainer.enable_progress_bar=false"]
    )
    return fit(config, tmp_path_factory.mktemp("runs") / "cdnow").run_dir.path


@pytest.fixture(scope="module")
def cdnow_copy(_cdnow_trained, tmp_path_factory):
    """This module's own copy of the session's short CDNOW run (a path)."""
    import shutil

    copy = tmp_path_factory.mktemp("runs") / "cdnow"
    shutil.copytree(_cdnow_trained, copy)
    return copy


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """One shrunk training run shared by the tests that only read its outputs."""
    run_dir = tmp_path_factory.mktemp("runs") / "smoke"
    result = run_script("train.py", "--config", str(SMOKE), "--output-dir", str(run_dir))
    assert result.returncode == 0, result.stderr
    return run_dir
