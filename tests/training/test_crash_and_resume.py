"""A training run killed with SIGKILL resumes from its last checkpoint and ends as if never
interrupted; a crafted Lightning checkpoint cannot run code on resume."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from conftest import ROOT, SMOKE, run_script
from sklearn.metrics import adjusted_rand_score

from dec import DeepEmbeddedClustering, load_dataset

# Long enough (many epochs) that the kill lands mid-stage, small enough to stay quick.
LONGER = [
    "data.n_samples=3000",
    "pretrain.epochs=12",
    "refine.epochs=12",
    "refine.update_interval=20",
]


def _train(run_dir, *extra):
    result = run_script(
        "train.py", "--config", str(SMOKE), "--output-dir", str(run_dir), *LONGER, *extra
    )
    assert result.returncode == 0, result.stderr
    return run_dir


def _kill_when(run_dir, marker: str, timeout: float = 300.0) -> None:
    """Start a run and SIGKILL it as soon as ``marker`` (a file in the run dir) appears."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "scripts" / "train.py"),
            "--config",
            str(SMOKE),
            "--output-dir",
            str(run_dir),
            *LONGER,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while not (run_dir / marker).exists():
        assert process.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, f"{marker} never appeared"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL


def _labels(run_dir) -> np.ndarray:
    features = load_dataset("synthetic", n_samples=3000, random_state=0).features
    return DeepEmbeddedClustering.load(run_dir).predict(features)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    return _labels(_train(tmp_path_factory.mktemp("whole") / "run"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "stage, marker, unfinished",
    [
        ("pretraining", "checkpoints/pretrain/last.ckpt", "pretrained.pt"),
        ("refinement", "checkpoints/refine/last.ckpt", "model.pt"),
    ],
)
@pytest.mark.slow
def test_killed_run_resumes_and_matches_uninterrupted(
    tmp_path, uninterrupted, stage, marker, unfinished
):
    run_dir = tmp_path / "run"
    _kill_when(run_dir, marker)
    assert not (run_dir / unfinished).exists(), f"killed too late: {stage} had finished"
    # Every file in the run dir is whole: the atomic writes left no temporary files.
    assert not list(run_dir.rglob("*.tmp"))

    result = run_script("train.py", "--resume", str(run_dir))
    assert result.returncode == 0, result.stderr
    resumed = _labels(run_dir)
    assert adjusted_rand_score(uninterrupted, resumed) >= 0.99
    # Shuffling order and input noise travel in the checkpoints, so on the CPU the
    # resumed run is not just close but identical.
    np.testing.assert_array_equal(uninterrupted, resumed)


@pytest.mark.slow
def test_resume_refuses_a_checkpoint_that_would_run_code(tmp_path):
    run_dir = tmp_path / "run"
    result = run_script("train.py", "--config", str(SMOKE), "--output-dir", str(run_dir))
    assert result.returncode == 0, result.stderr
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    torch.save(
        {"epoch": 0, "state_dict": {}, "payload": Exploit()},
        run_dir / "checkpoints" / "refine" / "last.ckpt",
    )
    resumed = run_script("train.py", "--resume", str(run_dir), "refine.epochs=4")
    assert resumed.returncode == 2, resumed.stderr
    assert "refusing to load" in resumed.stderr and "Traceback" not in resumed.stderr
    assert not marker.exists()
