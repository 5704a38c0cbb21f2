"""The review report in a real browser: headless Chromium, driven through chromedriver on
loopback, opens the file from disk; the page must run without console errors, show the
consolidation's own figures, sort and filter, keep supplier text as text, and read in full
with scripts turned off. A screenshot is kept in test-artifacts/."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mineral_compliance.consolidation import compare, consolidate
from mineral_compliance.models.consolidation import Comparison, Consolidation
from mineral_compliance.outputs import write_consolidation
from mineral_compliance.refdata import load_status_list
from mineral_compliance.templates._xlsx import patch_cells

from ..conftest import ARTIFACTS, BROWSER, FIXTURES, needs_chromium

pytestmark = needs_chromium

DEMO = FIXTURES / "demo"
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> tuple[Consolidation, Comparison, Path]:
    folder = tmp_path_factory.mktemp("season")
    inbox = folder / "inbox"
    inbox.mkdir()
    for path in sorted(DEMO.glob("*.xlsx")):
        (inbox / path.name).write_bytes(path.read_bytes())
    patch_cells(DEMO / "cmrt-6.5-product-scope.xlsx",
                {"Declaration!D8": HOSTILE, "Smelter List!D7": "Smelter <b>bold</b> & co"},
                inbox / "hostile.xlsx")
    (inbox / "broken.xlsx").write_bytes(b"not a workbook")
    status = folder / "status.csv"
    status.write_text("Smelter ID,Standard Smelter Name,Status\n"
                      "CID900004,Specimen Tungsten Corp.,Conformant\n"
                      "CID940001,Example Cobalt Refinery Ltd.,Active\n"
                      "CID910001,Example Cobalt Refinery Oy,Non-Conformant\n", encoding="utf-8")
    lists = [load_status_list(status)]
    last_year = consolidate(sorted(inbox.glob("c*.xlsx")), status_lists=lists, executor=None)
    c = consolidate([inbox], status_lists=lists, executor=None)
    changes = compare(last_year, c)
    out = folder / "out"
    write_consolidation(c, out, comparison=changes)
    return c, changes, out / "report.html"


def _driver(*, javascript: bool = True) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert BROWSER is not None
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1300,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service(BROWSER[1]), options=options)


@pytest.fixture(scope="module")
def page(season: tuple[Consolidation, Comparison, Path]) -> Iterator[Any]:
    driver = _driver()
    try:
        driver.get(season[2].as_uri())
        yield driver
    finally:
        driver.quit()


def _rows(driver: Any, table: str, *, visible: bool = False) -> list[Any]:
    rows = driver.find_elements("css selector", f"#{table} tbody tr")
    return [r for r in rows if r.is_displayed()] if visible else rows


def test_the_page_renders_without_console_errors_and_fetches_nothing(page: Any) -> None:
    assert page.title == "Supplier template review"
    errors = [e for e in page.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    assert page.execute_script("return performance.getEntriesByType('resource').length") == 0
    # the script ran under the page's Content Security Policy: its controls are there
    assert len(page.find_elements("css selector", ".controls input")) == 4


def test_key_figures_equal_the_consolidation(
        page: Any, season: tuple[Consolidation, Comparison, Path]) -> None:
    c, changes, _ = season
    shown = {e.get_attribute("data-figure"): int(e.text)
             for e in page.find_elements("css selector", "[data-figure]")}
    summary = c.summary()
    for key in ("files", "files_valid", "files_warnings", "files_errors", "files_unreadable",
                "files_superseded", "suppliers", "smelters", "smelters_needing_review",
                "smelter_rows_read", "smelter_rows_attributed", "rows_rejected"):
        assert shown[key] == summary[key], key
    assert summary["files_unreadable"] == 1 and summary["files_superseded"] >= 1
    expected_changes = changes.summary()
    assert shown["changes_added"] == expected_changes["added"]
    assert shown["changes_suppliers_new"] == expected_changes["suppliers_new"] > 0
    assert len(_rows(page, "supplier-table")) == len(c.files)
    assert len(_rows(page, "smelter-table")) == len(c.smelters)
    # the audit-status chart: one bar per metal, its segments adding up to that metal's
    # smelters, status by status
    drawn: Counter[tuple[str, str]] = Counter()
    for rect in page.find_elements("css selector", "#chart-status rect"):
        metal = rect.find_element("xpath", "..").get_attribute("data-metal")
        drawn[(metal, rect.get_attribute("data-label"))] += int(rect.get_attribute("data-count"))
    assert drawn == Counter((s.metal, s.status.value) for s in c.smelters)
    assert {"conformant", "active", "non-conformant"} <= {label for _, label in drawn}


def test_supplier_text_stays_text(page: Any) -> None:
    assert page.execute_script("return window.__pwned === undefined")
    assert page.find_elements("css selector", "#suppliers img, #smelters b, #rejected b") == []
    table = page.find_element("id", "supplier-table").text
    assert "<script>window.__pwned = 1</script>" in table
    # the hostile smelter name cannot be resolved, so it is shown among the rejected rows
    assert "Smelter <b>bold</b> & co" in page.find_element("id", "rejected-table").text


def test_headings_sort_and_the_box_filters(
        page: Any, season: tuple[Consolidation, Comparison, Path]) -> None:
    c = season[0]
    heading = page.find_element("xpath", "//table[@id='supplier-table']//th[.='Errors']")
    column = 6

    def errors() -> list[int]:
        return [int(r.find_elements("css selector", "td")[column - 1].text)
                for r in _rows(page, "supplier-table")]

    heading.click()
    assert errors() == sorted(errors()) and heading.get_attribute("aria-sort") == "ascending"
    heading.click()
    assert errors() == sorted(errors(), reverse=True)
    from selenium.webdriver.common.keys import Keys

    warnings = page.find_element("xpath", "//table[@id='supplier-table']//th[.='Warnings']")
    warnings.send_keys(Keys.ENTER)  # headings sort from the keyboard too
    assert warnings.get_attribute("aria-sort") == "ascending"
    assert heading.get_attribute("aria-sort") == "none"
    shown = [int(r.find_elements("css selector", "td")[6].text)
             for r in _rows(page, "supplier-table")]
    assert shown == sorted(shown)
    box = page.find_elements("css selector", ".controls input")[0]
    box.send_keys("Acme")
    expected = sum(1 for f in c.files if f.company and "acme" in f.company.lower())
    assert len(_rows(page, "supplier-table", visible=True)) == expected > 0
    box.clear()
    box.send_keys(" ")  # an input event with nothing to filter by
    assert len(_rows(page, "supplier-table", visible=True)) == len(c.files)
    from selenium.webdriver.support.ui import Select

    Select(page.find_element("css selector", "#suppliers select")).select_by_value("superseded")
    superseded = sum(1 for f in c.files if f.status.value == "superseded")
    assert len(_rows(page, "supplier-table", visible=True)) == superseded
    Select(page.find_element("css selector", "#suppliers select")).select_by_value("")


def test_screenshot_is_kept(page: Any) -> None:
    height = page.execute_script("return document.documentElement.scrollHeight")
    page.set_window_size(1300, min(int(height) + 100, 8000))
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "review-report.png"
    assert page.save_screenshot(str(shot))
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    width = int.from_bytes(data[16:20], "big")
    assert width >= 1000


def test_without_javascript_everything_is_there(
        season: tuple[Consolidation, Comparison, Path]) -> None:
    c, _, report = season
    driver = _driver(javascript=False)
    try:
        driver.get(report.as_uri())
        assert driver.find_elements("css selector", ".controls") == []  # no dead controls
        assert len(_rows(driver, "supplier-table", visible=True)) == len(c.files)
        assert len(_rows(driver, "smelter-table", visible=True)) == len(c.smelters)
        shown = int(driver.find_element("css selector", "[data-figure=smelters]").text)
        assert shown == len(c.smelters)
        assert driver.find_elements("css selector", "#chart-exposure rect")
    finally:
        driver.quit()
