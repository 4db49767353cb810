"""What others write into a run folder: Lightning's stage checkpoints
(``checkpoints/<stage>/last.ckpt``), TensorBoard's events, and what ``test.py`` and
``profiles.py`` add (``test_report.{json,md}``, ``profiles.{csv,md}``, the figures as PNG,
``report.html``, ``value_model.json``). :class:`~dec.runs.rundir.RunDir` inherits these, so the
run folder keeps one owner; the run's own files (config, weights, manifest) stay in
:mod:`dec.runs.rundir`.

``value_model.json`` is written after training, so the manifest cannot vouch for it: it
carries its own ``sha256`` (:func:`value_model_digest`), and every read checks it and the
models (:func:`dec.value.settings.settings_problem`). :func:`staged` holds back what ``test.py``
writes until all of it is ready, so a failure half-way changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dec.errors import DataError, RunDirError
from dec.runs import guard as run_guard
from dec.utils import files

VALUE_MODEL = "value_model.json"


@dataclass
class _Stage:
    """Where a staged run folder's files wait (``folder``), and the TensorBoard event
    ``parts`` whose old files go when they are written."""

    folder: Path
    parts: set[str] = field(default_factory=set)


#: Run folders being written by :func:`staged`, by resolved path. By path, not on one
#: RunDir: profile_run, write_report and the rest each open their own RunDir of the run.
_STAGED: dict[Path, _Stage] = {}


@contextmanager
def staged(run_dir) -> Iterator[None]:
    """Hold back every file :class:`RunOutputs` writes into ``run_dir`` during the block,
    and write them all into it as one set when the block ends; none if it fails.

    ``test.py`` writes ``value_model.json``, the report, the profiles, the figures,
    ``report.html`` and TensorBoard events one after the other: a failure half-way would
    leave, say, a new value model beside the report and profiles of the last one. Inside
    the block the writers write into a private temporary folder, and the readers
    (``report.html`` reads the profiles and figures) see what was written there.
    """
    key = Path(run_dir).resolve()
    if key in _STAGED:  # already inside one: part of its set
        yield
        return
    with tempfile.TemporaryDirectory(prefix="dec-staged-") as folder:
        stage = _Stage(Path(folder))
        _STAGED[key] = stage
        try:
            yield
        finally:
            del _STAGED[key]
        _commit(stage, Path(run_dir))


def _commit(stage: _Stage, run_dir: Path) -> None:
    """The staged files into ``run_dir``: copied beside their places first, renamed into
    them only once every copy is made (:func:`dec.utils.files.atomic_paths`); then the event
    files they replace are removed."""
    names = sorted(p.relative_to(stage.folder) for p in stage.folder.rglob("*") if p.is_file())
    targets = [run_dir / name for name in names]
    events = run_dir / "tensorboard" / "evaluation"
    replaced = [
        old
        for part in stage.parts
        for old in events.glob(f"events.out.tfevents.*.{part}")
        if old not in targets
    ]
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
    with files.atomic_paths(targets) as temporaries:
        for name, temporary in zip(names, temporaries):
            shutil.copyfile(stage.folder / name, temporary)
    for old in replaced:
        old.unlink(missing_ok=True)


def value_model_digest(body: dict) -> str:
    """The ``sha256`` field of ``value_model.json``: hex SHA-256 of the rest of the file as
    canonical JSON (keys sorted, no spaces, ASCII; NaN and infinities as null, as
    :func:`dec.utils.files.write_json` writes them). It tells a hand edit from the file test.py
    wrote; it is no signature: whoever edits the file can compute it again."""
    text = json.dumps(
        _as_written(body), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _as_written(value):
    """``value`` as it reads back from :func:`dec.utils.files.write_json`: NumPy scalars as
    Python numbers, tuples as lists, NaN and infinities as None."""
    if isinstance(value, dict):
        return {str(k): _as_written(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_written(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class RunOutputs:
    """Lightning's, TensorBoard's and the evaluation's files in the run folder ``self.path``."""

    path: Path

    def _stage(self) -> _Stage | None:
        return _STAGED.get(self.path.resolve()) if _STAGED else None

    def _output(self, name: str) -> Path:
        """Where the file ``name`` of the run is written: into the run, or while
        :func:`staged`, into its stage."""
        stage = self._stage()
        path = (stage.folder if stage else self.path) / name
        if stage:
            path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _input(self, name: str) -> Path:
        """Where the file ``name`` of the run is read: what :func:`staged` holds of it, else
        the run's own."""
        stage = self._stage()
        if stage and (stage.folder / name).is_file():
            return stage.folder / name
        return self.path / name

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
        run_guard.read_checked(
            path, files.load_weights
        )  # crafted or truncated: one line, no traceback
        return str(path)

    @property
    def tensorboard_dir(self) -> Path:
        return self.path / "tensorboard"

    def evaluation_writer(self, part: str):
        """A TensorBoard writer for ``tensorboard/evaluation``; the events ``part``
        (``"report"``, ``"figures"``) wrote last time are removed first, so TensorBoard
        shows each result once however often ``test.py`` runs."""
        from torch.utils.tensorboard import SummaryWriter

        stage = self._stage()
        if stage:  # the old events go when the new ones are written into the run
            stage.parts.add(part)
            return SummaryWriter(
                str(self._output("tensorboard/evaluation")), filename_suffix=f".{part}"
            )
        folder = self.tensorboard_dir / "evaluation"
        for old in folder.glob(f"events.out.tfevents.*.{part}"):
            old.unlink()
        return SummaryWriter(str(folder), filename_suffix=f".{part}")

    def write_report(self, report: dict, markdown: str) -> tuple[Path, Path]:
        files.write_json(self._output("test_report.json"), report)
        files.atomic_write_text(self._output("test_report.md"), markdown)
        return self.path / "test_report.json", self.path / "test_report.md"

    def read_report(self) -> dict | None:
        """``test_report.json``, or None when test.py has not written one."""
        path = self._input("test_report.json")
        return files.read_json(path) if path.is_file() else None

    def write_value_model(self, settings: dict) -> Path:
        """``value_model.json``: the customer-value models ``test.py --clv`` fitted, with
        their ``sha256`` (:func:`value_model_digest`).

        Raises
        ------
        DataError
            If the models would not score (:func:`dec.value.settings.settings_problem`): nothing is
            written that :meth:`read_value_model` would refuse.
        """
        from dec.value.settings import settings_problem

        path = self.path / VALUE_MODEL
        problem = settings_problem(settings)
        if problem is not None:
            raise DataError(f"refusing to write {path}: {problem}")
        body = {k: v for k, v in settings.items() if k != "sha256"}
        files.write_json(self._output(VALUE_MODEL), {**body, "sha256": value_model_digest(body)})
        return path

    def read_value_model(self) -> dict | None:
        """``value_model.json`` without its ``sha256``, or None when test.py --clv has not
        written one.

        Raises
        ------
        RunDirError
            In one line naming the file, the key and the fix, if it is not JSON, not the
            file test.py wrote (its ``sha256`` differs) or its models would not score
            (:func:`dec.value.settings.settings_problem`).

        Warns
        -----
        UserWarning
            For a file without a ``sha256`` (written before the field, or with it deleted):
            it is read and its models checked, but a hand edit cannot be told.
        """
        from dec.value.settings import settings_problem

        path = self._input(VALUE_MODEL)
        if not path.is_file():
            return None
        again = f"fit it again with: python scripts/test.py --run {self.path} --clv"
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            detail = (str(err).strip().splitlines() or [type(err).__name__])[0][:120]
            raise RunDirError(
                f"{self.path / VALUE_MODEL} is not valid JSON ({detail}); {again}"
            ) from None
        unchecked = not (isinstance(body, dict) and "sha256" in body)
        if not unchecked:
            digest = body.pop("sha256")
            if digest != value_model_digest(body):
                raise RunDirError(
                    f"{VALUE_MODEL} in {self.path} was changed after test.py "
                    f"--clv wrote it; {again}"
                )
        problem = settings_problem(body)
        if problem is not None:
            raise RunDirError(
                f"{self.path / VALUE_MODEL} cannot score customers: {problem}; {again}"
            )
        if unchecked:
            # Deleting the line is the one hand edit the digest cannot catch: read it (older
            # files have none), but never silently. Read once per command, so said once.
            warnings.warn(
                f"{VALUE_MODEL} in {self.path} has no checksum (written by an older "
                "dec, or edited); its models are checked but an edit cannot be "
                f"detected: {again}",
                stacklevel=2,
            )
        return body

    def write_profiles(self, csv_text: str, markdown: str) -> tuple[Path, Path]:
        files.atomic_write_text(self._output("profiles.csv"), csv_text)
        files.atomic_write_text(self._output("profiles.md"), markdown)
        return self.path / "profiles.csv", self.path / "profiles.md"

    def read_profiles(self):
        """``profiles.csv`` (written by ``test.py``) as a DataFrame indexed by segment, or
        None when there is none."""
        path = self._input("profiles.csv")
        if not path.is_file():
            return None
        import pandas as pd

        return pd.read_csv(path, index_col="segment")

    def read_figures(self, names) -> dict[str, bytes]:
        """PNG bytes of the figures ``<name>.png`` that exist, by name."""
        return {
            name: self._input(f"{name}.png").read_bytes()
            for name in names
            if self._input(f"{name}.png").is_file()
        }

    def write_html(self, html: str) -> Path:
        files.atomic_write_text(self._output("report.html"), html)
        return self.path / "report.html"

    def write_figure(self, name: str, png: bytes) -> Path:
        files.atomic_write_bytes(self._output(f"{name}.png"), png)
        return self.path / f"{name}.png"
