#!/usr/bin/env python
"""Evaluate a run on its held-out test split against KMeans and AE+KMeans."""

from dec.cli.commands import test
from dec.cli.common import run_cli

if __name__ == "__main__":
    raise SystemExit(run_cli(test))
