"""Segment profiles a marketer can read: size, typical values, lift, and a name.

Everything is computed on the original, unscaled features, so the numbers mean what they
mean in the customer table (dollars, days, orders).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dec.data.columns import MISSING, is_numeric
from dec.evaluation.stability import shown_jaccard
from dec.segments.rfm import find_rfm_columns, rfm_naming
from dec.utils.markdown import human, markdown_table, outcome, percent

#: Traits named per segment in "what sets it apart".
TOP_FEATURES = 3

#: Features in the typical-values tables of profiles.md and report.html (the first ones).
TYPICAL_FEATURES = 12

#: The column of each segment's bootstrap Jaccard (``test.py --stability``): named for
#: what it measures, apart from the sweep's agreement (an ARI across seeds).
STABILITY = "bootstrap stability (Jaccard)"


def segment_profiles(
    features: pd.DataFrame,
    segments: np.ndarray,
    outcomes: pd.DataFrame | None = None,
    rfm_columns: dict[str, str | None] | None = None,
) -> pd.DataFrame:
    """One row per segment: name, size, share, distinguishing features, mean/median/lift
    (segment mean / overall mean), ratio (segment median / overall median), and the mean
    of each outcome.

    Parameters
    ----------
    features : DataFrame of shape (n_customers, n_columns)
        Original (unscaled) customer features.
    segments : ndarray of shape (n_customers,)
    outcomes : DataFrame of shape (n_customers, n_outcomes), optional
        What judges the segments (churn, hold-out spend); never used to name them.
        Columns ``outcome_<name>`` hold each segment's mean (for 0/1, the rate).
    rfm_columns : dict, optional
        ``{"recency": ..., "frequency": ..., "monetary": ...}`` named by the user; roles
        not given are found by name (:func:`find_rfm_columns`).

    Returns
    -------
    DataFrame indexed by segment number.
    """
    segments = np.asarray(segments)
    numeric = [c for c in features.columns if is_numeric(features[c])]
    categorical = [c for c in features.columns if c not in numeric]
    overall_mean, overall_median = features[numeric].mean(), features[numeric].median()
    overall_std = features[numeric].std(ddof=0).replace(0, np.nan)
    rfm = find_rfm_columns(numeric, rfm_columns)
    rows = []
    for seg in np.unique(segments):
        part = features[segments == seg]
        mean, median = part[numeric].mean(), part[numeric].median()
        z = ((mean - overall_mean) / overall_std).dropna()
        traits = [(abs(v), f"{'high' if v > 0 else 'low'} {c}") for c, v in z.items()]
        traits = sorted(traits + _category_traits(part, features, categorical), reverse=True)
        row = {
            "segment": int(seg),
            "size": len(part),
            "share": len(part) / len(features),
            "distinguishing": "; ".join(t for _, t in traits[:TOP_FEATURES]),
        }
        if rfm:
            row.update(rfm_naming(features, median, rfm, numeric))
        else:
            row["name"] = ", ".join(t for _, t in traits[:2]) or f"segment {seg}"
        for column in numeric:
            row[f"mean_{column}"] = mean[column]
            row[f"median_{column}"] = median[column]
            base = overall_mean[column]
            row[f"lift_{column}"] = mean[column] / base if base else np.nan
            typical = overall_median[column]
            row[f"ratio_{column}"] = median[column] / typical if typical else np.nan
        if outcomes is not None:
            row.update(
                {f"outcome_{c}": outcomes[c][segments == seg].mean() for c in outcomes.columns}
            )
        rows.append(row)
    table = pd.DataFrame(rows).set_index("segment")
    table["name"] = _distinct(table["name"].tolist(), table["distinguishing"].tolist())
    first = ["name", *(["rfm"] if rfm else []), "size", "share", "distinguishing"]
    return table[first + [c for c in table.columns if c not in first]]


def names_by_segment(table: pd.DataFrame, n_clusters: int) -> list[str]:
    """The name of each segment ``0..n_clusters-1`` in a profile table; ``(empty)`` for a
    segment no customer fell into (it has no row)."""
    return table["name"].reindex(range(n_clusters)).fillna("(empty)").astype(str).tolist()


def _category_traits(
    part: pd.DataFrame, features: pd.DataFrame, categorical: list[str]
) -> list[tuple[float, str]]:
    """The most over-represented category of each categorical column, with its strength."""
    traits = []
    for column in categorical:
        share_in = part[column].fillna(MISSING).value_counts(normalize=True)
        share_all = features[column].fillna(MISSING).value_counts(normalize=True)
        lift = (share_in / share_all).dropna()
        if len(lift):
            top = lift.idxmax()
            # A category twice as common as usual is as telling as ~1 std of a number.
            traits.append((float(np.log2(lift[top])), f"more {column}={top}"))
    return traits


def _distinct(names: list[str], traits: list[str]) -> list[str]:
    """Tell repeated names apart by each segment's strongest trait, then by number."""
    counts = pd.Series(names).value_counts()
    out = [f"{n} · {t.split(';')[0]}" if counts[n] > 1 and t else n for n, t in zip(names, traits)]
    seen: dict[str, int] = {}
    for i, name in enumerate(out):
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            out[i] = f"{name} {seen[name]}"
    return out


