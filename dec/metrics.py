"""Clustering metrics: label agreement (where ground truth exists) and internal quality."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn import metrics as skm


def cluster_accuracy(labels_true: np.ndarray, labels_pred: np.ndarray) -> float:
    """Unsupervised clustering accuracy (DEC eq. 10).

    The best one-to-one mapping between predicted clusters and true classes, found with
    the Hungarian algorithm, and the share of samples it gets right.
    """
    labels_true = np.asarray(labels_true)
    labels_pred = np.asarray(labels_pred)
    _, true_idx = np.unique(labels_true, return_inverse=True)
    _, pred_idx = np.unique(labels_pred, return_inverse=True)
    counts = np.zeros((pred_idx.max() + 1, true_idx.max() + 1), dtype=np.int64)
    np.add.at(counts, (pred_idx, true_idx), 1)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return float(counts[rows, cols].sum() / len(labels_true))


#: Label code of a customer whose true segment is unknown (``pandas.factorize`` of NaN).
UNKNOWN_LABEL = -1


def label_metrics(labels_true: np.ndarray, labels_pred: np.ndarray) -> dict[str, float]:
    """ACC, NMI and ARI against ground truth, over the customers whose label is known
    (an unknown label, :data:`UNKNOWN_LABEL`, is not a class of its own)."""
    known = np.asarray(labels_true) != UNKNOWN_LABEL
    labels_true, labels_pred = np.asarray(labels_true)[known], np.asarray(labels_pred)[known]
    if len(labels_true) == 0:
        return {"acc": float("nan"), "nmi": float("nan"), "ari": float("nan")}
    return {
        "acc": cluster_accuracy(labels_true, labels_pred),
        "nmi": float(skm.normalized_mutual_info_score(labels_true, labels_pred)),
        "ari": float(skm.adjusted_rand_score(labels_true, labels_pred)),
    }


def internal_metrics(
    features: np.ndarray,
    labels_pred: np.ndarray,
    *,
    silhouette_sample_size: int | None = 10000,
    random_state: int = 0,
) -> dict[str, float]:
    """Silhouette, Davies-Bouldin and Calinski-Harabasz of a partition of ``features``.

    Every method is scored on the same ``features`` (the preprocessed inputs), so the
    numbers compare partitions, not embedding spaces. A partition with a single cluster
    gets NaN, since the scores are undefined there.
    """
    if len(np.unique(labels_pred)) < 2:
        return {
            "silhouette": float("nan"),
            "davies_bouldin": float("nan"),
            "calinski_harabasz": float("nan"),
        }
    sample = silhouette_sample_size if len(features) > (silhouette_sample_size or 0) else None
    return {
        "silhouette": float(
            skm.silhouette_score(
                features, labels_pred, sample_size=sample, random_state=random_state
            )
        ),
        "davies_bouldin": float(skm.davies_bouldin_score(features, labels_pred)),
        "calinski_harabasz": float(skm.calinski_harabasz_score(features, labels_pred)),
    }


def eta_squared(values: np.ndarray, labels_pred: np.ndarray) -> float:
    """Share of the variance of ``values`` explained by the segments (between / total).

    Customers whose value is missing (NaN) are left out.
    """
    values = np.asarray(values, dtype=float)
    known = ~np.isnan(values)
    values, labels_pred = values[known], np.asarray(labels_pred)[known]
    if len(values) == 0:
        return float("nan")
    total = ((values - values.mean()) ** 2).sum()
    if total == 0:
        return float("nan")
    between = sum(
        (labels_pred == k).sum() * (values[labels_pred == k].mean() - values.mean()) ** 2
        for k in np.unique(labels_pred)
    )
    return float(between / total)


def main_metric(available) -> str:
    """The metric a data set is judged by, among the names ``available`` (one method's
    scores): ARI where labels exist, else the eta² of the first outcome (hold-out spend for
    a purchase log, churn for a churn table), else the silhouette.

    The one statement of the rule: the test report's verdict, the benchmark's winner and
    every setting chosen on a validation split use it.
    """
    if "ari" in available:
        return "ari"
    return next((name for name in available if name.endswith("_eta2")), "silhouette")


def is_binary(values) -> bool:
    """True when every known value is 0 or 1 (a rate: churned, bought again)."""
    values = np.asarray(values, dtype=float)
    return bool(np.isin(values[~np.isnan(values)], (0.0, 1.0)).all())


def outcome_by_segment(values: np.ndarray, labels_pred: np.ndarray, n_clusters: int) -> list[dict]:
    """Per segment ``0..n_clusters-1``: its customers and the mean of ``values`` over those
    whose value is known (for a 0/1 outcome, the rate). An empty segment's mean is NaN."""
    values, labels_pred = np.asarray(values, dtype=float), np.asarray(labels_pred)
    rows = []
    for k in range(n_clusters):
        mine = values[labels_pred == k]
        known = mine[~np.isnan(mine)]
        rows.append(
            {
                "segment": k,
                "customers": int(len(mine)),
                "mean": float(known.mean()) if len(known) else float("nan"),
            }
        )
    return rows


def prediction_strength(labels_own: np.ndarray, labels_predicted: np.ndarray) -> float:
    """Prediction strength of a clustering (Tibshirani & Walther 2005, eq. 2.1).

    ``labels_own`` is half B's own clustering; ``labels_predicted`` assigns the same rows of B
    to the nearest centre of half A's clustering. For each of B's clusters, the share of its
    pairs of rows that A's centres also put together; the prediction strength is the
    smallest share over clusters with at least two rows. 1 means A's clustering predicts
    B's co-memberships perfectly.
    """
    labels_own, labels_predicted = np.asarray(labels_own), np.asarray(labels_predicted)
    shares = []
    for j in np.unique(labels_own):
        predicted = labels_predicted[labels_own == j]
        n = len(predicted)
        if n < 2:
            continue
        counts = np.unique(predicted, return_counts=True)[1]
        shares.append(float((counts * (counts - 1)).sum() / (n * (n - 1))))
    return min(shares) if shares else float("nan")
