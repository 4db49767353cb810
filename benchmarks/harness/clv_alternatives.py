"""Where the shipped value models miss on CDNOW, and what else was tried (``scripts/benchmark.py
--clv``): the cohort's purchases block by block against the BG/NBD (FHL 2005a, fig. 2), and
three alternatives to BG/NBD with Gamma-Gamma, scored per deep-model segment:

- Pareto/NBD for purchases (pymc-marketing);
- both models fitted separately on each segment's customers (pymc-marketing #1404's ask);
- spend per purchase that also learns from the first purchase (below), where Gamma-Gamma
  leaves it out (FHL 2005b) and gives every one-purchase customer the population mean.

The first-purchase spend model: repeat purchases' values ``z ~ Gamma(p, nu)``, the first
purchase's ``z0 ~ Gamma(p0, c nu)`` (its own shape and scale: first orders differ), the
customer's ``nu ~ Gamma(q, v)``. With ``p0 = 0`` it is Gamma-Gamma.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln

from dec import value

#: Starting point of the first-purchase spend fit: the published Gamma-Gamma (p, q, v) and
#: a first purchase like a repeat one (p0 = p, c = 1).
_START = {"p": 6.25, "q": 3.74, "v": 15.44, "p0": 6.25, "c": 1.0}
SPEND_PARAMETERS = tuple(_START)
#: Weeks in a block of the tracking tables.
BLOCK_WEEKS = 4


def first_purchase_loglik(
    x, m_x, z0, p: float, q: float, v: float, p0: float, c: float
) -> np.ndarray:
    """Each customer's log-likelihood of the mean repeat value ``m_x`` (of ``x``) and the
    first purchase ``z0``, ``nu`` integrated out (Gamma-Gamma's, FHL 2005b eq. 3, with the
    first purchase's factor):

    ``[x > 0] (p x log x + (p x - 1) log m_x - lgamma(p x)) + p0 log c + (p0 - 1) log z0
    - lgamma(p0) + q log v - lgamma(q) + lgamma(q + p x + p0) - (q + p x + p0) log(v + x m_x
    + c z0)``.
    """
    x, z0 = np.asarray(x, float), np.asarray(z0, float)
    repeat = x > 0
    m_x = np.where(repeat, np.nan_to_num(np.asarray(m_x, float), nan=1.0), 1.0)
    px = p * x
    repeats = np.where(
        repeat,
        px * np.log(np.where(repeat, x, 1.0))
        + (px - 1) * np.log(m_x)
        - gammaln(np.where(repeat, px, 1.0)),
        0.0,
    )
    first = p0 * np.log(c) + (p0 - 1) * np.log(z0) - gammaln(p0)
    shape = q + px + p0
    return (
        repeats
        + first
        + q * np.log(v)
        - gammaln(q)
        + gammaln(shape)
        - shape * np.log(v + x * np.where(repeat, m_x, 0.0) + c * z0)
    )


def first_purchase_spend(
    x, m_x, z0, p: float, q: float, v: float, p0: float, c: float
) -> np.ndarray:
    """Expected value of a future purchase: ``p E[1 / nu | data] = p (v + x m_x + c z0) /
    (q + p x + p0 - 1)``; without a first value (``z0 <= 0``) Gamma-Gamma's eq. (5)."""
    x, z0 = np.asarray(x, float), np.asarray(z0, float)
    m_x = np.nan_to_num(np.asarray(m_x, float), nan=0.0)
    seen = z0 > 0
    return (
        p * (v + x * m_x + np.where(seen, c * z0, 0.0)) / (q + p * x + np.where(seen, p0, 0.0) - 1)
    )


def fit_first_purchase_spend(features: pd.DataFrame) -> dict:
    """Maximum likelihood of the first-purchase spend model on customers' log features."""
    rfm = value.rfm(features)
    x, m_x = rfm["x"].to_numpy(), rfm["m_x"].to_numpy()
    z0 = features["first_order_value"].to_numpy(float)
    usable = (z0 > 0) & ((x == 0) | (np.nan_to_num(m_x) > 0))
    data = (x[usable], m_x[usable], z0[usable])

    def loss(logs):
        return -first_purchase_loglik(*data, *np.exp(logs)).sum() / usable.sum()

    found = minimize(loss, np.log(list(_START.values())), method="L-BFGS-B")
    return dict(zip(SPEND_PARAMETERS, np.exp(found.x).tolist()))


def _pareto_nbd(fit_rfm: pd.DataFrame, rfm: pd.DataFrame, weeks: float) -> np.ndarray:
    """Pareto/NBD fitted (MAP) on ``fit_rfm``: purchases of ``rfm``'s customers in the next
    ``weeks``."""
    return _ahead("pareto_nbd", fit_rfm, rfm, weeks)


def _ahead(
    purchase_model: str, fit_rfm: pd.DataFrame, rfm: pd.DataFrame, weeks: float
) -> np.ndarray:
    from dec.value.fit import fit_purchase_model

    fitted, _ = fit_purchase_model(fit_rfm, purchase_model)
    return value.purchases_ahead(
        weeks, rfm["x"], rfm["t_x"], rfm["T"], {"model": purchase_model, **fitted}
    )


def _purchases_and_spend(fitted: dict, rfm: pd.DataFrame, weeks: float):
    return (
        value.expected_purchases(
            weeks, rfm["x"], rfm["t_x"], rfm["T"], **value.parameters(fitted, "purchases")
        ),
        value.expected_spend(rfm["x"], rfm["m_x"], **value.parameters(fitted, "spend")),
    )


#: The alternatives, in the order the page shows them.
ALTERNATIVES = {
    "bg_nbd": "BG/NBD + Gamma-Gamma (shipped)",
    "pareto_nbd": "Pareto/NBD + Gamma-Gamma",
    "per_segment": "both fitted per segment",
    "first_purchase": "BG/NBD + spend with the first purchase",
}


def predicted_spend(
    fit_features: pd.DataFrame,
    fit_segments: np.ndarray,
    features: pd.DataFrame,
    segments: np.ndarray,
    weeks: float,
) -> dict:
    """Each alternative's spend of ``features``' customers in the next ``weeks``, every model
    fitted on ``fit_features`` (whose customers are in ``fit_segments``)."""
    from dec.value.fit import fit_value_model

    fit_rfm, rfm = value.rfm(fit_features), value.rfm(features)
    purchases, spend = _purchases_and_spend(fit_value_model(fit_features), rfm, weeks)
    per_segment = np.zeros(len(rfm))
    for segment in np.unique(segments):
        mine = segments == segment
        own = fit_value_model(fit_features[fit_segments == segment])
        per_segment[mine] = np.multiply(*_purchases_and_spend(own, rfm[mine], weeks))
    first = first_purchase_spend(
        rfm["x"],
        rfm["m_x"],
        features["first_order_value"],
        **fit_first_purchase_spend(fit_features),
    )
    return {
        "bg_nbd": purchases * spend,
        "pareto_nbd": _pareto_nbd(fit_rfm, rfm, weeks) * spend,
        "per_segment": per_segment,
        "first_purchase": purchases * first,
    }


def purchase_errors(
    fit_features: pd.DataFrame, features: pd.DataFrame, weeks: float, observed: np.ndarray
) -> dict:
    """Mean squared error per customer of each purchase model's predicted purchases in the
    next ``weeks`` (fitted on ``fit_features``): the hold-back choice's score, on other data."""
    from dec.value.fit import PURCHASE_MODELS

    fit_rfm, rfm = value.rfm(fit_features), value.rfm(features)
    return {
        name: float(np.mean((_ahead(name, fit_rfm, rfm, weeks) - observed) ** 2))
        for name in PURCHASE_MODELS
    }


def segment_ratios(predicted: dict, observed: np.ndarray, segments: np.ndarray) -> dict:
    """Per alternative: predicted / observed spend of each segment (keyed by its number as
    text, as in JSON), and the customers' rank correlation of predicted with observed spend."""
    from scipy.stats import spearmanr

    found = {}
    for name, spend in predicted.items():
        found[name] = {
            "segments": {
                str(s): float(spend[segments == s].sum() / observed[segments == s].sum())
                for s in np.unique(segments)
            },
            "rank_correlation": float(spearmanr(spend, observed)[0]),
        }
    return found


def block_edges(start: float, end: float, block_weeks: int = BLOCK_WEEKS) -> np.ndarray:
    """Edges, in weeks, of blocks of ``block_weeks`` from ``start`` to ``end`` (the last
    block shorter where the period ends)."""
    return np.append(np.arange(start, end, block_weeks), end)


def cohort_tracking(
    log: pd.DataFrame, purchases: dict, as_of: str, end: str, block_weeks: int = BLOCK_WEEKS
) -> list[dict]:
    """The cohort's repeat purchases (distinct purchase days after each customer's first) in
    blocks of ``block_weeks``, from the log's first day to ``as_of`` (the calibration
    period) and from there to ``end`` (the hold-out), beside the BG/NBD's expectation
    (:func:`dec.value.closed_forms.purchases_since_first` from each customer's first purchase)."""
    days = log[log["date"] <= pd.Timestamp(end)][["id", "date"]].drop_duplicates()
    first = days.groupby("id")["date"].min()
    origin = days["date"].min()

    def weeks(date):
        return ((pd.Timestamp(date) - origin).days + 1) / 7  # to the end of that day

    start = ((first - origin).dt.days / 7).to_numpy()
    repeat = days[days["date"] > days["id"].map(first)]
    repeat_week = ((repeat["date"] - origin).dt.days / 7).to_numpy()
    rows = []
    for period, low_end, high_end in (
        ("calibration", 0.0, weeks(as_of)),
        ("hold-out", weeks(as_of), weeks(end)),
    ):
        edges = block_edges(low_end, high_end, block_weeks)
        for low, high in zip(edges[:-1], edges[1:]):
            expected = value.purchases_since_first(
                np.clip(high - start, 0, None), **purchases
            ) - value.purchases_since_first(np.clip(low - start, 0, None), **purchases)
            rows.append(
                {
                    "start": str((origin + pd.Timedelta(weeks=low)).date()),
                    "period": period,
                    "weeks": float(high - low),
                    "observed": int(((repeat_week >= low) & (repeat_week < high)).sum()),
                    "expected": float(expected.sum()),
                }
            )
    return rows
