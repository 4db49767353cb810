"""What each customer is worth: future purchases, P(alive), spend per purchase and CLV.

Purchases follow the BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the
easy way", Marketing Science 24(2)) or the Pareto/NBD (Schmittlein, Morrison & Colombo 1987;
in the form of Fader & Hardie 2005, "A note on deriving the Pareto/NBD model and related
expressions"), spend per purchase the Gamma-Gamma model (Fader, Hardie & Lee 2005, "RFM and
CLV", JMR 42(4); Colombo & Jiang 1999). They are fitted by pymc-marketing (``dec[clv]``,
:mod:`dec.value.fit`); the fitted parameters are seven numbers (``value_model.json`` in the
run folder) and everything below is their closed form, so scoring needs neither pymc nor
the purchase log beyond the features the run already makes.

Time is in weeks, as in the papers; ``x``, ``t_x``, ``T`` and ``m_x`` come from the log
features (:func:`dec.value.inputs.rfm`). Repeat orders that average 0 or less (refunds) are
valued as averaging 0 (:func:`expected_spend`). :mod:`dec.value.clv` applies these forms to
a run's customers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import hyp2f1

from dec.value.settings import MODEL_PARAMETERS, model_of

#: Weeks in a month of CLV's monthly discounting, as pymc-marketing's customer_lifetime_value.
WEEKS_PER_MONTH = 4.345


def _dropout_odds(x, t_x, T, r, alpha, a, b):
    """``a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)`` where ``x > 0``, else 0:
    the odds that a customer has already dropped out (BG/NBD eqs. 10 and 12)."""
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        odds = a / (b + x - 1) * np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
    return np.where(x > 0, odds, 0.0)


def p_alive(x, t_x, T, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """P(alive | x, t_x, T): Fader, Hardie & Lee (2005a), eq. (12).

    ``1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))`` for ``x > 0``;
    1 for a customer without a repeat purchase (BG/NBD lets a customer drop out only
    right after a purchase).
    """
    return 1.0 / (1.0 + _dropout_odds(x, t_x, T, r, alpha, a, b))


def expected_purchases(
    t: float, x, t_x, T, r: float, alpha: float, a: float, b: float
) -> np.ndarray:
    """Expected purchases in the next ``t`` weeks given ``(x, t_x, T)``: FHL (2005a) eq. (10).

    ``(a + b + x - 1) / (a - 1) * [1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
    * 2F1(r + x, b + x; a + b + x - 1; z)] / (1 + dropout odds)``, ``z = t / (alpha + T + t)``.
    The bracket is computed after Euler's transformation, ``2F1(p, q; c; z) = (1 - z) **
    (c - p - q) 2F1(c - p, c - q; c; z)``, as ``1 - (1 - z) ** (a - 1) * 2F1(a + b - 1 - r,
    a - 1; a + b + x - 1; z)``: for a heavy buyer the original power underflows while the
    series overflows (Fader & Hardie's "#NUM!" problem); this form has neither.
    """
    x, T = np.asarray(x, float), np.asarray(T, float)
    a = _off_one(a)
    z = t / (alpha + T + t)
    bracket = 1.0 - (1.0 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    return (a + b + x - 1) / (a - 1) * bracket * p_alive(x, t_x, T, r, alpha, a, b)


def pareto_dropout_odds(x, t_x, T, r: float, alpha: float, s: float, beta: float) -> np.ndarray:
    """The odds that a Pareto/NBD customer has already left: ``(alpha + T) ** (r + x) (beta +
    T) ** s * s / (r + s + x) * A0`` (Fader & Hardie's note, the likelihood's second term over
    its first), where ``s / (r + s + x) A0 = s * integral from t_x to T of (alpha + tau) **
    -(r + x) (beta + tau) ** -(s + 1)``.

    A0's two 2F1 terms (the note's cases ``alpha >= beta`` and ``alpha < beta``) are taken
    through Euler's transformation, ``2F1(rho, b; rho + 1; z) = (1 - z) ** (1 - b) 2F1(1,
    rho + 1 - b; rho + 1; z)``, and combined in logs, so a heavy buyer neither overflows nor
    loses the difference of the two terms.
    """
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    rho = r + s + x
    big, small, b2 = (alpha, beta, s + 1.0) if alpha >= beta else (beta, alpha, r + x)

    def log_term(y):  # log of 2F1(rho, b2; rho + 1; z) / (big + y) ** rho
        z = (big - small) / (big + y)
        return (
            (1.0 - b2) * (np.log(small + y) - np.log(big + y))
            + np.log(hyp2f1(1.0, rho + 1.0 - b2, rho + 1.0, z))
            - rho * np.log(big + y)
        )

    level = (r + x) * np.log(alpha + T) + s * np.log(beta + T)
    upper, lower = level + log_term(t_x), level + log_term(T)
    with np.errstate(over="ignore"):
        return s / rho * np.exp(upper) * -np.expm1(lower - upper)


def pareto_p_alive(x, t_x, T, r: float, alpha: float, s: float, beta: float) -> np.ndarray:
    """P(alive | x, t_x, T) under the Pareto/NBD: ``1 / (1 + dropout odds)``
    (:func:`pareto_dropout_odds`); below 1 even without a repeat purchase, since a Pareto/NBD
    customer may leave at any time."""
    return 1.0 / (1.0 + pareto_dropout_odds(x, t_x, T, r, alpha, s, beta))


def pareto_expected_purchases(
    t: float, x, t_x, T, r: float, alpha: float, s: float, beta: float
) -> np.ndarray:
    """Expected purchases in the next ``t`` weeks under the Pareto/NBD: ``P(alive) (r + x)
    (beta + T) / ((alpha + T) (s - 1)) [1 - ((beta + T) / (beta + T + t)) ** (s - 1)]``
    (Fader & Hardie's note), the bracket over ``s - 1`` taken as ``-expm1(-(s - 1) log1p(t /
    (beta + T))) / (s - 1)``, whose limit at ``s = 1`` is ``log1p(t / (beta + T))``."""
    x, T = np.asarray(x, float), np.asarray(T, float)
    u = np.log1p(t / (beta + T))
    ahead = u if abs(s - 1.0) < 1e-9 else -np.expm1(-(s - 1.0) * u) / (s - 1.0)
    return pareto_p_alive(x, t_x, T, r, alpha, s, beta) * (r + x) * (beta + T) / (alpha + T) * ahead


def purchases_since_first(t, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """Expected repeat purchases in the first ``t`` weeks after a customer's first purchase,
    knowing nothing else: FHL (2005a) eq. (9), ``(a + b - 1) / (a - 1) * [1 - (alpha /
    (alpha + t)) ** r * 2F1(r, b; a + b - 1; t / (alpha + t))]``. Summed over a cohort it
    tracks the cohort's purchases week by week (FHL 2005a, fig. 2)."""
    t = np.asarray(t, float)
    a = _off_one(a)
    return (
        (a + b - 1)
        / (a - 1)
        * (1.0 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    )


def _off_one(a: float) -> float:
    """``a``, or ``1 + 1e-7`` where ``a`` is within that of 1: BG/NBD's ``(...) / (a - 1)``
    times a bracket that vanishes with ``a - 1`` is 0/0 at ``a = 1`` itself (a valid model),
    and its limit is within about 1e-7 (relative) of the value beside it."""
    return a if abs(a - 1.0) > 1e-7 else 1.0 + 1e-7


def expected_spend(x, m_x, p: float, q: float, v: float) -> np.ndarray:
    """Expected spend per purchase given ``x`` repeat purchases of mean value ``m_x``:
    Gamma-Gamma, FHL (2005b) eq. (5), ``(p (v + x m_x)) / (p x + q - 1)``; the population
    mean ``p v / (q - 1)`` for a customer without a repeat purchase.

    The formula is a weighted mean, ``w m_x + (1 - w) p v / (q - 1)`` with ``w = p x / (p x
    + q - 1)``, and it is negative for a customer whose repeat orders have a negative mean
    (refunds). The Gamma-Gamma model has no such customer: spends are gamma-distributed,
    so above 0, and the fit leaves out every ``m_x <= 0`` (:mod:`dec.value.fit`). Such a
    customer is valued at ``m_x = 0``, the formula's limit as ``m_x`` falls to 0: the
    population mean's share ``(1 - w)`` alone, small for many repeat orders, never
    negative. Valuing them as a customer without repeat purchases (the population mean)
    would leave out their orders altogether and rank a customer who returned everything
    above one who spent a little; valued at 0, the expected spend rises with ``m_x``
    throughout, without a jump at 0.
    """
    x = np.asarray(x, float)
    repeats = np.where(x > 0, x, 0.0)
    mean = np.maximum(np.nan_to_num(np.asarray(m_x, float), nan=0.0), 0.0)
    return p * (v + repeats * mean) / (p * repeats + q - 1)


def nonpositive_spend(data: pd.DataFrame) -> np.ndarray:
    """Which customers of :func:`rfm`'s ``data`` bought again with a mean repeat spend of
    0 or less: those :func:`expected_spend` values at ``m_x = 0``."""
    return ((data["x"] > 0) & ~(data["m_x"] > 0)).to_numpy()


#: Each purchase model's closed forms: purchases ahead and P(alive).
_PURCHASE_FORMS = {
    "bg_nbd": (expected_purchases, p_alive),
    "pareto_nbd": (pareto_expected_purchases, pareto_p_alive),
}


def _forms(purchases: dict) -> tuple[tuple, dict]:
    kind = model_of(purchases)
    return _PURCHASE_FORMS[kind], {k: purchases[k] for k in MODEL_PARAMETERS[kind]}


def purchases_ahead(t: float, x, t_x, T, purchases: dict) -> np.ndarray:
    """Expected purchases in the next ``t`` weeks under the fitted ``purchases`` part of
    ``value_model.json`` (its ``model`` and parameters; BG/NBD where it names no model)."""
    (ahead, _), params = _forms(purchases)
    return ahead(t, x, t_x, T, **params)


def alive(x, t_x, T, purchases: dict) -> np.ndarray:
    """P(alive) under the fitted ``purchases`` part of ``value_model.json``."""
    (_, still), params = _forms(purchases)
    return still(x, t_x, T, **params)


def monthly_rate(annual_rate: float) -> float:
    """The monthly discount rate equivalent to ``annual_rate``: ``(1 + d) ** (1 / 12) - 1``."""
    return (1.0 + annual_rate) ** (1.0 / 12.0) - 1.0


def discounted_value(
    months: int, annual_rate: float, x, t_x, T, spend, purchases: dict
) -> np.ndarray:
    """CLV over ``months``: each month's expected purchases (under the fitted ``purchases``,
    :func:`purchases_ahead`) times the expected spend, discounted by ``(1 + monthly rate) **
    month`` (pymc-marketing's customer_lifetime_value, with the rate given per year)."""
    # exp(-month log1p(rate)), not (1 + rate) ** month: for a rate such as 1e308 the power
    # overflows (Python raises); the discount factor rightly underflows to 0.
    log_factor, total, before = math.log1p(monthly_rate(annual_rate)), 0.0, 0.0
    for month in range(1, months + 1):
        cumulative = purchases_ahead(month * WEEKS_PER_MONTH, x, t_x, T, purchases)
        total = total + (cumulative - before) * spend * math.exp(-month * log_factor)
        before = cumulative
    return np.asarray(total, float)
