"""Harnesses that measure the package (benchmark, choosing k, speed, scale); not the library."""
