"""Initial cluster centres on the pretrained embeddings: KMeans (DEC §3.2), a Gaussian
mixture (full or tied covariance), or a Gaussian mixture on a UMAP of the embeddings (N2D,
McConville et al. 2020); for the Mahalanobis kernel also the shared precision, from the
pooled within-cluster covariance of that first partition. The Gaussian mixture head starts
from the mixture whose covariance type has the lowest BIC on the embeddings: all of it
(means, covariances, weights), so that before refinement it is that mixture.

Whatever the method, it only places the centres in the embedding space: refinement and
prediction never need UMAP or the mixture again."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from sklearn.cluster import KMeans, MiniBatchKMeans

from dec.models.clustering import pooled_precision_factor

#: Above this many rows, KMeans switches to MiniBatchKMeans (bounded time).
MINIBATCH_KMEANS_THRESHOLD = 200_000
INITS = ("kmeans", "gmm", "gmm_tied", "umap")
#: UMAP and the mixtures see a random sample of at most this many training embeddings.
SAMPLE_ROWS = 50_000
#: Covariance types the BIC chooses among (no labels involved).
MIXTURE_COVARIANCES = ("full", "tied", "diag", "spherical")
#: The Gaussian head's variances stay above this share of the embedding's mean variance.
VARIANCE_FLOOR = 1e-2
#: N2D's settings: local neighbourhoods, points packed tightly, one dimension per cluster.
UMAP_NEIGHBOURS, UMAP_MIN_DIST = 20, 0.0


def make_kmeans(
    n_clusters: int, n_rows: int, *, n_init: int, random_state: int
) -> KMeans | MiniBatchKMeans:
    """KMeans, or MiniBatchKMeans above ``MINIBATCH_KMEANS_THRESHOLD`` rows."""
    if n_rows > MINIBATCH_KMEANS_THRESHOLD:
        return MiniBatchKMeans(
            n_clusters, n_init=n_init, random_state=random_state, batch_size=4096
        )
    return KMeans(n_clusters, n_init=n_init, random_state=random_state)


def init_centers(
    embeddings: np.ndarray, n_clusters: int, n_init: int, random_state: int
) -> np.ndarray:
    """KMeans centres of the embeddings, shape (n_clusters, embedding_dim), float32."""
    kmeans = make_kmeans(n_clusters, len(embeddings), n_init=n_init, random_state=random_state)
    return kmeans.fit(embeddings).cluster_centers_.astype(np.float32)


def mixture_centers(
    embeddings: np.ndarray, n_clusters: int, n_init: int, random_state: int, manifold: bool = False
) -> np.ndarray:
    """Mean embedding of each component of a full-covariance Gaussian mixture, fitted on the
    embeddings or (``manifold``) on their UMAP, over a sample of at most ``SAMPLE_ROWS``."""
    rng = np.random.default_rng(random_state)
    embeddings = sample_rows(embeddings, SAMPLE_ROWS, rng)
    space = embeddings
    if manifold:
        import umap

        with warnings.catch_warnings():  # a seed makes UMAP single-threaded; it says so
            warnings.filterwarnings("ignore", ".*overridden to 1 by setting random_state.*")
            space = umap.UMAP(
                n_neighbors=UMAP_NEIGHBOURS,
                min_dist=UMAP_MIN_DIST,
                n_components=n_clusters,
                random_state=random_state,
            ).fit_transform(embeddings)
    labels = _mixture_labels(space, n_clusters, "full", n_init, random_state)
    return _mean_embeddings(embeddings, labels, n_clusters, rng)


def tied_mixture_partition(
    embeddings: np.ndarray, n_clusters: int, n_init: int, random_state: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A Gaussian mixture with one covariance shared by all components, on a sample of at
    most ``SAMPLE_ROWS`` embeddings: the mean embedding of each component, the sample, and
    each sampled row's component (from which the shared precision is estimated)."""
    rng = np.random.default_rng(random_state)
    embeddings = sample_rows(embeddings, SAMPLE_ROWS, rng)
    labels = _mixture_labels(embeddings, n_clusters, "tied", n_init, random_state)
    return _mean_embeddings(embeddings, labels, n_clusters, rng), embeddings, labels


def bic_mixture(X: np.ndarray, n_clusters: int, random_state: int, n_init: int = 3):
    """The Gaussian mixture whose covariance type (``MIXTURE_COVARIANCES``) has the lowest
    BIC on ``X``: a classical model chosen without labels."""
    from sklearn.mixture import GaussianMixture

    fitted = [
        GaussianMixture(
            n_clusters, covariance_type=c, n_init=n_init, reg_covar=1e-4, random_state=random_state
        ).fit(X)
        for c in MIXTURE_COVARIANCES
    ]
    return min(fitted, key=lambda g: g.bic(X))


