"""The CLV benchmark's alternatives: the first-purchase spend model against numerical
integration and simulated customers, and the BG/NBD's cohort expectation by hand."""

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad
from scipy.stats import gamma

from benchmarks.harness import clv_alternatives as alt
from dec import value

SPEND = dict(p=3.0, q=4.0, v=30.0, p0=5.0, c=1.5)


def _joint(nu, x, m_x, z0, p, q, v, p0, c):
    """The integrand: mean of x repeats ~ Gamma(p x, rate nu x), first ~ Gamma(p0, rate c nu),
    nu ~ Gamma(q, rate v)."""
    repeats = gamma.pdf(m_x, p * x, scale=1 / (nu * x)) if x else 1.0
    return repeats * gamma.pdf(z0, p0, scale=1 / (c * nu)) * gamma.pdf(nu, q, scale=1 / v)


@pytest.mark.parametrize("x, m_x, z0", [(3, 40.0, 25.0), (0, np.nan, 60.0)])
def test_first_purchase_likelihood_and_mean_integrate_nu_out(x, m_x, z0):
    evidence = quad(_joint, 0, np.inf, args=(x, m_x, z0, *SPEND.values()))[0]
    assert alt.first_purchase_loglik([x], [m_x], [z0], **SPEND)[0] == pytest.approx(
        np.log(evidence), rel=1e-7
    )
    # E[spend of a purchase | data] = p E[1 / nu | data]
    inverse = quad(lambda nu: _joint(nu, x, m_x, z0, *SPEND.values()) / nu, 0, np.inf)[0]
    assert alt.first_purchase_spend([x], [m_x], [z0], **SPEND)[0] == pytest.approx(
        SPEND["p"] * inverse / evidence, rel=1e-7
    )


def test_without_a_first_value_it_is_gamma_gamma():
    spend = alt.first_purchase_spend([2, 0], [20.0, np.nan], [0.0, 0.0], **SPEND)
    assert spend == pytest.approx(
        value.expected_spend([2, 0], [20.0, np.nan], p=3.0, q=4.0, v=30.0)
    )


def test_the_fit_recovers_simulated_customers():
    rng = np.random.default_rng(0)
    n = 20_000
    nu = rng.gamma(SPEND["q"], 1 / SPEND["v"], n)
    x = rng.integers(0, 5, n)
    z0 = rng.gamma(SPEND["p0"], 1 / (SPEND["c"] * nu))
    repeat_total = rng.gamma(np.maximum(SPEND["p"] * x, 1e-9), 1 / nu) * (x > 0)
    features = pd.DataFrame(
        {
            "frequency": x + 1.0,
            "recency_days": 0.0,
            "tenure_days": 70.0,
            "total_spend": z0 + repeat_total,
            "first_order_value": z0,
        }
    )
    fitted = alt.fit_first_purchase_spend(features)
    for name in ("p", "p0", "c"):
        assert fitted[name] == pytest.approx(SPEND[name], rel=0.15), name
    rfm = value.rfm(features)
    truth = SPEND["p"] / nu  # each customer's mean purchase
    found = alt.first_purchase_spend(rfm["x"], rfm["m_x"], z0, **fitted)
    oracle = alt.first_purchase_spend(rfm["x"], rfm["m_x"], z0, **SPEND)
    assert np.abs(found - truth).mean() == pytest.approx(np.abs(oracle - truth).mean(), rel=0.02)


def test_purchases_since_first_by_hand():
    bg = dict(r=1.0, alpha=1.0, a=2.0, b=3.0)
    # (a + b - 1) / (a - 1) = 4; (alpha / (alpha + t)) ** r = 1/2; 2F1(1, 3; 4; 1/2)
    series = sum(
        np.prod([(1 + k) * (3 + k) / ((4 + k) * (k + 1)) for k in range(n)]) * 0.5**n
        for n in range(200)
    )
    assert value.purchases_since_first(1.0, **bg) == pytest.approx(4 * (1 - 0.5 * series))
    assert value.purchases_since_first(0.0, **bg) == pytest.approx(0.0, abs=1e-12)


def test_cohort_tracking_counts_repeat_days_in_blocks():
    log = pd.DataFrame(
        {
            "id": ["a", "a", "a", "b", "b"],
            "date": pd.to_datetime(
                ["2020-01-01", "2020-01-01", "2020-01-10", "2020-01-03", "2020-02-05"]
            ),
            "amount": 1.0,
        }
    )
    bg = dict(r=1.0, alpha=1.0, a=2.0, b=3.0)
    rows = alt.cohort_tracking(log, bg, as_of="2020-02-01", end="2020-02-25", block_weeks=4)
    # blocks: days 0-27 and 28-31 (to as_of), then 32-55 (to the end)
    assert [(r["start"], r["period"]) for r in rows] == [
        ("2020-01-01", "calibration"),
        ("2020-01-29", "calibration"),
        ("2020-02-02", "hold-out"),
    ]
    assert [r["observed"] for r in rows] == [1, 0, 1]  # a's second day; b's second (day 35)
    weeks = 56 / 7  # 2020-01-01 to 2020-02-25 inclusive
    total = value.purchases_since_first(weeks, **bg) + value.purchases_since_first(
        weeks - 2 / 7, **bg
    )
    assert sum(r["expected"] for r in rows) == pytest.approx(total)
