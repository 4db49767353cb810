"""Benchmarks: the harnesses (benchmarks/harness, not installed) and their result files."""
