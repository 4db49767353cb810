"""The purchase-log feature definitions as SQL: the log's columns, the per-customer
features at ``$as_of``, the hold-out outcomes after it and the checks of a log, run by
:mod:`dec.data.log_sql`. The same definitions as :mod:`dec.data.transactions` (pandas),
checked against it to 1e-9 by ``tests/test_log_sql.py``."""

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
