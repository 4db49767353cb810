"""What each customer is worth: future purchases, P(alive), spend per purchase and CLV.

Purchases follow the BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the
easy way", Marketing Science 24(2)) or the Pareto/NBD (Schmittlein, Morrison & Colombo 1987;
in the form of Fader & Hardie 2005, "A note on deriving the Pareto/NBD model and related
expressions"), spend per purchase the Gamma-Gamma model (Fader, Hardie & Lee 2005, "RFM and
CLV", JMR 42(4); Colombo & Jiang 1999). They are fitted by pymc-marketing (``dec[clv]``,
:mod:`dec.value.fit`); the fitted parameters are seven numbers (``value_model.json`` in the
run folder) and everything below is their closed form, so scoring needs neither pymc nor
the purchase log beyond the features the run already makes.

Time is in weeks, as in the papers. From the package's log features: repeat purchases
``x = frequency - 1``, ``t_x = (tenure_days - recency_days) / 7`` (first to last purchase),
``T = tenure_days / 7`` (first purchase to ``as_of``) and the mean repeat order value
``m_x = (total_spend - first_order_value) / x``. Features no purchase log gives (no orders,
a last order before the first) are refused in one line (:func:`features_problem`); repeat
orders that average 0 or less (refunds) are valued as averaging 0 (:func:`expected_spend`).
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
from scipy.special import hyp2f1

from dec.errors import DataError

#: The log features the models read (dec/data/logs/transactions.py, dec/data/logs/queries.py).
RFM_FEATURES = ("frequency", "recency_days", "tenure_days", "total_spend", "first_order_value")
#: Weeks in a month of CLV's monthly discounting, as pymc-marketing's customer_lifetime_value.
WEEKS_PER_MONTH = 4.345
#: The columns :func:`customer_value` adds, in order.
VALUE_COLUMNS = ("expected_purchases", "p_alive", "expected_spend", "clv")
#: Each model's parameters, by its name in ``value_model.json``.
MODEL_PARAMETERS = {
    "bg_nbd": ("r", "alpha", "a", "b"),
    "pareto_nbd": ("r", "alpha", "s", "beta"),
    "gamma_gamma": ("p", "q", "v"),
}
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
    """``x``, ``t_x``, ``T`` (weeks) and ``m_x`` (NaN without a repeat purchase) per customer.

    Raises
    ------
    DataError
        Without the log features, or where they are not what a purchase log gives
        (:func:`features_problem`): in one line naming the column, how many customers and
        one of them. The closed forms would give such a customer negative purchases or a
        negative "time since the last purchase" without a word.
    """
    missing = [c for c in RFM_FEATURES if c not in features.columns]
    if missing:
        raise DataError(
            f"customer value needs a purchase log: the features lack "
            f"{', '.join(missing)}; train on a log ({{data.format}} transactions)"
        )
    problem = features_problem(features)
    if problem is not None:
        raise DataError(problem)
    numbers = _numbers(features)
    x = numbers["frequency"].to_numpy(float) - 1.0
    repeat_spend = (numbers["total_spend"] - numbers["first_order_value"]).to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        m_x = np.where(x > 0, repeat_spend / np.maximum(x, 1.0), np.nan)
    tenure = numbers["tenure_days"].to_numpy(float)
    return pd.DataFrame(
        {
            "x": x,
            "t_x": (tenure - numbers["recency_days"].to_numpy(float)) / 7,
            "T": tenure / 7,
            "m_x": m_x,
        },
        index=features.index,
    )


def _numbers(features: pd.DataFrame) -> pd.DataFrame:
    """The log features as floats; what does not read as a number is NaN."""
    return pd.DataFrame(
        {c: pd.to_numeric(features[c], errors="coerce").astype(float) for c in RFM_FEATURES},
        index=features.index,
    )


#: What a purchase log's features always are, and the models assume: each rule is the
#: column, the customers who break it (as pandas finds them, and as a Spark SQL condition
#: for :func:`spark_checked_features`, ``{column}`` standing for the column as a double),
#: what is wrong and what the column means. Missing and infinite values are checked first,
#: so the comparisons see numbers.
FEATURE_RULES = (
    (
        "frequency",
        lambda f: (f["frequency"] < 1) | (f["frequency"] % 1 != 0),
        "{frequency} < 1 OR {frequency} % 1 != 0",
        "is not a whole number of at least 1",
        "it counts a customer's orders, the first included",
    ),
    (
        "tenure_days",
        lambda f: f["tenure_days"] < 0,
        "{tenure_days} < 0",
        "is negative",
        "it counts the days from the first order to the date scored",
    ),
    (
        "recency_days",
        lambda f: f["recency_days"] < 0,
        "{recency_days} < 0",
        "is negative",
        "it counts the days from the last order to the date scored",
    ),
    (
        "recency_days",
        lambda f: f["recency_days"] > f["tenure_days"],
        "{recency_days} > {tenure_days}",
        "is above tenure_days",
        "the last order cannot come before the first",
    ),
)
#: How each message of :func:`features_problem` (and :func:`spark_checked_features`) ends:
#: where features that hold are made.
_FROM_A_LOG = "customer value needs the features a purchase log gives: "
_FIX = "score the log itself with --transactions"
_FIX_SPARK = "compute them from the log with dec.spark.customer_features"


def features_problem(features: pd.DataFrame) -> str | None:
    """Why customers' log features (:data:`RFM_FEATURES`) cannot be valued, in one line
    naming the column, how many customers break it and one of their ids; None when every
    customer can be.

    Every value a finite number, then :data:`FEATURE_RULES`: ``frequency`` a whole number
    of at least 1 and ``0 <= recency_days <= tenure_days``. ``total_spend`` and
    ``first_order_value`` need only be finite: refunds make either one, or the repeat
    orders' mean, 0 or negative in a real log (:func:`expected_spend` reads that).
    """
    numbers = _numbers(features)
    for column in RFM_FEATURES:
        bad = ~np.isfinite(numbers[column].to_numpy())
        if bad.any():
            first = features[column].to_numpy()[bad][0]
            return (
                f"{column} is empty or not a finite number for {bad.sum():,} customer(s) "
                f"(e.g. id {_shown(features.index[bad][0])}: {_shown(first)}); "
                f"{_FROM_A_LOG}{_FIX}"
            )
    for column, broken, condition, what, meaning in FEATURE_RULES:
        bad = broken(numbers).to_numpy(bool)
        if bad.any():
            example = numbers[bad].iloc[0]
            shown = ", ".join(
                f"{c} {example[c]:g}" for c in RFM_FEATURES if f"{{{c}}}" in condition
            )
            return (
                f"{column} {what} for {bad.sum():,} customer(s) (e.g. id "
                f"{_shown(features.index[bad][0])}: {shown}): {meaning}; {_FROM_A_LOG}"
                f"{_FIX}"
            )
    return None


def spark_checked_features(spark_df, id_column: str):
    """``spark_df`` (customers on Spark, e.g. for :func:`dec.spark.score`) with its log
    features checked by :data:`FEATURE_RULES` as they are read: a customer who breaks one
    raises Spark's one-line error (``raise_error``, a ``SparkRuntimeException``) naming the
    column and the customer when the result is computed, instead of a Python traceback
    from inside the scoring workers. Missing features: DataError here, before any job.
    Null values are refused too; text and infinite values are the caller's to refuse
    (:func:`dec.spark._checked_customers` does).
    """
    from pyspark.sql import functions as F

    missing = [c for c in RFM_FEATURES if c not in spark_df.columns]
    if missing:
        raise DataError(
            f"customer value needs a purchase log: the customers lack "
            f"{', '.join(missing)}; compute them with dec.spark.customer_features"
        )

    def quoted(name):
        return "`" + name.replace("`", "``") + "`"

    # try_cast: text is the caller's to name (ANSI CAST would fail on it with Spark's own
    # message); here it reads as null.
    number = {c: f"try_cast({quoted(c)} AS DOUBLE)" for c in RFM_FEATURES}
    ident = F.coalesce(F.col(quoted(id_column)).cast("string"), F.lit("?"))

    def error(head: str, shown: list[str], joiner: str):
        """Spark's one-line error: ``head``, the customer's id and the ``shown`` columns'
        values, then ``joiner`` and how to fix it."""
        values = []
        for i, c in enumerate(shown):  # concat is null if any part is: say "null"
            values += [
                F.lit(f"{', ' if i else ''}{c} "),
                F.expr(f"coalesce(CAST({number[c]} AS STRING), 'null')"),
            ]
        return F.raise_error(
            F.concat(
                F.lit(head + " (id '"),
                ident,
                F.lit("': "),
                *values,
                F.lit(f"){joiner}{_FROM_A_LOG}{_FIX_SPARK}"),
            )
        )

    finite = "{c} IS NULL OR isnan({c}) OR abs({c}) = double('inf')"
    checked = {
        c: F.when(
            F.expr(finite.format(c=number[c])),
            error(f"{c} is empty or not a finite number for a customer", [c], "; "),
        )
        for c in RFM_FEATURES
    }
    for column, _, condition, what, meaning in FEATURE_RULES:
        shown = [c for c in RFM_FEATURES if f"{{{c}}}" in condition]
        checked[column] = checked[column].when(
            F.expr(condition.format(**number)),
            error(f"{column} {what} for a customer", shown, f": {meaning}; "),
        )
    return spark_df.select(
        *[
            checked[c].otherwise(F.col(quoted(c))).alias(c) if c in checked else F.col(quoted(c))
            for c in spark_df.columns
        ]
    )


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


def _warn_nonpositive_spend(data: pd.DataFrame) -> None:
    """One line on how many customers :func:`expected_spend` valued at ``m_x = 0``."""
    low = nonpositive_spend(data)
    if low.any():
        warnings.warn(
            f"{low.sum():,} of {len(data):,} customers scored bought again but their repeat "
            f"orders average 0 or less (refunds or free orders; e.g. id "
            f"{_shown(data.index[low][0])}); the spend model knows only positive spends and "
            "values them as if those orders averaged 0, so their expected_spend is a share "
            "of the population's mean spend and never negative; their expected purchases "
            "still count the refunded days as orders",
            stacklevel=2,
        )


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


def customer_value(
    features: pd.DataFrame, model: dict, months: int, annual_rate: float, warn: bool = True
) -> pd.DataFrame:
    """The four value columns for customers' log features under a fitted ``model``
    (``value_model.json``): purchases in the next ``months``, P(alive), expected spend per
    purchase and CLV, indexed like ``features``; with ``warn``, one line on the customers
    whose repeat orders average 0 or less (:func:`expected_spend` values them at 0)."""
    data = rfm(features)
    if warn:
        _warn_nonpositive_spend(data)
    purchases = model["purchases"]
    spend = expected_spend(data["x"], data["m_x"], **parameters(model, "spend"))
    horizon = months * WEEKS_PER_MONTH
    return pd.DataFrame(
        {
            "expected_purchases": purchases_ahead(
                horizon, data["x"], data["t_x"], data["T"], purchases
            ),
            "p_alive": alive(data["x"], data["t_x"], data["T"], purchases),
            "expected_spend": spend,
            "clv": discounted_value(
                months, annual_rate, data["x"], data["t_x"], data["T"], spend, purchases
            ),
        },
        index=features.index,
    )


def value_arrays(features: pd.DataFrame, settings: dict) -> dict[str, np.ndarray]:
    """The four value columns under ``value_model.json``'s ``settings`` (its horizon and
    rate), as arrays in the order of ``features``: what export, predict and migrate add."""
    worth = customer_value(features, settings, settings["months"], settings["discount_rate"])
    # Valid parameters (1e300), or features a log could give but extreme (1e300 orders),
    # can overflow: say so, not inf, with the example's features to tell which it was.
    bad = ~np.isfinite(worth.to_numpy(float)).all(axis=1)
    if bad.any():
        example = features.iloc[np.flatnonzero(bad)[0]]
        shown = ", ".join(f"{c} {_shown(example[c])}" for c in RFM_FEATURES)
        raise DataError(
            f"the value models give {bad.sum():,} customer(s) a value that is not "
            f"a finite number (e.g. id {_shown(worth.index[bad][0])}: {shown}); "
            "value_model.json holds extreme parameters or these features are "
            "extreme: fit it again with scripts/test.py --clv, or check the "
            "features"
        )
    return {name: worth[name].to_numpy() for name in VALUE_COLUMNS}


def parse_horizon(text: str) -> int:
    """Months in a horizon written ``12M`` or ``1Y`` (``--clv-horizon``)."""
    text = str(text).strip().upper()
    unit = {"M": 1, "Y": 12}.get(text[-1:]) if text else None
    number = text[:-1]
    if unit is None or not number.isdigit() or not 1 <= int(number) * unit <= 120:
        raise DataError(
            f"--clv-horizon {text!r} is not a horizon; write months or years, "
            "e.g. 12M or 2Y (at most 10 years)"
        )
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

    Notes
    -----
    No rate above 1 is refused: any bound (100, 1,000) would be arbitrary, since every
    finite rate gives finite values (:func:`discounted_value` discounts in logs, so even
    1e308 gives values near 0, not an overflow). The warning shows the rate as a
    percentage that stays readable however large it is (``1e+310 %``, not ``inf %``).
    """
    given = rate
    try:
        rate = float(rate if _is_number(rate) else str(rate).strip())
    except ValueError:
        rate = math.nan
    if not math.isfinite(rate) or rate < 0:
        raise DataError(
            f"--discount-rate {given!r} is not a yearly discount rate; give "
            "a finite number of at least 0, e.g. 0.10 for 10 % a year"
        )
    if rate > 1:
        warnings.warn(
            f"--discount-rate {rate:g} discounts future spend by {_percent(rate)} % "
            "a year; if you meant a percentage, give it as a fraction (0.10 for 10 %)",
            stacklevel=2,
        )
    return rate


def _percent(rate: float) -> str:
    """``100 * rate`` as ``:g`` writes it, also where the product overflows (rates above
    about 1.8e306): the exponent is raised by 2 instead."""
    percent = 100 * rate
    if math.isfinite(percent):
        return f"{percent:g}"
    mantissa, exponent = f"{rate:e}".split("e")
    return f"{float(mantissa):g}e+{int(exponent) + 2}"


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
        return (
            f"spend.q is {settings['spend']['q']!r}; Gamma-Gamma needs q above 1 for a "
            "finite mean spend per purchase"
        )
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
        value, (bool, np.bool_)
    )


def _shown(value) -> str:
    """A value of the file as a message shows it: null, true and false as JSON writes them,
    anything else as Python's repr (``'abc'``, ``nan``, ``inf``)."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return repr(value.item() if isinstance(value, np.generic) else value)


def _json_type(value) -> str:
    return {list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )
