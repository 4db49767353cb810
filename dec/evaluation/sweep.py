"""Choosing k (and other settings): internal quality and agreement over a grid.

For each grid point and each k, the model is trained with several seeds and on bootstrap
resamples of the training rows. All runs label the same held-out test rows, which gives:

- silhouette, Davies-Bouldin and Calinski-Harabasz on the preprocessed test inputs
  (mean over seeds), as in the test report;
- agreement: the mean ARI between the test labels of every pair of seed runs, and between
  the first seed's run and each bootstrap run. Segments that change when the seed or the
  sample changes are not segments to act on. (Not the per-segment bootstrap Jaccard that
  ``test.py --stability`` calls stability; sweep.csv still carries this number under its
  former names ``stability*``, see :data:`FORMER_NAMES`);
- where the data has outcomes (``data.outcome_columns``, a log's hold-out spend), the share of
  each outcome's variance the segments explain on the test customers (``<outcome>_eta2``,
  as in the test report), to read beside the recommendation, never part of it;
- prediction strength (Tibshirani & Walther 2005) of KMeans on each seed's pretrained
  embeddings of the training and validation customers, and the silhouette of KMeans on the
  same embeddings.

The recommended k is the largest whose prediction strength reaches 0.8; where none does,
the k with the best silhouette on those embeddings. Both look at the same space, the one
the model clusters. Chosen per seed on the two data sets with a known k
(benchmarks/choices/k_rules.md, docs/choosing-k.md): 5, 4, 5 on the default data (5
planted) and 9, 9, 8 on digits (10).
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from dec.config import Config, config_yaml, replace
from dec.data import Dataset
from dec.errors import ConfigError, DataError
from dec.evaluation.recommend_k import (
    AGREEMENT_THRESHOLD,
    FORMER_NAMES,
    recommend,
    recommend_by_stable_silhouette,
    seed_pick,
    with_current_names,
)
from dec.metrics import eta_squared, internal_metrics
from dec.models.init import sample_rows
from dec.training.pipeline import fit, prepare_data
from dec.utils import files, paths
from dec.utils.markdown import markdown_table, score
from dec.utils.threads import cap_threads

log = logging.getLogger("dec")

#: Random halvings the sweep and the harnesses average: with 2 the rule's pick moved by
#: one k between two draws on the same embeddings (benchmarks/choices/k_rules_h2.md).
HALVINGS = 10
#: Embeddings prediction strength is measured on (a random sample above this many rows).
PREDICTION_STRENGTH_SAMPLE = 8000
#: Rows the embedding's silhouette is scored on (silhouette is quadratic in rows).
SILHOUETTE_SAMPLE = 5000


def embedding_prediction_strength(
    embeddings: np.ndarray, k: int, seed: int, halvings: int = 1
) -> float:
    """Prediction strength of KMeans with ``k`` clusters on the embeddings: cluster a random
    half A and the other half B, and ask how well A's centres keep B's pairs together.
    With ``halvings`` > 1, the mean over that many random halvings (seeds ``seed``,
    ``seed + 1``, ...)."""
    from sklearn.cluster import KMeans

    from dec.metrics import prediction_strength

    strengths = []
    for h in range(seed, seed + halvings):
        order = np.random.default_rng(h).permutation(len(embeddings))
        half_a, half_b = embeddings[order[::2]], embeddings[order[1::2]]
        a = KMeans(k, n_init=5, random_state=h).fit(half_a)
        own = KMeans(k, n_init=5, random_state=h).fit_predict(half_b)
        strengths.append(prediction_strength(own, a.predict(half_b)))
    return float(np.mean(strengths))


def embedding_silhouette(embeddings: np.ndarray, k: int, seed: int) -> float:
    """Silhouette of KMeans with ``k`` clusters on the embeddings, scored on at most
    :data:`SILHOUETTE_SAMPLE` of them."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    labels = KMeans(k, n_init=5, random_state=seed).fit_predict(embeddings)
    return float(
        silhouette_score(
            embeddings,
            labels,
            random_state=seed,
            sample_size=min(SILHOUETTE_SAMPLE, len(embeddings)),
        )
    )


def _run_dir(work: Path | None, name: str) -> Path | None:
    return work / name if work is not None else None  # None: the run stays in memory


