"""LightningModule that refines a pretrained encoder and cluster centres (DEC / IDEC)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytorch_lightning as pl
import torch
from torch.nn import functional as F

from dec.metrics import label_metrics
from dec.models.clustering import (
    cluster_frequencies,
    kl_divergence,
    label_change_fraction,
    mixture_negative_log_likelihood,
    target_distribution,
)
from dec.models.dec_model import DECModel
from dec.training import distributed
from dec.training.autoencoder_module import chunk_mean, epoch_mean

#: Refinement refreshes the target P at least this many times a run, however small the data.
MIN_REFRESHES = 5


def refresh_interval(
    update_interval: int, total_steps: int, min_refreshes: int = MIN_REFRESHES
) -> int:
    """Optimiser steps between refreshes of P: ``update_interval``, shortened so that a run
    of ``total_steps`` refreshes at least ``min_refreshes`` times (DEC refreshes P every
    ``T`` iterations, §3.1.3; on small data a fixed ``T`` can exceed the whole run)."""
    return max(1, min(update_interval, total_steps // min_refreshes))


class DECModule(pl.LightningModule):
    """Deep Embedded Clustering with optional reconstruction term (IDEC).

    Loss per batch: ``KL(P || Q) + gamma * MSE(x, decoder(encoder(x)))``; with the
    Gaussian mixture head, the mixture's negative log-likelihood of the batch's embeddings
    takes the place of ``KL(P || Q)`` (P still drives the stopping rule). With
    ``gamma = 0`` this is DEC (Xie et al., 2016); with ``gamma > 0`` it is IDEC (Guo et
    al., 2017), whose ``L_r + gamma' L_c`` equals ours with ``gamma = 1/gamma'`` up to the
    learning rate. The target P is recomputed from the whole training split every
    ``update_interval`` optimiser steps; training stops once fewer than ``tol`` of the
    hard labels change between two refreshes. ``balance`` is the exponent of the cluster
    frequency in P (1: DEC's eq. 3; 0: no pull towards equal cluster sizes).

    The training data for the refresh comes from the trainer's datamodule
    (``trainer.datamodule.train``, a tensor), validation labels, where they exist, from
    ``trainer.datamodule.val_labels``.
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dims: Sequence[int],
        embedding_dim: int,
        n_clusters: int,
        alpha: float = 1.0,
        gamma: float = 10.0,
        lr: float = 1e-3,
        update_interval: int = 100,
        tol: float = 0.001,
        kernel: str = "student_t",
        balance: float = 1.0,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.model = DECModel(input_dim, hidden_dims, embedding_dim, n_clusters, alpha, kernel)
        self.target: torch.Tensor | None = None
        self.previous_labels: torch.Tensor | None = None
        self.last_refresh_step = -1
        self.label_changes: list[float] = []
        self._val_target: torch.Tensor | None = None
        # Manual optimisation and epoch-level loss logs, as in AutoencoderModule.
        self.automatic_optimization = False
        self.train_losses = torch.nn.ModuleDict(
            {k: epoch_mean() for k in (self.cluster_loss, "recon_loss", "loss")}
        )

    @property
    def cluster_loss(self) -> str:
        """Log key of the clustering term: ``kl_loss``, or ``nll_loss`` for the mixture head."""
        return "nll_loss" if self.hparams.kernel == "gaussian" else "kl_loss"

    @property
    def centers(self) -> torch.nn.Parameter:
        return self.model.centers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Soft assignments Q of shape (n, n_clusters)."""
        return self.model(x)

    # ------------------------------------------------------------ target refresh
    def compute_target(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Target P (DEC eq. 3) and hard labels for every training row.

        Each process computes Q for its shard of the rows; the cluster frequencies
        f_j = sum_i q_ij are summed over all processes before P is formed, and the shards
        are gathered, so every process holds exactly the single-process P.
        """
        train = self.trainer.datamodule.train
        strategy = self.trainer.strategy
        rows = distributed.shard(len(train), self.trainer.global_rank, self.trainer.world_size)
        q = self.model.soft_assign(train[rows.to(train.device)], keep_on_device=True)
        frequencies = distributed.sum_across(strategy, cluster_frequencies(q))
        target = target_distribution(q, frequencies, self.hparams.balance)
        target = distributed.gather_shards(strategy, target, len(train))
        labels = distributed.gather_shards(strategy, q.argmax(dim=1), len(train))
        return target, labels

    def refresh_target(self) -> bool:
        """Recompute P over the whole training split; return True when converged."""
        self.target, labels = self.compute_target()  # on the model's device
        converged = False
        sizes = torch.bincount(labels, minlength=self.hparams.n_clusters).float() / len(labels)
        logged = {f"train/cluster_size_{j}": s for j, s in enumerate(sizes.tolist())}
        # The first refresh has nothing to compare with: its change is not a number, and
        # the first point of the curve is at the second refresh.
        if self.previous_labels is not None:
            change = label_change_fraction(self.previous_labels, labels)
            self.label_changes.append(change)
            logged["train/label_change"] = change
            self.log(
                "train/label_change",
                change,
                on_step=True,
                on_epoch=False,
                prog_bar=True,
                logger=False,
                batch_size=1,
            )
            converged = change < self.hparams.tol
        self.previous_labels = labels
        self.last_refresh_step = self.global_step
        logged.update(self._val_label_metrics())
        self._log_at_step(logged)
        return converged

    def _log_at_step(self, metrics: dict[str, float]) -> None:
        """Write a refresh's metrics to the logger once, at the refresh's own step.

        ``self.log(on_step=True)`` writes only on steps that are multiples of
        ``log_every_n_steps`` and holds the value until then, so a refresh would appear
        late, twice, or (on small data) never.
        """
        if self.logger is not None and self.trainer.is_global_zero:
            self.logger.log_metrics(metrics, step=self.global_step)

    def _val_label_metrics(self) -> dict[str, float]:
        datamodule = self.trainer.datamodule
        if getattr(datamodule, "val_labels", None) is None or len(datamodule.val) == 0:
            return {}
        predicted = self.model.assign(datamodule.val).numpy()
        scores = label_metrics(np.asarray(datamodule.val_labels), predicted)
        return {f"val/{k}": v for k, v in scores.items()}

    def _refresh_if_due(self) -> bool:
        """Refresh P every ``update_interval`` optimiser steps; True once converged."""
        due = self.global_step % self.hparams.update_interval == 0
        if self.target is None or (due and self.last_refresh_step != self.global_step):
            if self.refresh_target():
                self.trainer.should_stop = True
                return True
        return False

    def on_train_batch_start(self, batch, batch_idx):
        return -1 if self.trainer.should_stop else None  # Lightning: skip the rest of the epoch

    # ---------------------------------------------------------------- training
    def _losses(self, x: torch.Tensor, p: torch.Tensor) -> dict[str, torch.Tensor]:
        z, reconstruction = self.model.autoencoder(x)
        recon = F.mse_loss(reconstruction, x)
        if self.model.kernel == "gaussian":
            # The mixture head is fitted by its likelihood, not by DEC's self-training
            # target: sharpening Q towards P shrinks the covariances instead of moving rows.
            m = self.model
            cluster = mixture_negative_log_likelihood(
                z, m.centers, m.precision_factors, m.log_weights, m.scale_ceiling
            )
        else:
            cluster = kl_divergence(p, self.model.assign_embedding(z))
        return {
            self.cluster_loss: cluster,
            "recon_loss": recon,
            "loss": cluster + self.hparams.gamma * recon,
        }

    def training_step(self, chunk, chunk_idx):
        # A chunk is several optimiser steps (dec/data/batches.py); P is refreshed between
        # them when due, and the loss sums stay on the device until the chunk ends.
        optimizer, losses, sizes = self.optimizers(), {k: [] for k in self.train_losses}, []
        for x, index, _ in chunk:
            if self._refresh_if_due():
                break
            if self.target.device != x.device:  # restored from a checkpoint on the CPU
                self.target = self.target.to(x.device)
            step_losses = self._losses(x, self.target[index])
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(step_losses["loss"])
            optimizer.step()
            for name, value in step_losses.items():
                losses[name].append(value.detach())
            sizes.append(len(x))
        if sizes:  # empty when the chunk opened with convergence
            for name, values in losses.items():
                self.train_losses[name].update(*chunk_mean(values, sizes))

    def on_train_epoch_end(self):
        if self.train_losses["loss"].update_count:  # an epoch cut short may be empty
            self.log_dict(
                {f"train/{k}": m.compute() for k, m in self.train_losses.items()}, batch_size=1
            )
        for metric in self.train_losses.values():
            metric.reset()

    def on_validation_epoch_start(self):
        # P for validation rows comes from the validation split itself, with the same rule.
        q = self.model.soft_assign(self.trainer.datamodule.val, keep_on_device=True)
        self._val_target = target_distribution(q, balance=self.hparams.balance)

    def validation_step(self, batch, batch_idx):
        x, index, _ = batch
        losses = self._losses(x, self._val_target[index])
        self.log_dict(
            {f"val/{k}": v for k, v in losses.items()},
            on_step=False,
            on_epoch=True,
            batch_size=len(x),
            sync_dist=True,
        )

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)

    # ----------------------------------------------------- resumable refresh state
    def on_save_checkpoint(self, checkpoint):
        checkpoint["dec_refresh_state"] = {
            "target": None if self.target is None else self.target.cpu(),
            "previous_labels": self.previous_labels,
            "last_refresh_step": self.last_refresh_step,
            "label_changes": list(self.label_changes),
        }

    def on_load_checkpoint(self, checkpoint):
        state = checkpoint.get("dec_refresh_state", {})
        self.target = state.get("target")
        self.previous_labels = state.get("previous_labels")
        self.last_refresh_step = state.get("last_refresh_step", -1)
        self.label_changes = list(state.get("label_changes", []))
