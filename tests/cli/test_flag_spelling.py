"""One spelling per flag: a folder the command writes is ``--output-dir``, a file
``--output``. ``--out``, the old spelling of ``sweep`` and ``scripts/benchmark.py``, still
works with one deprecation line on stderr; both spellings at once are refused."""

import re
import sys

import pytest
from conftest import SMOKE, cli, run_script

from dec.cli.common import Parser, run_cli

DEPRECATED = "warning: --out is deprecated; use --output-dir"
BOTH = "error: give --output-dir or --out (its old spelling), not both (see --help)"

#: The quickest real sweep: one k, one seed, no resamples.
QUICK_SWEEP = ("--config", SMOKE, "--k", "2", "--seeds", "0", "--bootstrap", "0")


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning:")]


def test_sweep_writes_into_output_dir_without_a_warning(tmp_path, capsys):
    code, err = cli("sweep", *QUICK_SWEEP, "--output-dir", tmp_path / "sweep", capsys=capsys)
    assert code == 0, err
    assert (tmp_path / "sweep" / "sweep.csv").is_file()
    assert "deprecated" not in err


def test_sweep_still_reads_out_and_says_it_is_deprecated_once(tmp_path, capsys):
    code, err = cli("sweep", *QUICK_SWEEP, "--out", tmp_path / "sweep", capsys=capsys)
    assert code == 0, err
    assert (tmp_path / "sweep" / "sweep.csv").is_file()
    assert _warnings(err).count(DEPRECATED) == 1
    assert err.splitlines()[0] == DEPRECATED  # said first, before the sweep's own lines


def test_sweep_refuses_both_spellings_in_one_line(tmp_path, capsys):
    code, err = cli(
        "sweep",
        *QUICK_SWEEP,
        "--out",
        tmp_path / "a",
        "--output-dir",
        tmp_path / "b",
        capsys=capsys,
    )
    assert code == 2
    assert err.strip() == BOTH
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_the_deprecation_line_reaches_a_real_terminal():
    """In a real process, with DeprecationWarnings filtered out (run_script does so, as
    Python does by default): the line is printed all the same, once."""
    result = run_script("sweep.py", "--k", "3-2", "--out", "never-written")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == DEPRECATED
    assert result.stderr.count("deprecated") == 1 and "Traceback" not in result.stderr
    result = run_script("benchmark.py", "--datasets", "nope", "--out", "never-written")
    assert result.returncode == 2 and result.stderr.splitlines()[0] == DEPRECATED
    result = run_script("benchmark.py", "--out", "a", "--output-dir", "b")
    assert result.returncode == 2 and result.stderr.strip() == BOTH


def _benchmark(monkeypatch, capsys, *argv) -> tuple[int, str]:
    """``scripts/benchmark.py ARGV --data-kind`` in this process, its harness replaced by
    one that writes its page as every mode does (``_publish``, into the output folder)."""
    from benchmarks.harness import benchmark_command
    from benchmarks.harness.benchmark_modes import _publish

    def data_kind(args, parser):
        return _publish(args, "data_kind", {"seeds": [0]}, "# data kind\n")

    monkeypatch.setattr(benchmark_command, "data_kind", data_kind)
    monkeypatch.setattr(sys, "argv", ["benchmark.py", *map(str, argv), "--data-kind"])
    capsys.readouterr()
    try:
        code = run_cli(benchmark_command.main)
    except SystemExit as exit_:
        code = exit_.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--output-dir", "--out"])
def test_benchmark_writes_into_output_dir_and_still_reads_out(tmp_path, monkeypatch, capsys, flag):
    code, err = _benchmark(monkeypatch, capsys, flag, tmp_path / "results")
    assert code == 0, err
    assert (tmp_path / "results" / "data_kind.md").read_text() == "# data kind\n"
    assert (tmp_path / "results" / "data_kind.json").is_file()
    assert _warnings(err) == ([DEPRECATED] if flag == "--out" else [])


def test_benchmark_refuses_both_spellings(tmp_path, monkeypatch, capsys):
    code, err = _benchmark(
        monkeypatch, capsys, "--out", tmp_path / "a", "--output-dir", tmp_path / "b"
    )
    assert code == 2 and err.strip() == BOTH
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_renamed_flag_takes_every_form_and_warns_once(capsys):
    from dec.cli import common

    parser = Parser()
    parser.add_renamed("--output-dir", "--out", default="somewhere")
    common._WARNED.clear()
    assert parser.parse_args([]).output_dir == "somewhere"
    assert parser.parse_args(["--output-dir=x"]).output_dir == "x"
    assert capsys.readouterr().err == ""
    parsed = parser.parse_args(["--out=x", "--out", "y"])  # the last one wins, as argparse's
    assert parsed.output_dir == "y" and not hasattr(parsed, "_deprecated_out")
    assert capsys.readouterr().err == DEPRECATED + "\n"
    assert not re.search(r"--out\b", parser.format_help())  # --help: only the new spelling


def _help(main, capsys) -> str:
    argv = sys.argv
    sys.argv = ["command", "--help"]
    capsys.readouterr()
    try:
        with pytest.raises(SystemExit):
            main()
    finally:
        sys.argv = argv
    return capsys.readouterr().out


def test_every_command_spells_its_outputs_one_way(capsys):
    """--output FILE (or database URL) or --output-dir DIR, and --output-table NAME for the
    table of a database --output; never --out, in each command's --help."""
    from benchmarks.harness.benchmark_command import main as benchmark
    from dec.cli.commands import COMMANDS

    pages = {
        name: _help(main, capsys) for name, main in {**COMMANDS, "benchmark": benchmark}.items()
    }
    for name, page in pages.items():
        page = re.sub(r"-\n\s+", "-", page)  # a flag argparse wrapped at its hyphen
        flags = set(re.findall(r"(?<![\w-])--[\w-]+", page))
        assert "--out" not in flags, name
        outputs = {f for f in flags if f.startswith("--output")}
        assert outputs <= {"--output", "--output-dir", "--output-table"}, name
    assert "--output-dir DIR" in pages["sweep"] and "--output-dir DIR" in pages["benchmark"]
