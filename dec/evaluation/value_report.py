"""Each segment's worth: the ``value`` block of ``test_report.json``, its Markdown, and the
settings ``value_model.json`` keeps (the fitted models, the horizon, the discount rate).

The models are fitted on the training customers' purchases up to ``as_of`` and the table
is of the test customers' segments, as every other result in the report. Where the log
goes on after ``as_of``, the hold-out period checks the models against what happened: each
segment's predicted spend over the hold-out weeks (purchases times spend per purchase, not
discounted) beside its observed spend.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from dec import value
from dec.utils.markdown import human, markdown_table, percent

#: Defaults of --clv-horizon and --discount-rate (a year ahead, 10 % a year).
DEFAULT_HORIZON, DEFAULT_DISCOUNT_RATE = "12M", 0.10


def value_settings(model: dict, horizon: str, discount_rate: float) -> dict:
    """``value_model.json``: the fitted models with the horizon and rate they score with."""
    return {
        **model,
        "horizon": horizon,
        "months": value.parse_horizon(horizon),
        "discount_rate": float(discount_rate),
    }


def saved_settings(run_dir) -> dict:
    """A run's ``value_model.json`` (the scoring commands' and :func:`dec.spark.score`'s),
    checked (:meth:`~dec.runs.outputs.RunOutputs.read_value_model`); one line for a run
    trained on a table, before ``test.py --clv`` fitted it, or for a file changed since or
    whose models would not score."""
    from dec.errors import DataError
    from dec.runs.rundir import RunDir

    run = RunDir(run_dir)
    if not run.config().data.is_log:
        raise DataError(
            "--clv needs a run trained on a purchase log; this one was trained on a customer table"
        )
    settings = run.read_value_model()
    if settings is None:
        raise DataError(
            f"run {run_dir} has no customer-value model yet; fit one with: "
            f"python scripts/test.py --run {run_dir} --clv"
        )
    return settings


def segment_value(
    features: pd.DataFrame,
    segments: np.ndarray,
    settings: dict,
    observed_spend: np.ndarray | None = None,
    holdout_weeks: float | None = None,
) -> dict:
    """The ``value`` block for customers' log ``features`` and their ``segments``.

    Parameters
    ----------
    features : DataFrame
        Log features (:data:`dec.value.inputs.RFM_FEATURES`) of the customers, e.g. the test split.
    segments : ndarray of int
    settings : dict
        ``value_model.json``'s content (:func:`value_settings`).
    observed_spend : ndarray, optional
        What each customer spent after ``as_of`` (``holdout_spend``).
    holdout_weeks : float, optional
        Length of that period, for the predicted hold-out spend.
    """
    values = value.customer_value(features, settings, settings["months"], settings["discount_rate"])
    table = values.assign(segment=np.asarray(segments))
    rfm = value.rfm(features)
    low_spend = int(value.nonpositive_spend(rfm).sum())
    if observed_spend is not None and holdout_weeks:
        purchases = value.purchases_ahead(
            holdout_weeks, rfm["x"], rfm["t_x"], rfm["T"], settings["purchases"]
        )
        table["predicted_holdout_spend"] = purchases * values["expected_spend"].to_numpy()
        table["observed_holdout_spend"] = np.asarray(observed_spend, float)
    total = float(table["clv"].sum())
    rows = []
    for segment, part in table.groupby("segment", sort=True):
        row = {
            "segment": int(segment),
            "customers": int(len(part)),
            "clv_mean": float(part["clv"].mean()),
            "clv_total": float(part["clv"].sum()),
            "clv_share": float(part["clv"].sum() / total) if total > 0 else math.nan,
            "p_alive_mean": float(part["p_alive"].mean()),
            "expected_purchases_mean": float(part["expected_purchases"].mean()),
        }
        for column in ("predicted_holdout_spend", "observed_holdout_spend"):
            if column in part:
                row[column] = float(part[column].sum())
        rows.append(row)
    if "draws" in settings:
        _add_intervals(
            rows,
            features,
            np.asarray(segments),
            settings,
            holdout_weeks if "observed_holdout_spend" in table else None,
        )
    block = {
        "horizon": settings["horizon"],
        "months": settings["months"],
        "discount_rate": settings["discount_rate"],
        "models": _models(settings),
        "customers": int(len(table)),
        "clv_total": total,
        "segments": rows,
    }
    if low_spend:
        block["nonpositive_spend_customers"] = low_spend
    if "observed_holdout_spend" in table:
        block["holdout_weeks"] = float(holdout_weeks)
        rho = float(spearmanr(table["clv"], table["observed_holdout_spend"])[0])
        block["rank_correlation"] = rho if math.isfinite(rho) else None  # nobody bought
    return block


def _add_intervals(
    rows: list[dict],
    features: pd.DataFrame,
    segments: np.ndarray,
    settings: dict,
    holdout_weeks: float | None,
) -> None:
    """Each segment's 90 % interval of total CLV (and predicted hold-out spend) over the
    posterior draws: the value recomputed under every kept draw of the parameters."""
    draws, rfm = settings["draws"], value.rfm(features)
    count = len(draws["purchases"]["r"])
    totals = {key: np.empty((count, len(rows))) for key in ("clv_total", "holdout")}
    for i in range(count):
        drawn = {
            part: {
                "model": value.model_of(settings[part], part),
                **{k: v[i] for k, v in draws[part].items()},
            }
            for part in draws
        }
        worth = value.customer_value(
            features, drawn, settings["months"], settings["discount_rate"], warn=False
        )  # said once
        spend = worth["expected_spend"].to_numpy()
        if holdout_weeks:
            ahead = value.purchases_ahead(
                holdout_weeks, rfm["x"], rfm["t_x"], rfm["T"], drawn["purchases"]
            )
        for j, row in enumerate(rows):
            mine = segments == row["segment"]
            totals["clv_total"][i, j] = worth["clv"].to_numpy()[mine].sum()
            if holdout_weeks:
                totals["holdout"][i, j] = (ahead[mine] * spend[mine]).sum()
    for j, row in enumerate(rows):
        row["clv_total_interval"] = np.percentile(totals["clv_total"][:, j], [5, 95]).tolist()
        if holdout_weeks:
            row["predicted_holdout_spend_interval"] = np.percentile(
                totals["holdout"][:, j], [5, 95]
            ).tolist()


def _models(settings: dict) -> dict:
    return {part: dict(settings[part]) for part in ("purchases", "spend")} | {
        k: settings[k]
        for k in (
            "method",
            "fitted_with",
            "customers",
            "repeat_customers",
            "time_unit",
            "fit_seconds",
            "choice",
        )
        if k in settings
    }


#: How the report names the models.
MODEL_NAMES = {"bg_nbd": "BG/NBD", "pareto_nbd": "Pareto/NBD", "gamma_gamma": "Gamma-Gamma"}
_METHODS = {
    "map": "MAP",
    "mcmc": "full-posterior (NUTS; intervals over its draws, the table at its means)",
}


def settings_of(block: dict) -> dict:
    """``value_model.json`` from a report's ``value`` block: the models and how they score."""
    return {**block["models"], **{k: block[k] for k in ("horizon", "months", "discount_rate")}}


