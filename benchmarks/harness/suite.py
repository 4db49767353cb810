"""The public suite (issue 22): every labelled table x {KMeans, BIC-chosen GMM, Ward,
AE+KMeans, the package's default model, variants} x seeds, k = the number of classes.

Every method is fitted on the same preprocessed training rows (the package's split and
preprocessing) and scored by ARI and NMI on all rows (the usual protocol for such suites)
and on the held-out test rows. The classes are used only to score. Runs stay in memory.
"""

from __future__ import annotations

import logging
import time
from itertools import combinations

import numpy as np
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.mixture import GaussianMixture

from dec.config import load_config
from dec.data import load_dataset
from dec.data.prepare import prepare_data
from dec.data.suite import SUITE_TABLES
from dec.evaluation.baselines import nearest_centre
from dec.models.init import bic_mixture
from dec.training.pipeline import fit
from dec.training.sizing import resolve_config

log = logging.getLogger("dec")

CLASSICAL = ("kmeans", "gmm_bic", "ward")
#: The package's default model, scored against the classical methods.
DEFAULT = "dec"


# ------------------------------------------------------------------ classical methods
def kmeans_labels(X_train, X_all, k: int, seed: int) -> np.ndarray:
    return KMeans(k, n_init=20, random_state=seed).fit(X_train).predict(X_all)


def gmm_bic(X_train, k: int, seed: int) -> GaussianMixture:
    """The Gaussian mixture whose covariance type has the lowest BIC on the training rows:
    chosen without labels."""
    return bic_mixture(X_train, k, seed)


def gmm_bic_labels(X_train, X_all, k: int, seed: int) -> np.ndarray:
    """Segments of ``X_all`` from :func:`gmm_bic` fitted on the training rows."""
    return gmm_bic(X_train, k, seed).predict(X_all)


def ward_labels(X_train, X_all, k: int, seed: int, train_index=None) -> np.ndarray:
    """Ward's agglomerative clustering of the training rows; every other row joins the
    cluster with the nearest centroid (Ward has no predict of its own)."""
    train = AgglomerativeClustering(k, linkage="ward").fit_predict(X_train)
    centroids = np.stack([X_train[train == j].mean(0) for j in range(k)])
    labels = ((X_all[:, None, :] - centroids[None]) ** 2).sum(-1).argmin(1)
    if train_index is not None:
        labels[train_index] = train
    return labels


# ------------------------------------------------------------------ one table, one seed
def n_classes(labels: np.ndarray) -> int:
    return len(np.unique(labels[labels >= 0]))


def scores(truth: np.ndarray, labels: np.ndarray, test_index: np.ndarray) -> dict:
    """ARI and NMI on all labelled rows and on the labelled test rows, and ARI on the
    labelled rows outside the test split (what a setting is chosen by)."""
    known = truth >= 0
    in_test = np.zeros(len(truth), dtype=bool)
    in_test[test_index] = True
    test, seen = known & in_test, known & ~in_test
    return {
        "ari": float(adjusted_rand_score(truth[known], labels[known])),
        "nmi": float(normalized_mutual_info_score(truth[known], labels[known])),
        "ari_test": float(adjusted_rand_score(truth[test], labels[test])),
        "nmi_test": float(normalized_mutual_info_score(truth[test], labels[test])),
        "ari_choice": float(adjusted_rand_score(truth[seen], labels[seen])),
    }


def table_setup(name: str, seed: int):
    """A suite table, its number of classes k, and the overrides the default model is
    trained with on it (k, the seed, its categorical columns)."""
    dataset = load_dataset(name)
    k = n_classes(dataset.labels)
    base = [
        f"data.source={name}",
        f"model.n_clusters={k}",
        f"seed={seed}",
        "trainer.enable_progress_bar=false",
    ]
    if SUITE_TABLES[name].categorical:
        base.append(f"data.categorical_columns=[{','.join(SUITE_TABLES[name].categorical)}]")
    return dataset, k, base


def run_table(name: str, seed: int, variants: dict[str, list[str]] | None = None) -> dict:
    """Every method on table ``name`` with ``seed``: scores, fit seconds and each method's
    labels on all rows (for seed-to-seed agreement)."""
    dataset, k, base = table_setup(name, seed)
    labels, seconds = {}, {}
    result, data = fit_deep(dataset, base, labels, seconds, DEFAULT)
    # The other methods see what the default model saw: its preprocessing, its split.
    X_all, X_train = data.X_all(), data.X_train
    labels["ae_kmeans"] = nearest_centre(result.pretrained_model(), X_all)
    seconds["ae_kmeans"] = result.metrics["timings"].get("pretrain_seconds", 0.0) + result.metrics[
        "timings"
    ].get("init_seconds", 0.0)
    for key, method in (
        ("kmeans", kmeans_labels),
        ("gmm_bic", gmm_bic_labels),
        ("ward", ward_labels),
    ):
        extra = {"train_index": data.train_index} if key == "ward" else {}
        start = time.perf_counter()
        labels[key] = method(X_train, X_all, k, seed, **extra)
        seconds[key] = time.perf_counter() - start
    trained = resolve_config(load_config(None, base), dataset)
    for key, overrides in (variants or {}).items():
        if resolve_config(load_config(None, [*base, *overrides]), dataset) == trained:
            # The same settings on this table (the budget or a recipe decides alike).
            labels[key], seconds[key] = labels[DEFAULT], seconds[DEFAULT]
        else:
            fit_deep(dataset, [*base, *overrides], labels, seconds, key)
    methods = {
        m: {**scores(dataset.labels, labels[m], data.test_index), "fit_seconds": seconds[m]}
        for m in labels
    }
    log.info(
        "suite: %s seed %d: %s",
        name,
        seed,
        ", ".join(f"{m} {v['ari']:.3f}" for m, v in methods.items()),
    )
    return {
        "table": name,
        "seed": seed,
        "n": len(dataset),
        "d": dataset.features.shape[1],
        "k": k,
        "methods": methods,
        "labels": {m: v.tolist() for m, v in labels.items()},
    }


