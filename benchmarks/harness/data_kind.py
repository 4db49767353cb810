"""Does the estimator, given wide all-numeric data and no settings, beat KMeans?

The user's case from issue 11: scikit-learn's digits handed over as a raw array (grey levels
0..16), ``DeepEmbeddedClustering(10, random_state=seed).fit(X)`` with every other parameter
at its default. ``data_kind="auto"`` (the default) detects wide numeric data on one scale
and trains it with the digits recipe; ``data_kind="table"`` is what it did before (the
customer-table defaults). KMeans with the same ``n_init`` is the bar. Scored on all rows
against the digit, since the estimator fits every row (the recipe itself was chosen on
digits' validation split, benchmarks/choices/digits_variants.md).
"""

from __future__ import annotations

import logging
import time

import numpy as np

from dec.metrics import label_metrics
from dec.utils.markdown import markdown_table

log = logging.getLogger("dec")

METHODS = ("kmeans", "table", "auto")


def score(method: str, seed: int) -> dict:
    """ARI, ACC and seconds of one method and seed on the raw digits."""
    from sklearn.cluster import KMeans
    from sklearn.datasets import load_digits

    from dec import DeepEmbeddedClustering

    X, y = load_digits(return_X_y=True)
    start = time.perf_counter()
    if method == "kmeans":
        labels = KMeans(10, n_init=20, random_state=seed).fit_predict(X)
    else:
        labels = DeepEmbeddedClustering(10, data_kind=method, random_state=seed).fit(X).labels_
    scores = label_metrics(y, labels)
    return {
        "method": method,
        "seed": seed,
        "ari": scores["ari"],
        "acc": scores["acc"],
        "seconds": time.perf_counter() - start,
    }


def compare_kinds(seeds) -> list[dict]:
    runs = []
    for method in METHODS:
        for seed in seeds:
            log.info("data kind: %s, seed %d", method, seed)
            runs.append(score(method, seed))
    return runs


def kinds_markdown(runs: list[dict]) -> str:
    rows = []
    for method in METHODS:
        mine = [r for r in runs if r["method"] == method]
        cell = {
            k: f"{np.mean([r[k] for r in mine]):.3f} ± {np.std([r[k] for r in mine]):.3f}"
            for k in ("ari", "acc")
        }
        rows.append(
            [method, cell["ari"], cell["acc"], f"{np.mean([r['seconds'] for r in mine]):.0f}"]
        )
    seeds = sorted({r["seed"] for r in runs})
    return "\n".join(
        [
            "# The estimator's defaults on wide numeric data (digits as a raw 0..16 array)",
            "",
            f"`DeepEmbeddedClustering(10, data_kind=..., random_state=seed).fit(X)`, seeds "
            f"{', '.join(map(str, seeds))}, mean ± std, all 1,797 images. `auto` detects the "
            "data as dense and uses the digits recipe; `table` is the customer-table defaults "
            "(what `auto` replaced); KMeans has `n_init` 20.",
            "",
            markdown_table(["method", "ARI", "ACC", "seconds"], rows, align="lrrr"),
            "",
        ]
    )
