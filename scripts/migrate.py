#!/usr/bin/env python
"""Who moved between segments: transition matrix, movers and heatmap between two snapshots."""

from dec.cli import run_cli
from dec.scoring_commands import migrate

if __name__ == "__main__":
    raise SystemExit(run_cli(migrate))
