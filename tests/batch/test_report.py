"""The HTML report: plots and tables written, escaped, and rendered by headless Chromium."""

import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser

import numpy as np
import pytest
from matplotlib.image import imread

from harness.host.batch.report import write_report
from harness.host.sinks import file_name_for

pytestmark = pytest.mark.integration  # grades submissions end to end: not in make test-fast

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
REQUIRE_BROWSER = os.environ.get("GRADE_REQUIRE_BROWSER") == "1"


def find_browser() -> str | None:
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


class PageParts(HTMLParser):
    """Collect a page's image sources, tables and links."""

    def __init__(self):
        super().__init__()
        self.images, self.tables, self.links = [], [], []

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if tag == "img":
            self.images.append(attributes["src"])
        elif tag == "table":
            self.tables.append(attributes.get("class"))
        elif tag == "a":
            self.links.append(attributes["href"])


@pytest.fixture(scope="module")
def report(graded_cohort, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return graded_cohort, write_report(gradebook=graded_cohort.gradebook, out_dir=out)


def test_report_pages_hold_the_plots_the_table_and_a_page_per_candidate(report):
    cohort, index = report
    parts = PageParts()
    parts.feed(index.read_text())
    assert parts.images == ["score_distribution_probe.png", "check_pass_rate_probe.png"]
    for image in parts.images:
        pixels = imread(index.parent / image)
        assert pixels.shape[0] > 200 and pixels.shape[1] > 400 and pixels.std() > 0.05
    assert "gradebook" in parts.tables and "checks" in parts.tables
    pages = [link for link in parts.links if link.startswith("candidates/")]
    assert len(pages) == len(cohort.expected)
    loop_page = (index.parent / "candidates" / f"{file_name_for('infinite_loop')}.html").read_text()
    assert "CPU seconds" in loop_page and "timed out" in loop_page


def test_candidate_text_is_escaped(report):
    _, index = report
    for page in (index.parent / "candidates").glob("*.html"):
        parts = PageParts()
        parts.feed(page.read_text())
        assert parts.images == [], "no markup comes from a result"


@pytest.mark.skipif(find_browser() is None and not REQUIRE_BROWSER,
                    reason="no chromium (apt-get install -y chromium chromium-driver); GRADE_REQUIRE_BROWSER=1 "
                           "makes this a failure")
def test_report_renders_in_headless_chromium(report, tmp_path):
    _, index = report
    browser = find_browser()
    assert browser, "GRADE_REQUIRE_BROWSER=1 but no chromium is installed"
    screenshot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory(dir=tmp_path) as profile:
        completed = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", f"--screenshot={screenshot}", "--window-size=1200,2000",
             index.as_uri()],
            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert screenshot.is_file(), completed.stderr[-2000:]
    pixels = imread(screenshot)
    assert pixels.shape[:2] == (2000, 1200)
    assert pixels[..., :3].std() > 0.05, "the screenshot is blank"
    top = pixels[:900, :, :3]  # where the plots are: blue histogram bars and coloured pass-rate bars
    blue = np.all(np.abs(top - np.array([0x4C, 0x72, 0xB0]) / 255) < 0.05, axis=-1)
    assert blue.sum() > 500, "the score distribution plot is not on the screen"
    if os.environ.get("GRADE_KEEP_SCREENSHOT"):  # a path to copy the screenshot to, to look at it
        shutil.copyfile(screenshot, os.environ["GRADE_KEEP_SCREENSHOT"])
