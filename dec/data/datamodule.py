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
from torch.utils.data import DataLoader, Dataset, Sampler


class IndexedTensorDataset(Dataset):
    """Rows of a tensor with their row numbers, one whole batch per indexing operation.

    ``__getitems__`` returns ``(rows, row_numbers, global_batch_size)`` for this process's
    slice of the batch. The row numbers let DEC look up each row's target distribution; the
    global batch size lets the autoencoder draw the noise for the whole batch and keep its
    slice, so that noise, too, is the same on any number of processes.
    """

    def __init__(self, features: torch.Tensor, rank: int = 0, world_size: int = 1):
        self.features = features
        self.rank, self.world_size = rank, world_size

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, index):
        return self.__getitems__([index])

    def __getitems__(self, indices):
        index = torch.as_tensor(indices, dtype=torch.long)
        mine = index[self.rank::self.world_size]
        return self.features[mine.to(self.features.device)], mine, len(index)


class GlobalBatchSampler(Sampler):
    """Shuffled batches of row numbers, identical on every process.

    Batches shorter than the number of processes are dropped, so that no process ever gets
    an empty slice (at most ``world_size - 1`` rows an epoch).
    """

    def __init__(self, n_rows: int, batch_size: int, generator: torch.Generator,
                 world_size: int = 1):
        self.n_rows, self.batch_size = n_rows, batch_size
        self.generator, self.world_size = generator, world_size

    def __iter__(self):
        order = torch.randperm(self.n_rows, generator=self.generator)
        for start in range(0, self.n_rows, self.batch_size):
            batch = order[start:start + self.batch_size]
            if len(batch) >= self.world_size:
                yield batch

    def __len__(self) -> int:
        full, tail = divmod(self.n_rows, self.batch_size)
        return full + int(tail >= self.world_size and tail > 0)


def _keep_batch(batch):
    """The batch is already stacked by ``__getitems__``; nothing to collate."""
    return batch


def make_loader(features: torch.Tensor, batch_size: int) -> DataLoader:
    """Batches in row order (validation, inference)."""
    return DataLoader(IndexedTensorDataset(features), batch_size=batch_size, shuffle=False,
                      collate_fn=_keep_batch)


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

    def __init__(self, train: np.ndarray, val: np.ndarray, batch_size: int,
                 val_labels: np.ndarray | None = None, seed: int = 0):
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

    def train_dataloader(self) -> DataLoader:
        sampler = GlobalBatchSampler(len(self.train), self.batch_size, self.shuffle_generator,
                                     self.world_size)
        return DataLoader(IndexedTensorDataset(self.train, self.rank, self.world_size),
                          batch_sampler=sampler, collate_fn=_keep_batch)

    def val_dataloader(self) -> DataLoader:
        return make_loader(self.val, self.batch_size * 4)
