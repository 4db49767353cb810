#!/usr/bin/env python
"""Who moved between segments: transition matrix, movers and heatmap between two snapshots."""

from dec.cli.common import run_cli
from dec.cli.scoring import migrate

if __name__ == "__main__":
    raise SystemExit(run_cli(migrate))
