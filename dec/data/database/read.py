"""Reading customers and purchases from a database table or query, in chunks.

A table or query is streamed ``batch_rows`` rows at a time (a server-side cursor on
PostgreSQL), so memory follows what is kept, not what the driver buffers. A purchase log is
reduced to orders (one row per customer and day, the unit every feature is made of) as it
is read; where the database can do that itself (a PostgreSQL table whose date and amount
columns are typed) the ``GROUP BY`` runs there and only orders cross the wire. Every failure
is one :class:`~dec.errors.DataError` line.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

import pandas as pd

from dec.data.database.connect import (
    column_names,
    database_errors,
    engine,
    execute,
    identifier,
    read_only,
    split_name,
    where,
)
from dec.data.logs.transactions import check_log_columns, clean_transactions
from dec.errors import ConfigError, DataError
from dec.utils.urls import masked

#: Rows per chunk read from a database.
BATCH_ROWS = 100_000
#: The ``DataFrame.attrs`` key saying that the ids were integers in the database: a table
#: written back gives them that type again (:mod:`dec.data.database.write`), so it joins
#: with the customers' own table.
INTEGER_IDS = "integer_ids"


def mark_integer_ids(frame: pd.DataFrame, integer: bool) -> pd.DataFrame:
    """``frame`` (ids already text) marked as having had integer ids where ``integer``."""
    if integer:
        frame.attrs[INTEGER_IDS] = True
    return frame


def check_source(source: str, table: str | None, query: str | None) -> None:
    """A database source needs exactly one of a table and a query."""
    if bool(table) == bool(query):
        raise ConfigError(
            "a database source needs a table or a query: give {data.table} NAME or "
            "{data.query} 'SELECT ...' with it"
            if not (table or query)
            else "give {data.table} or {data.query}, not both"
        )


def _selectable(connection, source: str, table: str | None, query: str | None) -> str:
    """The SQL to read: the named table (checked to exist: a missing one is an error that
    lists the tables there are) or the query as a sub-select."""
    check_source(source, table, query)
    if query:
        text = query.strip().rstrip(";").rstrip()
        # Planned, not run: a mistake is reported where it is in the query as given, and
        # anything but one query (a second statement, an UPDATE) fails here.
        if not re.match(r"(select|with|values|table)\b", text, re.I):
            raise DataError(
                f"{{data.query}} must be a SELECT query; {text.split(None, 1)[0]!r} is not one"
            )
        execute(connection, f"EXPLAIN {text}", given=True)
        return f"(\n{text}\n) AS dec_query"  # a last line's -- comment ends before the )
    import sqlalchemy

    schema, name = split_name(table, connection.dialect.name)
    inspector = sqlalchemy.inspect(connection)
    if not inspector.has_table(name, schema=schema):
        tables = inspector.get_table_names(schema=schema)
        listed = ", ".join(tables[:10]) + (" ..." if len(tables) > 10 else "")
        raise DataError(
            f"no table {table} in {masked(source)}; "
            + (f"tables there are: {listed}" if tables else "it has no tables")
        )
    prefix = f"{identifier(connection, schema, schema=True)}." if schema else ""
    return prefix + identifier(connection, name)


def _columns(connection, selectable: str) -> list[str]:
    return column_names(execute(connection, f"SELECT * FROM {selectable} WHERE 1 = 0", given=True))


def iter_frames(
    source: str,
    *,
    table: str | None = None,
    query: str | None = None,
    batch_rows: int = BATCH_ROWS,
    columns: list[str] | None = None,
) -> Iterator[pd.DataFrame]:
    """The rows of ``table`` (or of ``query``) in ``source``, ``batch_rows`` at a time
    (``columns`` only, checked to exist, if given). A table without rows yields nothing."""
    what = f"reading {where(source, table, query)}"
    with engine(source) as made, database_errors(source, what), made.connect() as connection:
        read_only(connection)
        connection = connection.execution_options(stream_results=True, max_row_buffer=batch_rows)
        selectable = _selectable(connection, source, table, query)
        chosen = "*"
        if columns is not None:
            there = _columns(connection, selectable)
            missing = [c for c in columns if c not in there]
            if missing:
                raise DataError(
                    f"{where(source, table, query)} has no column(s) {missing}; columns are: "
                    f"{there}"
                )
            chosen = ", ".join(identifier(connection, c) for c in columns)
        select = f"SELECT {chosen} FROM {selectable}"
        if made.dialect.name == "postgresql" and made.dialect.driver == "psycopg":
            from dec.data.database.copy import copy_frames

            frames = copy_frames(connection, select, batch_rows)
            if frames is not None:
                yield from frames
                return
        yield from _row_frames(connection, select, batch_rows)


def _row_frames(connection, select: str, batch_rows: int) -> Iterator[pd.DataFrame]:
    """The row path: frames built from the driver's rows, through a server-side cursor on
    PostgreSQL; exact numbers (``NUMERIC``) as :func:`~dec.data.database.copy.exact_numbers`
    reads them."""
    from dec.data.database.copy import exact_numbers

    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor(name="dec_rows")
        cursor.execute(select)
        fetch = lambda: cursor.fetchmany(batch_rows)  # noqa: E731
        names = None
    else:
        result = execute(connection, select)
        fetch = lambda: result.fetchmany(batch_rows)  # noqa: E731
        names = column_names(result)
    while rows := fetch():
        names = names or column_names(cursor)
        frame = pd.DataFrame.from_records(rows, columns=names)
        yield exact_numbers(frame)


def read_frame(source: str, *, table: str | None = None, query: str | None = None) -> pd.DataFrame:
    """The whole table (or query result) as one frame; DataError where it has no rows."""
    frames = list(iter_frames(source, table=table, query=query))
    if not frames:
        raise DataError(f"{where(source, table, query)} has no rows; it needs one per customer")
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def read_orders(
    source: str,
    *,
    table: str | None = None,
    query: str | None = None,
    id_column: str,
    date_column: str,
    amount_column: str,
    quantity_column: str | None = None,
    batch_rows: int = BATCH_ROWS,
) -> tuple[pd.DataFrame, int]:
    """A purchase log's orders (``id, date, amount[, quantity]``: one row per customer and
    day, the purchases of that day added up) and its number of purchases.

    The same checks as a log file (:func:`~dec.data.logs.transactions.clean_transactions`):
    no id, a date or amount that is missing or unreadable, dates outside the plausible; the
    refund warning counts purchases.
    """
    check_log_columns(id_column, date_column, amount_column, quantity_column)
    name = where(source, table, query)
    roles = {"id": id_column, "date": date_column, "amount": amount_column}
    if quantity_column:
        roles["quantity"] = quantity_column
    pushed = _pushed_orders(source, table, roles, batch_rows) if table else None
    if pushed is not None:
        orders, purchases, refunds, integer = pushed
    else:
        parts, texts, purchases, refunds, integer = [], [], 0, 0, True
        for chunk in iter_frames(
            source, table=table, query=query, batch_rows=batch_rows, columns=list(roles.values())
        ):
            chunk = chunk.set_axis(list(roles), axis=1)
            integer = integer and pd.api.types.is_integer_dtype(chunk["id"])
            if chunk["date"].isna().any():
                raise DataError(
                    f"{name}: {int(chunk['date'].isna().sum())} transaction(s) have no date; "
                    "fill them in or drop those rows"
                )
            if texts or not _typed_dates(chunk["date"]):
                # Text dates are read together, as a file's are: whether 03/04 is the 3rd of
                # April or March 4th is decided once, for the whole log.
                texts.append(chunk)
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # said once below, for the whole log
                clean = clean_transactions(chunk, source=name)
            purchases += len(clean)
            refunds += int((clean["amount"] < 0).sum())
            parts.append(_by_day(clean))
        if texts:
            clean = clean_transactions(pd.concat(texts, ignore_index=True), source=name)
            purchases, refunds = len(clean), 0  # its own warning counts the refunds
            parts = [_by_day(clean)]
        if not parts:
            raise DataError(f"{name} has no transactions")
        orders = _by_day(pd.concat(parts, ignore_index=True))
    if refunds:
        warnings.warn(
            f"{name}: {refunds} transaction(s) have a negative amount; they are counted as "
            "refunds, which lower the customer's spend",
            stacklevel=2,
        )
    return mark_integer_ids(orders, integer), purchases


def _typed_dates(values: pd.Series) -> bool:
    """Whether the database gave dates or timestamps, not text to parse."""
    import datetime

    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    return values.map(lambda v: isinstance(v, datetime.date)).all()


def _by_day(purchases: pd.DataFrame) -> pd.DataFrame:
    sums = [c for c in ("amount", "quantity") if c in purchases]
    return purchases.groupby(["id", "date"], sort=False)[sums].sum().reset_index()


def _pushed_orders(source: str, table: str, roles: dict, batch_rows: int):
    """Orders added up by PostgreSQL itself, where the table's date column is a date or
    timestamp and its amounts (and quantities) numbers; None where it cannot."""
    import sqlalchemy
    from sqlalchemy import types

    name = where(source, table)
    with engine(source) as made, database_errors(source, f"reading {name}"):
        if made.dialect.name != "postgresql":
            return None
        with made.connect() as connection:
            selectable = _selectable(connection, source, table, None)  # exists, or one line
            schema, bare = split_name(table)
            declared = {
                c["name"]: c["type"]
                for c in sqlalchemy.inspect(connection).get_columns(bare, schema=schema)
            }
            missing = [c for c in roles.values() if c not in declared]
            if missing:
                raise DataError(f"{name} has no column(s) {missing}; columns are: {list(declared)}")
            numeric = (types.Integer, types.Numeric, types.Float)
            if not isinstance(declared[roles["date"]], types.Date | types.DateTime) or not all(
                isinstance(declared[roles[r]], numeric)
                for r in ("amount", "quantity")
                if r in roles
            ):
                return None
            q = lambda name: identifier(connection, name)  # noqa: E731
            sums = "".join(
                f", sum(CAST({q(roles[r])} AS double precision)) AS {r}, "
                f"count(*) - count({q(roles[r])}) AS missing_{r}"
                for r in ("amount", "quantity")
                if r in roles
            )
            read_only(connection)
            execute(connection, "SET TIME ZONE 'UTC'")  # a zone becomes UTC, as in files
            sql = (
                f"SELECT trim(CAST({q(roles['id'])} AS text)) AS id, "
                f"CAST({q(roles['date'])} AS date) AS date{sums}, count(*) AS purchases, "
                f"count(*) FILTER (WHERE {q(roles['amount'])} < 0) AS refunds "
                f"FROM {selectable} GROUP BY 1, 2"
            )
            frames = [
                frame.astype({"purchases": "int64", "refunds": "int64"})
                for frame in _row_frames(connection, sql, batch_rows)
            ]
    if not frames:
        raise DataError(f"{name} has no transactions")
    orders = pd.concat(frames, ignore_index=True)
    if orders["date"].isna().any():
        raise DataError(
            f"{name}: {int(orders.loc[orders['date'].isna(), 'purchases'].sum())} "
            "transaction(s) have no date; fill them in or drop those rows"
        )
    for role in ("amount", "quantity"):
        if role in roles and orders[f"missing_{role}"].sum():
            raise DataError(
                f"{name}: {int(orders[f'missing_{role}'].sum())} transaction(s) have no "
                f"{role}; fill them in or drop those rows"
            )
    purchases, refunds = int(orders["purchases"].sum()), int(orders["refunds"].sum())
    kept = ["id", "date", "amount", *(["quantity"] if "quantity" in roles else [])]
    orders = orders[kept].assign(date=pd.to_datetime(orders["date"]))
    integer = isinstance(declared[roles["id"]], types.Integer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # refunds are counted by purchase, above
        return clean_transactions(orders, source=name), purchases, refunds, integer
