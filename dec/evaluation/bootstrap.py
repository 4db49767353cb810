"""Per-segment stability, measured: bootstrap resamples of the training rows, each
clustered again by the deep model and by the classical baselines, and every original
segment scored by its best-matching Jaccard (:mod:`dec.evaluation.stability`, Hennig 2007).

What a refit of the deep model is:

- ``"full"`` (the default): pretraining, initialisation and refinement on the resample, as
  a new run would. It answers the marketer's question (would this segment come back if the
  customers were drawn again?) and refits the deep model as completely as KMeans and the
  GMM are refitted, so the three are compared fairly.
- ``"refine"``: the run's pretrained autoencoder is kept; the centres are placed again on
  the resample's embeddings (``refine.init``) and the head is refined on the resample with
  the run's settings and a new seed. It asks only whether the segments come back from the
  same representation, so it reads higher (on the default data 0.92 against 0.85 mean
  Jaccard), at about two thirds of the cost.

``benchmarks/stability.md`` (``scripts/benchmark.py --stability``) measures both on the
default data; ``docs/stability.md`` reads it.
"""

from __future__ import annotations

import logging
import time
import warnings
from contextlib import contextmanager

import numpy as np
import pytorch_lightning as pl
import torch

from dec.config import Config, replace
from dec.data.datamodule import CustomerDataModule
from dec.data.prepare import PreparedData
from dec.evaluation.baselines import gmm_model, kmeans_model
from dec.evaluation.stability import best_match_jaccards, segment_table
from dec.models.init import init_state
from dec.runs.result import FitResult, build_model
from dec.training.stages import pretrain_and_init, refine
from dec.training.trainer import quiet_lightning

log = logging.getLogger("dec")

REFITS = ("full", "refine")
DEFAULT_REFIT = "full"
#: Resamples when ``--stability`` is given without a number: on the default data 10 full
#: refits take about 45 s on 2 cores (benchmarks/stability.md), so test.py stays within a
#: minute or two; the mean of 10 Jaccards is good to a few hundredths.
DEFAULT_RESAMPLES = 10
#: A resample draws as many rows as the training split has, but at most this many (an
#: m-out-of-n bootstrap): the refits' time stays bounded on large tables (docs/stability.md).
MAX_ROWS = 5_000


def resamples(n_rows: int, n_resamples: int, seed: int) -> list[np.ndarray]:
    """Row indices of each bootstrap resample: ``min(n_rows, MAX_ROWS)`` rows drawn with
    replacement, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    size = min(n_rows, MAX_ROWS)
    return [rng.integers(0, n_rows, size) for _ in range(n_resamples)]


def _refit_config(config: Config, seed: int) -> Config:
    """The run's settings for an in-memory refit: a new seed, one process, no progress bar,
    the run's device where this machine has one, else the CPU."""
    accelerator = config.trainer.accelerator if torch.cuda.is_available() else "cpu"
    return replace(
        config,
        values={
            "seed": seed,
            "model": {"n_runs": 1},
            "trainer": {
                "accelerator": accelerator,
                "devices": 1,
                "num_nodes": 1,
                "strategy": "auto",
                "enable_progress_bar": False,
            },
        },
    )


