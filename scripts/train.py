#!/usr/bin/env python
"""Train a DEC/IDEC segmentation model: ``python scripts/train.py [--gpus 1] [KEY=VALUE ...]``."""

from dec.cli.commands import train
from dec.cli.common import run_cli

if __name__ == "__main__":
    raise SystemExit(run_cli(train))
