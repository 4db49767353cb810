"""Fitting the customer-value models with pymc-marketing (the ``dec[clv]`` extra): BG/NBD
or Pareto/NBD for purchases, Gamma-Gamma for spend per purchase, by MAP (or NUTS) on the
customers' features up to ``as_of``; and choosing the purchase model on the log's own
hold-back. The result is ``value_model.json``'s content; :mod:`dec.value.closed_forms` scores with it.
"""

from __future__ import annotations

import logging
import os
import time
import warnings

import numpy as np
import pandas as pd

from dec.errors import ConfigError, DataError
from dec.value.closed_forms import purchases_ahead
from dec.value.inputs import rfm
from dec.value.settings import MODEL_PARAMETERS

#: Below this many customers with a repeat purchase the spend model has nothing to learn from.
MIN_REPEAT_CUSTOMERS = 20


def _clv_module():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # arviz and pymc announce their refactors on import
            from pymc_marketing import clv
    except ImportError:
        raise ConfigError(
            "customer value needs pymc-marketing, which is not installed; "
            "install it with: pip install 'dec[clv]'"
        ) from None
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
            model.fit(
                data,
                method="mcmc",
                progressbar=False,
                random_seed=seed,
                cores=min(2, os.cpu_count() or 1),
                **SAMPLER,
            )
        else:
            model.fit(data, method="map", progressbar=False)
    posterior = model.idata.posterior
    # Not fit_summary(): it rounds to three decimals.
    point = {name: float(values.mean()) for name, values in posterior.data_vars.items()}
    if method != "mcmc":
        return point, None
    every = max(1, posterior.sizes["chain"] * posterior.sizes["draw"] // KEPT_DRAWS)
    draws = {
        name: values.values.ravel()[::every][:KEPT_DRAWS].tolist()
        for name, values in posterior.data_vars.items()
    }
    return point, draws


#: The purchase models, by their names in ``value_model.json`` and ``--clv-model``.
PURCHASE_MODELS = {"bg_nbd": "BetaGeoModel", "pareto_nbd": "ParetoNBDModel"}


def fit_value_model(
    features: pd.DataFrame, method: str = "map", seed: int = 0, purchase_model: str = "bg_nbd"
) -> dict:
    """Fits of a purchase model and Gamma-Gamma on customers' log features up to ``as_of``.

    Parameters
    ----------
    features : DataFrame
        The package's log features (:data:`dec.value.inputs.RFM_FEATURES`), one row per customer.
    method : {"map", "mcmc"}, default="map"
        The posterior's mode (seconds), or the full posterior by NUTS (:data:`SAMPLER`,
        about 20 s on CDNOW): its means score, its draws give each segment an interval.
    seed : int, default=0
        The sampler's seed.
    purchase_model : {"bg_nbd", "pareto_nbd"}, default="bg_nbd"
        BG/NBD or Pareto/NBD (:func:`choose_purchase_model` chooses on a hold-back).

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
        raise DataError(_too_few_spenders(len(spenders), int((data["x"] > 0).sum())))
    start = time.perf_counter()
    purchases, purchase_draws = fit_purchase_model(data, purchase_model, method, seed)
    spend, spend_draws = _fit(
        clv.GammaGammaModel(),
        pd.DataFrame(
            {
                "customer_id": np.arange(len(spenders)),
                "frequency": spenders["x"].to_numpy(),
                "monetary_value": spenders["m_x"].to_numpy(),
            }
        ),
        method,
        seed,
    )
    import pymc_marketing

    names = {
        "purchases": MODEL_PARAMETERS[purchase_model],
        "spend": MODEL_PARAMETERS["gamma_gamma"],
    }
    fitted = {}
    if purchase_draws is not None:
        fitted["draws"] = {
            "purchases": {k: purchase_draws[k] for k in names["purchases"]},
            "spend": {k: spend_draws[k] for k in names["spend"]},
        }
    return {
        "purchases": {"model": purchase_model, **{k: purchases[k] for k in names["purchases"]}},
        "spend": {"model": "gamma_gamma", **{k: spend[k] for k in names["spend"]}},
        **fitted,
        "time_unit": "week",
        "method": method,
        "customers": int(len(data)),
        "repeat_customers": int(len(spenders)),
        "fitted_with": f"pymc-marketing {pymc_marketing.__version__}",
        "fit_seconds": time.perf_counter() - start,
    }


def _too_few_spenders(spenders: int, repeaters: int) -> str:
    """Why the spend model has too little to learn from: too few customers bought again,
    or enough did but too few of them for a positive mean (amounts of 0, refunds)."""
    need = f"the spend model needs at least {MIN_REPEAT_CUSTOMERS}"
    later = "choose a later {data.as_of} or a longer log"
    if spenders == repeaters:
        return f"only {spenders} customers bought more than once before as_of; {need}: {later}"
    fix = (
        "check that the amount column the run was trained on holds order values "
        "({data.amount_column})"
        if repeaters >= MIN_REPEAT_CUSTOMERS
        else later
    )
    return (
        f"only {spenders} customers bought more than once before as_of with a positive "
        f"mean spend on their repeat orders; {repeaters - spenders} more bought again but "
        f"their repeat orders average 0 or less (amounts of 0, refunds), which the spend "
        f"model cannot learn from; {need}: {fix}"
    )


def fit_purchase_model(
    data: pd.DataFrame, purchase_model: str, method: str = "map", seed: int = 0
) -> tuple[dict, dict | None]:
    """One of :data:`PURCHASE_MODELS` fitted on customers' :func:`dec.value.inputs.rfm`: its
    parameters and, for ``"mcmc"``, their draws."""
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(len(data)),
            "frequency": data["x"].to_numpy(),
            "recency": data["t_x"].to_numpy(),
            "T": data["T"].to_numpy(),
        }
    )
    return _fit(getattr(_clv_module(), PURCHASE_MODELS[purchase_model])(), frame, method, seed)


def choose_purchase_model(earlier: pd.DataFrame, later: pd.DataFrame, weeks: float) -> dict:
    """The purchase model that best predicted the log's own hold-back.

    Each of :data:`PURCHASE_MODELS` is fitted (MAP) on ``earlier``, the customers' features
    at the start of the hold-back, and predicts their purchases in its ``weeks``; what they
    bought is their orders in ``later`` (the same customers at ``as_of``) less those in
    ``earlier``. The model with the smaller mean squared error per customer is chosen: the
    conditional mean each model predicts is what minimises it.

    Returns
    -------
    dict
        ``{"model", "held_back_weeks", "customers", "observed", "predicted": {model: total},
        "mse": {model: mean squared error}}``, and ``failed`` (model: why) for a model whose
        fit failed or predicted no finite number; BG/NBD if both did.
    """
    _clv_module()  # pymc-marketing missing: one line before any work
    data = rfm(earlier)
    bought = (later.loc[earlier.index, "frequency"] - earlier["frequency"]).to_numpy(float)
    predicted, mse, failed = {}, {}, {}
    for name in PURCHASE_MODELS:
        try:
            model, _ = fit_purchase_model(data, name)
        except Exception as error:  # an optimiser that fails on this log leaves the other
            failed[name] = f"{type(error).__name__}: {error}"
            continue
        ahead = purchases_ahead(weeks, data["x"], data["t_x"], data["T"], {"model": name, **model})
        if np.isfinite(ahead).all():
            predicted[name] = float(ahead.sum())
            mse[name] = float(np.mean((ahead - bought) ** 2))
        else:
            failed[name] = "its predictions are not finite"
    chosen = min(mse, key=mse.get) if mse else "bg_nbd"
    return {
        "model": chosen,
        "held_back_weeks": float(weeks),
        "customers": int(len(data)),
        "observed": float(bought.sum()),
        "predicted": predicted,
        "mse": mse,
        **({"failed": failed} if failed else {}),
    }


#: The hold-back is the last third of the calibration log (its oldest customer's tenure).
HELD_BACK_SHARE = 1 / 3


def held_back(config, dataset, customers: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """The ``customers``' features at the start of the hold-back and at ``as_of``, and its
    weeks: the last :data:`HELD_BACK_SHARE` of the log up to ``as_of`` (whole weeks), read
    again by the run's own loader (pandas or DuckDB) at the earlier date. Customers who
    first bought during the hold-back are not in it."""
    from dec.config.loading import replace
    from dec.data.prepare import load_dataset_from_config
    from dec.utils.dates import parse_date

    later = dataset.features.loc[customers]
    weeks = max(1, round(later["tenure_days"].max() * HELD_BACK_SHARE / 7))
    start = parse_date(dataset.as_of) - pd.Timedelta(weeks=weeks)
    log = logging.getLogger("dec")
    level = log.level
    log.setLevel(logging.WARNING)  # the loader's line about the data set was said already
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "customers who first bought later are left out"
            earlier = load_dataset_from_config(
                replace(config, values={"data": {"as_of": str(start.date())}})
            ).features
    finally:
        log.setLevel(level)
    return earlier.loc[earlier.index.intersection(customers)], later, float(weeks)


def choose_on_hold_back(config, dataset, customers: pd.Index) -> dict:
    """:func:`choose_purchase_model` on the ``customers``' hold-back (:func:`held_back`);
    BG/NBD, with the reason, where there is none to learn from."""
    if config is None or getattr(dataset, "as_of", None) is None:
        return {"model": "bg_nbd", "skipped": "there is no purchase log to read again"}
    earlier, later, weeks = held_back(config, dataset, customers)
    repeaters = int((rfm(earlier)["x"] > 0).sum())
    if repeaters < MIN_REPEAT_CUSTOMERS:
        return {
            "model": "bg_nbd",
            "held_back_weeks": weeks,
            "customers": int(len(earlier)),
            "skipped": f"only {repeaters} customers had bought twice before the hold-back",
        }
    return choose_purchase_model(earlier, later, weeks)