#: How the typical-values tables read: medians, against the median customer, the same
#: statistic the RFM scores rank, so a name and its numbers agree.
MEDIANS_NOTE = (
    "Median of each feature, and in brackets its ratio to the median customer's "
    "(n/a where that median is 0)"
)

#: The column of traits, named for the statistic it ranks: means, unlike the medians of
#: the typical values (a count that is 1 for most customers has the same median in every
#: segment, but not the same mean).
APART = "what sets it apart (means)"

#: What that column says, under the table that has it.
APART_NOTE = (
    "What sets it apart: the features whose segment mean lies furthest from all customers' "
    "mean, in standard deviations (the heatmap's numbers), and categories much more common "
    "than usual. The typical values are medians, so a trait and a typical value can differ."
)


def median_cell(row: pd.Series, feature: str) -> str:
    """``"219 (1.46×)"``: a segment's median of ``feature`` and its ratio to all
    customers' median (``n/a`` where that median is 0)."""
    ratio = pd.to_numeric(row.get(f"ratio_{feature}", np.nan), errors="coerce")
    ratio_text = f"{ratio:.2f}×" if pd.notna(ratio) and np.isfinite(ratio) else "n/a"
    return f"{human(row[f'median_{feature}'])} ({ratio_text})"


def profiles_markdown(table: pd.DataFrame, max_features: int = TYPICAL_FEATURES, binary=()) -> str:
    """Readable summary: who each segment is, then typical values of key features; the
    outcomes named in ``binary`` (0/1) as rates."""
    names = [
        row["name"] + (f" ({row['rfm']})" if "rfm" in table.columns else "")
        for _, row in table.iterrows()
    ]
    stable = "stability" in table.columns
    lines = [
        "# Segment profiles",
        "",
        markdown_table(
            [
                "segment",
                "name",
                "customers",
                "share",
                APART,
                *([STABILITY] if stable else []),
            ],
            [
                [
                    seg,
                    name,
                    f"{row['size']:,}",
                    percent(row["share"]),
                    row["distinguishing"],
                    *([row["stability"]] if stable else []),
                ]
                for (seg, row), name in zip(table.iterrows(), names)
            ],
            align="rlrrl" + ("l" if stable else ""),
        ),
        "",
        APART_NOTE,
    ]
    if "clv_share" in table.columns:
        seg = table["clv_share"].idxmax()
        lines += [
            "",
            f"Most valuable segment: {seg} {table.loc[seg, 'name']}, "
            f"{percent(table.loc[seg, 'clv_share'])} of the test customers' predicted value "
            f"(mean CLV {human(table.loc[seg, 'clv_mean'])}; test_report.md).",
        ]
    features = [c.removeprefix("median_") for c in table.columns if c.startswith("median_")]
    features = features[:max_features]
    if features:
        lines += [
            "",
            f"{MEDIANS_NOTE}:",
            "",
            markdown_table(
                ["segment", *features],
                [
                    [f"{seg} {row['name']}", *(median_cell(row, f) for f in features)]
                    for seg, row in table.iterrows()
                ],
                align="r" * (len(features) + 1),
            ),
        ]
    outcomes = [c.removeprefix("outcome_") for c in table.columns if c.startswith("outcome_")]
    if outcomes:
        lines += [
            "",
            "Outcomes per segment (mean; for a yes/no outcome, the rate), all customers. "
            "They judge "
            "the segments and were never features:",
            "",
            markdown_table(
                ["segment", *outcomes],
                [
                    [
                        f"{seg} {row['name']}",
                        *(outcome(row[f"outcome_{o}"], o in binary) for o in outcomes),
                    ]
                    for seg, row in table.iterrows()
                ],
                align="r" * (len(outcomes) + 1),
            ),
        ]
    return "\n".join(lines) + "\n"


