#!/usr/bin/env python
"""{synthetic, CDNOW, digits} x {KMeans, GMM, AE+KMeans, DEC, IDEC} x seeds, on the test
splits; writes benchmarks/results.json and benchmarks/results.md. --help lists the other
benchmarks (the suite, stability, log scale, speed, scale ...)."""

import sys
from pathlib import Path

# The harnesses live in benchmarks/harness, beside the results, and are not installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness.benchmark_command import main  # noqa: E402
from dec.cli.common import run_cli  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(run_cli(main))
