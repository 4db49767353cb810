#!/usr/bin/env python
"""Segments and segment probabilities for new customers, from a trained run."""

from dec.cli.common import run_cli
from dec.cli.scoring import predict

if __name__ == "__main__":
    raise SystemExit(run_cli(predict))
