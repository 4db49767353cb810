"""Killed mid-write ("Nothing silently wrong"): ``features``, ``predict``, ``export``,
``migrate`` and ``test.py --clv``, each started as a real subprocess and killed with SIGKILL
at several moments of its run, never leave a partial file under a final name.

Each command is killed at an aimed moment, while it writes (the hidden temporary file
:func:`dec.utils.files.atomic_path` puts beside an output has appeared, or an output has just
been replaced), then at seeded random moments over the run up to that moment. After every
kill each output is absent or unchanged from before the kill, or whole: the same as an
uninterrupted run's. Then an uninterrupted rerun succeeds in spite of what the kills left,
and for ``test.py`` the run still loads and scores after every kill.

SIGKILL cannot be caught: no ``finally`` or ``except`` runs in the killed process, so the
hidden ``.NAME.<random>.tmp`` of a writer killed mid-write stays behind. That is accepted as
long as it never bears a final name and does not disturb a rerun, which is what is checked.
The moments are seeded, and the checks hold whichever moment a kill lands on, so the pass
condition does not depend on timing.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SMOKE, cli, write_small_log

pytestmark = pytest.mark.slow

SEED = 20240611
#: :func:`dec.utils.files.atomic_path`'s temporary names: ``.NAME.<random>.tmp`` beside NAME.
TEMPORARY = re.compile(r"^\.(?P<target>.+)\.[^./]+\.tmp$")
TIMEOUT = 600.0


@pytest.fixture(autouse=True)
def own_temporary_folder(tmp_path, monkeypatch):
    """The commands' temporary folders (DuckDB's spill folder, test.py's staged files),
    which a killed command leaves behind too, go under ``tmp_path``, not the system's."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setenv("PYTHONWARNINGS", "ignore")


@pytest.fixture(scope="module")
def log_run(tmp_path_factory):
    """A tiny run trained on the first 3,000 rows of CDNOW (``log.csv``), in ``run``; and
    all of CDNOW as ``cdnow.csv`` (same columns), whose 23,570 customers predict and export
    score: outputs of a megabyte or so take long enough to write that a kill aimed at the
    writing lands in it (a non-atomic writer is then caught with a partial file)."""
    from dec.config import load_config, replace
    from dec.training.pipeline import fit
    from dec.utils.resources import cdnow_path

    folder = tmp_path_factory.mktemp("killed_log_run")
    write_small_log(folder)
    pd.read_csv(cdnow_path(), sep=r"\s+", dtype={"customer_id": str, "date": str}).rename(
        columns={"customer_id": "cust", "dollar_value": "value"}
    ).to_csv(folder / "cdnow.csv", index=False)
    fit(
        replace(
            load_config(SMOKE),
            [
                "pretrain.epochs=1",
                "refine.epochs=1",
                f"data.source={folder / 'log.csv'}",
                "data.format=transactions",
                "data.id_column=cust",
                "data.date_column=date",
                "data.amount_column=value",
                "data.as_of=1997-09-30",
            ],
        ),
        folder / "run",
    )
    return folder


# ------------------------------------------------------------------ running and killing
@dataclass
class Kill:
    moment: str  # the aim ("writing", "replaced"), or "3.21 s" from the start
    seconds: float  # when it was killed, or ended
    killed: bool  # False: the run ended before the moment came

    def __str__(self) -> str:
        what = "killed" if self.killed else "ended before the kill"
        return f"{self.moment} ({what} after {self.seconds:.2f} s)"


RERUN = Kill("none (the uninterrupted rerun)", 0.0, False)


def _temporaries(folder: Path) -> set[str]:
    return {name for name in os.listdir(folder) if TEMPORARY.match(name)}


def _stamps(outputs: list[Path]) -> list:
    """What changes when a file is written or renamed into place."""
    stamps = []
    for path in outputs:
        try:
            info = path.stat()
        except FileNotFoundError:
            stamps.append(None)
        else:
            stamps.append((info.st_ino, info.st_mtime_ns, info.st_size))
    return stamps


def run_whole(args: list, cwd: Path) -> float:
    """Run the command to its end; its duration in seconds."""
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return time.monotonic() - start


