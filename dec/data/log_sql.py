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

import warnings
from pathlib import Path

import pandas as pd

from dec.data.dates import parse_date
from dec.errors import ConfigError, DataError, render_settings

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


#: Every check and count in one pass over the log: each pass reads all the files again.
SUMMARY_SQL = """
SELECT count(*) AS rows,
       count(*) FILTER (date IS NULL) AS bad_dates,
       any_value(date_text) FILTER (date IS NULL) AS bad_date,
       count(*) FILTER (amount IS NULL OR NOT isfinite(amount)) AS bad_amounts,
       any_value(amount_text) FILTER (amount IS NULL OR NOT isfinite(amount)) AS bad_amount,
       count(*) FILTER (date > $tomorrow) AS future,
       any_value(date_text) FILTER (date > $tomorrow) AS future_date,
       count(*) FILTER (amount < 0) AS refunds,
       min(amount) FILTER (amount < 0) AS lowest,
       min(date) AS first, max(date) AS last, count(DISTINCT id) AS customers
FROM log
"""


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
    connection = _duckdb().connect()
    try:
        if memory_limit:
            connection.execute(f"SET memory_limit = '{memory_limit}'")
        if temp_directory:
            connection.execute("SET temp_directory = ?", [str(temp_directory)])
        summary = read_log(connection, path, id_column=id_column, date_column=date_column,
                           amount_column=amount_column, quantity_column=quantity_column)
        first, last = summary["first"], summary["last"]
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
        later = summary["customers"] - len(features)
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
