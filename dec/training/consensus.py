"""Several seeds, one segmentation: train ``model.n_runs`` models and keep the most typical.

Deep clustering lands in a different local optimum for each seed; a marketer needs the
segments that come back. Training a few seeds and keeping the run whose segments agree
best with the others' (mean adjusted Rand index on the training rows: the medoid of the
runs) gives segments that the next set of seeds reproduces more often, and keeps one
network, so predict, export and ONNX work as for a single run. Co-association consensus
(Fred & Jain 2005) was measured beside it and agreed about as well, but its segments
belong to no single model, so new customers could not be scored.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import adjusted_rand_score


def agreement(labelings: Sequence[np.ndarray]) -> np.ndarray:
    """Mean adjusted Rand index of each labelling with every other one.

    Parameters
    ----------
    labelings : sequence of arrays of shape (n,)
        Segments of the same rows from each run; at least two.

    Returns
    -------
    ndarray of shape (n_runs,)
    """
    n = len(labelings)
    scores = np.ones((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            scores[i, j] = scores[j, i] = adjusted_rand_score(labelings[i], labelings[j])
    return (scores.sum(1) - 1.0) / (n - 1)


def most_typical(labelings: Sequence[np.ndarray]) -> tuple[int, np.ndarray]:
    """Index of the labelling that agrees best with the others (the first on a tie), and
    every labelling's :func:`agreement`."""
    scores = agreement(labelings)
    return int(np.argmax(scores)), scores


def run_seeds(seed: int, n_runs: int) -> list[int]:
    """The seeds of the candidate runs: ``seed * n_runs + j`` (modulo 2**32), so that
    nearby seeds never share a candidate, and ``n_runs = 1`` is the seed itself."""
    return [(seed * n_runs + j) % 2**32 for j in range(n_runs)]
