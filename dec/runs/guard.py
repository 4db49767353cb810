"""Keeping a run folder whole: one writer at a time, and a manifest that says a run is
finished and unchanged. :mod:`dec.runs.rundir` owns the file names and passes them in."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

from dec.errors import DecError, RunDirError
from dec.utils import files


@contextmanager
def locked(folder: Path, lock_name: str) -> Iterator[None]:
    """Create ``folder`` and hold the exclusive lock on ``folder/lock_name`` for the block."""
    folder.mkdir(parents=True, exist_ok=True)
    with files.exclusive_lock(folder / lock_name, what=f"run directory {folder}"):
        yield


def clear(folder: Path, names: Iterable[str], suffixes: tuple[str, ...] = ()) -> None:
    """Remove the entries of ``folder`` named in ``names`` or ending in ``suffixes``: what a
    run writes, and nothing else a user may keep there."""
    names = set(names)
    for child in folder.iterdir():
        if child.name not in names and child.suffix not in suffixes:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def write_manifest(folder: Path, manifest_name: str, names: Iterable[str]) -> None:
    """Record the sha256 of each of ``names`` present in ``folder``; written last, so its
    presence means the run is finished."""
    present = [name for name in names if (folder / name).is_file()]
    files.write_json(
        folder / manifest_name, {"files": {name: files.sha256(folder / name) for name in present}}
    )


def check_manifest(
    folder: Path, manifest_name: str, allowed: Iterable[str], *, required: Iterable[str] = ()
) -> None:
    """Raise RunDirError unless the manifest exists, lists every ``required`` file and
    every file of ``allowed`` that the folder holds, and each file it lists is a plain
    file (not a link) whose sha256 still matches."""
    manifest = folder / manifest_name
    if not manifest.exists():
        raise RunDirError(
            f"run directory {folder} is unfinished (no {manifest_name}: "
            "training stopped before it wrote every file); finish it with "
            "scripts/train.py --resume or train again"
        )
    try:
        listed = files.read_json(manifest)["files"]
        assert isinstance(listed, dict)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise RunDirError(f"{manifest} is corrupt; train the run again") from None
    allowed = set(allowed)
    unlisted = [
        name
        for name in allowed | set(required)
        if name not in listed and (name in required or os.path.lexists(folder / name))
    ]
    if unlisted:
        raise RunDirError(
            f"run directory {folder}: {manifest_name} does not vouch for "
            f"{', '.join(sorted(unlisted))}; train the run again"
        )
    for name, digest in listed.items():
        path = folder / name
        if name not in allowed or path.is_symlink() or not path.is_file():
            raise RunDirError(
                f"run directory {folder}: {name} is missing or not a plain "
                "file; train the run again"
            )
        if files.sha256(path) != digest:
            raise RunDirError(
                f"run directory {folder} is inconsistent: {name} changed after "
                f"training finished (its sha256 differs from {manifest_name}); "
                "restore it or train the run again"
            )


def check_real_folders(folder: Path, names: Iterable[str]) -> None:
    """Raise RunDirError if ``folder/name`` or anything below it (a folder or a file such as
    ``last.ckpt``) is a symbolic link, or ``folder/name`` is a file where a folder belongs:
    writing there would land outside the run."""
    for name in names:
        top = folder / name
        if top.is_symlink() or (top.exists() and not top.is_dir()):
            raise RunDirError(
                f"{top} must be a folder inside the run, not a link or a file; "
                "remove it and run again"
            )
        for parent, dirs, names in os.walk(top):
            for child in (*dirs, *names):
                if os.path.islink(os.path.join(parent, child)):
                    raise RunDirError(
                        f"{os.path.join(parent, child)} is a link out of the "
                        "run folder; remove it and run again"
                    )


def read_checked(path: Path, loader):
    """``loader(path)``, with any failure turned into one line naming the file."""
    try:
        return loader(path)
    except DecError:
        raise
    except FileNotFoundError:
        raise RunDirError(f"{path} is missing; train the run again") from None
    except Exception as err:  # corrupt JSON, wrong keys or types, truncated tensors
        detail = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
        raise RunDirError(
            f"{path} is corrupt or not this run's ({detail}); train the run again"
        ) from None


def checked_weights(path: Path, architecture: dict) -> dict[str, torch.Tensor]:
    """Tensors only, all finite, and a state that builds ``architecture`` (model.json)."""
    from dec.runs.result import build_model

    state = read_checked(path, files.load_weights)
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise RunDirError(f"{path} is not a state dict of tensors; train the run again")
    if not all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point()):
        raise RunDirError(f"{path} holds NaN or infinite weights; train the run again")
    read_checked(path, lambda _: build_model(architecture, state))
    return state
