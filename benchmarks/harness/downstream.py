"""Downstream value: does a supervised model predict an outcome better from the embeddings?

For each data set with something to predict, the same scikit-learn models (a linear model
and a histogram gradient-boosting model, default settings) are fitted on the training
split with four inputs and scored on the test split:

``features``
    the preprocessed features the autoencoder was trained on;
``embeddings``
    the trained encoder's embeddings (what ``export.py`` writes as ``z_*``);
``features+emb+seg``
    features, embeddings and the one-hot segment together;
``pca``
    PCA of the features with the embedding's dimension (fitted on the training split):
    a classical compression of the same size, the embeddings' fair rival.

The deep model is trained once per seed; the split is the data set's own (fixed), so the
spread over seeds is the deep model's. Nothing is tuned; no setting was chosen on the test
split.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

from dec.config import load_config
from dec.data.prepare import prepare_data
from dec.training.pipeline import fit
from dec.utils.markdown import markdown_table
from dec.utils.resources import shipped_config

log = logging.getLogger("dec")

INPUTS = ("features", "embeddings", "features+emb+seg", "pca")
MODELS = ("linear", "hgb")
#: data set -> (config, [(target name, where it comes from, task)]). Task "regression" is
#: scored by R², "binary" by ROC AUC, "multiclass" by accuracy.
TARGETS = {
    "cdnow": (
        "cdnow",
        [("holdout_spend", "outcome", "regression"), ("holdout_active", "outcome", "binary")],
    ),
    "synthetic": ("default", [("segment", "labels", "multiclass")]),
    "digits": ("digits", [("digit", "labels", "multiclass")]),
}
SCORE_NAMES = {"regression": "R²", "binary": "ROC AUC", "multiclass": "accuracy"}


def make_model(kind: str, task: str, seed: int):
    """The downstream model: scikit-learn defaults, except ``max_iter`` of the logistic
    regression (raised so it converges instead of warning) and the seed."""
    if task == "regression":
        return (
            LinearRegression()
            if kind == "linear"
            else HistGradientBoostingRegressor(random_state=seed)
        )
    if kind == "linear":
        return LogisticRegression(max_iter=2000)
    return HistGradientBoostingClassifier(random_state=seed)


def score(task: str, model, X: np.ndarray, y: np.ndarray) -> float:
    """R² (regression), ROC AUC (binary) or accuracy (multiclass) on ``X, y``."""
    if task == "regression":
        return float(r2_score(y, model.predict(X)))
    if task == "binary":
        return float(roc_auc_score(y, model.predict_proba(X)[:, 1]))
    return float(accuracy_score(y, model.predict(X)))


def input_matrices(
    X: dict[str, np.ndarray],
    Z: dict[str, np.ndarray],
    segments: dict[str, np.ndarray],
    n_clusters: int,
    seed: int,
) -> dict[str, dict[str, np.ndarray]]:
    """``{input name: {"train": matrix, "test": matrix}}`` for the four inputs.

    ``X``, ``Z`` and ``segments`` map ``"train"``/``"test"`` to the preprocessed
    features, the embeddings and the segment numbers of that split.
    """
    pca = PCA(Z["train"].shape[1], random_state=seed).fit(X["train"])
    out = {}
    for part in ("train", "test"):
        one_hot = np.eye(n_clusters, dtype=np.float32)[segments[part]]
        out.setdefault("features", {})[part] = X[part]
        out.setdefault("embeddings", {})[part] = Z[part]
        out.setdefault("features+emb+seg", {})[part] = np.hstack([X[part], Z[part], one_hot])
        out.setdefault("pca", {})[part] = pca.transform(X[part])
    return out


def run_one(name: str, seed: int, overrides=()) -> list[dict]:
    """Train the deep model of data set ``name`` with ``seed`` (and config ``overrides``);
    score every target x input x model on the test split. One row each."""
    config_name, targets = TARGETS[name]
    config = load_config(
        shipped_config(config_name),
        [f"seed={seed}", "trainer.enable_progress_bar=false", *overrides],
    )
    result = fit(config)
    data = prepare_data(config, result.preprocessor)
    X = {"train": data.X_train, "test": data.X_test}
    Z = {p: result.model.embed(X[p]).numpy() for p in X}
    segments = {p: result.model.assign(X[p]).numpy() for p in X}
    inputs = input_matrices(X, Z, segments, config.model.n_clusters, seed)
    rows = []
    for target, origin, task in targets:
        y = {p: _target(data, origin, target, p) for p in X}
        for model_kind in MODELS:
            for input_name, matrices in inputs.items():
                model = make_model(model_kind, task, seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    model.fit(matrices["train"], y["train"])
                rows.append(
                    {
                        "dataset": name,
                        "seed": seed,
                        "target": target,
                        "task": task,
                        "model": model_kind,
                        "input": input_name,
                        "n_columns": int(matrices["train"].shape[1]),
                        "score": score(task, model, matrices["test"], y["test"]),
                    }
                )
    return rows


def _target(data, origin: str, target: str, part: str) -> np.ndarray:
    index = getattr(data, f"{part}_index")
    if origin == "labels":
        return data.dataset.labels[index]
    return data.dataset.outcomes[target].to_numpy()[index]


def downstream_benchmark(datasets=tuple(TARGETS), seeds=(0, 1, 2)) -> list[dict]:
    """Every row of :func:`run_one` for each data set and seed."""
    rows = []
    for name in datasets:
        for seed in seeds:
            log.info("downstream: %s, seed %d", name, seed)
            rows += run_one(name, seed)
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    """Mean and std over seeds per data set x target x model x input, and the winner of
    each data set x target x model (highest mean)."""
    groups: dict = {}
    for row in rows:
        key = (row["dataset"], row["target"], row["task"], row["model"], row["input"])
        groups.setdefault(key, []).append(row["score"])
    summary = [
        {
            "dataset": d,
            "target": t,
            "task": task,
            "model": m,
            "input": i,
            "mean": float(np.mean(s)),
            "std": float(np.std(s)),
            "n_seeds": len(s),
        }
        for (d, t, task, m, i), s in groups.items()
    ]
    for cell in summary:
        rivals = [
            c
            for c in summary
            if (c["dataset"], c["target"], c["model"])
            == (cell["dataset"], cell["target"], cell["model"])
        ]
        cell["best"] = cell["mean"] == max(c["mean"] for c in rivals)
    return summary


def downstream_markdown(summary: list[dict], meta: dict) -> str:
    """One table per data set x target: inputs as rows, models as columns; the best
    input per model in bold; and one sentence on whether the embeddings helped."""
    lines = [
        "# Downstream value of the embeddings",
        "",
        f"Written by `python scripts/benchmark.py --downstream` on {meta['date']} "
        f"({meta['machine']}). Each model is fitted on the training split and scored on "
        f"the held-out test split; mean ± std over the deep model's seeds "
        f"{meta['seeds']} (the split is fixed, so the inputs that do not use the deep model, "
        "`features` and `pca`, vary only through the gradient-boosting model's seed). "
        "Models: "
        "`linear` = LinearRegression / LogisticRegression(max_iter=2000), `hgb` = "
        "HistGradientBoosting{Regressor,Classifier}, scikit-learn defaults.",
        "",
        "Inputs: `features` = the preprocessed features; `embeddings` = the trained "
        "encoder's output (`export.py`'s `z_*`); `features+emb+seg` = both plus the "
        "one-hot segment; `pca` = PCA of the features with the embedding's dimension.",
        "",
    ]
    for dataset, target in dict.fromkeys((c["dataset"], c["target"]) for c in summary):
        cells = [c for c in summary if (c["dataset"], c["target"]) == (dataset, target)]
        task = cells[0]["task"]
        lines += [f"## {dataset}: {target} ({SCORE_NAMES[task]}, higher is better)", ""]
        table = []
        for input_name in INPUTS:
            row = [f"`{input_name}`"]
            for model_kind in MODELS:
                cell = next(
                    c for c in cells if (c["input"], c["model"]) == (input_name, model_kind)
                )
                text = f"{cell['mean']:.3f} ± {cell['std']:.3f}"
                row.append(f"**{text}**" if cell["best"] else text)
            table.append(row)
        lines += [markdown_table(["input", *MODELS], table), "", verdict(cells), ""]
    return "\n".join(lines)


def verdict(cells: list[dict]) -> str:
    """Per model: which input won, and what the embeddings gained or lost against the
    features and against PCA of the same size."""
    parts = []
    for model_kind in MODELS:
        mine = {c["input"]: c["mean"] for c in cells if c["model"] == model_kind}
        best = max(mine, key=mine.get)
        emb, feat, pca = mine["embeddings"], mine["features"], mine["pca"]
        both = mine["features+emb+seg"]
        parts.append(
            f"{model_kind}: best input `{best}`; embeddings {emb - feat:+.3f} vs "
            f"features, {emb - pca:+.3f} vs PCA; adding embeddings and segments "
            f"to the features {both - feat:+.3f}."
        )
    return " ".join(parts)
