"""Baselines DEC is judged against, each fitted on the training split only.

Every baseline takes the run's prepared data and its :class:`~dec.runs.rundir.FitResult`, and
returns a :class:`Baseline`: its test-split labels, the seconds its fit took, and any
setting it chose on the validation split.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture

from dec.data.prepare import PreparedData
from dec.metrics import eta_squared, label_metrics, main_metric
from dec.models.init import MIXTURE_COVARIANCES, make_kmeans, sample_rows
from dec.runs.rundir import FitResult


@dataclass
class Baseline:
    labels: np.ndarray
    seconds: float
    choice: dict = field(default_factory=dict)


def kmeans_inputs(data: PreparedData, result: FitResult) -> Baseline:
    """KMeans on the preprocessed inputs: same k, same ``n_init`` as DEC's initialisation
    (MiniBatchKMeans on large data, as for DEC's initialisation)."""
    start = time.perf_counter()
    model = kmeans_model(result.config, len(data.X_train)).fit(data.X_train)
    return Baseline(model.predict(data.X_test), time.perf_counter() - start)


def kmeans_model(config, n_rows: int, seed: int | None = None):
    """The KMeans baseline's estimator for ``n_rows`` training rows (``seed``: the run's)."""
    return make_kmeans(
        config.model.n_clusters,
        n_rows,
        n_init=config.refine.n_init,
        random_state=config.seed if seed is None else seed,
    )


def gmm_model(config, covariance: str, seed: int | None = None) -> GaussianMixture:
    """The GMM baseline's estimator with one covariance type (``seed``: the run's)."""
    return GaussianMixture(
        config.model.n_clusters,
        covariance_type=covariance,
        n_init=3,
        reg_covar=1e-4,
        random_state=config.seed if seed is None else seed,
    )


#: Covariance types tried; the one with the best validation score is used.
GMM_COVARIANCES = MIXTURE_COVARIANCES
#: GMM is fitted on at most this many training rows (a sample above it): bounded time.
GMM_MAX_ROWS = 100_000


def validation_score(
    data: PreparedData, labels: np.ndarray, part: str = "val"
) -> tuple[str, float]:
    """The score every setting is chosen by, on the validation split (``part``): the
    :func:`~dec.metrics.main_metric` rule, ARI where labels exist, else the eta² of the
    first outcome, else the silhouette.

    ``part="test"`` gives the same score on the test split, to confirm a choice.
    """
    truth, outcomes = data.labels(part), data.dataset.outcomes
    available = (["ari"] if truth is not None else []) + (
        [f"{c}_eta2" for c in outcomes.columns] if outcomes is not None else []
    )
    rule = main_metric(available)
    if rule == "ari":
        return rule, label_metrics(truth, labels)["ari"]
    if rule.endswith("_eta2"):
        values = outcomes.iloc[getattr(data, f"{part}_index")][rule.removesuffix("_eta2")]
        return rule, eta_squared(values.to_numpy(), labels)
    if len(np.unique(labels)) < 2:
        return rule, float("nan")
    return rule, float(silhouette_score(getattr(data, f"X_{part}"), labels))


def gmm_inputs(data: PreparedData, result: FitResult) -> Baseline:
    """Gaussian mixture on the preprocessed inputs, its covariance type chosen on the
    validation split by :func:`validation_score`."""
    config = result.config
    start = time.perf_counter()
    rows = sample_rows(data.X_train, GMM_MAX_ROWS, np.random.default_rng(config.seed))
    fitted, scores = {}, {}
    for covariance in GMM_COVARIANCES:
        fitted[covariance] = gmm_model(config, covariance).fit(rows)
        rule, scores[covariance] = validation_score(data, fitted[covariance].predict(data.X_val))
    best = max(scores, key=lambda c: -np.inf if np.isnan(scores[c]) else scores[c])
    choice = {"covariance_type": best, "chosen_by": f"validation {rule}", "validation": scores}
    return Baseline(fitted[best].predict(data.X_test), time.perf_counter() - start, choice)


def ae_kmeans(data: PreparedData, result: FitResult) -> Baseline:
    """DEC before refinement: the pretrained encoder with its KMeans initial centres, each
    customer in the segment of the nearest centre (whatever kernel refinement uses)."""
    timings = result.metrics.get("timings", {})
    seconds = timings.get("pretrain_seconds", 0.0) + timings.get("init_seconds", 0.0)
    return Baseline(nearest_centre(result.pretrained_model(), data.X_test), seconds)


def nearest_centre(model, X: np.ndarray) -> np.ndarray:
    """Each row in the segment of the centre nearest its embedding (whatever the kernel)."""
    return torch.cdist(model.embed(X), model.centers.detach()).argmin(1).numpy()


BASELINES = {"kmeans": kmeans_inputs, "ae_kmeans": ae_kmeans, "gmm": gmm_inputs}
