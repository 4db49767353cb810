"""The trained segmentation model as a plain ``nn.Module``: an encoder and cluster centres.

Every consumer (evaluation, export, predict, profiles, the sweep, the baselines and the
estimator) embeds and assigns customers through :meth:`DECModel.embed`,
:meth:`DECModel.soft_assign` and :meth:`DECModel.assign`: batched, on the model's device,
results on the CPU.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from dec.models.autoencoder import Autoencoder
from dec.models.clustering import (
    mahalanobis_soft_assignment,
    mixture_responsibilities,
    soft_assignment,
)

KERNELS = ("student_t", "mahalanobis", "gaussian")

#: Rows per forward pass at inference: bounded memory however many customers there are.
INFERENCE_BATCH = 8192


@torch.no_grad()
def apply_in_batches(
    fn: Callable[[torch.Tensor], torch.Tensor],
    features,
    batch_size: int = INFERENCE_BATCH,
    device: torch.device | str | None = None,
    keep_on_device: bool = False,
) -> torch.Tensor:
    """Apply ``fn`` to ``features`` a batch at a time and concatenate on the CPU, or on
    ``device`` with ``keep_on_device`` (training's refreshes: no copy back, no wait)."""
    features = torch.as_tensor(
        np.asarray(features, dtype=np.float32)
        if not isinstance(features, torch.Tensor)
        else features
    )
    outputs = []
    for start in range(0, len(features), batch_size):
        batch = features[start : start + batch_size]
        if device is not None:
            batch = batch.to(device, non_blocking=True)
        output = fn(batch).float()
        outputs.append(output if keep_on_device else output.cpu())
    return torch.cat(outputs) if outputs else torch.empty(0)


def architecture(
    input_dim: int,
    hidden_dims: Sequence[int],
    embedding_dim: int,
    n_clusters: int,
    alpha: float = 1.0,
    kernel: str = "student_t",
) -> dict:
    """The integers (and alpha) that rebuild a :class:`DECModel`: ``model.json``'s content.

    Building it draws no random numbers, unlike building the network.
    """
    return {
        "input_dim": int(input_dim),
        "hidden_dims": [int(h) for h in hidden_dims],
        "embedding_dim": int(embedding_dim),
        "n_clusters": int(n_clusters),
        "alpha": float(alpha),
        "kernel": str(kernel),
    }


class DECModel(nn.Module):
    """An autoencoder whose embedding is clustered around ``n_clusters`` learned centres.

    Built from integers only, so ``model.json`` plus a state dict rebuild it. The state
    dict keys (``autoencoder.*``, ``centers``) are those of ``model.pt`` and
    ``pretrained.pt``.

    Parameters
    ----------
    input_dim : int
        Number of preprocessed input features.
    hidden_dims : sequence of int
        Encoder widths; the decoder mirrors them.
    embedding_dim : int
    n_clusters : int
    alpha : float, default=1.0
        Degrees of freedom of the Student-t kernel (DEC eq. 1).
    kernel : {"student_t", "mahalanobis", "gaussian"}, default="student_t"
        DEC's kernel on the Euclidean distance, or on a Mahalanobis distance with a
        covariance shared by all clusters and learned with them (``precision_factor``),
        or a Gaussian mixture head: each cluster its own covariance (``precision_factors``)
        and weight (``log_weights``), Q its posterior, with a ceiling on the precision
        (``scale_ceiling``, set from the embedding's spread when the head is started).
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dims: Sequence[int],
        embedding_dim: int,
        n_clusters: int,
        alpha: float = 1.0,
        kernel: str = "student_t",
    ):
        super().__init__()
        if kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
        self.architecture = architecture(
            input_dim, hidden_dims, embedding_dim, n_clusters, alpha, kernel
        )
        self.alpha, self.kernel = float(alpha), kernel
        self.autoencoder = Autoencoder(input_dim, list(hidden_dims), embedding_dim)
        self.centers = nn.Parameter(torch.zeros(n_clusters, embedding_dim))
        if kernel == "mahalanobis":
            self.precision_factor = nn.Parameter(torch.eye(embedding_dim))
        if kernel == "gaussian":
            self.precision_factors = nn.Parameter(torch.eye(embedding_dim).repeat(n_clusters, 1, 1))
            self.log_weights = nn.Parameter(torch.zeros(n_clusters))
            self.register_buffer("scale_ceiling", torch.tensor(float("inf")))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Soft assignments Q (DEC eq. 1) of a batch, shape (n, n_clusters)."""
        return self.assign_embedding(self.autoencoder.encoder(x))

    def assign_embedding(self, z: torch.Tensor) -> torch.Tensor:
        """Soft assignments Q of embeddings ``z`` with the model's kernel."""
        if self.kernel == "mahalanobis":
            return mahalanobis_soft_assignment(z, self.centers, self.precision_factor, self.alpha)
        if self.kernel == "gaussian":
            return mixture_responsibilities(
                z, self.centers, self.precision_factors, self.log_weights, self.scale_ceiling
            )
        return soft_assignment(z, self.centers, self.alpha)

    @property
    def device(self) -> torch.device:
        return self.centers.device

    def _inference(self, fn, x, keep_on_device: bool = False) -> torch.Tensor:
        was_training = self.training
        self.eval()
        try:
            return apply_in_batches(fn, x, device=self.device, keep_on_device=keep_on_device)
        finally:
            self.train(was_training)

    def embed(self, x) -> torch.Tensor:
        """Embeddings of preprocessed rows ``x`` (array or tensor), shape (n, embedding_dim)."""
        return self._inference(self.autoencoder.encoder, x)

    def soft_assign(self, x, keep_on_device: bool = False) -> torch.Tensor:
        """Soft assignments Q of preprocessed rows ``x``, shape (n, n_clusters); on the
        CPU, or on the model's device with ``keep_on_device``."""
        return self._inference(self, x, keep_on_device)

    def assign(self, x) -> torch.Tensor:
        """Segment of each preprocessed row: the most probable cluster, shape (n,)."""
        return self.soft_assign(x).argmax(dim=1)
