"""In-memory Lightning data module over preprocessed customer matrices."""

from __future__ import annotations

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset


class IndexedTensorDataset(Dataset):
    """Rows of a tensor together with their row numbers.

    ``__getitems__`` lets the DataLoader fetch a whole batch with one indexing operation
    instead of one Python call per customer. The row numbers let DEC look up each row's
    target distribution.
    """

    def __init__(self, features: torch.Tensor):
        self.features = features

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, index):
        return self.features[index], index

    def __getitems__(self, indices: list[int]):
        index = torch.as_tensor(indices, dtype=torch.long)
        return self.features[index], index


def _keep_batch(batch):
    """The batch is already stacked by ``__getitems__``; nothing to collate."""
    return batch


def make_loader(features: torch.Tensor, batch_size: int, shuffle: bool) -> DataLoader:
    return DataLoader(IndexedTensorDataset(features), batch_size=batch_size, shuffle=shuffle,
                      collate_fn=_keep_batch)


class CustomerDataModule(pl.LightningDataModule):
    """Train and validation matrices already preprocessed (fit on train only).

    Parameters
    ----------
    train : ndarray of shape (n_train, n_features)
    val : ndarray of shape (n_val, n_features)
    batch_size : int
    val_labels : ndarray of shape (n_val,), optional
        Ground truth for the validation rows, used only for monitoring metrics.
    """

    def __init__(self, train: np.ndarray, val: np.ndarray, batch_size: int,
                 val_labels: np.ndarray | None = None):
        super().__init__()
        self.train = torch.as_tensor(train, dtype=torch.float32)
        self.val = torch.as_tensor(val, dtype=torch.float32)
        self.batch_size = batch_size
        self.val_labels = val_labels

    def train_dataloader(self) -> DataLoader:
        return make_loader(self.train, self.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return make_loader(self.val, self.batch_size * 4, shuffle=False)
