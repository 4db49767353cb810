"""Writing segments back as a database table that appears whole or not at all.

Rows go into a staging table first; once the last is in, the staging table takes the
table's name in the same transaction that drops the one it replaces. A failure or an
interruption at any point rolls everything back: readers see the old table or the new one,
never a part. An existing table is replaced only when asked (``--overwrite``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pandas as pd

from dec.data.database.connect import (
    database_errors,
    engine,
    execute,
    identifier,
    split_name,
    where,
)
from dec.data.database.read import INTEGER_IDS
from dec.data.roles import ID_COLUMN
from dec.errors import DataError, OutputPathError
from dec.utils.urls import masked, real_url


def _exists(connection, table: str) -> bool:
    import sqlalchemy

    schema, name = split_name(table, connection.dialect.name)
    return sqlalchemy.inspect(connection).has_table(name, schema=schema)


def check_output_table(source: str, table: str | None, *, overwrite: bool) -> None:
    """Before any scoring: the database opens, a table is named, and it does not exist yet
    unless ``overwrite`` (one line each)."""
    if not table:
        raise OutputPathError(
            "a database output needs the name of the table to write (--output-table NAME, "
            "or the table flag where nothing else is read from a database)"
        )
    with engine(source, must_exist=False) as made, database_errors(source, "opening the database"):
        schema, name = split_name(table, made.dialect.name)
        longest = made.dialect.max_identifier_length
        if made.dialect.name == "postgresql" and len(name.encode()) > longest:
            raise OutputPathError(
                f"table name {name[:20]}... has {len(name.encode())} bytes; PostgreSQL "
                f"keeps {longest} and would cut it short, so give a shorter name"
            )
        with made.connect() as connection:
            if schema and made.dialect.name == "postgresql":
                import sqlalchemy

                if schema not in sqlalchemy.inspect(connection).get_schema_names():
                    raise OutputPathError(
                        f"schema {schema} does not exist in {masked(source)}; create it or "
                        "write to another"
                    )
            if _exists(connection, table) and not overwrite:
                raise OutputPathError(
                    f"table {table} already exists in {masked(source)}; give --overwrite to "
                    "replace it (in one transaction: readers see the old rows or the new)"
                )


def write_table(
    batches: Iterator[pd.DataFrame], source: str, table: str, *, overwrite: bool = False
) -> int:
    """Write ``batches`` as ``table`` in ``source``, whole or not at all; return the rows.

    Ids are text (``00123`` keeps its zeros), or integers where the database the customers
    were read from held them as integers (:data:`~dec.data.database.read.INTEGER_IDS`);
    segments integers; embeddings and probabilities single precision, values double.
    ``overwrite`` replaces an existing table. PostgreSQL takes the rows by ``COPY``.
    """
    from sqlalchemy import types

    schema, name = split_name(table, real_url(source).get_backend_name())
    staging = f"{name[:40]}_dec_staging_{uuid.uuid4().hex[:8]}"
    rows, written = 0, False  # an empty batch still makes the table (no movers: no rows)
    if real_url(source).get_backend_name() == "sqlite":
        # SQLite takes one writer only once no reader holds the file, and the customers may
        # be streaming out of this very file: score them all before writing.
        batches = list(batches)
    with (
        engine(source, must_exist=False) as made,
        database_errors(source, f"writing {where(source, table)}"),
        made.begin() as connection,
    ):
        exists = _exists(connection, table)
        if exists and not overwrite:  # made while this command was scoring
            raise OutputPathError(
                f"table {table} already exists in {masked(source)}; give --overwrite to replace it"
            )
        for batch in batches:
            dtype = {}
            if ID_COLUMN in batch.columns:
                dtype[ID_COLUMN] = types.Text()
                if batch.attrs.get(INTEGER_IDS):  # integers in the database they came from
                    dtype[ID_COLUMN] = types.BigInteger()
                    batch = batch.assign(**{ID_COLUMN: batch[ID_COLUMN].astype("int64")})
            if "segment" in batch.columns:
                dtype["segment"] = types.Integer()
            batch.to_sql(
                staging,
                connection,
                schema=schema,
                if_exists="append",
                index=False,
                dtype=dtype,
                chunksize=10_000,
                method=_copy_rows if made.dialect.name == "postgresql" else None,
            )
            rows += len(batch)
            written = True
        if not written:
            raise DataError("no customers to write")
        prefix = f"{identifier(connection, schema, schema=True)}." if schema else ""
        target, temporary = identifier(connection, name), identifier(connection, staging)
        grants = _grants(connection, prefix + target) if exists else []
        if exists:
            execute(connection, f"DROP TABLE {prefix}{target}")
        execute(connection, f"ALTER TABLE {prefix}{temporary} RENAME TO {target}")
        for grantee, privileges in grants:  # who could read the old table reads the new
            execute(connection, f"GRANT {privileges} ON {prefix}{target} TO {grantee}")
    return rows


def _copy_rows(table, connection, keys, rows) -> int:
    """pandas' ``to_sql`` insertion by PostgreSQL's ``COPY ... FROM STDIN`` (psycopg 3): a
    million rows of segments in a few seconds instead of twenty."""
    columns = ", ".join(identifier(connection, key) for key in keys)
    target = identifier(connection, table.name)
    if table.schema:
        target = f"{identifier(connection, table.schema, schema=True)}.{target}"
    count = 0
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _grants(connection, qualified: str) -> list[tuple[str, str]]:
    """The privileges others hold on a PostgreSQL table (``(grantee, "SELECT, ...")``), to
    give again on the table that replaces it; SQLite has none."""
    if connection.dialect.name != "postgresql":
        return []
    cursor = connection.connection.driver_connection.cursor()
    cursor.execute(
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END, "
        "string_agg(a.privilege_type, ', ') FROM pg_class c, aclexplode(c.relacl) a "
        "WHERE c.oid = to_regclass(%s) AND a.grantee <> c.relowner GROUP BY 1",
        [qualified],
    )
    return cursor.fetchall()
