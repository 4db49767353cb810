"""Reading a customer table from a database beside the Parquet path: ``N`` generated
customers (:func:`dec.data.synthetic.make_customers`) as a Parquet file, a SQLite file and a
table on a throwaway PostgreSQL server (:mod:`benchmarks.harness.postgres`), each read the
way ``dec train --data`` reads it (:func:`dec.data.sources.load_dataset`) in a fresh
process, timed and with its peak resident memory; and the segments of every customer
written back as a PostgreSQL table (:func:`dec.data.database.write.write_table`).

``python -m benchmarks.harness.database_read SOURCE [TABLE]`` is one read: it prints the
seconds and rows as JSON (the password comes from ``PGPASSWORD``, never the arguments).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HARNESS = Path(__file__).resolve().parent
ROOT = HARNESS.parents[1]


def _read(source: str, table: str | None) -> dict:
    from dec.data.sources import load_dataset

    start = time.perf_counter()
    dataset = load_dataset(source, table=table, id_column="customer_id")
    return {"seconds": time.perf_counter() - start, "rows": len(dataset.features)}


def _one_read(source: str, table: str | None, env: dict) -> dict:
    """One read in a fresh process, under :mod:`benchmarks.harness.peak_memory`."""
    with tempfile.NamedTemporaryFile(suffix=".peak") as report:
        done = subprocess.run(
            [
                sys.executable,
                str(HARNESS / "peak_memory.py"),
                report.name,
                "benchmarks.harness.database_read",
                source,
                *([table] if table else []),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, **env},
        )
        if done.returncode:
            raise RuntimeError(f"reading {table or source} failed: {done.stderr[-800:]}")
        found = json.loads(done.stdout.strip().splitlines()[-1])
        found["peak_mb"] = int(Path(report.name).read_text()) / 1024
    return found


def _load_postgres(frame, url: str) -> float:
    """The table loaded with COPY (how a warehouse is filled; not what is measured)."""
    import io

    import psycopg

    from dec.utils.urls import real_url

    start = time.perf_counter()
    plain = real_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    columns = ", ".join(
        f'"{c}" {"text" if frame[c].dtype != "float64" else "double precision"}'
        for c in frame.columns
    )
    with psycopg.connect(plain) as connection, connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE customers ({columns})")
        with cursor.copy("COPY customers FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            for begin in range(0, len(frame), 100_000):
                buffer = io.StringIO()
                frame.iloc[begin : begin + 100_000].to_csv(buffer, index=False, header=begin == 0)
                copy.write(buffer.getvalue())
        cursor.execute("ANALYZE customers")
    return time.perf_counter() - start


def database_benchmark(n_customers: int = 1_000_000, repeats: int = 2) -> dict:
    """Read the same ``n_customers`` from Parquet, SQLite and PostgreSQL, ``repeats`` times
    each (median), and write their segments back to PostgreSQL once."""
    import sqlite3

    import numpy as np
    import pandas as pd

    from benchmarks.harness.postgres import PASSWORD, postgres_server
    from dec.data.database.write import write_table
    from dec.data.synthetic import make_customers

    features, _ = make_customers(n_customers, random_state=0)
    frame = features.reset_index()
    rows, notes = [], {}
    with tempfile.TemporaryDirectory(prefix="dec-db-bench-") as work, postgres_server() as server:
        parquet = Path(work) / "customers.parquet"
        frame.to_parquet(parquet, index=False)
        sqlite_file = Path(work) / "shop.db"
        with sqlite3.connect(sqlite_file) as connection:
            frame.to_sql("customers", connection, index=False, chunksize=50_000)
        notes["copy_seconds"] = round(_load_postgres(frame, server.url()), 1)
        env = {"PGPASSWORD": PASSWORD}
        cells = [
            ("Parquet file", str(parquet), None),
            ("SQLite table", f"sqlite:///{sqlite_file}", "customers"),
            ("PostgreSQL table", server.url(password=None), "customers"),
        ]
        for name, source, table in cells:
            runs = [_one_read(source, table, env) for _ in range(repeats)]
            rows.append(
                {
                    "source": name,
                    "rows": runs[0]["rows"],
                    "seconds": round(statistics.median(r["seconds"] for r in runs), 2),
                    "peak_mb": round(statistics.median(r["peak_mb"] for r in runs)),
                    "runs": runs,
                }
            )
        rng = np.random.default_rng(0)
        p = rng.dirichlet(np.ones(5), n_customers)
        scores = pd.DataFrame(
            {
                "id": frame["customer_id"].astype(str),
                "segment": p.argmax(1),
                **{f"z_{j}": rng.normal(size=n_customers) for j in range(10)},
                **{f"p_{j}": p[:, j] for j in range(5)},
            }
        )
        start = time.perf_counter()
        written = write_table(
            (scores.iloc[b : b + 100_000] for b in range(0, n_customers, 100_000)),
            server.url(),
            "segments",
        )
        notes["write_seconds"] = round(time.perf_counter() - start, 1)
        notes["write_rows"] = written
        notes["write_columns"] = scores.shape[1]
    return {"n_customers": n_customers, "repeats": repeats, "reads": rows, **notes}


def database_markdown(found: dict, meta: dict) -> str:
    from dec.utils.markdown import human

    lines = [
        "# Reading customers from a database",
        "",
        f"{found['n_customers']:,} generated customers (`make_customers`, 20 columns: 16 "
        "numbers, 4 text) read the way `dec train --data` reads them "
        "(`dec.data.sources.load_dataset`: read, find the id, index by it), each in a fresh "
        f"process; the median of {found['repeats']} reads. Peak memory is the process's "
        "peak resident memory (`VmHWM`), Python and pandas included. The PostgreSQL server "
        "is a throwaway cluster on the same machine (`benchmarks/harness/postgres.py`, "
        "loopback TCP), so the network costs nothing here: a remote server adds its "
        "transfer time.",
        "",
        "| Source | Customers | Seconds | Peak memory (MB) |",
        "|---|---:|---:|---:|",
    ]
    for row in found["reads"]:
        lines.append(
            f"| {row['source']} | {row['rows']:,} | {human(row['seconds'])} | {row['peak_mb']:,} |"
        )
    lines += [
        "",
        f"Writing {found['write_rows']:,} customers' segments back as a PostgreSQL table "
        f"({found['write_columns']} columns: id, segment, 10 embeddings, 5 probabilities; "
        "staging table, then swapped in one transaction) took "
        f"{human(found['write_seconds'])} s. Loading the table into PostgreSQL with COPY "
        f"beforehand took {human(found['copy_seconds'])} s (not part of any command).",
        "",
        f"Machine: {meta.get('machine', '')}; commit {meta.get('commit', '')}. Reproduce: "
        "`python scripts/benchmark.py --database` (`--database-customers N`).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(json.dumps(_read(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)))
