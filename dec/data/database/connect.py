"""Opening a database (:mod:`dec.utils.urls` names it) and saying its failures in one line."""

from __future__ import annotations

import contextlib
from pathlib import Path

from dec.errors import ConfigError, DataError
from dec.utils.urls import is_kept_without_password, masked, real_url, sqlalchemy_module

#: Seconds to wait for a server before saying it cannot be reached.
CONNECT_TIMEOUT = 10


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
    if backend == "sqlite" and must_exist and url.database not in (None, "", ":memory:"):
        if not Path(url.database).is_file():
            raise DataError(
                f"database file {url.database} not found; check the path in {masked(source)} "
                "(sqlite:///relative/path.db or sqlite:////absolute/path.db)"
            )
    options = {}
    if backend == "postgresql" and "connect_timeout" not in url.query:
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT}
    try:
        made = sqlalchemy.create_engine(url, **options)
    except (ImportError, sqlalchemy.exc.NoSuchModuleError, sqlalchemy.exc.ArgumentError) as err:
        raise ConfigError(
            f"cannot open {masked(source)}: {first_line(err)}; dec reads sqlite:/// and "
            "postgresql:// URLs (pip install 'dec[sql]')"
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
        raise DataError(f"{what} failed: {first_line(err)}") from None


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


def execute(connection, sql: str):
    """Run ``sql`` as it is written (no parameters): a ``%`` in a query or a table's name
    is doubled for drivers that read ``%s`` placeholders (psycopg), which would otherwise
    take ``LIKE 'a%'`` for one."""
    if connection.dialect.paramstyle in ("format", "pyformat"):
        sql = sql.replace("%", "%%")
    return connection.exec_driver_sql(sql)


def read_only(connection) -> None:
    """Make ``connection``'s transaction unable to change anything: a ``--query`` that
    tries (``WITH gone AS (DELETE ...)``) fails instead."""
    if connection.dialect.name == "postgresql":
        execute(connection, "SET TRANSACTION READ ONLY")
    elif connection.dialect.name == "sqlite":
        execute(connection, "PRAGMA query_only = ON")
