"""How much of a data set's score is the method, and how much the partition it happens to find?

On a table without a reproducible k-segment structure, many partitions fit the inputs almost
equally well and explain an outside outcome very differently. For each data set this
measures, on the preprocessed inputs of the shipped config:

- the prediction strength of k (Tibshirani & Walther 2005; mean of ``HALVINGS`` random
  halvings; 0.8 or more is the usual sign of k real, reproducible clusters);
- KMeans from ``RESTARTS`` single random starts (``n_init=1``, so each is one local optimum)
  on the training split: how far their inertias differ, how much their partitions agree
  (ARI with the best one), and each one's test score by the main metric
  (:func:`~dec.evaluation.baselines.validation_score` on the test split).

The benchmark's own test scores (``benchmarks/results.json``) are then placed in that spread.
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from benchmarks.harness.benchmark import CONFIGS, TITLES
from dec.config import load_config
from dec.data.prepare import prepare_data
from dec.evaluation.baselines import validation_score
from dec.evaluation.recommend_k import PREDICTION_STRENGTH_THRESHOLD
from dec.evaluation.sweep import HALVINGS, embedding_prediction_strength
from dec.utils.markdown import markdown_table
from dec.utils.resources import shipped_config

log = logging.getLogger("dec")

RESTARTS = 30


def partition_spread(
    config_name: str, restarts: int = RESTARTS, halvings: int = HALVINGS, overrides=()
) -> dict:
    """Prediction strength of k and the test scores of ``restarts`` KMeans local optima."""
    config = load_config(shipped_config(config_name), ["seed=0", *overrides])
    data = prepare_data(config)
    k = config.model.n_clusters
    strength = embedding_prediction_strength(data.X_train, k, 0, halvings)
    fits = [KMeans(k, n_init=1, random_state=s).fit(data.X_train) for s in range(restarts)]
    inertias = np.array([f.inertia_ for f in fits])
    labels = [f.predict(data.X_test) for f in fits]
    best = int(inertias.argmin())
    scored = [validation_score(data, lab, "test") for lab in labels]
    scores = [score for _, score in scored]
    return {
        "config": config_name,
        "k": k,
        "metric": scored[0][0],
        "prediction_strength": strength,
        "inertia_spread": float(inertias.max() / inertias.min() - 1),
        "ari_with_best": [float(adjusted_rand_score(labels[best], lab)) for lab in labels],
        "scores": [float(s) for s in scores],
        "score_at_best": float(scores[best]),
    }


def measure(datasets, restarts: int = RESTARTS, halvings: int = HALVINGS) -> dict:
    out = {}
    for name in datasets:
        log.info("partition spread: %s", name)
        out[name] = partition_spread(CONFIGS[name], restarts, halvings)
    return out


def percentile(scores, value: float) -> float:
    """Share of ``scores`` (in %) at or below ``value``."""
    return float(100 * np.mean(np.asarray(scores) <= value))


def spread_markdown(spread: dict, results: dict, meta: dict) -> str:
    """One row per data set: the spread, and where each benchmark method falls in it."""
    methods = ("kmeans", "gmm", "ae_kmeans", "idec")
    rows = []
    for name, s in spread.items():
        scores = np.asarray(s["scores"])
        placed = []
        for method in methods:
            stat = results.get(name, {}).get("methods", {}).get(method, {}).get(s["metric"])
            placed.append(
                ""
                if stat is None
                else f"{stat['mean']:.3f} ({percentile(scores, stat['mean']):.0f} %)"
            )
        rows.append(
            [
                name,
                s["k"],
                s["metric"],
                f"{s['prediction_strength']:.2f}",
                f"{100 * s['inertia_spread']:.1f} %",
                f"{np.median(s['ari_with_best']):.2f}",
                f"{scores.min():.3f} / {np.median(scores):.3f} / {scores.max():.3f}",
                f"{s['score_at_best']:.3f}",
                *placed,
            ]
        )
    header = [
        "data set",
        "k",
        "test metric",
        "prediction strength of k",
        "inertia, worst vs best optimum",
        "median ARI with the best optimum",
        "test metric over the optima: min / median / max",
        "at the best optimum",
        *(f"{TITLES[m]} (percentile)" for m in methods),
    ]
    restarts = len(next(iter(spread.values()))["scores"]) if spread else RESTARTS
    return "\n".join(
        [
            "# Is k a structure, or one of many equally good cuts?",
            "",
            f"Written by `python scripts/benchmark.py --spread` on {meta['date']} "
            f"({meta['machine']}). Preprocessed inputs of each shipped config (seed 0 split). "
            f"KMeans from {restarts} single random starts on the training split, each a local "
            f"optimum, scored on the test split. Prediction strength: KMeans on two halves of "
            f"the training split, mean of {HALVINGS} halvings (≥ {PREDICTION_STRENGTH_THRESHOLD}: "
            "k reproducible clusters). The last columns are the benchmark's means over seeds "
            "(`benchmarks/results.json`) and the share of the local optima that score at or "
            "below them.",
            "",
            markdown_table(header, rows),
            "",
        ]
    )
