"""Test-split comparison of DEC with KMeans and AE+KMeans, written as JSON and Markdown."""

from __future__ import annotations

import math
from pathlib import Path

from dec.data.prepare import prepare_run_data
from dec.errors import DataError, RunDirError
from dec.evaluation.baselines import BASELINES
from dec.evaluation.stability import stability_markdown
from dec.evaluation.verdict import METHOD_TITLES, verdict
from dec.metrics import eta_squared, internal_metrics, is_binary, label_metrics, outcome_by_segment
from dec.runs.rundir import RunDir
from dec.utils.markdown import markdown_table, outcome, score

METRIC_ORDER = (
    "acc",
    "nmi",
    "ari",
    "silhouette",
    "davies_bouldin",
    "calinski_harabasz",
    "fit_seconds",
)


def evaluate(
    run_dir: str | Path,
    baselines=("kmeans", "gmm", "ae_kmeans"),
    *,
    data=None,
    stability: int = 0,
    stability_refit: str = "full",
    value: tuple | None = None,
) -> dict:
    """Compare the run's DEC model with the baselines on the held-out test split.

    KMeans is fitted on the preprocessed training inputs (same ``k``, same ``n_init``);
    GMM too, its covariance type chosen on the validation split; AE+KMeans is the
    pretrained encoder with the KMeans centres that initialised DEC, i.e. DEC before
    refinement. Internal metrics for all methods are computed on the preprocessed test
    inputs, so they are comparable.

    Parameters
    ----------
    run_dir : str or Path
    baselines : sequence of str, default=("kmeans", "gmm", "ae_kmeans")
        Names from :data:`dec.evaluation.baselines.BASELINES`.
    data : PreparedData, optional
        The run's data from :func:`dec.training.pipeline.prepare_run_data`, if already loaded.
    stability : int, default=0
        Bootstrap resamples for per-segment stability (:mod:`dec.evaluation.bootstrap`); 0 skips it.
    stability_refit : {"full", "refine"}, default="full"
        What a refit of the deep model is.
    value : (horizon, annual discount rate, "map" or "mcmc"[, purchase model]), optional
        Also fit the customer-value models (``dec[clv]``) on the training customers and
        add each deep-model segment's value (:mod:`dec.evaluation.value_report`); purchase logs only.
        The purchase model is ``"auto"`` (chosen on the log's hold-back, the default),
        ``"bg_nbd"`` or ``"pareto_nbd"``.

    Returns
    -------
    dict
        The ``test_report.json`` payload (schema in DESIGN.md).
    """
    if value is not None:
        from dec.value.settings import check_discount_rate, parse_horizon

        # A bad horizon or rate: one line before any work, not NaN values in the report.
        parse_horizon(value[0])
        check_discount_rate(value[1])
    run = RunDir(run_dir)
    result = run.load()  # checks the folder
    config = result.config
    if value is not None and not config.data.is_log:
        # The rule of every --clv command: the value models are fitted on, and score, a log.
        raise DataError(
            "--clv needs a run trained on a purchase log; this one was trained "
            "on a customer table (train on the log itself with --transactions)"
        )
    if config.data.test_fraction == 0:
        raise RunDirError(
            f"run {run} was trained without a test split "
            "(data.test_fraction=0); nothing held out to evaluate on"
        )
    if data is None:
        data = prepare_run_data(run)
    timings = result.metrics.get("timings", {})
    predictions = {"dec": result.model.assign(data.X_test).numpy()}
    fit_seconds = {
        "dec": sum(timings.get(f"{s}_seconds", 0.0) for s in ("pretrain", "init", "refine"))
    }
    choices = {}
    for name in baselines:
        baseline = BASELINES[name](data, result)
        predictions[name], fit_seconds[name] = baseline.labels, baseline.seconds
        if baseline.choice:
            choices[name] = baseline.choice
    report = _report(data, config, predictions, fit_seconds)
    if choices:
        report["choices"] = choices
    if value is not None:
        from dec.evaluation.value_report import fit_value

        report["value"] = fit_value(data, predictions["dec"], *value, config=config)
    if stability:
        from dec.evaluation.bootstrap import segment_stability

        covariance = choices.get("gmm", {}).get("covariance_type", "full")
        report["stability"] = segment_stability(
            result, data, n_resamples=stability, refit=stability_refit, gmm_covariance=covariance
        )
    return report


def _report(data, config, predictions: dict, fit_seconds: dict) -> dict:
    truth = data.labels("test")
    methods = {}
    for name, predicted in predictions.items():
        scores = label_metrics(truth, predicted) if truth is not None else {}
        scores.update(internal_metrics(data.X_test, predicted, random_state=config.seed))
        scores["fit_seconds"] = fit_seconds[name]
        methods[name] = scores
    report = {
        "dataset": data.dataset.name,
        "split": "test",
        "n_samples": len(data.X_test),
        "n_clusters": config.model.n_clusters,
        "seed": config.seed,
        "methods": methods,
    }
    outcomes = data.dataset.outcomes
    if outcomes is not None:
        test_outcomes = outcomes.iloc[data.test_index]
        report["outcomes"] = {
            name: {
                f"{col}_eta2": eta_squared(test_outcomes[col].to_numpy(), predicted)
                for col in test_outcomes.columns
            }
            for name, predicted in predictions.items()
        }
        report["outcome_by_segment"] = {
            name: {
                col: outcome_by_segment(
                    test_outcomes[col].to_numpy(), predicted, config.model.n_clusters
                )
                for col in test_outcomes.columns
            }
            for name, predicted in predictions.items()
        }
        report["binary_outcomes"] = [
            c for c in test_outcomes.columns if is_binary(test_outcomes[c])
        ]
    return report


