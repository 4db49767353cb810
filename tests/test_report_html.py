"""report.html: valid, self-contained, and it names every segment.

No headless browser can be installed here (Playwright installs from the package registry,
but its browsers download from a CDN this machine cannot reach), so the page is checked
with the standard library's HTML parser: every element closed in order, nothing loaded
from the network, every image a PNG embedded in the page.
"""

import base64
import shutil
from html import unescape
from html.parser import HTMLParser

import pandas as pd
import pytest

from conftest import run_script

VOID = {"meta", "img", "br", "hr", "link", "input"}


class StrictPage(HTMLParser):
    """Collects problems: unclosed or misnested elements, and anything fetched."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.images: list[str] = []
        self.doctype = False
        self.text: list[str] = []

    def handle_decl(self, decl):
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None and not value.startswith(("data:", "#")):
                self.problems.append(f"<{tag} {name}={value[:40]}> loads from outside")
        if tag == "img":
            self.images.append(attrs.get("src", ""))
            if not attrs.get("alt"):
                self.problems.append("an image without alt text")
        if tag in ("script", "iframe", "object"):
            self.problems.append(f"<{tag}> in a static report")
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        else:
            self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


def check_page(path) -> StrictPage:
    page = StrictPage()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    assert page.doctype and not page.open and not page.problems, page.problems
    return page


@pytest.fixture(scope="module")
def tested_run(smoke_run, tmp_path_factory):
    run = tmp_path_factory.mktemp("html") / "run"
    shutil.copytree(smoke_run, run)
    result = run_script("test.py", "--run", str(run))
    assert result.returncode == 0, result.stderr
    assert "report.html" in result.stdout
    return run


def test_report_is_valid_and_self_contained(tested_run):
    page = check_page(tested_run / "report.html")
    assert len(page.images) == 4  # sizes, heatmap, projection, confusion (labelled data)
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_names_every_segment_and_the_verdict(tested_run):
    text = unescape(" ".join(check_page(tested_run / "report.html").text))
    names = pd.read_csv(tested_run / "profiles.csv", index_col="segment")["name"]
    assert len(names) >= 2 and all(name in text for name in names)
    report = (tested_run / "test_report.md").read_text()
    verdict = report.strip().splitlines()[-1]
    assert verdict in text and "KMeans (inputs)" in text and "GMM (inputs)" in text


def test_report_without_profiles_still_has_the_comparison(smoke_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(smoke_run, run)
    for stale in ("profiles.csv", "profiles.md", "report.html"):
        (run / stale).unlink(missing_ok=True)
    result = run_script("test.py", "--run", str(run), "--no-profiles")
    assert result.returncode == 0, result.stderr
    page = check_page(run / "report.html")
    assert page.images == [] and "--no-profiles" in " ".join(page.text)
