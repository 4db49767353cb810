"""Fitting the customer-value models with pymc-marketing (the ``dec[clv]`` extra): BG/NBD
for purchases, Gamma-Gamma for spend per purchase, both by MAP on the customers' features
up to ``as_of``. The result is ``value_model.json``'s content; :mod:`dec.value` scores with it.
"""

from __future__ import annotations

import logging
import time
import warnings

import numpy as np
import pandas as pd

from dec.errors import ConfigError, DataError
from dec.value import rfm

log = logging.getLogger("dec")

#: Below this many customers with a repeat purchase the spend model has nothing to learn from.
MIN_REPEAT_CUSTOMERS = 20


def _clv_module():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # arviz and pymc announce their refactors on import
            from pymc_marketing import clv
    except ImportError:
        raise ConfigError("customer value needs pymc-marketing, which is not installed; "
                          "install it with: pip install 'dec[clv]'") from None
    return clv


def _map(model, data: pd.DataFrame) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("pymc").setLevel(logging.ERROR)
        model.fit(data, method="map", progressbar=False)
    # Not fit_summary(): it rounds to three decimals.
    return {name: float(values.values.ravel()[0]) for name, values
            in model.idata.posterior.data_vars.items()}


def fit_value_model(features: pd.DataFrame) -> dict:
    """MAP fits of BG/NBD and Gamma-Gamma on customers' log features up to ``as_of``.

    Parameters
    ----------
    features : DataFrame
        The package's log features (:data:`dec.value.RFM_FEATURES`), one row per customer.

    Returns
    -------
    dict
        ``{"purchases": {"model": "bg_nbd", "r", "alpha", "a", "b"}, "spend": {"model":
        "gamma_gamma", "p", "q", "v"}, ...}`` with the customers each saw and the fit time.
    """
    clv = _clv_module()
    data = rfm(features)
    # Gamma-Gamma needs a positive mean value of repeat purchases (FHL 2005b).
    spenders = data[(data["x"] > 0) & (data["m_x"] > 0)]
    if len(spenders) < MIN_REPEAT_CUSTOMERS:
        raise DataError(f"only {len(spenders)} customers bought more than once before as_of; "
                        f"the spend model needs at least {MIN_REPEAT_CUSTOMERS}: choose a later "
                        "{data.as_of} or a longer log")
    start = time.perf_counter()
    purchases = _map(clv.BetaGeoModel(), pd.DataFrame({
        "customer_id": np.arange(len(data)), "frequency": data["x"].to_numpy(),
        "recency": data["t_x"].to_numpy(), "T": data["T"].to_numpy()}))
    spend = _map(clv.GammaGammaModel(), pd.DataFrame({
        "customer_id": np.arange(len(spenders)), "frequency": spenders["x"].to_numpy(),
        "monetary_value": spenders["m_x"].to_numpy()}))
    import pymc_marketing

    return {
        "purchases": {"model": "bg_nbd", **{k: float(purchases[k]) for k in ("r", "alpha",
                                                                             "a", "b")}},
        "spend": {"model": "gamma_gamma", **{k: float(spend[k]) for k in ("p", "q", "v")}},
        "time_unit": "week", "method": "map", "customers": int(len(data)),
        "repeat_customers": int(len(spenders)),
        "fitted_with": f"pymc-marketing {pymc_marketing.__version__}",
        "fit_seconds": time.perf_counter() - start,
    }
