"""Per-segment stability: the bootstrap Jaccard of each segment (Hennig 2007, ``fpc::clusterboot``).

A segment is stable when, clustering a resample of the customers again, some segment of
the new clustering holds nearly the same customers. Hennig (2007, *Computational
Statistics & Data Analysis* 52, §2-3) measures it per cluster: draw a bootstrap resample,
cluster it, take the Jaccard similarity of the original cluster (restricted to the drawn
rows) with its best-matching new cluster, and average over resamples. His reading: a mean
of 0.5 or less means the cluster *dissolves*; 0.75 or more, a *valid*, stable cluster;
0.85 or more, *highly stable*. Between 0.5 and 0.75 we say *uncertain*: a pattern is
there, but which customers belong to it is doubtful.

These are pure functions of label vectors; :mod:`dec.evaluation.bootstrap` draws the resamples and
refits the models.
"""

from __future__ import annotations

import numpy as np

from dec.utils.markdown import markdown_table

#: Hennig's thresholds on the mean Jaccard: at or below DISSOLVED a segment dissolves.
DISSOLVED, VALID, HIGHLY_STABLE = 0.5, 0.75, 0.85


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity |A ∩ B| / |A ∪ B| of two memberships of the same rows.

    Parameters
    ----------
    a, b : boolean arrays of shape (n,)
        Row i belongs to the first (second) cluster. In a bootstrap resample a customer
        drawn twice is two rows and counts twice, as in ``clusterboot``.

    Returns
    -------
    float
        0.0 where both are empty (``clusterboot``'s ``zerobyzero = 0``).
    """
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def best_match_jaccards(reference: np.ndarray, refit: np.ndarray, n_clusters: int) -> np.ndarray:
    """For each reference segment, its Jaccard with the best-matching refit segment.

    Parameters
    ----------
    reference : int array of shape (n,)
        The original segments (0 .. n_clusters - 1) of the resampled rows.
    refit : int array of shape (n,)
        The segments the model refitted on the resample gives the same rows; any labels.
    n_clusters : int

    Returns
    -------
    ndarray of shape (n_clusters,)
        ``max_j jaccard(reference == i, refit == j)``; NaN for a segment with no row in
        the resample (it cannot be judged by this resample).
    """
    reference, refit = np.asarray(reference), np.asarray(refit)
    scores = np.full(n_clusters, np.nan)
    for i in range(n_clusters):
        members = reference == i
        if members.any():
            scores[i] = max(jaccard(members, refit == j) for j in np.unique(refit))
    return scores


def reading(mean_jaccard: float) -> str:
    """Hennig's reading of a segment's mean bootstrap Jaccard: ``"dissolved"`` (≤ 0.5),
    ``"uncertain"`` (< 0.75), ``"valid"`` (< 0.85) or ``"highly stable"``; ``"n/a"`` for NaN."""
    if not np.isfinite(mean_jaccard):
        return "n/a"
    if mean_jaccard >= HIGHLY_STABLE:
        return "highly stable"
    if mean_jaccard >= VALID:
        return "valid"
    return "uncertain" if mean_jaccard > DISSOLVED else "dissolved"


def shown_jaccard(mean_jaccard: float) -> str:
    """A mean Jaccard as a report prints it: two decimals, or as many more as it takes (up
    to seven) for the printed number to read as the value does. 0.749 is "uncertain";
    printed "0.75" it would sit on the "valid" threshold, so it is printed "0.749"."""
    if not np.isfinite(mean_jaccard):
        return "n/a"
    for decimals in range(2, 8):
        text = f"{mean_jaccard:.{decimals}f}"
        if reading(float(text)) == reading(mean_jaccard):
            return text
    return repr(float(mean_jaccard))


def segment_table(jaccards: np.ndarray, sizes: np.ndarray | None = None) -> list[dict]:
    """One entry per segment from the per-resample best-match Jaccards.

    Parameters
    ----------
    jaccards : ndarray of shape (n_resamples, n_clusters)
        Rows from :func:`best_match_jaccards`; NaN where a segment was not drawn.
    sizes : int array of shape (n_clusters,), optional
        Customers per segment in the reference clustering.

    Returns
    -------
    list of dict
        ``{"segment", "jaccard_mean", "jaccard_min", "reading", "resamples"}`` (and
        ``"customers"`` given ``sizes``); ``resamples`` counts those that drew the segment.
    """
    jaccards = np.atleast_2d(np.asarray(jaccards, dtype=float))
    table = []
    for segment, column in enumerate(jaccards.T):
        drawn = column[np.isfinite(column)]
        mean = float(drawn.mean()) if len(drawn) else float("nan")
        entry = {
            "segment": segment,
            "jaccard_mean": mean,
            "jaccard_min": float(drawn.min()) if len(drawn) else float("nan"),
            "reading": reading(mean),
            "resamples": int(len(drawn)),
        }
        if sizes is not None:
            entry["customers"] = int(sizes[segment])
        table.append(entry)
    return table


def stability_markdown(stability: dict, titles: dict[str, str] | None = None) -> list[str]:
    """Markdown lines for the ``stability`` entry of a test report: the deep model's
    segments one by one, then every method's mean and its segments' readings."""
    titles = titles or {}
    first = next(iter(stability.values()))
    lines = [
        "",
        f"Segment stability: bootstrap Jaccard over {first['resamples']} resamples of "
        f"{first['rows']:,} training customers (Hennig 2007: 0.5 or less dissolved, "
        "0.75 or more valid, 0.85 or more highly stable).",
        "",
    ]
    if "dec" in stability:
        rows = [
            [
                str(s["segment"]),
                f"{s.get('customers', 0):,}",
                _number(s["jaccard_mean"]),
                _number(s["jaccard_min"]),
                s["reading"],
            ]
            for s in stability["dec"]["segments"]
        ]
        lines += [
            markdown_table(
                ["DEC/IDEC segment", "customers", "mean Jaccard", "lowest", "reading"],
                rows,
                align="lrrrl",
            ),
            "",
        ]
    readings = ("highly stable", "valid", "uncertain", "dissolved")
    rows = []
    for name, entry in stability.items():
        counts = [sum(s["reading"] == r for s in entry["segments"]) for r in readings]
        rows.append(
            [
                titles.get(name, name),
                _number(entry["jaccard_mean"]),
                *map(str, counts),
                f"{entry['seconds']:.0f}",
                entry["refit"],
            ]
        )
    lines.append(
        markdown_table(
            ["method", "mean Jaccard", *readings, "seconds", "a refit is"], rows, align="lrrrrrrl"
        )
    )
    agreement = stability.get("dec", {}).get("seed_agreement")
    if agreement is not None:
        lines += [
            "",
            f"The seeds trained for this run agreed with each other at a mean ARI "
            f"of {agreement:.3f}.",
        ]
    return lines


def _number(value: float) -> str:
    return shown_jaccard(value)
