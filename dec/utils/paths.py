"""Where outputs may go, checked before any work: a folder that can be created, a file
with a known format in a writable folder, and never a file the command reads or a run
depends on, however its path is spelt (``..``, symbolic or hard links)."""

from __future__ import annotations

import os
from pathlib import Path


def check_writable_dir(
    path: str | Path, *, what: str = "run directory", setting: str = "{output_dir}"
) -> Path:
    """Raise OutputPathError unless ``path`` is, or can be created as, a writable folder;
    the message asks for another ``setting`` (a ``{config.key}`` or a flag).

    Creates nothing, so a failure later on bad input still leaves no folder behind.
    """
    from dec.errors import OutputPathError

    path = Path(path)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "it is" if existing == path else f"{existing} is"
        raise OutputPathError(
            f"cannot create {what} {path}: {where} a file, not a folder; choose another {setting}"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputPathError(
            f"cannot write {what} {path}: {existing} is not writable; "
            f"choose another {setting} or fix its permissions"
        )
    return path


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether ``a`` and ``b`` name one file however they are spelt: ``..``, symbolic
    links and hard links included (the last only where both exist)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return Path(a).resolve() == Path(b).resolve()


def check_outputs_kept(outputs, kept, *, fix: str = "write to another file so it is kept") -> None:
    """Raise OutputPathError, before any work, if an output would replace a file to keep.

    Parameters
    ----------
    outputs : iterable of path or None
        What the command will write.
    kept : iterable of (path or None, str)
        Files the command reads or a run depends on, each with what it is (``"the input
        file"``, ``"the run's training data"``).
    fix : str
        What the message asks the user to do.
    """
    from dec.errors import OutputPathError

    kept = [(Path(source), what) for source, what in kept if source is not None]
    for output in outputs:
        for source, what in kept if output is not None else ():
            if same_file(output, source):
                raise OutputPathError(f"output {output} is {what} {source}; {fix}")


def check_output_file(path: str | Path, formats: tuple[str, ...], *, inputs: tuple = ()) -> Path:
    """Fail before any work if ``path`` has an unknown format, cannot be written, or is one
    of the ``inputs`` (writing the predictions over the customer table they came from)."""
    from dec.errors import OutputPathError

    path = Path(path)
    check_outputs_kept([path], [(source, "the input file") for source in inputs])
    if path.suffix.lower() not in formats:
        raise OutputPathError(f"output {path} must end in {', '.join(formats)}")
    if path.is_dir():
        raise OutputPathError(f"cannot write {path}: it is a folder; give a file name")
    if not path.parent.is_dir():
        raise OutputPathError(
            f"cannot write {path}: folder {path.parent} does not exist; create it first"
        )
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot write {path}: folder {path.parent} is not writable")
    return path


def check_not_read_later(output: str | Path, source: str | Path) -> None:
    """Raise OutputPathError if ``output`` would become part of ``source``, a folder of
    files or a glob that the next read takes whole: inside the folder, or matched by the
    glob (the next read would take the output for input)."""
    import fnmatch

    from dec.errors import OutputPathError

    output, text = Path(output), str(source)
    folder = Path(text)
    if folder.is_dir():
        if same_file(output.parent, folder):
            raise OutputPathError(
                f"output {output} is inside the folder {folder} it reads; "
                "the next read of the folder would take it for input, so "
                "write it elsewhere"
            )
    elif not folder.exists() and any(c in text for c in "*?["):
        if fnmatch.fnmatch(str(output.resolve()), str(Path(text).resolve())) or fnmatch.fnmatch(
            str(output), text
        ):
            raise OutputPathError(
                f"output {output} matches the pattern {text} it reads; the "
                "next read would take it for input, so write it elsewhere"
            )
