"""The k-rule measurement behind benchmarks/choices/k_rules.md."""

from dec.evaluation.k_rules import k_rules_markdown, measure, picks


def _rows(strengths, silhouettes, planted=3, seed=0):
    return [
        {
            "dataset": "d",
            "planted": planted,
            "seed": seed,
            "k": k,
            "prediction_strength": ps,
            "silhouette": sil,
        }
        for k, ps, sil in zip((2, 3, 4), strengths, silhouettes)
    ]


def test_each_rule_picks_by_hand():
    rows = _rows([0.9, 0.85, 0.5], [0.10, 0.30, 0.20]) + _rows(
        [0.6, 0.7, 0.5], [0.40, 0.30, 0.20], seed=1
    )
    # seed 1: no k reaches prediction strength 0.8, so the sweep takes the silhouette's 2
    assert picks(rows) == {("d", 0): (3, 3, 3), ("d", 1): (None, 2, 2)}
    # where prediction strength has a pick, the sweep follows it, not the silhouette
    assert picks(_rows([0.9, 0.5, 0.5], [0.1, 0.2, 0.3]))[("d", 0)] == (2, 4, 2)
    text = k_rules_markdown(rows, {"date": "d", "machine": "m"})
    assert "Written by `python scripts/sweep.py --rules` on d (m)" in text
    assert (
        "`python scripts/sweep.py --rules data.random_state=1` on d (m). One autoencoder "
        "pretrained per seed with the shipped config and these overrides;"
    ) in k_rules_markdown(rows, {"date": "d", "machine": "m", "overrides": ["data.random_state=1"]})
    assert "| 0 | 0.90 / 0.100 | **0.85** / **0.300** | 0.50 / 0.200 | 3 | 3 | 3 |" in text
    assert "| 1 | 0.60 / **0.400** | 0.70 / 0.300 | 0.50 / 0.200 | none | 2 | 2 |" in text
    assert "| prediction strength | 1 of 2 |" in text  # planted 3: seed 0 only
    assert "| silhouette | 1 of 2 |" in text and "| the sweep's rule | 1 of 2 |" in text


def test_measure_scores_every_candidate_k_on_pretrained_embeddings():
    rows = measure(
        ["synthetic"],
        seeds=[0],
        overrides=[
            "data.n_samples=600",
            "model.hidden_dims=[16]",
            "model.embedding_dim=4",
            "pretrain.epochs=1",
            "refine.n_init=2",
        ],
    )
    assert [r["k"] for r in rows] == list(range(2, 9))
    for r in rows:
        assert 0 <= r["prediction_strength"] <= 1 and -1 <= r["silhouette"] <= 1
    assert rows[0]["planted"] == 5
