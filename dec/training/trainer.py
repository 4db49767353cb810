"""The Lightning Trainer factory: accelerator checks, callbacks, loggers, checkpoints."""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import LearningRateMonitor, ModelCheckpoint, TQDMProgressBar
from pytorch_lightning.loggers import TensorBoardLogger

from dec.config import Config
from dec.errors import ConfigError

#: Lightning's advice about loader workers (in-memory tensors need none), its start-up
#: banner and its tips are noise beside the progress bar; hidden while a Trainer runs.
_QUIET_WARNINGS = (
    ".*treespec.*",
    ".*does not have many workers.*",
    ".*GPU available but not used.*",
    ".*LitLogger.*",
    ".*is smaller than the logging interval.*",
    ".*exists and is not empty.*",
)  # expected on --resume
_QUIET_LOGGERS = (
    "pytorch_lightning.utilities.rank_zero",
    "lightning_fabric.utilities.rank_zero",
    "pytorch_lightning.accelerators.cuda",
)


log = logging.getLogger("dec")


class ProgressBar(TQDMProgressBar):
    """Lightning's bar without ``v_num``, which shows the stage name cut to 4 letters."""

    def get_metrics(self, trainer, pl_module):
        metrics = super().get_metrics(trainer, pl_module)
        metrics.pop("v_num", None)
        return metrics


#: Epoch lines per stage, about: a 200-epoch stage reports every 10th epoch.
EPOCH_LINES = 20


class EpochLines(pl.Callback):
    """One line of losses every few epochs, where a progress bar would not be read: its
    redraws fill a log file or a CI log with hundreds of kilobytes around a few lines."""

    def __init__(self, stage: str, max_epochs: int):
        self.stage = stage
        self.every = max(1, -(-max_epochs // EPOCH_LINES))
        self.pending: int | None = None

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # The module logs its epoch losses after the callbacks run: say them once it has.
        epoch = trainer.current_epoch + 1
        last = epoch >= trainer.max_epochs or trainer.should_stop
        if trainer.is_global_zero and (epoch % self.every == 0 or epoch == 1 or last):
            self.pending = epoch

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._say(trainer)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._say(trainer)

    def _say(self, trainer: pl.Trainer) -> None:
        if self.pending is None:
            return
        losses = ", ".join(
            f"{key} {float(value):.4g}"
            for key, value in sorted(trainer.callback_metrics.items())
            if key.startswith(("train/", "val/"))
        )
        line = f"{self.stage} epoch {self.pending}/{trainer.max_epochs}: {losses}"
        if log.isEnabledFor(logging.INFO) and log.hasHandlers():
            log.info(line)
        else:  # the Python API with verbose=True and no logging set up: still say it
            print(line, file=sys.stderr)
        self.pending = None


def on_terminal() -> bool:
    """Whether a progress bar will be seen: standard error is a terminal or a notebook."""
    return sys.stderr.isatty() or "ipykernel" in sys.modules


@contextmanager
def quiet_lightning() -> Iterator[None]:
    """Hide Lightning's notices for the duration of the block; restore the filters after."""
    loggers = [logging.getLogger(name) for name in _QUIET_LOGGERS]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        for pattern in _QUIET_WARNINGS:
            warnings.filterwarnings("ignore", pattern)
        for logger in loggers:
            logger.setLevel(logging.WARNING)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


def check_accelerator(config: Config) -> None:
    """Fail early, in one line, when a GPU is asked for and none is usable."""
    accelerator = config.trainer.accelerator.lower()
    if accelerator in ("gpu", "cuda"):
        if not torch.cuda.is_available():
            build = (
                "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
            )
            raise ConfigError(
                f"a GPU was asked for ({{trainer.accelerator}} gpu) but CUDA is "
                f"not available (torch {torch.__version__}, {build}); "
                "train on the CPU ({trainer.accelerator} cpu)"
            )
        if config.trainer.devices > torch.cuda.device_count():
            raise ConfigError(
                f"{config.trainer.devices} GPUs asked for but only "
                f"{torch.cuda.device_count()} visible; lower {{trainer.devices}}"
            )
    elif accelerator not in ("cpu", "auto", "mps", "tpu"):
        raise ConfigError(
            f"unknown accelerator '{config.trainer.accelerator}'; use cpu, gpu or auto"
        )


def make_trainer(config: Config, run_dir, stage: str, max_epochs: int) -> pl.Trainer:
    """A Trainer for one stage. With a run folder it keeps the stage's ``last.ckpt`` (what
    ``--resume`` reads) and TensorBoard logs; without one (the estimator) it writes nothing."""
    t = config.trainer
    bar = t.enable_progress_bar and on_terminal()
    callbacks: list = (
        [ProgressBar()] if bar else [EpochLines(stage, max_epochs)] if t.enable_progress_bar else []
    )
    logger: TensorBoardLogger | bool = False
    if run_dir is not None:
        # One file, overwritten every epoch: what --resume reads, and nothing else.
        callbacks.append(
            ModelCheckpoint(
                dirpath=run_dir.checkpoint_dir(stage),
                filename="last",
                monitor=None,
                save_top_k=1,
                enable_version_counter=False,
            )
        )
        logger = TensorBoardLogger(
            str(run_dir.path),
            name=run_dir.tensorboard_dir.name,
            version=stage,
            default_hp_metric=False,
        )
        callbacks.append(LearningRateMonitor(logging_interval="epoch"))  # the lr-Adam curve
    # Process-wide, like Lightning's own `deterministic`; "highest" is torch's default.
    torch.set_float32_matmul_precision(t.matmul_precision)
    return pl.Trainer(
        max_epochs=max_epochs,
        accelerator=t.accelerator,
        devices=t.devices,
        num_nodes=t.num_nodes,
        strategy=t.strategy,
        precision=t.precision,
        deterministic=t.deterministic,
        enable_progress_bar=bar,
        log_every_n_steps=t.log_every_n_steps,
        enable_model_summary=False,
        logger=logger,
        enable_checkpointing=run_dir is not None,
        default_root_dir=str(run_dir.path) if run_dir is not None else None,
        callbacks=callbacks,
        # CustomerDataModule splits every global batch across processes itself.
        use_distributed_sampler=False,
    )


def fit_stage(
    trainer: pl.Trainer, module: pl.LightningModule, datamodule, ckpt_path: str | None
) -> None:
    """``trainer.fit``, except that Ctrl-C stays a KeyboardInterrupt.

    Lightning answers Ctrl-C with a graceful shutdown and ``sys.exit(1)``, which would end
    the command with no message; raising KeyboardInterrupt lets the command line say that
    the run was interrupted and can be resumed (the last checkpoint is kept).
    """
    try:
        trainer.fit(module, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)
    except SystemExit:
        if trainer.interrupted:
            raise KeyboardInterrupt from None
        raise
