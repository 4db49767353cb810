"""A run folder has one writer, is complete or clearly not, and is never silently changed:
locks, --overwrite, the manifest, and resume/evaluation on the data the run was trained on."""

import os
import shutil

import pandas as pd
import pytest
from conftest import SMOKE, run_script

from dec.config import load_config, replace
from dec.data.prepare import prepare_run_data
from dec.errors import ConfigError, DataError, RunDirError
from dec.runs.rundir import RunDir
from dec.training.pipeline import fit
from dec.utils import files

FAST = ["pretrain.epochs=1", "refine.epochs=1"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "run"
    fit(replace(load_config(SMOKE), FAST), run)
    return run


def _copy(run, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(run, target)
    return target


def test_a_finished_run_is_listed_in_its_manifest(trained):
    manifest = files.read_json(trained / "manifest.json")["files"]
    assert {
        "config.yaml",
        "preprocessor.json",
        "model.json",
        "data.json",
        "pretrained.pt",
        "model.pt",
        "metrics.json",
    } == set(manifest)
    assert manifest["model.pt"] == files.sha256(trained / "model.pt")
    assert RunDir(trained).check() == RunDir(trained)


def test_training_into_a_run_folder_is_refused_without_overwrite(trained):
    before = {p.name: p.read_bytes() for p in trained.iterdir() if p.is_file()}
    with pytest.raises(RunDirError, match="already holds a run; replace it with --overwrite"):
        fit(replace(load_config(SMOKE), [*FAST, "seed=1"]), trained)
    assert {p.name: p.read_bytes() for p in trained.iterdir() if p.is_file()} == before


def test_overwrite_clears_the_old_run_but_not_the_users_files(trained, tmp_path):
    run = _copy(trained, tmp_path)
    (run / "test_report.json").write_text("{}")
    (run / "notes.txt").write_text("mine")
    fit(replace(load_config(SMOKE), [*FAST, "model.n_clusters=3"]), run, overwrite=True)
    assert RunDir(run).architecture()["n_clusters"] == 3
    assert not (run / "test_report.json").exists()  # the old run's report is not this one's
    assert (run / "notes.txt").read_text() == "mine"
    RunDir(run).check()


@pytest.mark.slow
def test_a_second_writer_is_refused_naming_the_holder(trained, tmp_path):
    run = _copy(trained, tmp_path)
    with files.exclusive_lock(run / ".lock", what=f"run directory {run}"):
        result = run_script(
            "train.py", "--config", str(SMOKE), "--output-dir", str(run), "--overwrite", *FAST
        )
    assert result.returncode == 2
    assert f"is being written by another process (pid {os.getpid()})" in result.stderr
    RunDir(run).check()  # untouched


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda run: (run / "manifest.json").unlink(), r"is unfinished \(no manifest.json"),
        (lambda run: (run / "manifest.json").write_text("[1, 2"), "manifest.json is corrupt"),
        (
            lambda run: shutil.copy(run / "pretrained.pt", run / "model.pt"),
            "inconsistent: model.pt changed after training finished",
        ),
        (
            lambda run: (run / "preprocessor.json").write_text("{}"),
            "inconsistent: preprocessor.json changed",
        ),
        (
            lambda run: ((run / "model.pt").unlink(), (run / "model.pt").symlink_to("/etc/passwd")),
            "model.pt is missing or not a plain file",
        ),
    ],
)
def test_an_unfinished_or_altered_run_is_refused_in_one_line(trained, tmp_path, damage, message):
    run = _copy(trained, tmp_path)
    damage(run)
    with pytest.raises(RunDirError, match=message):
        RunDir(run).load()


def test_resume_refuses_other_settings_and_other_data(trained, tmp_path):
    run = _copy(trained, tmp_path)
    config = RunDir(run).config()
    with pytest.raises(ConfigError, match=r"cannot resume .*\(model.n_clusters 5 -> 3\)"):
        fit(replace(config, ["model.n_clusters=3"]), run, resume=True)
    with pytest.raises(DataError, match="has changed: 700 rows x"):
        fit(replace(config, ["data.n_samples=700"]), run, resume=True)


@pytest.mark.slow
def test_evaluating_on_changed_data_is_refused(tmp_path):
    from dec.data.synthetic import make_customers

    table, _ = make_customers(300, random_state=0)
    path = tmp_path / "customers.csv"
    table.reset_index().to_csv(path, index=False)
    run = tmp_path / "run"
    fit(
        replace(load_config(SMOKE), [*FAST, f"data.source={path}", "data.id_column=customer_id"]),
        run,
    )
    prepare_run_data(RunDir(run))  # the same file: fine
    pd.read_csv(path).iloc[::-1].to_csv(path, index=False)  # reordered: other test rows
    with pytest.raises(DataError, match="same shape, but its contents or order differ"):
        prepare_run_data(RunDir(run))
    result = run_script("test.py", "--run", str(run))
    assert result.returncode == 2 and result.stderr.count("error:") == 1


