"""The documentation: the site builds without a warning, the README stays a short landing page
whose links all resolve, and every page in docs/ is reachable from the site's navigation."""

import os
import re
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
#: A Markdown link or image target, without its #anchor or title.
LINK = re.compile(r"\]\(([^)\s#]+)")


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of every line outside fenced code blocks."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced:
            lines.append((number, line))
    return lines


def nav_pages(nav) -> set[str]:
    """Every page path named in mkdocs.yml's nav, at any depth."""
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, dict):
        return set().union(*(nav_pages(v) for v in nav.values()))
    return set().union(*(nav_pages(item) for item in nav))


def test_the_site_builds_strictly(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"]
        + ["-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "api" / "estimator" / "index.html").is_file()


def test_the_readme_is_short_with_short_lines():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    long = [f"{n}: {len(line)}" for n, line in prose_lines(text) if len(line) > 100]
    assert not long, f"README lines over 100 characters (line: length): {long}"


def test_every_relative_link_in_the_readme_exists():
    targets = LINK.findall(README.read_text(encoding="utf-8"))
    relative = [t for t in targets if ":" not in t and not t.startswith("/")]
    assert relative, "the README links no page: is LINK still right?"
    missing = [t for t in relative if not (ROOT / t).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_every_docs_page_is_in_the_nav():
    # mkdocs.yml may hold !!python/name tags; only the nav is read here, with a loader that
    # ignores them.
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    missing = sorted(pages - nav_pages(config["nav"]))
    assert not missing, f"docs pages not in mkdocs.yml's nav: {missing}"


def _row(page: str, flag: str) -> str:
    """The line of a docs page's flag table that documents ``flag``."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return next(line for line in text.splitlines() if line.startswith(f"| `{flag}"))


def test_the_flag_table_lists_every_config_and_every_built_in_data_set():
    from dec.data.readers import BUILT_IN

    configs = sorted(p.stem for p in (ROOT / "configs").glob("*.yaml"))
    listed = re.findall(r"`([a-z_]+)`", _row("commands.md", "--config"))
    assert sorted(set(listed) & set(configs)) == configs, (listed, configs)
    listed = re.findall(r"`([a-z_]+)`", _row("commands.md", "--data"))
    assert set(BUILT_IN) <= set(listed), (listed, BUILT_IN)


def test_the_duckdb_engine_names_its_extra_wherever_it_is_offered():
    from dec.config.schema import DataConfig

    extra = "pip install 'dec[logs]'"
    assert extra in _row("commands.md", "--log-engine")
    help_text = DataConfig.__dataclass_fields__["log_engine"].metadata["help"]
    assert extra in help_text


def _collected() -> tuple[int, int]:
    """Every test and the quick ones, from one collection ("918/1021 tests collected")."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "not slow",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    found = re.search(r"(\d+)/(\d+) tests? collected", done.stdout)
    assert found, done.stdout[-2000:] + done.stderr[-2000:]
    return int(found.group(2)), int(found.group(1))


@pytest.mark.slow
def test_the_test_counts_in_the_readme_and_quickstart_are_the_suites():
    """The numbers of tests the set-up pages promise are the numbers pytest collects."""
    total, quick = _collected()
    for page in (README, DOCS / "quickstart.md"):
        text = " ".join(page.read_text(encoding="utf-8").split())
        said = re.search(r"runs all (\d[\d,]*) tests.*?`-m \"not slow\"`: (\d[\d,]*)", text)
        assert said, f"{page.name} no longer says how many tests run"
        assert [int(n.replace(",", "")) for n in said.groups()] == [total, quick], page.name
