"""Fitting the customer-value models with pymc-marketing (the ``dec[clv]`` extra): BG/NBD
for purchases, Gamma-Gamma for spend per purchase, both by MAP on the customers' features
up to ``as_of``. The result is ``value_model.json``'s content; :mod:`dec.value` scores with it.
"""

from __future__ import annotations

import logging
import os
import time
import warnings

import numpy as np
import pandas as pd

from dec.errors import ConfigError, DataError
from dec.value import PARAMETERS, rfm

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


#: Posterior draws kept in value_model.json (thinned): enough for a 90 % interval.
KEPT_DRAWS = 200
#: NUTS settings of the full posterior: 2 chains of 500 draws after 500 tuning steps.
SAMPLER = {"draws": 500, "tune": 500, "chains": 2}


def _fit(model, data: pd.DataFrame, method: str, seed: int) -> tuple[dict, dict | None]:
    """Point estimates (the MAP, or the posterior means) and, for ``"mcmc"``, the thinned
    posterior draws of each parameter."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("pymc").setLevel(logging.ERROR)
        if method == "mcmc":
            model.fit(data, method="mcmc", progressbar=False, random_seed=seed,
                      cores=min(2, os.cpu_count() or 1), **SAMPLER)
        else:
            model.fit(data, method="map", progressbar=False)
    posterior = model.idata.posterior
    # Not fit_summary(): it rounds to three decimals.
    point = {name: float(values.mean()) for name, values in posterior.data_vars.items()}
    if method != "mcmc":
        return point, None
    every = max(1, posterior.sizes["chain"] * posterior.sizes["draw"] // KEPT_DRAWS)
    draws = {name: values.values.ravel()[::every][:KEPT_DRAWS].tolist()
             for name, values in posterior.data_vars.items()}
    return point, draws


def fit_value_model(features: pd.DataFrame, method: str = "map", seed: int = 0) -> dict:
    """Fits of BG/NBD and Gamma-Gamma on customers' log features up to ``as_of``.

    Parameters
    ----------
    features : DataFrame
        The package's log features (:data:`dec.value.RFM_FEATURES`), one row per customer.
    method : {"map", "mcmc"}, default="map"
        The posterior's mode (seconds), or the full posterior by NUTS (:data:`SAMPLER`,
        about 20 s on CDNOW): its means score, its draws give each segment an interval.
    seed : int, default=0
        The sampler's seed.

    Returns
    -------
    dict
        ``{"purchases": {"model": "bg_nbd", "r", "alpha", "a", "b"}, "spend": {"model":
        "gamma_gamma", "p", "q", "v"}, ...}`` with the customers each saw, the fit time and,
        for ``"mcmc"``, ``draws`` (:data:`KEPT_DRAWS` of each parameter).
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
    purchases, purchase_draws = _fit(clv.BetaGeoModel(), pd.DataFrame({
        "customer_id": np.arange(len(data)), "frequency": data["x"].to_numpy(),
        "recency": data["t_x"].to_numpy(), "T": data["T"].to_numpy()}), method, seed)
    spend, spend_draws = _fit(clv.GammaGammaModel(), pd.DataFrame({
        "customer_id": np.arange(len(spenders)), "frequency": spenders["x"].to_numpy(),
        "monetary_value": spenders["m_x"].to_numpy()}), method, seed)
    import pymc_marketing

    fitted = {}
    if purchase_draws is not None:
        fitted["draws"] = {"purchases": {k: purchase_draws[k] for k in PARAMETERS["purchases"]},
                           "spend": {k: spend_draws[k] for k in PARAMETERS["spend"]}}
    return {
        "purchases": {"model": "bg_nbd", **{k: purchases[k] for k in PARAMETERS["purchases"]}},
        "spend": {"model": "gamma_gamma", **{k: spend[k] for k in PARAMETERS["spend"]}},
        **fitted, "time_unit": "week", "method": method, "customers": int(len(data)),
        "repeat_customers": int(len(spenders)),
        "fitted_with": f"pymc-marketing {pymc_marketing.__version__}",
        "fit_seconds": time.perf_counter() - start,
    }
