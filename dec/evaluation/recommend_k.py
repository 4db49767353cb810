"""The sweep's rules for recommending k from its table of scores (one row per k): the
largest k whose prediction strength reaches 0.8 (Tibshirani & Walther 2005), else the
best silhouette on the pretrained embeddings; stability and the edge of the range are
said in the reason. Chosen per seed on data with a known k (docs/choosing-k.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: A k qualifies for recommendation only if its segments are this stable (mean ARI).
STABILITY_THRESHOLD = 0.8
#: Tibshirani & Walther's rule: the largest k whose prediction strength reaches this.
PREDICTION_STRENGTH_THRESHOLD = 0.8


def recommend(table: pd.DataFrame) -> tuple[int, str]:
    """The sweep's recommendation, with the reason: the prediction-strength rule
    (:func:`recommend_by_prediction_strength`); where no k reaches its threshold, the
    best silhouette on the pretrained embeddings (:func:`recommend_by_embedding_silhouette`).
    """
    if (table["prediction_strength"] >= PREDICTION_STRENGTH_THRESHOLD).any():
        k, reason = recommend_by_prediction_strength(table)
    else:
        k, reason = recommend_by_embedding_silhouette(table)
        reason = (
            f"no k reached prediction strength {PREDICTION_STRENGTH_THRESHOLD}, so no "
            f"segmentation is clearly reproducible; {reason}"
        )
    stability = float(table.loc[table["k"] == k, "stability"].iloc[0])
    if stability < STABILITY_THRESHOLD:  # NaN (one seed, no bootstrap) says nothing
        reason += (
            f"; its segments are less stable than {STABILITY_THRESHOLD} across "
            f"seeds and resamples ({stability:.2f}): check them before acting"
        )
    if k == table["k"].max() and len(table) > 1:
        reason += "; it is the largest k tried: widen --k to see whether a larger k does better"
    return k, reason


def seed_pick(scores: pd.DataFrame) -> int:
    """The recommended k on one seed's scores, which have no stability to weigh."""
    return recommend(scores.assign(stability=np.nan))[0]


def recommend_by_embedding_silhouette(table: pd.DataFrame) -> tuple[int, str]:
    """The k whose KMeans clusters have the best silhouette on the pretrained embeddings,
    with the reason."""
    best = table.loc[table["embedding_silhouette"].idxmax()]
    return int(best["k"]), (
        f"k = {int(best['k'])} has the best silhouette on the pretrained "
        f"embeddings ({best['embedding_silhouette']:.3f}), the space "
        "prediction strength is measured in"
    )


def recommend_by_stable_silhouette(
    table: pd.DataFrame, threshold: float = STABILITY_THRESHOLD
) -> tuple[int, str]:
    """The best-silhouette k among those at least ``threshold`` stable, with the reason."""
    if table["stability"].isna().all():  # one seed and no bootstrap: nothing to compare
        best = table.loc[table["silhouette"].idxmax()]
        return int(best["k"]), (
            f"k = {int(best['k'])} has the best silhouette "
            f"({best['silhouette']:.3f}); stability was not measured "
            "(give two --seeds or --bootstrap 1 or more)"
        )
    stable = table[table["stability"] >= threshold]
    if stable.empty:
        best = table.loc[table["stability"].idxmax()]
        return int(best["k"]), (
            f"no k reached stability {threshold}; k = {int(best['k'])} "
            f"is the most stable ({best['stability']:.2f})"
        )
    best = stable.loc[stable["silhouette"].idxmax()]
    return int(best["k"]), (
        f"k = {int(best['k'])} has the best silhouette "
        f"({best['silhouette']:.3f}) among the k whose segments are stable "
        f"(mean ARI ≥ {threshold} across seeds and bootstrap resamples; "
        f"its stability is {best['stability']:.2f})"
    )


def recommend_by_prediction_strength(
    table: pd.DataFrame, threshold: float = PREDICTION_STRENGTH_THRESHOLD
) -> tuple[int, str]:
    """The largest k whose prediction strength reaches ``threshold`` (Tibshirani &
    Walther 2005), with the reason."""
    strong = table[table["prediction_strength"] >= threshold]
    if strong.empty:
        return 1, f"no k reached prediction strength {threshold}: no clear clusters"
    best = strong.loc[strong["k"].idxmax()]
    return int(best["k"]), (
        f"k = {int(best['k'])} is the largest k whose prediction "
        f"strength reaches {threshold} ({best['prediction_strength']:.2f})"
    )
