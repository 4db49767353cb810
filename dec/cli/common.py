"""Command-line plumbing shared by every script: one-line errors, tidy warnings, and the
``train`` flags, which are built from :mod:`dec.config`'s declarations."""

from __future__ import annotations

import argparse
import logging
import re
import signal
import sys
import types
import typing
import warnings
from collections.abc import Callable
from pathlib import Path

from dec.config import Config, deep_update, fields_with, load_config, nested
from dec.errors import ConfigError, DecError
from dec.training.rank import is_rank_zero
from dec.utils.resources import shipped_config_names
from dec.utils.urls import masked_text, remember_secrets

#: A command named the way the scripts are run: ``python scripts/test.py`` or ``scripts/test.py``.
_SCRIPT = re.compile(r"(?:python )?scripts/([a-z_]+)\.py")


def as_invoked(text: str) -> str:
    """``text`` with each ``python scripts/NAME.py`` as the user can run it from where they
    stand: ``dec NAME`` when this command was started as ``dec`` (or ``python -m dec``),
    unchanged when it was started as a script."""
    if not sys.argv or not sys.argv[0].startswith("dec "):
        return text
    return _SCRIPT.sub(lambda m: f"dec {m.group(1)}", text)


def run_cli(main: Callable[[], int | None]) -> int:
    """Run ``main``; turn a :class:`DecError` into ``error: ...`` on stderr and exit code 2."""
    warnings.showwarning = _one_line_warning
    _WARNED.clear()
    remember_secrets(sys.argv[1:])
    package_log = logging.getLogger("dec")
    if not any(isinstance(h, _StderrHandler) for h in package_log.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.addFilter(lambda record: is_rank_zero())
        package_log.addHandler(handler)
    package_log.setLevel(logging.INFO)
    previous = _on_terminate()
    try:
        try:
            return main() or 0
        except BaseException:
            # Code interrupted by SIGTERM may pass on its own error (DuckDB: "Query
            # interrupted"): the command was stopped all the same.
            if _TERMINATED:
                raise Terminated from None
            raise
    except Terminated:
        print(
            "error: stopped (SIGTERM); nothing half-written is left under a final name",
            file=sys.stderr,
        )
        return 143
    except DecError as err:
        print(f"error: {masked_text(as_invoked(str(err)))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        again = (
            "a training run continues with --resume"
            if main.__name__ == "train"
            else "nothing half-written is left under a final name"
        )
        print(f"error: interrupted; {again}", file=sys.stderr)
        return 130
    except OSError as err:  # a full disk, a file size limit, a folder gone mid-run
        where = f" {err.filename}" if err.filename else ""
        again = "continue with --resume" if main.__name__ == "train" else "run it again"
        print(
            f"error: could not write or read{where}: {err.strerror or err}; free space or "
            f"fix permissions, then {again}",
            file=sys.stderr,
        )
        return 2
    finally:
        _TERMINATED.clear()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


#: Set once SIGTERM has arrived.
_TERMINATED: list[bool] = []


class Terminated(BaseException):
    """SIGTERM, raised where the command is, so that its clean-up runs (temporary files,
    DuckDB's spill folder) as it does for Ctrl-C; a BaseException, as KeyboardInterrupt
    is, so that no ``except Exception`` swallows it."""


def _on_terminate():
    """Raise :class:`Terminated` on SIGTERM; the previous handler, or None where signals
    cannot be handled here (not the main thread)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def terminate(signum, frame):
        _TERMINATED.append(True)
        raise Terminated

    return signal.signal(signal.SIGTERM, terminate)


class _StderrHandler(logging.StreamHandler):
    """The package's lines on standard error, whichever stream that is at the time (a
    caller may have swapped it since the handler was added)."""

    @property
    def stream(self):
        return sys.stderr

    def format(self, record):
        return masked_text(as_invoked(super().format(record)))

    @stream.setter
    def stream(self, value):
        pass


#: The warnings this command has printed: each is said once, however often it recurs.
_WARNED: set[str] = set()


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    text = str(message)
    if text not in _WARNED:
        _WARNED.add(text)
        print(f"warning: {masked_text(as_invoked(text))}", file=sys.stderr)


class Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit code 2 without the usage dump, and
    a renamed flag's old spelling still read (:meth:`add_renamed`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: (new flag, old flag, dest, the old flag's dest, default) per renamed flag.
        self._renamed: list[tuple[str, str, str, str, typing.Any]] = []
        #: Whether parse_args caps the threads (:func:`threads_arg`).
        self.caps_threads = False

    def add_renamed(self, flag: str, old: str, *, default=None, **kwargs) -> argparse.Action:
        """``flag``, also read under its former spelling ``old``, which prints one line
        ``warning: OLD is deprecated; use FLAG`` on stderr; both at once is a usage error.
        ``old`` is left out of ``--help``."""
        action = self.add_argument(flag, default=None, **kwargs)
        old_dest = f"_deprecated_{_dest(old)}"
        self.add_argument(
            old,
            dest=old_dest,
            default=None,
            help=argparse.SUPPRESS,
            **{k: v for k, v in kwargs.items() if k in ("type", "metavar")},
        )
        self._renamed.append((flag, old, action.dest, old_dest, default))
        return action

    def parse_args(self, args=None, namespace=None):
        # KEY=VALUE overrides may come before, between or after the flags.
        parsed = self.parse_intermixed_args(args, namespace)
        for flag, old, dest, old_dest, default in self._renamed:
            value = getattr(parsed, old_dest)
            delattr(parsed, old_dest)
            if value is not None:
                if getattr(parsed, dest) is not None:
                    self.error(f"give {flag} or {old} (its old spelling), not both")
                # Printed, not warnings.warn: a DeprecationWarning is hidden by default.
                _one_line_warning(f"{old} is deprecated; use {flag}", FutureWarning, "", 0)
                setattr(parsed, dest, value)
            elif getattr(parsed, dest) is None:
                setattr(parsed, dest, default)
        if self.caps_threads:
            from dec.utils.threads import cap_threads

            # No busy-machine hint here: an error in the flags that follow must stay one line.
            cap_threads(parsed.threads, hint=False)
        return parsed

    def error(self, message):
        print(f"error: {masked_text(message)} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def _flag_type(annotation) -> Callable[[str], typing.Any]:
    """How a flag's text becomes the field's type: ``int``, ``float``, comma lists, text."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is list:
        return lambda text: [v for v in text.split(",") if v]
    return annotation if annotation in (int, float) else str


