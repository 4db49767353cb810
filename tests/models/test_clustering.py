"""DEC maths against values worked out by hand."""

import math

import numpy as np
import pytest
import torch

from dec.models.clustering import (
    cluster_frequencies,
    kl_divergence,
    label_change_fraction,
    soft_assignment,
    target_distribution,
)


def test_soft_assignment_alpha_one_by_hand():
    # d^2 = 0 and 1 -> kernels 1 and (1 + 1)^-1 = 0.5 -> q = (2/3, 1/3)
    q = soft_assignment(torch.tensor([[0.0, 0.0]]), torch.tensor([[0.0, 0.0], [1.0, 0.0]]))
    assert torch.allclose(q, torch.tensor([[2 / 3, 1 / 3]]))


def test_soft_assignment_alpha_two_by_hand():
    # kernel = (1 + d^2/2)^(-3/2): 1 and 1.5^-1.5 = 0.544331
    q = soft_assignment(
        torch.tensor([[0.0, 0.0]]), torch.tensor([[0.0, 0.0], [0.0, 1.0]]), alpha=2.0
    )
    expected = 1 / (1 + 1.5**-1.5)
    assert q[0, 0].item() == pytest.approx(expected, rel=1e-6)
    assert q.sum().item() == pytest.approx(1.0)


def test_soft_assignment_rows_sum_to_one_and_prefer_nearest_centre():
    torch.manual_seed(0)
    z, centers = torch.randn(50, 4), torch.randn(3, 4)
    q = soft_assignment(z, centers)
    assert torch.allclose(q.sum(1), torch.ones(50))
    assert torch.equal(q.argmax(1), torch.cdist(z, centers).argmin(1))


def test_target_distribution_by_hand():
    q = torch.tensor([[0.8, 0.2], [0.6, 0.4]])
    # f = (1.4, 0.6); row 1: (0.64/1.4, 0.04/0.6) = (0.457143, 0.066667), sum 0.523810
    # row 2: (0.36/1.4, 0.16/0.6) = (0.257143, 0.266667), sum 0.523810
    expected = torch.tensor([[0.872727, 0.127273], [0.490909, 0.509091]])
    assert torch.allclose(cluster_frequencies(q), torch.tensor([1.4, 0.6]))
    assert torch.allclose(target_distribution(q), expected, atol=1e-6)


def test_target_distribution_balance_zero_by_hand():
    q = torch.tensor([[0.8, 0.2], [0.6, 0.4]])
    # no frequency term: q^2 renormalised. Row 1: (0.64, 0.04) / 0.68; row 2: (0.36, 0.16) / 0.52
    expected = torch.tensor([[0.941176, 0.058824], [0.692308, 0.307692]])
    assert torch.allclose(target_distribution(q, balance=0.0), expected, atol=1e-6)


def test_target_distribution_balance_half_by_hand():
    q = torch.tensor([[0.8, 0.2], [0.6, 0.4]])
    # sqrt(f) = (1.183216, 0.774597). Row 1: (0.64/1.183216, 0.04/0.774597) =
    # (0.540899, 0.051640), sum 0.592539; row 2: (0.304256, 0.206559), sum 0.510815
    expected = torch.tensor([[0.912850, 0.087150], [0.595628, 0.404372]])
    assert torch.allclose(target_distribution(q, balance=0.5), expected, atol=1e-6)


def test_lower_balance_gives_the_small_cluster_less():
    torch.manual_seed(2)
    q = torch.softmax(torch.randn(200, 3) + torch.tensor([2.0, 0.0, -1.0]), dim=1)
    small = cluster_frequencies(q).argmin()
    shares = [target_distribution(q, balance=b)[:, small].mean().item() for b in (1.0, 0.5, 0.0)]
    assert shares[0] > shares[1] > shares[2]


def test_target_distribution_with_global_frequencies_matches_whole_data():
    torch.manual_seed(1)
    q = torch.softmax(torch.randn(10, 3), dim=1)
    whole = target_distribution(q)
    shard = target_distribution(q[:4], frequencies=cluster_frequencies(q))
    assert torch.allclose(shard, whole[:4])


def test_target_sharpens_assignments():
    q = torch.tensor([[0.6, 0.4], [0.4, 0.6]])
    p = target_distribution(q)
    assert p[0, 0] > q[0, 0] and p[1, 1] > q[1, 1]


def test_kl_divergence_by_hand():
    p, q = torch.tensor([[0.5, 0.5]]), torch.tensor([[0.25, 0.75]])
    expected = 0.5 * math.log(2) + 0.5 * math.log(0.5 / 0.75)  # 0.143841
    assert kl_divergence(p, q).item() == pytest.approx(expected, rel=1e-6)


