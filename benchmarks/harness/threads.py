"""``--threads`` on a loaded machine: the default ``dec train`` and ``dec test`` (built-in
synthetic customers, ``configs/default.yaml``) timed with each thread setting, on an idle
machine and while busy processes hold every core, as other people's jobs do on a shared
machine. Each cell runs the two commands as a user would, in fresh processes."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dec.utils.threads import available_cpus

#: A process that keeps one core busy until killed.
SPINNER = "while True: pass"


def _timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "dec", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=threads_env(),
    )
    if done.returncode != 0:
        raise RuntimeError(f"dec {' '.join(args)} failed: {done.stderr[-500:]}")
    return time.perf_counter() - start


def one_cell(threads: int, busy: int, work: Path) -> dict:
    """Train and test once with ``--threads threads`` while ``busy`` spinners run."""
    spinners = [subprocess.Popen([sys.executable, "-c", SPINNER]) for _ in range(busy)]
    try:
        time.sleep(1.0 if busy else 0.0)
        run = work / f"t{threads}_b{busy}_{time.time_ns()}"
        flags = ["--threads", str(threads)]
        train = _timed(
            ["train", "--output-dir", str(run), *flags, "trainer.enable_progress_bar=false"], work
        )
        test = _timed(["test", "--run", str(run), *flags], work)
    finally:
        for spinner in spinners:
            spinner.kill()
        for spinner in spinners:
            spinner.wait()
    return {"threads": threads, "busy": busy, "train_seconds": train, "test_seconds": test}


def threads_benchmark(settings=(0, 1), loads=None, repeats: int = 1) -> dict:
    """Every (load, setting) cell ``repeats`` times, the settings alternating within a load
    so that a drift in the machine falls on both."""
    cpus = available_cpus()
    loads = loads if loads is not None else (0, cpus, 2 * cpus)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dec-threads-") as work:
        for busy in loads:
            for _ in range(repeats):
                for threads in settings:
                    rows.append(one_cell(threads, busy, Path(work)))
                    print(rows[-1], flush=True)
    return {"cpus": cpus, "settings": list(settings), "loads": list(loads), "rows": rows}


def threads_markdown(found: dict, meta: dict) -> str:
    """benchmarks/threads.md: seconds per (load, setting), the medians of the repeats."""
    import statistics

    def cell(busy, threads, key):
        values = [r[key] for r in found["rows"] if r["busy"] == busy and r["threads"] == threads]
        return statistics.median(values)

    names = {0: f"0 (automatic: {found['cpus']})"}
    lines = [
        "# Threads on a shared machine",
        "",
        f"`python scripts/benchmark.py --threads-load` on {meta['machine']} "
        f"({found['cpus']} CPUs), {meta['date']}: the default `dec train` (synthetic "
        "customers, `configs/default.yaml`) and `dec test` on its run, each timed as a "
        "fresh process, with `--threads N`, while `busy` processes each keep one core "
        "busy (`while True: pass`), as other jobs do on a shared machine. Seconds, wall "
        f"clock; the median of {len(found['rows']) // (len(found['settings']) * len(found['loads']))} "
        "run(s) per cell.",
        "",
        "| busy processes | --threads | train (s) | test (s) | train + test (s) | "
        "time / automatic's |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    total = {}
    for busy in found["loads"]:
        auto = cell(busy, 0, "train_seconds") + cell(busy, 0, "test_seconds")
        for threads in found["settings"]:
            train, test = cell(busy, threads, "train_seconds"), cell(busy, threads, "test_seconds")
            total[busy, threads] = train + test
            lines.append(
                f"| {busy} | {names.get(threads, threads)} | {train:.1f} | {test:.1f} | "
                f"{train + test:.1f} | {(train + test) / auto:.2f}× |"
            )
    idle, loaded = found["loads"][0], found["loads"][1:]
    fewest = min(found["settings"][1:], default=None)
    if fewest is not None and loaded:
        lines += [
            "",
            "What it says: with every setting automatic, the busy machine took "
            + " and ".join(f"{total[b, 0] / total[idle, 0]:.1f}×" for b in loaded)
            + f" the idle time ({', '.join(str(b) for b in loaded)} busy processes); "
            f"with `--threads {fewest}`, "
            + " and ".join(f"{total[b, fewest] / total[idle, 0]:.1f}×" for b in loaded)
            + ". Threads that wait for each other at every step lose most when the "
            "scheduler hands their cores to someone else.",
            "",
            "Why the default stays automatic (every CPU this process may use), although "
            f"even idle `--threads {fewest}` took {total[idle, fewest] / total[idle, 0]:.2f}× "
            "its time here: it does not change with the machine's load, so the same "
            "command gives the same numbers busy or idle, and this is one small machine "
            "with the default 20,000 customers; on larger data more threads do more work "
            "each (not measured here). Where the "
            "one-minute load average is at or above the CPUs when a command starts, it "
            "says once that a smaller `--threads` may run several times faster.",
        ]
    return "\n".join(lines) + "\n"


def threads_env() -> dict:
    """The environment a cell runs in: no thread variables inherited from the caller."""
    return {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
