"""Reading customer tables and transaction logs from CSV or Parquet files.

Every failure becomes one :class:`~dec.errors.DataError` line naming the file; tables can be
read whole or in batches (bounded memory).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from dec.data import roles
from dec.data.logs.transactions import check_log_columns, clean_transactions
from dec.errors import DataError, plain, render_settings

BUILT_IN = ("synthetic", "digits", "cdnow", "mlc_churn", "attrition")


def read_frame(
    path: Path,
    *,
    what: str,
    not_found_hint: str = "",
    csv_only_by_suffix: bool = True,
    text_columns=(),
) -> pd.DataFrame:
    """Read a ``.parquet`` file, or CSV, turning every failure into one DataError line.

    With ``csv_only_by_suffix`` only ``.csv`` is read as CSV and other suffixes are
    refused; without it, anything not Parquet is tried as CSV. ``text_columns`` of a CSV
    are read as text (ids such as ``00123`` keep their zeros).
    """
    kind = _table_kind(path, what, not_found_hint, csv_only_by_suffix)
    with _read_errors_as_data_error(path, kind):
        if kind == "Parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, sep=csv_separator(path), **_text_options(path, text_columns))


def _text_options(path: Path, text_columns) -> dict:
    """read_csv's options that read ``text_columns`` as text: ``00123`` keeps its zeros and
    ``NA`` or ``null`` is an id like any other (pandas would make them missing, and a
    customer would vanish); only an empty cell is missing there. Other columns keep
    pandas' missing values."""
    if not text_columns:
        return {}
    from pandas._libs.parsers import STR_NA_VALUES

    header = csv_header(path, any_suffix=True)
    return {
        "dtype": {c: str for c in text_columns},
        "keep_default_na": False,
        "na_values": {c: ([""] if c in text_columns else sorted(STR_NA_VALUES)) for c in header},
    }


def iter_frames(
    path: Path, *, what: str, batch_rows: int, text_columns=()
) -> Iterator[pd.DataFrame]:
    """Read a ``.parquet`` or ``.csv`` file ``batch_rows`` rows at a time (bounded memory).

    Failures are DataError lines, as in :func:`read_frame`; a file without rows yields
    nothing. ``text_columns`` of a CSV are read as text.
    """
    kind = _table_kind(path, what, "", True)
    with _read_errors_as_data_error(path, kind):
        if kind == "Parquet":
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
                yield batch.to_pandas()
        else:
            with pd.read_csv(
                path,
                chunksize=batch_rows,
                sep=csv_separator(path),
                **_text_options(path, text_columns),
            ) as reader:
                for chunk in reader:
                    if len(chunk):
                        yield chunk


#: Separators a CSV's header line is checked for when it holds no comma.
OTHER_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "bars"}


def csv_separator(path: Path) -> str:
    """``","``, or the separator of a header line with no comma but ``;``, tab or ``|``
    (European spreadsheets write ``;``): read as commas it would be one text column."""
    import gzip

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
            header = handle.readline()
    except OSError:
        return ","  # unreadable: pandas reports it in one line
    if "," in header:
        return ","
    for separator, name in OTHER_SEPARATORS.items():
        if separator in header:
            warnings.warn(
                f"{path.name}: columns are separated by {name}; reading it so", stacklevel=3
            )
            return separator
    return ","


def check_delimiter(frame: pd.DataFrame, path: Path) -> None:
    """A table read as one column whose name still holds a separator could not be split:
    training on it would cluster one text column."""
    if frame.shape[1] == 1 and any(sep in str(frame.columns[0]) for sep in ",;\t|"):
        raise DataError(
            f"{path} reads as one column '{str(frame.columns[0])[:60]}'; save it "
            "as a comma-separated CSV or Parquet with one column per field"
        )


def _table_kind(path: Path, what: str, not_found_hint: str, csv_only_by_suffix: bool) -> str:
    if not path.exists():
        raise DataError(f"{what} {path} not found; check the path{not_found_hint}")
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix == ".gz" else path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "Parquet"
    if suffix in (".csv", ".csv.gz") or not csv_only_by_suffix:
        return "CSV"
    raise DataError(f"cannot read {path}: use a .csv or .parquet file")


@contextmanager
def _read_errors_as_data_error(path: Path, kind: str):
    try:
        yield
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{path} is empty; it needs a header row and one row per customer"
        ) from None
    except Exception as err:  # parser errors differ by engine; all mean "unreadable"
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DataError(
            f"cannot read {path} as {kind} ({first[:200]}); check that it is a "
            f"complete {kind} file with a header row"
        ) from None


