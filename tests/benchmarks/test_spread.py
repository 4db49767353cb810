"""The partition-spread measurement behind benchmarks/choices/spread.md."""

import pytest

from benchmarks.harness.spread import partition_spread, percentile, spread_markdown


def test_percentile_by_hand():
    scores = [0.1, 0.2, 0.3, 0.4]
    assert percentile(scores, 0.25) == 50.0
    assert percentile(scores, 0.4) == 100.0
    assert percentile(scores, 0.0) == 0.0


def test_spread_scores_every_local_optimum_on_the_test_split():
    s = partition_spread("smoke", restarts=4, halvings=2)
    assert s["metric"] == "ari" and s["k"] == 5
    assert len(s["scores"]) == len(s["ari_with_best"]) == 4
    assert max(s["ari_with_best"]) == pytest.approx(1.0)  # the best optimum with itself
    assert s["score_at_best"] in s["scores"]
    assert s["inertia_spread"] >= 0 and 0 <= s["prediction_strength"] <= 1


def test_markdown_places_each_method_among_the_optima():
    spread = {
        "d": {
            "k": 3,
            "metric": "ari",
            "prediction_strength": 0.5,
            "inertia_spread": 0.02,
            "ari_with_best": [1.0, 0.4, 0.6],
            "scores": [0.2, 0.4, 0.6],
            "score_at_best": 0.2,
        }
    }
    results = {"d": {"methods": {"kmeans": {"ari": {"mean": 0.2}}, "idec": {"ari": {"mean": 0.5}}}}}
    text = spread_markdown(spread, results, {"date": "d", "machine": "m"})
    assert (
        "| d | 3 | ari | 0.50 | 2.0 % | 0.60 | 0.200 / 0.400 / 0.600 | 0.200 | "
        "0.200 (33 %) |  |  | 0.500 (67 %) |"
    ) in text
