import numpy as np
import pytest
from conftest import SMOKE

from benchmarks.harness.benchmark import METHODS, results_markdown, run_one, summarise
from dec.runs.rundir import RunDir
from dec.utils import files


def _run(dataset, seed, ari):
    methods = {m: {"ari": ari[m], "fit_seconds": 1.0} for m in METHODS}
    return {"dataset": dataset, "seed": seed, "n_test": 10, "n_clusters": 3, "methods": methods}


def test_summary_by_hand_and_honest_verdict():
    base = dict(kmeans=0.6, gmm=0.7, ae_kmeans=0.4, dec=0.5, idec=0.55)
    runs = [_run("x", 0, base), _run("x", 1, {**base, "idec": 0.45})]
    block = summarise(runs)["x"]
    assert block["methods"]["idec"]["ari"] == {
        "mean": pytest.approx(0.5),
        "std": pytest.approx(0.05),
    }
    assert block["main_metric"] == "ari" and block["best_deep"] == "dec"
    assert block["winner"] == "gmm" and not block["deep_matches_kmeans"]
    text = results_markdown(
        summarise(runs), {"date": "d", "machine": "m", "torch": "t", "seeds": [0, 1]}
    )
    assert "LOSES TO KMeans (0.600)" in text and "overall winner: GMM" in text


def test_outcome_data_uses_holdout_spend_eta2():
    methods = {
        m: {"silhouette": 0.1, "holdout_spend_eta2": v}
        for m, v in zip(METHODS, [0.09, 0.08, 0.13, 0.10, 0.11])
    }
    block = summarise(
        [{"dataset": "c", "seed": 0, "n_test": 5, "n_clusters": 2, "methods": methods}]
    )["c"]
    assert block["main_metric"] == "holdout_spend_eta2"
    assert block["best_deep"] == "idec" and block["deep_matches_kmeans"]
    assert block["winner"] == "ae_kmeans"


def test_dec_and_idec_share_one_pretraining(tmp_path):
    result = run_one("smoke", SMOKE, 0, tmp_path)
    assert set(result["methods"]) == set(METHODS)
    a = files.load_weights(tmp_path / "smoke_s0_idec" / "pretrained.pt")
    b = files.load_weights(tmp_path / "smoke_s0_dec" / "pretrained.pt")
    assert all(np.array_equal(a[k], b[k]) for k in a)
    dec_cfg = (tmp_path / "smoke_s0_dec" / "config.yaml").read_text()
    assert "gamma: 0.0" in dec_cfg
    for scores in result["methods"].values():
        assert -1 <= scores["ari"] <= 1 and scores["fit_seconds"] >= 0


def test_speed_benchmark_times_both_loops_on_the_same_work():
    from benchmarks.harness.benchmark_modes import speed_page
    from benchmarks.harness.speed import speed_benchmark

    result = speed_benchmark(n_samples=3000, epochs=1, repeats=1)
    assert result["n_train"] == 2940 and result["steps"] == 12  # ceil(2940 / 256)
    assert min(result["plain_median"], result["lightning_median"], result["run_trainer_median"]) > 0
    assert result["ratio"] == pytest.approx(result["lightning_median"] / result["plain_median"])
    assert result["run_trainer_paired_ratio"] == pytest.approx(
        result["run_trainer_seconds"][0] / result["plain_seconds"][0]
    )
    page = speed_page(result)
    assert "the Trainer a run builds" in page and f"**{result['ratio']:.2f}**" in page


def test_rerun_starts_afresh_and_dec_inherits_only_pretraining_time(tmp_path):
    run_one("smoke", SMOKE, 0, tmp_path)
    (tmp_path / "smoke_s0_dec" / "stale").write_text("from an earlier benchmark")
    run_one("smoke", SMOKE, 0, tmp_path)  # same work dir: must not resume old runs
    assert not (tmp_path / "smoke_s0_dec" / "stale").exists()
    idec = RunDir(tmp_path / "smoke_s0_idec").metrics()["timings"]
    dec = RunDir(tmp_path / "smoke_s0_dec").metrics()["timings"]
    inherited = {k: v for k, v in dec.items() if k != "refine_seconds"}
    assert set(inherited) == {"pretrain_seconds", "init_seconds"}  # not IDEC's refinement
    assert inherited == {k: idec[k] for k in inherited}
    assert dec["refine_seconds"] != idec["refine_seconds"]
    assert dec["pretrain_seconds"] == inherited["pretrain_seconds"]


def test_a_measured_step_reports_its_own_peak_memory_not_its_parents(tmp_path):
    """Linux carries a parent's peak into a forked child's ru_maxrss; the benchmarks read
    the step's own high-water mark instead."""
    from benchmarks.harness.scale import run_measured

    held = np.ones(40_000_000)  # 320 MB in the benchmark's own process
    (tmp_path / "a.json").write_text("[0]")
    step = run_measured([str(tmp_path / "a.json")], tmp_path / "step.log", module="json.tool")
    assert step["returncode"] == 0, (tmp_path / "step.log").read_text()
    assert 0 < step["peak_rss_mb"] < 150 and held.sum() == 40_000_000


def test_gpu_figures_count_the_networks_arithmetic_and_the_devices_share(tmp_path):
    from benchmarks.harness.gpu_figures import arithmetic, figures_line, training_flops_per_sample
    from dec.config import load_config
    from dec.training.pipeline import fit

    # 33 -> 256 -> 128 -> 10 and back: 6 FLOPs per weight, by hand
    weights = 33 * 256 + 256 * 128 + 128 * 10
    assert (
        training_flops_per_sample({"input_dim": 33, "hidden_dims": [256, 128], "embedding_dim": 10})
        == 12 * weights
    )
    assert arithmetic(load_config(overrides=["trainer.precision=bf16-mixed"])) == "bfloat16"
    assert arithmetic(load_config(overrides=["trainer.matmul_precision=high"])) == "tf32"
    run = fit(load_config(SMOKE), tmp_path / "run").run_dir
    line = figures_line(run, 12.0, "smoke", "NVIDIA H200")
    assert line.startswith("smoke: 420 training customers") and "% of the float32 peak" in line
    assert "peak" not in figures_line(run, 12.0, "smoke", "a CPU").split(";")[2]