def fit_deep(dataset, overrides: list[str], labels: dict, seconds: dict, key: str):
    """Fit the package's model with ``overrides`` and record its labels on all rows."""
    start = time.perf_counter()
    result = fit(load_config(None, overrides), dataset=dataset)
    seconds[key] = time.perf_counter() - start
    data = prepare_data(result.config, result.preprocessor, dataset)
    labels[key] = result.model.assign(data.X_all()).numpy()
    return result, data


# ------------------------------------------------------------------ the whole suite
def run_suite(tables, seeds, variants: dict[str, list[str]] | None = None) -> list[dict]:
    return [run_table(name, seed, variants) for name in tables for seed in seeds]


def seed_agreement(labelings: list[list[int]]) -> float:
    """Mean ARI between the labels of every pair of seeds (1 = the same segments)."""
    pairs = list(combinations(labelings, 2))
    if not pairs:
        return float("nan")
    return float(np.mean([adjusted_rand_score(a, b) for a, b in pairs]))


def summarise(runs: list[dict]) -> dict:
    """Per table and method: the means and stds over seeds, and seed-to-seed ARI."""
    tables = {}
    for name in dict.fromkeys(r["table"] for r in runs):
        mine = [r for r in runs if r["table"] == name]
        methods = {}
        for method in mine[0]["methods"]:
            values = {
                key: [r["methods"][method][key] for r in mine] for key in mine[0]["methods"][method]
            }
            methods[method] = {
                "ari_mean": float(np.mean(values["ari"])),
                "ari_std": float(np.std(values["ari"])),
                "nmi_mean": float(np.mean(values["nmi"])),
                "ari_test_mean": float(np.mean(values["ari_test"])),
                "ari_choice_mean": float(np.mean(values["ari_choice"])),
                "nmi_test_mean": float(np.mean(values["nmi_test"])),
                "fit_seconds": float(np.mean(values["fit_seconds"])),
                "seed_ari": seed_agreement([r["labels"][method] for r in mine]),
            }
        tables[name] = {
            "n": mine[0]["n"],
            "d": mine[0]["d"],
            "k": mine[0]["k"],
            "seeds": [r["seed"] for r in mine],
            "methods": methods,
        }
    return tables


#: A deep model ties the better classical method within this much ARI.
TIE = 0.01


def verdict(tables: dict, method: str = DEFAULT) -> dict:
    """How ``method`` stands against the better of KMeans and the BIC-chosen GMM on each
    table (issue 22's measures)."""
    rows = {}
    for name, table in tables.items():
        m = table["methods"]
        classical = max(m["kmeans"]["ari_mean"], m["gmm_bic"]["ari_mean"])
        rows[name] = {
            "delta": m[method]["ari_mean"] - classical,
            "below_kmeans": m["kmeans"]["ari_mean"] - m[method]["ari_mean"],
            "classical": classical,
        }
    deltas = np.array([r["delta"] for r in rows.values()])
    names = list(tables)
    method_names = list(tables[names[0]]["methods"])
    ranks = {m: [] for m in method_names}
    for table in tables.values():
        order = sorted(method_names, key=lambda m: -table["methods"][m]["ari_mean"])
        for rank, m in enumerate(order, 1):
            ranks[m].append(rank)
    return {
        "mean_ari": {
            m: float(np.mean([t["methods"][m]["ari_mean"] for t in tables.values()]))
            for m in method_names
        },
        "mean_rank": {m: float(np.mean(r)) for m, r in ranks.items()},
        "better_classical_mean": float(np.mean([r["classical"] for r in rows.values()])),
        "wins": int((deltas > TIE).sum()),
        "ties": int((np.abs(deltas) <= TIE).sum()),
        "losses": int((deltas < -TIE).sum()),
        "worst_below_kmeans": float(max(r["below_kmeans"] for r in rows.values())),
        "median_seed_ari": float(
            np.median([t["methods"][method]["seed_ari"] for t in tables.values()])
        ),
        "per_table": rows,
    }


def halves(names) -> tuple[list[str], list[str]]:
    """The suite split in two for leave-tables-out choices: alternate tables in
    alphabetical order (fixed before any result was seen)."""
    ordered = sorted(names)
    return ordered[::2], ordered[1::2]


def leave_tables_out(tables: dict, candidates: list[str]) -> list[dict]:
    """Choose among ``candidates`` by mean ARI outside the test rows on one half of the
    tables, confirm on the other half (all rows and test rows), both ways round."""
    first, second = halves(tables)
    rows = []
    for chosen_on, confirmed_on in ((first, second), (second, first)):

        def mean(names, key, method):
            return float(np.mean([tables[n]["methods"][method][key] for n in names]))

        choice = {m: mean(chosen_on, "ari_choice_mean", m) for m in candidates}
        best = max(choice, key=choice.get)
        rows.append(
            {
                "chosen_on": chosen_on,
                "confirmed_on": confirmed_on,
                "choice": choice,
                "chosen": best,
                "confirmed": {m: mean(confirmed_on, "ari_mean", m) for m in candidates},
                "confirmed_test": {m: mean(confirmed_on, "ari_test_mean", m) for m in candidates},
            }
        )
    return rows


def suite_tables(names: str | None = None) -> list[str]:
    return list(SUITE_TABLES) if not names else [n for n in names.split(",") if n]
