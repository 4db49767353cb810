"""Sizes that fit the table (issue 22): epochs from optimiser steps, the embedding width."""

import pytest

from dec.config import load_config
from dec.errors import ConfigError
from dec.training.sizing import budget_epochs, steps_per_epoch, with_budget


def test_steps_per_epoch_counts_the_short_last_batch():
    assert steps_per_epoch(256, 256) == 1
    assert steps_per_epoch(257, 256) == 2
    assert steps_per_epoch(3, 256) == 1


@pytest.mark.parametrize(
    "rows, epochs, min_steps, max_steps, expected",
    [
        (14_000, None, 0, 1_000_000, 40),  # 55 steps an epoch: the base 40 epochs
        (105, None, 2000, 50_000, 2000),  # 1 step an epoch: raised to 2,000 steps
        (1_000, None, 2000, 50_000, 500),  # 4 steps an epoch: 160 steps -> 2,000 = 500 epochs
        (1_000, None, 150, 50_000, 40),  # 160 steps already above 150
        (700_000, None, 0, 20_000, 8),  # 2,735 steps an epoch: 109,400 -> 20,000 = 7.3 -> 8
        (105, 3, 2000, 50_000, 3),  # given epochs win
        (105, 0, 2000, 50_000, 0),
    ],
)
def test_budget_epochs_worked_by_hand(rows, epochs, min_steps, max_steps, expected):
    assert (
        budget_epochs(
            rows, 256, epochs=epochs, base_epochs=40, min_steps=min_steps, max_steps=max_steps
        )
        == expected
    )


def test_with_budget_resolves_both_stages():
    config = load_config(
        overrides=["pretrain.min_steps=2000", "refine.min_steps=1500", "refine.batch_size=128"]
    )
    resolved = with_budget(config, 300)  # 2 steps an epoch at 256, 3 at 128
    assert resolved.pretrain.epochs == 1000 and resolved.refine.epochs == 500
    assert with_budget(load_config(overrides=["pretrain.epochs=7"]), 300).pretrain.epochs == 7


def test_step_bounds_are_checked():
    with pytest.raises(ConfigError, match="pretrain.min_steps must be at least 0 and at most"):
        load_config(overrides=["pretrain.min_steps=10", "pretrain.max_steps=5"])


def test_embedding_width_is_the_columns_up_to_ten():
    from dec.training.sizing import embedding_width

    assert embedding_width(None, 4) == 4 and embedding_width(None, 64) == 10
    assert embedding_width(32, 4) == 32  # given widths win


def test_resolve_config_sizes_the_run_for_its_table():
    from dec.data import load_dataset
    from dec.training.sizing import resolve_config

    dataset = load_dataset("iris")  # 150 rows: 105 train, 1 step an epoch at batch 256
    config = resolve_config(
        load_config(overrides=["model.embedding_dim=null", "pretrain.min_steps=500"]), dataset
    )
    assert config.model.embedding_dim == 4
    assert config.pretrain.epochs == 500 and config.refine.epochs == 30
    assert resolve_config(config, dataset) == config  # resolved once, for good
