"""Shared command-line plumbing: one-line errors, tidy warnings, args -> config."""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

from dec.config import Config, load_config
from dec.errors import ConfigError, DecError


def run_cli(main: Callable[[], int | None]) -> int:
    """Run ``main``; turn a :class:`DecError` into ``error: ...`` on stderr and exit code 2."""
    warnings.showwarning = _one_line_warning
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(lambda record: is_rank_zero())
    package_log = logging.getLogger("dec")
    package_log.addHandler(handler)
    package_log.setLevel(logging.INFO)
    try:
        return main() or 0
    except DecError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; resume a training run with --resume", file=sys.stderr)
        return 130


def is_rank_zero() -> bool:
    """True except in the extra processes of a distributed (DDP) run."""
    from pytorch_lightning.utilities import rank_zero_only

    return getattr(rank_zero_only, "rank", 0) == 0


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr)


class Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit code 2 without the usage dump."""

    def parse_args(self, args=None, namespace=None):
        # KEY=VALUE overrides may come before, between or after the flags.
        return self.parse_intermixed_args(args, namespace)

    def error(self, message):
        print(f"error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def train_parser() -> argparse.ArgumentParser:
    p = Parser(description="Train a DEC/IDEC customer segmentation model. "
                "With no arguments: the built-in synthetic customers, configs/default.yaml.")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                   help="dotted config overrides, e.g. refine.gamma=0 pretrain.epochs=10")
    p.add_argument("--config", help="YAML config (default: configs/default.yaml if present)")
    p.add_argument("--data", help="built-in name (synthetic, digits, cdnow) or a .csv/.parquet path")
    p.add_argument("--id-column", help="customer id column of a --data table")
    p.add_argument("--label-column", help="known segments, for evaluation only")
    p.add_argument("--drop-columns", help="comma-separated columns to leave out")
    p.add_argument("--categorical-columns", help="comma-separated columns to one-hot encode")
    p.add_argument("--transactions", metavar="PATH",
                   help="a transaction log (.csv/.parquet) instead of a customer table")
    p.add_argument("--id-col", help="transactions: customer id column")
    p.add_argument("--date-col", help="transactions: purchase date column")
    p.add_argument("--amount-col", help="transactions: purchase value column")
    p.add_argument("--quantity-col", help="transactions: items per purchase (optional)")
    p.add_argument("--as-of", help="transactions: features up to this date, outcomes after")
    p.add_argument("--n-clusters", type=int, help="number of segments")
    p.add_argument("--seed", type=int, help="random seed")
    p.add_argument("--output-dir", help="run directory (default: checkpoints/<timestamp>_...)")
    p.add_argument("--gpus", type=int, help="0 = CPU, N = N GPUs")
    p.add_argument("--num-nodes", type=int, help="number of machines for DDP")
    p.add_argument("--accelerator", help="cpu, gpu or auto")
    p.add_argument("--devices", type=int, help="devices per node (e.g. 2 CPU processes for DDP)")
    p.add_argument("--precision", help="e.g. 32-true or bf16-mixed")
    p.add_argument("--resume", nargs="?", const="", metavar="DIR",
                   help="continue a run from its last checkpoint (default: --output-dir or "
                        "the newest run)")
    return p


DEFAULT_CONFIG = Path("configs/default.yaml")


def config_from_args(args: argparse.Namespace) -> tuple[Config, Path | None, bool]:
    """Resolve the config, the run directory and whether to resume, from parsed flags."""
    overrides = list(args.overrides)
    flag_map = {"data": "data.source", "id_column": "data.id_column",
                "label_column": "data.label_column", "drop_columns": "data.drop_columns",
                "categorical_columns": "data.categorical_columns",
                "id_col": "data.id_column", "date_col": "data.date_column",
                "amount_col": "data.amount_column", "quantity_col": "data.quantity_column",
                "as_of": "data.as_of",
                "n_clusters": "model.n_clusters", "seed": "seed", "output_dir": "output_dir",
                "num_nodes": "trainer.num_nodes", "accelerator": "trainer.accelerator",
                "devices": "trainer.devices", "precision": "trainer.precision"}
    if args.transactions is not None:
        if args.data is not None:
            raise ConfigError("give either --data or --transactions, not both")
        args.data = args.transactions
        overrides.append("data.format=transactions")
    if args.data is not None and Path(args.data).exists():
        # test.py may run from another directory: remember where the table really is.
        args.data = str(Path(args.data).resolve())
    for attr, key in flag_map.items():
        value = getattr(args, attr)
        if value is not None:
            overrides.append(f"{key}={_yaml_scalar(value)}")
    if args.gpus is not None:
        if args.gpus < 0:
            raise ConfigError("--gpus must be 0 (CPU) or a positive number of GPUs")
        overrides += (["trainer.accelerator=gpu", f"trainer.devices={args.gpus}"] if args.gpus
                      else ["trainer.accelerator=cpu", "trainer.devices=1"])
    if args.resume is not None:
        run_dir = _resume_dir(args)
        saved = run_dir / "config.yaml"
        if not saved.exists():
            raise ConfigError(f"cannot resume {run_dir}: it has no config.yaml; "
                              "start a new run instead")
        return load_config(saved, overrides), run_dir, True
    path = args.config or (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    config = load_config(path, overrides)
    return config, Path(config.output_dir) if config.output_dir else None, False


def _resume_dir(args) -> Path:
    if args.resume:
        return Path(args.resume)
    if args.output_dir:
        return Path(args.output_dir)
    runs = [p.parent for p in Path("checkpoints").glob("*/config.yaml")]
    if not runs:
        raise ConfigError("nothing to resume under checkpoints/; pass --resume DIR")
    return max(runs, key=lambda p: p.stat().st_mtime)


def _yaml_scalar(value) -> str:
    # Quote strings so that paths like "2024.csv" or "on" stay strings.
    if isinstance(value, str) and "," not in value:
        return "'" + value.replace("'", "''") + "'"
    return str(value)
