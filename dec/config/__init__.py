"""Configuration: the typed dataclasses (:mod:`~dec.config.schema`) and how a config is
built from defaults, a YAML file and overrides (:mod:`~dec.config.loading`)."""

from dec.config.loading import config_from_dict, config_yaml, load_config, replace
from dec.config.schema import (
    Config,
    DataConfig,
    ModelConfig,
    PretrainConfig,
    RefineConfig,
    TrainerConfig,
    deep_update,
    fields_with,
    flat_values,
    get_value,
    nested,
)

__all__ = [
    "Config",
    "DataConfig",
    "ModelConfig",
    "PretrainConfig",
    "RefineConfig",
    "TrainerConfig",
    "load_config",
    "replace",
    "config_from_dict",
    "config_yaml",
    "fields_with",
    "flat_values",
    "get_value",
    "nested",
    "deep_update",
]
