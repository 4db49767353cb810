"""Segment migration: who moved between segments from one snapshot to the next.

The same trained model scores the same customers at two snapshots (two ``as_of`` dates of
a purchase log, or two customer tables with one id column). Customers seen only at the
second snapshot are counted as ``new``, those seen only at the first as ``gone``: no one is
dropped silently.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dec import files
from dec.errors import DataError
from dec.markdown import markdown_table

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
    rows, columns = [*map(str, range(n_clusters)), NEW], [*map(str, range(n_clusters)), GONE]
    counts = pd.crosstab(origin, destination).reindex(index=rows, columns=columns,
                                                     fill_value=0)
    counts.index.name, counts.columns.name = "from", "to"
    return counts.astype(int)


def row_shares(counts: pd.DataFrame) -> pd.DataFrame:
    """Each row of ``counts`` divided by its total: where the customers of a segment went
    (an empty row stays 0)."""
    totals = counts.sum(axis=1).replace(0, np.nan)
    return counts.div(totals, axis=0).fillna(0.0)


def movers(before: pd.Series, after: pd.Series) -> pd.DataFrame:
    """``id, from, to`` for every customer whose segment changed, new and gone included."""
    origin, destination = _aligned(before, after)
    moved = origin != destination
    return pd.DataFrame({"id": origin.index[moved].astype(str), "from": origin[moved].to_numpy(),
                         "to": destination[moved].to_numpy()})


def _aligned(before: pd.Series, after: pd.Series) -> tuple[pd.Series, pd.Series]:
    for name, series in (("first", before), ("second", after)):
        if series.index.duplicated().any():
            raise DataError(f"the {name} snapshot has duplicate customer ids, e.g. "
                            f"{series.index[series.index.duplicated()][0]!r}")
    ids = before.index.union(after.index)
    origin = before.reindex(ids).map(lambda s: NEW if pd.isna(s) else str(int(s)))
    destination = after.reindex(ids).map(lambda s: GONE if pd.isna(s) else str(int(s)))
    return origin, destination


def check_ids(frame: pd.DataFrame, snapshot: str) -> None:
    """Raise DataError when the customers of ``snapshot`` are numbered by row, not by id:
    rows cannot be matched across snapshots."""
    from dec.data.readers import ROW_INDEX

    if frame.index.name == ROW_INDEX:
        raise DataError(f"{snapshot} has no id column, so its customers cannot be matched "
                        "across snapshots; give {data.id_column}")


def segment_names(run, features: pd.DataFrame, segments: np.ndarray,
                  n_clusters: int) -> list[str]:
    """The names ``test.py`` gave the run's segments (``profiles.csv``), else names from
    profiling ``features`` (the first snapshot) by ``segments``."""
    from dec.profiles import names_by_segment, segment_profiles
    from dec.rundir import RunDir

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
    return (f"The biggest move: {between[i, j]:,} of the {size:,} customers in "
            f"{label[str(i)]} ({between[i, j] / size:.0%}) moved to {label[str(j)]}." + tail)


def transitions_markdown(counts: pd.DataFrame, names: list[str], first: str,
                         second: str) -> str:
    """The counts and row shares as tables, and :func:`biggest_move`."""
    def title(key: str) -> str:
        return f"{key} {names[int(key)]}" if key.isdigit() else key

    header = [f"{first} ↓ · {second} →", *map(title, counts.columns), "total"]
    shares = row_shares(counts)
    count_rows = [[title(r), *(f"{v:,}" for v in counts.loc[r]), f"{counts.loc[r].sum():,}"]
                  for r in counts.index]
    share_rows = [[title(r), *(f"{v:.1%}" for v in shares.loc[r]), f"{counts.loc[r].sum():,}"]
                  for r in counts.index]
    stayed = int(np.trace(counts.iloc[:-1, :-1].to_numpy()))
    seen_twice = int(counts.iloc[:-1, :-1].to_numpy().sum())
    return "\n".join([
        f"# Segment migration: {first} → {second}", "",
        f"{counts.to_numpy().sum():,} customers seen at either snapshot; of the {seen_twice:,} "
        f"seen at both, {stayed:,} ({stayed / max(seen_twice, 1):.1%}) kept their segment.",
        "", biggest_move(counts, names), "", "## Customers", "",
        markdown_table(header, count_rows, align="l" + "r" * (len(header) - 1)), "",
        "## Where each segment's customers went (row shares)", "",
        markdown_table(header, share_rows, align="l" + "r" * (len(header) - 1)), ""])


def migration_paths(output: str | Path) -> dict[str, Path]:
    """The files written beside the movers file ``output``: ``<stem>.transitions.csv``
    (counts), ``.md`` (counts, shares, summary) and ``.png`` (heatmap)."""
    output = Path(output)
    stem = output.with_suffix("")
    return {"movers": output, "csv": Path(f"{stem}.transitions.csv"),
            "md": Path(f"{stem}.transitions.md"), "png": Path(f"{stem}.transitions.png")}


def write_migration(before: pd.Series, after: pd.Series, names: list[str], output,
                    first: str, second: str) -> dict[str, Path]:
    """Write the movers (``output``: .parquet or .csv), the transition counts, the
    Markdown summary and the heatmap, each atomically; return their paths."""
    from dec.export import check_output_path, write_batches
    from dec.plots import figure_png, plot_transitions

    paths = migration_paths(output)
    check_output_path(paths["movers"], formats=(".parquet", ".csv"))
    counts = transition_counts(before, after, len(names))
    text = transitions_markdown(counts, names, first, second)
    figure = plot_transitions(counts, row_shares(counts), names, first, second)
    write_batches(iter([movers(before, after)]), paths["movers"])
    files.atomic_write_text(paths["csv"], counts.to_csv())
    files.atomic_write_text(paths["md"], text)
    files.atomic_write_bytes(paths["png"], figure_png(figure))
    return paths
