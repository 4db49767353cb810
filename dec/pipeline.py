"""The training path: prepare -> pretrain -> initialise centres -> refine -> run folder.

``fit(config)`` is the single place the stages are chained; ``scripts/train.py``, the
estimator and the experiment harnesses all call it. Each stage lives in its own module:
:mod:`dec.data.prepare`, :mod:`dec.models.autoencoder_module`, :mod:`dec.models.init`,
:mod:`dec.models.dec_module`, :mod:`dec.rundir`; :mod:`dec.trainer` builds the Trainers.
"""

from __future__ import annotations

import logging
import time
import warnings
from contextlib import nullcontext
from pathlib import Path

import pytorch_lightning as pl
import torch

from dec import distributed
from dec.config import Config, flat_values, replace
from dec.consensus import most_typical, run_seeds
from dec.data import Dataset
from dec.data.datasets import source_files
from dec.data.datamodule import CustomerDataModule
from dec.data.prepare import (PreparedData, check_same_data, load_dataset_from_config,
                              prepare_data)
from dec.errors import ConfigError
from dec.models.autoencoder_module import AutoencoderModule
from dec.models.dec_model import apply_in_batches
from dec.models.dec_model import architecture as model_architecture
from dec.models.dec_module import DECModule, refresh_interval
from dec.models.init import init_state
from dec.rundir import FitResult, RunDir
from dec.run_summary import log_run_summary, summarise
from dec.sizing import resolve_config
from dec.trainer import check_accelerator, fit_stage, make_trainer, quiet_lightning

log = logging.getLogger("dec")


def fit(config: Config, run_dir: str | Path | RunDir | None = None, *, resume: bool = False,
        overwrite: bool = False, dataset: Dataset | None = None,
        pretrained: FitResult | None = None) -> FitResult:
    """Train a DEC/IDEC model.

    Parameters
    ----------
    config : Config
        Resolved configuration.
    run_dir : str, Path or RunDir, optional
        Where to write the run folder. Without one nothing is written and the result stays
        in memory (the estimator's path).
    resume : bool, default=False
        Continue from the stage checkpoints already in ``run_dir``, with the same data
        and the same data and model settings (checked).
    overwrite : bool, default=False
        Replace a run already in ``run_dir``; without it (or ``resume``) that is refused.
    dataset : Dataset, optional
        In-memory data to use instead of ``config.data.source``.
    pretrained : FitResult, optional
        Start refinement from this result's pretrained autoencoder and initial centres
        (and inherit their timings) instead of pretraining again.

    Returns
    -------
    FitResult
    """
    check_accelerator(config)
    run = RunDir(run_dir).writable() if run_dir is not None else None
    if run is not None:
        run.check_keeps(source_files(config.data.source))
    # Only the first process writes the folder; DDP's other processes start after it has.
    writer = run is not None and distributed.is_rank_zero()
    if writer:
        run.check_fresh(resume=resume, overwrite=overwrite)
    pl.seed_everything(config.seed, workers=True, verbose=False)
    if dataset is None:
        dataset = load_dataset_from_config(config)
    config = resolve_config(config, dataset)
    fingerprint = dataset.fingerprint()
    if resume and run is not None:
        _check_resume(run, config, dataset)
    data = prepare_data(config, dataset=dataset)
    log.info("data: %s, %d train / %d val / %d test customers, %d input features",
             data.dataset.name, len(data.X_train), len(data.X_val), len(data.X_test),
             data.preprocessor.n_features_out)
    m = config.model
    # Only the integers: building a network here would draw from the seeded generator.
    architecture = model_architecture(data.preprocessor.n_features_out, m.hidden_dims,
                                      m.embedding_dim, m.n_clusters, m.alpha, m.kernel)
    if m.n_runs > 1 and pretrained is None:
        return _fit_most_typical(config, run, writer, data, architecture, fingerprint,
                                 resume=resume, overwrite=overwrite)
    with run.claim(resume=resume, overwrite=overwrite) if writer else nullcontext():
        if writer:
            run.start(config, data.preprocessor, architecture, fingerprint)
        return _train(config, run, data, architecture, resume, pretrained, fingerprint)


