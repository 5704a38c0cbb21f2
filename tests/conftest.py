"""Shared paths. Tests that need ../shared/reference skip with a reason when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from mineral_compliance_oracle import find_uno_python

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
REFERENCE = ROOT.parent / "shared" / "reference"

needs_reference = pytest.mark.skipif(
    not REFERENCE.is_dir(),
    reason=f"the real RMI templates in {REFERENCE} are not present on this machine",
)


UNO_PYTHON = find_uno_python()
"""The interpreter with LibreOffice's Python bridge, or None."""

needs_libreoffice = pytest.mark.skipif(
    UNO_PYTHON is None,
    reason="LibreOffice with python3-uno is not installed (.ci/run installs it)",
)


def reference_files(folder: str, pattern: str = "*") -> list[Path]:
    """Reference files for parametrisation (empty when ../shared is absent)."""
    base = REFERENCE / folder
    return sorted(base.glob(pattern)) if base.is_dir() else []


def dated_table(path: Path) -> Path:
    """A reference table as openpyxl writes one: a header row, then a smelter ID and a
    date (2025-02-03) in a cell formatted as a date."""
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Smelter ID", "Audit date"])
    sheet.append(["CID000001", dt.date(2025, 2, 3)])
    book.save(path)
    return path


def _browser() -> tuple[str, str] | None:
    import shutil

    browser = next((p for n in ("chromium", "chromium-browser", "google-chrome")
                    if (p := shutil.which(n))), None)
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


BROWSER = _browser()
"""(Chromium, chromedriver), or None."""

needs_chromium = pytest.mark.skipif(
    BROWSER is None,
    reason="Chromium and chromedriver are not installed (.ci/run installs chromium and "
    "chromium-driver)",
)

ARTIFACTS = ROOT / "test-artifacts"
"""Files tests keep for people to look at (screenshots); not part of the repository."""


@pytest.fixture(scope="session")
def derived_2026(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The 2026 releases derived from the real blank workbooks (see ``_workbooks``), by
    version; empty when ../shared/reference is absent."""
    from ._workbooks import DERIVATIONS, derive

    out = tmp_path_factory.mktemp("derived-2026")
    made = {version: derive(version, out) for version in DERIVATIONS}
    return {version: path for version, path in made.items() if path is not None}
