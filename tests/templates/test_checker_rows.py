"""The Checker rows of the layout tables against the real workbooks' Checker sheets.

Each Checker item's instruction is the language sheet's text keyed by the item's row
(``Checker J<row>``), so the row every table gives an item must be the row of the real
workbook's Checker that checks the same thing: the row whose column B formula points at the
item's cell (``=Declaration!D8``, ``=IF($B$14="Yes",Declaration!D32,0)``), or, for the list
items, whose label in column A names it ("Product List", "Smelter List - Tin").
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from openpyxl import load_workbook

from mineral_compliance.templates import layout_named
from mineral_compliance.templates.layouts import LAYOUTS

from .._workbooks import real_template, reference_templates
from ..conftest import needs_reference

pytestmark = needs_reference

_REF = re.compile(r"(?:'([^']+)'|([A-Za-z][\w ]*))!\$?([A-Z]{1,3})\$?(\d+)")

BLANK = sorted({(path, f.layout) for f in reference_templates()
                if (path := real_template(f.version, f.kind)) is not None})
REAL = [pytest.param(path, layout, id=path.name) for path, layout in BLANK]
"""One blank real workbook per release at hand: the tables describe RMI's releases, and a
supplier's file may carry a Checker someone edited (one of the filled 6.4 files points its
contact-name item at D14)."""


def checker_rows(path: Path) -> dict[str, int]:
    """Item key -> row, for every row of the workbook's Checker above its total that has a
    "required?" formula or value (column F), read with openpyxl."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl's notes on extensions it drops
        wb = load_workbook(path, read_only=True, data_only=False)
    ws = wb["Checker"]
    out: dict[str, int] = {}
    for row in ws.iter_rows(min_row=4, max_col=8):
        if len(row) < 8:
            continue
        total = row[7].value
        if isinstance(total, str) and "SUM(" in total.upper():
            break
        if total is None or row[5].value is None:
            continue
        key = None
        for col in (1, 0):
            text = row[col].value
            if isinstance(text, str) and text.startswith("="):
                refs = [f"{a or b}!{c}{d}" for a, b, c, d in _REF.findall(text)
                        if (a or b) != "Checker"]
                if refs:
                    key = refs[0]
                    break
        if key is None:
            label = " ".join(str(row[0].value).split())
            m = re.match(r"smelter list\s*-\s*(.+)$", label, re.I)
            key = ("Smelter not listed" if "smelter not listed" in label.casefold()
                   else f"Smelter List - {m.group(1).strip()}" if m else label)
        assert row[0].row is not None
        out.setdefault(key, row[0].row)
    return out


@pytest.mark.parametrize(("path", "layout_name"), REAL)
def test_every_item_sits_on_the_row_of_the_real_checker(path: Path, layout_name: str) -> None:
    layout = layout_named(layout_name)
    assert layout.checker is not None
    rows = checker_rows(path)
    placed = {item.key: item.row for item in layout.checker.items}
    assert {key: rows.get(key) for key in placed} == placed


def test_every_item_of_every_table_has_a_row() -> None:
    """Tables not read from a workbook (the 2026 releases) take their predecessor's rows."""
    missing = [(layout.name, item.key) for layout in LAYOUTS if layout.checker
               for item in layout.checker.items if item.row is None]
    assert missing == []