def evaluate_k(
    config: Config, k: int, seeds, n_bootstrap: int, work: Path | None
) -> tuple[dict, list[dict]]:
    """Scores and agreement of one k (one grid point) on the config's test split: the
    means over seeds, and each seed's scores."""
    base = replace(config, [f"model.n_clusters={k}", "trainer.enable_progress_bar=false"])
    data = prepare_data(base)  # the test rows every run is scored on
    labels, scores = [], []
    pool_x = sample_rows(
        np.concatenate([data.X_train, data.X_val]),
        PREDICTION_STRENGTH_SAMPLE,
        np.random.default_rng(seeds[0]),
    )
    for seed in seeds:
        result = fit(replace(base, [f"seed={seed}"]), _run_dir(work, f"k{k}_s{seed}"))
        labels.append(result.model.assign(data.X_test).numpy())
        scores.append(internal_metrics(data.X_test, labels[-1], random_state=seed))
        # On the pretrained embedding: refinement sharpens the embedding into k clusters
        # whatever k is, so its own clusters always look predictable (measured: 0.92-1.0
        # for every k from 2 to 8 on the default data).
        embeddings = result.pretrained_model().embed(pool_x).numpy()
        scores[-1]["prediction_strength"] = embedding_prediction_strength(
            embeddings, k, seed, HALVINGS
        )
        scores[-1]["embedding_silhouette"] = embedding_silhouette(embeddings, k, seed)
        scores[-1].update(outcome_eta2(data, labels[-1]))
    pairs = [adjusted_rand_score(a, b) for a, b in itertools.combinations(labels, 2)]
    rng = np.random.default_rng(seeds[0])
    pool = np.concatenate([data.train_index, data.val_index])
    features = data.dataset.features
    boot = []
    for b in range(n_bootstrap):
        rows = rng.choice(pool, size=len(pool), replace=True)
        sample = features.iloc[rows].copy()
        sample.index = pd.Index([f"{i}#{j}" for j, i in enumerate(sample.index)], name="id")
        config_b = replace(base, [f"seed={seeds[0]}", "data.test_fraction=0"])
        result = fit(
            config_b, _run_dir(work, f"k{k}_boot{b}"), dataset=Dataset("bootstrap", sample)
        )
        # The bootstrap model has its own preprocessor: apply it to the original test rows.
        x_test = result.preprocessor.transform(features.iloc[data.test_index])
        boot.append(adjusted_rand_score(labels[0], result.model.assign(x_test).numpy()))
    row = {
        "k": k,
        **{m: float(np.mean([s[m] for s in scores])) for m in scores[0]},
        "agreement": float(np.mean(pairs + boot)) if pairs + boot else float("nan"),
        "agreement_seeds": float(np.mean(pairs)) if pairs else float("nan"),
        "agreement_bootstrap": float(np.mean(boot)) if boot else float("nan"),
    }
    return row, [{"k": k, "seed": seed, **s} for seed, s in zip(seeds, scores)]


def outcome_eta2(data, labels: np.ndarray) -> dict[str, float]:
    """``{"<outcome>_eta2": ...}``: the share of each outcome's variance (``data.outcome_columns``,
    or a log's hold-out spend) that the segments of the test customers explain, as in the
    test report; empty for data without outcomes."""
    outcomes = data.dataset.outcomes
    if outcomes is None:
        return {}
    test = outcomes.iloc[data.test_index]
    return {f"{c}_eta2": eta_squared(test[c].to_numpy(), labels) for c in test.columns}


def parse_grid(items: list[str]) -> dict[str, list[str]]:
    """``["refine.gamma=0,10"]`` -> ``{"refine.gamma": ["0", "10"]}``."""
    grid = {}
    for item in items:
        key, _, values = item.partition("=")
        if not values:
            raise ConfigError(f"grid entry '{item}' must look like key=v1,v2")
        grid[key] = values.split(",")
    return grid


#: What a sweep writes into its folder (``out_dir``; the command line: ``--output-dir``).
OUTPUT_FILES = ("sweep.csv", "sweep_seeds.csv", "sweep.md", "sweep.png", "sweep_config.yaml")


def run_sweep(
    config: Config,
    ks,
    grid: dict[str, list[str]],
    seeds,
    n_bootstrap: int,
    out_dir: Path,
    work_dir: Path | None = None,
    *,
    out_setting: str = "out_dir",
) -> pd.DataFrame:
    """Every grid point x k; writes sweep.csv (means over seeds), sweep_seeds.csv (each
    seed's scores), sweep.md and sweep.png into ``out_dir``. A message about ``out_dir``
    names it ``out_setting`` (the command line passes its flag)."""
    # Before hours of runs.
    paths.check_writable_dir(out_dir, what="sweep folder", setting=out_setting)
    cap_threads(config.trainer.threads)  # before the first read of the data, not only in fit
    from dec.data.sources import source_files

    paths.check_outputs_kept(
        [Path(out_dir) / name for name in OUTPUT_FILES],
        [(source, "the data the sweep reads") for source in source_files(config.data.source)],
        fix=f"choose another {out_setting}",
    )
    _check_ks(config, ks)
    rows, seed_rows = [], []
    keys = list(grid)
    for values in itertools.product(*grid.values()) if grid else [()]:
        overrides = [f"{k}={v}" for k, v in zip(keys, values)]
        point = replace(config, overrides)
        tag = "_".join(f"{k.split('.')[-1]}{v}" for k, v in zip(keys, values)) or "base"
        for k in ks:
            log.info("sweep: %s k=%d", " ".join(overrides) or "defaults", k)
            row, per_seed = evaluate_k(
                point, k, seeds, n_bootstrap, Path(work_dir) / tag if work_dir else None
            )
            rows.append({**dict(zip(keys, values)), **row})
            seed_rows += [{**dict(zip(keys, values)), **r} for r in per_seed]
    table, per_seed_table = pd.DataFrame(rows), pd.DataFrame(seed_rows)
    # Nothing is written before every run has finished: a sweep stopped by bad input or
    # Ctrl-C leaves no folder that looks like a result.
    out_dir.mkdir(parents=True, exist_ok=True)
    files.atomic_write_text(out_dir / "sweep_config.yaml", config_yaml(config))
    former = {old: table[new] for new, old in FORMER_NAMES.items()}
    files.atomic_write_text(out_dir / "sweep.csv", table.assign(**former).to_csv(index=False))
    files.atomic_write_text(out_dir / "sweep_seeds.csv", per_seed_table.to_csv(index=False))
    write_report(table, keys, out_dir, per_seed_table)
    return table


