"""PostgreSQL's fast way out: ``COPY (SELECT ...) TO STDOUT`` as CSV, parsed in chunks by
pandas' C reader. Building frames from the driver's row tuples took four fifths of the
time of reading a million customers (``benchmarks/database.md``); the frames are the same:
each column gets the type the row path gives it, by the column's PostgreSQL type
(``tests/data/database/test_postgres.py`` compares the two).
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pandas as pd

#: How COPY writes NULL here: unquoted ``\\N``, which no number, date or boolean is; a text
#: value ``\\N`` is quoted by COPY but read as missing all the same (a known, rare loss).
NULL = r"\N"
#: PostgreSQL types read as numbers: integers (pandas picks integer, or float with a
#: missing value, as the row path does) and the rest, always floats (``NaN`` and
#: ``Infinity`` are values there).
INTEGERS = {"int2", "int4", "int8", "oid"}
FLOATS = {"float4", "float8"}
NUMBERS = INTEGERS | FLOATS
#: Read as text, then as :func:`exact_numbers` reads the row path's ``Decimal`` values.
EXACT = {"numeric"}
DATES = {"date", "timestamp"}
ZONED = {"timestamptz"}
BOOLEANS = {"bool"}


class _Blocks(io.RawIOBase):
    """COPY's blocks of bytes as a file that pandas reads from, without holding them all."""

    def __init__(self, blocks):
        self._blocks, self._rest = iter(blocks), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._rest:
            try:
                self._rest = bytes(next(self._blocks))
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._rest))
        buffer[:size], self._rest = self._rest[:size], self._rest[size:]
        return size


def column_types(cursor, select: str) -> list[tuple[str, str]]:
    """``(name, PostgreSQL type name)`` of each column ``select`` returns."""
    cursor.execute(f"SELECT * FROM ({select}) AS dec_columns LIMIT 0")
    types = cursor.connection.adapters.types
    return [
        (column.name, getattr(types.get(column.type_code), "name", "text"))
        for column in cursor.description
    ]


def copy_frames(connection, select: str, batch_rows: int) -> Iterator[pd.DataFrame] | None:
    """The rows of ``select`` on the SQLAlchemy ``connection`` (PostgreSQL through psycopg
    3), ``batch_rows`` at a time; None where the result has two columns of one name (the
    row path keeps both)."""
    driver = connection.connection.driver_connection
    cursor = driver.cursor()
    columns = column_types(cursor, select)
    names = [name for name, _ in columns]
    if len(set(names)) < len(names):
        cursor.close()
        return None
    return _frames(cursor, select, columns, batch_rows)


def _frames(cursor, select, columns, batch_rows) -> Iterator[pd.DataFrame]:
    names = [name for name, _ in columns]
    types = {name: str for name, kind in columns if kind not in NUMBERS}  # exact ones too
    types.update({name: "float64" for name, kind in columns if kind in FLOATS})
    command = f"COPY ({select}) TO STDOUT (FORMAT csv, NULL '{NULL}', ENCODING 'UTF8')"
    with cursor, cursor.copy(command) as copy:
        stream = io.BufferedReader(_Blocks(copy), buffer_size=1 << 20)
        reader = pd.read_csv(
            stream,
            header=None,
            names=names,
            dtype=types,
            na_values={name: [NULL, "NaN"] if kind in FLOATS else [NULL] for name, kind in columns},
            keep_default_na=False,
            chunksize=batch_rows,
            encoding="utf-8",
        )
        for chunk in reader:
            yield _typed(chunk, columns)


def _typed(chunk: pd.DataFrame, columns) -> pd.DataFrame:
    """Exact numbers, dates, zoned timestamps and booleans as the row path types them."""
    for name, kind in columns:
        if kind in EXACT:
            chunk[name] = _exact(chunk[name])
        elif kind == "date":  # the row path's datetime.date objects
            chunk[name] = _dates(chunk[name], name).dt.date.astype(object)
        elif kind in DATES:
            chunk[name] = _dates(chunk[name], name)
        elif kind in ZONED:
            chunk[name] = _dates(chunk[name], name, utc=True)
        elif kind in BOOLEANS:
            known = chunk[name].notna()
            chunk[name] = chunk[name].map({"t": True, "f": False}).astype(object).where(known, None)
    return chunk


def _dates(values: pd.Series, name: str, utc: bool = False) -> pd.Series:
    """ISO dates and timestamps (with or without fractions of a second); one that pandas
    cannot hold (``infinity``, a date BC) is a one-line error, as psycopg's own."""
    from dec.errors import DataError

    parsed = pd.to_datetime(values, format="ISO8601", utc=utc, errors="coerce")
    bad = parsed.isna() & values.notna()
    if bad.any():
        raise DataError(
            f"column {name} holds {values[bad].iloc[0]!r}, a date outside what can be read; "
            "leave it out or give it a real date"
        )
    return parsed


def _exact(values: pd.Series) -> pd.Series:
    """``NUMERIC`` values: integers stay exact integers (an id such as 12345678901234567 is
    not rounded to a float), others are floats."""
    from decimal import Decimal

    present = values.dropna()
    if len(present) and all(isinstance(v, str | Decimal) for v in present):
        numbers = [Decimal(str(v)) for v in present]
        if len(present) == len(values) and all(
            n == n.to_integral_value() and abs(n) < 2**63 for n in numbers
        ):
            return pd.Series([int(n) for n in numbers], index=values.index, dtype="int64")
    return pd.to_numeric(values.astype(object).where(values.notna(), None), errors="coerce").astype(
        "float64"
    )


def exact_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """The row path's ``Decimal`` columns as :func:`_exact` reads them."""
    from decimal import Decimal

    for name in frame.columns:
        present = frame[name].dropna()
        if frame[name].dtype == object and len(present) and isinstance(present.iloc[0], Decimal):
            frame[name] = _exact(frame[name])
    return frame
