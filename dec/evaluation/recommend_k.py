"""The sweep's rules for recommending k from its table of scores (one row per k): the
largest k whose prediction strength reaches 0.8 (Tibshirani & Walther 2005), else the
best silhouette on the pretrained embeddings; the agreement of the runs (ARI across seeds
and resamples) and the edge of the range are said in the reason. Chosen per seed on data with a known k (docs/choosing-k.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: A k qualifies for recommendation only if its runs agree this much (mean ARI).
AGREEMENT_THRESHOLD = 0.8
#: Its former name.
STABILITY_THRESHOLD = AGREEMENT_THRESHOLD
#: Tibshirani & Walther's rule: the largest k whose prediction strength reaches this.
PREDICTION_STRENGTH_THRESHOLD = 0.8


#: sweep.csv's columns as they were named before "stability" came to mean only the
#: bootstrap Jaccard of ``test.py --stability``: still written, after the others, with the
#: same values, for scripts that read them.
FORMER_NAMES = {
    "agreement": "stability",
    "agreement_seeds": "stability_seeds",
    "agreement_bootstrap": "stability_bootstrap",
}


def with_current_names(table: pd.DataFrame) -> pd.DataFrame:
    """A sweep table read back from a sweep.csv of any version, its ARI under the current
    names ``agreement*`` and without the former ones."""
    for new, old in FORMER_NAMES.items():
        if new not in table.columns and old in table.columns:
            table = table.rename(columns={old: new})
    return table.drop(columns=[c for c in FORMER_NAMES.values() if c in table.columns])


def recommend(table: pd.DataFrame) -> tuple[int, str]:
    """The sweep's recommendation, with the reason: the prediction-strength rule
    (:func:`recommend_by_prediction_strength`); where no k reaches its threshold, the
    best silhouette on the pretrained embeddings (:func:`recommend_by_embedding_silhouette`).
    """
    table = with_current_names(table)
    if (table["prediction_strength"] >= PREDICTION_STRENGTH_THRESHOLD).any():
        k, reason = recommend_by_prediction_strength(table)
    else:
        k, reason = recommend_by_embedding_silhouette(table)
        reason = (
            f"no k reached prediction strength {PREDICTION_STRENGTH_THRESHOLD}, so no "
            f"segmentation is clearly reproducible; {reason}"
        )
    agreement = float(table.loc[table["k"] == k, "agreement"].iloc[0])
    if agreement < AGREEMENT_THRESHOLD:  # NaN (one seed, no bootstrap) says nothing
        reason += (
            f"; its runs agree less than {AGREEMENT_THRESHOLD} (mean ARI across "
            f"seeds and resamples: {agreement:.2f}): check them before acting"
        )
    if k == table["k"].max() and len(table) > 1:
        reason += "; it is the largest k tried: widen --k to see whether a larger k does better"
    return k, reason


def seed_pick(scores: pd.DataFrame) -> int:
    """The recommended k on one seed's scores, which have no agreement to weigh."""
    return recommend(scores.assign(agreement=np.nan))[0]


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
    table: pd.DataFrame, threshold: float = AGREEMENT_THRESHOLD
) -> tuple[int, str]:
    """The best-silhouette k among those whose runs agree at least ``threshold``, with
    the reason."""
    table = with_current_names(table)
    if table["agreement"].isna().all():  # one seed and no bootstrap: nothing to compare
        best = table.loc[table["silhouette"].idxmax()]
        return int(best["k"]), (
            f"k = {int(best['k'])} has the best silhouette "
            f"({best['silhouette']:.3f}); the runs' agreement was not measured "
            "(give two --seeds or --bootstrap 1 or more)"
        )
    agreeing = table[table["agreement"] >= threshold]
    if agreeing.empty:
        best = table.loc[table["agreement"].idxmax()]
        return int(best["k"]), (
            f"no k reached agreement {threshold}; k = {int(best['k'])} "
            f"has the runs that agree most ({best['agreement']:.2f})"
        )
    best = agreeing.loc[agreeing["silhouette"].idxmax()]
    return int(best["k"]), (
        f"k = {int(best['k'])} has the best silhouette "
        f"({best['silhouette']:.3f}) among the k whose runs agree "
        f"(mean ARI ≥ {threshold} across seeds and bootstrap resamples; "
        f"its agreement is {best['agreement']:.2f})"
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
