"""Purchase-log features in SQL, run by DuckDB straight from the files.

The same per-customer features as :func:`dec.data.transactions.customer_features` and the
same hold-out outcomes as :func:`~dec.data.transactions.holdout_outcomes`, computed by one
query over a CSV or Parquet file, a folder or a glob of them: DuckDB streams the rows and
spills to disk, so memory follows the customers, not the purchases, and only one row per
customer comes back to Python. ``tests/test_log_sql.py`` checks the two paths agree to 1e-9.

Dates must be dates, timestamps, ISO text or ``YYYYMMDD``; other spellings (``07/08/2020``)
need the pandas reader (:func:`dec.data.dates.parse_dates`), which tells day-first apart.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import pandas as pd

from dec.data.dates import parse_date
from dec.data.log_queries import FEATURES_SQL, LOG_SQL, OUTCOMES_SQL, SUMMARY_SQL
from dec.errors import ConfigError, DataError, render_settings

def _duckdb():
    """DuckDB, or a one-line error saying how to install it."""
    try:
        import duckdb
    except ImportError:
        raise ConfigError("reading purchase logs with DuckDB needs it installed: pip install "
                          "'dec[logs]'") from None
    return duckdb


def _source(path: str | Path) -> str:
    """The DuckDB table function reading ``path``: a file, a folder of files or a glob."""
    text = str(path)
    folder = Path(text)
    if folder.is_dir():
        parquet = any(p.suffix.lower() == ".parquet" for p in folder.iterdir())
        text = str(folder / ("*.parquet" if parquet else "*.csv"))
    elif not any(c in text for c in "*?[") and not folder.is_file():
        raise DataError(f"purchase log {text} not found; check the path")
    quoted = "'" + text.replace("'", "''") + "'"
    if text.lower().endswith(".parquet"):
        return f"read_parquet({quoted}, union_by_name = true)"
    return f"read_csv({quoted}, union_by_name = true, all_varchar = true)"


def _setting(value) -> str:
    """A setting's value inside single quotes (SET takes no parameters)."""
    return str(value).replace("'", "''")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_log(connection, path, *, id_column: str, date_column: str, amount_column: str,
             quantity_column: str | None = None) -> dict:
    """Create the view ``log`` (``id, date, amount[, quantity]``) over the files at
    ``path`` and check it (:func:`_summary`: checked in SQL, no rows come to Python);
    return its summary. DataError, in one line, for a missing column or a bad value."""
    duckdb = _duckdb()

    source = _source(path)
    try:
        columns = [row[0] for row in connection.execute(
            f"DESCRIBE SELECT * FROM {source}").fetchall()]
    except duckdb.Error as error:
        raise DataError(f"cannot read purchase log {path}: {str(error).splitlines()[0]}") \
            from None
    wanted = [id_column, date_column, amount_column, *([quantity_column] if quantity_column
                                                        else [])]
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise DataError(f"purchase log {path} has no column(s) {missing}; columns are: "
                        f"{columns}")
    quantity = (f", TRY_CAST({_quoted(quantity_column)} AS DOUBLE) AS quantity"
                if quantity_column else "")
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("CREATE OR REPLACE TEMP VIEW log AS " + LOG_SQL.format(
        id=_quoted(id_column), date=_quoted(date_column), amount=_quoted(amount_column),
        quantity=quantity, source=source))
    return _summary(connection, path)


def _summary(connection, path) -> dict:
    """Check the log (bad dates or amounts, no rows, future dates: one-line errors; refunds:
    a warning); return its first and last dates and number of customers, among others."""
    tomorrow = (pd.Timestamp.now().normalize() + pd.Timedelta(days=1)).to_pydatetime()
    cursor = connection.execute(SUMMARY_SQL, {"tomorrow": tomorrow})
    found = dict(zip([c[0] for c in cursor.description], cursor.fetchone()))
    if found["bad_dates"]:
        raise DataError(f"{path}: cannot read date {found['bad_date']!r} here; write dates as "
                        "YYYY-MM-DD or YYYYMMDD")
    if found["bad_amounts"]:
        raise DataError(f"{path}: amount value {found['bad_amount']!r} is not a finite number")
    if found["rows"] == 0:
        raise DataError(f"purchase log {path} has no transactions")
    if found["future"]:
        raise DataError(f"{path}: {found['future']} transaction(s) are dated in the future, "
                        f"e.g. {found['future_date']!r}; fix or drop them (they would move "
                        "the default as-of date)")
    if found["refunds"]:
        warnings.warn(f"{path}: {found['refunds']} transaction(s) have a negative amount, "
                      f"e.g. {found['lowest']:g}; they are counted as refunds, which lower the "
                      "customer's spend", stacklevel=3)
    return found


