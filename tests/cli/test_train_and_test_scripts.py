"""Shrunk end-to-end runs of scripts/train.py and scripts/test.py, as a user runs them."""

import json

import pytest
import torch
import yaml
from conftest import SMOKE, run_script

METHOD_KEYS = {
    "acc",
    "nmi",
    "ari",
    "silhouette",
    "davies_bouldin",
    "calinski_harabasz",
    "fit_seconds",
}


def test_run_dir_holds_everything(smoke_run):
    for name in (
        "config.yaml",
        "preprocessor.json",
        "model.json",
        "model.pt",
        "pretrained.pt",
        "metrics.json",
        "checkpoints/pretrain/last.ckpt",
        "checkpoints/refine/last.ckpt",
    ):
        assert (smoke_run / name).exists(), name
    # Lightning's best.ckpt was written and never read: only what --resume reads is kept.
    assert sorted(p.name for p in (smoke_run / "checkpoints").rglob("*.ckpt")) == ["last.ckpt"] * 2
    config = yaml.safe_load((smoke_run / "config.yaml").read_text())
    assert config["data"]["n_samples"] == 600 and config["refine"]["gamma"] is not None
    # weights load without unpickling arbitrary objects
    state = torch.load(smoke_run / "model.pt", weights_only=True)
    assert state["centers"].shape == (5, 4)


def test_test_script_writes_report_with_contract_schema(smoke_run):
    result = run_script("test.py", "--run", str(smoke_run))
    assert result.returncode == 0, result.stderr
    report = json.loads((smoke_run / "test_report.json").read_text())
    assert report["dataset"] == "synthetic" and report["split"] == "test"
    assert report["n_samples"] == 120 and report["n_clusters"] == 5
    assert set(report["methods"]) == {"dec", "kmeans", "gmm", "ae_kmeans"}
    assert report["choices"]["gmm"]["covariance_type"] in ("full", "tied", "diag", "spherical")
    for scores in report["methods"].values():
        assert set(scores) == METHOD_KEYS
        assert 0 <= scores["acc"] <= 1 and -1 <= scores["ari"] <= 1
    assert "outcomes" not in report  # synthetic data has no outcomes
    markdown = (smoke_run / "test_report.md").read_text()
    assert "| DEC/IDEC |" in markdown and "KMeans" in result.stdout
    assert ("beats" in markdown) or ("tie" in markdown)


def test_tensorboard_holds_the_scalars(smoke_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    def tags(stage):
        acc = EventAccumulator(str(smoke_run / "tensorboard" / stage))
        acc.Reload()
        return set(acc.Tags()["scalars"])

    assert {"train/recon_loss", "val/recon_loss"} <= tags("pretrain")
    refine = tags("refine")
    expected = {
        "train/kl_loss",
        "train/recon_loss",
        "train/loss",
        "val/kl_loss",
        "val/recon_loss",
        "train/label_change",
        "train/cluster_size_0",
        "val/acc",
        "val/nmi",
        "val/ari",
    }
    assert expected <= refine, expected - refine
    assert (smoke_run / "tensorboard" / "refine" / "projector_config.pbtxt").exists()
    acc = EventAccumulator(str(smoke_run / "tensorboard" / "refine"))
    acc.Reload()
    assert "_hparams_/experiment" in acc.PluginTagToContent("hparams")
    assert {"hp/val_ari", "hp/label_change"} <= set(acc.Tags()["scalars"])


@pytest.mark.slow
def test_resume_continues_from_last_checkpoint(tmp_path):
    run_dir = tmp_path / "run"
    first = run_script("train.py", "--config", str(SMOKE), "--output-dir", str(run_dir))
    assert first.returncode == 0, first.stderr
    pretrained = (run_dir / "pretrained.pt").stat().st_mtime_ns
    again = run_script("train.py", "--resume", str(run_dir), "refine.epochs=4")
    assert again.returncode == 0, again.stderr
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["refine_epochs_run"] == 4  # continued past the first run's 2 epochs
    assert (run_dir / "pretrained.pt").stat().st_mtime_ns == pretrained  # not pretrained again


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA message")
def test_gpus_without_cuda_is_one_line_error(tmp_path):
    result = run_script(
        "train.py", "--config", str(SMOKE), "--gpus", "1", "--output-dir", str(tmp_path / "run")
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "CUDA is not available" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "missing.csv"], "data file missing.csv not found"),
        (["model.n_clusterz=3"], "unknown config key 'model.n_clusterz'"),
        (["--n-clusters", "1"], "n_clusters must be at least 2"),
    ],
)
@pytest.mark.slow
def test_bad_input_is_one_line_without_output(tmp_path, args, message):
    result = run_script(
        "train.py", "--config", str(SMOKE), "--output-dir", str(tmp_path / "run"), *args
    )
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists()


def test_test_script_without_runs_is_one_line(tmp_path):
    result = run_script("test.py", "--run", str(tmp_path / "nope"))
    assert result.returncode == 2 and "not found" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_smoke_run_on_gpu(tmp_path):
    result = run_script(
        "train.py", "--config", str(SMOKE), "--gpus", "1", "--output-dir", str(tmp_path / "run")
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "model.pt").exists()


@pytest.mark.slow
def test_own_csv_table_with_label_column(tmp_path):
    from dec.data.synthetic import make_customers

    frame, labels = make_customers(400, random_state=1)
    frame = frame.reset_index().assign(segment=labels, email="x@example.com")
    frame.to_csv(tmp_path / "customers.csv", index=False)
    run_dir = tmp_path / "run"
    trained = run_script(
        "train.py",
        "--config",
        str(SMOKE),
        "--data",
        "customers.csv",
        "--id-column",
        "customer_id",
        "--label-column",
        "segment",
        "--drop-columns",
        "email",
        "--categorical-columns",
        "orders",
        "--output-dir",
        str(run_dir),
        cwd=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    tested = run_script("test.py", "--run", str(run_dir))  # from another directory
    assert tested.returncode == 0, tested.stderr
    report = json.loads((run_dir / "test_report.json").read_text())
    assert report["dataset"] == "customers.csv" and "ari" in report["methods"]["dec"]
    names = json.loads((run_dir / "preprocessor.json").read_text())["feature_names_in"]
    assert "segment" not in names and "email" not in names and "customer_id" not in names


@pytest.mark.slow
def test_mixed_precision_path_runs_on_cpu(tmp_path):
    result = run_script(
        "train.py",
        "--config",
        str(SMOKE),
        "--precision",
        "bf16-mixed",
        "--output-dir",
        str(tmp_path / "run"),
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["device"] == "cpu" and len(metrics["train_cluster_sizes"]) == 5