def test_predict_never_writes_over_its_input_table(tmp_path):
    from dec.data.synthetic import make_customers

    table, _ = make_customers(200, random_state=3)
    path = tmp_path / "c.csv"
    table.reset_index().to_csv(path, index=False)
    before = path.read_bytes()
    result = run_script(
        "predict.py",
        "--run",
        str(tmp_path / "no-run-needed"),
        "--data",
        str(path),
        "--output",
        str(path),
    )
    assert result.returncode == 2 and "is the input file" in result.stderr
    assert path.read_bytes() == before


def test_a_feature_called_row_is_not_taken_for_the_id(tmp_path):
    from dec import DeepEmbeddedClustering
    from dec.scoring.export import customer_batches

    table = pd.DataFrame(
        {"row": [1, 2, 3, 1, 2, 3] * 10, "x": range(60), "y": [v % 7 for v in range(60)]}
    )
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    run = tmp_path / "run"
    fit(replace(load_config(SMOKE), [*FAST, f"data.source={path}", "model.n_clusters=2"]), run)
    model = DeepEmbeddedClustering.load(run)
    scored = pd.concat(customer_batches(model, path))
    assert len(scored) == 60 and list(scored.index) == list(range(60))


@pytest.mark.slow
def test_ctrl_c_says_interrupted_and_keeps_the_run_resumable(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT

    run = tmp_path / "run"
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "scripts" / "train.py"),
            "--config",
            str(SMOKE),
            "--output-dir",
            str(run),
            "pretrain.epochs=400",
        ],
        stderr=subprocess.PIPE,
        text=True,
        # As from a terminal: a suite started in the background (`pytest &`) ignores
        # SIGINT, and its children would inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 300
    while not (run / "checkpoints" / "pretrain" / "last.ckpt").exists():
        assert time.time() < deadline and process.poll() is None
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr[-2000:]
    assert "error: interrupted; a training run continues with --resume" in stderr
    assert not (run / "manifest.json").exists()  # unfinished, and says so when scored
    with pytest.raises(RunDirError, match="finish it with scripts/train.py --resume"):
        RunDir(run).load()


def _nan_weights(path):
    import torch

    state = files.load_weights(path)
    state = {
        k: torch.full_like(v, float("nan")) if v.is_floating_point() else v
        for k, v in state.items()
    }
    files.save_weights(path, state)


@pytest.mark.parametrize(
    "damage, message",
    [
        (
            lambda run: (run / "preprocessor.json").write_text("[1, 2]"),
            "preprocessor.json is corrupt or not this run's",
        ),
        (lambda run: (run / "model.json").write_text("{not json"), "model.json is corrupt"),
        (
            lambda run: (run / "model.pt").write_bytes((run / "model.pt").read_bytes()[:100]),
            "model.pt is corrupt or not this run's",
        ),
        (
            lambda run: files.save_weights(run / "model.pt", {"x": __import__("torch").ones(2)}),
            "model.pt is corrupt or not this run's",
        ),
        (lambda run: _nan_weights(run / "model.pt"), "model.pt holds NaN or infinite weights"),
    ],
)
def test_crafted_run_files_with_a_matching_manifest_are_still_refused(
    trained, tmp_path, damage, message
):
    run = _copy(trained, tmp_path)
    damage(run)
    listed = files.read_json(run / "manifest.json")["files"]
    files.write_json(
        run / "manifest.json", {"files": {name: files.sha256(run / name) for name in listed}}
    )
    with pytest.raises(RunDirError, match=message):
        RunDir(run).load()


@pytest.mark.slow
def test_a_write_failure_is_one_line_and_leaves_no_half_file(tmp_path):
    import resource
    import subprocess
    import sys

    from conftest import ROOT

    def small_files():  # every file this process writes may hold at most 4 KB
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    run = tmp_path / "run"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "train.py"),
            "--config",
            str(SMOKE),
            "--output-dir",
            str(run),
            *FAST,
        ],
        capture_output=True,
        text=True,
        preexec_fn=small_files,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "File too large" in errors[0], result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not list(run.rglob("*.tmp"))  # no temporary file left behind
    with pytest.raises(RunDirError):
        RunDir(run).check()


@pytest.mark.slow
def test_a_truncated_checkpoint_is_one_line_on_resume(trained, tmp_path):
    run = _copy(trained, tmp_path)
    checkpoint = run / "checkpoints" / "refine" / "last.ckpt"
    checkpoint.write_bytes(checkpoint.read_bytes()[:200])
    result = run_script("train.py", "--resume", str(run))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "last.ckpt is corrupt or not this run's" in result.stderr