def write_report(run_dir: str | Path, report: dict) -> tuple[Path, Path]:
    """Write ``test_report.json`` and ``test_report.md`` atomically, and the comparison
    to TensorBoard (:func:`log_report`); return the paths of the two files."""
    run = RunDir(run_dir)
    markdown = report_markdown(report)
    paths = run.write_report(report, markdown)
    log_report(run, report, markdown)
    return paths


def log_report(run: RunDir, report: dict, markdown: str) -> None:
    """The test-split comparison in TensorBoard, under ``evaluation``: the report as text,
    and every method's metrics as scalars ``evaluation/<metric>/<method>``."""
    writer = run.evaluation_writer("report")
    try:
        writer.add_text("evaluation/comparison", markdown)
        values = {
            (metric, method): v
            for method, scores in report["methods"].items()
            for metric, v in scores.items()
        }
        values.update(
            {
                (metric, method): v
                for method, scores in report.get("outcomes", {}).items()
                for metric, v in scores.items()
            }
        )
        for (metric, method), value in values.items():
            if value is not None and math.isfinite(value):
                writer.add_scalar(f"evaluation/{metric}/{method}", value, 0)
    finally:
        writer.close()


_fmt = score


def segment_labels(report: dict) -> dict[int, str]:
    """``{1: "1 Champions"}``: each segment's number and name, from the report's
    ``segment_names`` (written by ``test.py`` with the profiles); empty where it has none."""
    return {i: f"{i} {name}" for i, name in enumerate(report.get("segment_names") or [])}


def report_markdown(report: dict) -> str:
    """The comparison table and an honest one-line verdict per metric family; segments
    by number and, where the report has ``segment_names``, name."""
    methods = report["methods"]
    metrics = [m for m in METRIC_ORDER if m in next(iter(methods.values()))]
    lines = [
        f"# Test-split comparison: {report['dataset']}",
        "",
        f"{report['n_samples']:,} held-out customers, k = {report['n_clusters']}, "
        f"seed {report.get('seed', '?')}. Internal metrics use the preprocessed inputs "
        "for every method (Davies-Bouldin: lower is better).",
        "",
        markdown_table(
            ["method", *metrics],
            [
                [METHOD_TITLES.get(name, name), *(_fmt(scores[m]) for m in metrics)]
                for name, scores in methods.items()
            ],
        ),
    ]
    if "outcomes" in report:
        lines += ["", "Outcome variance explained by the segments (eta², higher is better):", ""]
        columns = list(next(iter(report["outcomes"].values())))
        lines.append(
            markdown_table(
                ["method", *columns],
                [
                    [METHOD_TITLES.get(name, name), *(_fmt(v[c]) for c in columns)]
                    for name, v in report["outcomes"].items()
                ],
            )
        )
    lines += outcome_tables(report)
    for name, choice in report.get("choices", {}).items():
        setting = ", ".join(
            f"{k} = {v}" for k, v in choice.items() if k not in ("chosen_by", "validation")
        )
        tried = ", ".join(f"{k} {_fmt(v)}" for k, v in choice.get("validation", {}).items())
        lines += [
            "",
            f"{METHOD_TITLES.get(name, name)}: {setting}, chosen by "
            f"{choice.get('chosen_by', 'validation')} ({tried}).",
        ]
    if "value" in report:
        from dec.evaluation.value_report import value_markdown

        lines += value_markdown(report["value"], segment_labels(report))
    if "stability" in report:
        lines += stability_markdown(report["stability"], METHOD_TITLES)
    lines += ["", verdict(report), ""]
    return "\n".join(lines)


def outcome_tables(report: dict) -> list[str]:
    """Markdown lines: per outcome, each method's segments with their customers and mean
    (for a 0/1 outcome, the rate), highest first, and the spread between the extremes."""
    lines = []
    binary = report.get("binary_outcomes", [])
    for column in next(iter(report.get("outcome_by_segment", {}).values()), {}):
        what = "rate" if column in binary else "mean"
        lines += ["", f"{column}: {what} per test segment (customers), highest first:", ""]
        rows = []
        for name, by_column in report["outcome_by_segment"].items():
            # Only the deep model's segments have names; the others' numbers are their own.
            names = segment_labels(report) if name == "dec" else {}
            segments = sorted(
                (s for s in by_column[column] if s["customers"]),
                # Unknown means (n/a) last, not among the numbers as if they were 0.
                key=lambda s: -s["mean"] if math.isfinite(s["mean"]) else math.inf,
            )
            cells = [
                f"{names.get(s['segment'], s['segment'])}: "
                f"{_value(s['mean'], column in binary)} ({s['customers']:,})"
                for s in segments
            ]
            known = [s["mean"] for s in segments if math.isfinite(s["mean"])]
            spread = (
                (f"{_value(max(known), column in binary)} / {_value(min(known), column in binary)}")
                if known
                else "n/a"
            )
            rows.append([METHOD_TITLES.get(name, name), " · ".join(cells), spread])
        lines.append(
            markdown_table(["method", f"{what} per segment", "highest / lowest"], rows, align="llr")
        )
    return lines


_value = outcome
