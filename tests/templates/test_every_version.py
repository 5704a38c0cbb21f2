"""Every template version the library supports reads, validates and round-trips through the
writer, on a real RMI workbook wherever one is at hand.

For each version: its blank workbook reads as that version with its own table; the rules run
on it without failing; a complete fill (every input the Checker can ask for, two minerals or
the family's fixed ones, scope B with two products in the columns the release has) reads
back as entered and leaves no Checker item open; and the writer puts the declaration back
into the blank workbook so that it reads back identical.

Where the workbook comes from is part of each test's id: ``real`` (a file under
../shared/reference that says it is that version), ``derived`` (a 2026 release made from its
real predecessor as ``_workbooks`` documents), or ``relabelled`` (a real workbook of the same
table with only the revision cell changed, for releases no copy of which is at hand, such as
CMRT 6.0 or the CRT 2.21 that prints "Revision 2.2").
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from mineral_compliance import read_template, write_template
from mineral_compliance.findings import Basis
from mineral_compliance.models import Declaration
from mineral_compliance.rules import validate
from mineral_compliance.templates._xlsx import patch_cells
from mineral_compliance.templates.layouts import LAYOUTS
from mineral_compliance.templates.layouts.base import Layout

from .._workbooks import (
    DERIVATIONS,
    PRODUCT_FIRST_ROW,
    PRODUCTS,
    fill,
    product_columns,
    product_fill,
    real_template,
)
from ..conftest import needs_reference

pytestmark = needs_reference

MINERALS = {"emrt-2.0": ("Cobalt", "Lithium"), "emrt-2.1": ("Cobalt", "Lithium"),
            "emrt-2.11": ("Copper", "Nickel"), "amrt-1.2": ("Silver", "Zinc"),
            "amrt-1.3": ("Palladium", "Zinc"), "amrt-1.31": ("Cadmium", "Zinc")}
"""Minerals chosen where the template has a selector (AMRT 1.31: one of its new ones)."""

CASES = [pytest.param(layout, version, id=f"{layout.kind.value}-{version}")
         for layout in LAYOUTS for version in layout.versions]


def _source(layout: Layout, version: str, derived: dict[str, Path],
            tmp_path: Path) -> tuple[Path, str]:
    kind = layout.kind.value
    real = real_template(version, kind)
    if real is not None:
        return real, "real"
    if version in derived:
        return derived[version], "derived"
    sibling = next((p for v in layout.versions if (p := real_template(v, kind))), None)
    if sibling is None:
        pytest.skip(f"no real {kind} workbook read with the {layout.name} table is at hand")
    relabelled = patch_cells(sibling, {"Declaration!J3": f"Revision {version}"},
                             tmp_path / "relabelled.xlsx")
    return relabelled, "relabelled"


def _plain(decl: Declaration) -> dict[str, Any]:
    plain = decl.to_plain()
    del plain["file"], plain["sha256"]
    return plain


@pytest.mark.parametrize("layout,version", CASES)
def test_version_reads_validates_and_round_trips(
        layout: Layout, version: str, derived_2026: dict[str, Path], tmp_path: Path) -> None:
    blank, how = _source(layout, version, derived_2026, tmp_path)
    if version in DERIVATIONS:
        assert how in ("real", "derived"), how
    decl = read_template(blank)
    t = decl.template
    assert (t.kind, t.version, t.layout, t.layout_assumed) == (
        layout.kind, version, layout.name, False), how
    assert "rule-failed" not in {f.code for f in validate(decl).findings}

    assert layout.checker is not None
    date = dt.date(2026, 5, 4) if layout.checker.date_max is None else dt.date(2025, 12, 9)
    edits = {**fill(layout, MINERALS.get(layout.name, ()), date),
             **product_fill(layout, version)}
    filled = read_template(patch_cells(blank, edits, tmp_path / "filled.xlsx"))
    assert filled.company.effective_date.value == date
    assert filled.company.scope_code == "B"
    columns = product_columns(layout.kind.value, version)
    for product, row in zip(filled.products, (PRODUCT_FIRST_ROW, PRODUCT_FIRST_ROW + 1),
                            strict=True):
        expected = PRODUCTS[row - PRODUCT_FIRST_ROW]
        for fld in ("number", "name", "requester_number", "requester_name", "comments"):
            value = getattr(product, fld)
            where = f"{columns[fld]}{row}" if fld in columns else None  # no such column
            assert (value.value, value.provenance.cell) == (
                expected[fld] if fld in columns else None, where), (fld, how)
    report = validate(filled)
    assert [f.checker_item for f in report.findings if f.basis is Basis.CHECKER] == [], how
    assert "effective-date-invalid" not in {f.code for f in report.findings}

    written = write_template(filled, template=blank, out=tmp_path / "written.xlsx")
    back = read_template(written)
    assert _plain(back) == _plain(filled), how
