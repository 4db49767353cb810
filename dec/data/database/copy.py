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
FLOATS = {"float4", "float8", "numeric"}
NUMBERS = INTEGERS | FLOATS
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
    types = {name: str for name, kind in columns if kind not in NUMBERS}
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
    """Dates, zoned timestamps and booleans as the row path types them."""
    for name, kind in columns:
        if kind == "date":  # the row path's datetime.date objects
            chunk[name] = pd.to_datetime(chunk[name]).dt.date.astype(object)
        elif kind in DATES:
            chunk[name] = pd.to_datetime(chunk[name])
        elif kind in ZONED:
            chunk[name] = pd.to_datetime(chunk[name], utc=True)
        elif kind in BOOLEANS:
            known = chunk[name].notna()
            chunk[name] = chunk[name].map({"t": True, "f": False}).astype(object).where(known, None)
    return chunk
