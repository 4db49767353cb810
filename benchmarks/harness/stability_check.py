"""What a refit is, measured: per-segment stability of one default run with refits from
the pretrained autoencoder (``refine``) and full refits (``full``), beside KMeans and the
GMM, and each deep segment's planted segment where the data has one.

``scripts/benchmark.py --stability`` writes ``benchmarks/stability.{md,json}``; the
choice of :data:`dec.evaluation.bootstrap.REFITS`'s default and of ``DEFAULT_RESAMPLES`` rests on it.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from dec.config import load_config
from dec.evaluation.baselines import gmm_inputs
from dec.evaluation.bootstrap import REFITS, segment_stability
from dec.evaluation.verdict import METHOD_TITLES
from dec.training.pipeline import fit, prepare_data
from dec.utils.markdown import markdown_table

log = logging.getLogger("dec")


def measure(
    config_name: str = "default",
    seed: int = 0,
    resamples: int = 10,
    overrides: tuple[str, ...] = (),
) -> dict:
    """Train one run and measure its segments' stability with each kind of refit."""
    config = load_config(
        config_name, [f"seed={seed}", "trainer.enable_progress_bar=false", *overrides]
    )
    start = time.perf_counter()
    result = fit(config)
    train_seconds = time.perf_counter() - start
    data = prepare_data(config, result.preprocessor)
    covariance = gmm_inputs(data, result).choice["covariance_type"]
    found = {
        "config": config_name,
        "seed": seed,
        "resamples": resamples,
        "train_seconds": train_seconds,
        "dec": {},
    }
    for refit in REFITS:
        log.info("stability check: refits of kind %r", refit)
        found["dec"][refit] = segment_stability(
            result, data, n_resamples=resamples, refit=refit, methods=("dec",)
        )["dec"]
    found["baselines"] = segment_stability(
        result, data, n_resamples=resamples, gmm_covariance=covariance, methods=("kmeans", "gmm")
    )
    truth = data.labels("train")
    if truth is not None:
        segments = result.model.assign(data.X_train).numpy()
        found["planted"] = [_planted(truth[segments == s]) for s in range(config.model.n_clusters)]
    return found


def _planted(labels: np.ndarray) -> dict:
    """The most common planted segment among a segment's customers, and its share."""
    if len(labels) == 0:
        return {"planted": None, "purity": float("nan")}
    values, counts = np.unique(labels, return_counts=True)
    return {"planted": int(values[counts.argmax()]), "purity": float(counts.max() / len(labels))}


def stability_check_markdown(found: dict, meta: dict) -> str:
    """The per-segment table for both kinds of refit, then every method's summary."""
    refine, full = found["dec"]["refine"], found["dec"]["full"]
    planted = found.get("planted")
    rows = []
    for i, (a, b) in enumerate(zip(refine["segments"], full["segments"])):
        where = f"{planted[i]['planted']} ({planted[i]['purity']:.0%})" if planted else "n/a"
        rows.append(
            [
                str(a["segment"]),
                f"{a['customers']:,}",
                where,
                f"{a['jaccard_mean']:.2f} {a['reading']}",
                f"{b['jaccard_mean']:.2f} {b['reading']}",
            ]
        )
    summary = [
        [
            f"DEC/IDEC, {kind} refits",
            f"{entry['jaccard_mean']:.2f}",
            f"{entry['seconds']:.0f}",
            entry["refit"],
        ]
        for kind, entry in found["dec"].items()
    ]
    summary += [
        [
            METHOD_TITLES.get(name, name),
            f"{entry['jaccard_mean']:.2f}",
            f"{entry['seconds']:.0f}",
            entry["refit"],
        ]
        for name, entry in found["baselines"].items()
    ]
    return "\n".join(
        [
            "# Per-segment stability: what a refit is",
            "",
            f"{meta['date']}, {meta['machine']}; `{found['config']}` config, seed {found['seed']}, "
            f"trained in {found['train_seconds']:.0f} s; {found['resamples']} bootstrap resamples "
            f"of {refine['rows']:,} training customers per method. Written by "
            "`python scripts/benchmark.py --stability`.",
            "",
            markdown_table(
                [
                    "DEC segment",
                    "training customers",
                    "planted segment (share)",
                    "refine refits: Jaccard",
                    "full refits: Jaccard",
                ],
                rows,
                align="rrrll",
            ),
            "",
            markdown_table(
                ["method", "mean Jaccard", "seconds", "a refit is"], summary, align="lrrl"
            ),
            "",
        ]
    )
