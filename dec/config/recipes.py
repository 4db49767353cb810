"""Recipes: the settings chosen on validation for one kind of data, applied on top of the
defaults when ``data.kind`` is ``auto`` and the data is of that kind.

The dense recipe is the digits config's (chosen on digits' validation split,
benchmarks/choices/digits_variants.md), read from the shipped file so that it is declared
once. Only settings still at their built-in defaults take the recipe's value: a setting
the user chose wins.
"""

from __future__ import annotations

from dec.config.loading import config_from_dict, load_config
from dec.config.schema import Config, deep_update, get_value, nested

#: The settings a recipe decides; everything else (k, seed, data source) stays the user's.
RECIPE_KEYS = (
    "data.scaling",
    "model.hidden_dims",
    "model.embedding_dim",
    "model.kernel",
    "pretrain.epochs",
    "pretrain.batch_size",
    "pretrain.input_noise",
    "refine.epochs",
    "refine.batch_size",
    "refine.update_interval",
    "refine.init",
)
#: Where each recipe's values come from: a shipped config chosen on that kind of data.
RECIPE_SOURCES = {"dense": "digits"}


def recipe(kind: str) -> dict:
    """``{dotted key: value}`` of the recipe for ``kind`` (empty for ``"table"``)."""
    if kind not in RECIPE_SOURCES:
        return {}
    source = load_config(RECIPE_SOURCES[kind])
    return {key: get_value(source, key) for key in RECIPE_KEYS}


def apply_recipe(config: Config, kind: str) -> Config:
    """``config`` with the recipe's values in every setting still at its built-in default.

    ``data.kind`` stays as the user gave it (``auto`` is re-detected on resume, and the
    recipe is idempotent), so the estimator's parameters round-trip through a run folder.
    """
    defaults = Config()
    values = config.to_dict()
    for key, value in recipe(kind).items():
        if get_value(config, key) == get_value(defaults, key):
            deep_update(values, nested(key, value))
    return config_from_dict(values)
