#!/usr/bin/env python
"""Export id, segment, embeddings and probabilities for every customer; optionally ONNX."""

from dec.cli import run_cli
from dec.scoring_commands import export

if __name__ == "__main__":
    raise SystemExit(run_cli(export))
