"""The Pareto/NBD's closed forms (by hand, against the likelihood's integral and against
pymc-marketing) and the purchase model chosen on a log's own hold-back."""

import numpy as np
import pandas as pd
import pytest
from conftest import log_features
from scipy.integrate import quad

from dec import value

PARETO = dict(r=1.0, alpha=1.0, s=2.0, beta=1.0)


def test_pareto_by_hand():
    # alpha = beta: odds = s / (r + s + x) * (((alpha + T) / (alpha + t_x)) ** (r + s + x) - 1)
    #                    = 2/4 * ((3/2) ** 4 - 1) = 2.03125
    alive = 1 / 3.03125
    assert value.pareto_p_alive(1, 1, 2, **PARETO) == pytest.approx(alive, rel=1e-12)
    # P(alive) (r + x) (beta + T) / ((alpha + T) (s - 1)) [1 - ((beta + T) / (beta + T + t))
    # ** (s - 1)] = P(alive) * 2 * 3 / 3 * (1 - 3/4)
    assert value.pareto_expected_purchases(1.0, 1, 1, 2, **PARETO) == pytest.approx(
        alive * 0.5, rel=1e-12
    )
    # s = 1: the bracket over (s - 1) becomes log((beta + T + t) / (beta + T))
    one = dict(PARETO, s=1.0)
    assert value.pareto_expected_purchases(1.0, 1, 1, 2, **one) == pytest.approx(
        value.pareto_p_alive(1, 1, 2, **one) * 2 * np.log(4 / 3), rel=1e-9
    )


@pytest.mark.parametrize("alpha, beta", [(10.6, 11.7), (12.0, 3.0), (2.0, 2.0)])
@pytest.mark.parametrize(
    "x, t_x, T", [(0, 0, 30), (1, 5, 30), (3, 25, 30), (40, 10, 38), (200, 37, 38)]
)
def test_dropout_odds_equal_the_likelihoods_integral(alpha, beta, x, t_x, T):
    """Odds = s * integral_{t_x}^{T} ((alpha + T) / (alpha + tau)) ** (r + x) ((beta + T) /
    (beta + tau)) ** s / (beta + tau): both 2F1 cases, and buyers too heavy for the plain form."""
    r, s = 0.55, 0.6
    integral = quad(
        lambda tau: (
            ((alpha + T) / (alpha + tau)) ** (r + x)
            * ((beta + T) / (beta + tau)) ** s
            / (beta + tau)
        ),
        t_x,
        T,
        epsabs=0,
        epsrel=1e-12,
        limit=200,
    )[0]
    odds = value.pareto_dropout_odds(x, t_x, T, r, alpha, s, beta)
    assert odds == pytest.approx(s * integral, rel=1e-8)


def test_pareto_closed_forms_equal_pymc_marketings_predictions():
    clv = pytest.importorskip("pymc_marketing.clv")
    from dec.value.fit import fit_value_model

    features = log_features()
    fitted = fit_value_model(features, purchase_model="pareto_nbd")
    assert fitted["purchases"]["model"] == "pareto_nbd"
    rfm = value.rfm(features)
    theirs = clv.ParetoNBDModel()
    theirs.fit(
        pd.DataFrame(
            {
                "customer_id": np.arange(len(rfm)),
                "frequency": rfm["x"],
                "recency": rfm["t_x"],
                "T": rfm["T"],
            }
        ),
        method="map",
        progressbar=False,
    )
    ours = value.purchases_ahead(10.0, rfm["x"], rfm["t_x"], rfm["T"], fitted["purchases"])
    assert np.allclose(ours, theirs.expected_purchases(future_t=10.0).values.ravel(), rtol=1e-5)
    assert np.allclose(
        value.alive(rfm["x"], rfm["t_x"], rfm["T"], fitted["purchases"]),
        theirs.expected_probability_alive().values.ravel(),
        rtol=1e-5,
    )


def _simulated_log(
    kind: str, n: int = 3000, seed: int = 0, weeks: float = 52.0, held: float = 13.0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers' features ``held`` weeks before the end and at it, from a Pareto/NBD
    (leaving at an exponential time) or a BG/NBD (leaving just after a purchase) process."""
    rng = np.random.default_rng(seed)
    rate, first = rng.gamma(0.8, 1 / 4.0, n), rng.uniform(0, 13, n)
    leaves = first + rng.exponential(1 / rng.gamma(2.0, 1 / 20.0, n))
    churn = rng.beta(2.0, 2.0, n)
    histories = []
    for i in range(n):
        t, times = first[i], [first[i]]
        while (t := t + rng.exponential(1 / rate[i])) <= weeks:
            if kind == "pareto_nbd" and t > leaves[i]:
                break
            times.append(t)
            if kind == "bg_nbd" and rng.random() < churn[i]:
                break
        histories.append(np.array(times))

    def features(end):
        rows = []
        for times in histories:
            days = np.unique(np.floor(times[times <= end] * 7))
            rows.append(
                {
                    "frequency": float(len(days)),
                    "recency_days": end * 7 - days[-1],
                    "tenure_days": end * 7 - days[0],
                    "total_spend": 10.0 * len(days),
                    "first_order_value": 10.0,
                }
            )
        return pd.DataFrame(rows)

    return features(weeks - held), features(weeks)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["bg_nbd", "pareto_nbd"])
def test_the_hold_back_chooses_the_process_that_made_the_log(kind):
    pytest.importorskip("pymc_marketing")
    from dec.value.fit import choose_purchase_model

    earlier, later = _simulated_log(kind)
    choice = choose_purchase_model(earlier, later, 13.0)
    assert choice["model"] == kind, choice["mse"]
    assert choice["observed"] == (later["frequency"] - earlier["frequency"]).sum()
    assert set(choice["predicted"]) == {"bg_nbd", "pareto_nbd"}


def test_a_model_that_fails_on_the_hold_back_leaves_the_other(monkeypatch):
    from dec.evaluation.value_report import _choice_sentence
    from dec.value import fit as value_fit

    def fit(model, data, method, seed):
        if model == "ParetoNBDModel":
            raise FloatingPointError("the optimiser diverged")
        return dict(r=0.25, alpha=4.8, a=0.71, b=2.1), None

    monkeypatch.setattr(
        value_fit,
        "_clv_module",
        lambda: type(
            "clv",
            (),
            {name: staticmethod(lambda n=name: n) for name in value_fit.PURCHASE_MODELS.values()},
        ),
    )
    monkeypatch.setattr(value_fit, "_fit", fit)
    earlier, later = log_features(50, seed=1), log_features(50, seed=1)
    later["frequency"] += 1  # one purchase each in the hold-back
    choice = value_fit.choose_purchase_model(earlier, later, 13.0)
    assert choice["model"] == "bg_nbd" and set(choice["mse"]) == {"bg_nbd"}
    assert choice["observed"] == 50
    assert choice["failed"] == {"pareto_nbd": "FloatingPointError: the optimiser diverged"}
    assert "Pareto/NBD failed: FloatingPointError" in _choice_sentence(choice)


def test_without_a_log_to_read_again_there_is_no_choice():
    from dec.data.dataset import Dataset
    from dec.evaluation.value_report import _choice_sentence
    from dec.value.fit import choose_on_hold_back

    choice = choose_on_hold_back(None, Dataset("table", log_features(10)), pd.RangeIndex(10))
    assert choice["model"] == "bg_nbd" and "skipped" in choice
    assert _choice_sentence(choice).startswith("Purchase model BG/NBD, not chosen")
