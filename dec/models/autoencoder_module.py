"""LightningModule that pretrains the autoencoder on reconstruction alone."""

from __future__ import annotations

from collections.abc import Sequence

import pytorch_lightning as pl
import torch
from torch.nn import functional as F

from dec.models.autoencoder import Autoencoder


class AutoencoderModule(pl.LightningModule):
    """Pretrains an :class:`Autoencoder` with mean squared reconstruction error.

    ``input_noise`` adds Gaussian noise to the inputs during training (a denoising
    autoencoder, as DEC's stacked pretraining used dropout-style corruption): it keeps the
    embedding from memorising noise columns.
    """

    def __init__(self, input_dim: int, hidden_dims: Sequence[int], embedding_dim: int,
                 lr: float = 1e-3, weight_decay: float = 0.0, input_noise: float = 0.0):
        super().__init__()
        self.save_hyperparameters()
        self.autoencoder = Autoencoder(input_dim, list(hidden_dims), embedding_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.autoencoder.encoder(x)

    def _common_step(self, batch, stage: str) -> torch.Tensor:
        x, _ = batch
        noisy = x
        if stage == "train" and self.hparams.input_noise > 0:
            noisy = x + self.hparams.input_noise * torch.randn_like(x)
        _, reconstruction = self.autoencoder(noisy)
        loss = F.mse_loss(reconstruction, x)
        self.log(f"{stage}/recon_loss", loss, prog_bar=True, on_step=False, on_epoch=True,
                 batch_size=len(x), sync_dist=True)
        return loss

    def training_step(self, batch, batch_idx):
        return self._common_step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._common_step(batch, "val")

    def predict_step(self, batch, batch_idx):
        return self(batch[0])

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr,
                                weight_decay=self.hparams.weight_decay)