def _check_ks(config: Config, ks) -> None:
    """DataError, before any training, where the largest k has more segments than the data
    has training customers (a sweep would train every smaller k first, then fail)."""
    from dec.data.prepare import load_dataset_from_config, split_indices

    d = config.data
    customers = len(load_dataset_from_config(config))
    train, _, _ = split_indices(
        customers,
        val_fraction=d.val_fraction,
        test_fraction=d.test_fraction,
        random_state=d.random_state,
    )
    if max(ks) > len(train):
        raise DataError(
            f"--k goes up to {max(ks)} segments, but the data has {len(train)} "
            f"training customers (of {customers}); sweep k up to at most "
            f"{len(train)}, far fewer to be useful"
        )


def write_report(
    table: pd.DataFrame, keys: list[str], out_dir: Path, per_seed: pd.DataFrame | None = None
) -> None:
    """sweep.md (each grid point's table and recommendation) and sweep.png from the sweep's
    table, so a kept sweep.csv can be read again by a later rule. With ``per_seed`` (the
    sweep_seeds.csv table) and more than one seed, sweep.md also gives the rule's pick on
    each seed's scores alone: whether the seeds agree on k."""
    table = with_current_names(table)
    lines, recommended = (
        [
            "# Sweep",
            "",
            "Agreement: the mean ARI between the test labels of runs with other seeds and "
            "of runs on bootstrap resamples (1 = the same segments every time); not the "
            "per-segment bootstrap Jaccard that test.py --stability calls stability.",
            "",
        ],
        [],
    )
    for values, part in table.groupby(keys) if keys else [((), table)]:
        k, reason = recommend(part)
        recommended.append(k)
        k_sil, reason_sil = recommend_by_stable_silhouette(part)
        label = (
            ", ".join(f"{a}={b}" for a, b in zip(keys, np.atleast_1d(values)))
            or "every k (no --grid)"
        )
        lines += [
            f"## {label}",
            "",
            _markdown_table(part.drop(columns=keys)),
            "",
            f"Recommended: **k = {k}**: {reason}.",
            "",
        ]
        outcomes = [
            c.removesuffix("_eta2")
            for c in part.columns
            if c.endswith("_eta2") and part[c].notna().any()  # a constant has none
        ]
        if outcomes:
            best = ", ".join(
                f"{o}, k = {int(part.loc[part[f'{o}_eta2'].idxmax(), 'k'])}" for o in outcomes
            )
            lines += [
                f"Outcomes: each `<outcome>_eta2` is the share of that outcome's variance the "
                f"segments explain on the test customers (higher is better; most explained: "
                f"{best}). They judge the segments and never chose k.",
                "",
            ]
        if per_seed is not None and per_seed["seed"].nunique() > 1:
            mine = per_seed.merge(part[keys].drop_duplicates()) if keys else per_seed
            picks = [
                f"k = {seed_pick(scores)} (seed {seed})" for seed, scores in mine.groupby("seed")
            ]
            lines += [f"The same rule on each seed's scores alone: {', '.join(picks)}.", ""]
        lines += [
            "The sweep's earlier rule, the best input silhouette among the k whose "
            f"runs agree (agreement ≥ {AGREEMENT_THRESHOLD}): k = {k_sil}: {reason_sil}.",
            "",
        ]
    files.atomic_write_text(out_dir / "sweep.md", "\n".join(lines))
    from dec.evaluation.sweep_plot import plot_sweep
    from dec.utils.figures import figure_png

    files.atomic_write_bytes(
        out_dir / "sweep.png",
        figure_png(plot_sweep(table, keys, AGREEMENT_THRESHOLD, recommended), dpi=100),
    )


def _markdown_table(frame: pd.DataFrame) -> str:
    def cell(v):
        return score(v) if isinstance(v, float) else str(v)

    return markdown_table(
        list(frame.columns),
        [[cell(v) for v in row] for row in frame.itertuples(False)],
        align="r" * len(frame.columns),
    )
