"""Opening a database (:mod:`dec.utils.urls` names it) and saying its failures in one line."""

from __future__ import annotations

import contextlib
from pathlib import Path

from dec.errors import ConfigError, DataError
from dec.utils.urls import is_kept_without_password, masked, real_url, sqlalchemy_module

#: Seconds to wait for a server before saying it cannot be reached.
CONNECT_TIMEOUT = 10
#: Seconds to wait for a table another session has locked before saying so.
LOCK_TIMEOUT = 30


def split_name(table: str, dialect: str = "postgresql") -> tuple[str | None, str]:
    """``schema.table`` or ``table``. SQLite has no schemas but its attached databases
    (``main.``, ``temp.``): there any other dot is part of the name."""
    schema, _, name = table.rpartition(".")
    if dialect == "sqlite" and schema.lower() not in ("main", "temp"):
        return None, table
    return (schema or None), name


def table_identity(source: str, table: str) -> tuple:
    """What tells two tables apart however their URLs and names are spelt: a SQLite file
    and the name without case; a PostgreSQL server (``localhost`` is ``127.0.0.1``), port,
    database and ``schema.table`` (``public`` unless named). User and password do not
    count: the same table is the same with other credentials."""
    url = real_url(source)
    backend = url.get_backend_name()
    if backend == "sqlite":
        schema, name = split_name(table, "sqlite")
        return ("sqlite", str(Path(url.database or "").resolve()), name.lower())
    host = (url.host or "localhost").lower()
    host = "localhost" if host in ("127.0.0.1", "::1", "[::1]") else host
    schema, name = split_name(table)
    return (backend, host, url.port or 5432, url.database or url.username, schema or "public", name)


def where(source: str, table: str | None = None, query: str | None = None) -> str:
    """How messages name a database source: ``table customers in sqlite:///shop.db``."""
    what = f"table {table}" if table else "the query" if query else "the database"
    return f"{what} in {masked(source)}"


@contextlib.contextmanager
def engine(source: str, *, must_exist: bool = True):
    """A SQLAlchemy engine for ``source``, disposed afterwards. A SQLite file that is not
    there is an error when ``must_exist`` (SQLite would create an empty one); a server is
    given :data:`CONNECT_TIMEOUT` seconds."""
    sqlalchemy = sqlalchemy_module()
    url = real_url(source)
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database in (None, "", ":memory:"):
        raise ConfigError(
            "an in-memory SQLite database (sqlite://) is gone when the command ends; give a "
            "file: sqlite:///shop.db"
        )
    if backend == "sqlite" and must_exist:
        if not Path(url.database).is_file():
            raise DataError(
                f"database file {url.database} not found; check the path in {masked(source)} "
                "(sqlite:///relative/path.db or sqlite:////absolute/path.db)"
            )
    options: dict = {}
    if backend == "postgresql":
        arguments = options["connect_args"] = {}
        if "connect_timeout" not in url.query:
            arguments["connect_timeout"] = CONNECT_TIMEOUT
        if "options" not in url.query:  # a table another session holds: an error, not a wait
            arguments["options"] = f"-c lock_timeout={LOCK_TIMEOUT * 1000}"
    try:
        made = sqlalchemy.create_engine(url, **options)
    except (ImportError, sqlalchemy.exc.NoSuchModuleError, sqlalchemy.exc.ArgumentError) as err:
        raise ConfigError(
            f"cannot open {masked(source)}: {first_line(err)}; dec reads sqlite:/// and "
            "postgresql:// URLs (pip install 'dec[sql]'); another database needs its own "
            "SQLAlchemy driver installed"
        ) from None
    if backend == "sqlite":
        _transactional_ddl(made)
    try:
        yield made
    finally:
        made.dispose()


