"""Several seeds, one segmentation (issue 22): the most typical of model.n_runs runs."""

import numpy as np
import pytest
from conftest import SMOKE

from dec.config import load_config, replace
from dec.errors import ConfigError
from dec.runs.rundir import RunDir
from dec.training.consensus import agreement, most_typical, run_seeds
from dec.training.pipeline import fit


def test_agreement_is_the_mean_ari_with_the_others():
    a = np.array([0, 0, 1, 1])
    b = np.array([1, 1, 0, 0])  # a relabelled: ARI 1 with a
    c = np.array([0, 1, 0, 1])  # ARI with a and b: -0.5 (worked by hand)
    scores = agreement([a, b, c])
    np.testing.assert_allclose(scores, [(1 - 0.5) / 2, (1 - 0.5) / 2, -0.5])
    assert most_typical([a, b, c])[0] == 0  # a tie between a and b: the first


def test_run_seeds_never_share_a_candidate_between_nearby_seeds():
    assert run_seeds(0, 3) == [0, 1, 2] and run_seeds(1, 3) == [3, 4, 5]
    assert run_seeds(7, 1) == [7]
    assert run_seeds(2**32 - 1, 2) == [2**32 - 2, 2**32 - 1]


def test_n_runs_keeps_the_most_typical_run_and_writes_it(tmp_path):
    config = replace(load_config(SMOKE), ["model.n_runs=3", "seed=1"])
    result = fit(config, tmp_path / "run")
    runs = result.metrics["runs"]
    assert runs["seeds"] == [3, 4, 5] and len(runs["agreement"]) == 3
    assert runs["chosen"] == int(np.argmax(runs["agreement"]))
    single = fit(replace(load_config(SMOKE), [f"seed={runs['seeds'][runs['chosen']]}"]))
    x = np.random.default_rng(0).normal(size=(50, result.preprocessor.n_features_out))
    np.testing.assert_array_equal(result.model.assign(x), single.model.assign(x))
    saved = RunDir(tmp_path / "run").load()  # a finished run folder, as for one run
    assert saved.config.model.n_runs == 3 and saved.config.seed == 1
    np.testing.assert_array_equal(saved.model.assign(x), single.model.assign(x))


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["model.n_runs=0"], "model.n_runs must be between 1 and 50"),
        (["model.n_runs=2", "trainer.devices=2"], "trains its runs in one process"),
    ],
)
def test_n_runs_bounds(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(SMOKE, overrides)
