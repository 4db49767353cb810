"""Choosing a setting: variants of a config, trained with several seeds on each data set,
scored on the validation split (the choice) and on the test split (the confirmation).

Every score uses :func:`dec.evaluation.baselines.validation_score`: ARI where labels exist, else the
first outcome's eta² (hold-out spend), else the silhouette. Runs stay in memory.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from dec.config import load_config
from dec.data.prepare import prepare_data
from dec.evaluation.baselines import validation_score
from dec.training.pipeline import fit
from dec.utils.markdown import markdown_table

log = logging.getLogger("dec")


def score_variant(config_name: str, overrides: list[str], seed: int) -> dict:
    """Validation and test score of one variant and seed."""
    config = load_config(
        config_name, [f"seed={seed}", "trainer.enable_progress_bar=false", *overrides]
    )
    start = time.perf_counter()
    result = fit(config)
    seconds = time.perf_counter() - start
    data = prepare_data(config, result.preprocessor)
    rule, val = validation_score(data, result.model.assign(data.X_val).numpy(), "val")
    _, test = validation_score(data, result.model.assign(data.X_test).numpy(), "test")
    return {"seed": seed, "rule": rule, "val": val, "test": test, "seconds": seconds}


def compare(datasets: dict[str, str], variants: dict[str, list[str]], seeds) -> list[dict]:
    """One row per data set x variant: mean and std of the scores over ``seeds``."""
    rows = []
    for name, config_name in datasets.items():
        for label, overrides in variants.items():
            log.info("variants: %s, %s", name, label)
            runs = [score_variant(config_name, overrides, seed) for seed in seeds]
            row = {"dataset": name, "variant": label, "rule": runs[0]["rule"], "runs": runs}
            for key in ("val", "test", "seconds"):
                values = [r[key] for r in runs]
                row[key] = {"mean": float(np.mean(values)), "std": float(np.std(values))}
            rows.append(row)
    return rows


def variants_markdown(rows: list[dict], title: str) -> str:
    """A table per data set; the variant with the best mean validation score is marked."""
    lines = [
        f"# {title}",
        "",
        "Mean ± std over seeds. **Chosen** = best mean score on the "
        "validation split; the test column confirms it (or does not).",
        "",
    ]
    for name in dict.fromkeys(r["dataset"] for r in rows):
        mine = [r for r in rows if r["dataset"] == name]
        best = max(mine, key=lambda r: r["val"]["mean"])
        lines += [
            f"## {name} (validation {mine[0]['rule']})",
            "",
            markdown_table(
                ["variant", "validation", "test", "seconds", ""],
                [
                    [
                        r["variant"],
                        _cell(r["val"]),
                        _cell(r["test"]),
                        f"{r['seconds']['mean']:.0f}",
                        "**chosen**" if r is best else "",
                    ]
                    for r in mine
                ],
            ),
            "",
        ]
    return "\n".join(lines)


def _cell(stat: dict) -> str:
    return f"{stat['mean']:.3f} ± {stat['std']:.3f}"
