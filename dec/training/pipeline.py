"""The training path: prepare -> pretrain -> initialise centres -> refine -> run folder.

``fit(config)`` is the single place the stages are chained; ``scripts/train.py``, the
estimator and the experiment harnesses all call it. Each stage lives in its own module:
:mod:`dec.data.prepare`, :mod:`dec.training.stages` (pretrain and initialise, refine),
:mod:`dec.runs.rundir`; :mod:`dec.training.trainer` builds the Trainers.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from pathlib import Path

import pytorch_lightning as pl

from dec.config import Config, flat_values, replace
from dec.data import Dataset
from dec.data.datamodule import CustomerDataModule
from dec.data.prepare import PreparedData, check_same_data, load_dataset_from_config, prepare_data
from dec.data.sources import source_files
from dec.errors import ConfigError
from dec.models.dec_model import architecture as model_architecture
from dec.runs.rundir import FitResult, RunDir
from dec.training.consensus import most_typical, run_seeds
from dec.training.rank import is_rank_zero
from dec.training.sizing import resolve_config
from dec.training.stages import pretrain_and_init, refine
from dec.training.summary import log_run_summary, summarise
from dec.training.trainer import check_accelerator, quiet_lightning
from dec.utils.threads import cap_threads

log = logging.getLogger("dec")


def fit(
    config: Config,
    run_dir: str | Path | RunDir | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    dataset: Dataset | None = None,
    pretrained: FitResult | None = None,
) -> FitResult:
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
    cap_threads(config.trainer.threads)
    run = RunDir(run_dir).writable() if run_dir is not None else None
    if run is not None:
        run.check_keeps(source_files(config.data.source))
    # Only the first process writes the folder; DDP's other processes start after it has.
    writer = run is not None and is_rank_zero()
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
    log.info(
        "data: %s, %d train / %d val / %d test customers, %d input features",
        data.dataset.name,
        len(data.X_train),
        len(data.X_val),
        len(data.X_test),
        data.preprocessor.n_features_out,
    )
    m = config.model
    # Only the integers: building a network here would draw from the seeded generator.
    architecture = model_architecture(
        data.preprocessor.n_features_out,
        m.hidden_dims,
        m.embedding_dim,
        m.n_clusters,
        m.alpha,
        m.kernel,
    )
    if m.n_runs > 1 and pretrained is None:
        return _fit_most_typical(
            config, run, writer, data, architecture, fingerprint, resume=resume, overwrite=overwrite
        )
    with run.claim(resume=resume, overwrite=overwrite) if writer else nullcontext():
        if writer:
            run.start(config, data.preprocessor, architecture, fingerprint)
        return _train(config, run, data, architecture, resume, pretrained, fingerprint)


def _fit_most_typical(
    config, run, writer, data, architecture, fingerprint, *, resume, overwrite
) -> FitResult:
    """``model.n_runs`` models from different seeds, trained in memory; the one whose
    segments agree best with the others' is kept and written (:mod:`dec.training.consensus`)."""
    if resume:
        raise ConfigError(
            "--resume continues one training run, and with model.n_runs > 1 "
            "the runs train in memory; train the run again"
        )
    seeds = run_seeds(config.seed, config.model.n_runs)
    candidates = []
    for seed in seeds:
        log.info("run %d of %d (seed %d)", len(candidates) + 1, len(seeds), seed)
        pl.seed_everything(seed, workers=True, verbose=False)
        candidate = replace(config, values={"seed": seed, "model": {"n_runs": 1}})
        candidates.append(_train(candidate, None, data, architecture, False, None, fingerprint))
    best, scores = most_typical([c.model.assign(data.X_train).numpy() for c in candidates])
    chosen = candidates[best]
    timings = {
        key: sum(c.metrics["timings"].get(key, 0.0) for c in candidates)
        for key in ("pretrain_seconds", "init_seconds", "refine_seconds")
    }
    metrics = {
        **chosen.metrics,
        "timings": timings,
        "runs": {"seeds": seeds, "chosen": best, "agreement": scores.tolist()},
    }
    log.info(
        "kept run %d of %d (seed %d): mean ARI %.3f with the others' segments",
        best + 1,
        len(seeds),
        seeds[best],
        scores[best],
    )
    if writer:
        with run.claim(overwrite=overwrite):
            run.start(config, data.preprocessor, architecture, fingerprint)
            run.save_pretrained(chosen.pretrained, {"timings": timings})
            run.save_model(chosen.model, metrics)
    return FitResult(
        chosen.model, chosen.pretrained, data.preprocessor, config, metrics, run, fingerprint
    )


def _train(config, run, data, architecture, resume, pretrained, fingerprint) -> FitResult:
    """Pretrain (or take the given pretrained state), refine, and save a complete run."""
    datamodule = CustomerDataModule(
        data.X_train,
        data.X_val,
        config.pretrain.batch_size,
        val_labels=data.labels("val"),
        seed=config.seed,
    )
    with quiet_lightning():
        state, timings = _pretrained_state(
            config, run, datamodule, architecture, resume, pretrained
        )
        module, trainer = refine(config, run, datamodule, architecture, state, timings, resume)
    metrics: dict = {"timings": timings}
    if trainer.is_global_zero:
        metrics = summarise(module, trainer, data, timings)
        if run is not None:
            run.save_model(module.model, metrics)
            log_run_summary(trainer, module, config, data, metrics)
    return FitResult(
        module.model.eval(), state, data.preprocessor, config, metrics, run, fingerprint
    )


#: What a resumed run must share with the run it continues: its data and its model.
RESUME_FIXED = ("seed", "data.", "model.")


def _check_resume(run: RunDir, config: Config, dataset: Dataset) -> None:
    """Resume continues a run, never changes it: same data (by content), same settings."""
    check_same_data(run.fingerprint(), dataset, f"run {run} was trained on")
    before, now = flat_values(run.config()), flat_values(config)
    changed = [
        f"{key} {before[key]!r} -> {now[key]!r}"
        for key in before
        if key.startswith(RESUME_FIXED)
        and key not in ("data.source", "data.kind")
        and before[key] != now.get(key)
    ]
    if changed:
        raise ConfigError(
            f"cannot resume {run} with settings it did not start with "
            f"({'; '.join(changed)}); resume without them or start a new run"
        )


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
        state = pretrain_and_init(config, run, datamodule, architecture, timings, resume)
    if run is not None:
        run.save_pretrained(state, {"timings": timings})
    return state, timings


__all__ = ["fit", "prepare_data", "PreparedData", "FitResult"]
