"""The maths of Deep Embedded Clustering as small pure functions.

Equation numbers refer to Xie, Girshick & Farhadi, "Unsupervised Deep Embedding for
Clustering Analysis", ICML 2016, and Guo, Gao, Liu & Yin, "Improved Deep Embedded
Clustering with Local Structure Preservation", IJCAI 2017. The Mahalanobis kernel follows
TableDC (Rauf et al., SIGMOD 2025): DEC's Student-t kernel on a Mahalanobis distance with
a covariance shared by all clusters and learned with them. The Gaussian mixture head
follows G-CEALS (Rabbani, Medri & Samad, Neurocomputing 2025): each cluster a Gaussian in the
embedding with its own covariance and weight, here trained by the mixture's likelihood.
"""

from __future__ import annotations

import math

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
    return student_t_kernel(torch.cdist(z, centers).pow(2), alpha)


def student_t_kernel(squared_distance: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """DEC eq. 1 on any squared distance: ``(1 + d^2/alpha)^(-(alpha+1)/2)``, rows normalised.

    Parameters
    ----------
    squared_distance : Tensor of shape (n, k)
    alpha : float, default=1.0

    Returns
    -------
    Tensor of shape (n, k)
        Rows sum to one.
    """
    kernel = (1.0 + squared_distance / alpha).pow(-(alpha + 1.0) / 2.0)
    return kernel / kernel.sum(dim=1, keepdim=True)


def squared_mahalanobis(
    z: torch.Tensor, centers: torch.Tensor, precision_factor: torch.Tensor
) -> torch.Tensor:
    """``d_ij^2 = (z_i - mu_j)^T L L^T (z_i - mu_j) = |L^T (z_i - mu_j)|^2``.

    ``L L^T`` is the shared precision (inverse covariance) matrix; any square ``L`` gives a
    positive semi-definite precision, so ``L`` can be learned without constraints.

    Parameters
    ----------
    z : Tensor of shape (n, d)
    centers : Tensor of shape (k, d)
    precision_factor : Tensor of shape (d, d)
        ``L``; the identity gives the squared Euclidean distance.

    Returns
    -------
    Tensor of shape (n, k)
    """
    # |L^T (z - mu)|^2 = |z L|^2 - 2 (z L).(mu L) + |mu L|^2, without an (n, k, d) tensor.
    zl, ml = z @ precision_factor, centers @ precision_factor
    squared = zl.pow(2).sum(1, keepdim=True) - 2.0 * zl @ ml.T + ml.pow(2).sum(1)
    return squared.clamp_min(0.0)


def mahalanobis_soft_assignment(
    z: torch.Tensor, centers: torch.Tensor, precision_factor: torch.Tensor, alpha: float = 1.0
) -> torch.Tensor:
    """Soft assignment with DEC's Student-t kernel (eq. 1) on the Mahalanobis distance
    :func:`squared_mahalanobis` (TableDC's kernel with a shared covariance).

    Returns
    -------
    Tensor of shape (n, k)
        Rows sum to one.
    """
    return student_t_kernel(squared_mahalanobis(z, centers, precision_factor), alpha)


def pooled_precision_factor(
    z: torch.Tensor, labels: torch.Tensor, n_clusters: int, ridge: float = 1e-3
) -> torch.Tensor:
    """``L`` with ``L L^T`` the inverse of the pooled within-cluster covariance of ``z``
    (a tied-covariance GMM's estimate), for starting the Mahalanobis kernel.

    ``ridge`` times the mean variance is added to the diagonal, so that the covariance can
    be inverted even when a direction of the embedding has no spread.
    """
    centred = torch.cat(
        [z[labels == j] - z[labels == j].mean(0) for j in range(n_clusters) if (labels == j).any()]
    )
    covariance = centred.T @ centred / max(len(centred) - n_clusters, 1)
    covariance = covariance + ridge * covariance.diagonal().mean() * torch.eye(z.shape[1])
    return torch.linalg.cholesky(torch.linalg.inv(covariance))


def gaussian_log_density(
    z: torch.Tensor,
    centers: torch.Tensor,
    precision_factors: torch.Tensor,
    max_scale: float | None = None,
) -> torch.Tensor:
    """``log N(z_i | mu_j, Sigma_j)`` for every row and cluster, with ``Sigma_j^-1 = L_j L_j^T``.

    ``log N = -|L_j^T (z_i - mu_j)|^2 / 2 + sum_d log|L_j,dd| - (d/2) log(2 pi)``: only the
    lower triangle of each ``L_j`` is used, so ``log|det L_j|`` is the sum of its diagonal's
    logs, and any lower-triangular ``L_j`` with a non-zero diagonal is a valid precision.

    Parameters
    ----------
    z : Tensor of shape (n, d)
    centers : Tensor of shape (k, d)
    precision_factors : Tensor of shape (k, d, d)
    max_scale : float, optional
        Ceiling on each ``|L_j,dd|``: a floor of ``1 / max_scale^2`` on the variances along
        the factor's axes, so that the likelihood stays bounded when a cluster collapses.

    Returns
    -------
    Tensor of shape (n, k)
    """
    factors = torch.tril(precision_factors)
    diagonal = torch.diagonal(factors, dim1=-2, dim2=-1).abs()
    if max_scale is not None:
        # Keep the diagonal inside the ceiling, off-diagonals shrunk with it.
        shrink = (max_scale / diagonal.clamp_min(1e-12)).clamp(max=1.0)
        factors, diagonal = factors * shrink.unsqueeze(-1), diagonal * shrink
    whitened = torch.einsum("nkd,kde->nke", z.unsqueeze(1) - centers.unsqueeze(0), factors)
    log_det = torch.log(diagonal.clamp_min(1e-30)).sum(-1)
    return -0.5 * whitened.pow(2).sum(-1) + log_det - 0.5 * z.shape[1] * math.log(2 * math.pi)


def mixture_log_joint(
    z: torch.Tensor,
    centers: torch.Tensor,
    precision_factors: torch.Tensor,
    log_weights: torch.Tensor,
    max_scale: float | None = None,
) -> torch.Tensor:
    """``log pi_j + log N(z_i | mu_j, Sigma_j)``, shape (n, k); ``pi = softmax(log_weights)``,
    so the weights need no constraint when learned."""
    return torch.log_softmax(log_weights, dim=0) + gaussian_log_density(
        z, centers, precision_factors, max_scale
    )


def mixture_responsibilities(
    z: torch.Tensor,
    centers: torch.Tensor,
    precision_factors: torch.Tensor,
    log_weights: torch.Tensor,
    max_scale: float | None = None,
) -> torch.Tensor:
    """The mixture's posterior ``P(cluster j | z_i)`` (the E-step): the Gaussian head's Q.

    Returns
    -------
    Tensor of shape (n, k)
        Rows sum to one.
    """
    return torch.softmax(
        mixture_log_joint(z, centers, precision_factors, log_weights, max_scale), dim=1
    )


def mixture_negative_log_likelihood(
    z: torch.Tensor,
    centers: torch.Tensor,
    precision_factors: torch.Tensor,
    log_weights: torch.Tensor,
    max_scale: float | None = None,
) -> torch.Tensor:
    """``-(1/n) sum_i log sum_j pi_j N(z_i | mu_j, Sigma_j)``: the Gaussian head's loss."""
    return -torch.logsumexp(
        mixture_log_joint(z, centers, precision_factors, log_weights, max_scale), dim=1
    ).mean()


def cluster_frequencies(q: torch.Tensor) -> torch.Tensor:
    """Soft cluster frequencies ``f_j = sum_i q_ij`` (DEC, the denominator in eq. 3).

    Kept separate because under data parallelism it is the one quantity that must be
    summed across all processes before the target distribution is formed.
    """
    return q.sum(dim=0)


def target_distribution(
    q: torch.Tensor, frequencies: torch.Tensor | None = None, balance: float = 1.0
) -> torch.Tensor:
    """Auxiliary target distribution P (DEC eq. 3), with the frequency term's exponent.

    ``p_ij = (q_ij^2 / f_j^b) / sum_j' (q_ij'^2 / f_j'^b)``: squaring sharpens confident
    assignments, dividing by the frequency ``f_j`` stops large clusters from taking over.
    ``b = 1`` is DEC's eq. 3. That division also pulls every cluster towards the same
    size: a small cluster's targets are raised relative to a large one's, at each refresh.
    Where the segments truly differ in size (a few big spenders among many occasional
    buyers), ``b < 1`` weakens that pull and ``b = 0`` removes it (P is Q squared and
    renormalised).

    Parameters
    ----------
    q : Tensor of shape (n, k)
        Soft assignments.
    frequencies : Tensor of shape (k,), optional
        ``f_j`` over the whole data set; defaults to ``cluster_frequencies(q)``.
        Pass the global sum when ``q`` is only one shard of the data.
    balance : float, default=1.0
        The exponent ``b`` of ``f_j``.

    Returns
    -------
    Tensor of shape (n, k)
    """
    if frequencies is None:
        frequencies = cluster_frequencies(q)
    weight = q.pow(2) / frequencies.pow(balance)
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
