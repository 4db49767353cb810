"""Random sequences of train / kill / resume / predict on one run folder (issue 12): the
folder never yields a model other than an uninterrupted run's, and nothing scores it while
it is unfinished. After every step an export or a migration aims its output at the run's
training table or one of its files, under some spelling (issue 21): it is refused and
nothing changes."""

import os
import random
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT, SMOKE, cli

from dec import DeepEmbeddedClustering, load_dataset
from dec.errors import DecError
from dec.runs.rundir import RunDir

SETTINGS = ["pretrain.epochs=8", "refine.epochs=8", "refine.update_interval=10"]
SEEDS = (0, 1)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """1,500 synthetic customers as a CSV table: the run's data is a file to keep."""
    from dec.data.synthetic import make_customers

    path = tmp_path_factory.mktemp("data") / "customers.csv"
    make_customers(1500, random_state=0)[0].reset_index().to_csv(path, index=False)
    return path


def _command(run, *extra):
    return [
        sys.executable,
        str(ROOT / "scripts" / "train.py"),
        "--config",
        str(SMOKE),
        "--output-dir",
        str(run),
        "--data",
        str(run.parent / "customers.csv"),
        "--id-column",
        "customer_id",
        *SETTINGS,
        *extra,
    ]


def _run(run, *extra) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        _command(run, *extra), capture_output=True, text=True, env=env, timeout=600
    )


#: Moments to kill a run at: just after it wrote each of these (a new version of it).
MOMENTS = (
    "config.yaml",
    "checkpoints/pretrain/last.ckpt",
    "pretrained.pt",
    "checkpoints/refine/last.ckpt",
)


def _kill_when_written(run, marker: str, *extra) -> None:
    """Start a run and SIGKILL it once it has written ``marker`` (or when it ends)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    started = time.time()
    process = subprocess.Popen(
        _command(run, *extra), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    path = run / marker
    while process.poll() is None and not (path.exists() and path.stat().st_mtime >= started):
        assert time.time() < started + 600
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()


def _labels(run) -> np.ndarray:
    features = load_dataset(str(run.parent / "customers.csv"), id_column="customer_id").features
    return DeepEmbeddedClustering.load(run).predict(features)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, table):
    """Labels of an uninterrupted run for each seed."""
    labels = {}
    for seed in SEEDS:
        run = tmp_path_factory.mktemp(f"whole{seed}") / "run"
        shutil.copy(table, run.parent / "customers.csv")
        assert _run(run, f"seed={seed}").returncode == 0
        labels[seed] = _labels(run)
    assert not np.array_equal(labels[0], labels[1])  # the check below can tell them apart
    return labels


def _check(run, reference) -> None:
    """A folder scores as the uninterrupted run of the seed it says, or is refused."""
    folder = RunDir(run)
    if not (run / "manifest.json").exists():
        if run.exists():
            with pytest.raises(DecError):
                folder.check()
        return
    seed = folder.config().seed
    np.testing.assert_array_equal(_labels(run), reference[seed])


@pytest.mark.slow
# Both sequences overwrite a run of the other seed (unfinished in 10, finished in 11), are
# killed just after the new config is written, then resume: a stale checkpoint would show.
@pytest.mark.parametrize("sequence_seed", [10, 11])
def test_random_train_kill_resume_predict_sequences(
    tmp_path, table, reference, sequence_seed, capsys
):
    rng = random.Random(sequence_seed)
    aim = random.Random(sequence_seed + 100)  # apart, so the sequences stay those of issue 12
    run = tmp_path / "run"
    shutil.copy(table, tmp_path / "customers.csv")
    steps = []
    for _ in range(6):
        step = rng.choice(["train", "kill", "kill", "resume", "resume"])
        seed = rng.choice(SEEDS)
        flags = ["--overwrite"] if run.exists() else []
        steps.append((step, seed, flags))
        if step == "train":
            result = _run(run, f"seed={seed}", *flags)
            assert result.returncode == 0, (steps, result.stderr[-2000:])
        elif step == "kill":
            _kill_when_written(run, rng.choice(MOMENTS), f"seed={seed}", *flags)
        elif (run / "config.yaml").exists():
            result = _run(run, "--resume")
            assert result.returncode == 0, (steps, result.stderr[-2000:])
        _check(run, reference)
        _score_over_inputs(run, aim, steps, capsys)
    result = _run(run, "--resume") if (run / "config.yaml").exists() else None
    if result is not None:
        assert result.returncode == 0, (steps, result.stderr[-2000:])
        _check(run, reference)


def _score_over_inputs(run, rng, steps, capsys) -> None:
    """An export or a migration whose output is the run's table or one of its files, spelt
    directly, through ``..``, a symbolic link or a hard link: refused, nothing changed."""
    data = run.parent / "customers.csv"
    target = rng.choice([data, run / "profiles.csv"])
    before = {path: path.read_bytes() for path in (data, target) if path.exists()}
    how = rng.choice(["same", "dotdot", "symlink", "hardlink"])
    if not target.exists():
        how = "same" if how in ("symlink", "hardlink") else how  # no file to link to yet
    output = {
        "same": target,
        "dotdot": target.parent / ".." / target.parent.name / target.name,
        "symlink": run.parent / f"link{len(steps)}.csv",
        "hardlink": run.parent / f"hard{len(steps)}.csv",
    }[how]
    if how in ("symlink", "hardlink"):
        (os.symlink if how == "symlink" else os.link)(target, output)
    command = rng.choice([["export"], ["migrate", "--data", data, "--data", data]])
    code, err = cli(command[0], "--run", run, *command[1:], "--output", output, capsys=capsys)
    assert code == 2 and err.count("error:") == 1, (steps, how, target, err)
    assert {path: path.read_bytes() for path in before} == before, (steps, how, target)
    assert not list(run.parent.glob("*.transitions.*")), steps
