"""Purchase-log features in SQL, run by DuckDB straight from the files (issue 24, first part).

The same per-customer features as :func:`dec.data.transactions.customer_features` and the
same hold-out outcomes as :func:`~dec.data.transactions.holdout_outcomes`, computed by one
query over a CSV or Parquet file, a folder or a glob of them: DuckDB streams the rows and
spills to disk, so memory follows the customers, not the purchases, and only one row per
customer comes back to Python. ``tests/test_log_sql.py`` checks the two paths agree to 1e-9.

Dates must be dates or timestamps in the file, ISO text (``YYYY-MM-DD``, with or without a
time) or ``YYYYMMDD``; other spellings (``07/08/2020``) still go through the pandas reader
(:func:`dec.data.dates.parse_dates`), which can tell day-first from month-first.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from dec.data.dates import parse_date
from dec.errors import DataError, render_settings

#: The log as ``id, date, amount[, quantity]``: ids as text (``00042`` stays), dates parsed
#: from dates, timestamps, ISO text or YYYYMMDD, those with a zone (``...Z``, ``+05:00``)
#: as UTC without it, as :mod:`dec.data.dates` reads them (the session runs in UTC);
#: ``{source}`` is a DuckDB table function.
LOG_SQL = """
SELECT CAST({id} AS VARCHAR) AS id,
       coalesce(try_strptime(trim(CAST({date} AS VARCHAR)), '%Y%m%d'),
                CAST(TRY_CAST(trim(CAST({date} AS VARCHAR)) AS TIMESTAMPTZ) AS TIMESTAMP))
           AS date,
       TRY_CAST({amount} AS DOUBLE) AS amount{quantity},
       CAST({date} AS VARCHAR) AS date_text, CAST({amount} AS VARCHAR) AS amount_text
FROM {source}
"""

#: Per customer at ``$as_of``: purchases on the same timestamp are one order; days are
#: whole days elapsed (floor), as pandas' ``Timedelta.days``.
FEATURES_SQL = """
WITH orders AS (
    SELECT id, date, sum(amount) AS amount{order_quantity}
    FROM log WHERE date <= $as_of GROUP BY id, date
), gaps AS (
    SELECT *, floor(epoch(date - lag(date) OVER (PARTITION BY id ORDER BY date)) / 86400)
              AS gap,
           row_number() OVER (PARTITION BY id ORDER BY date) AS n
    FROM orders
), per_customer AS (
    SELECT id,
           count(*)::DOUBLE AS frequency,
           floor(epoch($as_of - max(date)) / 86400) AS recency_days,
           floor(epoch($as_of - min(date)) / 86400) AS tenure_days,
           sum(amount) AS total_spend,
           avg(amount) AS avg_order_value,
           max(amount) AS max_order_value,
           max(CASE WHEN n = 1 THEN amount END) AS first_order_value{items}
           avg(gap) AS mean_gap,
           stddev_pop(gap) AS gap_std
    FROM gaps GROUP BY id
)
SELECT id AS customer_id, frequency, recency_days, tenure_days, total_spend,
       avg_order_value, max_order_value, first_order_value{items_out}
       coalesce(mean_gap, tenure_days) AS mean_gap_days,
       coalesce(gap_std, 0.0) AS gap_std_days,
       frequency / greatest(tenure_days / 30.44, 1.0) AS orders_per_month
