"""Writing files so that a crash never leaves half of one, and reading weights safely.

The one atomic-write helper (temporary file beside the target, then rename), JSON, weights
that load without running code, and the lock a writer holds. Whether an output path may
be written at all is :mod:`dec.utils.paths`.
"""

from __future__ import annotations

import io
import json
import math
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place.

    A crash at any moment leaves either the old file or the new one, never half of one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for a writer that needs a file name; renamed into
    place when the block ends, removed if it fails."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp makes the file private (0600); give it the mode a plain open() would, or
        # the mode of the file it replaces.
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_paths(paths: list[Path]) -> Iterator[list[Path]]:
    """Temporary paths for several files written as one set: all are renamed into place
    once the block has written every one, none if it fails."""
    with ExitStack() as stack:
        yield [stack.enter_context(atomic_path(path)) for path in paths]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: str | Path, payload: Any) -> None:
    """``payload`` as JSON, atomically; NaN and infinities become ``null`` (JSON has no NaN,
    and a bare ``NaN`` makes the file unreadable to strict parsers)."""
    text = json.dumps(_finite_or_none(payload), indent=2, default=_json_default, allow_nan=False)
    atomic_write_text(path, text + "\n")


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        value = value.item()  # NumPy scalars
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def save_weights(path: str | Path, state: dict[str, torch.Tensor]) -> None:
    """Save a flat dict of tensors (a state dict), atomically."""
    import torch  # here, not above: writing JSON or a lock must not load torch

    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in state.items()}, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def load_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """Load tensors saved by :func:`save_weights`; never unpickles arbitrary objects.

    Raises
    ------
    UnsafeModelError
        If the file holds anything but tensors (e.g. a crafted pickle that would run code).
    """
    import pickle

    import torch

    from dec.errors import UnsafeModelError

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else "not plain tensors"
        raise UnsafeModelError(
            f"refusing to load {path}: it is not a plain weights file "
            f"({reason[:120]}); only load model files you trust"
        ) from None


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def exclusive_lock(path: str | Path, *, what: str) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``path`` (created, holding our pid) for the block.

    The operating system releases the lock when the process dies, so a killed run never
    leaves a stale lock behind. Raises RunDirError naming the holder's pid if another
    process holds it.
    """
    import fcntl

    from dec.errors import RunDirError

    path = Path(path)
    try:
        # Never through a link: a planted symlink or hard link would have us truncate and
        # write into the file it points at.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
    except OSError:
        if path.is_symlink():
            raise RunDirError(f"{path} is a symbolic link; remove it and run again") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
        os.close(fd)
        raise RunDirError(
            f"{path} is not a plain file of its own (a hard link or a special "
            "file); remove it and run again"
        )
    handle = os.fdopen(fd, "r+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise RunDirError(
            f"{what} is being written by another process (pid {holder}); "
            "wait for it to finish or choose another {output_dir}"
        ) from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()
