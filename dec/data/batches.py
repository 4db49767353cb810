"""Batches drawn on the training device: one shuffled order per epoch, rows taken by index.

The network is small, so a DataLoader's per-batch Python calls and host-to-device copies
cost more than the arithmetic of a step, and so do Lightning's per-batch hooks
(benchmarks/speed.md). Here the matrices sit on the device (moved once, by
:class:`~dec.data.datamodule.CustomerDataModule`), each epoch draws one permutation, and
every batch is an index into it. Lightning still runs the loop, but each of its batches is
a *chunk* of up to :data:`STEPS_PER_CHUNK` optimiser steps that the modules step through
themselves (manual optimisation), so its hooks run once a chunk instead of once a step.

Every mini-batch is ``(rows, row_numbers, global_batch_size)``: the row numbers let DEC
look up each row's target distribution, the global batch size lets the autoencoder draw
the noise for the whole global batch and keep its slice.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch

#: Optimiser steps per Lightning batch: enough that Lightning's per-batch hooks cost a few
#: per cent of a step at most, few enough that the progress bar still moves within an epoch.
STEPS_PER_CHUNK = 64

Batch = tuple[torch.Tensor, torch.Tensor, int]


class ShuffledChunks:
    """Training chunks: lists of mini-batches from one shuffled order, identical on every
    process (under DDP each keeps its slice ``rank::world_size`` of every global batch).

    Global batches shorter than the number of processes are dropped, so that no process
    ever gets an empty slice (at most ``world_size - 1`` rows an epoch).

    Parameters
    ----------
    features : Tensor of shape (n_rows, n_features)
        The training matrix, on the device the model trains on.
    batch_size : int
        Rows per optimiser step over all processes together.
    generator : torch.Generator
        A CPU generator: the order is the same on any device, and its state is what
        checkpoints keep.
    rank, world_size : int, default=0, 1
    steps_per_chunk : int, default=STEPS_PER_CHUNK
    """

    def __init__(
        self,
        features: torch.Tensor,
        batch_size: int,
        generator: torch.Generator,
        rank: int = 0,
        world_size: int = 1,
        steps_per_chunk: int = STEPS_PER_CHUNK,
    ):
        self.features, self.batch_size, self.generator = features, batch_size, generator
        self.rank, self.world_size = rank, world_size
        self.steps_per_chunk = steps_per_chunk

    def n_batches(self) -> int:
        """Optimiser steps per epoch."""
        full, tail = divmod(len(self.features), self.batch_size)
        return full + int(tail >= self.world_size and tail > 0)

    def __len__(self) -> int:
        return math.ceil(self.n_batches() / self.steps_per_chunk)

    def __iter__(self) -> Iterator[Chunk]:
        n = len(self.features)
        # One host-to-device copy an epoch: the order, drawn on the CPU.
        order = torch.randperm(n, generator=self.generator).to(self.features.device)
        starts = range(0, n, self.batch_size)[: self.n_batches()]
        for first in range(0, len(starts), self.steps_per_chunk):
            yield Chunk(
                self,
                [
                    order[start : start + self.batch_size]
                    for start in starts[first : first + self.steps_per_chunk]
                ],
            )

    def batch(self, rows: torch.Tensor) -> Batch:
        """This process's mini-batch of the global batch of row numbers ``rows``."""
        mine = rows[self.rank :: self.world_size] if self.world_size > 1 else rows
        return self.features[mine], mine, len(rows)


class Chunk:
    """Mini-batches of one Lightning batch, each gathered only when it is reached.

    Not a list: Lightning walks lists and tuples of a batch looking for tensors to move,
    which costs more than a step here, and the rows are on the device already.
    """

    def __init__(self, source: ShuffledChunks, batches: list[torch.Tensor]):
        self.source, self.batches = source, batches

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator[Batch]:
        return map(self.source.batch, self.batches)


class OrderedBatches:
    """Mini-batches in row order (validation): contiguous slices, no copies."""

    def __init__(self, features: torch.Tensor, batch_size: int):
        self.features, self.batch_size = features, batch_size

    def __len__(self) -> int:
        return math.ceil(len(self.features) / self.batch_size)

    def __iter__(self) -> Iterator[Batch]:
        for start in range(0, len(self.features), self.batch_size):
            stop = min(start + self.batch_size, len(self.features))
            rows = torch.arange(start, stop, device=self.features.device)
            yield self.features[start:stop], rows, stop - start
