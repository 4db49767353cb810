"""report.html: valid, self-contained, and it names every segment.

The page is checked with the standard library's HTML parser (every element closed in
order, nothing loaded from the network, every image a PNG embedded in the page), and, where
the machine has Chromium from its system packages, in that browser at phone and desktop
width. Where
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

VOID = {"meta", "img", "br", "hr", "link", "input", "source"}


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
        for name in ("src", "href", "srcset"):
            value = attrs.get(name)
            if value is not None and not value.startswith(("data:", "#")):
                self.problems.append(f"<{tag} {name}={value[:40]}> loads from outside")
        if tag == "source":
            self.images.append(attrs.get("srcset", "").removesuffix(" 2x"))
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
    # sizes, heatmap, projection, confusion (labelled data), each with its phone version
    assert len(page.images) == 8
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
    # Rounding that crosses a boundary, minus zero, pandas' NA, metrics near zero.
    import pandas as pd

    from dec.utils.markdown import score

    assert [human(v) for v in (99.96, 999.7, -0.0, pd.NA, float("inf"))] == [
        "100",
        "1,000",
        "0",
        "n/a",
        "n/a",
    ]
    assert [score(v) for v in (-0.0001, 0.1314, 1994.72, None)] == [
        "0.000",
        "0.131",
        "1,994.7",
        "n/a",
    ]


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome", "headless_shell"):
        path = shutil.which(name)
        if path:
            return path
    return None


#: Measures the report inside an iframe of the width under test (headless Chromium will
#: not make a window narrower than 500 px) and writes what it found into the page.
PROBE = r"""
const frame = document.getElementById('page');
frame.addEventListener('load', () => {
  const win = frame.contentWindow, doc = frame.contentDocument, width = win.innerWidth;
  const wide = [], small = [], images = [];
  for (const table of doc.querySelectorAll('table')) {
    const box = table.getBoundingClientRect();
    if (box.right > width + 0.5) wide.push(Math.round(box.width));
  }
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el.getClientRects().length) continue;
    const px = parseFloat(win.getComputedStyle(el).fontSize);
    if (px < 11) small.push(`${el.tagName} '${walker.currentNode.textContent.trim()}' ${px}px`);
  }
  for (const cell of doc.querySelectorAll('td')) {
    const label = win.getComputedStyle(cell, '::before');
    if (!['none', 'normal'].includes(label.content) && parseFloat(label.fontSize) < 11)
      small.push(`column name ${label.content} ${label.fontSize}`);
  }
  for (const img of doc.querySelectorAll('img')) {
    const picture = img.parentElement.tagName === 'PICTURE';
    const source = picture ? img.parentElement.querySelector('source') : null;
    const shown = source && img.currentSrc !== img.src ? source : img;
    const px = parseFloat(shown.dataset.textShare) * img.getBoundingClientRect().width;
    images.push({name: img.alt, phone: shown !== img, text_px: px});
  }
  const out = document.createElement('pre');
  out.id = 'measured';
  out.textContent = JSON.stringify({width, overflow: doc.documentElement.scrollWidth > width,
                                    wide, small, images});
  document.body.appendChild(out);
});
"""


def measure_in_chromium(report, width: int, tmp_path) -> dict:
    """What the report looks like ``width`` CSS pixels wide, as :data:`PROBE` measured it
    (console errors included). Skipped without Chromium, except in CI (``.ci/run`` sets
    ``DEC_REQUIRE_BROWSER``), where it fails."""
    import json
    import re
    import subprocess
    from html import escape

    if _chromium() is None:
        if os.environ.get("DEC_REQUIRE_BROWSER"):
            pytest.fail("no Chromium on this machine; install it: apt-get install -y chromium")
        pytest.skip("no Chromium on this machine")
    page = tmp_path / f"frame_{width}.html"
    page.write_text(
        "<!DOCTYPE html><html><body style='margin:0'>"
        f"<iframe id='page' style='width:{width}px;height:900px;border:0' "
        f'srcdoc="{escape(report.read_text(), quote=True)}"></iframe>'
        f"<script>{PROBE}</script></body></html>"
    )
    done = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1400,1000",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout, re.S)
    assert found, done.stderr[-2000:]
    console = [
        line for line in done.stderr.splitlines() if "CONSOLE" in line and "ERROR" in line.upper()
    ]
    return {**json.loads(unescape(found.group(1))), "console_errors": console}


def test_report_in_a_real_browser_at_phone_width(tested_run, tmp_path):
    """At 390 px no table is wider than the screen and no text, in the page or in a figure,
    is under 11 px; every figure shows its phone version."""
    phone = measure_in_chromium(tested_run / "report.html", 390, tmp_path)
    assert phone["width"] == 390 and not phone["console_errors"], phone
    assert not phone["overflow"] and phone["wide"] == [], phone
    assert phone["small"] == [], phone["small"]
    assert len(phone["images"]) == 4 and all(image["phone"] for image in phone["images"])
    assert min(image["text_px"] for image in phone["images"]) >= 11, phone["images"]


def test_report_in_a_real_browser_at_desktop_width(tested_run, tmp_path):
    """At 1280 px the page keeps its desktop layout: the figures as drawn for it, the
    tables as tables, nothing wider than the window."""
    desktop = measure_in_chromium(tested_run / "report.html", 1280, tmp_path)
    assert desktop["width"] == 1280 and not desktop["overflow"], desktop
    assert desktop["small"] == [] and desktop["wide"] == [], desktop
    assert not any(image["phone"] for image in desktop["images"]), desktop["images"]


@pytest.fixture(scope="module")
def cdnow_clv_report(cdnow_copy):
    """The page of a CDNOW run tested with ``--clv``: the widest tables the report has (the
    value table, eleven features, RFM names)."""
    run = cdnow_copy
    result = run_script("test.py", "--run", str(run), "--clv")
    assert result.returncode == 0, result.stderr
    return run / "report.html"


@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1280])
def test_a_cdnow_report_with_customer_value_fits_phone_and_desktop(
    cdnow_clv_report, width, tmp_path
):
    page = measure_in_chromium(cdnow_clv_report, width, tmp_path)
    assert "What each segment is worth" in cdnow_clv_report.read_text()
    assert page["width"] == width and not page["console_errors"], page
    assert not page["overflow"] and page["wide"] == [] and page["small"] == [], page
    assert len(page["images"]) == 3  # no labels, so no confusion matrix
    assert all(image["phone"] == (width == 390) for image in page["images"])
    if width == 390:
        assert min(image["text_px"] for image in page["images"]) >= 11, page["images"]


@pytest.mark.slow
def test_a_cdnow_report_names_its_segments_and_writes_each_number_one_way(cdnow_clv_report):
    """The value table names each segment in test_report.md as in report.html, and each
    segment's mean CLV, share of value and outcome means read the same in report.html,
    test_report.md and profiles.md."""
    import json
    import re

    from dec.utils.markdown import human, outcome, percent

    run = cdnow_clv_report.parent
    page = unescape(cdnow_clv_report.read_text())
    markdown = (run / "test_report.md").read_text()
    profiles = (run / "profiles.md").read_text()
    report = json.loads((run / "test_report.json").read_text())
    names = report["segment_names"]
    assert names == pd.read_csv(run / "profiles.csv", index_col="segment")["name"].tolist()
    for segment in report["value"]["segments"]:
        label = f"{segment['segment']} {names[segment['segment']]}"
        mean, share = human(segment["clv_mean"]), percent(segment["clv_share"])
        assert f"| {label} | {segment['customers']:,} | {mean} |" in markdown
        assert f">{label}<" in page and f">{mean}<" in page and f">{share}<" in page
        assert f"| {share} |" in markdown
    top = max(report["value"]["segments"], key=lambda s: s["clv_total"])
    said = f"{top['segment']} {names[top['segment']]}, {percent(top['clv_share'])} of the"
    assert said in markdown and said in page and said in profiles
    binary = report["binary_outcomes"]
    for column, rows in report["outcome_by_segment"]["dec"].items():
        for row in rows:
            assert f">{outcome(row['mean'], column in binary)}<" in page
    # Thousands separators everywhere: no bare number of four digits or more (dates aside).
    bare = re.compile(r"(?<![\w.,:-])\d{4,}(?![\w.,:-])")
    for name, text in (("test_report.md", markdown), ("profiles.md", profiles)):
        assert not bare.findall(text), (name, bare.findall(text))
    assert not bare.findall(re.sub(r"<[^>]+>", " ", page).split("data:image")[0])


def test_report_without_profiles_still_has_the_comparison(smoke_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(smoke_run, run)
    for stale in ("profiles.csv", "profiles.md", "report.html"):
        (run / stale).unlink(missing_ok=True)
    result = run_script("test.py", "--run", str(run), "--no-profiles")
    assert result.returncode == 0, result.stderr
    page = check_page(run / "report.html")
    assert page.images == [] and "--no-profiles" in " ".join(page.text)