@contextmanager
def _quiet():
    """Refits repeat the run: its notices (step budgets, interval warnings) were already
    shown once, so the refits keep them to themselves."""
    level = log.level
    log.setLevel(logging.WARNING)
    try:
        with quiet_lightning(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        log.setLevel(level)


def refit_dec(
    result: FitResult, X: np.ndarray, X_val: np.ndarray, seed: int, refit: str = DEFAULT_REFIT
) -> np.ndarray:
    """Segments of the rows ``X`` from the deep model trained again on them (see the module
    docstring for ``refit``); ``X_val`` is only watched, as in training."""
    config = _refit_config(result.config, seed)
    architecture = result.model.architecture
    pl.seed_everything(seed, workers=True, verbose=False)
    datamodule = CustomerDataModule(X, X_val, config.pretrain.batch_size, seed=seed)
    with _quiet():
        if refit == "full":
            state = pretrain_and_init(config, None, datamodule, architecture, {}, False)
        else:
            pretrained = build_model(architecture, result.pretrained)
            state = {
                name: value
                for name, value in result.pretrained.items()
                if name.startswith("autoencoder.")
            }
            state.update(
                init_state(
                    pretrained.embed(X),
                    config.model.n_clusters,
                    config.refine.n_init,
                    seed,
                    architecture["kernel"],
                    config.refine.init,
                )
            )
        module, _ = refine(config, None, datamodule, architecture, state, {}, False)
    return module.model.eval().assign(X).numpy()


def _methods(result: FitResult, data: PreparedData, refit: str, covariance: str, names) -> dict:
    """Per method in ``names``: (what a refit is, segments of the training rows, refit
    function)."""
    config, X = result.config, data.X_train
    methods = {}
    if "dec" in names:
        methods["dec"] = (
            "pretrained autoencoder kept, centres and refinement redone on the resample"
            if refit == "refine"
            else "pretraining, centres and refinement redone on the resample",
            result.model.assign(X).numpy(),
            lambda rows, seed: refit_dec(result, X[rows], data.X_val, seed, refit),
        )
    if "kmeans" in names:
        methods["kmeans"] = (
            f"KMeans (n_init {config.refine.n_init}) on the resample",
            kmeans_model(config, len(X)).fit(X).labels_,
            lambda rows, seed: kmeans_model(config, len(rows), seed).fit_predict(X[rows]),
        )
    if "gmm" in names:
        methods["gmm"] = (
            f"GMM ({covariance} covariance) on the resample",
            gmm_model(config, covariance).fit(X).predict(X),
            lambda rows, seed: gmm_model(config, covariance, seed).fit(X[rows]).predict(X[rows]),
        )
    return methods


def segment_stability(
    result: FitResult,
    data: PreparedData,
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    refit: str = DEFAULT_REFIT,
    gmm_covariance: str = "full",
    methods=("dec", "kmeans", "gmm"),
) -> dict:
    """Bootstrap Jaccard of every segment of the deep model, KMeans and GMM.

    Parameters
    ----------
    result : FitResult
        The trained run.
    data : PreparedData
        Its data; the resamples are drawn from the training rows.
    n_resamples : int, default=DEFAULT_RESAMPLES
    refit : {"full", "refine"}, default="full"
        What a refit of the deep model is (module docstring).
    gmm_covariance : str, default="full"
        The GMM baseline's covariance type (the one it chose on the validation split).
    methods : sequence of str, default=("dec", "kmeans", "gmm")

    Returns
    -------
    dict
        The ``stability`` entry of ``test_report.json``: per method ``{"resamples", "rows",
        "refit", "seconds", "jaccard_mean", "segments": [...]}`` (segments from
        :func:`dec.evaluation.stability.segment_table`), and for a run that kept the most typical of
        several seeds, ``dec.seed_agreement``: their mean seed-to-seed ARI.
    """
    if refit not in REFITS:
        raise ValueError(f"refit must be one of {REFITS}, got {refit!r}")
    config = result.config
    k = config.model.n_clusters
    draws = resamples(len(data.X_train), n_resamples, config.seed)
    seeds = np.random.default_rng(config.seed + 1).integers(0, 2**31 - 1, n_resamples)
    report = {}
    for name, (what, reference, refit_labels) in _methods(
        result, data, refit, gmm_covariance, methods
    ).items():
        start = time.perf_counter()
        jaccards = []
        for b, (rows, seed) in enumerate(zip(draws, seeds)):
            log.info("stability: %s, resample %d of %d", name, b + 1, n_resamples)
            jaccards.append(best_match_jaccards(reference[rows], refit_labels(rows, int(seed)), k))
        segments = segment_table(np.array(jaccards), np.bincount(reference, minlength=k))
        means = [s["jaccard_mean"] for s in segments if np.isfinite(s["jaccard_mean"])]
        report[name] = {
            "resamples": n_resamples,
            "rows": len(draws[0]) if draws else 0,
            "refit": what,
            "seconds": time.perf_counter() - start,
            "jaccard_mean": float(np.mean(means)) if means else float("nan"),
            "segments": segments,
        }
    runs = result.metrics.get("runs")
    if "dec" in report and runs and len(runs.get("agreement", [])) > 1:
        report["dec"]["seed_agreement"] = float(np.mean(runs["agreement"]))
    return report
