"""``report.html``: one self-contained page per run for people who would rather look.

The comparison with the baselines and its verdict, the segments (names, sizes, what sets
them apart), the outcome rates per segment, the profiles and the plots, with every image
embedded as a data URI: the page opens from a file, offline, and can be mailed.
"""

from __future__ import annotations

import base64
from html import escape

import pandas as pd

from dec.evaluation.evaluate import METRIC_ORDER
from dec.evaluation.stability import shown_jaccard
from dec.evaluation.verdict import METHOD_TITLES, METRIC_NAMES, metric_name, verdict
from dec.segments.profiles import (
    APART,
    APART_NOTE,
    MEDIANS_NOTE,
    STABILITY,
    TYPICAL_FEATURES,
    median_cell,
)
from dec.utils.figures import smallest_text_share
from dec.utils.markdown import outcome, score
from dec.utils.markdown import percent as _percent

#: The figures ``test.py`` draws, in the order the page shows them, with captions.
FIGURES = {
    "segment_sizes": "How many customers each segment holds.",
    "segment_heatmap": "What each segment looks like: every numeric feature's "
    "segment mean against the whole customer base, in std.",
    "embedding_projection": "The customer embeddings, first two principal "
    "components, coloured by segment.",
    "confusion_matrix": "Segments against the known labels, test split.",
}

#: What each metric says, one sentence each, under the comparison.
METRIC_MEANINGS = {
    "acc": "share of customers in the segment matching their known label (best matching)",
    "nmi": "how much knowing the segment tells about the known label, 0 to 1",
    "ari": "agreement of the segments with the known labels, 0 = chance, 1 = identical",
    "silhouette": "how much closer customers are to their own segment than to the next, -1 to 1",
    "davies_bouldin": "how much segments overlap relative to their size; lower is better",
    "calinski_harabasz": "spread between segments against spread within them; higher is better",
    "fit_seconds": "time to fit on the training split",
}

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1em auto; padding: 0 1em;
       max-width: 70em; color: #222; line-height: 1.4; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child, th.text, td.text { text-align: left; }
