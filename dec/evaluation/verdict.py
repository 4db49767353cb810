"""Who wins, in words: the main metric a data set is judged by, and the verdict sentence
of ``test_report.md`` and ``report.html`` (metric keys, or plain names for the page)."""

from __future__ import annotations

import math

from dec import metrics

METHOD_TITLES = {
    "dec": "DEC/IDEC",
    "kmeans": "KMeans (inputs)",
    "ae_kmeans": "AE + KMeans (embeddings)",
    "gmm": "GMM (inputs)",
}
HIGHER_IS_BETTER = {
    "acc": True,
    "nmi": True,
    "ari": True,
    "silhouette": True,
    "davies_bouldin": False,
    "calinski_harabasz": True,
}


def main_metric(report: dict) -> tuple[str, dict[str, float]]:
    """The metric a data set is judged by (:func:`dec.metrics.main_metric`), and its
    value per method."""
    outcomes = report.get("outcomes", {})
    scores = {m: {**v, **outcomes.get(m, {})} for m, v in report["methods"].items()}
    metric = metrics.main_metric(scores["dec"])
    return metric, {m: v[metric] for m, v in scores.items()}


def verdict(report: dict, names: dict[str, str] | None = None) -> str:
    """Say plainly who wins the main metric, and where KMeans wins the others; metrics
    by their keys, or by ``names`` (e.g. :data:`METRIC_NAMES`, for readers of the page)."""

    def say(key: str) -> str:
        return metric_name(key, names) if names else key

    metric, values = main_metric(report)
    dec, km = values["dec"], values["kmeans"]
    if any(isinstance(v, float) and math.isnan(v) for v in (dec, km)):
        return f"No verdict: {say(metric)} is undefined for one of the methods."
    if dec > km:
        line = f"DEC beats KMeans on {say(metric)}: {dec:.3f} vs {km:.3f} (+{dec - km:.3f})."
    elif dec < km:
        line = f"KMeans beats DEC on {say(metric)}: {km:.3f} vs {dec:.3f} ({dec - km:+.3f})."
    else:
        line = f"DEC and KMeans tie on {say(metric)}: {dec:.3f}."
    dec_all = {**report["methods"]["dec"], **report.get("outcomes", {}).get("dec", {})}
    km_all = {**report["methods"]["kmeans"], **report.get("outcomes", {}).get("kmeans", {})}
    dec_wins, km_wins = metric_winners(dec_all, km_all)
    if dec_wins:
        line += f" DEC is better on {', '.join(map(say, dec_wins))}."
    if km_wins:
        line += f" KMeans is better on {', '.join(map(say, km_wins))}."
    return line + best_overall(say(metric), values)


#: Metrics in words, for readers who do not know the keys.
METRIC_NAMES = {
    "acc": "accuracy against the known labels",
    "nmi": "information shared with the known labels (NMI)",
    "ari": "agreement with the known labels (ARI)",
    "silhouette": "separation of the segments (silhouette)",
    "davies_bouldin": "overlap of the segments (Davies-Bouldin)",
    "calinski_harabasz": "spread between against within segments (Calinski-Harabasz)",
}


def metric_name(key: str, names: dict[str, str] | None = None) -> str:
    """A metric key in words: ``names[key]``, ``"<outcome> explained (eta²)"`` for an
    outcome's eta², else the key."""
    names = METRIC_NAMES if names is None else names
    if key in names:
        return names[key]
    return f"{key.removesuffix('_eta2')} explained (eta²)" if key.endswith("_eta2") else key


def best_overall(metric: str, values: dict[str, float]) -> str:
    """`` Best of all methods on <metric>: <method> (<value>).``, naming a tie too."""
    finite = {m: v for m, v in values.items() if not (isinstance(v, float) and math.isnan(v))}
    if len(finite) < 3:  # DEC and KMeans only: the sentence before says it all
        return ""
    top = max(finite.values())
    winners = [METHOD_TITLES.get(m, m) for m, v in finite.items() if v == top]
    return f" Best of all methods on {metric}: {' and '.join(winners)} ({top:.3f})."


def metric_winners(dec: dict, kmeans: dict) -> tuple[list[str], list[str]]:
    """Metrics on which DEC, and on which KMeans, is strictly better."""
    dec_wins, km_wins = [], []
    outcome_metrics = {m: True for m in dec if m.endswith("_eta2")}
    for metric, higher in {**HIGHER_IS_BETTER, **outcome_metrics}.items():
        a, b = dec.get(metric), kmeans.get(metric)
        if a is None or b is None or math.isnan(a) or math.isnan(b) or a == b:
            continue
        (dec_wins if (a > b) == higher else km_wins).append(metric)
    return dec_wins, km_wins
