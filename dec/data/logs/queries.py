"""The purchase-log feature definitions as SQL: the log's columns, the per-customer
features at ``$as_of``, the hold-out outcomes after it and the checks of a log, run by
:mod:`dec.data.logs.sql`. The same definitions as :mod:`dec.data.logs.transactions` (pandas),
checked against it to 1e-9 by ``tests/data/logs/test_log_sql.py``."""

import pandas as pd

#: The log as ``id, date, amount[, quantity]``: ids as text without surrounding spaces
#: (``00042`` stays); the date and
#: amount expressions (:func:`dec.data.logs.read.read_log`) cast typed columns and parse text
#: ones: dates, timestamps, ISO text or YYYYMMDD, those with a zone (``...Z``, ``+05:00``)
#: as UTC without it, as :mod:`dec.utils.dates` reads them (the session runs in UTC);
#: ``{source}`` is a DuckDB table function.
LOG_SQL = """
SELECT trim(CAST({id} AS VARCHAR)) AS id,
       CAST({date_value} AS DATE) AS date, {amount_value} AS amount{quantity},
       CAST({date} AS VARCHAR) AS date_text, CAST({amount} AS VARCHAR) AS amount_text
FROM {source}
"""

#: Whitespace other than spaces, which pandas strips from ids too: an id with it at an edge
#: is refused (:func:`dec.data.logs.sql.check_ids`; trimming every purchase's id of it
#: doubled the time of the features of 200 million purchases, trimming spaces costs nothing).
WHITESPACE = "chr(9) || chr(10) || chr(11) || chr(12) || chr(13)"

#: Per customer at ``{as_of}``: purchases on the same day are one order (the log's dates
#: are days: :data:`LOG_SQL` drops the time of day, as pandas does); days are
#: whole days elapsed (floor), as pandas' ``Timedelta.days``. Written in the SQL DuckDB and
#: Spark share; what differs is filled in by :func:`features_sql` from ``DIALECTS``.
FEATURES_SQL = """
WITH orders AS (
    SELECT id, date, sum(amount) AS amount{order_quantity}
    FROM {log} WHERE date <= {as_of} GROUP BY id, date
), gaps AS (
    SELECT *, floor(({seconds}(date) - lag({seconds}(date)) OVER (PARTITION BY id ORDER BY date))
                    / 86400) AS gap,
           row_number() OVER (PARTITION BY id ORDER BY date) AS n
    FROM orders
), per_customer AS (
    SELECT id,
           CAST(count(*) AS DOUBLE) AS frequency,
           floor(({seconds}({as_of}) - {seconds}(max(date))) / 86400) AS recency_days,
           floor(({seconds}({as_of}) - {seconds}(min(date))) / 86400) AS tenure_days,
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
       coalesce(gap_std, CAST(0 AS DOUBLE)) AS gap_std_days,
       frequency / greatest(tenure_days / CAST(30.44 AS DOUBLE), CAST(1 AS DOUBLE))
           AS orders_per_month
FROM per_customer ORDER BY id
"""

OUTCOMES_SQL = """
SELECT id AS customer_id, sum(amount) AS holdout_spend
FROM {log} WHERE date > {as_of} GROUP BY id
"""

#: What the engines spell differently: seconds since 1970 of a timestamp.
DIALECTS = {"duckdb": {"seconds": "epoch"}, "spark": {"seconds": "unix_timestamp"}}


def _timestamp(as_of) -> str:
    """A timestamp literal both engines read (``as_of`` is already a parsed date)."""
    return f"TIMESTAMP '{pd.Timestamp(as_of):%Y-%m-%d %H:%M:%S}'"


def features_sql(as_of, *, quantity: bool, dialect: str = "duckdb", log: str = "log") -> str:
    """The per-customer features of the view ``log`` (``id, date, amount[, quantity]``) at
    ``as_of``, in ``dialect`` (``"duckdb"`` or ``"spark"``); ``quantity`` adds the items."""
    return FEATURES_SQL.format(
        as_of=_timestamp(as_of),
        log=log,
        **DIALECTS[dialect],
        order_quantity=", sum(quantity) AS quantity" if quantity else "",
        items=",\n           avg(quantity) AS items_per_order," if quantity else ",",
        items_out=", items_per_order," if quantity else ",",
    )


def outcomes_sql(as_of, log: str = "log") -> str:
    """Each customer's spend after ``as_of`` in the view ``log`` (customers without any
    are absent)."""
    return OUTCOMES_SQL.format(as_of=_timestamp(as_of), log=log)


#: Every check and count in one pass over the log: each pass reads all the files again.
SUMMARY_SQL = """
SELECT count(*) AS rows,
       count(*) FILTER (date IS NULL) AS bad_dates,
       any_value(date_text) FILTER (date IS NULL) AS bad_date,
       count(*) FILTER (amount IS NULL OR NOT isfinite(amount)) AS bad_amounts,
       any_value(amount_text) FILTER (amount IS NULL OR NOT isfinite(amount)) AS bad_amount,
       count(*) FILTER (date < $earliest) AS early,
       any_value(date_text) FILTER (date < $earliest) AS early_date,
       count(*) FILTER (date > $tomorrow) AS future,
       any_value(date_text) FILTER (date > $tomorrow) AS future_date,
       count(*) FILTER (amount < 0) AS refunds,
       min(amount) FILTER (amount < 0) AS lowest,
       min(date) AS first, max(date) AS last{quantity_checks}
FROM log
"""

#: The quantity's checks, where the log has one (:data:`SUMMARY_SQL`).
QUANTITY_CHECKS = """,
       count(*) FILTER (quantity IS NULL OR NOT isfinite(quantity)) AS bad_quantities,
       any_value(quantity_text) FILTER (quantity IS NULL OR NOT isfinite(quantity))
           AS bad_quantity"""
