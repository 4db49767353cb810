"""Which rule finds the planted number of segments? Measured per seed.

On data with a known k (the synthetic customers: 5 planted segments; digits: 10), one
autoencoder is pretrained per seed with the shipped config, and for each candidate k two
rules are scored on its **pretrained** embeddings (refinement sharpens any k into k
clusters, so its own clusters always look predictable):

- prediction strength (Tibshirani & Walther 2005) of KMeans, mean over random halvings;
  rule: the largest k that reaches :data:`~dec.evaluation.recommend_k.PREDICTION_STRENGTH_THRESHOLD`;
- the silhouette of KMeans on the embeddings; rule: the best k;
- the sweep's rule (:func:`dec.evaluation.recommend_k.recommend`): prediction strength's pick,
  or the silhouette's where no k reaches the threshold.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

from dec.config import load_config
from dec.data.prepare import prepare_data
from dec.evaluation.recommend_k import (
    PREDICTION_STRENGTH_THRESHOLD,
    recommend_by_embedding_silhouette,
    recommend_by_prediction_strength,
    seed_pick,
)
from dec.evaluation.sweep import (
    HALVINGS,
    PREDICTION_STRENGTH_SAMPLE,
    SILHOUETTE_SAMPLE,
    embedding_prediction_strength,
    embedding_silhouette,
)
from dec.models.init import sample_rows
from dec.training.pipeline import fit
from dec.utils.markdown import markdown_table
from dec.utils.resources import shipped_config

log = logging.getLogger("dec")

#: data set -> (shipped config, planted k, candidate ks)
PLANTED = {
    "synthetic": ("default", 5, list(range(2, 9))),
    "digits": ("digits", 10, list(range(6, 15))),
}


def pretrained_embeddings(config_name: str, seed: int, overrides=()) -> np.ndarray:
    """Embeddings of the training and validation customers (at most
    :data:`~dec.evaluation.sweep.PREDICTION_STRENGTH_SAMPLE`) by the
    autoencoder pretrained with ``seed``; the test split is not touched."""
    config = load_config(
        shipped_config(config_name),
        [f"seed={seed}", "refine.epochs=0", "trainer.enable_progress_bar=false", *overrides],
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*not refined.*")  # pretraining is all we need
        result = fit(config)
    data = prepare_data(config, result.preprocessor)
    x = sample_rows(
        np.concatenate([data.X_train, data.X_val]),
        PREDICTION_STRENGTH_SAMPLE,
        np.random.default_rng(seed),
    )
    return result.pretrained_model().embed(x).numpy()


def score_k(embeddings: np.ndarray, k: int, seed: int, halvings: int = HALVINGS) -> dict:
    """Prediction strength (mean of ``halvings`` random halvings) and KMeans silhouette."""
    return {
        "k": k,
        "prediction_strength": embedding_prediction_strength(embeddings, k, seed, halvings),
        "silhouette": embedding_silhouette(embeddings, k, seed),
    }


def measure(
    datasets=tuple(PLANTED), seeds=(0, 1, 2), overrides=(), halvings: int = HALVINGS
) -> list[dict]:
    """One row per data set x seed x candidate k."""
    rows = []
    for name in datasets:
        config_name, planted, ks = PLANTED[name]
        for seed in seeds:
            log.info("k rules: %s, seed %d", name, seed)
            z = pretrained_embeddings(config_name, seed, overrides)
            rows += [
                {
                    "dataset": name,
                    "planted": planted,
                    "seed": seed,
                    "halvings": halvings,
                    **score_k(z, k, seed, halvings),
                }
                for k in ks
            ]
    return rows


def picks(rows: list[dict]) -> dict:
    """``{(data set, seed): (prediction-strength pick or None, silhouette pick, the sweep's
    pick)}``, each by the sweep's own functions on that seed's scores."""
    out = {}
    for key in dict.fromkeys((r["dataset"], r["seed"]) for r in rows):
        scores = pd.DataFrame([r for r in rows if (r["dataset"], r["seed"]) == key]).rename(
            columns={"silhouette": "embedding_silhouette"}
        )
        ps_pick, _ = recommend_by_prediction_strength(scores)  # 1: no k reached the threshold
        out[key] = (
            ps_pick if ps_pick > 1 else None,
            recommend_by_embedding_silhouette(scores)[0],
            seed_pick(scores),
        )
    return out


def k_rules_markdown(rows: list[dict], meta: dict) -> str:
    """A table per data set (cells: prediction strength / silhouette, the picks in bold)
    and how often each rule found the planted k (within one for digits' 10)."""
    chosen = picks(rows)
    overrides = meta.get("overrides", [])
    lines = [
        "# Which rule finds the planted k? (per seed)",
        "",
        f"Written by `{' '.join(['python scripts/sweep.py --rules', *overrides])}` on "
        f"{meta['date']} ({meta['machine']}). One autoencoder pretrained per seed with "
        f"the shipped config{' and these overrides' if overrides else ''}; scored on its "
        "**pretrained** embeddings of the training + validation "
        f"customers (at most {PREDICTION_STRENGTH_SAMPLE:,}). Prediction strength: "
        f"KMeans (`n_init` 5) on two halves, mean of "
        f"{rows[0].get('halvings', HALVINGS)} random halvings; "
        "rule: the largest k ≥ "
        f"{PREDICTION_STRENGTH_THRESHOLD}. Silhouette: KMeans (`n_init` 5) on the "
        f"embeddings ({SILHOUETTE_SAMPLE:,} sampled); rule: the best k. Cells: "
        "prediction strength / silhouette; **bold**: each rule's pick. The sweep's rule "
        "(`scripts/sweep.py`): prediction strength's pick, or the silhouette's where no "
        "k reaches the threshold.",
        "",
    ]
    rules = ("prediction strength", "silhouette", "the sweep's rule")
    found = {}  # (rule, data set) -> one bool per seed: did the rule find the planted k?
    for name in dict.fromkeys(r["dataset"] for r in rows):
        mine = [r for r in rows if r["dataset"] == name]
        ks = list(dict.fromkeys(r["k"] for r in mine))
        planted = mine[0]["planted"]
        tolerance = 1 if planted >= 10 else 0
        table = []
        for seed in dict.fromkeys(r["seed"] for r in mine):
            ps_pick, sil_pick, sweep_pick = chosen[(name, seed)]
            cells = []
            for r in (r for r in mine if r["seed"] == seed):
                ps = f"{r['prediction_strength']:.2f}"
                sil = f"{r['silhouette']:.3f}"
                cells.append(
                    f"{'**' + ps + '**' if r['k'] == ps_pick else ps} / "
                    f"{'**' + sil + '**' if r['k'] == sil_pick else sil}"
                )
            table.append([seed, *cells, ps_pick or "none", sil_pick, sweep_pick])
            for rule, pick in zip(rules, (ps_pick, sil_pick, sweep_pick)):
                found.setdefault((rule, name), []).append(
                    pick is not None and abs(pick - planted) <= tolerance
                )
        lines += [
            f"## {name} ({planted} planted), k = {ks[0]}..{ks[-1]}",
            "",
            markdown_table(
                ["seed", *map(str, ks), "PS rule", "silhouette rule", "sweep rule"], table
            ),
            "",
        ]
    names = list(dict.fromkeys(r["dataset"] for r in rows))
    lines += [
        "## Reading",
        "",
        "How many seeds each rule finds the planted k in (within one of 10 on digits):",
        "",
        markdown_table(
            ["rule", *names],
            [
                [rule, *(f"{sum(found[rule, n])} of {len(found[rule, n])}" for n in names)]
                for rule in rules
            ],
        ),
        "",
    ]
    return "\n".join(lines)