def _dest(flag: str) -> str:
    return flag.removeprefix("--").replace("-", "_")


def train_parser() -> argparse.ArgumentParser:
    """``train.py``'s flags: one per config field that declares one, plus the few that are
    not config values (``--config``, ``--transactions``, ``--gpus``, ``--resume``)."""
    p = Parser(
        description="Train a DEC/IDEC customer segmentation model. "
        "With no arguments: the built-in synthetic customers, configs/default.yaml."
    )
    config_args(p)
    p.add_argument(
        "--resume",
        nargs="?",
        const="",
        metavar="DIR",
        help="continue a run from its last checkpoint (default: --output-dir or the newest run)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run already in --output-dir (without it, or --resume, "
        "an existing run is never trained into)",
    )
    return p


def config_args(p: argparse.ArgumentParser, skip: tuple[str, ...] = ()) -> None:
    """The flags every training command shares (``train``, ``sweep``): dotted overrides,
    ``--config``, one flag per config field that declares one (but ``skip``),
    ``--transactions`` and ``--gpus``; :func:`config_values` reads them back."""
    p.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="dotted config overrides, e.g. refine.gamma=0 pretrain.epochs=10",
    )
    p.add_argument(
        "--config",
        help=f"YAML config, or a shipped one by name ({', '.join(shipped_config_names())}); "
        "default: the built-in defaults (configs/default.yaml)",
    )
    for flag, [(key, field, annotation)] in fields_with("flag").items():
        if flag in skip:
            continue
        p.add_argument(
            flag,
            dest=_dest(flag),
            type=_flag_type(annotation),
            help=f"{field.metadata['help']} ({key})",
        )
    p.add_argument(
        "--transactions",
        metavar="PATH",
        help="a transaction log (.csv/.parquet, or a database URL with --table or --query) "
        "instead of a customer table "
        "(with --id-column, --date-column, --amount-column)",
    )
    p.add_argument("--gpus", type=int, help="0 = CPU, N = N GPUs")


