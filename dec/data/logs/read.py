"""Reading a purchase log with DuckDB: a CSV or Parquet file, a folder or a glob of them
as the view ``log`` (``id, date, amount[, quantity]``), checked in one pass over the files
(bad dates or amounts, no rows, future dates: one-line errors), and the connection that
does it, with its memory limit and spill folder. :mod:`dec.data.logs.sql` computes the
features from that view.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from dec.data.logs.queries import LOG_SQL, QUANTITY_CHECKS, SUMMARY_SQL
from dec.data.logs.transactions import EARLIEST_DATE, check_log_columns, dated_outside
from dec.data.readers import folder_parts, log_suffix
from dec.errors import ConfigError, DataError
from dec.utils.dates import PLACEHOLDERS
from dec.utils.threads import thread_cap

#: DuckDB's memory limit unless one is given: the features of a 200-million-row log stay
#: under 2 GB of resident memory in all (benchmarks/log_scale.md); more is faster.
DEFAULT_MEMORY_LIMIT = "1GB"
#: Text DuckDB would read as a date that no purchase has (``'epoch'`` is 1970-01-01), as an
#: SQL list; pandas refuses the same words (:data:`dec.utils.dates.PLACEHOLDERS`).
PLACEHOLDER_DATES = "(" + ", ".join(f"'{w}'" for w in PLACEHOLDERS) + ")"
#: Column types read as they are; any other is text to parse (or numbers for amounts).
TEMPORAL = (
    "DATE",
    "TIMESTAMP",
    "TIMESTAMP_S",
    "TIMESTAMP_MS",
    "TIMESTAMP_NS",
    "TIMESTAMP WITH TIME ZONE",
)
NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
)


def duckdb_module():
    """DuckDB, or a one-line error saying how to install it."""
    try:
        import duckdb
    except ImportError:
        raise ConfigError(
            "reading purchase logs with DuckDB needs it installed: pip install 'dec[logs]'"
        ) from None
    return duckdb


def _source(path: str | Path) -> str:
    """The DuckDB table function reading ``path``: a file (whatever characters its name
    holds), every part of a folder (:func:`~dec.data.readers.folder_parts`), or a glob
    (a path that does not exist and holds ``*``, ``?`` or ``[``)."""
    text = str(path)
    where = Path(text)
    if where.is_dir():
        parts = folder_parts(where)
    elif where.is_file():
        parts = [where]
    elif any(c in text for c in "*?["):
        kind = "parquet" if text.lower().endswith(".parquet") else "csv"
        return _reader(kind, literal(text))
    else:
        raise DataError(f"purchase log {text} not found; check the path")
    kind = "parquet" if log_suffix(parts[0]) == ".parquet" else "csv"
    return _reader(kind, "[" + ", ".join(literal(glob_escaped(p)) for p in parts) + "]")


def _reader(kind: str, files: str) -> str:
    if kind == "parquet":
        return f"read_parquet({files}, union_by_name = true)"
    return f"read_csv({files}, union_by_name = true, all_varchar = true)"


def glob_escaped(path) -> str:
    """``path`` as a DuckDB glob that matches only itself: ``log[1].csv`` is that file, not
    ``log1.csv`` (each ``[``, ``*`` and ``?`` becomes a class of one character)."""
    return re.sub(r"[\[*?]", lambda m: f"[{m.group(0)}]", str(path))


def literal(value) -> str:
    """``value`` as an SQL string literal, for the statements that take no parameters
    (SET, COPY ... TO, table functions)."""
    return "'" + str(value).replace("'", "''") + "'"


def quoted(name: str) -> str:
    """``name`` as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def read_log(
    connection,
    path,
    *,
    id_column: str,
    date_column: str,
    amount_column: str,
    quantity_column: str | None = None,
) -> dict:
    """Create the view ``log`` (``id, date, amount[, quantity]``) over the files at
    ``path`` and check it (:func:`_summary`: checked in SQL, no rows come to Python);
    return its summary. DataError, in one line, for a missing column or a bad value."""
    duckdb = duckdb_module()
    check_log_columns(id_column, date_column, amount_column, quantity_column)
    source = _source(path)
    try:
        described = connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        columns = [row[0] for row in described]
    except duckdb.Error as error:
        raise DataError(f"cannot read purchase log {path}: {str(error).splitlines()[0]}") from None
    wanted = [
        id_column,
        date_column,
        amount_column,
        *([quantity_column] if quantity_column else []),
    ]
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise DataError(f"purchase log {path} has no column(s) {missing}; columns are: {columns}")
    quantity = (
        f", TRY_CAST({quoted(quantity_column)} AS DOUBLE) AS quantity, "
        f"CAST({quoted(quantity_column)} AS VARCHAR) AS quantity_text"
        if quantity_column
        else ""
    )
    date, amount = quoted(date_column), quoted(amount_column)
    # Typed columns (Parquet's dates and numbers) are cast, not parsed: parsing 200 million
    # timestamps as text took twenty times as long as the whole check.
    kind = {row[0]: row[1] for row in described}
    if kind[date_column].upper() in TEMPORAL:
        date = f"CAST({date} AS TIMESTAMP)"  # a zone becomes UTC: the session runs in UTC
    else:
        text = f"trim(CAST({date} AS VARCHAR))"
        # Words DuckDB reads as dates ('epoch' is 1970) are no purchase's date.
        date = (
            f"CASE WHEN lower({text}) IN {PLACEHOLDER_DATES} THEN NULL ELSE coalesce("
            f"try_strptime({text}, '%Y%m%d'), CAST(TRY_CAST({text} AS TIMESTAMPTZ) AS "
            "TIMESTAMP)) END"
        )
    amount = (
        f"CAST({amount} AS DOUBLE)"
        if kind[amount_column].upper() in NUMERIC
        else f"TRY_CAST({amount} AS DOUBLE)"
    )
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(
        "CREATE OR REPLACE TEMP VIEW log AS "
        + LOG_SQL.format(
            id=quoted(id_column),
            date=quoted(date_column),
            amount=quoted(amount_column),
            date_value=date,
            amount_value=amount,
            quantity=quantity,
            source=source,
        )
    )
    return _summary(connection, path, quantity=quantity_column is not None)


def _summary(connection, path, quantity: bool = False) -> dict:
    """Check the log (bad dates or amounts, no rows, future dates: one-line errors; refunds:
    a warning); return its number of rows and its first and last dates, among others."""
    tomorrow = (pd.Timestamp.now().normalize() + pd.Timedelta(days=1)).to_pydatetime()
    cursor = connection.execute(
        SUMMARY_SQL.format(quantity_checks=QUANTITY_CHECKS if quantity else ""),
        {"tomorrow": tomorrow, "earliest": pd.Timestamp(EARLIEST_DATE).to_pydatetime()},
    )
    found = dict(zip([c[0] for c in cursor.description], cursor.fetchone()))
    if found["bad_dates"]:
        raise DataError(
            f"{path}: cannot read date {found['bad_date']!r} here; write dates as "
            "YYYY-MM-DD or YYYYMMDD"
        )
    if found["bad_amounts"]:
        raise DataError(f"{path}: amount value {found['bad_amount']!r} is not a finite number")
    if found.get("bad_quantities"):
        raise DataError(f"{path}: quantity value {found['bad_quantity']!r} is not a finite number")
    if found["rows"] == 0:
        raise DataError(f"purchase log {path} has no transactions")
    for key, future in (("future", True), ("early", False)):
        if found[key]:
            raise dated_outside(path, found[key], found[f"{key}_date"], future=future)
    if found["refunds"]:
        warnings.warn(
            f"{path}: {found['refunds']} transaction(s) have a negative amount, "
            f"e.g. {found['lowest']:g}; they are counted as refunds, which lower the "
            "customer's spend",
            stacklevel=3,
        )
    return found


@contextlib.contextmanager
def connection(memory_limit: str | None = None, temp_directory: str | None = None):
    """A DuckDB connection with a memory limit (default ``DEFAULT_MEMORY_LIMIT``) and a
        folder to spill into beyond it: a private one this command creates inside
        ``temp_directory`` (default: the system's temporary folder) and removes afterwards, so
        nothing else there is touched and commands that share it never share files (DuckDB's
        own default, ``./.tmp``, would write where the command runs). Every core, or the cap of
    ``--threads`` (:func:`~dec.utils.threads.cap_threads`). Running out
        of memory is a one-line error saying which setting to raise."""
    duckdb = duckdb_module()
    spill = tempfile.TemporaryDirectory(prefix="dec-duckdb-", dir=_spill_parent(temp_directory))
    connection = duckdb.connect()
    limit = memory_limit or DEFAULT_MEMORY_LIMIT
    try:
        try:
            if (
                not re.fullmatch(r"\s*\d*\.?\d+\s*[KMGT]?i?B\s*", str(limit), re.I)
                or not float(re.match(r"\s*([\d.]+)", str(limit))[1]) > 0
            ):
                raise duckdb.Error  # -1GB would lift the bound, 0GB can hold nothing
            connection.execute(f"SET memory_limit = {literal(limit)}")
        except duckdb.Error:
            raise ConfigError(
                f"memory limit {limit!r} is not a size above 0; write it as e.g. 4GB or 500MB"
            ) from None
        connection.execute(f"SET temp_directory = {literal(spill.name)}")
        if thread_cap() is not None:
            connection.execute(f"SET threads = {int(thread_cap())}")
        connection.execute("SET preserve_insertion_order = false")
        try:
            yield connection
        except duckdb.OutOfMemoryException:
            raise ConfigError(
                f"DuckDB ran out of memory within its limit of {limit}; raise it with "
                "{data.log_memory_limit} (python -m dec features: --memory-limit)"
            ) from None
    finally:
        connection.close()
        spill.cleanup()


def _spill_parent(temp_directory: str | None) -> str | None:
    """``temp_directory``, created if need be, after checking it can hold a folder."""
    if temp_directory is None:
        return None
    folder = Path(temp_directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        what = (
            "is a file, not a folder"
            if folder.is_file()
            else (error.strerror or "cannot be created").lower()
        )
        raise ConfigError(
            f"temp directory {folder} {what}; give a folder for DuckDB to spill "
            "into with {data.log_temp_directory} (python -m dec features: "
            "--temp-directory)"
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(
            f"temp directory {folder} is not writable; give another with "
            "{data.log_temp_directory} (python -m dec features: --temp-directory)"
        )
    return str(folder)


def memory_bytes(connection) -> int:
    """The connection's memory limit in bytes (DuckDB says it as ``953.6 MiB``)."""
    text = connection.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    number, unit = re.fullmatch(r"\s*([\d.]+)\s*([KMGTP]?i?B)\s*", text).groups()
    power = "BKMGTP".index(unit[0])
    return int(float(number) * (1024 if "i" in unit else 1000) ** power)