def test_kl_divergence_zero_for_equal_and_finite_for_zero_p():
    q = torch.tensor([[0.3, 0.7], [0.9, 0.1]])
    assert kl_divergence(q, q).item() == pytest.approx(0.0, abs=1e-7)
    assert math.isfinite(kl_divergence(torch.tensor([[1.0, 0.0]]), q[:1]).item())


def test_kl_divergence_is_batch_mean():
    p, q = torch.tensor([[0.5, 0.5]]), torch.tensor([[0.25, 0.75]])
    assert kl_divergence(p.repeat(4, 1), q.repeat(4, 1)).item() == pytest.approx(
        kl_divergence(p, q).item()
    )


def test_label_change_fraction():
    assert label_change_fraction(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 1, 3])) == 0.25


def test_refresh_interval_keeps_a_few_refreshes_on_small_data():
    from dec.training.dec_module import refresh_interval

    assert refresh_interval(100, 1650) == 100  # the default run: 30 epochs x 55 steps
    assert refresh_interval(100, 90) == 18  # 800 customers: 90 steps, 5 refreshes
    assert refresh_interval(100, 3) == 1  # never below one step


def test_squared_mahalanobis_by_hand():
    from dec.models.clustering import squared_mahalanobis

    # L = diag(2, 1): precision diag(4, 1); z - mu = (1, 1) -> 4 + 1 = 5; (0, 3) -> 9
    z = torch.tensor([[1.0, 1.0], [0.0, 3.0]])
    d2 = squared_mahalanobis(z, torch.zeros(1, 2), torch.tensor([[2.0, 0.0], [0.0, 1.0]]))
    assert torch.allclose(d2, torch.tensor([[5.0], [9.0]]))
    # a full L: L = [[1, 0], [1, 1]] -> L^T (1, 1) = (2, 1) -> 5
    full = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    assert squared_mahalanobis(z[:1], torch.zeros(1, 2), full).item() == pytest.approx(5.0)


def test_mahalanobis_kernel_with_identity_is_dec_kernel():
    from dec.models.clustering import mahalanobis_soft_assignment

    torch.manual_seed(0)
    z, centers = torch.randn(20, 3), torch.randn(4, 3)
    assert torch.allclose(
        mahalanobis_soft_assignment(z, centers, torch.eye(3)),
        soft_assignment(z, centers),
        atol=1e-6,
    )


def test_mahalanobis_kernel_by_hand_prefers_the_near_centre_in_whitened_space():
    from dec.models.clustering import mahalanobis_soft_assignment

    # Precision diag(1, 0.01): distance along y counts 100x less. z = (0, 5),
    # mu_0 = (0, 0): d^2 = 0.25; mu_1 = (1, 5): d^2 = 1 -> kernels 1/1.25, 1/2
    q = mahalanobis_soft_assignment(
        torch.tensor([[0.0, 5.0]]),
        torch.tensor([[0.0, 0.0], [1.0, 5.0]]),
        torch.tensor([[1.0, 0.0], [0.0, 0.1]]),
    )
    assert q[0, 0].item() == pytest.approx(0.8 / 1.3, rel=1e-6)


def test_pooled_precision_factor_whitens_the_tied_covariance():
    from dec.models.clustering import pooled_precision_factor

    # Two clusters of 4 points, each with x deviations (-2, 2, 0, 0), y (0, 0, -1, 1):
    # pooled sums of squares x 16, y 4, over n - k = 6 -> covariance diag(8/3, 2/3)
    z = torch.tensor([[-2.0, 0.0], [2.0, 0.0], [0.0, -1.0], [0.0, 1.0]] * 2)
    z[4:] += 10.0
    labels = torch.tensor([0] * 4 + [1] * 4)
    factor = pooled_precision_factor(z, labels, 2, ridge=0.0)
    precision = factor @ factor.T
    covariance = torch.tensor([[8.0, 0.0], [0.0, 2.0]]) / 3
    assert torch.allclose(precision, torch.linalg.inv(covariance), atol=1e-5)


@pytest.mark.slow
def test_every_init_places_centres_near_well_separated_clusters():
    import numpy as np

    from dec.models.init import INITS, init_state

    rng = np.random.default_rng(0)
    truth = np.array([[-8.0, 0.0], [8.0, 0.0], [0.0, 8.0]])
    z = torch.as_tensor(
        np.vstack([rng.normal(c, 0.5, (60, 2)) for c in truth]), dtype=torch.float32
    )
    for method in INITS:
        centers = init_state(z, 3, 2, 0, method=method)["centers"].numpy()
        nearest = np.linalg.norm(centers[:, None] - truth[None], axis=2).min(0)
        assert nearest.max() < 1.0, method  # each true centre has a centre within 1