def _fit_most_typical(config, run, writer, data, architecture, fingerprint, *, resume,
                      overwrite) -> FitResult:
    """``model.n_runs`` models from different seeds, trained in memory; the one whose
    segments agree best with the others' is kept and written (:mod:`dec.consensus`)."""
    if resume:
        raise ConfigError("--resume continues one training run, and with model.n_runs > 1 "
                          "the runs train in memory; train the run again")
    seeds = run_seeds(config.seed, config.model.n_runs)
    candidates = []
    for seed in seeds:
        log.info("run %d of %d (seed %d)", len(candidates) + 1, len(seeds), seed)
        pl.seed_everything(seed, workers=True, verbose=False)
        candidate = replace(config, values={"seed": seed, "model": {"n_runs": 1}})
        candidates.append(_train(candidate, None, data, architecture, False, None,
                                 fingerprint))
    best, scores = most_typical([c.model.assign(data.X_train).numpy() for c in candidates])
    chosen = candidates[best]
    timings = {key: sum(c.metrics["timings"].get(key, 0.0) for c in candidates)
               for key in ("pretrain_seconds", "init_seconds", "refine_seconds")}
    metrics = {**chosen.metrics, "timings": timings,
               "runs": {"seeds": seeds, "chosen": best, "agreement": scores.tolist()}}
    log.info("kept run %d of %d (seed %d): mean ARI %.3f with the others' segments",
             best + 1, len(seeds), seeds[best], scores[best])
    if writer:
        with run.claim(overwrite=overwrite):
            run.start(config, data.preprocessor, architecture, fingerprint)
            run.save_pretrained(chosen.pretrained, {"timings": timings})
            run.save_model(chosen.model, metrics)
    return FitResult(chosen.model, chosen.pretrained, data.preprocessor, config, metrics,
                     run, fingerprint)


def _train(config, run, data, architecture, resume, pretrained, fingerprint) -> FitResult:
    """Pretrain (or take the given pretrained state), refine, and save a complete run."""
    datamodule = CustomerDataModule(data.X_train, data.X_val, config.pretrain.batch_size,
                                    val_labels=data.labels("val"), seed=config.seed)
    with quiet_lightning():
        state, timings = _pretrained_state(config, run, datamodule, architecture, resume,
                                           pretrained)
        module, trainer = _refine(config, run, datamodule, architecture, state, timings, resume)
    metrics: dict = {"timings": timings}
    if trainer.is_global_zero:
        metrics = summarise(module, trainer, data, timings)
        if run is not None:
            run.save_model(module.model, metrics)
            log_run_summary(trainer, module, config, data, metrics)
    return FitResult(module.model.eval(), state, data.preprocessor, config, metrics, run,
                     fingerprint)


#: What a resumed run must share with the run it continues: its data and its model.
RESUME_FIXED = ("seed", "data.", "model.")


def _check_resume(run: RunDir, config: Config, dataset: Dataset) -> None:
    """Resume continues a run, never changes it: same data (by content), same settings."""
    check_same_data(run.fingerprint(), dataset, f"run {run} was trained on")
    before, now = flat_values(run.config()), flat_values(config)
    changed = [f"{key} {before[key]!r} -> {now[key]!r}" for key in before
               if key.startswith(RESUME_FIXED) and key not in ("data.source", "data.kind")
               and before[key] != now.get(key)]
    if changed:
        raise ConfigError(f"cannot resume {run} with settings it did not start with "
                          f"({'; '.join(changed)}); resume without them or start a new run")


def _pretrained_state(config, run, datamodule, architecture, resume, pretrained):
    """The autoencoder and initial centres: given, resumed from the run folder, or trained."""
    if pretrained is not None:
        inherited = pretrained.metrics.get("timings", {})
        timings = {k: inherited[k] for k in ("pretrain_seconds", "init_seconds") if k in inherited}
        state = pretrained.pretrained
    elif resume and run is not None and run.has_pretrained():
        log.info("resume: pretraining already finished, loading %s", run.pretrained_path)
        return run.pretrained_state(), run.metrics().get("timings", {})
    else:
        timings = {}
        state = _pretrain_and_init(config, run, datamodule, architecture, timings, resume)
    if run is not None:
        run.save_pretrained(state, {"timings": timings})
    return state, timings


