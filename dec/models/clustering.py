"""The maths of Deep Embedded Clustering as small pure functions.

Equation numbers refer to Xie, Girshick & Farhadi, "Unsupervised Deep Embedding for
Clustering Analysis", ICML 2016, and Guo, Gao, Liu & Yin, "Improved Deep Embedded
Clustering with Local Structure Preservation", IJCAI 2017.
"""

from __future__ import annotations

import torch


def soft_assignment(z: torch.Tensor, centers: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Student's t-distribution similarity between embeddings and centres (DEC eq. 1).

    ``q_ij = (1 + |z_i - mu_j|^2 / alpha)^(-(alpha+1)/2)`` normalised over ``j``.

    Parameters
    ----------
    z : Tensor of shape (n, d)
    centers : Tensor of shape (k, d)
    alpha : float, default=1.0
        Degrees of freedom of the t-distribution.

    Returns
    -------
    Tensor of shape (n, k)
        Rows sum to one.
    """
    squared_distance = torch.cdist(z, centers).pow(2)
    kernel = (1.0 + squared_distance / alpha).pow(-(alpha + 1.0) / 2.0)
    return kernel / kernel.sum(dim=1, keepdim=True)


def cluster_frequencies(q: torch.Tensor) -> torch.Tensor:
    """Soft cluster frequencies ``f_j = sum_i q_ij`` (DEC, the denominator in eq. 3).

    Kept separate because under data parallelism it is the one quantity that must be
    summed across all processes before the target distribution is formed.
    """
    return q.sum(dim=0)


def target_distribution(q: torch.Tensor, frequencies: torch.Tensor | None = None) -> torch.Tensor:
    """Auxiliary target distribution P (DEC eq. 3).

    ``p_ij = (q_ij^2 / f_j) / sum_j' (q_ij'^2 / f_j')``: squaring sharpens confident
    assignments, dividing by the frequency ``f_j`` stops large clusters from taking over.

    Parameters
    ----------
    q : Tensor of shape (n, k)
        Soft assignments.
    frequencies : Tensor of shape (k,), optional
        ``f_j`` over the whole data set; defaults to ``cluster_frequencies(q)``.
        Pass the global sum when ``q`` is only one shard of the data.

    Returns
    -------
    Tensor of shape (n, k)
    """
    if frequencies is None:
        frequencies = cluster_frequencies(q)
    weight = q.pow(2) / frequencies
    return weight / weight.sum(dim=1, keepdim=True)


def kl_divergence(p: torch.Tensor, q: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Clustering loss ``KL(P || Q) = sum_i sum_j p_ij log(p_ij / q_ij)`` (DEC eq. 2).

    Averaged over the ``n`` rows (batch mean) so the scale does not depend on batch size.
    Terms with ``p_ij = 0`` contribute zero.
    """
    terms = p * (torch.log(p.clamp_min(eps)) - torch.log(q.clamp_min(eps)))
    return terms.sum(dim=1).mean()


def label_change_fraction(previous: torch.Tensor, current: torch.Tensor) -> float:
    """Share of hard labels that differ between two refreshes (DEC's stopping rule, §3.1.3)."""
    return (previous != current).float().mean().item()
