"""Benchmark: data sets x {KMeans, GMM, AE+KMeans, DEC, IDEC} x seeds, on each test split.

DEC (gamma = 0) and IDEC (gamma > 0) share one pretrained autoencoder per seed: the DEC run
refines from the IDEC run's pretraining (``fit(..., pretrained=idec)``), so the two differ
only in refinement, and the benchmark does not pay for pretraining twice.
"""

from __future__ import annotations

import logging
import math
import shutil
from pathlib import Path

import numpy as np
import torch

from dec.config import load_config
from dec.evaluation.evaluate import evaluate
from dec.metrics import main_metric
from dec.training.pipeline import fit
from dec.utils import files
from dec.utils.markdown import markdown_table
from dec.utils.meta import machine, run_meta  # noqa: F401  (re-exported for the modes)
from dec.utils.resources import shipped_config

log = logging.getLogger("dec")

CONFIGS = {
    "synthetic": "default",
    "cdnow": "cdnow",
    "digits": "digits",
    "mlc_churn": "mlc_churn",
    "attrition": "attrition",
}
METHODS = ("kmeans", "gmm", "ae_kmeans", "dec", "idec")
TITLES = {
    "kmeans": "KMeans",
    "gmm": "GMM",
    "ae_kmeans": "AE+KMeans",
    "dec": "DEC (γ=0)",
    "idec": "IDEC (γ=10)",
}


def run_one(name: str, config_path: str | Path, seed: int, work: Path) -> dict:
    """Scores of every method on one data set and seed."""
    overrides = [f"seed={seed}", "trainer.enable_progress_bar=false"]
    idec_config = load_config(config_path, overrides)
    if idec_config.refine.gamma == 0:
        idec_config = load_config(config_path, overrides + ["refine.gamma=10"])
    idec_dir, dec_dir = work / f"{name}_s{seed}_idec", work / f"{name}_s{seed}_dec"
    for stale in (idec_dir, dec_dir):  # never resume from an earlier benchmark's checkpoints
        shutil.rmtree(stale, ignore_errors=True)
    idec = fit(idec_config, idec_dir)
    fit(load_config(config_path, overrides + ["refine.gamma=0"]), dec_dir, pretrained=idec)

    with_baselines = evaluate(idec_dir, baselines=("kmeans", "gmm", "ae_kmeans"))
    dec_only = evaluate(dec_dir, baselines=())
    methods = dict(with_baselines["methods"])
    methods["idec"] = methods.pop("dec")
    methods["dec"] = dec_only["methods"]["dec"]
    outcomes = dict(with_baselines.get("outcomes", {}))
    if outcomes:
        outcomes["idec"] = outcomes.pop("dec")
        outcomes["dec"] = dec_only["outcomes"]["dec"]
        for method, values in outcomes.items():
            methods[method].update(values)
    return {
        "dataset": name,
        "seed": seed,
        "n_test": with_baselines["n_samples"],
        "n_clusters": with_baselines["n_clusters"],
        "methods": methods,
    }


def summarise(runs: list[dict]) -> dict:
    """Mean and std over seeds of every metric, per data set and method."""
    summary: dict = {}
    for name in dict.fromkeys(r["dataset"] for r in runs):
        mine = [r for r in runs if r["dataset"] == name]
        metrics = list(mine[0]["methods"]["kmeans"])
        table = {}
        for method in METHODS:
            table[method] = {
                m: {
                    "mean": float(np.mean([r["methods"][method][m] for r in mine])),
                    "std": float(np.std([r["methods"][method][m] for r in mine])),
                }
                for m in metrics
            }
        main = main_metric(mine[0]["methods"]["kmeans"])
        best_deep = max(("dec", "idec"), key=lambda m: table[m][main]["mean"])
        winner = max(METHODS, key=lambda m: table[m][main]["mean"])
        summary[name] = {
            "n_test": mine[0]["n_test"],
            "n_clusters": mine[0]["n_clusters"],
            "seeds": [r["seed"] for r in mine],
            "main_metric": main,
            "winner": winner,
            "best_deep": best_deep,
            "deep_matches_kmeans": table[best_deep][main]["mean"] >= table["kmeans"][main]["mean"],
            "methods": table,
        }
    return summary


def _cell(stat: dict) -> str:
    mean, std = stat["mean"], stat["std"]
    if math.isnan(mean):
        return "n/a"
    digits = 1 if abs(mean) >= 100 else 3
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def results_markdown(summary: dict, meta: dict) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python scripts/benchmark.py` on {meta['date']} "
        f"({meta['machine']}; torch {meta['torch']}). Mean ± std over seeds "
        f"{meta['seeds']}, each data set's held-out test split. Internal metrics "
        "(silhouette, Davies-Bouldin ↓, Calinski-Harabasz) are computed on the "
        "preprocessed inputs for every method. Fit seconds for AE+KMeans are the "
        "pretraining and initialisation that DEC and IDEC also pay.",
        "",
    ]
    for name, block in summary.items():
        main = block["main_metric"]
        metrics = list(next(iter(block["methods"].values())))
        lines += [
            f"## {name} (k = {block['n_clusters']}, {block['n_test']} test customers)",
            "",
            markdown_table(
                ["method", *metrics],
                [
                    [TITLES[method], *(_cell(block["methods"][method][m]) for m in metrics)]
                    for method in METHODS
                ],
            ),
        ]
        best, km = block["methods"][block["best_deep"]][main], block["methods"]["kmeans"][main]
        verdict = "matches or beats" if block["deep_matches_kmeans"] else "LOSES TO"
        lines += [
            "",
            f"Main metric {main}: best of DEC/IDEC ({TITLES[block['best_deep']]}, "
            f"{best['mean']:.3f}) {verdict} KMeans ({km['mean']:.3f}); overall winner: "
            f"{TITLES[block['winner']]}.",
            "",
        ]
    return "\n".join(lines)


def run_benchmark(
    datasets=tuple(CONFIGS),
    seeds=(0, 1, 2),
    out_dir="benchmarks",
    work_dir: str | Path | None = None,
) -> dict:
    """Run everything, write ``results.json`` and ``results.md`` into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(work_dir) if work_dir else Path("checkpoints") / "benchmark"
    runs = []
    for name in datasets:
        for seed in seeds:
            log.info("benchmark: %s, seed %d", name, seed)
            runs.append(run_one(name, shipped_config(CONFIGS[name]), seed, work))
    meta = run_meta(torch=torch.__version__, seeds=list(seeds))
    summary = summarise(runs)
    files.write_json(out_dir / "results.json", {"meta": meta, "summary": summary, "runs": runs})
    files.atomic_write_text(out_dir / "results.md", results_markdown(summary, meta))
    return summary
