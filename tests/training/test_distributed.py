"""DDP on CPU (gloo): the target distribution is global, and 2 processes train like 1."""

import os
import subprocess
import sys

import pytest
import torch
from conftest import ROOT, run_script
from sklearn.metrics import adjusted_rand_score

from dec import DeepEmbeddedClustering, load_dataset
from dec.models.clustering import cluster_frequencies, target_distribution
from dec.training.distributed import shard

sys.path.insert(0, str(ROOT / "tests" / "helpers"))
import ddp_target  # noqa: E402


def test_shards_cover_every_row_once():
    rows = torch.cat([shard(11, rank, 3) for rank in range(3)])
    assert sorted(rows.tolist()) == list(range(11))


@pytest.mark.slow
def test_target_under_ddp_equals_single_process(tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "helpers" / "ddp_target.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]

    module = ddp_target.make_module()
    module.load_state_dict(torch.load(tmp_path / "init.pt", weights_only=True))
    x = ddp_target.make_data()
    q = module.model.soft_assign(x)
    expected = target_distribution(q)
    for rank in (0, 1):
        saved = torch.load(tmp_path / f"rank{rank}.pt", weights_only=True)
        assert saved["world_size"] == 2
        torch.testing.assert_close(saved["target"], expected, atol=1e-6, rtol=1e-5)

    # The comparison can fail: P from one shard's own frequencies is measurably different.
    rows = shard(len(x), 0, 2)
    local_only = target_distribution(q[rows], cluster_frequencies(q[rows]))
    assert (local_only - expected[rows]).abs().max() > 1e-4


@pytest.mark.slow
def test_two_processes_give_the_segments_of_one(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    # The default config on a third of its customers, fewer epochs: the same network and
    # refresh schedule, in a third of the time.
    shrunk = ["data.n_samples=6000", "pretrain.epochs=20", "refine.epochs=15"]
    for run_dir, extra in ((one, []), (two, ["--accelerator", "cpu", "--devices", "2"])):
        result = run_script("train.py", "--output-dir", str(run_dir), *extra, *shrunk)
        assert result.returncode == 0, result.stderr[-3000:]
    features = load_dataset("synthetic", n_samples=6000).features
    labels_one = DeepEmbeddedClustering.load(one).predict(features)
    labels_two = DeepEmbeddedClustering.load(two).predict(features)
    assert adjusted_rand_score(labels_one, labels_two) >= 0.9
