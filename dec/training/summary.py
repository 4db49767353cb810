"""What a finished training run reports: ``metrics.json``'s summary and TensorBoard's
hyper-parameter table and embedding projector."""

from __future__ import annotations

import numpy as np
import pytorch_lightning as pl
import torch

from dec.config import Config, flat_values
from dec.data.prepare import PreparedData
from dec.metrics import label_metrics
from dec.training.dec_module import DECModule

PROJECTOR_SAMPLE = 1000


def summarise(module: DECModule, trainer: pl.Trainer, data: PreparedData, timings: dict) -> dict:
    """Timings, split sizes, refinement steps and label changes, cluster sizes, device,
    and the validation label metrics where labels exist."""
    model = module.model
    sizes = np.bincount(model.assign(data.X_train).numpy(), minlength=module.hparams.n_clusters)
    device = trainer.strategy.root_device  # Lightning moves the module to the CPU after fit
    summary = {
        "timings": timings,
        "n_train": len(data.train_index),
        "n_val": len(data.val_index),
        "n_test": len(data.test_index),
        "refine_epochs_run": trainer.current_epoch,
        "refine_steps": trainer.global_step,
        "label_changes": module.label_changes,
        "update_interval": module.hparams.update_interval,
        "converged": bool(module.label_changes and module.label_changes[-1] < module.hparams.tol),
        "train_cluster_sizes": sizes.tolist(),
        "device": str(device),
    }
    if device.type == "cuda":
        summary["peak_gpu_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
    val_labels = data.labels("val")
    if val_labels is not None:
        summary["val"] = label_metrics(val_labels, model.assign(data.X_val).numpy())
    return summary


def _flat_hparams(config: Config) -> dict:
    return {
        key: str(value) if isinstance(value, list) else value
        for key, value in flat_values(config).items()
    }


def log_run_summary(
    trainer: pl.Trainer, module: DECModule, config: Config, data: PreparedData, summary: dict
) -> None:
    """Hyper-parameters with final metrics, and a projector view of some customers."""
    logger = trainer.logger
    if not logger:
        return
    final = {"hp/label_change": (summary["label_changes"] or [float("nan")])[-1]}
    final.update({f"hp/val_{k}": v for k, v in summary.get("val", {}).items()})
    logger.log_hyperparams(_flat_hparams(config), metrics=final)
    rng = np.random.default_rng(config.seed)
    sample = rng.choice(
        len(data.X_train), size=min(PROJECTOR_SAMPLE, len(data.X_train)), replace=False
    )
    x = data.X_train[sample]
    z, segments = module.model.embed(x), module.model.assign(x).tolist()
    ids = data.dataset.features.index[data.train_index[sample]].astype(str)
    columns = {"customer_id": ids, "segment": segments}
    truth = data.labels("train")
    if truth is not None:
        columns["known_label"] = truth[sample]
    header = list(columns)
    metadata = [[str(v) for v in row] for row in zip(*columns.values())]
    logger.experiment.add_embedding(
        z,
        metadata=metadata,
        metadata_header=header,
        tag="customers",
        global_step=trainer.global_step,
    )
    logger.experiment.flush()
