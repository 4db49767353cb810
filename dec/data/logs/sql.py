"""Purchase-log features in SQL, run by DuckDB straight from the files.

The same per-customer features as :func:`dec.data.logs.transactions.customer_features` and the
same hold-out outcomes as :func:`~dec.data.logs.transactions.holdout_outcomes`, computed by one
query (:mod:`dec.data.logs.queries`) over a CSV or Parquet file, a folder or a glob of them
(:mod:`dec.data.logs.read`). The query groups purchases into orders and sorts each
customer's orders, which takes memory in proportion to the purchases; so a log too large
for the memory limit is split by a hash of the customer id into as many parts as it needs,
each run on its own, and memory follows the limit, not the log. Only one row per customer
comes back to Python, or none: :func:`write_features` has DuckDB write the file.
``tests/data/logs/test_log_sql.py`` checks the two paths agree to 1e-9.

Dates must be dates, timestamps, ISO text or ``YYYYMMDD``; other spellings (``07/08/2020``)
need the pandas reader (:func:`dec.utils.dates.parse_dates`), which tells day-first apart.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from pathlib import Path

import pandas as pd

from dec.data.logs.queries import WHITESPACE, features_sql, outcomes_sql
from dec.data.logs.read import connection, literal, memory_bytes, quoted, read_log
from dec.data.logs.transactions import (
    OUTCOMES,
    TOO_LARGE,
    as_of_date,
    chosen_as_of,
    has_holdout,
    log_notice,
    no_customer_id,
)
from dec.data.roles import ID_COLUMN, roles_metadata
from dec.errors import ConfigError, DataError, render_settings
from dec.utils.paths import same_file

#: Purchases per part of the feature query for each GB of the memory limit (25 million
#: rows of a generated log peaked at 1.4 GB resident under a 1 GB limit).
ROWS_PER_GB = 25_000_000


@contextlib.contextmanager
def feature_tables(
    path,
    *,
    id_column: str,
    date_column: str,
    amount_column: str,
    quantity_column: str | None = None,
    as_of: str | None = None,
    memory_limit: str | None = None,
    temp_directory: str | None = None,
):
    """A connection holding the tables ``features`` (one row per customer with a purchase
    by ``as_of``) and ``spend`` (each customer's spend after it), the as-of date and the
    log's last date. Arguments as :func:`log_features`; warns about customers who first
    bought later."""
    if temp_directory and Path(str(path)).is_dir() and same_file(temp_directory, path):
        raise ConfigError(
            "the temp directory is the purchase log folder, whose every file "
            "is read as a part; give another with {data.log_temp_directory} "
            "(python -m dec features: --temp-directory)"
        )
    with connection(memory_limit, temp_directory) as db:
        summary = read_log(
            db,
            path,
            id_column=id_column,
            date_column=date_column,
            amount_column=amount_column,
            quantity_column=quantity_column,
        )
        first, last = pd.Timestamp(summary["first"]), pd.Timestamp(summary["last"])
        stamp = as_of_date(as_of, first, last, Path(str(path)).name)
        parts = max(1, math.ceil(summary["rows"] / (ROWS_PER_GB * memory_bytes(db) / 2**30)))
        quantity = quantity_column is not None
        source = _split(db, parts, quantity) if parts > 1 else None
        # The parts live in the connection's private spill folder, removed with it.
        db = _computed(db, stamp, parts, source, quantity)
        check_ids(db, Path(str(path)).name)
        yield db, stamp, last


def _computed(db, stamp, parts: int, source: Path | None, quantity: bool):
    """Fill the tables ``features`` and ``spend`` part by part (from ``source``'s parts,
    else from the whole log); warn about customers who first bought after ``stamp``."""
    done = 0
    for part in range(parts):
        if source and not (source / f"part={part}").exists():
            continue  # no customer's id hashed to this part
        # Every customer's purchases fall in one part: the features are the same.
        db.execute(
            "CREATE OR REPLACE TEMP VIEW log_part AS SELECT * FROM "
            + (
                f"read_parquet({literal(source / f'part={part}' / '*.parquet')})"
                if source
                else "log"
            )
        )
        verb = "CREATE TEMP TABLE {} AS " if done == 0 else "INSERT INTO {} "
        done += 1
        db.execute(verb.format("features") + features_sql(stamp, quantity=quantity, log="log_part"))
        db.execute(verb.format("spend") + outcomes_sql(stamp, log="log_part"))
    if db.execute("SELECT count(*) FROM features").fetchone()[0] == 0:
        raise DataError(
            f"no transactions on or before as_of={stamp.date()}; choose a later {{data.as_of}} date"
        )
    _check_finite(db)
    later = db.execute(
        "SELECT count(*) FROM spend ANTI JOIN features USING (customer_id)"
    ).fetchone()[0]
    if later:
        warnings.warn(
            render_settings(
                f"{later} customer(s) first bought after as_of={stamp.date()} and are left "
                "out (they have no history yet); choose a later {data.as_of} date to include "
                "them"
            ),
            stacklevel=4,
        )
    return db


def check_ids(db, name: str) -> None:
    """DataError for purchases without a customer id, or ids with a tab or line break at an
    edge: checked on the tables of customers, not on every purchase, so that the pass over
    the log stays as fast as it was (the purchases are counted only for the message)."""
    found = db.execute(
        "SELECT count(*) FILTER (customer_id IS NULL OR customer_id = ''), any_value("
        f"customer_id) FILTER (customer_id <> trim(customer_id, {WHITESPACE})) FROM ("
        "SELECT customer_id FROM features UNION ALL SELECT customer_id FROM spend)"
    ).fetchone()
    if found[0]:
        count = db.execute("SELECT count(*) FROM log WHERE id IS NULL OR id = ''").fetchone()[0]
        raise no_customer_id(name, count)
    if found[1] is not None:
        raise DataError(
            f"{name}: ids such as {found[1]!r} have a tab or line break at an edge; "
            "remove it (it would make two customers of one)"
        )


def _check_finite(db) -> None:
    """DataError where a sum overflowed (two purchases of 1e308): an infinite feature or
    outcome would train and judge on nonsense."""
    for table in ("features", "spend"):
        columns = [
            row[0] for row in db.execute(f"DESCRIBE {table}").fetchall() if row[1] == "DOUBLE"
        ]
        test = " OR ".join(f"NOT isfinite({quoted(c)})" for c in columns)
        if test and db.execute(f"SELECT count(*) FROM {table} WHERE {test}").fetchone()[0]:
            raise DataError(TOO_LARGE)


def _split(db, parts: int, quantity: bool) -> Path:
    """Write the log into ``parts`` Parquet folders by a hash of the customer id, in one
    pass, inside the connection's private spill folder (it needs about the log's size on
    disk there; :func:`dec.data.logs.read.connection`), and
    return where. Reading the whole log again for every part instead costs a scan per part:
    a billion purchases in 43 parts took over 22 minutes that way, 6 minutes this way."""
    folder = Path(db.execute("SELECT current_setting('temp_directory')").fetchone()[0], "dec_parts")
    columns = "id, date, amount" + (", quantity" if quantity else "")
    db.execute(
        f"COPY (SELECT {columns}, hash(id) % {parts} AS part FROM log) TO "
        f"{literal(folder)} (FORMAT parquet, PARTITION_BY (part), "
        "OVERWRITE_OR_IGNORE true)"
    )
    return folder


def log_features(
    path,
    *,
    id_column: str,
    date_column: str,
    amount_column: str,
    quantity_column: str | None = None,
    as_of: str | None = None,
    memory_limit: str | None = None,
    temp_directory: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp, pd.Timestamp]:
    """Per-customer features and hold-out outcomes of the purchase log at ``path``.

    Parameters
    ----------
    path : str or Path
        A CSV or Parquet file, a folder of them, or a glob (``logs/*.parquet``).
    id_column, date_column, amount_column : str
    quantity_column : str, optional
    as_of : str, optional
        Features from purchases up to this date; default the log's last date, so every
        customer counts (:func:`dec.data.logs.transactions.as_of_date`).
    memory_limit, temp_directory : str, optional
        DuckDB's memory limit (default ``"1GB"``; more is faster) and the folder it spills
        into beyond it (default: a temporary one, removed afterwards); DuckDB uses every core.

    Returns
    -------
    features : DataFrame indexed by ``customer_id`` (text), sorted by it
        The columns of :func:`dec.data.logs.transactions.customer_features`, float64.
    outcomes : DataFrame or None
        ``holdout_spend`` and ``holdout_active`` for the same customers; None where the log
        ends on or before ``as_of`` (no hold-out period).
    as_of, last : Timestamp
        The as-of date and the log's last date: the outcomes cover the time between.
    """
    with feature_tables(
        path,
        id_column=id_column,
        date_column=date_column,
        amount_column=amount_column,
        quantity_column=quantity_column,
        as_of=as_of,
        memory_limit=memory_limit,
        temp_directory=temp_directory,
    ) as (db, stamp, last):
        features = db.execute("SELECT * FROM features ORDER BY customer_id").df()
        spend = db.execute("SELECT * FROM spend").df()
    features = features.set_index("customer_id").astype(float)
    if not has_holdout(stamp, last):
        return features, None, stamp, last
    holdout = spend.set_index("customer_id")["holdout_spend"].reindex(features.index)
    outcomes = pd.DataFrame(
        {
            "holdout_spend": holdout.fillna(0.0).astype(float),
            "holdout_active": holdout.notna().astype(float),
        },
        index=features.index,
    )
    return features, outcomes, stamp, last


def write_features(
    path, output: str | Path, file_format: str | None = None, **options
) -> tuple[int, int, pd.Timestamp, bool]:
    """Write the features of the log at ``path`` to ``output`` (``file_format``
    ``"parquet"`` or ``"csv"``; default: from its suffix),
    with ``holdout_spend`` and ``holdout_active`` where the log runs past the as-of date,
    sorted by the id (the first column, :data:`ID_COLUMN`, whatever the log called it):
    DuckDB writes the file, so no customer passes through Python. ``options`` as
    :func:`log_features`.

    Returns the numbers of customers and columns, the as-of date and whether outcomes were
    written.
    """
    with feature_tables(path, **options) as (db, stamp, last):
        outcomes = has_holdout(stamp, last)
        extra = (
            ", coalesce(spend.holdout_spend, 0.0) AS holdout_spend, CAST("
            "spend.customer_id IS NOT NULL AS DOUBLE) AS holdout_active"
            if outcomes
            else ""
        )
        query = (
            f"SELECT customer_id AS {ID_COLUMN}, features.* EXCLUDE (customer_id){extra} "
            "FROM features LEFT JOIN spend USING (customer_id) ORDER BY customer_id"
        )
        file_format = file_format or Path(output).suffix.lower().lstrip(".")
        # The file says which column is the id and which are outcomes (CSV: by their
        # names, id and holdout_*), so no reader learns them as features.
        meaning = roles_metadata(ID_COLUMN, OUTCOMES if outcomes else [])
        metadata = ", ".join(
            f"{literal(k.decode())}: {literal(v.decode())}" for k, v in meaning.items()
        )
        form = (
            f"(FORMAT parquet, KV_METADATA {{{metadata}}})"
            if file_format == "parquet"
            else "(FORMAT csv, HEADER true)"
        )
        db.execute(f"COPY ({query}) TO {literal(output)} {form}")
        customers = db.execute("SELECT count(*) FROM features").fetchone()[0]
        columns = len(db.execute(f"DESCRIBE {query}").fetchall()) - 1  # not the id
    return customers, columns, stamp, outcomes


def log_dataset(path, *, as_of: str | None = None, **columns):
    """The :class:`~dec.data.dataset.Dataset` of a purchase log read by DuckDB
    (:func:`log_features`; ``columns``: its column arguments), outcomes included."""
    import logging

    from dec.data.dataset import Dataset

    features, outcomes, stamp, last = log_features(path, as_of=as_of, **columns)
    logging.getLogger("dec").info(
        "%s",
        log_notice(
            Path(str(path)).name, as_of is not None, stamp, last, len(features), ", read by DuckDB"
        ),
    )
    return Dataset(
        Path(str(path)).name,
        features,
        None,
        outcomes,
        holdout_weeks=(last - stamp).days / 7 if outcomes is not None else None,
        as_of=str(stamp.date()),
        found=chosen_as_of(as_of, stamp),
    )
