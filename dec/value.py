"""What each customer is worth: future purchases, P(alive), spend per purchase and CLV.

Purchases follow the BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the
easy way", Marketing Science 24(2)), spend per purchase the Gamma-Gamma model (Fader,
Hardie & Lee 2005, "RFM and CLV", JMR 42(4); Colombo & Jiang 1999). Both are fitted by
pymc-marketing (``dec[clv]``, :mod:`dec.value_fit`); the fitted parameters are seven numbers
(``value_model.json`` in the run folder) and everything below is their closed form, so
scoring needs neither pymc nor the purchase log beyond the features the run already makes.

Time is in weeks, as in the papers. From the package's log features: repeat purchases
``x = frequency - 1``, ``t_x = (tenure_days - recency_days) / 7`` (first to last purchase),
``T = tenure_days / 7`` (first purchase to ``as_of``) and the mean repeat order value
``m_x = (total_spend - first_order_value) / x``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import hyp2f1

from dec.errors import DataError

#: The log features the models read (dec/data/transactions.py, dec/data/log_queries.py).
RFM_FEATURES = ("frequency", "recency_days", "tenure_days", "total_spend", "first_order_value")
#: Weeks in a month of CLV's monthly discounting, as pymc-marketing's customer_lifetime_value.
WEEKS_PER_MONTH = 4.345
#: The columns :func:`customer_value` adds, in order.
VALUE_COLUMNS = ("expected_purchases", "p_alive", "expected_spend", "clv")
#: Each model's parameters, by its part of ``value_model.json``.
PARAMETERS = {"purchases": ("r", "alpha", "a", "b"), "spend": ("p", "q", "v")}


def parameters(model: dict, part: str) -> dict[str, float]:
    """The ``part`` (``"purchases"`` or ``"spend"``) of a fitted ``model`` as keyword
    arguments of :func:`expected_purchases` / :func:`p_alive` or :func:`expected_spend`."""
    return {name: model[part][name] for name in PARAMETERS[part]}


def rfm(features: pd.DataFrame) -> pd.DataFrame:
    """``x``, ``t_x``, ``T`` (weeks) and ``m_x`` (NaN without a repeat purchase) per customer."""
    missing = [c for c in RFM_FEATURES if c not in features.columns]
    if missing:
        raise DataError(f"customer value needs a purchase log: the features lack "
                        f"{', '.join(missing)}; train on a log ({{data.format}} transactions)")
    x = features["frequency"].to_numpy(float) - 1.0
    repeat_spend = (features["total_spend"] - features["first_order_value"]).to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        m_x = np.where(x > 0, repeat_spend / np.maximum(x, 1.0), np.nan)
    tenure = features["tenure_days"].to_numpy(float)
    return pd.DataFrame({"x": x, "t_x": (tenure - features["recency_days"].to_numpy(float)) / 7,
                         "T": tenure / 7, "m_x": m_x}, index=features.index)


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


def expected_purchases(t: float, x, t_x, T, r: float, alpha: float, a: float,
                       b: float) -> np.ndarray:
    """Expected purchases in the next ``t`` weeks given ``(x, t_x, T)``: FHL (2005a) eq. (10).

    ``(a + b + x - 1) / (a - 1) * [1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
    * 2F1(r + x, b + x; a + b + x - 1; z)] / (1 + dropout odds)``, ``z = t / (alpha + T + t)``.
    The bracket is computed after Euler's transformation, ``2F1(p, q; c; z) = (1 - z) **
    (c - p - q) 2F1(c - p, c - q; c; z)``, as ``1 - (1 - z) ** (a - 1) * 2F1(a + b - 1 - r,
    a - 1; a + b + x - 1; z)``: for a heavy buyer the original power underflows while the
    series overflows (Fader & Hardie's "#NUM!" problem); this form has neither.
    """
    x, T = np.asarray(x, float), np.asarray(T, float)
    z = t / (alpha + T + t)
    bracket = 1.0 - (1.0 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    return (a + b + x - 1) / (a - 1) * bracket * p_alive(x, t_x, T, r, alpha, a, b)


def purchases_since_first(t, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """Expected repeat purchases in the first ``t`` weeks after a customer's first purchase,
    knowing nothing else: FHL (2005a) eq. (9), ``(a + b - 1) / (a - 1) * [1 - (alpha /
    (alpha + t)) ** r * 2F1(r, b; a + b - 1; t / (alpha + t))]``. Summed over a cohort it
    tracks the cohort's purchases week by week (FHL 2005a, fig. 2)."""
    t = np.asarray(t, float)
    return (a + b - 1) / (a - 1) * (1.0 - (alpha / (alpha + t)) ** r
                                    * hyp2f1(r, b, a + b - 1, t / (alpha + t)))


def expected_spend(x, m_x, p: float, q: float, v: float) -> np.ndarray:
    """Expected spend per purchase given ``x`` repeat purchases of mean value ``m_x``:
    Gamma-Gamma, FHL (2005b) eq. (5), ``(p (v + x m_x)) / (p x + q - 1)``; the population
    mean ``p v / (q - 1)`` for a customer without a repeat purchase."""
    x = np.asarray(x, float)
    m_x = np.nan_to_num(np.asarray(m_x, float), nan=0.0)
    return p * (v + np.where(x > 0, x, 0.0) * m_x) / (p * np.where(x > 0, x, 0.0) + q - 1)


def monthly_rate(annual_rate: float) -> float:
    """The monthly discount rate equivalent to ``annual_rate``: ``(1 + d) ** (1 / 12) - 1``."""
    return (1.0 + annual_rate) ** (1.0 / 12.0) - 1.0


def discounted_value(months: int, annual_rate: float, x, t_x, T, spend,
                     purchases: dict) -> np.ndarray:
    """CLV over ``months``: each month's expected purchases times the expected spend,
    discounted by ``(1 + monthly rate) ** month`` (pymc-marketing's customer_lifetime_value,
    with the rate given per year)."""
    rate, total, before = monthly_rate(annual_rate), 0.0, 0.0
    for month in range(1, months + 1):
        cumulative = expected_purchases(month * WEEKS_PER_MONTH, x, t_x, T, **purchases)
        total = total + (cumulative - before) * spend / (1.0 + rate) ** month
        before = cumulative
    return np.asarray(total, float)


def customer_value(features: pd.DataFrame, model: dict, months: int,
                   annual_rate: float) -> pd.DataFrame:
    """The four value columns for customers' log features under a fitted ``model``
    (``value_model.json``): purchases in the next ``months``, P(alive), expected spend per
    purchase and CLV, indexed like ``features``."""
    data = rfm(features)
    purchases = parameters(model, "purchases")
    spend = expected_spend(data["x"], data["m_x"], **parameters(model, "spend"))
    horizon = months * WEEKS_PER_MONTH
    return pd.DataFrame({
        "expected_purchases": expected_purchases(horizon, data["x"], data["t_x"], data["T"],
                                                 **purchases),
        "p_alive": p_alive(data["x"], data["t_x"], data["T"], **purchases),
        "expected_spend": spend,
        "clv": discounted_value(months, annual_rate, data["x"], data["t_x"], data["T"], spend,
                                purchases),
    }, index=features.index)


def value_arrays(features: pd.DataFrame, settings: dict) -> dict[str, np.ndarray]:
    """The four value columns under ``value_model.json``'s ``settings`` (its horizon and
    rate), as arrays in the order of ``features``: what export, predict and migrate add."""
    worth = customer_value(features, settings, settings["months"], settings["discount_rate"])
    return {name: worth[name].to_numpy() for name in VALUE_COLUMNS}


def parse_horizon(text: str) -> int:
    """Months in a horizon written ``12M`` or ``1Y`` (``--clv-horizon``)."""
    text = str(text).strip().upper()
    unit = {"M": 1, "Y": 12}.get(text[-1:]) if text else None
    number = text[:-1]
    if unit is None or not number.isdigit() or not 1 <= int(number) * unit <= 120:
        raise DataError(f"--clv-horizon {text!r} is not a horizon; write months or years, "
                        "e.g. 12M or 2Y (at most 10 years)")
    return int(number) * unit
