"""The reference the features command is measured against: the same feature query
(:func:`dec.data.logs.queries.features_sql`) run once by DuckDB with its own defaults (80 %
of the machine's memory, no parts) over a Parquet log with typed columns, with none of the
package's checks, written to Parquet. ``python -m benchmarks.harness.plain_query LOG AS_OF
OUTPUT``, run by ``scripts/benchmark.py --log-scale``."""

from __future__ import annotations

import sys

import duckdb
import pandas as pd

from dec.data.logs.queries import features_sql
from dec.data.logs.read import literal


def plain_query(log: str, as_of: str, output: str) -> int:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(
        f"CREATE VIEW log AS SELECT cust AS id, CAST(day AS TIMESTAMP) AS date, "
        f"usd AS amount FROM read_parquet({literal(log)})"
    )
    query = features_sql(pd.Timestamp(as_of), quantity=False)
    return connection.execute(f"COPY ({query}) TO {literal(output)} (FORMAT parquet)").fetchone()[0]


if __name__ == "__main__":
    print(plain_query(*sys.argv[1:4]), "customers")
