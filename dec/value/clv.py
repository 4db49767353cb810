"""Each customer's value: the closed forms (:mod:`dec.value.closed_forms`) applied to a run's
log features (:mod:`dec.value.inputs`) with the fitted models of ``value_model.json``
(:mod:`dec.value.settings`): expected purchases, P(alive), expected spend and CLV.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from dec.errors import DataError
from dec.value.closed_forms import (
    WEEKS_PER_MONTH,
    alive,
    discounted_value,
    expected_spend,
    nonpositive_spend,
    purchases_ahead,
)
from dec.value.inputs import RFM_FEATURES, rfm
from dec.value.settings import parameters, shown_value

#: The columns :func:`customer_value` adds, in order.
VALUE_COLUMNS = ("expected_purchases", "p_alive", "expected_spend", "clv")


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
        shown = ", ".join(f"{c} {shown_value(example[c])}" for c in RFM_FEATURES)
        raise DataError(
            f"the value models give {bad.sum():,} customer(s) a value that is not "
            f"a finite number (e.g. id {shown_value(worth.index[bad][0])}: {shown}); "
            "value_model.json holds extreme parameters or these features are "
            "extreme: fit it again with scripts/test.py --clv, or check the "
            "features"
        )
    return {name: worth[name].to_numpy() for name in VALUE_COLUMNS}


def _warn_nonpositive_spend(data: pd.DataFrame) -> None:
    """One line on how many customers :func:`expected_spend` valued at ``m_x = 0``."""
    low = nonpositive_spend(data)
    if low.any():
        warnings.warn(
            f"{low.sum():,} of {len(data):,} customers scored bought again but their repeat "
            f"orders average 0 or less (refunds or free orders; e.g. id "
            f"{shown_value(data.index[low][0])}); the spend model knows only positive spends and "
            "values them as if those orders averaged 0, so their expected_spend is a share "
            "of the population's mean spend and never negative; their expected purchases "
            "still count the refunded days as orders",
            stacklevel=2,
        )
