"""Every committed result page says what its JSON measured: each harness's Markdown,
rendered again from the JSON beside it, is the page in git, byte for byte. A page edited
by hand, or a renderer changed without rerunning, fails here."""

import json

import pytest
from conftest import ROOT

BENCHMARKS = ROOT / "benchmarks"
SUITES = [
    "suite",
    "choices/suite_runs",
    "choices/suite_levers",
    "choices/suite_budget",
    "choices/suite_mixture_head",
]
VARIANTS = [
    "digits_variants",
    "categorical_variants",
    "embedding_dim",
    "tied_init",
    "tables_init",
    "kernel_tables",
    "balance_tables",
]


def _load(name: str) -> dict:
    return json.loads((BENCHMARKS / f"{name}.json").read_text())


def _page(name: str) -> str:
    return (BENCHMARKS / f"{name}.md").read_text()


@pytest.mark.parametrize("name", SUITES)
def test_suite_pages(name):
    from benchmarks.harness.suite_report import suite_markdown

    found = _load(name)
    assert suite_markdown(found["tables"], found["meta"], found["meta"].get("variants")) == _page(
        name
    )


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_pages(name):
    from benchmarks.harness.variants import variants_markdown

    found = _load(f"choices/{name}")
    title = f"Variants: {', '.join(found['variants'])}"
    assert variants_markdown(found["rows"], title) == _page(f"choices/{name}")


def test_data_kind_scale_and_stability_pages():
    from benchmarks.harness.data_kind import kinds_markdown
    from benchmarks.harness.scale import scale_markdown
    from benchmarks.harness.stability_check import stability_check_markdown

    assert kinds_markdown(_load("choices/data_kind")["runs"]) == _page("choices/data_kind")
    assert scale_markdown(_load("scale")) == _page("scale")
    stability = _load("stability")
    meta = stability.pop("meta")
    assert stability_check_markdown(stability, meta) == _page("stability")


def test_log_scale_page():
    from benchmarks.harness.log_scale import log_scale_markdown

    found = _load("log_scale")
    meta = found.pop("meta")
    assert log_scale_markdown(found, meta) == _page("log_scale")


def test_stability_choice_page():
    from benchmarks.harness.stability_choice import stability_choice_markdown

    found = _load("choices/suite_stability_choice")
    assert stability_choice_markdown(found["tables"], found["meta"]) == _page(
        "choices/suite_stability_choice"
    )


def test_dec_without_a_command_says_how_and_help_lists_every_command(monkeypatch, capsys):
    import sys

    from dec.__main__ import main
    from dec.cli.commands import COMMANDS

    monkeypatch.setattr(sys, "argv", ["dec"])
    assert main() == 2
    assert "usage: dec COMMAND [ARGS]" in capsys.readouterr().err
    monkeypatch.setattr(sys, "argv", ["dec", "--help"])
    assert main() == 0
    listed = [
        line.split()[0] for line in capsys.readouterr().out.splitlines() if line.startswith("  ")
    ]
    assert listed == list(COMMANDS)


def test_the_dec_console_script_runs_the_commands():
    """``pip install -e .`` puts ``dec`` on the PATH; it is ``python -m dec``."""
    import shutil
    import subprocess

    script = shutil.which("dec")
    if script is None:
        pytest.skip("the package is not installed with its console script")
    done = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "features" in done.stdout


def test_spark_page():
    from benchmarks.harness.spark_check import spark_markdown

    found = _load("spark")
    meta = found.pop("meta")
    assert spark_markdown(found, meta) == _page("spark")


def test_speed_page():
    from benchmarks.harness.benchmark_modes import speed_page

    assert speed_page(_load("speed")) == _page("speed")


def test_clv_page():
    from benchmarks.harness.clv_page import clv_markdown

    assert clv_markdown(_load("clv")) == _page("clv")


def test_threads_page():
    from benchmarks.harness.threads import threads_markdown

    found = _load("threads")
    meta = found.pop("meta")
    assert threads_markdown(found, meta) == _page("threads")
    # The page's claim, from its own numbers: capped, the busy machine ran faster.
    busy = [r for r in found["rows"] if r["busy"] > 0]
    seconds = {
        t: sum(r["train_seconds"] + r["test_seconds"] for r in busy if r["threads"] == t)
        for t in (0, 1)
    }
    assert seconds[1] < seconds[0]