def read_table(
    path: str | Path, *, id_column: str | None = None, label_column: str | None = None, exclude=()
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Read a CSV or Parquet customer table: features indexed by id, and labels if named.

    Without ``id_column`` the file's own declaration (:func:`dec.data.roles.file_roles`)
    names it, else the one column that is unique per row and looks like an id
    (:func:`find_id_column`; ``exclude`` are not candidates), else the row number is the
    id. ``.csv.gz`` files are read as CSV."""
    path = Path(path)
    hint = "" if path.suffix else f"; built-in data sets are {', '.join(BUILT_IN)}"
    id_column = id_column or roles.file_roles(path).get("id_column")
    # Columns named like ids are read as text, so that 00123 keeps its zeros if it is one.
    text = [id_column] if id_column else [c for c in csv_header(path) if roles.id_like_name(c)]
    frame = read_frame(
        path, what="data file", not_found_hint=hint, csv_only_by_suffix=True, text_columns=text
    )
    return customer_table(
        frame, path, id_column=id_column, label_column=label_column, exclude=exclude, text=text
    )


def customer_table(
    frame: pd.DataFrame,
    path,
    *,
    id_column: str | None = None,
    label_column: str | None = None,
    exclude=(),
    text=(),
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """A customer table however it was read (a file, a database): features indexed by id
    (named, else found by :func:`find_id_column`, else the row number) and labels if named;
    ``path`` names it in messages, ``text`` are the columns read as text for their names."""
    if len(frame) == 0:
        raise DataError(f"{path} has a header but no customer rows")
    check_delimiter(frame, path)
    if id_column is None:
        id_column = find_id_column(frame, path, exclude=[label_column, *exclude])
        for name in (c for c in text if c != id_column and c in frame.columns):
            frame[name] = _as_read(frame[name])
    frame = set_id_column(frame, id_column, path)
    broken = roles.broken_id(frame, exclude=[label_column, *exclude])
    if broken:
        raise DataError(
            f"column '{broken[0]}' in {path} looks like an id (its values are "
            f"nearly all different) but {broken[1]}; fix it and name it with "
            "{data.id_column}, or leave it out with {data.drop_columns}"
        )
    labels = None
    if label_column is not None:
        if label_column not in frame.columns:
            raise DataError(
                f"label column '{label_column}' not in {path}; columns are: {list(frame.columns)}"
            )
        labels = pd.factorize(frame.pop(label_column))[0]  # missing -> UNKNOWN_LABEL (-1)
        unknown = int((labels < 0).sum())
        if unknown == len(labels):
            raise DataError(
                f"label column '{label_column}' in {path} is entirely missing; "
                "leave out {data.label_column}"
            )
        if unknown:
            warnings.warn(
                f"label column '{label_column}' is missing for {unknown} customer(s); "
                "they are left out of ACC, NMI and ARI",
                stacklevel=2,
            )
    return frame, labels


def csv_header(path: Path, any_suffix: bool = False) -> list[str]:
    """A CSV's column names (Parquet keeps its types: nothing to read as text); a file of
    another suffix is read as CSV only with ``any_suffix``."""
    csv = "".join(path.suffixes[-2:]).lower() in (".csv", ".csv.gz") or (
        any_suffix and path.suffix.lower() not in (".parquet", ".pq")
    )
    if not csv or not path.is_file():
        return []
    try:
        return [str(c) for c in pd.read_csv(path, nrows=0, sep=csv_separator(path)).columns]
    except Exception:  # unreadable: read_frame says so in one line
        return []


def _as_read(values: pd.Series) -> pd.Series:
    """A column read as text because of its name, as pandas would have read it."""
    from pandas._libs.parsers import STR_NA_VALUES

    values = values.where(~values.isin(STR_NA_VALUES))
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers if numbers.notna().sum() == values.notna().sum() else values


def find_id_column(frame: pd.DataFrame, path, exclude=()) -> str | None:
    """The one id-like column of ``frame`` (:func:`dec.data.roles.id_like_columns`), said in
    one line; None where there is none; DataError where several could be."""
    found = roles.id_like_columns(frame, exclude=[c for c in exclude if c])
    if len(found) > 1:
        raise DataError(
            f"{path} has {len(found)} columns that are unique per row and look like "
            f"ids ({', '.join(map(repr, found[:4]))}); name the customer id with "
            "{data.id_column} and leave the others out with {data.drop_columns}"
        )
    if found:
        warnings.warn(
            render_settings(
                f"{_display(path)}: column '{found[0]}' is unique per row and looks like an "
                "id, so it is the customer id, not a feature; name another with {data.id_column}"
            ),
            stacklevel=3,
        )
        return found[0]
    return None


def _display(path) -> str:
    """A file by its name; a database source (already a phrase) as it is."""
    return path.name if isinstance(path, Path) else str(path)


def split_outcomes(frame: pd.DataFrame, columns, path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Move ``columns`` out of the features into an outcomes table (never a feature).

    Numbers stay numbers; a text column with two values becomes 0/1 (``yes``/``true`` or,
    else, the later value in sorted order is 1), so its eta² is the share of variance of
    the rate explained by the segments.
    """
    if not columns:
        return frame, None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"outcome column(s) {missing} not in {path}; columns are: {list(frame.columns)}"
        )
    outcomes = pd.DataFrame(index=frame.index)
    for column in columns:
        values = frame.pop(column)
        if values.isna().all():
            raise DataError(f"outcome column '{column}' in {path} is entirely missing")
        outcomes[column] = _as_outcome(column, values, path)
    return frame, outcomes


