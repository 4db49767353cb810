#!/usr/bin/env python
"""Export id, segment, embeddings and probabilities for every customer; optionally ONNX."""

from dec.cli.common import run_cli
from dec.cli.scoring import export

if __name__ == "__main__":
    raise SystemExit(run_cli(export))
