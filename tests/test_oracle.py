"""The LibreOffice oracle: how jobs are shared among processes, how edit values travel, and,
with LibreOffice, that edits made in a loaded workbook give what LibreOffice sees in a copy
patched with the same edits, and are undone without a trace."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from mineral_compliance.templates._xlsx import CellInput, patch_cells
from mineral_compliance_oracle import (
    CellContent,
    CheckerJob,
    CheckerResult,
    _encode,
    _plan,
    _unprotected,
    run_checker,
)

from .conftest import UNO_PYTHON, needs_libreoffice

# -- without LibreOffice ------------------------------------------------------------------------


@pytest.mark.parametrize("processes", [1, 2, 3, 4, 8])
def test_each_process_loads_each_workbook_once(processes: int) -> None:
    sources = ["a"] * 40 + ["b"] * 25 + [f"plain-{i}" for i in range(9)] + ["c"] * 3 + ["a"]
    plan = _plan(sources, processes)
    assert 1 <= len(plan) <= processes
    assert sorted(i for chunk in plan for i in chunk) == list(range(len(sources)))
    for chunk in plan:
        order = [sources[i] for i in chunk]
        runs = [s for k, s in enumerate(order) if k == 0 or order[k - 1] != s]
        assert len(runs) == len(set(runs)), order  # a workbook's jobs are consecutive
        by_source: dict[str, list[int]] = {}
        for i in chunk:
            by_source.setdefault(sources[i], []).append(i)
        assert all(ix == sorted(ix) for ix in by_source.values())  # in job order
    if processes > 1:
        cost = [len(chunk) + 2 * len({sources[i] for i in chunk}) for chunk in plan]
        assert max(cost) - min(cost) <= 6, cost


def test_one_job_one_process() -> None:
    assert _plan(["a"], 4) == [[0]]


def test_dates_travel_as_the_serial_the_patcher_writes() -> None:
    assert _encode("S!A1", dt.date(2025, 12, 9)) == {"serial": 46000.0}
    assert _encode("S!A1", dt.date(1900, 1, 1)) == {"serial": 1.0}
    assert _encode("S!A1", dt.date(1900, 2, 28)) == {"serial": 59.0}
    assert _encode("S!A1", dt.date(1900, 3, 1)) == {"serial": 61.0}
    assert _encode("S!A1", dt.datetime(2025, 1, 1, 18)) == {"serial": 45658.75}
    assert _encode("S!A1", None) is None
    assert _encode("S!A1", True) is True
    assert _encode("S!A1", 3) == 3
    assert _encode("S!A1", "x") == "x"
    with pytest.raises(ValueError, match="before the first day"):
        _encode("S!A1", dt.date(1899, 12, 31))
    with pytest.raises(ValueError, match="cannot be stored"):
        _encode("S!A1", float("nan"))
    with pytest.raises(TypeError):
        _encode("S!A1", [1])  # type: ignore[arg-type]


def _workbook(path: Path, *, protect: bool = False, date1904: bool = False) -> Path:
    """A small workbook with a Checker sheet over Data!B2:B6 (each item open when its cell
    is blank), a formula, text, a number and a date on Data, and a locked "No" in B6."""
    wb = Workbook()
    data = wb.active
    assert data is not None
    data.title = "Data"
    if date1904:
        wb.epoch = CALENDAR_MAC_1904
    data["B2"] = "Example Ltd"
    data["B3"] = "=B2&\" (formula)\""
    data["B4"] = 12.5
    data["B5"] = dt.date(2024, 5, 1)
    data["B6"] = "No"
    if protect:
        data.protection.sheet = True
        data.protection.password = "secret"
    checker = wb.create_sheet("Checker")
    for k, row in enumerate(range(4, 9)):
        ref = f"Data!B{2 + k}"
        checker[f"A{row}"] = f"Item {k}"
        checker[f"B{row}"] = f"={ref}"
        checker[f"F{row}"] = "=1"
        checker[f"G{row}"] = f'=IF(ISBLANK({ref}),1,0)'
        checker[f"H{row}"] = f"=F{row}*G{row}"
    checker["H9"] = "=SUM(H4:H8)"
    wb.save(path)
    return path


def test_sheet_protection_is_taken_out_of_a_copy(tmp_path: Path) -> None:
    source = _workbook(tmp_path / "book.xlsx", protect=True)
    copy = _unprotected(source, tmp_path / "copy")
    assert copy != source and copy.name == source.name
    with zipfile.ZipFile(source) as a, zipfile.ZipFile(copy) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            old, new = a.read(name), b.read(name)
            if b"sheetProtection" in old:
                assert b"sheetProtection" not in new
                assert len(new) < len(old)
            else:
                assert new == old
    # nothing to take out, or no workbook: a plain copy, never the source itself
    plain = _workbook(tmp_path / "plain.xlsx")
    text = tmp_path / "not-a-workbook.xlsx"
    text.write_text("hello", encoding="utf-8")
    for original, folder in ((plain, "plain-copy"), (text, "text-copy")):
        copied = _unprotected(original, tmp_path / folder)
        assert copied == tmp_path / folder / original.name
        assert copied.read_bytes() == original.read_bytes()


# -- with LibreOffice ---------------------------------------------------------------------------

EDITS: dict[str, dict[str, CellInput]] = {
    "text-over-text": {"Data!B2": "Other Ltd"},
    "empty-a-formula": {"Data!B3": None},
    "text-over-a-formula": {"Data!B3": "typed"},
    "number-over-a-number": {"Data!B4": 7},
    "date-over-a-date": {"Data!B5": dt.date(2025, 12, 9)},
    "datetime": {"Data!B5": dt.datetime(2025, 12, 9, 6)},
    "boolean": {"Data!B4": True},
    "into-an-empty-cell": {"Data!B7": "new", "Data!C7": 3.25},
    "empty-the-locked-no": {"Data!B6": None},
    "several": {"Data!B2": None, "Data!B4": None, "Data!B5": None, "Data!B6": "Yes"},
}
READ = sorted({ref for edits in EDITS.values() for ref in edits} | {"Data!B3"})


def _same(a: CheckerResult, b: CheckerResult) -> None:
    assert a.error is None, a.error
    assert b.error is None, b.error
    assert (a.items, a.total, dict(a.cells)) == (b.items, b.total, dict(b.cells))


@needs_libreoffice
@pytest.mark.parametrize("variant", ["plain", "protected", "1904"])
def test_edits_in_place_are_the_patched_file_and_leave_no_trace(
        variant: str, tmp_path: Path) -> None:
    base = _workbook(tmp_path / "base.xlsx", protect=variant == "protected",
                     date1904=variant == "1904")
    patched = {name: patch_cells(base, edits, tmp_path / f"{name}.xlsx")
               for name, edits in EDITS.items()}
    jobs = [CheckerJob(base, read=READ),
            *(CheckerJob(base, edits, read=READ) for edits in EDITS.values()),
            CheckerJob(base, read=READ),
            *(CheckerJob(patched[name], read=READ) for name in EDITS)]
    before = base.read_bytes()
    results = run_checker(jobs, python=UNO_PYTHON, processes=2)
    n = len(EDITS)
    fresh, in_place, after, loaded = results[0], results[1:n + 1], results[n + 1], results[n + 2:]
    _same(after, fresh)  # undone: formulas, text, numbers and empty cells as loaded
    assert fresh.cells["Data!B3"] == CellContent("formula", '=B2&" (formula)"')
    assert fresh.cells["Data!B7"] == CellContent("empty", None)
    for name, here, there in zip(EDITS, in_place, loaded, strict=True):
        _same(here, there)
        assert here.source == str(base), name
    # LibreOffice opened copies only: nothing written beside the sources, none changed
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["base.xlsx", *(f"{name}.xlsx" for name in EDITS)])
    assert base.read_bytes() == before
    by_name = dict(zip(EDITS, in_place, strict=True))
    assert by_name["empty-the-locked-no"].cells["Data!B6"] == CellContent("empty", None)
    assert by_name["boolean"].cells["Data!B4"] == CellContent("formula", "=TRUE()")
    serial = 46000.0 - (1462 if variant == "1904" else 0)
    assert by_name["date-over-a-date"].cells["Data!B5"] == CellContent("value", serial)
    assert by_name["several"].total == 3.0


@needs_libreoffice
def test_a_stored_edit_and_a_refused_edit(tmp_path: Path) -> None:
    base = _workbook(tmp_path / "base.xlsx", protect=True)
    stored = tmp_path / "stored.xlsx"
    results = run_checker([
        CheckerJob(base, {"Data!B2": None}, save_as=stored),
        CheckerJob(base, {"Nowhere!B2": "x"}),
        CheckerJob(base, {"Data!B2": None}),
        CheckerJob(stored, read=["Data!B2", "Data!B3"]),
    ], python=UNO_PYTHON)
    assert results[0].error is None and results[0].total == 1.0
    assert results[1].error is not None  # a missing sheet fails that job only
    _same(results[2], results[0])  # the document was loaded again after the failure
    assert results[3].error is None and results[3].total == 1.0
    assert results[3].cells["Data!B2"] == CellContent("empty", None)
