"""The HTML report: plots and tables written, escaped, and rendered by headless Chromium."""

import os
import shutil
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


def test_report_pages_hold_the_plots_the_tables_and_a_page_per_candidate(report):
    cohort, index = report
    parts = PageParts()
    parts.feed(index.read_text())
    assert parts.images[0] == "totals.png" and len(parts.images) == 3
    for image in parts.images:
        pixels = imread(index.parent / image)
        assert pixels.shape[0] > 200 and pixels.shape[1] > 400 and pixels.std() > 0.05
    assert {"exercises", "gradebook sortable", "checks"} <= set(parts.tables), parts.tables
    pages = [link for link in parts.links if link.startswith("candidates/")]
    assert len(pages) == len(cohort.expected)
    loop_page = (index.parent / "candidates" / f"{file_name_for('infinite_loop')}.html").read_text()
    assert "CPU seconds" in loop_page and "timed out" in loop_page
    text = index.read_text()
    assert "Discrimination" in text and "n/a" not in text.split("<h2>Checks")[1].split("Most common")[0]


def test_statuses_say_full_partial_zero_not_pass_and_fail(report):
    _, index = report
    text = index.read_text()
    assert '<span class="partial">partial</span>' in text and '<span class="full">full</span>' in text
    assert '<span class="fail">' not in text


def test_candidate_text_is_escaped(report):
    _, index = report
    for page in (index.parent / "candidates").glob("*.html"):
        parts = PageParts()
        parts.feed(page.read_text())
        assert parts.images == [], "no markup comes from a result"


def _driver(tmp_path):
    """Headless Chromium driven by selenium through the system's chromedriver (no download, no network)."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    driver_path = shutil.which("chromedriver")
    browser = find_browser()
    if not (browser and driver_path):
        if REQUIRE_BROWSER:
            pytest.fail("GRADE_REQUIRE_BROWSER=1 but chromium or chromedriver is missing")
        pytest.skip("no chromium/chromedriver (apt-get install -y chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1200,2000",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path=driver_path), options=options)


def _column(driver, header: str) -> list[str]:
    from selenium.webdriver.common.by import By

    table = driver.find_element(By.CSS_SELECTOR, "table.gradebook")
    headers = [cell.text.strip(" \u25b2\u25bc") for cell in table.find_elements(By.CSS_SELECTOR, "thead th")]
    position = headers.index(header) + 1
    return [
        cell.get_attribute("data-sort") or cell.text
        for cell in table.find_elements(By.CSS_SELECTOR, f"tbody tr td:nth-child({position})")
    ]


def test_the_candidate_table_sorts_in_headless_chromium_and_the_page_renders(report, tmp_path):
    from selenium.webdriver.common.by import By

    cohort, index = report
    driver = _driver(tmp_path)
    try:
        driver.get(index.as_uri())
        screenshot = tmp_path / "report.png"
        driver.save_screenshot(str(screenshot))
        pixels = imread(screenshot)
        assert pixels[..., :3].std() > 0.05, "the screenshot is blank"
        blue = np.all(np.abs(pixels[..., :3] - np.array([0x4C, 0x72, 0xB0]) / 255) < 0.05, axis=-1)
        assert blue.sum() > 500, "the histogram of totals is not on the screen"
        if os.environ.get("GRADE_KEEP_SCREENSHOT"):  # a path to copy the screenshot to, to look at it
            shutil.copyfile(screenshot, os.environ["GRADE_KEEP_SCREENSHOT"])

        def click(header: str) -> None:
            button = next(
                element
                for element in driver.find_elements(By.CSS_SELECTOR, "table.gradebook th button")
                if element.text.strip(" \u25b2\u25bc") == header
            )
            driver.execute_script("arguments[0].scrollIntoView()", button)
            button.click()

        unsorted = [float(value) for value in _column(driver, "Total")]
        assert unsorted != sorted(unsorted), "the table starts sorted by candidate, not by total"
        click("Total")
        ascending = [float(value) for value in _column(driver, "Total")]
        assert ascending == sorted(unsorted)
        header = driver.find_elements(By.CSS_SELECTOR, "table.gradebook thead th")
        assert "ascending" in [cell.get_attribute("aria-sort") for cell in header]
        click("Total")
        assert [float(value) for value in _column(driver, "Total")] == sorted(unsorted, reverse=True)
        click("Candidate")
        names = _column(driver, "Candidate")
        assert names == sorted(names, key=str.lower) and len(names) == len(cohort.expected)
    finally:
        driver.quit()
