"""What others write into a run folder: Lightning's stage checkpoints
(``checkpoints/<stage>/last.ckpt``), TensorBoard's events, and what ``test.py`` and
``profiles.py`` add (``test_report.{json,md}``, ``profiles.{csv,md}``, the figures as PNG,
``report.html``, ``value_model.json``). :class:`~dec.rundir.RunDir` inherits these, so the run folder keeps one
owner; the run's own files (config, weights, manifest) stay in :mod:`dec.rundir`.
"""

from __future__ import annotations

from pathlib import Path

from dec import files, run_guard


class RunOutputs:
    """Lightning's, TensorBoard's and the evaluation's files in the run folder ``self.path``."""

    path: Path

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
        run_guard.read_checked(path, files.load_weights)  # crafted or truncated: one line, no traceback
        return str(path)

    @property
    def tensorboard_dir(self) -> Path:
        return self.path / "tensorboard"

    def evaluation_writer(self, part: str):
        """A TensorBoard writer for ``tensorboard/evaluation``; the events ``part``
        (``"report"``, ``"figures"``) wrote last time are removed first, so TensorBoard
        shows each result once however often ``test.py`` runs."""
        from torch.utils.tensorboard import SummaryWriter

        folder = self.tensorboard_dir / "evaluation"
        for old in folder.glob(f"events.out.tfevents.*.{part}"):
            old.unlink()
        return SummaryWriter(str(folder), filename_suffix=f".{part}")

    def write_report(self, report: dict, markdown: str) -> tuple[Path, Path]:
        json_path, md_path = self.path / "test_report.json", self.path / "test_report.md"
        files.write_json(json_path, report)
        files.atomic_write_text(md_path, markdown)
        return json_path, md_path

    def read_report(self) -> dict | None:
        """``test_report.json``, or None when test.py has not written one."""
        path = self.path / "test_report.json"
        return files.read_json(path) if path.is_file() else None

    def write_value_model(self, settings: dict) -> Path:
        """``value_model.json``: the customer-value models ``test.py --clv`` fitted."""
        path = self.path / "value_model.json"
        files.write_json(path, settings)
        return path

    def read_value_model(self) -> dict | None:
        path = self.path / "value_model.json"
        return files.read_json(path) if path.is_file() else None

    def write_profiles(self, csv_text: str, markdown: str) -> tuple[Path, Path]:
        csv_path, md_path = self.path / "profiles.csv", self.path / "profiles.md"
        files.atomic_write_text(csv_path, csv_text)
        files.atomic_write_text(md_path, markdown)
        return csv_path, md_path

    def read_profiles(self):
        """``profiles.csv`` (written by ``test.py``) as a DataFrame indexed by segment, or
        None when there is none."""
        path = self.path / "profiles.csv"
        if not path.is_file():
            return None
        import pandas as pd

        return pd.read_csv(path, index_col="segment")

    def read_figures(self, names) -> dict[str, bytes]:
        """PNG bytes of the figures ``<name>.png`` that exist, by name."""
        return {name: (self.path / f"{name}.png").read_bytes() for name in names
                if (self.path / f"{name}.png").is_file()}

    def write_html(self, html: str) -> Path:
        path = self.path / "report.html"
        files.atomic_write_text(path, html)
        return path

    def write_figure(self, name: str, png: bytes) -> Path:
        path = self.path / f"{name}.png"
        files.atomic_write_bytes(path, png)
        return path
