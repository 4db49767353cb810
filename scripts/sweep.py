#!/usr/bin/env python
"""Choose k: the metrics of every k (and --grid value), and a recommended k."""

from dec.cli.common import run_cli
from dec.cli.sweep import sweep

if __name__ == "__main__":
    raise SystemExit(run_cli(sweep))
