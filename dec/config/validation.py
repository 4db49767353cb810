"""The bounds every setting must keep, checked before anything is read or written.

Each rule is ``(holds, message)``; the message names the setting as ``{section.key}`` text
that users see in one line, so it says what a sensible value is.
"""

from __future__ import annotations

import math
import typing

from dec.config.schema import Config, TrainerConfig
from dec.utils.threads import MAX_THREADS
from dec.utils.urls import is_database_url

#: Lightning's seed range (``seed_everything``): an unsigned 32-bit integer.
MAX_SEED = 2**32 - 1
#: KMeans restarts beyond this cost minutes and change nothing measurable.
MAX_N_INIT = 1000
#: Layer widths beyond this make weight matrices of gigabytes before the first step.
MAX_WIDTH = 65_536
#: Larger batches than this do not fit an accelerator's memory with any useful width.
MAX_BATCH = 1 << 20
#: Runs of one model to choose the most typical from (model.n_runs): each is a full training.
MAX_RUNS = 50
#: Deeper than this a plain autoencoder does not train; a longer list is a typo or a
#: crafted config.
MAX_LAYERS = 64
ACCELERATORS = ("cpu", "gpu", "cuda", "mps", "auto")


def validate(config: Config) -> Config:
    """Check values that are well typed but impossible (:func:`bounds`); return ``config``.

    Raises
    ------
    ConfigError
        With the first broken rule's message.
    """
    from dec.errors import ConfigError

    for ok, message in bounds(config):
        if not ok:
            raise ConfigError(message)
    return config


def _finite(x: float) -> bool:
    return math.isfinite(x)


def _is_date(text: str | None) -> bool:
    from dec.errors import ConfigError
    from dec.utils.dates import parse_date

    if text is None:
        return True
    try:
        parse_date(text)
    except ConfigError:
        return False
    return True


def bounds(c: Config) -> list[tuple[bool, str]]:
    d, m, p, r = c.data, c.model, c.pretrain, c.refine
    return [
        (m.n_clusters >= 2, "model.n_clusters must be at least 2"),
        (0 <= c.seed <= MAX_SEED, f"seed must be between 0 and {MAX_SEED}"),
        (d.n_samples >= 1, "data.n_samples must be positive"),
        (d.format in ("table", "transactions"), "data.format must be 'table' or 'transactions'"),
        (d.log_engine in ("pandas", "duckdb"), "{data.log_engine} must be pandas or duckdb"),
        (
            not (d.table or d.query) or is_database_url(d.source),
            "{data.table} and {data.query} read a database: give a database URL such as "
            "sqlite:///shop.db or postgresql://user@host/db as {data.source}",
        ),
        (
            not is_database_url(d.source) or bool(d.table) != bool(d.query),
            "a database {data.source} needs {data.table} NAME or {data.query} 'SELECT ...', "
            "one of the two",
        ),
        (_is_date(d.as_of), f"{{data.as_of}} {d.as_of!r} is not a date; write it as YYYY-MM-DD"),
        (d.kind in ("auto", "table", "dense"), "data.kind must be 'auto', 'table' or 'dense'"),
        (
            d.scaling in ("standard", "none", "shared"),
            "data.scaling must be 'standard', 'none' or 'shared'",
        ),
        (
            m.embedding_dim is None or 1 <= m.embedding_dim <= MAX_WIDTH,
            f"model.embedding_dim must be between 1 and {MAX_WIDTH}",
        ),
        (
            len(m.hidden_dims) <= MAX_LAYERS,
            f"model.hidden_dims may list at most {MAX_LAYERS} layers",
        ),
        (
            all(1 <= h <= MAX_WIDTH for h in m.hidden_dims),
            f"model.hidden_dims must be between 1 and {MAX_WIDTH} each",
        ),
        (m.alpha > 0 and _finite(m.alpha), "model.alpha must be a positive finite number"),
        (1 <= m.n_runs <= MAX_RUNS, f"model.n_runs must be between 1 and {MAX_RUNS}"),
        (
            m.n_runs == 1 or (c.trainer.devices == 1 and c.trainer.num_nodes == 1),
            "model.n_runs > 1 trains its runs in one process; set trainer.devices=1",
        ),
        (
            m.kernel in ("student_t", "mahalanobis", "gaussian"),
            "model.kernel must be 'student_t', 'mahalanobis' or 'gaussian'",
        ),
        (0 <= d.test_fraction < 1, "data.test_fraction must be in [0, 1)"),
        (0 < d.val_fraction < 1, "data.val_fraction must be between 0 and 1"),
        (
            d.val_fraction + d.test_fraction < 1,
            "data.val_fraction + data.test_fraction must leave some training data",
        ),
        (p.epochs is None or p.epochs >= 0, "pretrain.epochs must be non-negative"),
        (r.epochs is None or r.epochs >= 0, "refine.epochs must be non-negative"),
        *(
            (
                0 <= s.min_steps <= s.max_steps and s.max_steps >= 1,
                f"{name}.min_steps must be at least 0 and at most {name}.max_steps (at least 1)",
            )
            for name, s in (("pretrain", p), ("refine", r))
        ),
        (p.lr > 0 and _finite(p.lr), "pretrain.lr must be a positive finite number"),
        (r.lr > 0 and _finite(r.lr), "refine.lr must be a positive finite number"),
        (
            p.weight_decay >= 0 and _finite(p.weight_decay),
            "pretrain.weight_decay must be a non-negative finite number",
        ),
        (
            p.input_noise >= 0 and _finite(p.input_noise),
            "pretrain.input_noise must be a non-negative finite number",
        ),
        (
            r.gamma >= 0 and _finite(r.gamma),
            "refine.gamma must be a non-negative finite number (0 = plain DEC)",
        ),
        (0 <= r.balance <= 1, "refine.balance must be between 0 and 1 (1 = DEC's target)"),
        (0 <= r.tol <= 1, "refine.tol must be a share between 0 and 1"),
        (r.update_interval >= 1, "refine.update_interval must be at least 1"),
        (1 <= r.n_init <= MAX_N_INIT, f"refine.n_init must be between 1 and {MAX_N_INIT}"),
        (
            r.init in ("kmeans", "gmm", "gmm_tied", "umap"),
            "refine.init must be 'kmeans', 'gmm', 'gmm_tied' or 'umap'",
        ),
        (
            1 <= p.batch_size <= MAX_BATCH and 1 <= r.batch_size <= MAX_BATCH,
            f"batch sizes must be between 1 and {MAX_BATCH}",
        ),
        *_trainer_bounds(c.trainer),
        *_column_roles(d),
    ]


