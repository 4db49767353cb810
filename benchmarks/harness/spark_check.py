"""``dec.spark`` measured in Spark's local mode: a generated Parquet purchase log read by
Spark, the per-customer features (:func:`dec.spark.customer_features`) written to Parquet,
and every customer scored by a run trained on the same log with DuckDB
(:func:`dec.spark.score`), beside the DuckDB features of the same log (they must agree).
Wall seconds of each step; the log is generated here (:func:`~benchmarks.harness.log_scale.write_log`).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.harness.log_scale import AS_OF, write_log
from benchmarks.harness.scale import run_measured
from dec.utils.markdown import markdown_table

COLUMNS = dict(id_column="cust", date_column="day", amount_column="usd")


def spark_benchmark(
    n_rows: int = 2_000_000, master: str = "local[2]", work_dir: str | Path = "checkpoints/spark"
) -> dict:
    import pyspark
    from pyspark.sql import SparkSession

    from dec.data.logs.sql import log_features
    from dec.spark import customer_features, score

    work = Path(work_dir)
    if work.exists():
        shutil.rmtree(work)  # a fresh log and run, never a resumed one
    work.mkdir(parents=True)
    log = work / "log.parquet"
    customers = write_log(n_rows, log)
    steps = {}
    start = time.perf_counter()
    spark = (
        SparkSession.builder.master(master)
        .appName("dec-benchmark")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    steps["start Spark"] = time.perf_counter() - start
    try:
        start = time.perf_counter()
        features = customer_features(spark.read.parquet(str(log)), AS_OF, **COLUMNS)
        features.write.parquet(str(work / "features_spark"))
        steps["features (read log, write Parquet)"] = time.perf_counter() - start

        start = time.perf_counter()
        sql, _, _, _ = log_features(log, as_of=AS_OF, **COLUMNS)
        steps["features with DuckDB, for comparison"] = time.perf_counter() - start
        found = pd.read_parquet(work / "features_spark").set_index("customer_id").loc[sql.index]
        difference = float(np.abs(found[sql.columns].to_numpy() - sql.to_numpy()).max())

        run = work / "run"  # trained as a user trains it, reading the log with DuckDB
        trained = run_measured(
            [
                "train",
                "--transactions",
                str(log),
                "--log-engine",
                "duckdb",
                "--as-of",
                AS_OF,
                "--output-dir",
                str(run),
                *(f"--{k.replace('_', '-')}={v}" for k, v in COLUMNS.items()),
                "pretrain.epochs=1",
                "refine.epochs=1",
                "trainer.enable_progress_bar=false",
            ],
            work / "train.log",
        )
        if trained["returncode"]:
            raise RuntimeError(f"training failed; see {work / 'train.log'}")
        start = time.perf_counter()
        score(spark.read.parquet(str(work / "features_spark")), run).write.parquet(
            str(work / "segments_spark")
        )
        steps["score every customer (read features, write Parquet)"] = time.perf_counter() - start
        scored = spark.read.parquet(str(work / "segments_spark")).count()
    finally:
        spark.stop()
    return {
        "master": master,
        "pyspark": pyspark.__version__,
        "cpu_count": os.cpu_count(),
        "purchases": n_rows,
        "customers": customers,
        "customers_with_features": len(sql),
        "customers_scored": scored,
        "max_abs_difference": difference,
        "seconds": {k: round(v, 1) for k, v in steps.items()},
    }


def spark_markdown(found: dict, meta: dict) -> str:
    rows = [[step, f"{seconds} s"] for step, seconds in found["seconds"].items()]
    return "\n".join(
        [
            "# Spark helpers in local mode",
            "",
            f"{meta['date']}, {meta['machine']}; pyspark {found['pyspark']}, "
            f"`{found['master']}`; a generated Parquet log of {found['purchases']:,} purchases "
            f"({found['customers_with_features']:,} customers with purchases by {AS_OF}). "
            "Written by `python scripts/benchmark.py --spark`.",
            "",
            markdown_table(["step", "wall time"], rows),
            "",
            f"Spark's features against DuckDB's on the same log: largest difference "
            f"{found['max_abs_difference']:.1e}. Customers scored: "
            f"{found['customers_scored']:,}.",
            "",
        ]
    )
