"""Initial cluster centres: KMeans on the pretrained embeddings (DEC §3.2)."""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans

#: Above this many rows, KMeans switches to MiniBatchKMeans (bounded time).
MINIBATCH_KMEANS_THRESHOLD = 200_000


def make_kmeans(n_clusters: int, n_rows: int, *, n_init: int,
                random_state: int) -> KMeans | MiniBatchKMeans:
    """KMeans, or MiniBatchKMeans above ``MINIBATCH_KMEANS_THRESHOLD`` rows."""
    if n_rows > MINIBATCH_KMEANS_THRESHOLD:
        return MiniBatchKMeans(n_clusters, n_init=n_init, random_state=random_state,
                               batch_size=4096)
    return KMeans(n_clusters, n_init=n_init, random_state=random_state)


def init_centers(embeddings: np.ndarray, n_clusters: int, n_init: int,
                 random_state: int) -> np.ndarray:
    """KMeans centres of the embeddings, shape (n_clusters, embedding_dim), float32."""
    kmeans = make_kmeans(n_clusters, len(embeddings), n_init=n_init, random_state=random_state)
    return kmeans.fit(embeddings).cluster_centers_.astype(np.float32)