def _column_roles(d) -> list[tuple[bool, str]]:
    """Each column named once, and in one role: a column cannot be both an outcome (never
    a feature) and dropped, the id, the label or a category."""
    roles = {
        "{data.id_column}": [d.id_column] if d.id_column else [],
        "{data.label_column}": [d.label_column] if d.label_column else [],
        "{data.drop_columns}": d.drop_columns,
        "{data.categorical_columns}": d.categorical_columns,
        "{data.outcome_columns}": d.outcome_columns,
    }
    rfm = [n for n in (d.recency_column, d.frequency_column, d.monetary_column) if n]
    rules = [
        (
            len(set(rfm)) == len(rfm),
            "the recency, frequency and monetary columns must be three different columns",
        )
    ]
    for setting, names in roles.items():
        twice = sorted({n for n in names if names.count(n) > 1})
        rules.append(
            (
                not twice,
                f"{setting} names {', '.join(map(repr, twice))} twice; give each column once",
            )
        )
    settings = list(roles)
    not_features = sorted(
        set(rfm)
        & {
            n
            for setting in (
                "{data.id_column}",
                "{data.label_column}",
                "{data.drop_columns}",
                "{data.outcome_columns}",
            )
            for n in roles[setting]
        }
    )
    rules.append(
        (
            not not_features,
            f"column {', '.join(map(repr, not_features))} is named as "
            "recency, frequency or monetary value but is not a feature "
            "(id, label, dropped or outcome); name a feature column",
        )
    )
    for i, first in enumerate(settings):
        for second in settings[i + 1 :]:
            both = sorted(set(roles[first]) & set(roles[second]))
            rules.append(
                (
                    not both,
                    f"column {', '.join(map(repr, both))} is given both as "
                    f"{first} and as {second}; give each column one role",
                )
            )
    return rules


#: torch.set_float32_matmul_precision's levels: float32 throughout, TF32, bfloat16.
MATMUL_PRECISIONS = ("highest", "high", "medium")


def _trainer_bounds(t: TrainerConfig) -> list[tuple[bool, str]]:
    from lightning_fabric.connector import _PRECISION_INPUT_STR, _PRECISION_INPUT_STR_ALIAS
    from pytorch_lightning.strategies import StrategyRegistry

    precisions = typing.get_args(_PRECISION_INPUT_STR) + typing.get_args(_PRECISION_INPUT_STR_ALIAS)
    strategies = ("auto", *StrategyRegistry.available_strategies())
    return [
        (
            t.accelerator in ACCELERATORS,
            f"trainer.accelerator must be one of {', '.join(ACCELERATORS)}",
        ),
        (t.devices >= 1, "trainer.devices must be at least 1"),
        (t.num_nodes >= 1, "trainer.num_nodes must be at least 1"),
        (t.precision in precisions, f"trainer.precision must be one of {', '.join(precisions)}"),
        (
            t.strategy in strategies,
            "trainer.strategy must be auto, ddp, ddp_spawn or another Lightning strategy name",
        ),
        (t.log_every_n_steps >= 1, "trainer.log_every_n_steps must be at least 1"),
        (
            0 <= t.threads <= MAX_THREADS,
            f"trainer.threads must be 0 (automatic) or a number of threads up to {MAX_THREADS}",
        ),
        (
            t.matmul_precision in MATMUL_PRECISIONS,
            f"trainer.matmul_precision must be one of {', '.join(MATMUL_PRECISIONS)}",
        ),
    ]
