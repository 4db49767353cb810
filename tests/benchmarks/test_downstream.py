"""The downstream benchmark: same models, four inputs, scored on the test split."""

import pytest

from benchmarks.harness.downstream import INPUTS, MODELS, downstream_markdown, run_one, summarise

SHRUNK = [
    "data.n_samples=600",
    "model.hidden_dims=[16]",
    "model.embedding_dim=4",
    "pretrain.epochs=1",
    "refine.epochs=1",
    "refine.n_init=2",
]


def test_one_seed_scores_every_input_and_model_on_the_test_split():
    rows = run_one("synthetic", 0, SHRUNK)
    assert {(r["model"], r["input"]) for r in rows} == {(m, i) for m in MODELS for i in INPUTS}
    columns = {r["input"]: r["n_columns"] for r in rows}
    assert columns["embeddings"] == columns["pca"] == 4  # PCA of the embedding's size
    assert columns["features+emb+seg"] == columns["features"] + 4 + 5  # + z + one-hot k
    assert all(0 <= r["score"] <= 1 and r["task"] == "multiclass" for r in rows)


def _row(model, input_name, score, seed=0):
    return {
        "dataset": "d",
        "seed": seed,
        "target": "t",
        "task": "regression",
        "model": model,
        "input": input_name,
        "n_columns": 3,
        "score": score,
    }


def test_summary_marks_the_best_input_per_model_and_says_what_embeddings_gain():
    scores = {"features": 0.30, "embeddings": 0.20, "features+emb+seg": 0.35, "pca": 0.25}
    rows = [
        _row(m, i, s + (0.02 if seed else 0.0), seed)
        for m in MODELS
        for i, s in scores.items()
        for seed in (0, 1)
    ]
    summary = summarise(rows)
    cell = next(c for c in summary if (c["model"], c["input"]) == ("linear", "embeddings"))
    assert cell["mean"] == pytest.approx(0.21) and cell["std"] == pytest.approx(0.01)
    assert [c["input"] for c in summary if c["best"]] == ["features+emb+seg"] * 2
    text = downstream_markdown(summary, {"date": "d", "machine": "m", "seeds": [0, 1]})
    assert "**0.360 ± 0.010**" in text
    assert (
        "linear: best input `features+emb+seg`; embeddings -0.100 vs features, "
        "-0.050 vs PCA; adding embeddings and segments to the features +0.050."
    ) in text
