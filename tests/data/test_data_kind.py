"""Detecting wide numeric data on one scale, and the recipe it gets."""

import numpy as np
import pandas as pd
import pytest

from dec.config import Config, load_config, replace
from dec.config.recipes import RECIPE_KEYS, apply_recipe, recipe
from dec.data.kind import DENSE_MIN_COLUMNS, data_kind


def _frame(values):
    return pd.DataFrame(values, columns=[f"c{i}" for i in range(values.shape[1])])


def test_pixels_are_dense_and_a_customer_table_is_not():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 17, size=(50, 64)).astype(float)
    pixels[:, 0] = 0.0  # a constant border pixel does not count against the shared scale
    assert data_kind(_frame(pixels)) == "dense"
    assert data_kind(_frame(pixels / 16.0)) == "dense"
    # Same width, but one column (income, say) on a scale 1000 times the others.
    table = pixels.copy()
    table[:, 1] *= 1000
    assert data_kind(_frame(table)) == "table"
    narrow = pixels[:, : DENSE_MIN_COLUMNS - 1]
    assert data_kind(_frame(narrow)) == "table"
    text = _frame(pixels).assign(c5=["a"] * 50)
    assert data_kind(text) == "table"


def test_synthetic_customers_are_a_table():
    from dec.data.synthetic import make_customers

    features, _ = make_customers(500, random_state=0)
    assert data_kind(features) == "table"


def test_dense_recipe_is_the_digits_config_and_fills_only_defaults():
    digits = load_config("digits")
    dense = recipe("dense")
    assert set(dense) == set(RECIPE_KEYS)
    assert dense["model.hidden_dims"] == digits.model.hidden_dims
    assert dense["refine.init"] == digits.refine.init == "umap"
    # The user's own choice of a recipe setting (noise) survives; defaults take the recipe.
    config = apply_recipe(replace(Config(), ["pretrain.input_noise=0.3"]), "dense")
    assert config.pretrain.input_noise == 0.3
    assert config.model.hidden_dims == digits.model.hidden_dims
    assert config.data.scaling == "shared"
    assert config.model.n_clusters == Config().model.n_clusters  # k is never the recipe's
    assert apply_recipe(Config(), "table") == Config()
    assert apply_recipe(config, "dense") == config  # idempotent, so resuming changes nothing


def test_unknown_kind_is_refused():
    from dec.config.validation import validate
    from dec.errors import ConfigError

    with pytest.raises(ConfigError, match="data.kind must be"):
        validate(replace(Config(), ["data.kind=images"]))