def full_precisions(mixture) -> np.ndarray:
    """A fitted ``GaussianMixture``'s precision matrices as (k, d, d), whatever its type."""
    k, d = mixture.means_.shape
    precisions = np.asarray(mixture.precisions_, dtype=np.float64)
    if mixture.covariance_type == "tied":
        return np.repeat(precisions[None], k, axis=0)
    if mixture.covariance_type == "diag":
        return np.stack([np.diag(p) for p in precisions])
    if mixture.covariance_type == "spherical":
        return precisions[:, None, None] * np.eye(d)
    return precisions


def mixture_head_state(
    embeddings: np.ndarray, n_clusters: int, n_init: int, random_state: int
) -> dict[str, torch.Tensor]:
    """The Gaussian head's starting values, from :func:`bic_mixture` on a sample of at most
    ``SAMPLE_ROWS`` embeddings: means, lower Cholesky factors of the precisions, log weights,
    and the ceiling on those factors' diagonals that keeps every variance above
    ``VARIANCE_FLOOR`` times the embedding's mean variance."""
    sample = sample_rows(embeddings, SAMPLE_ROWS, np.random.default_rng(random_state))
    mixture = bic_mixture(
        sample.astype(np.float64), n_clusters, random_state, n_init=min(n_init, 3)
    )
    floor = VARIANCE_FLOOR * float(sample.var(axis=0).mean())
    factors = np.linalg.cholesky(full_precisions(mixture))
    return {
        "centers": torch.tensor(mixture.means_, dtype=torch.float32),
        "precision_factors": torch.tensor(factors, dtype=torch.float32),
        "log_weights": torch.tensor(np.log(mixture.weights_), dtype=torch.float32),
        "scale_ceiling": torch.tensor(1.0 / np.sqrt(max(floor, 1e-12)), dtype=torch.float32),
    }


def sample_rows(rows: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``rows`` unchanged if there are at most ``n``, else ``n`` of them drawn without
    replacement by ``rng``: what the mixtures, the GMM baseline and prediction strength
    are fitted on."""
    if len(rows) > n:
        return rows[rng.choice(len(rows), n, replace=False)]
    return rows


def _mixture_labels(
    space: np.ndarray, n_clusters: int, covariance: str, n_init: int, random_state: int
) -> np.ndarray:
    from sklearn.mixture import GaussianMixture

    return GaussianMixture(
        n_clusters,
        covariance_type=covariance,
        n_init=min(n_init, 5),
        reg_covar=1e-4,
        random_state=random_state,
    ).fit_predict(space)


def _mean_embeddings(
    embeddings: np.ndarray, labels: np.ndarray, n_clusters: int, rng: np.random.Generator
) -> np.ndarray:
    centers = np.stack(
        [
            embeddings[labels == j].mean(0)
            if (labels == j).any()
            else embeddings[rng.integers(len(embeddings))]
            for j in range(n_clusters)
        ]
    )
    return centers.astype(np.float32)


def init_state(
    embeddings: torch.Tensor,
    n_clusters: int,
    n_init: int,
    random_state: int,
    kernel: str = "student_t",
    method: str = "kmeans",
) -> dict[str, torch.Tensor]:
    """The clustering head's starting values: ``centers`` by ``method`` (one of ``INITS``),
    and for the Mahalanobis kernel ``precision_factor`` whitening the pooled within-cluster
    covariance of the first partition (a tied-covariance GMM's estimate): the tied mixture's
    own components for ``gmm_tied``, else each row's nearest centre. The Gaussian head
    always starts from :func:`mixture_head_state`, whatever ``method``."""
    z = embeddings.numpy()
    if kernel == "gaussian":
        return mixture_head_state(z, n_clusters, n_init, random_state)
    partition = None  # rows and their first clusters, for the Mahalanobis precision
    if method == "kmeans":
        centers = init_centers(z, n_clusters, n_init, random_state)
    elif method == "gmm_tied":
        centers, rows, labels = tied_mixture_partition(z, n_clusters, n_init, random_state)
        partition = (torch.from_numpy(rows), torch.from_numpy(labels))
    else:
        centers = mixture_centers(z, n_clusters, n_init, random_state, manifold=method == "umap")
    state = {"centers": torch.from_numpy(centers)}
    if kernel == "mahalanobis":
        if partition is None:
            partition = (embeddings, torch.cdist(embeddings, state["centers"]).argmin(1))
        state["precision_factor"] = pooled_precision_factor(*partition, n_clusters)
    return state
