"""Baselines DEC is judged against, each fitted on the training split only.

Every baseline takes the run's prepared data and its :class:`~dec.rundir.FitResult`, and
returns its test-split labels and the seconds its fit took.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.mixture import GaussianMixture

from dec.data.prepare import PreparedData
from dec.models.init import make_kmeans
from dec.rundir import FitResult


def kmeans_inputs(data: PreparedData, result: FitResult) -> tuple[np.ndarray, float]:
    """KMeans on the preprocessed inputs: same k, same ``n_init`` as DEC's initialisation
    (MiniBatchKMeans on large data, as for DEC's initialisation)."""
    config = result.config
    start = time.perf_counter()
    model = make_kmeans(config.model.n_clusters, len(data.X_train), n_init=config.refine.n_init,
                        random_state=config.seed).fit(data.X_train)
    return model.predict(data.X_test), time.perf_counter() - start


#: Chosen like DEC's defaults, on the synthetic data's validation split (ARI): tied 0.707,
#: spherical 0.636, diag 0.093, full 0.004. BIC would have picked "full", which collapses
#: onto the one-hot columns.
GMM_COVARIANCE = "tied"


def gmm_inputs(data: PreparedData, result: FitResult) -> tuple[np.ndarray, float]:
    """Gaussian mixture (shared "tied" covariance) on the preprocessed inputs."""
    config = result.config
    start = time.perf_counter()
    model = GaussianMixture(config.model.n_clusters, covariance_type=GMM_COVARIANCE, n_init=3,
                            reg_covar=1e-4, random_state=config.seed).fit(data.X_train)
    return model.predict(data.X_test), time.perf_counter() - start


def ae_kmeans(data: PreparedData, result: FitResult) -> tuple[np.ndarray, float]:
    """DEC before refinement: the pretrained encoder with its KMeans initial centres."""
    timings = result.metrics.get("timings", {})
    seconds = timings.get("pretrain_seconds", 0.0) + timings.get("init_seconds", 0.0)
    return result.pretrained_model().assign(data.X_test).numpy(), seconds


BASELINES = {"kmeans": kmeans_inputs, "ae_kmeans": ae_kmeans, "gmm": gmm_inputs}
