"""Time and peak memory of train / test / export at growing numbers of customers.

Each step runs as its own process, exactly as a user runs the scripts, so its peak
resident memory is that step's alone (:mod:`benchmarks.harness.peak_memory`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from dec.utils import files
from dec.utils.markdown import markdown_table

SIZES = (10_000, 100_000, 1_000_000)


REPO = Path(__file__).resolve().parents[2]


def run_measured(args: list[str], log_path: Path, module: str = "dec") -> dict:
    """Run ``python -m <module> <args>`` (by default the package's commands, as a user runs
    a script); return wall seconds, its own peak resident memory (MB; see
    :mod:`benchmarks.harness.peak_memory`) and the exit code."""
    report = Path(f"{log_path}.peak")
    report.unlink(missing_ok=True)
    start = time.perf_counter()
    with open(log_path, "w") as log:
        returncode = subprocess.call(
            # The wrapper runs as a file, not as part of the package, so that it imports
            # nothing the step does not.
            [
                sys.executable,
                str(Path(__file__).with_name("peak_memory.py")),
                str(report),
                module,
                *args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            # benchmarks.harness (not installed) is importable from the repository root
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [str(REPO), os.environ.get("PYTHONPATH")])
                ),
            },
        )
    seconds = time.perf_counter() - start
    peak_kb = int(report.read_text()) if report.exists() else 0
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_kb / 1024),
        "returncode": returncode,
    }


def scale_benchmark(
    sizes=SIZES, config: str = "large", work_dir: str | Path = "checkpoints/scale"
) -> dict:
    """Train, test and export ``configs/large.yaml`` at each size; return the measurements."""
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for n in sizes:
        run_dir = work / f"n{n}"
        if run_dir.exists():
            import shutil

            shutil.rmtree(run_dir)  # a fresh run, never a resumed one
        table = work / f"n{n}_customers.parquet"
        _write_customers(n, table)
        steps = {
            "train": [
                "train",
                "--config",
                str(config),
                f"data.n_samples={n}",
                "--output-dir",
                str(run_dir),
                "trainer.enable_progress_bar=false",
            ],
            "test": ["test", "--run", str(run_dir), "--no-profiles"],
            "predict": [
                "predict",
                "--run",
                str(run_dir),
                "--data",
                str(table),
                "--output",
                str(work / f"n{n}_segments.parquet"),
            ],
            "export": [
                "export",
                "--run",
                str(run_dir),
                "--output",
                str(work / f"n{n}_embeddings.parquet"),
            ],
        }
        row = {"n_customers": n}
        for name, args in steps.items():
            row[name] = run_measured(args, work / f"n{n}_{name}.log")
            if row[name]["returncode"] != 0:
                break
        report = run_dir / "test_report.json"
        if report.exists():
            methods = files.read_json(report)["methods"]
            row["test_ari"] = {m: round(methods[m]["ari"], 3) for m in ("dec", "kmeans")}
        results.append(row)
        print(
            f"{n:>9,}: "
            + ", ".join(
                f"{k} {row[k]['seconds']} s / {row[k]['peak_rss_mb']} MB" for k in STEPS if k in row
            ),
            flush=True,
        )
    return {"config": f"configs/{config}.yaml", "cpu_count": os.cpu_count(), "results": results}


def _write_customers(n: int, path: Path) -> None:
    """The synthetic customers of the run, as the Parquet table a user would score."""
    from dec.data import load_dataset

    load_dataset("synthetic", n_samples=n).features.reset_index().to_parquet(path)


STEPS = ("train", "test", "predict", "export")


def scale_markdown(summary: dict) -> str:
    lines = [
        "# Scale: time and peak memory against the number of customers",
        "",
        f"`python scripts/benchmark.py --scale`: `{summary['config']}` with "
        f"`data.n_samples` set to each size, on {summary['cpu_count']} CPU cores. Every "
        "step is a separate process as a user runs it; seconds are wall time including "
        "start-up (about 5 s of imports), memory is the process's peak resident set "
        "in MB. `test` compares with KMeans, a GMM (four covariance types, on at most "
        "100,000 training rows) and AE+KMeans on the 20 % test split (profiles off), "
        "`predict` scores the Parquet table of all customers, `export` writes id, "
        "segment, embedding and probabilities of all customers to Parquet.",
        "",
        markdown_table(
            [
                "customers",
                *(f"{s} {u}" for s in STEPS for u in ("s", "MB")),
                "test ARI DEC / KMeans",
            ],
            [_scale_row(row) for row in summary["results"]],
            align="r" * (2 * len(STEPS) + 1) + "l",
        ),
    ]
    by_n = {r["n_customers"]: r for r in summary["results"]}
    ends = (100_000, 1_000_000)
    if set(ends) <= set(by_n) and all("predict" in by_n[n] for n in ends):

        def total(n):
            return sum(by_n[n][s]["seconds"] for s in ("train", "predict"))

        ratio = total(1_000_000) / total(100_000)
        summary["fit_predict_ratio_1m_100k"] = round(ratio, 2)
        lines += [
            "",
            f"Fit + predict (train + predict) time, 1M against 100k customers: "
            f"**{ratio:.1f}x** for 10x the customers.",
        ]
    losses = [
        r
        for r in summary["results"]
        if "test_ari" in r and r["test_ari"]["dec"] < r["test_ari"]["kmeans"]
    ]
    for r in losses:
        lines += [
            "",
            f"At {r['n_customers']:,} customers KMeans beats DEC on test ARI "
            f"({r['test_ari']['kmeans']:.3f} against {r['test_ari']['dec']:.3f}). The "
            "large config trains few epochs with large batches, which is meant for "
            "large data and leaves small data with too few steps; the default "
            "config suits that size.",
        ]
    return "\n".join(lines) + "\n"


def _scale_row(row: dict) -> list[str]:
    cells = [f"{row['n_customers']:,}"]
    for step in STEPS:
        m = row.get(step)
        cells += (
            [f"{m['seconds']}", f"{m['peak_rss_mb']:,}"]
            if m and m["returncode"] == 0
            else ["failed", ""]
        )
    ari = row.get("test_ari")
    cells.append(f"{ari['dec']:.3f} / {ari['kmeans']:.3f}" if ari else "")
    return cells


def write_scale(summary: dict, out_dir: str | Path = "benchmarks") -> Path:
    out = Path(out_dir)
    text = scale_markdown(summary)
    files.write_json(out / "scale.json", summary)
    files.atomic_write_text(out / "scale.md", text)
    return out / "scale.md"
