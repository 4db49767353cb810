"""Judging a run: the classical baselines, the test-split comparison and its verdict,
per-segment stability, value per segment, and choosing k (the sweep)."""