def config_values(args: argparse.Namespace) -> Config:
    """The config :func:`config_args`'s flags describe (no run folder, no resume)."""
    return load_config(args.config, args.overrides, _flag_values(args))


def _flag_values(args: argparse.Namespace) -> dict:
    values: dict = {}
    for flag, [(key, _, _)] in fields_with("flag").items():
        value = getattr(args, _dest(flag), None)
        if value is not None:
            deep_update(values, nested(key, value))
    if args.transactions is not None:
        if args.data is not None:
            raise ConfigError("give either --data or --transactions, not both")
        deep_update(values, {"data": {"source": args.transactions, "format": "transactions"}})
    source = values.get("data", {}).get("source")
    if source is not None and Path(source).exists():
        # test.py may run from another folder: remember where the table really is.
        values["data"]["source"] = str(Path(source).resolve())
    if args.gpus is not None:
        if args.gpus < 0:
            raise ConfigError("--gpus must be 0 (CPU) or a positive number of GPUs")
        deep_update(
            values,
            {"trainer": {"accelerator": "gpu" if args.gpus else "cpu", "devices": args.gpus or 1}},
        )
    return values


def config_from_args(args: argparse.Namespace) -> tuple[Config, Path | None, bool]:
    """Resolve the config, the run directory and whether to resume, from parsed flags."""
    values = _flag_values(args)
    if args.resume is not None and args.overwrite:
        raise ConfigError("give --resume (continue the run) or --overwrite (replace it), not both")
    if args.resume is not None:
        from dec.runs.rundir import RunDir

        run = RunDir(_resume_dir(args))
        if not run.has_config():
            raise ConfigError(
                f"cannot resume {run}: it has no saved config; start a new run instead"
            )
        return run.config(args.overrides, values), run.path, True
    config = load_config(args.config, args.overrides, values)
    return config, Path(config.output_dir) if config.output_dir else None, False


def _resume_dir(args) -> Path:
    from dec.runs.rundir import RunDir

    if args.resume:
        return Path(args.resume)
    if args.output_dir:
        return Path(args.output_dir)
    return RunDir.newest_started().path


def threads_arg(parser: Parser) -> None:
    """``--threads N``, applied as soon as the flags are read (:func:`~dec.utils.threads.cap_threads`);
    ``train`` and ``sweep`` take it as ``trainer.threads`` instead."""
    from dec.utils.threads import THREADS_HELP

    parser.add_argument("--threads", type=_threads, default=0, metavar="N", help=THREADS_HELP)
    parser.caps_threads = True


def _threads(text: str) -> int:
    from dec.utils.threads import MAX_THREADS

    text = text.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_THREADS:
        raise argparse.ArgumentTypeError(
            f"expected 0 (automatic) or a number of threads up to {MAX_THREADS}, got {text!r}"
        )
    return int(text)


def run_arg(parser: Parser, required: bool = False) -> None:
    """``--run DIR``, the run a command reads, and ``--threads N``, which every command that
    reads a run takes."""
    parser.add_argument(
        "--run",
        required=required,
        help="run directory" + ("" if required else " (default: the newest under checkpoints/)"),
    )
    threads_arg(parser)


def selected_run(args):
    """The run ``--run`` names (checked), else the newest finished one under checkpoints/."""
    from dec.runs.rundir import RunDir

    return RunDir(args.run).check() if args.run else RunDir.newest()