def fit_value(
    data,
    segments: np.ndarray,
    horizon: str,
    discount_rate: float,
    method: str = "map",
    purchase_model: str = "auto",
    config=None,
) -> dict:
    """Fit the value models (``method``: ``"map"`` or ``"mcmc"``) on the training customers
    of a run's ``data`` (:class:`~dec.data.prepare.PreparedData`) and return the ``value``
    block of its test customers, whose deep-model ``segments`` are given.
    ``purchase_model="auto"`` chooses BG/NBD or Pareto/NBD on the log's own hold-back,
    reread with the run's ``config`` (:func:`dec.value.fit.choose_on_hold_back`)."""
    from dec.value.fit import choose_on_hold_back, fit_value_model

    features, outcomes = data.dataset.features, data.dataset.outcomes
    value.rfm(features)  # a table without a purchase log: one line before any fitting
    train = features.iloc[data.train_index]
    choice = None
    if purchase_model == "auto":
        choice = choose_on_hold_back(config, data.dataset, train.index)
        purchase_model = choice["model"]
    fitted = fit_value_model(train, method, purchase_model=purchase_model)
    if choice is not None:
        fitted["choice"] = choice
    settings = value_settings(fitted, horizon, discount_rate)
    problem = value.settings_problem(settings)
    if problem is not None:  # e.g. q <= 1: the report would hold negative or infinite values
        from dec.errors import DataError

        raise DataError(
            f"the customer-value models fitted on the training customers would "
            f"not score ({problem}); nothing was written; fit on more customers "
            "(a later {data.as_of}) or choose the purchase model with --clv-model"
        )
    observed = None
    if outcomes is not None and "holdout_spend" in outcomes:
        observed = outcomes["holdout_spend"].iloc[data.test_index].to_numpy()
    return segment_value(
        features.iloc[data.test_index],
        segments,
        settings,
        observed,
        getattr(data.dataset, "holdout_weeks", None),
    )


