"""Per-segment stability: the bootstrap Jaccard's maths by hand, the refits on a real run."""

import json
import math

import numpy as np
import pytest

from dec.evaluation.stability import (
    best_match_jaccards,
    jaccard,
    reading,
    segment_table,
    shown_jaccard,
)


def test_jaccard_by_hand():
    a = np.array([True, True, False, False])
    b = np.array([True, False, True, False])
    assert jaccard(a, b) == pytest.approx(1 / 3)  # {0} / {0, 1, 2}
    assert jaccard(a, a) == 1.0
    assert jaccard(np.zeros(3, bool), np.zeros(3, bool)) == 0.0  # clusterboot's zerobyzero


def test_best_match_jaccards_by_hand():
    reference = np.array([0, 0, 1, 1, 1])
    refit = np.array([7, 7, 3, 3, 9])  # the refit's labels need not match the reference's
    scores = best_match_jaccards(reference, refit, n_clusters=3)
    # segment 0 = rows {0, 1} = refit 7 exactly; segment 1 = {2, 3, 4}: best is refit 3
    # = {2, 3}, 2/3 (refit 9 = {4} gives 1/3); segment 2 was not drawn.
    assert scores[0] == 1.0
    assert scores[1] == pytest.approx(2 / 3)
    assert math.isnan(scores[2])


def test_a_customer_drawn_twice_counts_twice():
    # The resample draws customers A, A, B, all in segment 0; the refit puts A (both
    # copies) in one segment and B in another: 2 of 3 rows agree -> 2/3 (counting A once
    # would give 1/2).
    assert best_match_jaccards(np.array([0, 0, 0]), np.array([1, 1, 2]), 1)[0] == pytest.approx(
        2 / 3
    )


@pytest.mark.parametrize(
    "value, expected",
    [
        (0.5, "dissolved"),
        (0.2, "dissolved"),
        (0.51, "uncertain"),
        (0.7499, "uncertain"),
        (0.75, "valid"),
        (0.8499, "valid"),
        (0.85, "highly stable"),
        (1.0, "highly stable"),
        (float("nan"), "n/a"),
    ],
)
def test_hennig_readings(value, expected):
    assert reading(value) == expected


@pytest.mark.parametrize(
    "value, shown",
    [
        (0.749, "0.749"),  # "0.75" would read "valid"; it is "uncertain"
        (0.7499, "0.7499"),  # "0.750" too
        (0.74, "0.74"),
        (0.8496, "0.8496"),  # "0.85" and "0.850" would read "highly stable"
        (0.5004, "0.5004"),  # "0.50" and "0.500" would read "dissolved"
        (0.50001, "0.50001"),
        (0.93, "0.93"),
        (float("nan"), "n/a"),
    ],
)
def test_a_printed_jaccard_reads_as_its_value(value, shown):
    assert shown_jaccard(value) == shown
    if shown != "n/a":
        assert reading(float(shown)) == reading(value)


def test_segment_table_by_hand():
    jaccards = np.array([[1.0, 0.5], [0.8, np.nan]])
    table = segment_table(jaccards, sizes=np.array([30, 2]))
    assert table[0] == {
        "segment": 0,
        "jaccard_mean": pytest.approx(0.9),
        "jaccard_min": 0.8,
        "reading": "highly stable",
        "resamples": 2,
        "customers": 30,
    }
    assert table[1]["jaccard_mean"] == 0.5 and table[1]["reading"] == "dissolved"
    assert table[1]["resamples"] == 1  # the resample that did not draw it does not count


def test_resamples_are_reproducible_and_bounded():
    from dec.evaluation.bootstrap import MAX_ROWS, resamples

    first, again = resamples(100, 3, seed=4), resamples(100, 3, seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert [len(r) for r in first] == [100, 100, 100]
    assert len(set(first[0].tolist())) < 100  # drawn with replacement
    assert len(resamples(MAX_ROWS * 3, 1, seed=0)[0]) == MAX_ROWS


def test_separated_blobs_are_highly_stable_and_noise_is_not():
    """KMeans refits on resamples: four far-apart blobs come back every time; uniform noise
    cut into four is one of many equally good cuts."""
    from sklearn.cluster import KMeans

    from dec.evaluation.stability import best_match_jaccards

    rng = np.random.default_rng(0)
    blobs = np.concatenate([rng.normal(c, 0.3, (100, 2)) for c in ((0, 0), (9, 0), (0, 9), (9, 9))])
    noise = rng.uniform(0, 1, (400, 2))

    def mean_jaccard(X):
        reference = KMeans(4, n_init=1, random_state=0).fit_predict(X)
        scores = []
        for seed in range(5):
            rows = np.random.default_rng(seed).integers(0, len(X), len(X))
            refit = KMeans(4, n_init=1, random_state=seed + 1).fit_predict(X[rows])
            scores.append(best_match_jaccards(reference[rows], refit, 4))
        return np.mean(scores)

    assert mean_jaccard(blobs) > 0.95
    assert mean_jaccard(noise) < mean_jaccard(blobs)


def test_test_py_stability_writes_every_method_and_segment(smoke_run, tmp_path, capsys):
    """test.py --stability 2 on the smoke run: dec, kmeans and gmm, one entry per segment,
    in test_report.json and test_report.md."""
    import shutil

    from conftest import cli

    run = tmp_path / "run"
    shutil.copytree(smoke_run, run)
    code, err = cli("test", "--run", str(run), "--stability", "2", capsys=capsys)
    assert code == 0, err
    report = json.loads((run / "test_report.json").read_text())
    stability = report["stability"]
    assert set(stability) == {"dec", "kmeans", "gmm"}
    for entry in stability.values():
        assert entry["resamples"] == 2 and len(entry["segments"]) == report["n_clusters"]
        for segment in entry["segments"]:
            assert 0.0 <= segment["jaccard_mean"] <= 1.0 or math.isnan(segment["jaccard_mean"])
            assert segment["reading"] in ("dissolved", "uncertain", "valid", "highly stable", "n/a")
    assert "pretraining, centres and refinement redone" in stability["dec"]["refit"]
    assert (
        "Segment stability: bootstrap Jaccard over 2 resamples"
        in (run / "test_report.md").read_text()
    )
    # ... and beside each segment in the profiles and on the page.
    import pandas as pd

    profiles = pd.read_csv(run / "profiles.csv", index_col="segment")
    readings = {s["segment"]: s["reading"] for s in stability["dec"]["segments"]}
    assert all(cell.endswith(readings[seg]) for seg, cell in profiles["stability"].items())
    assert "| bootstrap stability (Jaccard) |" in (run / "profiles.md").read_text()
    assert "Would the segments come back?" in (run / "report.html").read_text()


def test_full_refit_trains_the_autoencoder_again(smoke_run):
    """refit="full" pretrains on the resample: its segments come from another network."""
    from dec.data.prepare import prepare_run_data
    from dec.evaluation.bootstrap import refit_dec
    from dec.runs.rundir import RunDir

    run = RunDir(smoke_run)
    result, data = run.load(), prepare_run_data(run)
    rows = np.arange(len(data.X_train))
    kept = refit_dec(result, data.X_train[rows], data.X_val, seed=3, refit="refine")
    again = refit_dec(result, data.X_train[rows], data.X_val, seed=3, refit="refine")
    full = refit_dec(result, data.X_train[rows], data.X_val, seed=3, refit="full")
    assert np.array_equal(kept, again)  # reproducible from its seed
    assert kept.shape == full.shape == (len(rows),)
    assert set(np.unique(full)) <= set(range(result.config.model.n_clusters))
