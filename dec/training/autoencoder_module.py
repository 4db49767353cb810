"""LightningModule that pretrains the autoencoder on reconstruction alone."""

from __future__ import annotations

from collections.abc import Sequence

import pytorch_lightning as pl
import torch
from torch.nn import functional as F
from torchmetrics import MeanMetric

from dec.models.autoencoder import Autoencoder

#: The noise generator's seed is offset from the run's seed, which also seeds the shuffling
#: order: two generators seeded alike would draw correlated streams.
NOISE_SEED_OFFSET = 1_000_003


def epoch_mean() -> MeanMetric:
    """Sample-weighted mean of a loss over an epoch, kept on the loss's device.

    ``nan_strategy="disable"`` skips torchmetrics' NaN check, which would cost a host sync
    every step; ``compute`` syncs across processes.
    """
    return MeanMetric(nan_strategy="disable")


def chunk_mean(losses: list[torch.Tensor], sizes: list[int]) -> tuple[torch.Tensor, int]:
    """Row-weighted mean of a chunk's batch losses and its row count.

    One stack and sum a chunk instead of a multiply and an add a step: on small tabular
    batches those two operations cost about 2 % of a step.
    """
    stacked, rows = torch.stack(losses), sum(sizes)
    if min(sizes) == max(sizes):
        return stacked.mean(), rows
    return (stacked * stacked.new_tensor(sizes)).sum() / rows, rows


class AutoencoderModule(pl.LightningModule):
    """Pretrains an :class:`Autoencoder` with mean squared reconstruction error.

    ``input_noise`` adds Gaussian noise to the inputs during training (a denoising
    autoencoder, as DEC's stacked pretraining used dropout-style corruption): it keeps the
    embedding from memorising noise columns. The noise comes from the module's own
    generator, seeded with ``seed``, drawn for the whole global batch of which each process
    keeps its slice; its state is saved in checkpoints. So the noise is the same on one
    process or several, and in a resumed run as in an uninterrupted one.
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dims: Sequence[int],
        embedding_dim: int,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        input_noise: float = 0.0,
        seed: int = 0,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.autoencoder = Autoencoder(input_dim, list(hidden_dims), embedding_dim)
        # Manual optimisation, several steps per Lightning batch and one loss log per
        # epoch: Lightning's closure, per-batch hooks and per-step logging cost more than
        # the step itself on small tabular batches (benchmarks/speed.md).
        self.automatic_optimization = False
        self.train_loss = epoch_mean()
        self._noise_generator: torch.Generator | None = None
        self._restored_noise_state: torch.Tensor | None = None

    def _noise(self, x: torch.Tensor, global_batch_size: int) -> torch.Tensor:
        generator = self._noise_generator
        if generator is None or generator.device != x.device:
            generator = torch.Generator(device=x.device)
            generator.manual_seed(self.hparams.seed + NOISE_SEED_OFFSET)
            if self._restored_noise_state is not None:
                generator.set_state(self._restored_noise_state)
                self._restored_noise_state = None
            self._noise_generator = generator
        noise = torch.randn(
            (global_batch_size, x.shape[1]), generator=generator, device=x.device, dtype=x.dtype
        )
        if global_batch_size == len(x):  # one process
            return noise
        trainer = self._trainer
        return noise[trainer.global_rank :: trainer.world_size]

    def _reconstruction_loss(
        self, x: torch.Tensor, global_batch_size: int | None = None
    ) -> torch.Tensor:
        """MSE of reconstructing ``x``; corrupted inputs when ``global_batch_size`` is given."""
        noisy = x
        if global_batch_size is not None and self.hparams.input_noise > 0:
            noisy = x + self.hparams.input_noise * self._noise(x, global_batch_size)
        _, reconstruction = self.autoencoder(noisy)
        return F.mse_loss(reconstruction, x)

    def training_step(self, chunk, chunk_idx):
        # A chunk is several optimiser steps (dec/data/batches.py); the epoch's loss sum
        # stays on the device, so no step waits for the accelerator.
        optimizer, losses, sizes = self.optimizers(), [], []
        for x, _, global_batch_size in chunk:
            loss = self._reconstruction_loss(x, global_batch_size)
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(loss)
            optimizer.step()
            losses.append(loss.detach())
            sizes.append(len(x))
        self.train_loss.update(*chunk_mean(losses, sizes))

    def on_train_epoch_end(self):
        # One log per epoch: Lightning's per-step log costs more than the step itself on
        # small tabular batches. compute() averages across processes; batch_size=1 only
        # stops Lightning guessing one for a value that is already an epoch mean.
        self.log("train/recon_loss", self.train_loss.compute(), prog_bar=True, batch_size=1)
        self.train_loss.reset()

    def validation_step(self, batch, batch_idx):
        x = batch[0]
        self.log(
            "val/recon_loss",
            self._reconstruction_loss(x),
            prog_bar=True,
            on_step=False,
            on_epoch=True,
            batch_size=len(x),
            sync_dist=True,
        )

    def configure_optimizers(self):
        return torch.optim.Adam(
            self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )

    def on_save_checkpoint(self, checkpoint):
        if self._noise_generator is not None:
            checkpoint["noise_generator"] = self._noise_generator.get_state()

    def on_load_checkpoint(self, checkpoint):
        # Applied when the generator is next created, on the device training runs on.
        self._restored_noise_state = checkpoint.get("noise_generator")
        self._noise_generator = None