def most_valuable(block: dict) -> dict:
    """The segment with the largest total value."""
    return max(block["segments"], key=lambda row: row["clv_total"])


def value_table(
    block: dict, names: dict[int, str] | None = None
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-segment value table, most valuable first: the table a
    marketer takes to a meeting (test_report.md and report.html)."""
    names = names or {}
    rows = sorted(block["segments"], key=lambda row: -row["clv_total"])
    holdout = "observed_holdout_spend" in rows[0]
    intervals = "clv_total_interval" in rows[0]
    header = [
        "segment",
        "customers",
        "mean CLV",
        "total CLV",
        *(["90% interval"] if intervals else []),
        "share of value",
        "P(alive)",
        "purchases ahead",
    ]
    if holdout:
        header += ["predicted hold-out spend", "observed hold-out spend", "predicted / observed"]
    table = []
    for row in rows:
        cells = [
            names.get(row["segment"], str(row["segment"])),
            f"{row['customers']:,}",
            human(row["clv_mean"]),
            human(row["clv_total"]),
            *(
                [f"{human(row['clv_total_interval'][0])} – {human(row['clv_total_interval'][1])}"]
                if intervals
                else []
            ),
            percent(row["clv_share"]),
            f"{row['p_alive_mean']:.2f}",
            human(row["expected_purchases_mean"]),
        ]
        if holdout:
            observed = row["observed_holdout_spend"]
            cells += [
                human(row["predicted_holdout_spend"]),
                human(observed),
                f"{row['predicted_holdout_spend'] / observed:.2f}" if observed else "n/a",
            ]
        table.append(cells)
    return header, table


def value_sentences(block: dict, names: dict[int, str] | None = None) -> list[str]:
    """What the table says: the models, the most valuable segment, the hold-out check."""
    names = names or {}
    top, models = most_valuable(block), block["models"]
    share_customers = top["customers"] / max(block["customers"], 1)
    lines = [
        f"Customer value over the next {block['horizon']}: "
        f"{MODEL_NAMES[models['purchases']['model']]} purchases × "
        f"{MODEL_NAMES[models['spend']['model']]} spend, "
        f"{_METHODS.get(models.get('method', 'map'), 'map')} fit on the training "
        "customers' purchases up to "
        f"as_of, discounted at {100 * block['discount_rate']:g}% a year; the test "
        "customers by deep-model segment.",
        f"Most valuable segment: {names.get(top['segment'], top['segment'])}, "
        f"{percent(top['clv_share'])} of the predicted value from "
        f"{percent(share_customers)} of the customers.",
    ]
    if "choice" in models:
        lines.append(_choice_sentence(models["choice"]))
    if block.get("nonpositive_spend_customers"):
        lines.append(
            f"{block['nonpositive_spend_customers']:,} of the test customers bought "
            "again but their repeat orders average 0 or less (refunds or free "
            "orders); the spend model, which knows only positive spends, values "
            "them as if those orders averaged 0."
        )
    if block.get("rank_correlation") is not None:
        lines.append(
            f"Rank correlation of each customer's CLV with their hold-out spend "
            f"({block['holdout_weeks']:.0f} weeks after as_of): "
            f"{block['rank_correlation']:.2f}."
        )
    return lines


def _choice_sentence(choice: dict) -> str:
    """How the purchase model was chosen on the hold-back."""
    if "skipped" in choice or not choice["mse"]:
        why = choice.get("skipped") or "; ".join(
            f"{MODEL_NAMES[m]}: {w}" for m, w in choice["failed"].items()
        )
        return f"Purchase model BG/NBD, not chosen on a hold-back: {why}."
    weeks = f"the training customers' last {choice['held_back_weeks']:.0f} weeks before as_of"
    scores = ", ".join(
        f"{MODEL_NAMES[m]} {choice['mse'][m]:.3f} ({choice['predicted'][m]:,.0f})"
        for m in choice["mse"]
    )
    failed = "".join(
        f" {MODEL_NAMES[m]} failed: {why}." for m, why in choice.get("failed", {}).items()
    )
    return (
        f"Purchase model {MODEL_NAMES[choice['model']]}: it best predicted {weeks} "
        f"({choice['observed']:,.0f} purchases by {choice['customers']:,} customers; mean "
        f"squared error per customer and predicted purchases: {scores}).{failed}"
    )


def value_markdown(block: dict, names: dict[int, str] | None = None) -> list[str]:
    """Markdown lines: the per-segment value table and what it says."""
    sentences = value_sentences(block, names)
    return ["", sentences[0], "", markdown_table(*value_table(block, names)), "", *sentences[1:]]
