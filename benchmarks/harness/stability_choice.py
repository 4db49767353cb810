"""Choosing the method per table by stability, without labels (an idea for issue 22).

On every suite table and seed: the default deep model, KMeans and the BIC-chosen GMM, each
scored by its mean per-segment bootstrap Jaccard (:mod:`dec.evaluation.bootstrap`, full refits) on the
training rows; the most stable one is "chosen". Its ARI on all rows is set beside each
method's and beside the best method per table (an oracle no user has). If stability picked
the winners, the package could recommend, per table, the method whose segments come back.
"""

from __future__ import annotations

import logging

import numpy as np

from benchmarks.harness.suite import fit_deep, gmm_bic, kmeans_labels, scores, table_setup
from dec.evaluation.bootstrap import segment_stability
from dec.utils.markdown import markdown_table

log = logging.getLogger("dec")

METHODS = ("dec", "kmeans", "gmm_bic")


def run_table(name: str, seed: int, resamples: int) -> dict:
    """Each method's ARI on all rows and mean bootstrap Jaccard on the training rows."""
    dataset, k, base = table_setup(name, seed)
    labels, seconds = {}, {}
    result, data = fit_deep(dataset, base, labels, seconds, "dec")
    X_all, X_train = data.X_all(), data.X_train
    labels["kmeans"] = kmeans_labels(X_train, X_all, k, seed)
    gmm = gmm_bic(X_train, k, seed)
    labels["gmm_bic"], covariance = gmm.predict(X_all), gmm.covariance_type
    stability = segment_stability(
        result, data, n_resamples=resamples, refit="full", gmm_covariance=covariance
    )
    jaccard = {
        "dec": stability["dec"]["jaccard_mean"],
        "kmeans": stability["kmeans"]["jaccard_mean"],
        "gmm_bic": stability["gmm"]["jaccard_mean"],
    }
    ari = {m: scores(dataset.labels, labels[m], data.test_index)["ari"] for m in METHODS}
    chosen = max(METHODS, key=lambda m: jaccard[m])
    log.info(
        "stability choice: %s seed %d: %s -> %s",
        name,
        seed,
        ", ".join(f"{m} J {jaccard[m]:.2f} ARI {ari[m]:.3f}" for m in METHODS),
        chosen,
    )
    return {"table": name, "seed": seed, "ari": ari, "jaccard": jaccard, "chosen": chosen}


def measure(tables, seeds, resamples: int = 5) -> list[dict]:
    return [run_table(name, seed, resamples) for name in tables for seed in seeds]


def summarise(rows: list[dict]) -> dict:
    """Per table: mean ARI per method, of the stability choice and of the best method."""
    tables = {}
    for name in dict.fromkeys(r["table"] for r in rows):
        mine = [r for r in rows if r["table"] == name]
        entry = {m: float(np.mean([r["ari"][m] for r in mine])) for m in METHODS}
        entry["chosen"] = float(np.mean([r["ari"][r["chosen"]] for r in mine]))
        entry["picks"] = [r["chosen"] for r in mine]
        entry["jaccard"] = {m: float(np.mean([r["jaccard"][m] for r in mine])) for m in METHODS}
        tables[name] = entry
    return tables


def stability_choice_markdown(tables: dict, meta: dict) -> str:
    rows, means = [], {m: [] for m in (*METHODS, "chosen", "best")}
    for name, t in tables.items():
        best = max(t[m] for m in METHODS)
        for m in METHODS:
            means[m].append(t[m])
        means["chosen"].append(t["chosen"])
        means["best"].append(best)
        rows.append(
            [
                name,
                *(f"{t[m]:.3f} ({t['jaccard'][m]:.2f})" for m in METHODS),
                f"{t['chosen']:.3f}",
                ", ".join(t["picks"]),
                f"{best:.3f}",
            ]
        )
    rows.append(
        [
            "**mean**",
            *(f"{np.mean(means[m]):.3f}" for m in METHODS),
            f"**{np.mean(means['chosen']):.3f}**",
            "",
            f"{np.mean(means['best']):.3f}",
        ]
    )
    return "\n".join(
        [
            "# Choosing the method per table by stability",
            "",
            f"{meta['date']}, {meta['machine']}; seeds {', '.join(map(str, meta['seeds']))}; "
            f"{meta['resamples']} bootstrap resamples (full refits) of the training rows per "
            "method. Cells: ARI on all rows (mean Jaccard on the training rows). **Chosen**: "
            "the most stable of the three per seed, without labels. **Best**: the best mean "
            "ARI per table, which needs the labels. Written by `python scripts/benchmark.py "
            "--stability-choice`.",
            "",
            markdown_table(
                [
                    "table",
                    "dec (default)",
                    "KMeans",
                    "GMM (BIC)",
                    "chosen",
                    "picks per seed",
                    "best",
                ],
                rows,
                align="lrrrrlr",
            ),
            "",
        ]
    )