FROM per_customer ORDER BY id
"""

OUTCOMES_SQL = """
SELECT id AS customer_id, sum(amount) AS holdout_spend
FROM log WHERE date > $as_of GROUP BY id
"""


def _source(path: str | Path) -> str:
    """The DuckDB table function reading ``path``: a file, a folder of files or a glob."""
    text = str(path)
    folder = Path(text)
    if folder.is_dir():
        files = sorted(p.suffix.lower() for p in folder.iterdir() if p.is_file())
        kind = ".parquet" if ".parquet" in files else ".csv"
        text = str(folder / f"*{kind}")
    elif not any(c in text for c in "*?[") and not folder.is_file():
        raise DataError(f"purchase log {text} not found; check the path")
    quoted = "'" + text.replace("'", "''") + "'"
    if text.lower().endswith(".parquet"):
        return f"read_parquet({quoted}, union_by_name = true)"
    return f"read_csv({quoted}, union_by_name = true, all_varchar = true)"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_log(connection, path, *, id_column: str, date_column: str, amount_column: str,
             quantity_column: str | None = None) -> None:
    """Create the view ``log`` (``id, date, amount[, quantity]``) over the files at
    ``path``; raise DataError, in one line, for a missing column, an unreadable date or a
    non-numeric amount (checked in SQL: no rows come to Python)."""
    import duckdb

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
    _check_values(connection, path)


def _check_values(connection, path) -> None:
    bad = connection.execute(
        "SELECT date_text FROM log WHERE date IS NULL LIMIT 1").fetchone()
    if bad is not None:
        raise DataError(f"{path}: cannot read date {bad[0]!r} here; write dates as "
                        "YYYY-MM-DD or YYYYMMDD")
    bad = connection.execute("SELECT amount_text FROM log WHERE amount IS NULL OR NOT "
                             "isfinite(amount) LIMIT 1").fetchone()
    if bad is not None:
        raise DataError(f"{path}: amount value {bad[0]!r} is not a finite number")
    if connection.execute("SELECT count(*) FROM log").fetchone()[0] == 0:
        raise DataError(f"purchase log {path} has no transactions")
    tomorrow = (pd.Timestamp.now().normalize() + pd.Timedelta(days=1)).to_pydatetime()
    future, example = connection.execute(
        "SELECT count(*), any_value(date_text) FROM log WHERE date > ?", [tomorrow]).fetchone()
    if future:
        raise DataError(f"{path}: {future} transaction(s) are dated in the future, e.g. "
                        f"{example!r}; fix or drop them (they would move the default as-of "
                        "date)")
    refunds, lowest = connection.execute(
        "SELECT count(*), min(amount) FROM log WHERE amount < 0").fetchone()
    if refunds:
        warnings.warn(f"{path}: {refunds} transaction(s) have a negative amount, e.g. "
                      f"{lowest:g}; they are counted as refunds, which lower the customer's "
                      "spend", stacklevel=3)


def log_features(path, *, id_column: str, date_column: str, amount_column: str,
                 quantity_column: str | None = None, as_of: str | None = None,
                 memory_limit: str | None = None, temp_directory: str | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Per-customer features and hold-out outcomes of the purchase log at ``path``.

    Parameters
    ----------
    path : str or Path
        A CSV or Parquet file, a folder of them, or a glob (``logs/*.parquet``).
    id_column, date_column, amount_column : str
    quantity_column : str, optional
    as_of : str, optional
        Features from purchases up to this date; default the log's midpoint.
    memory_limit, temp_directory : str, optional
        DuckDB's settings (e.g. ``"4GB"``): beyond the limit it spills to the folder.

    Returns
    -------
    features : DataFrame indexed by ``customer_id`` (text)
        The columns of :func:`dec.data.transactions.customer_features`, float64.
    outcomes : DataFrame
        ``holdout_spend`` and ``holdout_active`` for the same customers.
    as_of : Timestamp
    """
    import duckdb

    connection = duckdb.connect()
    try:
        if memory_limit:
            connection.execute(f"SET memory_limit = '{memory_limit}'")
        if temp_directory:
            connection.execute("SET temp_directory = ?", [str(temp_directory)])
        read_log(connection, path, id_column=id_column, date_column=date_column,
                 amount_column=amount_column, quantity_column=quantity_column)
        first, last = connection.execute("SELECT min(date), max(date) FROM log").fetchone()
        stamp = parse_date(as_of) if as_of is not None else \
            pd.Timestamp((pd.Timestamp(first) + (pd.Timestamp(last) - pd.Timestamp(first)) / 2)
                         .date())
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
        later = connection.execute("SELECT count(DISTINCT id) FROM log").fetchone()[0] - \
            len(features)
        if later:
            warnings.warn(render_settings(
                f"{later} customer(s) first bought after as_of={stamp.date()} and are left "
                "out (they have no history yet); choose a later {data.as_of} date to include "
                "them"), stacklevel=2)
    finally:
        connection.close()
    features = features.astype(float)
    holdout = spend["holdout_spend"].reindex(features.index)
    outcomes = pd.DataFrame({"holdout_spend": holdout.fillna(0.0).astype(float),
                             "holdout_active": holdout.notna().astype(float)},
                            index=features.index)
    return features, outcomes, stamp


def log_dataset(path, *, id_column: str, date_column: str, amount_column: str,
                quantity_column: str | None = None, as_of: str | None = None):
    """The :class:`~dec.data.datasets.Dataset` of a purchase log read by DuckDB: the
    features of :func:`log_features`, its hold-out outcomes as outcomes."""
    import importlib.util
    import logging

    from dec.data.datasets import Dataset
    from dec.errors import ConfigError

    if importlib.util.find_spec("duckdb") is None:
        raise ConfigError("{data.log_engine} duckdb needs DuckDB: pip install 'dec[logs]', "
                          "or read the log with pandas")
    features, outcomes, stamp = log_features(
        path, id_column=id_column, date_column=date_column, amount_column=amount_column,
        quantity_column=quantity_column, as_of=as_of)
    logging.getLogger("dec").info(
        "%s: features from the purchases up to %s (%s) for %s customers, read by DuckDB; "
        "holdout_spend and holdout_active (what they did after it) judge the segments and "
        "are never features", Path(str(path)).name, stamp.date(),
        "the as-of date" if as_of is not None else "the log's midpoint",
        f"{len(features):,}")
    return Dataset(Path(str(path)).name, features, None, outcomes)