def write_profiles(run_dir, table: pd.DataFrame, binary=()) -> tuple[Path, Path]:
    """Write ``profiles.csv`` and ``profiles.md`` atomically."""
    from dec.runs.rundir import RunDir

    markdown = profiles_markdown(table, binary=binary)
    return RunDir(run_dir).write_profiles(table.to_csv(), markdown)


def add_stability(table: pd.DataFrame, report: dict | None) -> pd.DataFrame:
    """A ``stability`` column (``"0.93 highly stable"``) from the deep model's entries of
    a test report's ``stability`` (:func:`dec.evaluation.bootstrap.segment_stability`); unchanged
    where the report has none."""
    segments = ((report or {}).get("stability") or {}).get("dec", {}).get("segments")
    if not segments:
        return table
    by_segment = {s["segment"]: s for s in segments}
    cells = []
    for seg in table.index:
        entry = by_segment.get(seg)
        cells.append(
            f"{shown_jaccard(entry['jaccard_mean'])} {entry['reading']}"
            if entry and np.isfinite(entry["jaccard_mean"])
            else "n/a"
        )
    return table.assign(stability=cells)


def add_value(table: pd.DataFrame, report: dict | None) -> pd.DataFrame:
    """``clv_mean`` and ``clv_share`` of each segment's test customers from a test report's
    ``value`` block (:mod:`dec.evaluation.value_report`); unchanged where the report has none."""
    segments = ((report or {}).get("value") or {}).get("segments")
    if not segments:
        return table
    by_segment = {s["segment"]: s for s in segments}
    return table.assign(
        **{
            column: [by_segment.get(seg, {}).get(column, np.nan) for seg in table.index]
            for column in ("clv_mean", "clv_share")
        }
    )


def profile_run(run_dir, data=None, report: dict | None = None) -> list[Path]:
    """Profile every customer of a run's data set and draw the plots.

    Writes ``profiles.csv``, ``profiles.md`` and ``segment_sizes.png``,
    ``segment_heatmap.png``, ``embedding_projection.png`` (+ ``confusion_matrix.png`` on
    labelled data, test split only), each with its phone version ``<name>_phone.png``,
    into ``run_dir``; returns their paths. ``data`` is
    the run's :class:`~dec.data.prepare.PreparedData` if the caller already loaded it;
    ``report`` its test report, for the segments' stability (else the one in the run
    folder, where there is one).
    """
    from dec.data.prepare import prepare_run_data
    from dec.metrics import is_binary
    from dec.runs.rundir import RunDir
    from dec.segments.plots import segment_figures, write_plots
    from dec.utils.figures import PHONE

    run = RunDir(run_dir)
    model = run.load_model()
    if data is None:
        data = prepare_run_data(run)
    features = data.dataset.features
    x = data.X_all()
    segments, embeddings = model.assign(x).numpy(), model.embed(x).numpy()
    d = run.config().data
    table = segment_profiles(
        features,
        segments,
        data.dataset.outcomes,
        rfm_columns={
            "recency": d.recency_column,
            "frequency": d.frequency_column,
            "monetary": d.monetary_column,
        },
    )
    report = report if report is not None else run.read_report()
    table = add_value(add_stability(table, report), report)
    outcomes = data.dataset.outcomes
    binary = [c for c in outcomes.columns if is_binary(outcomes[c])] if outcomes is not None else []
    paths = list(write_profiles(run, table, binary))
    names = names_by_segment(table, model.architecture["n_clusters"])
    test = data.test_index if data.dataset.labels is not None else None
    drawn = {
        phone: segment_figures(
            features,
            segments,
            embeddings,
            names,
            labels=data.dataset.labels,
            test_index=test,
            phone=phone,
        )
        for phone in (False, True)
    }
    # The phone versions are for report.html on a small screen; TensorBoard has the others.
    return [
        *paths,
        *write_plots(run, drawn[False]),
        *write_plots(run, drawn[True], tensorboard=False, dpi=PHONE["dpi"]),
    ]
