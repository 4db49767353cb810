"""Segment migration: who moved between segments from one snapshot to the next.

The same trained model scores the same customers at two snapshots (two ``as_of`` dates of
a purchase log, or two customer tables with one id column). Customers seen only at the
second snapshot are counted as ``new``, those seen only at the first as ``gone``: no one is
dropped silently.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from dec.errors import DataError, plain
from dec.utils import files
from dec.utils.markdown import markdown_table

NEW, GONE = "new", "gone"


def transition_counts(before: pd.Series, after: pd.Series, n_clusters: int) -> pd.DataFrame:
    """Customers per (segment at snapshot 1, segment at snapshot 2).

    Parameters
    ----------
    before, after : Series
        Segment number per customer id at the first and the second snapshot.
    n_clusters : int

    Returns
    -------
    DataFrame of int, shape (n_clusters + 1, n_clusters + 1)
        Rows: segments ``0..k-1`` then ``"new"`` (not at snapshot 1); columns: segments
        then ``"gone"`` (not at snapshot 2). The total is every customer seen at either
        snapshot; the ``new``/``gone`` corner is always 0.
    """
    origin, destination = _aligned(before, after)
    return _by_move(pd.crosstab(origin, destination), n_clusters, 0).astype(int)


def transition_value(
    before: pd.Series, after: pd.Series, worth: pd.Series, n_clusters: int
) -> pd.DataFrame:
    """Like :func:`transition_counts`, but each cell sums the customers' ``worth`` (their
    CLV at the second snapshot, by id): the value that moved between segments. Customers
    gone by the second snapshot have no value there and count 0."""
    origin, destination = _aligned(before, after)
    values = worth.reindex(origin.index).fillna(0.0)
    return _by_move(
        values.groupby([origin, destination]).sum().unstack(fill_value=0.0), n_clusters, 0.0
    ).astype(float)


def _by_move(table: pd.DataFrame, n_clusters: int, empty) -> pd.DataFrame:
    """``table`` (from × to) on every segment plus ``new`` rows and ``gone`` columns."""
    rows, columns = [*map(str, range(n_clusters)), NEW], [*map(str, range(n_clusters)), GONE]
    table = table.reindex(index=rows, columns=columns, fill_value=empty)
    table.index.name, table.columns.name = "from", "to"
    return table


def value_moved(value: pd.DataFrame, names: list[str]) -> list[str]:
    """Markdown lines: the value table and the largest flow of value between segments."""
    k = len(names)
    between = value.iloc[:k, :k].to_numpy().copy()
    np.fill_diagonal(between, 0)
    total = value.to_numpy().sum()
    header = ["from ↓ · to →", *value.columns, "total"]
    rows = [
        [r, *(f"{v:,.0f}" for v in value.loc[r]), f"{value.loc[r].sum():,.0f}"] for r in value.index
    ]
    lines = [
        "## Predicted value by move (each customer's CLV at the second snapshot)",
        "",
        markdown_table(header, rows),
        "",
    ]
    if between.max() > 0:
        i, j = np.unravel_index(between.argmax(), between.shape)
        lines += [
            f"The most value moved from segment {i} ({names[i]}) to segment {j} "
            f"({names[j]}): {between[i, j]:,.0f}, {between[i, j] / total:.1%} of all "
            f"customers' predicted value. Customers who changed segment hold "
            f"{between.sum() / total:.1%} of it.",
            "",
        ]
    return lines


def row_shares(counts: pd.DataFrame) -> pd.DataFrame:
    """Each row of ``counts`` divided by its total: where the customers of a segment went
    (an empty row stays 0)."""
    totals = counts.sum(axis=1).replace(0, np.nan)
    return counts.div(totals, axis=0).fillna(0.0)


def movers(before: pd.Series, after: pd.Series) -> pd.DataFrame:
    """``id, from, to`` for every customer whose segment changed, new and gone included
    (the id column is :data:`dec.scoring.export.ID_COLUMN`, as in every output)."""
    from dec.scoring.export import ID_COLUMN

    origin, destination = _aligned(before, after)
    moved = origin != destination
    return pd.DataFrame(
        {
            ID_COLUMN: origin.index[moved].astype(str),
            "from": origin[moved].to_numpy(),
            "to": destination[moved].to_numpy(),
        }
    )


def _aligned(before: pd.Series, after: pd.Series) -> tuple[pd.Series, pd.Series]:
    for name, series in (("first", before), ("second", after)):
        if series.index.duplicated().any():
            raise DataError(
                f"the {name} snapshot has duplicate customer ids, e.g. "
                f"{plain(series.index[series.index.duplicated()][0])!r}"
            )
    ids = before.index.union(after.index)
    origin = before.reindex(ids).map(lambda s: NEW if pd.isna(s) else str(int(s)))
    destination = after.reindex(ids).map(lambda s: GONE if pd.isna(s) else str(int(s)))
    return origin, destination


def check_ids(frame: pd.DataFrame, snapshot: str) -> None:
    """Raise DataError when the customers of ``snapshot`` are numbered by row, not by id:
    rows cannot be matched across snapshots."""
    from dec.data.readers import ROW_INDEX

    if frame.index.name == ROW_INDEX:
        raise DataError(
            f"{snapshot} has no id column, so its customers cannot be matched "
            "across snapshots; give {data.id_column}"
        )


def segment_names(run, features: pd.DataFrame, segments: np.ndarray, n_clusters: int) -> list[str]:
    """The names ``test.py`` gave the run's segments (``profiles.csv``), else names from
    profiling ``features`` (the first snapshot) by ``segments``."""
    from dec.runs.rundir import RunDir
    from dec.segments.profiles import names_by_segment, segment_profiles

    table = RunDir(run).read_profiles()
    if table is None:
        table = segment_profiles(features, segments)
    return names_by_segment(table, n_clusters)


def biggest_move(counts: pd.DataFrame, names: list[str]) -> str:
    """One sentence on the largest flow between two segments (by customers), with its
    share of the segment it left, and the numbers of new and gone customers."""
    k = len(names)
    label = {str(j): f"segment {j} ({names[j]})" for j in range(k)}
    between = counts.iloc[:k, :k].to_numpy().copy()
    np.fill_diagonal(between, 0)
    new, gone = int(counts.loc[NEW].sum()), int(counts[GONE].sum())
    tail = f" {new:,} customers are new and {gone:,} are gone."
    if between.max() == 0:
        return "No customer changed segment." + tail
    i, j = np.unravel_index(between.argmax(), between.shape)
    size = int(counts.iloc[i].sum())
    return (
        f"The biggest move: {between[i, j]:,} of the {size:,} customers in "
        f"{label[str(i)]} ({between[i, j] / size:.0%}) moved to {label[str(j)]}." + tail
    )


def transitions_markdown(counts: pd.DataFrame, names: list[str], first: str, second: str) -> str:
    """The counts and row shares as tables, and :func:`biggest_move`."""

    def title(key: str) -> str:
        return f"{key} {names[int(key)]}" if key.isdigit() else key

    header = [f"{first} ↓ · {second} →", *map(title, counts.columns), "total"]
    shares = row_shares(counts)
    count_rows = [
        [title(r), *(f"{v:,}" for v in counts.loc[r]), f"{counts.loc[r].sum():,}"]
        for r in counts.index
    ]
    share_rows = [
        [title(r), *(f"{v:.1%}" for v in shares.loc[r]), f"{counts.loc[r].sum():,}"]
        for r in counts.index
    ]
    stayed = int(np.trace(counts.iloc[:-1, :-1].to_numpy()))
    seen_twice = int(counts.iloc[:-1, :-1].to_numpy().sum())
    return "\n".join(
        [
            f"# Segment migration: {first} → {second}",
            "",
            f"{counts.to_numpy().sum():,} customers seen at either snapshot; of the {seen_twice:,} "
            f"seen at both, {stayed:,} ({stayed / max(seen_twice, 1):.1%}) kept their segment.",
            "",
            biggest_move(counts, names),
            "",
            "## Customers",
            "",
            markdown_table(header, count_rows, align="l" + "r" * (len(header) - 1)),
            "",
            "## Where each segment's customers went (row shares)",
            "",
            markdown_table(header, share_rows, align="l" + "r" * (len(header) - 1)),
            "",
        ]
    )


def migration_paths(output: str | Path) -> dict[str, Path]:
    """The files written beside the movers file ``output``: ``<stem>.transitions.csv``
    (counts), ``.md`` (counts, shares, summary) and ``.png`` (heatmap)."""
    output = Path(output)
    stem = output.with_suffix("")
    return {
        "movers": output,
        "csv": Path(f"{stem}.transitions.csv"),
        "md": Path(f"{stem}.transitions.md"),
        "png": Path(f"{stem}.transitions.png"),
    }


def check_migration_paths(output: str | Path, inputs=()) -> dict[str, Path]:
    """:func:`migration_paths`, after checking that each can be written and none is one of
    the ``inputs``; raises OutputPathError before any work."""
    from dec.scoring.export import check_output_path

    paths = migration_paths(output)
    for key, path in paths.items():
        check_output_path(
            path, formats=(".parquet", ".csv") if key == "movers" else (path.suffix,), inputs=inputs
        )
    return paths


def check_snapshot_dates(dates: list[str]) -> None:
    """Two snapshot dates of a log, the earlier first (else ``new`` and ``gone`` swap meaning);
    ConfigError otherwise. An empty list (table snapshots) passes."""
    from dec.errors import ConfigError
    from dec.utils.dates import parse_date

    stamps = [parse_date(date) for date in dates]
    if len(stamps) == 2 and not stamps[0] < stamps[1]:
        raise ConfigError(
            f"the first {{data.as_of}} ({dates[0]}) must be before the second "
            f"({dates[1]}); give the earlier snapshot first"
        )


#: Below this share of the smaller snapshot's customers found in the other, the two
#: snapshots probably do not number customers alike.
MIN_OVERLAP = 0.5


def check_overlap(first_ids: pd.Index, second_ids: pd.Index, first: str, second: str) -> None:
    """DataError if no customer id is in both snapshots; a warning if few are."""
    both = len(first_ids.intersection(second_ids))
    smaller = min(len(first_ids), len(second_ids))
    if both == 0:
        raise DataError(
            f"no customer of {first} is in {second} (ids such as "
            f"{first_ids[0]!r} and {second_ids[0]!r}); both snapshots must "
            "number customers with the same ids"
        )
    if both < MIN_OVERLAP * smaller:
        warnings.warn(
            f"only {both:,} of the {smaller:,} customers of the smaller snapshot "
            f"are in both {first} and {second}; check that both use the same ids",
            stacklevel=2,
        )


def migration_summary(
    before: pd.Series,
    after: pd.Series,
    names: list[str],
    first: str,
    second: str,
    worth: pd.Series | None = None,
) -> tuple[pd.DataFrame, str, pd.DataFrame]:
    """The transition counts, their Markdown summary and the movers (``id, from, to``; with
    ``worth``, CLV by id at the second snapshot, a ``clv`` column and the value that moved)."""
    from dec.scoring.export import ID_COLUMN

    counts = transition_counts(before, after, len(names))
    text = transitions_markdown(counts, names, first, second)
    moved_rows = movers(before, after)
    if worth is not None:
        text += "\n" + "\n".join(
            value_moved(transition_value(before, after, worth, len(names)), names)
        )
        moved_rows["clv"] = worth.reindex(moved_rows[ID_COLUMN]).fillna(0.0).to_numpy()
    return counts, text, moved_rows


def write_migration(
    before: pd.Series,
    after: pd.Series,
    names: list[str],
    paths: dict[str, Path],
    first: str,
    second: str,
    worth: pd.Series | None = None,
) -> dict[str, Path]:
    """Write the movers (.parquet or .csv), the transition counts, the Markdown summary
    and the heatmap to ``paths`` (:func:`check_migration_paths`) as one set: all of them
    or, if anything fails, none (:func:`migration_summary`). Returns ``paths``."""
    from dec.scoring.export import write_rows
    from dec.segments.plots import plot_transitions
    from dec.utils.figures import figure_png

    counts, text, moved_rows = migration_summary(before, after, names, first, second, worth)
    figure = plot_transitions(counts, row_shares(counts), names, first, second)
    with files.atomic_paths(list(paths.values())) as (moved, csv, md, png):
        write_rows(iter([moved_rows]), moved, paths["movers"].suffix)
        csv.write_text(counts.to_csv())
        md.write_text(text)
        png.write_bytes(figure_png(figure))
    return paths
