#!/usr/bin/env python
"""Segments and segment probabilities for new customers, from a trained run."""

from dec.cli import run_cli
from dec.scoring_commands import predict

if __name__ == "__main__":
    raise SystemExit(run_cli(predict))
