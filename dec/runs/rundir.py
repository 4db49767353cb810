"""The run directory: the one owner of the files a training run leaves behind.

Only this module knows the file names and formats of a run folder (``checkpoints/<run>/``):

==================  ==========================================================
``config.yaml``      the resolved :class:`~dec.config.Config`
``preprocessor.json``  the fitted :class:`~dec.data.preprocessing.Preprocessor`
``model.json``       the architecture (integers) that rebuilds the network
``pretrained.pt``    autoencoder and initial centres before refinement (tensors only)
``model.pt``         the refined :class:`~dec.models.dec_model.DECModel` (tensors only)
``metrics.json``     timings and the training summary
``data.json``        fingerprint of the data it was trained on: rows, columns, sha256
``manifest.json``    written last: the sha256 of every file above; a run without it is
                     unfinished, and one whose files differ from it is refused
``.lock``            held by the one process writing the run (it holds that pid)
``checkpoints/``     Lightning's ``last.ckpt`` of each stage, read by ``--resume``
``tensorboard/``     event files, one folder per stage and ``evaluation``
==================  ==========================================================

plus what ``test.py`` and ``profiles.py`` add: ``test_report.{json,md}``,
``profiles.{csv,md}``, the figures as PNG and ``report.html``
(:mod:`dec.runs.outputs`, which :class:`RunDir` inherits).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import torch

from dec.config import Config, config_yaml, load_config
from dec.data.preprocessing import Preprocessor
from dec.errors import ConfigError, RunDirError
from dec.models.dec_model import DECModel
from dec.runs import guard as run_guard
from dec.runs.outputs import RunOutputs
from dec.runs.result import FitResult, build_model
from dec.utils import files, paths
from dec.utils.urls import is_database_url

CONFIG, PREPROCESSOR, ARCHITECTURE = "config.yaml", "preprocessor.json", "model.json"
PRETRAINED, MODEL, METRICS = "pretrained.pt", "model.pt", "metrics.json"
FINGERPRINT, MANIFEST, LOCK = "data.json", "manifest.json", ".lock"
#: Without these a folder is not a run that can be scored.
REQUIRED = (CONFIG, PREPROCESSOR, ARCHITECTURE, MODEL)
#: Written beside the run files by Lightning, test.py and profiles.py.
OUTPUTS = (
    "checkpoints",
    "tensorboard",
    "test_report.json",
    "test_report.md",
    "profiles.csv",
    "profiles.md",
    "report.html",
    "value_model.json",
)
#: What the manifest vouches for, when present.
RUN_FILES = (CONFIG, PREPROCESSOR, ARCHITECTURE, FINGERPRINT, PRETRAINED, MODEL, METRICS)
#: Folders Lightning and TensorBoard write into: real folders inside the run, never links.
FOLDERS = ("checkpoints", "tensorboard")
#: Every file of its own a run folder holds: no command writes over one of them.
OWN_FILES = (*RUN_FILES, MANIFEST, LOCK, *(name for name in OUTPUTS if name not in FOLDERS))


class RunDir(RunOutputs):
    """A run folder and its files (the evaluation outputs: :class:`~dec.runs.outputs.RunOutputs`).

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
    def new(cls, config: Config, root: str | Path = "checkpoints") -> RunDir:
        """``root/<timestamp>_<data>_k<k>_s<seed>``."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        d = config.data
        # a database's table (or "query"), never its URL, which may name a user
        source = Path(d.source).stem
        if is_database_url(d.source):  # the table (or "query"), never a path: "../x" is one
            source = re.sub(r"[^\w-]+", "_", d.table or "query").strip("_")[:60] or "table"
        return cls(Path(root) / f"{stamp}_{source}_k{config.model.n_clusters}_s{config.seed}")

    @classmethod
    def newest(cls, root: str | Path = "checkpoints") -> RunDir:
        """The most recently finished run under ``root``."""
        runs = [p.parent for p in Path(root).glob(f"*/{MODEL}")]
        if not runs:
            raise RunDirError(
                f"no finished run under {root}/; train one with scripts/train.py or pass --run DIR"
            )
        return cls(max(runs, key=lambda p: (p / MODEL).stat().st_mtime))

    @classmethod
    def newest_started(cls, root: str | Path = "checkpoints") -> RunDir:
        """The most recently started run under ``root``, finished or not (for ``--resume``)."""
        runs = [p.parent for p in Path(root).glob(f"*/{CONFIG}")]
        if not runs:
            raise ConfigError(f"nothing to resume under {root}/; pass --resume DIR")
        return cls(max(runs, key=lambda p: p.stat().st_mtime))

    def check(self) -> RunDir:
        """Return self, or raise RunDirError saying what is missing."""
        if not self.path.is_dir():
            raise RunDirError(
                f"run directory {self.path} not found; train one with scripts/train.py"
            )
        missing = [name for name in REQUIRED if not (self.path / name).exists()]
        if missing:
            raise RunDirError(
                f"run directory {self.path} is incomplete (missing "
                f"{', '.join(missing)}); finish it with scripts/train.py "
                "--resume or train again"
            )
        run_guard.check_manifest(self.path, MANIFEST, RUN_FILES, required=REQUIRED)
        run_guard.check_real_folders(self.path, FOLDERS)
        return self

    def own_files(self) -> list[Path]:
        """The run's own files (see :data:`OWN_FILES`), there or still to be written."""
        return [self.path / name for name in OWN_FILES]

    def check_keeps(self, sources) -> None:
        """Raise OutputPathError if a file this run folder writes is one of ``sources``
        (the data it is trained on, however spelt), before anything is written."""
        paths.check_outputs_kept(
            self.own_files(),
            [(source, "the training data") for source in sources],
            fix="choose another {output_dir}",
        )

    # ----------------------------------------------------------------- reading
    def config(self, overrides: list[str] | None = None, values: dict | None = None) -> Config:
        """The run's config, with dotted ``overrides`` and nested ``values`` applied."""
        return load_config(self.path / CONFIG, overrides, values)

    def has_config(self) -> bool:
        return (self.path / CONFIG).exists()

    def preprocessor(self) -> Preprocessor:
        return run_guard.read_checked(self.path / PREPROCESSOR, Preprocessor.load)

    def architecture(self) -> dict:
        return run_guard.read_checked(self.path / ARCHITECTURE, lambda p: dict(files.read_json(p)))

    def fingerprint(self) -> dict | None:
        path = self.path / FINGERPRINT
        return (
            run_guard.read_checked(path, lambda p: dict(files.read_json(p)))
            if path.exists()
            else None
        )

    def metrics(self) -> dict:
        path = self.path / METRICS
        return (
            run_guard.read_checked(path, lambda p: dict(files.read_json(p)))
            if path.exists()
            else {}
        )

    @property
    def pretrained_path(self) -> Path:
        return self.path / PRETRAINED

    def has_pretrained(self) -> bool:
        return (self.path / PRETRAINED).exists()

    def pretrained_state(self) -> dict[str, torch.Tensor]:
        return self._weights(self.path / PRETRAINED)

    def _weights(self, path: Path) -> dict[str, torch.Tensor]:
        return run_guard.checked_weights(path, self.architecture())

    def load_model(self) -> DECModel:
        """The refined model, in eval mode."""
        return self.check()._model()

    def _model(self) -> DECModel:
        return build_model(self.architecture(), self._weights(self.path / MODEL))

    def load(self) -> FitResult:
        """The whole run as a :class:`FitResult`."""
        self.check()  # once: it hashes every file against the manifest
        return FitResult(
            self._model(),
            self.pretrained_state(),
            self.preprocessor(),
            self.config(),
            self.metrics(),
            self,
            self.fingerprint(),
        )

    # ----------------------------------------------------------------- writing
    def writable(self) -> RunDir:
        """Return self if the folder can be created and written; creates nothing."""
        paths.check_writable_dir(self.path)
        return self

    def holds_a_run(self) -> bool:
        return any((self.path / name).exists() for name in (CONFIG, MODEL, "checkpoints"))

    def check_fresh(self, *, resume: bool, overwrite: bool) -> RunDir:
        """Refuse to start a new run over an existing one unless asked to replace it."""
        if not resume and not overwrite and self.holds_a_run():
            raise RunDirError(
                f"run directory {self.path} already holds a run; replace it with "
                "--overwrite, continue it with --resume, or choose another "
                "{output_dir}"
            )
        return self

    @contextmanager
    def claim(self, *, resume: bool = False, overwrite: bool = False) -> Iterator[RunDir]:
        """Hold the run folder's lock for the block: one writer at a time. A new run over an
        existing one clears it first when ``overwrite``, and is refused otherwise."""
        with run_guard.locked(self.path, LOCK):
            self.check_fresh(resume=resume, overwrite=overwrite)
            run_guard.check_real_folders(self.path, FOLDERS)
            if overwrite and not resume:
                run_guard.clear(self.path, (*RUN_FILES, MANIFEST, *OUTPUTS), suffixes=(".png",))
            yield self

    def start(
        self,
        config: Config,
        preprocessor: Preprocessor,
        architecture: dict,
        fingerprint: dict | None = None,
    ) -> None:
        """What a run knows before training: its config, preprocessing, architecture and
        data fingerprint. The manifest goes first: from here until the model is saved the
        folder is unfinished."""
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / MANIFEST).unlink(missing_ok=True)
        files.atomic_write_text(self.path / CONFIG, config_yaml(config))
        preprocessor.save(self.path / PREPROCESSOR)
        files.write_json(self.path / ARCHITECTURE, architecture)
        if fingerprint is not None:
            files.write_json(self.path / FINGERPRINT, fingerprint)

    def save_pretrained(self, state: dict[str, torch.Tensor], metrics: dict) -> None:
        files.save_weights(self.path / PRETRAINED, state)
        self.write_metrics(metrics)

    def save_model(self, model: DECModel, metrics: dict) -> None:
        """The refined model and final metrics, then the manifest: the run is complete."""
        files.save_weights(self.path / MODEL, model.state_dict())
        self.write_metrics(metrics)
        run_guard.write_manifest(self.path, MANIFEST, RUN_FILES)

    def write_metrics(self, metrics: dict) -> None:
        files.write_json(self.path / METRICS, metrics)

    def save(self, result: FitResult) -> RunDir:
        """Write a complete run from memory (the estimator's ``save``)."""
        with self.claim(overwrite=True):
            self.start(
                result.config, result.preprocessor, result.model.architecture, result.fingerprint
            )
            self.save_pretrained(result.pretrained, result.metrics)
            self.save_model(result.model, result.metrics)
        return self
