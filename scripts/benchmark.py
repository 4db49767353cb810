#!/usr/bin/env python
"""{synthetic, CDNOW, digits} x {KMeans, GMM, AE+KMeans, DEC, IDEC} x seeds, on the test
splits; writes benchmarks/results.json and benchmarks/results.md. --help lists the other
benchmarks (the suite, stability, log scale, speed, scale ...)."""

from dec.cli import run_cli
from dec.experiments.benchmark_command import main

if __name__ == "__main__":
    raise SystemExit(run_cli(main))
