"""What each customer is worth: future purchases, P(alive), spend per purchase and CLV.

Purchases follow the BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the
easy way", Marketing Science 24(2)) or the Pareto/NBD (Schmittlein, Morrison & Colombo 1987;
in the form of Fader & Hardie 2005, "A note on deriving the Pareto/NBD model and related
expressions"), spend per purchase the Gamma-Gamma model (Fader, Hardie & Lee 2005, "RFM and
CLV", JMR 42(4); Colombo & Jiang 1999). They are fitted by pymc-marketing (``dec[clv]``,
:mod:`dec.value_fit`); the fitted parameters are seven numbers (``value_model.json`` in the
run folder) and everything below is their closed form, so scoring needs neither pymc nor
the purchase log beyond the features the run already makes.

Time is in weeks, as in the papers. From the package's log features: repeat purchases
``x = frequency - 1``, ``t_x = (tenure_days - recency_days) / 7`` (first to last purchase),
``T = tenure_days / 7`` (first purchase to ``as_of``) and the mean repeat order value
``m_x = (total_spend - first_order_value) / x``.
"""

from __future__ import annotations

import json
import math
import warnings

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
#: Each model's parameters, by its name in ``value_model.json``.
MODEL_PARAMETERS = {"bg_nbd": ("r", "alpha", "a", "b"), "pareto_nbd": ("r", "alpha", "s", "beta"),
                    "gamma_gamma": ("p", "q", "v")}
#: The model of each part of ``value_model.json`` where it names none.
DEFAULT_MODELS = {"purchases": "bg_nbd", "spend": "gamma_gamma"}


def parameters(model: dict, part: str) -> dict[str, float]:
    """The ``part`` (``"purchases"`` or ``"spend"``) of a fitted ``model`` as keyword
    arguments of its closed forms (e.g. :func:`expected_purchases`, :func:`expected_spend`)."""
    return {name: model[part][name] for name in MODEL_PARAMETERS[model_of(model[part], part)]}