def _as_outcome(column: str, values: pd.Series, path) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().sum() == values.notna().sum():
        return numbers.astype(float)
    levels = sorted(values.dropna().astype(str).unique())
    if len(levels) != 2 and numbers.notna().any():
        text = values[values.notna() & numbers.isna()]
        raise DataError(
            f"outcome column '{column}' in {path} is numeric but has text in "
            f"{len(text)} row(s), e.g. {plain(text.iloc[0])!r}; fix or empty those "
            "cells"
        )
    if len(levels) != 2:
        raise DataError(
            f"outcome column '{column}' in {path} must be numeric or have two "
            f"values, e.g. yes/no; it has {len(levels)} such as {levels[:3]}"
        )
    positive = next((v for v in levels if v.lower() in ("yes", "true", "1")), levels[1])
    return (values.astype(str) == positive).astype(float).where(values.notna())


#: The index of a table read without an id column: its row numbers, not one of its columns.
ROW_INDEX = "row"


def set_id_column(frame: pd.DataFrame, id_column: str | None, path: Path) -> pd.DataFrame:
    """Index ``frame`` by its unique ``id_column`` as text (``00123`` stays ``00123``), or
    by row number when there is none."""
    if id_column is None:
        frame.index = pd.RangeIndex(len(frame), name=ROW_INDEX)
        return frame
    if id_column not in frame.columns:
        raise DataError(
            f"id column '{id_column}' not in {path}; columns are: {list(frame.columns)}"
        )
    ids = frame[id_column]
    if ids.isna().any():
        raise DataError(
            f"id column '{id_column}' in {path} is empty in {int(ids.isna().sum())} "
            f"row(s), e.g. row {int(np.argmax(ids.isna().to_numpy())) + 1}; every "
            "customer needs an id"
        )
    duplicated = ids.duplicated()
    if duplicated.any():
        raise DataError(
            f"id column '{id_column}' in {path} has duplicate ids, e.g. "
            f"{plain(ids[duplicated].iloc[0])!r}; ids must be unique; if this is a "
            "purchase log (many rows per customer), give it as --transactions "
            "with {data.date_column} and {data.amount_column}"
        )
    return frame.assign(**{id_column: ids.astype(str)}).set_index(id_column)


def read_transactions(
    path: str | Path,
    *,
    id_col: str,
    date_col: str,
    amount_col: str,
    quantity_col: str | None = None,
) -> pd.DataFrame:
    """Read a CSV/Parquet transaction log into columns ``id, date, amount[, quantity]``."""
    path = Path(path)
    check_log_columns(id_col, date_col, amount_col, quantity_col)
    if path.is_dir() or (not path.exists() and any(c in str(path) for c in "*?[")):
        raise DataError(
            f"{path} is a {'folder' if path.is_dir() else 'glob'} of purchase logs, "
            "which the pandas reader cannot read; read it with DuckDB: "
            "{data.log_engine} duckdb (pip install 'dec[logs]')"
        )
    frame = read_frame(
        path, what="transaction file", csv_only_by_suffix=False, text_columns=(id_col,)
    )
    wanted = {"id": id_col, "date": date_col, "amount": amount_col}
    if quantity_col:
        wanted["quantity"] = quantity_col
    missing = [c for c in wanted.values() if c not in frame.columns]
    if missing:
        raise DataError(f"{path} has no column(s) {missing}; columns are {list(frame.columns)}")
    return clean_transactions(
        frame[list(wanted.values())].set_axis(list(wanted), axis=1), source=str(path)
    )


#: The parts a folder of purchase logs may hold. Names starting with ``.`` or ``_`` (Spark's
#: ``_SUCCESS``, checksum files) are not parts and are passed over, as Spark and Arrow do.
LOG_SUFFIXES = (".csv", ".csv.gz", ".parquet")


def log_suffix(path: Path) -> str:
    """``.csv``, ``.csv.gz`` or ``.parquet`` (any case), or the file's own suffix."""
    double = "".join(path.suffixes[-2:]).lower()
    return double if double == ".csv.gz" else path.suffix.lower()


def folder_parts(folder: Path) -> list[Path]:
    """Every part of a folder of purchase logs, sorted: all of one kind, CSV or Parquet.

    Raises
    ------
    DataError
        For a sub-folder, a file of another kind (named), both kinds at once, or no part:
        a folder is read whole or not at all.
    """
    parts, kinds = [], set()
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_dir():
            raise DataError(
                f"purchase log folder {folder} holds the folder '{entry.name}'; a "
                "folder is read whole, so move it out or give the files as a "
                f"quoted glob such as '{folder}/**/*.parquet'"
            )
        if log_suffix(entry) not in LOG_SUFFIXES:
            raise DataError(
                f"purchase log folder {folder} holds '{entry.name}', which is not "
                "a .csv or .parquet part; move it out of the folder"
            )
        parts.append(entry)
        kinds.add("Parquet" if log_suffix(entry) == ".parquet" else "CSV")
    if not parts:
        raise DataError(f"purchase log folder {folder} holds no .csv or .parquet files")
    if len(kinds) > 1:
        raise DataError(
            f"purchase log folder {folder} holds both CSV and Parquet parts; keep "
            "one kind in it (convert the others) so every purchase is read"
        )
    return parts