def _transactional_ddl(made) -> None:
    """SQLite's Python driver commits before CREATE and DROP on its own; SQLAlchemy's
    documented recipe hands transactions to SQLite itself, so a table swap is one
    transaction there too."""
    from sqlalchemy import event

    @event.listens_for(made, "connect")
    def _no_driver_transactions(dbapi_connection, record):
        dbapi_connection.isolation_level = None

    @event.listens_for(made, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")


def first_line(error: BaseException) -> str:
    """A driver's own message, first line, without SQLAlchemy's SQL echo and links."""
    inner = getattr(error, "orig", None) or error
    text = str(inner).strip().splitlines()
    return (text[0] if text else type(inner).__name__)[:300]


@contextlib.contextmanager
def database_errors(source: str, what: str):
    """Every driver failure inside as one DataError line: ``what`` failed, the server's
    reason, and how to fix a connection (passwords come from the URL, ``PGPASSWORD`` or
    ``~/.pgpass``)."""
    sqlalchemy = sqlalchemy_module()
    try:
        yield
    except sqlalchemy.exc.OperationalError as err:
        reason = first_line(err)
        if real_url(source).get_backend_name() == "sqlite":
            hint = (
                "another program is writing to the file; try again when it is done"
                if "locked" in reason
                else "check that it is a SQLite database file in a folder that exists"
                if "unable to open" in reason or "not a database" in reason
                else ""
            )
            raise DataError(f"{what} failed: {reason}" + (f"; {hint}" if hint else "")) from None
        if "lock timeout" in reason:
            raise DataError(
                f"{what} failed: another session has held the table locked for "
                f"{LOCK_TIMEOUT} s; try again when it is free"
            ) from None
        if _cannot_connect(reason):
            hint = (
                "check that the server runs and the host, port and database name"
                if "password" not in reason.lower()
                else "a run keeps its URL without the password: give it in PGPASSWORD or ~/.pgpass"
                if is_kept_without_password(source)
                else "check the password (in the URL, PGPASSWORD or ~/.pgpass)"
            )
            raise DataError(f"cannot connect to {masked(source)}: {reason}; {hint}") from None
        raise DataError(f"{what} failed: {reason}") from None
    except sqlalchemy.exc.DBAPIError as err:
        raise DataError(f"{what} failed: {first_line(err)}") from None
    except _driver_errors() as err:  # raised by psycopg itself (COPY), not through SQLAlchemy
        reason = first_line(err)
        if "lock timeout" in reason:
            reason = f"another session has held the table locked for {LOCK_TIMEOUT} s"
        raise DataError(f"{what} failed: {reason}") from None


def _driver_errors() -> tuple[type[BaseException], ...]:
    import sqlite3

    try:
        import psycopg
    except ImportError:
        return (sqlite3.Error,)
    return (sqlite3.Error, psycopg.Error)


def _cannot_connect(reason: str) -> bool:
    words = ("connection", "connect", "password", "authentication", "role ", "database ")
    return any(w in reason.lower() for w in words) and "syntax" not in reason.lower()


def execute(connection, sql: str, *, given: bool = False):
    """Run ``sql`` as it is written, without parameters, on the SQLAlchemy ``connection``'s
    transaction; return the cursor (psycopg) or result (SQLite), whose column names
    :func:`column_names` reads.

    On PostgreSQL the statement goes to psycopg itself, so a ``%`` in it is no placeholder;
    ``given`` (a user's query) sends it as a prepared statement, which holds one statement
    only: ``SELECT 1; DELETE ...`` is refused before anything runs.
    """
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        cursor.execute(sql, prepare=True if given else None)
        return cursor
    return connection.exec_driver_sql(sql)


def identifier(connection, name: str, *, schema: bool = False) -> str:
    """``name`` quoted where it must be, as :func:`execute` sends it: SQLAlchemy doubles a
    ``%`` for its own placeholders, which psycopg never sees here."""
    quote = connection.dialect.identifier_preparer
    text = quote.quote_schema(name) if schema else quote.quote(name)
    return (
        text.replace("%%", "%") if connection.dialect.paramstyle in ("format", "pyformat") else text
    )


def column_names(result) -> list[str]:
    """The column names of what :func:`execute` returned."""
    if hasattr(result, "keys"):
        return list(result.keys())
    return [column.name for column in result.description]


def read_only(connection) -> None:
    """Make ``connection`` unable to change anything, for the rest of its session (a
    ``COMMIT`` in a query cannot end it): a query that tries fails instead."""
    if connection.dialect.name == "postgresql":
        execute(connection, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        execute(connection, "SET TRANSACTION READ ONLY")
    elif connection.dialect.name == "sqlite":
        execute(connection, "PRAGMA query_only = ON")