def model_of(fitted: dict, part: str = "purchases") -> str:
    """The model a part of ``value_model.json`` was fitted with (``"bg_nbd"``, ...)."""
    return fitted.get("model", DEFAULT_MODELS[part])


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
    a = _off_one(a)
    z = t / (alpha + T + t)
    bracket = 1.0 - (1.0 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    return (a + b + x - 1) / (a - 1) * bracket * p_alive(x, t_x, T, r, alpha, a, b)


def pareto_dropout_odds(x, t_x, T, r: float, alpha: float, s: float,
                        beta: float) -> np.ndarray:
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
        return ((1.0 - b2) * (np.log(small + y) - np.log(big + y))
                + np.log(hyp2f1(1.0, rho + 1.0 - b2, rho + 1.0, z)) - rho * np.log(big + y))

    level = (r + x) * np.log(alpha + T) + s * np.log(beta + T)
    upper, lower = level + log_term(t_x), level + log_term(T)
    with np.errstate(over="ignore"):
        return s / rho * np.exp(upper) * -np.expm1(lower - upper)


def pareto_p_alive(x, t_x, T, r: float, alpha: float, s: float, beta: float) -> np.ndarray:
    """P(alive | x, t_x, T) under the Pareto/NBD: ``1 / (1 + dropout odds)``
    (:func:`pareto_dropout_odds`); below 1 even without a repeat purchase, since a Pareto/NBD
    customer may leave at any time."""
    return 1.0 / (1.0 + pareto_dropout_odds(x, t_x, T, r, alpha, s, beta))


def pareto_expected_purchases(t: float, x, t_x, T, r: float, alpha: float, s: float,
                              beta: float) -> np.ndarray:
    """Expected purchases in the next ``t`` weeks under the Pareto/NBD: ``P(alive) (r + x)
    (beta + T) / ((alpha + T) (s - 1)) [1 - ((beta + T) / (beta + T + t)) ** (s - 1)]``
    (Fader & Hardie's note), the bracket over ``s - 1`` taken as ``-expm1(-(s - 1) log1p(t /
    (beta + T))) / (s - 1)``, whose limit at ``s = 1`` is ``log1p(t / (beta + T))``."""
    x, T = np.asarray(x, float), np.asarray(T, float)
    u = np.log1p(t / (beta + T))
    ahead = u if abs(s - 1.0) < 1e-9 else -np.expm1(-(s - 1.0) * u) / (s - 1.0)
    return (pareto_p_alive(x, t_x, T, r, alpha, s, beta) * (r + x) * (beta + T) / (alpha + T)
            * ahead)


def purchases_since_first(t, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """Expected repeat purchases in the first ``t`` weeks after a customer's first purchase,
    knowing nothing else: FHL (2005a) eq. (9), ``(a + b - 1) / (a - 1) * [1 - (alpha /
    (alpha + t)) ** r * 2F1(r, b; a + b - 1; t / (alpha + t))]``. Summed over a cohort it
    tracks the cohort's purchases week by week (FHL 2005a, fig. 2)."""
    t = np.asarray(t, float)
    a = _off_one(a)
    return (a + b - 1) / (a - 1) * (1.0 - (alpha / (alpha + t)) ** r
                                    * hyp2f1(r, b, a + b - 1, t / (alpha + t)))


def _off_one(a: float) -> float:
    """``a``, or ``1 + 1e-7`` where ``a`` is within that of 1: BG/NBD's ``(...) / (a - 1)``
    times a bracket that vanishes with ``a - 1`` is 0/0 at ``a = 1`` itself (a valid model),
    and its limit is within about 1e-7 (relative) of the value beside it."""
    return a if abs(a - 1.0) > 1e-7 else 1.0 + 1e-7


def expected_spend(x, m_x, p: float, q: float, v: float) -> np.ndarray:
    """Expected spend per purchase given ``x`` repeat purchases of mean value ``m_x``:
    Gamma-Gamma, FHL (2005b) eq. (5), ``(p (v + x m_x)) / (p x + q - 1)``; the population
    mean ``p v / (q - 1)`` for a customer without a repeat purchase."""
    x = np.asarray(x, float)
    m_x = np.nan_to_num(np.asarray(m_x, float), nan=0.0)
    return p * (v + np.where(x > 0, x, 0.0) * m_x) / (p * np.where(x > 0, x, 0.0) + q - 1)


#: Each purchase model's closed forms: purchases ahead and P(alive).
_PURCHASE_FORMS = {"bg_nbd": (expected_purchases, p_alive),
                   "pareto_nbd": (pareto_expected_purchases, pareto_p_alive)}


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


def discounted_value(months: int, annual_rate: float, x, t_x, T, spend,
                     purchases: dict) -> np.ndarray:
    """CLV over ``months``: each month's expected purchases (under the fitted ``purchases``,
    :func:`purchases_ahead`) times the expected spend, discounted by ``(1 + monthly rate) **
    month`` (pymc-marketing's customer_lifetime_value, with the rate given per year)."""
    rate, total, before = monthly_rate(annual_rate), 0.0, 0.0
    for month in range(1, months + 1):
        cumulative = purchases_ahead(month * WEEKS_PER_MONTH, x, t_x, T, purchases)
        total = total + (cumulative - before) * spend / (1.0 + rate) ** month
        before = cumulative
    return np.asarray(total, float)


def customer_value(features: pd.DataFrame, model: dict, months: int,
                   annual_rate: float) -> pd.DataFrame:
    """The four value columns for customers' log features under a fitted ``model``
    (``value_model.json``): purchases in the next ``months``, P(alive), expected spend per
    purchase and CLV, indexed like ``features``."""
    data = rfm(features)
    purchases = model["purchases"]
    spend = expected_spend(data["x"], data["m_x"], **parameters(model, "spend"))
    horizon = months * WEEKS_PER_MONTH
    return pd.DataFrame({
        "expected_purchases": purchases_ahead(horizon, data["x"], data["t_x"], data["T"],
                                              purchases),
        "p_alive": alive(data["x"], data["t_x"], data["T"], purchases),
        "expected_spend": spend,
        "clv": discounted_value(months, annual_rate, data["x"], data["t_x"], data["T"], spend,
                                purchases),
    }, index=features.index)


def value_arrays(features: pd.DataFrame, settings: dict) -> dict[str, np.ndarray]:
    """The four value columns under ``value_model.json``'s ``settings`` (its horizon and
    rate), as arrays in the order of ``features``: what export, predict and migrate add."""
    worth = customer_value(features, settings, settings["months"], settings["discount_rate"])
    # Valid parameters can still be extreme enough (1e300) to overflow: say so, not inf.
    bad = ~np.isfinite(worth.to_numpy(float)).all(axis=1)
    if bad.any():
        raise DataError(f"the value models give {bad.sum():,} customer(s) a value that is not "
                        f"a finite number (e.g. id {worth.index[bad][0]!r}); value_model.json "
                        "holds extreme parameters: fit it again with scripts/test.py --clv")
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


def check_discount_rate(rate) -> float:
    """``rate`` (``--discount-rate``, a yearly fraction) as a float, checked before any work.

    Raises
    ------
    DataError
        Unless it is a finite number of at least 0: NaN, infinite or negative rates give
        NaN, zero or infinite values (``-1`` divides by zero).

    Warns
    -----
    UserWarning
        Above 1 (more than 100 % a year): possible, but more likely a percentage (10 for
        10 %).
    """
    given = rate
    try:
        rate = float(rate if _is_number(rate) else str(rate).strip())
    except ValueError:
        rate = math.nan
    if not math.isfinite(rate) or rate < 0:
        raise DataError(f"--discount-rate {given!r} is not a yearly discount rate; give "
                        "a finite number of at least 0, e.g. 0.10 for 10 % a year")
    if rate > 1:
        warnings.warn(f"--discount-rate {rate:g} discounts future spend by {100 * rate:g} % a "
                      "year; if you meant a percentage, give it as a fraction (0.10 for 10 %)")
    return rate


def settings_problem(settings) -> str | None:
    """What makes ``value_model.json``'s content ``settings`` unusable, naming the key; None
    when it scores.

    The parts ``purchases`` and ``spend`` of known models (:data:`MODEL_PARAMETERS`), every
    parameter a finite number above 0 (each is a gamma's shape or scale or a beta's shape)
    and Gamma-Gamma's ``q`` above 1: the mean spend of a customer without repeat
    purchases, ``p v / (q - 1)``, is infinite at 1 and negative below, and ``p x + q - 1``
    can be too. The ``horizon`` parses, ``months`` is its length, and ``discount_rate`` is
    finite and at least 0.
    """
    if not isinstance(settings, dict):
        return f"it holds a JSON {_json_type(settings)}, not an object"
    for part, known in (("purchases", tuple(_PURCHASE_FORMS)), ("spend", ("gamma_gamma",))):
        fitted = settings.get(part)
        if not isinstance(fitted, dict):
            return f"{part!r} is {'missing' if fitted is None else 'not an object'}"
        kind = fitted.get("model", DEFAULT_MODELS[part])
        if kind not in known:
            return f"{part}.model {_shown(kind)} is not one of {', '.join(known)}"
        for name in MODEL_PARAMETERS[kind]:
            number = fitted.get(name)
            if not (_is_number(number) and math.isfinite(number) and number > 0):
                return f"{part}.{name} is {_shown(number)}, not a finite number above 0"
    if settings["spend"]["q"] <= 1:
        return (f"spend.q is {settings['spend']['q']!r}; Gamma-Gamma needs q above 1 for a "
                "finite mean spend per purchase")
    horizon, months = settings.get("horizon"), settings.get("months")
    try:
        length = parse_horizon(horizon) if isinstance(horizon, str) else None
    except DataError:
        length = None
    if length is None:
        return f"horizon is {_shown(horizon)}, not a horizon such as 12M or 2Y"
    if not (isinstance(months, (int, np.integer)) and _is_number(months) and months == length):
        return f"months is {_shown(months)}, but the horizon {horizon} is {length} months"
    rate = settings.get("discount_rate")
    if not (_is_number(rate) and math.isfinite(rate) and rate >= 0):
        return f"discount_rate is {_shown(rate)}, not a finite yearly rate of at least 0"
    return None


def _is_number(value) -> bool:
    # JSON true is a Python bool, and bool an int: not a parameter.
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))


def _shown(value) -> str:
    """A value of the file as a message shows it: null, true and false as JSON writes them,
    anything else as Python's repr (``'abc'``, ``nan``, ``inf``)."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return repr(value.item() if isinstance(value, np.generic) else value)


def _json_type(value) -> str:
    return {list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")