def _pretrain_and_init(config, run, datamodule, architecture, timings, resume):
    start = time.perf_counter()
    p = config.pretrain
    log.info("pretraining the autoencoder (%d epochs)", p.epochs)
    module = AutoencoderModule(architecture["input_dim"], architecture["hidden_dims"],
                               architecture["embedding_dim"], lr=p.lr,
                               weight_decay=p.weight_decay, input_noise=p.input_noise,
                               seed=config.seed)
    trainer = make_trainer(config, run, "pretrain", p.epochs)
    fit_stage(trainer, module, datamodule,
              run.last_checkpoint("pretrain") if resume and run else None)
    timings["pretrain_seconds"] = time.perf_counter() - start

    start = time.perf_counter()
    log.info("initialising %d centres with %s (n_init=%d)", config.model.n_clusters,
             {"kmeans": "KMeans", "gmm": "a Gaussian mixture",
              "gmm_tied": "a tied-covariance Gaussian mixture",
              "umap": "a Gaussian mixture on a UMAP"}[config.refine.init], config.refine.n_init)
    encoder = module.autoencoder.eval().encoder
    # Under DDP each process embeds its shard; KMeans sees all of them, on rank 0.
    train, strategy = datamodule.train, trainer.strategy
    rows = distributed.shard(len(train), trainer.global_rank, trainer.world_size)
    embeddings = distributed.gather_shards(
        strategy, apply_in_batches(encoder, train[rows.to(train.device)], device=module.device),
        len(train))
    k, d = config.model.n_clusters, architecture["embedding_dim"]
    state = {"centers": torch.zeros(k, d)}
    if architecture["kernel"] == "mahalanobis":
        state["precision_factor"] = torch.eye(d)
    if trainer.is_global_zero:
        state.update(init_state(embeddings, k, config.refine.n_init, config.seed,
                                architecture["kernel"], config.refine.init))
    state = {name: distributed.broadcast(strategy, value) for name, value in state.items()}
    timings["init_seconds"] = time.perf_counter() - start
    return {**{f"autoencoder.{k}": v for k, v in module.autoencoder.state_dict().items()},
            **state}


def _refresh_interval(r, n_train: int) -> int:
    """refine.update_interval, shortened (with a warning) where the run is too short for
    a few refreshes of the target; a warning too where it cannot refine at all."""
    total_steps = -(-n_train // r.batch_size) * r.epochs
    interval = refresh_interval(r.update_interval, total_steps)
    if total_steps < 2:
        warnings.warn(f"refinement has {total_steps} optimiser step(s) (refine.epochs = "
                      f"{r.epochs}): the segments are the KMeans initialisation, not refined")
    elif interval < r.update_interval:
        warnings.warn(f"refine.update_interval = {r.update_interval} is more than the "
                      f"{total_steps} refinement steps allow; the target distribution is "
                      f"refreshed every {interval} steps instead")
    return interval


def _refine(config, run, datamodule, architecture, state, timings, resume):
    r = config.refine
    log.info("refining with %s (gamma=%g, up to %d epochs)", "IDEC" if r.gamma > 0 else "DEC",
             r.gamma, r.epochs)
    start = time.perf_counter()
    interval = _refresh_interval(r, len(datamodule.train))
    module = DECModule(**architecture, gamma=r.gamma, balance=r.balance, lr=r.lr,
                       update_interval=interval, tol=r.tol)
    module.model.load_state_dict(state)
    datamodule.batch_size = r.batch_size
    # Refinement starts from its own seed, so that a run resumed after pretraining
    # shuffles exactly as an uninterrupted one.
    torch.manual_seed(config.seed + 1)
    datamodule.reseed(config.seed + 1)
    trainer = make_trainer(config, run, "refine", r.epochs)
    fit_stage(trainer, module, datamodule,
              run.last_checkpoint("refine") if resume and run else None)
    timings["refine_seconds"] = timings.get("refine_seconds", 0.0) + time.perf_counter() - start
    return module, trainer


__all__ = ["fit", "prepare_data", "PreparedData", "FitResult"]
