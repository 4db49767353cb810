"""In-memory Lightning data module over preprocessed customer matrices.

Batches are global: ``batch_size`` rows drawn from one shuffled order that every process
(under DDP) draws alike, and each process trains on its slice ``rank::world_size`` of the
batch. A run on N processes therefore takes the same optimisation steps, on the same
batches, as a run on one.
"""

from __future__ import annotations

import numpy as np
import pytorch_lightning as pl
import torch

from dec.data.batches import OrderedBatches, ShuffledChunks


class CustomerDataModule(pl.LightningDataModule):
    """Train and validation matrices already preprocessed (fit on train only).

    Parameters
    ----------
    train : ndarray of shape (n_train, n_features)
    val : ndarray of shape (n_val, n_features)
    batch_size : int
        Rows per optimisation step over all processes together.
    val_labels : ndarray of shape (n_val,), optional
        Ground truth for the validation rows, used only for monitoring metrics.
    seed : int, default=0
        Seed of the shuffling order. The generator's state travels in Lightning
        checkpoints, so a resumed run shuffles exactly as an uninterrupted one.
    """

    def __init__(
        self,
        train: np.ndarray,
        val: np.ndarray,
        batch_size: int,
        val_labels: np.ndarray | None = None,
        seed: int = 0,
    ):
        super().__init__()
        self.train = torch.as_tensor(train, dtype=torch.float32)
        self.val = torch.as_tensor(val, dtype=torch.float32)
        self.batch_size = batch_size
        self.val_labels = val_labels
        self.rank, self.world_size = 0, 1
        self.shuffle_generator = torch.Generator()
        self.reseed(seed)

    def setup(self, stage: str) -> None:
        trainer = self.trainer
        if trainer is None:
            return
        self.rank, self.world_size = trainer.global_rank, trainer.world_size
        # The data moves to the accelerator once here, not batch by batch.
        device = trainer.strategy.root_device
        self.train, self.val = self.train.to(device), self.val.to(device)

    def reseed(self, seed: int) -> None:
        """Restart the shuffling order; each training stage starts from its own seed."""
        self.shuffle_generator.manual_seed(seed)

    def state_dict(self) -> dict:
        return {"shuffle_generator": self.shuffle_generator.get_state()}

    def load_state_dict(self, state_dict: dict) -> None:
        if "shuffle_generator" in state_dict:
            self.shuffle_generator.set_state(state_dict["shuffle_generator"])

    def train_dataloader(self) -> ShuffledChunks:
        return ShuffledChunks(
            self.train, self.batch_size, self.shuffle_generator, self.rank, self.world_size
        )

    def val_dataloader(self) -> OrderedBatches:
        return OrderedBatches(self.val, self.batch_size * 4)