def test_tied_mixture_init_estimates_the_shared_covariance():
    import numpy as np

    from dec.models.init import init_state

    # Two long clusters side by side: spread 3 along x, 0.5 along y, centres 8 apart in y.
    # The shared within-cluster covariance is diag(9, 0.25); its precision diag(1/9, 4).
    rng = np.random.default_rng(0)
    z = torch.as_tensor(
        np.vstack([rng.normal([0.0, y], [3.0, 0.5], (400, 2)) for y in (0, 8)]), dtype=torch.float32
    )
    state = init_state(z, 2, 3, 0, kernel="mahalanobis", method="gmm_tied")
    factor = state["precision_factor"]
    precision = (factor @ factor.T).numpy()
    assert np.allclose(np.diag(precision), [1 / 9, 4.0], rtol=0.2)
    assert sorted(state["centers"][:, 1].round().tolist()) == [0.0, 8.0]


def test_mahalanobis_init_state_has_a_precision_factor():
    from dec.models.init import init_state

    torch.manual_seed(0)
    state = init_state(torch.randn(100, 3), 2, 1, 0, kernel="mahalanobis")
    assert state["precision_factor"].shape == (3, 3)


# ------------------------------------------------------------ Gaussian mixture head
def test_gaussian_log_density_by_hand():
    from dec.models.clustering import gaussian_log_density

    # 1-D: precision factor 2 (variance 1/4), z - mu = 1 -> -1/2 * 4 + log 2 - log(2 pi)/2
    density = gaussian_log_density(
        torch.tensor([[1.0]]), torch.tensor([[0.0]]), torch.tensor([[[2.0]]])
    )
    assert density.item() == pytest.approx(-2.0 + math.log(2.0) - 0.5 * math.log(2 * math.pi))
    # 2-D, L = [[1, 0], [1, 1]]: L^T (1, 1) = (2, 1) -> -5/2; log|det L| = 0; only the lower
    # triangle counts, so an upper entry changes nothing.
    factor = torch.tensor([[[1.0, 7.0], [1.0, 1.0]]])
    density = gaussian_log_density(torch.tensor([[1.0, 1.0]]), torch.zeros(1, 2), factor)
    assert density.item() == pytest.approx(-2.5 - math.log(2 * math.pi))


def test_gaussian_log_density_ceiling_bounds_the_precision():
    from dec.models.clustering import gaussian_log_density

    # |L| = 10 is cut to 2: the density is that of a variance 1/4, not 1/100.
    capped = gaussian_log_density(
        torch.tensor([[0.0]]), torch.tensor([[0.0]]), torch.tensor([[[10.0]]]), max_scale=2.0
    )
    assert capped.item() == pytest.approx(math.log(2.0) - 0.5 * math.log(2 * math.pi))


def test_mixture_responsibilities_by_hand():
    from dec.models.clustering import mixture_negative_log_likelihood, mixture_responsibilities

    # Two unit Gaussians at 0 and 2, weights 3:1 (log weights need not be normalised);
    # z = 1 is as far from both, so the posterior is the weights: (0.75, 0.25).
    centers, factors = torch.tensor([[0.0], [2.0]]), torch.ones(2, 1, 1)
    log_weights = torch.log(torch.tensor([3.0, 1.0])) + 5.0
    q = mixture_responsibilities(torch.tensor([[1.0]]), centers, factors, log_weights)
    assert torch.allclose(q, torch.tensor([[0.75, 0.25]]))
    # The likelihood there: N(1 | 0, 1) = N(1 | 2, 1), so p(z) = N(1 | 0, 1).
    nll = mixture_negative_log_likelihood(torch.tensor([[1.0]]), centers, factors, log_weights)
    assert nll.item() == pytest.approx(0.5 + 0.5 * np.log(2 * np.pi), rel=1e-6)


def test_mixture_head_starts_as_the_bic_mixture():
    from dec.models.dec_model import DECModel
    from dec.models.init import bic_mixture, init_state

    # Two clusters with different shapes: the head's posterior equals the mixture's.
    rng = np.random.default_rng(0)
    z = np.vstack(
        [rng.normal([0.0, 0.0], [3.0, 0.3], (300, 2)), rng.normal([0.0, 4.0], [0.3, 1.0], (100, 2))]
    ).astype(np.float32)
    state = init_state(torch.from_numpy(z), 2, 3, 0, kernel="gaussian")
    model = DECModel(2, [4], 2, 2, kernel="gaussian")
    model.centers.data = state.pop("centers")
    model.load_state_dict({**model.state_dict(), **state})
    q = model.assign_embedding(torch.from_numpy(z)).detach().numpy()
    expected = bic_mixture(z.astype(np.float64), 2, 0).predict_proba(z)
    if np.abs(q - expected).max() > 0.5:  # the same components, numbered the other way
        expected = expected[:, ::-1]
    assert np.abs(q - expected).max() < 1e-3
    assert np.isclose(np.exp(state["log_weights"].numpy()).sum(), 1.0, atol=1e-5)