def run_killed(
    args: list,
    cwd: Path,
    folder: Path,
    outputs: list[Path],
    *,
    after: float | None = None,
    aim: str | None = None,
) -> Kill:
    """Start the command and SIGKILL it (its whole process group) ``after`` seconds, or at
    the moment ``aim``: ``"writing"``, as soon as a new temporary file appears in ``folder``
    or an output changes (a writer that wrote the final name directly is caught as it
    starts); ``"replaced"``, as soon as one of the ``outputs`` changes (renamed into place:
    a command that writes several files is then killed between them)."""
    old_temporaries, old_stamps = _temporaries(folder), _stamps(outputs)
    start = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, *map(str, args)],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # its children die with it
    try:
        while process.poll() is None:
            elapsed = time.monotonic() - start
            assert elapsed < TIMEOUT, f"{args} ran past {TIMEOUT} s"
            if after is not None and elapsed >= after:
                break
            if aim is not None and (
                _stamps(outputs) != old_stamps
                or (aim == "writing" and _temporaries(folder) - old_temporaries)
            ):
                break
            time.sleep(0.001)
    finally:
        killed = process.poll() is None
        if killed:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # no cleanup can run
            except ProcessLookupError:
                pass
        process.wait()
    return Kill(aim or f"{after:.2f} s", time.monotonic() - start, killed)


def moments(name: str, duration: float, n: int) -> list[float]:
    """``n`` seeded random moments (seconds) spread over a run of ``duration``."""
    rng = random.Random(f"{SEED}-{name}")
    return sorted(round(rng.uniform(0.05, 1.0) * duration, 3) for _ in range(n))


def kill_then_rerun(
    name: str,
    args: list,
    cwd: Path,
    folder: Path,
    outputs: list[Path],
    *,
    aims: tuple[str, ...],
    n: int,
    after_each=lambda kill: None,
) -> None:
    """Kill the command at each moment of ``aims`` (:func:`run_killed`), then at ``n``
    seeded random moments of its run, then run it whole. After each kill ``folder`` holds
    nothing new but ``outputs`` and hidden temporaries, and each output is unchanged or
    whole: the same as the rerun's, which must succeed in spite of what the kills left.
    ``after_each(kill)``: more checks after each kill."""
    allowed = set(os.listdir(folder))
    written = []  # (kill, output, its bytes after the kill), where they changed

    def kill_at(**moment) -> Kill:
        before = _contents(outputs)
        kill = run_killed(args, cwd, folder, outputs, **moment)
        print(f"{name}: {kill}", file=sys.__stdout__)  # with -s, what happened
        assert_only_outputs_and_hidden_temporaries(folder, allowed, outputs, kill)
        for path, now in _contents(outputs).items():
            assert now is not None or before[path] is None, f"{path.name} lost at {kill}"
            if now != before[path]:  # else unchanged from before the kill
                written.append((kill, path, now))
        after_each(kill)
        return kill

    # Each command writes its outputs last: an aimed kill comes once its work is done, so
    # its moment is the length of a run up to the writing, over which the others spread.
    first, *_ = [kill_at(aim=aim) for aim in aims]
    for at in moments(name, first.seconds, n):
        kill_at(after=at)
    # The rerun, uninterrupted, in spite of the temporaries the kills left: it must
    # succeed, and it says what whole files are (test.py's differ in timings only).
    run_whole(args, cwd)
    reference = {path: read_output(path) for path in outputs}
    for i, (kill, path, content) in enumerate(written):
        copy = folder.parent / f"written{i}" / path.name  # to read it as the output
        copy.parent.mkdir()
        copy.write_bytes(content)
        assert_same(copy, reference[path], kill)
    assert_only_outputs_and_hidden_temporaries(folder, allowed, outputs, RERUN)


def _contents(outputs: list[Path]) -> dict[Path, bytes | None]:
    return {path: path.read_bytes() if path.exists() else None for path in outputs}


def assert_only_outputs_and_hidden_temporaries(
    folder: Path, allowed: set[str], outputs: list[Path], kill: Kill
) -> None:
    """Nothing but the ``allowed`` names and hidden temporaries of the outputs; a temporary
    never takes a final name."""
    finals = {path.name for path in outputs}
    for name in os.listdir(folder):
        match = TEMPORARY.match(name)
        if match:
            assert match["target"] in finals, f"{name} after a kill at {kill}"
        else:
            assert name in allowed | finals, f"unexpected {name} after a kill at {kill}"


# -------------------------------------------------------------------- reading outputs
class Arrays(dict):
    """The arrays of an .npz file, by name."""


def read_output(path: Path):
    """The content of an output, read as its user would: a partial file fails to read or
    differs from a whole one."""
    suffix = path.suffix
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)  # the text, exactly
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as arrays:
            return Arrays((key, arrays[key]) for key in arrays.files)
    if suffix == ".json":
        return _without_timings(json.loads(path.read_text()))
    if suffix in (".md", ".html"):
        # The seconds each method took differ from run to run, and only they.
        return re.sub(r"\d+\.\d+", "#", path.read_text())
    return path.read_bytes()


