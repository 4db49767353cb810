"""The settings ``value_model.json`` keeps and the flags that set them: which model each part
was fitted with and its parameters, the horizon and the discount rate, and the check that a
file's models would score (:func:`settings_problem`).
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np

from dec.errors import DataError

#: Each model's parameters, by its name in ``value_model.json``.
MODEL_PARAMETERS = {
    "bg_nbd": ("r", "alpha", "a", "b"),
    "pareto_nbd": ("r", "alpha", "s", "beta"),
    "gamma_gamma": ("p", "q", "v"),
}


#: The models of the purchases part (the spend part is always Gamma-Gamma).
PURCHASE_MODELS = ("bg_nbd", "pareto_nbd")
#: The model of each part of ``value_model.json`` where it names none.
DEFAULT_MODELS = {"purchases": "bg_nbd", "spend": "gamma_gamma"}


def parameters(model: dict, part: str) -> dict[str, float]:
    """The ``part`` (``"purchases"`` or ``"spend"``) of a fitted ``model`` as keyword
    arguments of its closed forms (e.g. :func:`expected_purchases`, :func:`expected_spend`)."""
    return {name: model[part][name] for name in MODEL_PARAMETERS[model_of(model[part], part)]}


def model_of(fitted: dict, part: str = "purchases") -> str:
    """The model a part of ``value_model.json`` was fitted with (``"bg_nbd"``, ...)."""
    return fitted.get("model", DEFAULT_MODELS[part])


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
    for part, known in (("purchases", PURCHASE_MODELS), ("spend", ("gamma_gamma",))):
        fitted = settings.get(part)
        if not isinstance(fitted, dict):
            return f"{part!r} is {'missing' if fitted is None else 'not an object'}"
        kind = fitted.get("model", DEFAULT_MODELS[part])
        if kind not in known:
            return f"{part}.model {shown_value(kind)} is not one of {', '.join(known)}"
        for name in MODEL_PARAMETERS[kind]:
            number = fitted.get(name)
            if not (_is_number(number) and math.isfinite(number) and number > 0):
                return f"{part}.{name} is {shown_value(number)}, not a finite number above 0"
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
        return f"horizon is {shown_value(horizon)}, not a horizon such as 12M or 2Y"
    if not (isinstance(months, (int, np.integer)) and _is_number(months) and months == length):
        return f"months is {shown_value(months)}, but the horizon {horizon} is {length} months"
    rate = settings.get("discount_rate")
    if not (_is_number(rate) and math.isfinite(rate) and rate >= 0):
        return f"discount_rate is {shown_value(rate)}, not a finite yearly rate of at least 0"
    return None


def _is_number(value) -> bool:
    # JSON true is a Python bool, and bool an int: not a parameter.
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def shown_value(value) -> str:
    """A value of the file as a message shows it: null, true and false as JSON writes them,
    anything else as Python's repr (``'abc'``, ``nan``, ``inf``)."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return repr(value.item() if isinstance(value, np.generic) else value)


def _json_type(value) -> str:
    return {list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )
