"""Customer value checked against hindsight on CDNOW (``scripts/benchmark.py --clv``).

Calibration: purchases up to 1997-09-30; hold-out: the 39 weeks to 1998-06-30. The views:
the models on all 23,570 customers beside the published fits (on the 1/10 sample of
2,357), by calibration repeat purchases as in Fader, Hardie & Lee (2005a, fig. 5), and the
cohort block by block (fig. 2); what ``test.py --clv`` reports, per deep-model segment of
the CDNOW run's test customers; the alternatives of :mod:`benchmarks.harness.clv_alternatives`
per segment, on the hold-out and on a backtest inside the calibration log. Plus the seconds
``--clv`` adds to ``test.py``, with pytensor's compile cache empty and warm. The page is
:mod:`benchmarks.harness.clv_page`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.harness.clv_alternatives import (
    BLOCK_WEEKS,
    _pareto_nbd,
    block_edges,
    cohort_tracking,
    predicted_spend,
    purchase_errors,
    segment_ratios,
)
from dec import value

AS_OF, END, HOLDOUT_WEEKS = "1997-09-30", "1998-06-30", 39.0
#: The backtest's cut: the calibration log's last third (13 of its 39 weeks) held back.
HOLD_BACK_FROM = "1997-06-30"
#: Fader, Hardie & Lee (2005a) BG/NBD; Fader & Hardie (2013) Gamma-Gamma; both on the
#: 2,357-customer sample of the same cohort, weeks.
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "v": 15.44}


def _holdout(
    log: pd.DataFrame, customers: pd.Index, start: str = AS_OF, end: str = END
) -> pd.DataFrame:
    after = log[(log["date"] > pd.Timestamp(start)) & (log["date"] <= pd.Timestamp(end))]
    grouped = after.groupby("id")
    return pd.DataFrame(
        {"purchases": grouped["date"].nunique(), "spend": grouped["amount"].sum()}
    ).reindex(customers, fill_value=0)


def literature_view(log: pd.DataFrame, features: pd.DataFrame, observed: pd.DataFrame) -> dict:
    from dec.value.fit import fit_value_model

    fitted = fit_value_model(features)
    rfm = value.rfm(features)
    bg = value.expected_purchases(
        HOLDOUT_WEEKS, rfm["x"], rfm["t_x"], rfm["T"], **value.parameters(fitted, "purchases")
    )
    spend = value.expected_spend(rfm["x"], rfm["m_x"], **value.parameters(fitted, "spend"))
    start = time.perf_counter()
    pareto = _pareto_nbd(rfm, rfm, HOLDOUT_WEEKS)
    pareto_seconds = time.perf_counter() - start
    bucket = np.minimum(rfm["x"].to_numpy(), 7).astype(int)
    by_x = [
        {
            "x": int(k),
            "customers": int((bucket == k).sum()),
            "observed": float(observed["purchases"].to_numpy()[bucket == k].mean()),
            "bg_nbd": float(bg[bucket == k].mean()),
            "pareto_nbd": float(pareto[bucket == k].mean()),
        }
        for k in range(8)
    ]
    return {
        "fitted": {**fitted["purchases"], **fitted["spend"]},
        "fit_seconds": fitted["fit_seconds"],
        "pareto_seconds": pareto_seconds,
        "customers": len(features),
        "purchases": {
            "observed": float(observed["purchases"].sum()),
            "bg_nbd": float(bg.sum()),
            "pareto_nbd": float(pareto.sum()),
        },
        "spend": {
            "observed": float(observed["spend"].sum()),
            "bg_nbd_gamma_gamma": float((bg * spend).sum()),
        },
        "by_repeat_purchases": by_x,
        "tracking": cohort_tracking(
            log, value.parameters(fitted, "purchases"), AS_OF, END, BLOCK_WEEKS
        ),
    }


def segment_view(run, data, log: pd.DataFrame, observed: pd.DataFrame) -> dict:
    """What test.py --clv reports, with purchases beside spend, per deep-model segment, and
    each segment's hold-out purchases block by block beside its expected (eq. 10)."""
    from dec.evaluation.value_report import DEFAULT_DISCOUNT_RATE, DEFAULT_HORIZON, fit_value

    segments = run.load_model().assign(data.X_test).numpy()
    block = fit_value(data, segments, DEFAULT_HORIZON, DEFAULT_DISCOUNT_RATE, config=run.config())
    test = data.dataset.features.iloc[data.test_index]
    rfm = value.rfm(test)
    purchases = value.purchases_ahead(
        HOLDOUT_WEEKS, rfm["x"], rfm["t_x"], rfm["T"], block["models"]["purchases"]
    )
    seen = observed.loc[test.index, "purchases"].to_numpy()
    for row in block["segments"]:
        mine = segments == row["segment"]
        row["predicted_holdout_purchases"] = float(purchases[mine].sum())
        row["observed_holdout_purchases"] = float(seen[mine].sum())
    _blocks_by_segment(block, log, test, segments)
    return block