def log_features(path, *, id_column: str, date_column: str, amount_column: str,
                 quantity_column: str | None = None, as_of: str | None = None,
                 memory_limit: str | None = None, temp_directory: str | None = None,
                 at_end: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Per-customer features and hold-out outcomes of the purchase log at ``path``.

    Parameters
    ----------
    path : str or Path
        A CSV or Parquet file, a folder of them, or a glob (``logs/*.parquet``).
    id_column, date_column, amount_column : str
    quantity_column : str, optional
    as_of : str, optional
        Features from purchases up to this date; default the log's midpoint, or with
        ``at_end`` its last date (scoring a log: every purchase counts).
    memory_limit, temp_directory : str, optional
        DuckDB's settings (e.g. ``"4GB"``): beyond the limit it spills to the folder.
        Default: DuckDB's own limit (80 % of the machine's memory) and a temporary folder
        removed afterwards; DuckDB uses every core.

    Returns
    -------
    features : DataFrame indexed by ``customer_id`` (text)
        The columns of :func:`dec.data.transactions.customer_features`, float64.
    outcomes : DataFrame
        ``holdout_spend`` and ``holdout_active`` for the same customers.
    as_of : Timestamp
    """
    # DuckDB would spill into ./.tmp of wherever the command runs: a temporary folder instead.
    spill = None if temp_directory else tempfile.TemporaryDirectory(prefix="dec-duckdb-")
    connection = _duckdb().connect()
    try:
        if memory_limit:
            try:
                connection.execute(f"SET memory_limit = '{_setting(memory_limit)}'")
            except _duckdb().Error:
                raise ConfigError(f"memory limit {memory_limit!r} is not a size; write it "
                                  "as e.g. 4GB or 500MB") from None
        connection.execute(f"SET temp_directory = '{_setting(temp_directory or spill.name)}'")
        summary = read_log(connection, path, id_column=id_column, date_column=date_column,
                           amount_column=amount_column, quantity_column=quantity_column)
        first, last = summary["first"], summary["last"]
        first, last = pd.Timestamp(first), pd.Timestamp(last)
        stamp = parse_date(as_of) if as_of is not None else \
            pd.Timestamp((last if at_end else first + (last - first) / 2).date())
        with_quantity = quantity_column is not None
        query = FEATURES_SQL.format(
            order_quantity=", sum(quantity) AS quantity" if with_quantity else "",
            items=",\n           avg(quantity) AS items_per_order," if with_quantity else ",",
            items_out=", items_per_order," if with_quantity else ",")
        params = {"as_of": stamp.to_pydatetime()}
        features = connection.execute(query, params).df().set_index("customer_id")
        if features.empty:
            raise DataError(f"no transactions on or before as_of={stamp.date()}; choose a "
                            "later {data.as_of} date")
        spend = connection.execute(OUTCOMES_SQL, params).df().set_index("customer_id")
        later = summary["customers"] - len(features)
        if later:
            warnings.warn(render_settings(
                f"{later} customer(s) first bought after as_of={stamp.date()} and are left "
                "out (they have no history yet); choose a later {data.as_of} date to include "
                "them"), stacklevel=2)
    finally:
        connection.close()
        if spill is not None:
            spill.cleanup()
    features = features.astype(float)
    holdout = spend["holdout_spend"].reindex(features.index)
    outcomes = pd.DataFrame({"holdout_spend": holdout.fillna(0.0).astype(float),
                             "holdout_active": holdout.notna().astype(float)},
                            index=features.index)
    return features, outcomes, stamp


def log_dataset(path, *, as_of: str | None = None, **columns):
    """The :class:`~dec.data.datasets.Dataset` of a purchase log read by DuckDB
    (:func:`log_features`; ``columns``: its column arguments), outcomes included."""
    import logging

    from dec.data.datasets import Dataset

    features, outcomes, stamp = log_features(path, as_of=as_of, **columns)
    logging.getLogger("dec").info(
        "%s: features from the purchases up to %s (%s) for %s customers, read by DuckDB; "
        "holdout_spend and holdout_active (what they did after it) judge the segments and "
        "are never features", Path(str(path)).name, stamp.date(),
        "the as-of date" if as_of is not None else "the log's midpoint", f"{len(features):,}")
    return Dataset(Path(str(path)).name, features, None, outcomes)
