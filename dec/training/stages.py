"""The two training stages on prepared matrices: pretrain the autoencoder and place the
initial centres (DEC §3.2), then refine the clustering head (DEC §3.1, IDEC).

:mod:`dec.training.pipeline` chains them for a run; :mod:`dec.evaluation.bootstrap` calls them again on
resamples to measure per-segment stability. Either may pass ``run=None``: nothing is
written and the Trainers keep no checkpoints or logs.
"""

from __future__ import annotations

import logging
import time
import warnings

import torch

from dec.models.dec_model import apply_in_batches
from dec.models.init import init_state
from dec.training import distributed
from dec.training.autoencoder_module import AutoencoderModule
from dec.training.dec_module import DECModule, refresh_interval
from dec.training.trainer import fit_stage, make_trainer

log = logging.getLogger("dec")


def pretrain_and_init(config, run, datamodule, architecture, timings, resume):
    start = time.perf_counter()
    p = config.pretrain
    log.info("pretraining the autoencoder (%d epochs)", p.epochs)
    module = AutoencoderModule(
        architecture["input_dim"],
        architecture["hidden_dims"],
        architecture["embedding_dim"],
        lr=p.lr,
        weight_decay=p.weight_decay,
        input_noise=p.input_noise,
        seed=config.seed,
    )
    if config.trainer.compile:
        module.autoencoder.compile()  # in place: the state dict's keys stay the same
    trainer = make_trainer(config, run, "pretrain", p.epochs)
    fit_stage(
        trainer, module, datamodule, run.last_checkpoint("pretrain") if resume and run else None
    )
    timings["pretrain_seconds"] = time.perf_counter() - start

    start = time.perf_counter()
    method = (
        "the Gaussian mixture with the lowest BIC"
        if architecture["kernel"] == "gaussian"
        else {
            "kmeans": "KMeans",
            "gmm": "a Gaussian mixture",
            "gmm_tied": "a tied-covariance Gaussian mixture",
            "umap": "a Gaussian mixture on a UMAP",
        }[config.refine.init]
    )
    log.info(
        "initialising %d centres with %s (n_init=%d)",
        config.model.n_clusters,
        method,
        config.refine.n_init,
    )
    encoder = module.autoencoder.eval().encoder
    # Under DDP each process embeds its shard; KMeans sees all of them, on rank 0.
    train, strategy = datamodule.train, trainer.strategy
    rows = distributed.shard(len(train), trainer.global_rank, trainer.world_size)
    embeddings = distributed.gather_shards(
        strategy,
        apply_in_batches(encoder, train[rows.to(train.device)], device=module.device),
        len(train),
    )
    k, d = config.model.n_clusters, architecture["embedding_dim"]
    state = {"centers": torch.zeros(k, d)}
    if architecture["kernel"] == "mahalanobis":
        state["precision_factor"] = torch.eye(d)
    if architecture["kernel"] == "gaussian":
        state.update(
            precision_factors=torch.eye(d).repeat(k, 1, 1),
            log_weights=torch.zeros(k),
            scale_ceiling=torch.tensor(float("inf")),
        )
    if trainer.is_global_zero:
        state.update(
            init_state(
                embeddings,
                k,
                config.refine.n_init,
                config.seed,
                architecture["kernel"],
                config.refine.init,
            )
        )
    state = {name: distributed.broadcast(strategy, value) for name, value in state.items()}
    timings["init_seconds"] = time.perf_counter() - start
    return {**{f"autoencoder.{k}": v for k, v in module.autoencoder.state_dict().items()}, **state}


def refresh_interval_for(r, n_train: int) -> int:
    """refine.update_interval, shortened (with a warning) where the run is too short for
    a few refreshes of the target; a warning too where it cannot refine at all."""
    total_steps = -(-n_train // r.batch_size) * r.epochs
    interval = refresh_interval(r.update_interval, total_steps)
    if total_steps < 2:
        warnings.warn(
            f"refinement has {total_steps} optimiser step(s) (refine.epochs = "
            f"{r.epochs}): the segments are the KMeans initialisation, not refined",
            stacklevel=2,
        )
    elif interval < r.update_interval:
        # Expected on any small table, so a notice rather than a warning.
        log.info(
            "the target distribution is refreshed every %d steps (refine.update_interval "
            "%d is long for %d refinement steps)",
            interval,
            r.update_interval,
            total_steps,
        )
    return interval


def refine(config, run, datamodule, architecture, state, timings, resume):
    r = config.refine
    method = (
        "the Gaussian mixture head's likelihood"
        if config.model.kernel == "gaussian"
        else "IDEC"
        if r.gamma > 0
        else "DEC"
    )
    log.info("refining with %s (gamma=%g, up to %d epochs)", method, r.gamma, r.epochs)
    start = time.perf_counter()
    interval = refresh_interval_for(r, len(datamodule.train))
    module = DECModule(
        **architecture,
        gamma=r.gamma,
        balance=r.balance,
        lr=r.lr,
        update_interval=interval,
        tol=r.tol,
    )
    module.model.load_state_dict(state)
    if config.trainer.compile:
        module.model.autoencoder.compile()
    datamodule.batch_size = r.batch_size
    # Refinement starts from its own seed, so that a run resumed after pretraining
    # shuffles exactly as an uninterrupted one.
    torch.manual_seed(config.seed + 1)
    datamodule.reseed(config.seed + 1)
    trainer = make_trainer(config, run, "refine", r.epochs)
    fit_stage(
        trainer, module, datamodule, run.last_checkpoint("refine") if resume and run else None
    )
    timings["refine_seconds"] = timings.get("refine_seconds", 0.0) + time.perf_counter() - start
    return module, trainer
