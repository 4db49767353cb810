#!/usr/bin/env python
"""Segment profiles (profiles.md, profiles.csv) and plots (PNG) for a trained run."""
# Not "profile.py": that name would shadow the standard library module torch imports.

from dec.cli.commands import profiles
from dec.cli.common import run_cli

if __name__ == "__main__":
    raise SystemExit(run_cli(profiles))
