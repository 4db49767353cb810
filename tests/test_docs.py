"""The documentation: the site builds without a warning, the README stays a short landing page
whose links all resolve, and every page in docs/ is reachable from the site's navigation."""

import os
import re
import subprocess
import sys

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