def _blocks_by_segment(
    block: dict, log: pd.DataFrame, test: pd.DataFrame, segments: np.ndarray
) -> None:
    """Each segment row gains ``holdout_blocks``: its purchases in the hold-out's blocks of
    :data:`BLOCK_WEEKS` (as in the cohort's tracking) beside their conditional expectation."""
    rfm, purchases = value.rfm(test), block["models"]["purchases"]
    edges = block_edges(0.0, HOLDOUT_WEEKS)
    by = [
        value.purchases_ahead(w, rfm["x"], rfm["t_x"], rfm["T"], purchases)
        if w
        else np.zeros(len(rfm))
        for w in edges
    ]
    days = log[(log["date"] > pd.Timestamp(AS_OF)) & log["id"].isin(test.index)]
    days = days[["id", "date"]].drop_duplicates()
    week = (((days["date"] - pd.Timestamp(AS_OF)).dt.days - 1) / 7).to_numpy()
    theirs = days["id"].map(pd.Series(segments, index=test.index)).to_numpy()
    for row in block["segments"]:
        mine, bought = segments == row["segment"], theirs == row["segment"]
        row["holdout_blocks"] = [
            {
                "observed": int((bought & (week >= low) & (week < high)).sum()),
                "expected": float(by[i + 1][mine].sum() - by[i][mine].sum()),
            }
            for i, (low, high) in enumerate(zip(edges[:-1], edges[1:]))
        ]


def alternatives_view(run, data, log: pd.DataFrame) -> dict:
    """Predicted / observed spend per deep-model segment of each alternative, twice: on the
    test customers' hold-out (models fitted on the training customers at ``as_of``), and on
    a backtest inside the calibration log (the training customers at
    :data:`HOLD_BACK_FROM`, in the segments they were in then, over the weeks to ``as_of``):
    what a choice on the log's own hold-back would have seen."""
    from dec.data.logs.transactions import customer_features
    from dec.estimator import DeepEmbeddedClustering

    model = DeepEmbeddedClustering.load(run.path)
    features = data.dataset.features
    train, test = features.iloc[data.train_index], features.iloc[data.test_index]
    segments = model.predict(test)
    holdout = segment_ratios(
        predicted_spend(train, model.predict(train), test, segments, HOLDOUT_WEEKS),
        _holdout(log, test.index)["spend"].to_numpy(),
        segments,
    )
    earlier = customer_features(log, HOLD_BACK_FROM)
    earlier = earlier.loc[earlier.index.intersection(train.index)]
    then = model.predict(earlier)
    weeks = (pd.Timestamp(AS_OF) - pd.Timestamp(HOLD_BACK_FROM)).days / 7
    backtest = segment_ratios(
        predicted_spend(earlier, then, earlier, then, weeks),
        _holdout(log, earlier.index, HOLD_BACK_FROM, AS_OF)["spend"].to_numpy(),
        then,
    )
    errors = purchase_errors(
        train, test, HOLDOUT_WEEKS, _holdout(log, test.index)["purchases"].to_numpy()
    )
    return {
        "holdout": holdout,
        "backtest": backtest,
        "backtest_weeks": weeks,
        "holdout_purchase_mse": errors,
        "backtest_customers": int(len(earlier)),
    }


def test_py_seconds(run_dir: Path) -> dict:
    """Wall seconds of ``test.py --no-profiles`` without and with ``--clv``, pytensor's
    compile cache empty (a fresh machine) and then warm."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "test.py"
    times = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTENSOR_FLAGS": f"compiledir={cache}"}
        for name, extra in (
            ("without", []),
            ("with_clv_cold", ["--clv"]),
            ("with_clv_warm", ["--clv"]),
        ):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, str(script), "--run", str(run_dir), "--no-profiles", *extra],
                check=True,
                env=env,
                capture_output=True,
            )
            times[name] = time.perf_counter() - start
    return times


def clv_check(work_dir: str | Path) -> dict:
    from dec.config import load_config
    from dec.data.logs.transactions import customer_features, load_cdnow
    from dec.data.prepare import prepare_run_data
    from dec.training.pipeline import fit

    log = load_cdnow()
    features = customer_features(log, AS_OF)
    observed = _holdout(log, features.index)
    run = fit(
        load_config("cdnow", ["trainer.enable_progress_bar=false"]),
        Path(work_dir) / "cdnow_s0",
        overwrite=True,
    ).run_dir
    data = prepare_run_data(run)
    return {
        "literature": literature_view(log, features, observed),
        "segments": segment_view(run, data, log, observed),
        "alternatives": alternatives_view(run, data, log),
        "test_py_seconds": test_py_seconds(run.path),
        "published": PUBLISHED,
    }
