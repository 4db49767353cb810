"""The run directory: the one owner of the files a training run leaves behind.

Only this module knows the file names and formats of a run folder (``checkpoints/<run>/``):

==================  ==========================================================
``config.yaml``      the resolved :class:`~dec.config.Config`
``preprocessor.json``  the fitted :class:`~dec.data.preprocessing.Preprocessor`
``model.json``       the architecture (integers) that rebuilds the network
``pretrained.pt``    autoencoder and initial centres before refinement (tensors only)
``model.pt``         the refined :class:`~dec.models.dec_model.DECModel` (tensors only)
``metrics.json``     timings and the training summary
``checkpoints/``     Lightning's ``last.ckpt`` of each stage, read by ``--resume``
``tensorboard/``     event files, one folder per stage and ``evaluation``
==================  ==========================================================

plus what ``test.py`` and ``profiles.py`` add: ``test_report.{json,md}``,
``profiles.{csv,md}`` and the figures as PNG.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import torch

from dec import files
from dec.config import Config, config_yaml, load_config
from dec.data.preprocessing import Preprocessor
from dec.errors import ConfigError, RunDirError
from dec.models.dec_model import DECModel

CONFIG, PREPROCESSOR, ARCHITECTURE = "config.yaml", "preprocessor.json", "model.json"
PRETRAINED, MODEL, METRICS = "pretrained.pt", "model.pt", "metrics.json"
#: Without these a folder is not a run that can be scored.
REQUIRED = (CONFIG, PREPROCESSOR, ARCHITECTURE, MODEL)


@dataclass
class FitResult:
    """What :func:`dec.pipeline.fit` returns: everything a trained run holds, in memory."""

    model: DECModel
    pretrained: dict[str, torch.Tensor]
    preprocessor: Preprocessor
    config: Config
    metrics: dict[str, Any] = field(default_factory=dict)
    run_dir: "RunDir | None" = None

    def pretrained_model(self) -> DECModel:
        """The model before refinement: pretrained encoder and initial centres (AE+KMeans)."""
        return _build(self.model.architecture, self.pretrained)


def _build(architecture: dict, state: dict[str, torch.Tensor]) -> DECModel:
    model = DECModel(**architecture)
    model.load_state_dict(state)
    return model.eval()


class RunDir:
    """A run folder and its files.

    Parameters
    ----------
    path : str or Path
        The folder; nothing is created until something is written.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, RunDir) and self.path == other.path

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    # ------------------------------------------------------------ finding runs
    @classmethod
    def new(cls, config: Config, root: str | Path = "checkpoints") -> "RunDir":
        """``root/<timestamp>_<data>_k<k>_s<seed>``."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        source = Path(config.data.source).stem
        return cls(Path(root) / f"{stamp}_{source}_k{config.model.n_clusters}_s{config.seed}")

    @classmethod
    def newest(cls, root: str | Path = "checkpoints") -> "RunDir":
        """The most recently finished run under ``root``."""
        runs = [p.parent for p in Path(root).glob(f"*/{MODEL}")]
        if not runs:
            raise RunDirError(f"no finished run under {root}/; train one with scripts/train.py "
                              "or pass --run DIR")
        return cls(max(runs, key=lambda p: (p / MODEL).stat().st_mtime))

    @classmethod
    def newest_started(cls, root: str | Path = "checkpoints") -> "RunDir":
        """The most recently started run under ``root``, finished or not (for ``--resume``)."""
        runs = [p.parent for p in Path(root).glob(f"*/{CONFIG}")]
        if not runs:
            raise ConfigError(f"nothing to resume under {root}/; pass --resume DIR")
        return cls(max(runs, key=lambda p: p.stat().st_mtime))

    def check(self) -> "RunDir":
        """Return self, or raise RunDirError saying what is missing."""
        if not self.path.is_dir():
            raise RunDirError(f"run directory {self.path} not found; train one with "
                              "scripts/train.py")
        missing = [name for name in REQUIRED if not (self.path / name).exists()]
        if missing:
            raise RunDirError(f"run directory {self.path} is incomplete (missing "
                              f"{', '.join(missing)}); finish it with scripts/train.py "
                              "--resume or train again")
        return self

    # ----------------------------------------------------------------- reading
    def config(self, overrides: list[str] | None = None, values: dict | None = None) -> Config:
        """The run's config, with dotted ``overrides`` and nested ``values`` applied."""
        return load_config(self.path / CONFIG, overrides, values)

    def has_config(self) -> bool:
        return (self.path / CONFIG).exists()

    def preprocessor(self) -> Preprocessor:
        return Preprocessor.load(self.path / PREPROCESSOR)

    def architecture(self) -> dict:
        return files.read_json(self.path / ARCHITECTURE)

    def metrics(self) -> dict:
        path = self.path / METRICS
        return files.read_json(path) if path.exists() else {}

    @property
    def pretrained_path(self) -> Path:
        return self.path / PRETRAINED

    def has_pretrained(self) -> bool:
        return (self.path / PRETRAINED).exists()

    def pretrained_state(self) -> dict[str, torch.Tensor]:
        return files.load_weights(self.path / PRETRAINED)

    def load_model(self) -> DECModel:
        """The refined model, in eval mode."""
        self.check()
        return _build(self.architecture(), files.load_weights(self.path / MODEL))

    def load(self) -> FitResult:
        """The whole run as a :class:`FitResult`."""
        self.check()
        return FitResult(self.load_model(), self.pretrained_state(), self.preprocessor(),
                         self.config(), self.metrics(), self)

    # ----------------------------------------------------------------- writing
    def writable(self) -> "RunDir":
        """Return self if the folder can be created and written; creates nothing."""
        files.check_writable_dir(self.path)
        return self

    def start(self, config: Config, preprocessor: Preprocessor, architecture: dict) -> None:
        """What a run knows before training: its config, preprocessing and architecture."""
        self.path.mkdir(parents=True, exist_ok=True)
        files.atomic_write_text(self.path / CONFIG, config_yaml(config))
        preprocessor.save(self.path / PREPROCESSOR)
        files.write_json(self.path / ARCHITECTURE, architecture)

    def save_pretrained(self, state: dict[str, torch.Tensor], metrics: dict) -> None:
        files.save_weights(self.path / PRETRAINED, state)
        self.write_metrics(metrics)

    def save_model(self, model: DECModel, metrics: dict) -> None:
        files.save_weights(self.path / MODEL, model.state_dict())
        self.write_metrics(metrics)

    def write_metrics(self, metrics: dict) -> None:
        files.write_json(self.path / METRICS, metrics)

    def save(self, result: FitResult) -> "RunDir":
        """Write a complete run from memory (the estimator's ``save``)."""
        self.start(result.config, result.preprocessor, result.model.architecture)
        self.save_pretrained(result.pretrained, result.metrics)
        self.save_model(result.model, result.metrics)
        return self

    # ------------------------------------------------------- Lightning's files
    def checkpoint_dir(self, stage: str) -> Path:
        return self.path / "checkpoints" / stage

    def last_checkpoint(self, stage: str) -> str | None:
        """The stage's last Lightning checkpoint, after checking that it is plain data.

        Lightning then loads it with ``weights_only=True`` too; checking here first turns a
        crafted file into one clear UnsafeModelError instead of a traceback from inside
        the Trainer.
        """
        path = self.checkpoint_dir(stage) / "last.ckpt"
        if not path.exists():
            return None
        files.load_weights(path)
        return str(path)

    @property
    def tensorboard_dir(self) -> Path:
        return self.path / "tensorboard"

    # ------------------------------------------------------ evaluation outputs
    def write_report(self, report: dict, markdown: str) -> tuple[Path, Path]:
        json_path, md_path = self.path / "test_report.json", self.path / "test_report.md"
        files.write_json(json_path, report)
        files.atomic_write_text(md_path, markdown)
        return json_path, md_path

    def write_profiles(self, csv_text: str, markdown: str) -> tuple[Path, Path]:
        csv_path, md_path = self.path / "profiles.csv", self.path / "profiles.md"
        files.atomic_write_text(csv_path, csv_text)
        files.atomic_write_text(md_path, markdown)
        return csv_path, md_path

    def write_figure(self, name: str, png: bytes) -> Path:
        path = self.path / f"{name}.png"
        files.atomic_write_bytes(path, png)
        return path
