import numpy as np
import pytest

from dec.metrics import (
    cluster_accuracy,
    eta_squared,
    internal_metrics,
    is_binary,
    label_metrics,
    outcome_by_segment,
)


def test_accuracy_ignores_cluster_numbering():
    assert cluster_accuracy([0, 0, 1, 1, 2, 2], [1, 1, 0, 0, 2, 2]) == 1.0


def test_accuracy_by_hand():
    # best mapping 0->0, 1->1 gets 5 of 6 right
    assert cluster_accuracy([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1]) == pytest.approx(5 / 6)


def test_accuracy_with_more_clusters_than_classes():
    # 3 clusters, 2 classes: only two clusters can be matched; 4 of 6 right
    assert cluster_accuracy([0, 0, 0, 1, 1, 1], [0, 0, 2, 1, 1, 2]) == pytest.approx(4 / 6)


def test_label_metrics_perfect_and_keys():
    scores = label_metrics([0, 0, 1, 1], [5, 5, 7, 7])
    assert scores == {"acc": 1.0, "nmi": pytest.approx(1.0), "ari": pytest.approx(1.0)}


def test_eta_squared_by_hand():
    # mean 2.5; between = 2(1.5-2.5)^2 + 2(3.5-2.5)^2 = 4; total = 5
    assert eta_squared(np.array([1, 2, 3, 4]), np.array([0, 0, 1, 1])) == pytest.approx(0.8)


def test_internal_metrics_prefer_true_partition():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(0, 0.3, (50, 2)), rng.normal(5, 0.3, (50, 2))])
    good = np.repeat([0, 1], 50)
    bad = rng.integers(0, 2, 100)
    g, b = internal_metrics(x, good), internal_metrics(x, bad)
    assert g["silhouette"] > b["silhouette"]
    assert g["davies_bouldin"] < b["davies_bouldin"]
    assert g["calinski_harabasz"] > b["calinski_harabasz"]


def test_internal_metrics_single_cluster_is_nan():
    scores = internal_metrics(np.zeros((5, 2)), np.zeros(5, dtype=int))
    assert all(np.isnan(v) for v in scores.values())


def test_prediction_strength_by_hand():
    from dec.metrics import prediction_strength

    # B's cluster 0 = rows 0-3, A's centres split it 3 + 1: pairs kept 3*2 / (4*3) = 0.5;
    # B's cluster 1 = rows 4-6, all together: 1.0 -> the minimum is 0.5
    own = [0, 0, 0, 0, 1, 1, 1]
    predicted = [2, 2, 2, 0, 1, 1, 1]
    assert prediction_strength(own, predicted) == 0.5
    assert prediction_strength(own, own) == 1.0
    # singleton clusters have no pairs and do not count
    assert prediction_strength([0, 0, 1], [5, 5, 3]) == 1.0


def test_unknown_labels_are_left_out_not_a_class_of_their_own():
    from dec.metrics import UNKNOWN_LABEL, label_metrics

    truth = np.array([0, 0, 1, 1, UNKNOWN_LABEL, UNKNOWN_LABEL])
    predicted = np.array([1, 1, 0, 0, 0, 1])
    assert label_metrics(truth, predicted) == {"acc": 1.0, "nmi": 1.0, "ari": 1.0}


def test_eta_squared_leaves_missing_outcomes_out():
    # Known values 1, 3 (segment 0) and 5 (segment 1): mean 3, total SS 8; between:
    # 2 * (2 - 3)^2 + 1 * (5 - 3)^2 = 6, so eta² = 6 / 8.
    values = np.array([1.0, 3.0, np.nan, 5.0])
    assert eta_squared(values, np.array([0, 0, 1, 1])) == pytest.approx(0.75)
    assert np.isnan(eta_squared(np.array([np.nan, np.nan]), np.array([0, 1])))


def test_outcome_by_segment_by_hand():
    churn = np.array([1.0, 0.0, 0.0, np.nan, 1.0])
    rows = outcome_by_segment(churn, np.array([0, 0, 1, 1, 1]), n_clusters=3)
    assert rows[0] == {"segment": 0, "customers": 2, "mean": 0.5}
    assert rows[1] == {"segment": 1, "customers": 3, "mean": 0.5}  # the unknown one left out
    assert rows[2]["customers"] == 0 and np.isnan(rows[2]["mean"])
    assert is_binary(churn) and not is_binary(np.array([0.0, 2.0]))


def test_main_metric_rule():
    from dec.metrics import main_metric

    assert main_metric({"acc": 0.9, "ari": 0.8, "spend_eta2": 0.1}) == "ari"
    assert main_metric(["silhouette", "spend_eta2", "active_eta2"]) == "spend_eta2"
    assert main_metric(["silhouette", "davies_bouldin"]) == "silhouette"
