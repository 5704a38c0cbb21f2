"""Layout tables against the workbooks' own drop-down lists.

For every question cell of a layout whose data validation in the real template is a plain list
range (``$B$90:$B$93``), the literals the layout accepts must be exactly the workbook's list.
Conditional lists (formulas) are skipped; they draw on the same source ranges.

openpyxl loads each workbook once for all the tests on it (the whole workbook, smelter lists
included, which is most of what the tests cost).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

from mineral_compliance.templates import _xlsx
from mineral_compliance.templates.detect import detect
from mineral_compliance.templates.layouts import LAYOUTS
from mineral_compliance.templates.layouts.base import Layout

from .._workbooks import DERIVATIONS, reference_templates
from ..conftest import needs_reference, reference_files

pytestmark = needs_reference

_BLANK_NAMES = {
    "RMI_CMRT_6.01.xlsx", "RMI_CMRT_6.1.xlsx", "RMI_CMRT_6.22.xlsx", "RMI_CMRT_6.31.xlsx",
    "RMI_CMRT_6.4.xlsx", "RMI_CMRT_6.5_(Security C) (1).xlsx",
    "RMI_EMRT_1.1.xlsx", "RMI_EMRT_1.11.xlsx", "RMI_EMRT_1.2.xlsx", "RMI_EMRT_1.3.xlsx",
    "RMI_EMRT_2.0_(Security C) (1).xlsx", "RMI_EMRT_2.1.xlsx",
    "RMI_CRT_2.2.xlsx", "RMI_CRT_2.21.xlsx",
    "RMI_AMRT_1.2.xlsx", "RMI_AMRT_1.2.1_(Security C) (1).xlsx", "RMI_AMRT_1.3.xlsx",
}
NEW = {v for layout in LAYOUTS if not layout.from_workbook for v in layout.versions}
"""Versions whose tables rest on published cell mappings: any real workbook of theirs found
under ../shared/reference is checked too, whatever it is called."""
BLANKS = [p for p in reference_files("cmrt") + reference_files("emrt") if p.name in _BLANK_NAMES]
BLANKS += [f.path for f in reference_templates() if f.version in NEW and f.path not in BLANKS]
SOURCES = [pytest.param(p, id=p.name) for p in BLANKS] + [
    pytest.param(v, id=f"derived-{v}") for v in DERIVATIONS]
"""Real blank workbooks by path; the 2026 releases derived from them (``_workbooks``) by
version. A derived workbook holds what the published mappings say changed, so for it these
tests check the tables against those statements rather than against RMI's own file."""


def _workbook(source: Path | str, derived: dict[str, Path]) -> Path:
    if isinstance(source, Path):
        return source
    if source not in derived:
        pytest.skip(f"the real workbook {source} is derived from is not at hand")
    return derived[source]


@dataclass(frozen=True)
class Opened:
    layout: Layout
    """The layout detected in the workbook."""
    ws: Any
    """Its declaration sheet as openpyxl reads it."""


@pytest.fixture(scope="module", params=SOURCES)
def opened(request: pytest.FixtureRequest, derived_2026: dict[str, Path]) -> Opened:
    """One source workbook, its tests grouped around it (one load, one workbook held)."""
    path = _workbook(request.param, derived_2026)
    layout = detect(_xlsx.open_workbook(path)).layout
    return Opened(layout, load_workbook(path)[layout.declaration_sheet])


_RANGE = re.compile(r"^\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)$")


def _holds_numbers(ws: object, dv: object) -> bool:
    m = _RANGE.match(getattr(dv, "formula1", None) or "")
    if m is None:
        return False
    cells = ws[f"{m.group(1)}{m.group(2)}:{m.group(3)}{m.group(4)}"]  # type: ignore[index]
    return any(isinstance(c.value, (int, float)) and not isinstance(c.value, bool)
               for line in cells for c in line)


def _literal(value: object) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 1:
        return "100%"
    return str(value).strip()


