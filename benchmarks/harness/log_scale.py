"""Purchase logs at retail scale: time and peak memory of computing the per-customer
features (``python -m dec features``) with DuckDB and of training on the log with each
engine (``train.py --transactions ... --log-engine``, one short epoch per stage, so the
reading dominates), on generated Parquet logs of growing size.

Each step runs as its own process (:func:`benchmarks.harness.scale.run_measured`), so its
peak resident memory is its own. The logs are generated here, never downloaded: customers
with ids as zero-padded text, purchase days uniform over two years, amounts Gamma(2, 20).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from benchmarks.harness.scale import run_measured
from dec.utils.markdown import markdown_table

#: Purchases per log, and purchases per customer (about the issue's 20 M rows : 520,000).
SIZES = (2_000_000, 20_000_000, 200_000_000)
#: Above this many purchases the pandas path is not run: it holds every row in memory
#: (4 GB at 20 million), about 40 GB at 200 million.
PANDAS_MAX_ROWS = 20_000_000
#: Above this many purchases only the features are measured (training many millions of
#: customers is measured in benchmarks/scale.md).
TRAIN_MAX_ROWS = 200_000_000
PURCHASES_PER_CUSTOMER = 38
AS_OF = "2023-06-30"


def write_log(n_rows: int, path: Path, seed: int = 0, chunk: int = 5_000_000) -> int:
    """A generated purchase log of ``n_rows`` rows as Parquet, written in chunks; returns
    the number of customers."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    customers = max(1, n_rows // PURCHASES_PER_CUSTOMER)
    writer = None
    try:
        for start in range(0, n_rows, chunk):
            size = min(chunk, n_rows - start)
            ids = rng.integers(0, customers, size)
            days = rng.integers(0, 730, size).astype("timedelta64[D]")
            table = pa.table(
                {
                    "cust": pa.array(np.char.zfill(ids.astype(str), 8)),
                    "day": pa.array((np.datetime64("2022-01-01") + days).astype("datetime64[us]")),
                    "usd": pa.array(np.round(rng.gamma(2.0, 20.0, size), 2)),
                }
            )
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return customers


def log_scale_benchmark(sizes=SIZES, work_dir: str | Path = "checkpoints/log_scale") -> dict:
    """Features with DuckDB, training with each engine, at every log size."""
    work = Path(work_dir)
    if work.exists():
        shutil.rmtree(work)  # fresh logs and runs, never a resumed one
    work.mkdir(parents=True)
    columns = [
        "--id-column",
        "cust",
        "--date-column",
        "day",
        "--amount-column",
        "usd",
        "--as-of",
        AS_OF,
    ]
    results = []
    for n in sizes:
        log = work / f"log_{n}.parquet"
        customers = write_log(n, log)
        row = {"purchases": n, "customers": customers}
        row["features_plain"] = run_measured(
            [str(log), AS_OF, str(work / f"plain_{n}.parquet")],
            work / f"plain_{n}.log",
            module="benchmarks.harness.plain_query",
        )
        row["features_duckdb"] = run_measured(
            [
                "features",
                "--transactions",
                str(log),
                *columns,
                "--output",
                str(work / f"features_{n}.parquet"),
            ],
            work / f"features_{n}.log",
        )
        for engine in ("duckdb", "pandas")[: 2 if n <= PANDAS_MAX_ROWS else 1]:
            if n > TRAIN_MAX_ROWS:
                break
            row[f"train_{engine}"] = run_measured(
                [
                    "train",
                    "--transactions",
                    str(log),
                    *columns,
                    "--log-engine",
                    engine,
                    "--output-dir",
                    str(work / f"run_{n}_{engine}"),
                    "pretrain.epochs=1",
                    "refine.epochs=1",
                    "trainer.enable_progress_bar=false",
                ],
                work / f"train_{n}_{engine}.log",
            )
            # Scoring the whole log (features at its last date) with the run's own engine.
            row[f"predict_{engine}"] = run_measured(
                [
                    "predict",
                    "--run",
                    str(work / f"run_{n}_{engine}"),
                    "--transactions",
                    str(log),
                    "--output",
                    str(work / f"segments_{n}_{engine}.parquet"),
                ],
                work / f"predict_{n}_{engine}.log",
            )
        results.append(row)
        print(
            f"{n:>12,} purchases: "
            + ", ".join(
                f"{k} {v['seconds']} s / {v['peak_rss_mb']} MB"
                for k, v in row.items()
                if isinstance(v, dict)
            ),
            flush=True,
        )
    return {"cpu_count": os.cpu_count(), "as_of": AS_OF, "results": results}


STEPS = {
    "features_plain": "the plain query",
    "features_duckdb": "features, DuckDB",
    "train_duckdb": "train, DuckDB",
    "predict_duckdb": "predict, DuckDB",
    "train_pandas": "train, pandas",
    "predict_pandas": "predict, pandas",
}


def log_scale_markdown(summary: dict, meta: dict) -> str:
    rows = []
    for row in summary["results"]:
        cells = []
        for key in STEPS:
            step = row.get(key)
            cells.append(
                "failed"
                if step and step["returncode"]
                else f"{step['seconds']} s, {step['peak_rss_mb']:,} MB"
                if step
                else "not run"
            )
        rows.append([f"{row['purchases']:,}", f"{row['customers']:,}", *cells])
    return "\n".join(
        [
            "# Purchase logs at scale",
            "",
            f"{meta['date']}, {meta['machine']}; generated Parquet logs, features as of "
            f"{summary['as_of']}; each step its own process (wall seconds, peak resident "
            "memory). *The plain query*: the features command's query run once by DuckDB with its "
            "own defaults (80 % of the machine's memory, no parts, no checks of the log), the "
            "reference the command is held to. Training runs one epoch per stage, so reading the "
            "log dominates; predict scores the whole log with the run's own engine. pandas is not "
            f"run above {PANDAS_MAX_ROWS:,} purchases (it holds every row in memory), training "
            f"and predict not above {TRAIN_MAX_ROWS:,}. Written by `python scripts/benchmark.py "
            "--log-scale`.",
            "",
            markdown_table(["purchases", "customers", *STEPS.values()], rows),
            "",
        ]
    )