def _without_timings(value):
    """``value`` without the seconds fits took, nor value_model.json's ``sha256`` (of a body
    that holds them)."""
    if isinstance(value, dict):
        return {
            k: _without_timings(v)
            for k, v in value.items()
            if not k.endswith("seconds") and k != "sha256"
        }
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def assert_same(path: Path, reference, kill: Kill) -> None:
    """``path`` is complete: it reads back as ``reference`` (what an uninterrupted run
    wrote, read by :func:`read_output`)."""
    where = f"{path.name} after a kill at {kill}"
    try:
        content = read_output(path)
    except Exception as err:  # a partial file: unreadable
        raise AssertionError(f"{where} is not a whole file: {err!r}") from None
    if isinstance(reference, pd.DataFrame):
        assert len(content) == len(reference), f"{where}: {len(content)} of {len(reference)} rows"
        pd.testing.assert_frame_equal(content, reference, obj=where)
    elif isinstance(reference, Arrays):
        assert content.keys() == reference.keys(), where
        for key, array in reference.items():
            assert np.array_equal(content[key], array), f"{where}: {key} differs"
    else:
        assert content == reference, f"{where} differs from an uninterrupted run's"


# ------------------------------------------------------- features, predict, export, migrate
def scoring_command(name: str, log_run: Path, out: Path) -> tuple[list, list[Path]]:
    """The command line of ``name`` writing under ``out``, and its outputs."""
    log, cdnow, run = log_run / "log.csv", log_run / "cdnow.csv", log_run / "run"
    if name == "features":
        return (
            [
                "-m",
                "dec",
                "features",
                "--transactions",
                log,
                "--id-column",
                "cust",
                "--date-column",
                "date",
                "--amount-column",
                "value",
                "--output",
                out / "features.parquet",
            ],
            [out / "features.parquet"],
        )
    if name == "predict":
        return (
            [
                "-m",
                "dec",
                "predict",
                "--run",
                run,
                "--transactions",
                cdnow,
                "--output",
                out / "segments.csv",
            ],
            [out / "segments.csv"],
        )
    if name == "export":
        return (
            [
                "-m",
                "dec",
                "export",
                "--run",
                run,
                "--transactions",
                cdnow,
                "--output",
                out / "customers.npz",
            ],
            [out / "customers.npz"],
        )
    from dec.scoring.migrate import migration_paths

    movers = out / "movers.parquet"
    return (
        [
            "-m",
            "dec",
            "migrate",
            "--run",
            run,
            "--as-of",
            "1997-03-01",
            "--as-of",
            "1997-06-30",
            "--output",
            movers,
        ],
        list(migration_paths(movers).values()),
    )


@pytest.mark.parametrize("name", ["features", "predict", "export", "migrate"])
def test_a_killed_command_leaves_its_output_whole_or_absent_and_reruns(name, log_run, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    args, outputs = scoring_command(name, log_run, out)
    # migrate writes four files as a set: also killed once the first is renamed into place.
    aims = ("writing", "replaced") if name == "migrate" else ("writing",)
    kill_then_rerun(name, args, log_run, out, outputs, aims=aims, n=2)


# ------------------------------------------------------------------------ test.py --clv
#: What test.py --clv writes into the run folder (besides TensorBoard's events).
RUN_OUTPUTS = (
    "value_model.json",
    "test_report.json",
    "test_report.md",
    "profiles.csv",
    "profiles.md",
    "segment_sizes.png",
    "segment_heatmap.png",
    "embedding_projection.png",
    "segment_sizes_phone.png",
    "segment_heatmap_phone.png",
    "embedding_projection_phone.png",
    "report.html",
)


def test_a_killed_test_py_clv_leaves_each_run_file_old_or_whole_and_the_run_loads(
    log_run, tmp_path, capsys
):
    run = tmp_path / "run"
    shutil.copytree(log_run / "run", run)
    # The BG/NBD model only: "auto" would fit both models twice (much longer).
    args = [ROOT / "scripts" / "test.py", "--run", run, "--clv", "--clv-model", "bg_nbd"]
    # Aimed once its first file is in place, while the others are still to come.
    kill_then_rerun(
        "test.py --clv",
        args,
        log_run,
        run,
        [run / name for name in RUN_OUTPUTS],
        aims=("replaced",),
        n=1,
        after_each=lambda kill: _assert_run_loads(run, log_run, kill, capsys),
    )
    _assert_run_loads(run, log_run, RERUN, capsys)


def _assert_run_loads(run: Path, log_run: Path, kill: Kill, capsys) -> None:
    """The run is whole and scores a log; with a value_model.json, with --clv too."""
    from dec.runs.rundir import RunDir

    RunDir(run).check()
    clv = [["--clv"]] if (run / "value_model.json").exists() else []
    for extra in [[], *clv]:
        code, err = cli(
            "predict",
            "--run",
            run,
            "--transactions",
            log_run / "log.csv",
            "--output",
            run.parent / "scored.csv",
            *extra,
            capsys=capsys,
        )
        assert code == 0, f"after a kill at {kill}: {err}"
