"""The typed dataclasses: the one declaration of every parameter.

Each field is declared once, with its default, its type and, in its metadata, the
``train.py`` flag and the estimator parameter that set it (if any). :mod:`dec.cli.common` builds
the flags from that metadata, and the tests check
:class:`~dec.estimator.DeepEmbeddedClustering`'s parameters against it.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any

from dec.errors import SETTING_FLAGS
from dec.utils.threads import THREADS_HELP


def option(
    default: Any = None,
    *,
    flag: str | None = None,
    param: str | None = None,
    help: str = "",
    **kwargs,
) -> Any:
    """A dataclass field with the flag and estimator parameter that set it, if any."""
    metadata = {"flag": flag, "param": param, "help": help}
    if callable(default):
        return field(default_factory=default, metadata=metadata, **kwargs)
    return field(default=default, metadata=metadata, **kwargs)


@dataclass
class DataConfig:
    """Where the customers come from and how they are split."""

    source: str = option(
        "synthetic",
        flag="--data",
        help="built-in name (synthetic, digits, cdnow, mlc_churn, attrition, or a table of the "
        "public suite), a .csv/.parquet file or folder, or a database URL (sqlite:///shop.db, "
        "postgresql://user@host/db; with --table or --query; needs the sql extra)",
    )
    # a database source: the table to read, or a SELECT query (dec/data/database/read.py)
    table: str | None = option(
        None, flag="--table", help="database: the table to read (schema.table also works)"
    )
    query: str | None = option(None, flag="--query", help="database: a SELECT query to read")
    n_samples: int = 20000
    random_state: int = 0
    format: str = "table"  # "table": one row per customer; "transactions": a purchase log
    kind: str = option(
        "auto",
        flag="--data-kind",
        param="data_kind",
        help="auto (detect), table, or dense (wide numeric data on one scale, "
        "such as pixels): which recipe of defaults to train with",
    )
    id_column: str | None = option(
        None, flag="--id-column", help="customer id column of a --data table or log"
    )
    label_column: str | None = option(
        None, flag="--label-column", help="known segments, for evaluation only"
    )
    date_column: str | None = option(
        None, flag="--date-column", help="transactions: purchase date column"
    )
    amount_column: str | None = option(
        None, flag="--amount-column", help="transactions: purchase value column"
    )
    quantity_column: str | None = option(
        None, flag="--quantity-column", help="transactions: items per purchase (optional)"
    )
    as_of: str | None = option(
        None, flag="--as-of", help="transactions: features up to this date, outcomes after"
    )
    # purchase logs read by "pandas" (any date spelling) or "duckdb" (straight from files,
    # folders or globs, memory bounded by customers; dec[logs]); dec/data/logs/sql.py
    log_engine: str = option(
        "pandas",
        flag="--log-engine",
        help="transactions: pandas or duckdb (large logs; needs the logs extra: "
        "pip install 'dec[logs]')",
    )
    # duckdb: its memory limit ("4GB"; null: 80 % of the machine's) and where it spills
    # beyond it (null: a temporary folder, removed afterwards)
    log_memory_limit: str | None = None
    log_temp_directory: str | None = None
    drop_columns: list[str] = option(
        list, flag="--drop-columns", help="comma-separated columns to leave out"
    )
    categorical_columns: list[str] = option(
        list,
        flag="--categorical-columns",
        param="categorical_columns",
        help="comma-separated columns to one-hot encode",
    )
    outcome_columns: list[str] = option(
        list,
        flag="--outcome-columns",
        help="comma-separated columns that judge the segments and are never features",
    )
    # profiles only (names like "Champions"): found by name unless given (docs/profiles.md)
    recency_column: str | None = option(
        None, flag="--recency-column", help="profiles: days since the last order"
    )
    frequency_column: str | None = option(
        None, flag="--frequency-column", help="profiles: number of orders"
    )
    monetary_column: str | None = option(
        None, flag="--monetary-column", help="profiles: total spend"
    )
    # numeric columns: "standard" (log1p if skewed, z-score) | "none" (as given) | "shared"
    # (all divided by the largest absolute value: one scale, as for pixels)
    scaling: str = "standard"
    val_fraction: float = option(0.1, param="val_fraction")
    test_fraction: float = 0.2

    @property
    def is_log(self) -> bool:
        """Whether the customers come from a purchase log (the built-in CDNOW, or a file
        read with ``format: transactions``): what scoring a log and customer value need."""
        return self.source == "cdnow" or self.format == "transactions"


@dataclass
class ModelConfig:
    """Autoencoder architecture and the clustering head."""

    n_clusters: int = option(5, flag="--n-clusters", param="n_clusters", help="number of segments")
    hidden_dims: list[int] = option(lambda: [256, 128], param="hidden_dims")
    # null: the table's number of columns, up to 10 (dec/training/sizing.py)
    embedding_dim: int | None = option(10, param="embedding_dim")
    alpha: float = option(1.0, param="alpha")
    # models trained from different seeds; the most typical one is kept (dec/training/consensus.py)
    n_runs: int = option(1, param="n_runs")
    # student_t | mahalanobis (shared covariance) | gaussian (mixture head, own covariances)
    kernel: str = option("student_t", param="kernel")


@dataclass
class PretrainConfig:
    """Autoencoder pretraining (reconstruction loss only)."""

    # None: the budget that fits the table (dec/training/sizing.py); a number: exactly so many epochs
    epochs: int | None = option(None, param="pretrain_epochs")
    min_steps: int = 0
    max_steps: int = 1_000_000
    batch_size: int = option(256, param="batch_size")
    lr: float = option(1e-3, param="lr")
    weight_decay: float = 0.0
    input_noise: float = option(1.5, param="input_noise")


@dataclass
class RefineConfig:
    """DEC/IDEC refinement of the encoder and the cluster centres."""

    epochs: int | None = option(None, param="refine_epochs")
    min_steps: int = 0
    max_steps: int = 1_000_000
    batch_size: int = option(256, param="batch_size")
    lr: float = option(1e-3, param="lr")
    gamma: float = option(10.0, param="gamma")
    balance: float = option(1.0, param="balance")  # exponent of f_j in DEC's target P (eq. 3)
    update_interval: int = option(100, param="update_interval")
    tol: float = option(0.001, param="tol")
    n_init: int = option(20, param="n_init")
    # centres from kmeans | gmm | gmm_tied | umap (+ GMM)
    init: str = option("kmeans", param="init")


@dataclass
class TrainerConfig:
    """Passed to ``pytorch_lightning.Trainer``."""

    accelerator: str = option(
        "cpu", flag="--accelerator", param="accelerator", help="cpu, gpu or auto"
    )
    devices: int = option(
        1, flag="--devices", param="devices", help="devices per node (e.g. 2 CPU processes for DDP)"
    )
    num_nodes: int = option(1, flag="--num-nodes", help="number of machines for DDP")
    strategy: str = "auto"
    precision: str = option("32-true", flag="--precision", help="e.g. 32-true or bf16-mixed")
    deterministic: bool = True
    enable_progress_bar: bool = True
    log_every_n_steps: int = 20
    # Not Trainer arguments: how the arithmetic runs. "high" lets float32 matrix products
    # use TF32 on CUDA (torch.set_float32_matmul_precision); compile runs the autoencoder
    # through torch.compile (slower on CPU: benchmarks/gpu.md).
    matmul_precision: str = "highest"
    compile: bool = False
    # Not a Trainer argument either: the cap on every library's threads (0: automatic).
    threads: int = option(0, flag="--threads", help=THREADS_HELP)


@dataclass
class Config:
    """The whole resolved configuration of one run."""

    seed: int = option(0, flag="--seed", param="random_state", help="random seed")
    output_dir: str | None = option(
        None, flag="--output-dir", help="run directory (default: checkpoints/<timestamp>_...)"
    )
    data: DataConfig = option(DataConfig)
    model: ModelConfig = option(ModelConfig)
    pretrain: PretrainConfig = option(PretrainConfig)
    refine: RefineConfig = option(RefineConfig)
    trainer: TrainerConfig = option(TrainerConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ------------------------------------------------------------------ introspection
def fields_with(kind: str) -> dict[str, tuple[str, dataclasses.Field, Any]]:
    """``{flag or param: (dotted key, field, type)}`` for every field that declares one."""
    found: dict = {}

    def walk(cls, prefix):
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if dataclasses.is_dataclass(hints[f.name]):
                walk(hints[f.name], f"{prefix}{f.name}.")
            elif f.metadata.get(kind):
                found.setdefault(f.metadata[kind], []).append(
                    (f"{prefix}{f.name}", f, hints[f.name])
                )

    walk(Config, "")
    return found


SETTING_FLAGS.update(
    {key: flag for flag, entries in fields_with("flag").items() for key, _, _ in entries}
)


def flat_values(config: Config) -> dict[str, Any]:
    """``{dotted key: value}`` of every setting (``"seed"``, ``"model.n_clusters"``, ...)."""
    flat: dict[str, Any] = {}
    for section, values in config.to_dict().items():
        if isinstance(values, dict):
            flat.update({f"{section}.{key}": value for key, value in values.items()})
        else:
            flat[section] = values
    return flat


def get_value(config: Config, key: str) -> Any:
    """The value at a dotted ``key``."""
    node: Any = config
    for part in key.split("."):
        node = getattr(node, part)
    return node


def deep_update(target: dict, update: dict) -> dict:
    """Merge nested ``update`` into ``target`` in place; return ``target``."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_update(target[key], value)
        else:
            target[key] = value
    return target


def nested(key: str, value: Any) -> dict:
    """``("a.b", 1)`` -> ``{"a": {"b": 1}}``."""
    out: Any = value
    for part in reversed(key.split(".")):
        out = {part: out}
    return out
