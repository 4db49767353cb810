import math

from dec.evaluation.evaluate import report_markdown
from dec.evaluation.verdict import metric_winners, verdict


def _report(dec, km):
    return {
        "dataset": "x",
        "split": "test",
        "n_samples": 10,
        "n_clusters": 2,
        "seed": 0,
        "methods": {"dec": dec, "kmeans": km, "ae_kmeans": km},
    }


def test_winners_respect_direction_of_each_metric():
    dec = {"ari": 0.6, "silhouette": 0.1, "davies_bouldin": 3.0, "calinski_harabasz": 300.0}
    km = {"ari": 0.5, "silhouette": 0.2, "davies_bouldin": 2.0, "calinski_harabasz": 300.0}
    assert metric_winners(dec, km) == (["ari"], ["silhouette", "davies_bouldin"])


def test_verdict_says_when_kmeans_wins():
    text = verdict(_report({"ari": 0.4, "silhouette": 0.3}, {"ari": 0.5, "silhouette": 0.2}))
    assert text.startswith("KMeans beats DEC on ari: 0.500 vs 0.400 (-0.100).")
    assert "DEC is better on silhouette" in text


def test_verdict_without_labels_uses_silhouette_and_nan_gives_no_verdict():
    assert "on silhouette" in verdict(_report({"silhouette": 0.3}, {"silhouette": 0.2}))
    assert verdict(_report({"silhouette": math.nan}, {"silhouette": 0.2})).startswith("No verdict")


def test_markdown_has_a_row_per_method_and_outcomes():
    scores = {
        "ari": 0.5,
        "silhouette": 0.1,
        "davies_bouldin": 2.0,
        "calinski_harabasz": 10.0,
        "fit_seconds": 1.0,
    }
    report = _report(scores, scores)
    report["outcomes"] = {m: {"holdout_spend_eta2": 0.1} for m in ("dec", "kmeans", "ae_kmeans")}
    text = report_markdown(report)
    assert text.count("| DEC/IDEC |") == 2 and "holdout_spend_eta2" in text and "tie" in text


def test_outcome_data_is_judged_by_holdout_spend_eta2():
    scores = {"silhouette": 0.3, "davies_bouldin": 1.0, "calinski_harabasz": 10.0}
    report = _report(scores, {**scores, "silhouette": 0.4})
    report["outcomes"] = {
        "dec": {"holdout_spend_eta2": 0.12, "holdout_active_eta2": 0.18},
        "kmeans": {"holdout_spend_eta2": 0.09, "holdout_active_eta2": 0.21},
        "ae_kmeans": {"holdout_spend_eta2": 0.1, "holdout_active_eta2": 0.2},
    }
    text = verdict(report)
    assert text.startswith("DEC beats KMeans on holdout_spend_eta2: 0.120 vs 0.090")
    assert "DEC is better on holdout_spend_eta2" in text
    assert "KMeans is better on silhouette, holdout_active_eta2" in text


def test_verdict_names_the_best_of_all_methods():
    report = _report({"ari": 0.62}, {"ari": 0.54})
    report["methods"]["gmm"] = {"ari": 0.72}
    text = verdict(report)
    assert text.startswith("DEC beats KMeans on ari: 0.620 vs 0.540")
    assert text.endswith("Best of all methods on ari: GMM (inputs) (0.720).")
