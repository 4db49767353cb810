"""Collectives for DEC under DDP, through the Lightning strategy; no-ops in one process.

Every process holds the whole preprocessed training matrix (float32, n x d: about 130 MB
per million customers with 33 features) and trains on its slice of each global batch.
Work over the whole training set, the target distribution P and the embeddings for the
KMeans initialisation, is split into shards (rows ``rank::world_size``) and put back
together here, so every process ends with exactly the single-process result.
"""

from __future__ import annotations

import torch


def shard(n_rows: int, rank: int, world_size: int) -> torch.Tensor:
    """Row numbers of this process's shard: ``rank, rank + world_size, ...``."""
    return torch.arange(rank, n_rows, world_size)


def sum_across(strategy, tensor: torch.Tensor) -> torch.Tensor:
    """All-reduce sum over processes (DEC's cluster frequencies f_j = sum_i q_ij)."""
    if strategy is None or strategy.world_size == 1:
        return tensor
    device = strategy.root_device
    return strategy.reduce(tensor.to(device), reduce_op="sum").to(tensor.device)


def gather_shards(strategy, local: torch.Tensor, n_rows: int) -> torch.Tensor:
    """Reassemble per-process shards (rows ``rank::world_size``) into all ``n_rows`` rows."""
    if strategy is None or strategy.world_size == 1:
        return local
    world = strategy.world_size
    longest = -(-n_rows // world)
    padded = torch.zeros(
        (longest, *local.shape[1:]), dtype=local.dtype, device=strategy.root_device
    )
    padded[: len(local)] = local.to(strategy.root_device)
    parts = [torch.empty_like(padded) for _ in range(world)]
    torch.distributed.all_gather(parts, padded)  # the group Lightning's strategy set up
    gathered = torch.stack(parts).to(local.device)
    full = torch.empty((n_rows, *local.shape[1:]), dtype=local.dtype, device=local.device)
    for rank in range(world):
        rows = shard(n_rows, rank, world)
        full[rows] = gathered[rank, : len(rows)]
    return full


def broadcast(strategy, tensor: torch.Tensor) -> torch.Tensor:
    """Rank 0's ``tensor`` on every process."""
    if strategy is None or strategy.world_size == 1:
        return tensor
    return strategy.broadcast(tensor.to(strategy.root_device), src=0).to(tensor.device)