th { background: #f3f3f3; }
.verdict { font-size: 1.1em; background: #f6f8ff; border-left: 4px solid #4a6fd8;
           padding: 0.6em 1em; }
figure { margin: 1em 0; } img { max-width: 100%; height: auto; }
code { overflow-wrap: anywhere; }
figcaption, .note { color: #555; font-size: 0.9em; }
@media (max-width: 40em) {
  /* A phone: each row becomes a card, each cell a line under its column's name. */
  table, tbody, tr, td { display: block; }
  table { border: 0; }
  tr:first-child { display: none; }
  tr { border: 1px solid #ccc; border-radius: 4px; margin: 0.6em 0; padding: 0.3em 0.6em; }
  td { border: 0; padding: 0.15em 0; overflow-wrap: anywhere; }
  td::before { content: attr(data-label); float: left; color: #555; padding-right: 1em;
               text-align: left; }
  td.text::before { float: none; display: block; }
  td:first-child { font-weight: 600; }
  td:first-child::before { content: none; }
  h1 { font-size: 1.6em; }
}
"""


def report_html(
    report: dict, run_name: str, profiles: pd.DataFrame | None, figures: dict[str, bytes]
) -> str:
    """The page as a string.

    Parameters
    ----------
    report : dict
        ``test_report.json``'s payload (:func:`dec.evaluation.evaluate.evaluate`).
    run_name : str
    profiles : DataFrame or None
        ``profiles.csv`` (:func:`dec.segments.profiles.segment_profiles`), indexed by segment.
    figures : dict of str to bytes
        PNG bytes by figure name (keys of :data:`FIGURES`).
    """
    title = f"Segments of {report['dataset']}"
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p class='note'>Run <code>{escape(run_name)}</code>, k = {report['n_clusters']}, "
        f"seed {report.get('seed', '?')}. The comparison and the outcomes are measured on "
        f"the {report['n_samples']:,} held-out test customers, never seen in training; "
        "the segments and typical values describe all customers. Written by "
        "<code>scripts/test.py</code>.</p>",
        f"<p class='verdict'>{escape(verdict(report, METRIC_NAMES))}</p>",
        "<h2>Deep model against the classical methods</h2>",
        _comparison(report),
    ]
    if profiles is not None:
        total = int(profiles["size"].sum())
        body += [
            "<h2>The segments</h2>",
            f"<p class='note'>All {total:,} customers.</p>",
            _segments(profiles),
            f"<p class='note'>{escape(APART_NOTE)}</p>",
        ]
    body += _stability(report)
    body += _value(report, profiles)
    body += _outcomes(report, profiles)
    if profiles is not None:
        body += [
            "<h2>Typical values</h2>",
            f"<p class='note'>{escape(MEDIANS_NOTE)}; all customers.</p>",
            _medians(profiles),
        ]
    else:
        body.append(
            "<p class='note'>Profiles and plots were skipped (<code>--no-profiles</code>).</p>"
        )
    for name, caption in FIGURES.items():
        if name in figures:
            body.append(_figure(name, caption, figures[name], figures.get(name + "_phone")))
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _table(header: list[str], rows: list[list], text: tuple[int, ...] = (0,)) -> str:
    """An HTML table; the columns numbered in ``text`` are left-aligned. Each cell carries
    its column's name (``data-label``): on a phone the rows become cards that show it."""
    head = "".join(
        f"<th{' class=text' if i in text else ''}>{escape(str(h))}</th>"
        for i, h in enumerate(header)
    )
    lines = [f"<table>\n<tr>{head}</tr>"]
    for row in rows:
        cells = "".join(
            f"<td data-label='{escape(str(h))}'{' class=text' if i in text else ''}>"
            f"{escape(str(c))}</td>"
            for i, (h, c) in enumerate(zip(header, row))
        )
        lines.append(f"<tr>{cells}</tr>")
    # On a desktop a table wider than the page scrolls inside its box.
    return "<div class='scroll'>" + "\n".join(lines) + "\n</table></div>"


def _figure(name: str, caption: str, png: bytes, phone: bytes | None) -> str:
    """A figure; where it has a phone version, a small screen shows that one at two image
    pixels a CSS pixel. Each image says how big its smallest text is (``data-text-share``,
    :func:`~dec.utils.figures.smallest_text_share`) so that a browser test can measure it."""
    img = f"<img alt='{escape(name)}' src='{_png_uri(png)}'{_text_share(png)}>"
    if phone is not None:
        img = (
            f"<picture><source media='(max-width: 40em)' srcset='{_png_uri(phone)} 2x'"
            f"{_text_share(phone)}>{img}</picture>"
        )
    return f"<figure>{img}<figcaption>{escape(caption)}</figcaption></figure>"


def _png_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _text_share(png: bytes) -> str:
    share = smallest_text_share(png)
    return f" data-text-share='{share}'" if share is not None else ""


def _number(value, percent: bool = False) -> str:
    return _percent(value) if percent else score(value)


def _comparison(report: dict) -> str:
    methods = report["methods"]
    metrics = [m for m in METRIC_ORDER if m in next(iter(methods.values()))]
    outcome_metrics = list(next(iter(report.get("outcomes", {}).values()), {}))
    rows = [
        [
            METHOD_TITLES.get(name, name),
            *(_number(scores[m]) for m in metrics),
            *(_number(report["outcomes"][name][m]) for m in outcome_metrics),
        ]
        for name, scores in methods.items()
    ]
    meanings = [
        f"<li><b>{escape(m)}</b>: {escape(METRIC_MEANINGS[m])}</li>"
        for m in metrics
        if m in METRIC_MEANINGS
    ]
    meanings += [
        f"<li><b>{escape(m)}</b>: {escape(metric_name(m))}, the share of its "
        "variance the segments account for, 0 to 1</li>"
        for m in outcome_metrics
    ]
    note = (
        "<p class='note'>Internal metrics use the preprocessed inputs for every method. "
        "What each column says:</p><ul class='note'>" + "".join(meanings) + "</ul>"
    )
    return _table(["method", *metrics, *outcome_metrics], rows) + "\n" + note


def _segments(profiles: pd.DataFrame) -> str:
    rows = [
        [
            seg,
            row["name"],
            f"{int(row['size']):,}",
            _number(row["share"], percent=True),
            row.get("distinguishing", ""),
        ]
        for seg, row in profiles.iterrows()
    ]
    # Without RFM columns, column 2 is a number; left-aligning it costs nothing.
    header = ["segment", "name", "customers", "share", APART]
    if "rfm" in profiles.columns:
        rows = [[*r[:2], rfm, *r[2:]] for r, rfm in zip(rows, profiles["rfm"])]
        header = [*header[:2], "RFM", *header[2:]]
    if "stability" in profiles.columns:
        rows = [[*r, cell] for r, cell in zip(rows, profiles["stability"])]
        header = [*header, STABILITY]
    words = ("name", "RFM", APART, STABILITY)
    return _table(header, rows, text=tuple(i for i, h in enumerate(header) if h in words))


def _outcomes(report: dict, profiles: pd.DataFrame | None) -> list[str]:
    by_segment = report.get("outcome_by_segment", {}).get("dec")
    if not by_segment:
        return []
    binary = set(report.get("binary_outcomes", []))
    names = profiles["name"].to_dict() if profiles is not None else {}
    columns = list(by_segment)
    first = by_segment[columns[0]]
    rows = [
        [
            s["segment"],
            names.get(s["segment"], ""),
            f"{s['customers']:,}",
            *(outcome(by_segment[c][i]["mean"], c in binary) for c in columns),
        ]
        for i, s in enumerate(first)
    ]
    header = [
        "segment",
        "name",
        "test customers",
        *(f"{c} ({'rate' if c in binary else 'mean'})" for c in columns),
    ]
    return [
        "<h2>Outcomes by segment</h2>",
        "<p class='note'>The deep model's segments on the test split; the outcomes "
        "were never features. Other methods' rates are in test_report.md.</p>",
        _table(header, rows, text=(0, 1)),
    ]


def _medians(profiles: pd.DataFrame, max_features: int = TYPICAL_FEATURES) -> str:
    """A row per feature, a column per segment: segments are few, features can be many,
    and a table grows down the page better than across it."""
    features = [c.removeprefix("median_") for c in profiles.columns if c.startswith("median_")][
        :max_features
    ]
    header = ["feature", *(f"{seg} {row['name']}" for seg, row in profiles.iterrows())]
    rows = [[f, *(median_cell(row, f) for _, row in profiles.iterrows())] for f in features]
    return _table(header, rows)


def _stability(report: dict) -> list[str]:
    """Each segment's bootstrap Jaccard and reading, where test.py measured it."""
    stability = report.get("stability")
    if not stability:
        return []
    first = next(iter(stability.values()))
    rows = [
        [
            METHOD_TITLES.get(name, name),
            _number(entry["jaccard_mean"]),
            " · ".join(
                f"{s['segment']}: {shown_jaccard(s['jaccard_mean'])} {s['reading']}"
                for s in entry["segments"]
            ),
        ]
        for name, entry in stability.items()
    ]
    return [
        "<h2>Would the segments come back? Bootstrap stability</h2>",
        f"<p class='note'>Each method refitted on {first['resamples']} bootstrap "
        f"resamples of {first['rows']:,} training customers; a segment's score is its "
        "mean Jaccard overlap with the best-matching segment of the refit (Hennig 2007: "
        "0.5 or less dissolved, 0.75 or more valid, 0.85 or more highly stable).</p>",
        _table(["method", "mean Jaccard", "segment: Jaccard, reading"], rows, text=(0, 2)),
    ]


def _value(report: dict, profiles: pd.DataFrame | None) -> list[str]:
    """Each segment's predicted value, where test.py --clv fitted the value models."""
    block = report.get("value")
    if not block:
        return []
    from dec.evaluation.value_report import value_sentences, value_table

    names = _names(profiles)
    first, *rest = value_sentences(block, names)
    header, rows = value_table(block, names)
    return [
        "<h2>What each segment is worth</h2>",
        f"<p class='note'>{escape(first)}</p>",
        _table(header, rows),
        *(f"<p>{escape(line)}</p>" for line in rest),
    ]


def _names(profiles: pd.DataFrame | None) -> dict[int, str]:
    """The same labels as test_report.md's (:func:`~dec.evaluation.evaluate.segment_labels`)."""
    if profiles is None or "name" not in profiles:
        return {}
    return {int(segment): f"{segment} {name}" for segment, name in profiles["name"].items()}


def write_report_html(run, report: dict, *, with_profiles: bool = True):
    """Write ``report.html`` into the run folder ``run`` (a :class:`~dec.runs.rundir.RunDir`)
    from the report and the profiles and figures already there; return its path."""
    profiles = run.read_profiles() if with_profiles else None
    names = [*FIGURES, *(f"{name}_phone" for name in FIGURES)]
    figures = run.read_figures(names) if with_profiles else {}
    return run.write_html(report_html(report, run.path.name, profiles, figures))
