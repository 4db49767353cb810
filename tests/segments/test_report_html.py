"""report.html: valid, self-contained, and it names every segment.

The page is checked with the standard library's HTML parser (every element closed in
order, nothing loaded from the network, every image a PNG embedded in the page), and, where
the machine has Chromium from its system packages, in that browser at phone width. Where
it has none (Playwright's browsers download from a CDN these machines cannot reach) that
test skips, except in CI: ``.ci/run`` installs Chromium and sets ``DEC_REQUIRE_BROWSER``, and
the test fails there without a browser.
"""

import base64
import os
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
    import json

    from dec.evaluation.verdict import METRIC_NAMES, verdict

    report = json.loads((tested_run / "test_report.json").read_text())
    plain = verdict(report, METRIC_NAMES)
    assert plain in text and "KMeans (inputs)" in text and "GMM (inputs)" in text
    assert "(ARI)" in plain or "(silhouette)" in plain  # metrics in words, not keys


def test_report_fits_a_phone_and_says_what_it_counts(tested_run):
    html = (tested_run / "report.html").read_text()
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in html
    # Every table scrolls inside its own box instead of widening the page.
    assert html.count("<table>") == html.count("<div class='scroll'><table>") > 0
    assert ": run run" not in html and "<h1>Segments of synthetic</h1>" in html
    assert "held-out test customers" in html and "All 600 customers." in html
    assert "_eta2" not in html  # the smoke run has no outcomes: no note about them


def test_feature_values_are_written_for_people():
    from dec.utils.markdown import human

    assert [human(v) for v in (32612.4, 412.3, 50.0, 12.46, 0.31849, -1500.0, float("nan"))] == [
        "32,612",
        "412",
        "50",
        "12.5",
        "0.318",
        "-1,500",
        "n/a",
    ]


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome", "headless_shell"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_report_in_a_real_browser_at_phone_width(tested_run, tmp_path):
    """Headless Chromium at 390 px: no console error, nothing wider than the screen. A
    copy of the page measures itself and writes the result into its title. Skipped without
    Chromium, except in CI (``.ci/run`` sets ``DEC_REQUIRE_BROWSER``), where it fails."""
    import subprocess

    if _chromium() is None:
        if os.environ.get("DEC_REQUIRE_BROWSER"):
            pytest.fail("no Chromium on this machine; install it: apt-get install -y chromium")
        pytest.skip("no Chromium on this machine")

    probe = (
        "<script>addEventListener('load', () => { document.title = 'overflow=' + "
        "(document.documentElement.scrollWidth > window.innerWidth); });</script>"
    )
    page = tmp_path / "probe.html"
    page.write_text((tested_run / "report.html").read_text().replace("</body>", probe + "</body>"))
    done = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=390,844",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "<title>overflow=false</title>" in done.stdout
    console = [
        line for line in done.stderr.splitlines() if "CONSOLE" in line and "ERROR" in line.upper()
    ]
    assert not console, console


def test_report_without_profiles_still_has_the_comparison(smoke_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(smoke_run, run)
    for stale in ("profiles.csv", "profiles.md", "report.html"):
        (run / stale).unlink(missing_ok=True)
    result = run_script("test.py", "--run", str(run), "--no-profiles")
    assert result.returncode == 0, result.stderr
    page = check_page(run / "report.html")
    assert page.images == [] and "--no-profiles" in " ".join(page.text)
