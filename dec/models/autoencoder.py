"""A plain fully connected autoencoder, built from integer dimensions only."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def _mlp(dims: Sequence[int]) -> nn.Sequential:
    """Linear layers with ReLU between them and none after the last."""
    layers: list[nn.Module] = []
    for i, (d_in, d_out) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(nn.Linear(d_in, d_out))
        if i < len(dims) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """Symmetric MLP autoencoder ``input -> hidden... -> embedding -> ...hidden -> input``.

    The embedding and the reconstruction are linear, as in DEC (Xie et al., 2016, §3.2):
    the embedding must be free to take any sign and scale for the Student-t kernel, and
    standardised inputs are unbounded.

    Parameters
    ----------
    input_dim : int
        Number of preprocessed input features.
    hidden_dims : sequence of int
        Widths of the encoder's hidden layers; the decoder mirrors them.
    embedding_dim : int
        Size of the embedding.
    """

    def __init__(self, input_dim: int, hidden_dims: Sequence[int], embedding_dim: int):
        super().__init__()
        dims = [input_dim, *hidden_dims, embedding_dim]
        self.encoder = _mlp(dims)
        self.decoder = _mlp(dims[::-1])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(embedding, reconstruction)``."""
        z = self.encoder(x)
        return z, self.decoder(z)
