"""The public suite (issue 22): shipped tables as documented, and the harness's methods
and measures on tables small enough to run in seconds."""

import gzip
import hashlib
import re

import numpy as np
import pytest
from conftest import ROOT

from benchmarks.harness.suite import (
    gmm_bic_labels,
    halves,
    leave_tables_out,
    run_table,
    scores,
    seed_agreement,
    summarise,
    verdict,
    ward_labels,
)
from dec.data import load_dataset
from dec.data.suite import SUITE_TABLES, suite_file


def _documented() -> dict[str, tuple[int, int, str]]:
    """name -> (rows, classes, sha256) from the table in data/README.md."""
    text = (ROOT / "data" / "README.md").read_text()
    rows = re.findall(
        r"^\| (\w+) \| [^|]+ \| ([\d,]+) \| (\d+) \([^)]*\) \| `(\w+)` \|$", text, flags=re.M
    )
    return {name: (int(n.replace(",", "")), int(k), sha) for name, n, k, sha in rows}


@pytest.mark.parametrize("name", [n for n in SUITE_TABLES if suite_file(n) is not None])
def test_shipped_tables_are_the_documented_ones(name):
    rows, classes, digest = _documented()[name]
    raw = gzip.decompress(suite_file(name).read_bytes())
    assert hashlib.sha256(raw).hexdigest() == digest
    dataset = load_dataset(name)
    assert len(dataset) == rows and len(np.unique(dataset.labels)) == classes
    table = SUITE_TABLES[name]
    assert table.label not in dataset.features.columns  # classes never reach the model
    assert not set(table.drop) & set(dataset.features.columns)


def test_every_table_is_documented_or_from_scikit_learn():
    shipped = {n for n in SUITE_TABLES if suite_file(n) is not None}
    assert set(_documented()) == shipped and len(SUITE_TABLES) == 20


def test_scores_worked_by_hand():
    truth = np.array([0, 0, 1, 1, 0, 1])
    labels = np.array([1, 1, 0, 0, 0, 0])  # the test rows (4, 5): one segment for two classes
    result = scores(truth, labels, test_index=np.array([4, 5]))
    assert result["ari_choice"] == 1.0  # the rows outside the test split: a perfect match
    assert result["ari_test"] == 0.0 and 0 < result["ari"] < 1


def test_seed_agreement_is_mean_pairwise_ari():
    assert seed_agreement([[0, 0, 1, 1], [1, 1, 0, 0], [0, 0, 1, 1]]) == 1.0
    assert np.isnan(seed_agreement([[0, 1]]))


def test_ward_keeps_training_labels_and_extends_by_nearest_centroid():
    X = np.array([[0.0], [0.1], [10.0], [10.1], [9.0], [0.5]])
    train = np.array([0, 1, 2, 3])
    labels = ward_labels(X[train], X, 2, 0, train_index=train)
    assert labels[0] == labels[1] == labels[5] and labels[2] == labels[3] == labels[4]
    assert labels[0] != labels[2]


def test_gmm_is_chosen_by_bic_without_labels():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(8, 1, (100, 2))])
    labels = gmm_bic_labels(X, X, 2, 0)
    assert abs(np.corrcoef(labels, np.repeat([0, 1], 100))[0, 1]) > 0.99


def test_halves_alternate_names_in_order():
    assert halves(["c", "a", "d", "b"]) == (["a", "c"], ["b", "d"])


def _table(dec, kmeans, gmm, choice=None):
    methods = {"dec": dec, "kmeans": kmeans, "gmm_bic": gmm}
    return {
        "n": 10,
        "d": 2,
        "k": 2,
        "seeds": [0],
        "methods": {
            m: {
                "ari_mean": v,
                "ari_test_mean": v,
                "ari_choice_mean": (choice or {}).get(m, v),
                "seed_ari": 1.0,
            }
            for m, v in methods.items()
        },
    }


def test_verdict_counts_wins_ties_and_losses_against_the_better_classical():
    tables = {
        "a": _table(0.80, 0.70, 0.75),
        "b": _table(0.50, 0.505, 0.2),
        "c": _table(0.30, 0.45, 0.40),
    }
    v = verdict(tables)
    assert (v["wins"], v["ties"], v["losses"]) == (1, 1, 1)
    assert v["worst_below_kmeans"] == pytest.approx(0.15)
    assert v["better_classical_mean"] == pytest.approx((0.75 + 0.505 + 0.45) / 3)


def test_leave_tables_out_chooses_on_one_half_and_confirms_on_the_other():
    tables = {
        "a": _table(0.9, 0.1, 0.1, {"dec": 0.9, "kmeans": 0.2}),
        "b": _table(0.1, 0.9, 0.1, {"dec": 0.1, "kmeans": 0.9}),
    }
    first, second = leave_tables_out(tables, ["dec", "kmeans"])
    assert first["chosen_on"] == ["a"] and first["chosen"] == "dec"
    assert first["confirmed"] == {"dec": 0.1, "kmeans": 0.9}  # and it does not transfer
    assert second["chosen"] == "kmeans"


@pytest.mark.slow
def test_a_table_runs_every_method_and_a_variant_alike_is_not_trained_twice():
    variants = {"same": ["pretrain.min_steps=0"], "short": ["pretrain.epochs=1", "refine.epochs=1"]}
    run = run_table("oils", 0, variants)
    assert set(run["methods"]) == {"dec", "ae_kmeans", "kmeans", "gmm_bic", "ward", "same", "short"}
    assert run["labels"]["same"] == run["labels"]["dec"]
    assert run["methods"]["same"]["fit_seconds"] == run["methods"]["dec"]["fit_seconds"]
    assert run["k"] == 7 and len(run["labels"]["kmeans"]) == 96
    summary = summarise([run, run_table("oils", 1, variants)])
    assert summary["oils"]["methods"]["kmeans"]["seed_ari"] > 0.5