def test_layout_choices_equal_the_workbook_dropdowns(opened: Opened) -> None:
    layout, ws = opened.layout, opened.ws
    lists: dict[str, tuple[str, ...]] = {}
    sources: dict[str, str] = {}
    for dv in ws.data_validations.dataValidation:
        m = _RANGE.match(dv.formula1 or "")
        if dv.type != "list" or m is None:
            continue
        for rng in dv.sqref.ranges:
            for row, col in CellRange(rng.coord).cells:
                sources[f"{get_column_letter(col)}{row}"] = dv.formula1.replace("$", "")
        values = tuple(
            _literal(cell.value)
            for line in ws[f"{m.group(1)}{m.group(2)}:{m.group(3)}{m.group(4)}"]
            for cell in line
        )
        if any(v.startswith("=") for v in values):
            continue  # a conditional list (6.31+): computed by formulas from the fixed lists
        for rng in dv.sqref.ranges:
            for row, col in CellRange(rng.coord).cells:
                lists[f"{get_column_letter(col)}{row}"] = values
    checked = 0
    for q in layout.questions:
        for slot, row in enumerate(q.rows):
            ref = f"{q.answer_col}{row}"
            if ref in lists:
                assert q.choices_for(slot) == lists[ref], ref
                checked += 1
    for cq in layout.company_questions:
        refs = [f"D{r}" for r in cq.per_mineral_rows] or [cq.cell]
        for slot, ref in enumerate(refs):
            if ref in lists:
                assert cq.choices_for(slot) == lists[ref], ref
                checked += 1
    scope_cell = layout.company_cells["scope"]
    if scope_cell in lists:
        assert layout.scope_choices == lists[scope_cell]
        checked += 1
    for ref in layout.minerals.selector_cells:
        if ref in lists:  # EMRT 2.x lists one mineral and its "(Delete X)" entry per cell
            listed = lists[ref]
            extra = [v for v in listed if v not in layout.minerals.choices]
            assert extra == [v for v in listed if v in layout.minerals.deselect], ref
            if not extra:
                assert layout.minerals.choices == listed, ref
            checked += 1
    if layout.minerals.list_range is not None:  # AMRT: one list below question 2 for all
        assert {sources.get(ref) for ref in layout.minerals.selector_cells} == {
            layout.minerals.list_range}
    assert checked >= 8  # the test really compared something


def _excel_date(serial: str) -> dt.date:
    return dt.date(1899, 12, 30) + dt.timedelta(days=int(serial))


def test_effective_date_bounds_equal_the_workbook_validation(opened: Opened) -> None:
    """The bounds behind ``effective-date-invalid`` are the effective-date cell's own date
    validation: "between" (the default operator) or "greaterThan" its lower bound."""
    layout, ws = opened.layout, opened.ws
    assert layout.checker is not None
    ref = layout.company_cells["effective_date"]
    found = [dv for dv in ws.data_validations.dataValidation
             if any(ref in CellRange(r.coord) for r in dv.sqref.ranges)]
    assert len(found) == 1, ref
    dv = found[0]
    assert dv.type == "date"
    spec = layout.checker
    assert spec.date_min == _excel_date(dv.formula1)
    if dv.operator == "greaterThan":
        assert (spec.date_max, spec.date_min_inclusive) == (None, False)
    else:
        assert dv.operator in (None, "between")
        assert spec.date_max == _excel_date(dv.formula2)
        assert spec.date_min_inclusive


def test_questions_store_numbers_exactly_where_the_dropdown_list_does(opened: Opened) -> None:
    """A writer puts "100%" in as the number 1 where, and only where, the version's own list
    holds the number."""
    layout, ws = opened.layout, opened.ws
    numeric: set[str] = set()
    for dv in ws.data_validations.dataValidation:
        if dv.type == "list" and _holds_numbers(ws, dv):
            for rng in dv.sqref.ranges:
                numeric |= {f"{get_column_letter(c)}{r}" for r, c in CellRange(rng.coord).cells}
    for q in layout.questions:
        cells = {f"{q.answer_col}{row}" for row in q.rows}
        assert q.stores_numbers == bool(cells & numeric), (layout.name, q.key)
