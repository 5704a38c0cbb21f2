"""Declared mines in a consolidation: each smelter carries the mines its suppliers name for
it (Smelter List columns N and O, EMRT/AMRT Mine List rows), one per mine name and country,
with every declaration of it; they are written as mines.csv and shown in the review report."""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mineral_compliance.consolidation import consolidate, product_subset
from mineral_compliance.models.consolidation import Consolidation
from mineral_compliance.outputs import write_consolidation
from mineral_compliance.review import render_report
from mineral_compliance.rules import validate_file
from mineral_compliance.templates._xlsx import CellInput, patch_cells

from ..conftest import FIXTURES, REFERENCE, needs_reference

DEMO = FIXTURES / "demo"
CMRT_65 = DEMO / "cmrt-6.5-product-scope.xlsx"
EMRT_21 = DEMO / "emrt-2.1-selected-minerals.xlsx"


def _supplier(tmp_path: Path, name: str, mines: dict[int, tuple[str | None, str | None,
                                                                str | None]]) -> Path:
    """The CMRT 6.5 fixture as another supplier's, its smelter CID900001 (row 5, no mine
    named) repeated on one row per mine: name, country and the row's comment."""
    edits: dict[str, CellInput] = {"Declaration!D8": name}
    for row, (mine, country, comment) in mines.items():
        edits |= {f"Smelter List!A{row}": "CID900001", f"Smelter List!N{row}": mine,
                  f"Smelter List!O{row}": country, f"Smelter List!Q{row}": comment}
    return patch_cells(CMRT_65, edits, tmp_path / f"{name}.xlsx")


def _consolidate(*paths: Path) -> Consolidation:
    with ThreadPoolExecutor(2) as pool:
        return consolidate(list(paths), executor=pool)


def test_a_smelters_mines_are_merged_across_suppliers_keeping_every_source(
        tmp_path: Path) -> None:
    first = _supplier(tmp_path, "First Example Supplier", {
        8: ("Example Hill", "Rwanda", "Material tagged under the ITSCI programme"),
        9: ("Example Valley", "China", None)})
    second = _supplier(tmp_path, "Second Example Supplier", {
        8: ("EXAMPLE HILL.", "RWANDA", None), 9: ("Example Hill", "Peru", None)})
    c = _consolidate(first, second)
    [smelter] = [s for s in c.smelters if s.key == "CID900001"]
    assert len(smelter.sources) == 6  # rows 5, 8 and 9 of each file, grouped as one smelter
    assert [(m.name, m.country, m.country_code, len(m.sources)) for m in smelter.mines] == [
        ("Example Hill", "Rwanda", "RW", 2), ("Example Valley", "China", "CN", 1),
        ("Example Hill", "Peru", "PE", 1)]
    hill = smelter.mines[0]
    assert [(Path(x.file).name, x.sheet, x.cell, x.name, x.comment) for x in hill.sources] == [
        ("First Example Supplier.xlsx", "Smelter List", "O8", "Example Hill",
         "Material tagged under the ITSCI programme"),
        ("Second Example Supplier.xlsx", "Smelter List", "O8", "EXAMPLE HILL.", None)]
    assert hill.suppliers == ("name:first example supplier", "name:second example supplier")
    # nothing lost: every row attributed or rejected, every mine carried by its smelter
    summary = c.summary()
    assert summary["smelter_rows_attributed"] + summary["rows_rejected"] == c.rows_read == 10
    assert len(c.mines) == 4 and all(m.smelter_key == "CID900001" for m in c.mines)


def test_recycled_entries_are_not_mines_unless_the_row_names_mines(tmp_path: Path) -> None:
    path = _supplier(tmp_path, "Example Supplier", {
        8: ("Recycled", "Recycled/scrap", None),         # no mine
        9: ("Example Hill, Example Ridge", "Scrap", "tagged material"),  # names mines
        10: ("Example Creek", None, None)})              # a name, no country
    [smelter] = [s for s in _consolidate(path).smelters if s.key == "CID900001"]
    assert [(m.name, m.country, m.country_code, m.sources[0].cell)
            for m in smelter.mines] == [
        ("Example Hill, Example Ridge", "Scrap", None, "O9"),
        ("Example Creek", None, None, "N10")]


def test_mine_list_rows_join_the_smelter_they_name(tmp_path: Path) -> None:
    """The EMRT fixture's Mine List row 5 names its cobalt refiner; row 6 names the lithium
    converter the supplier typed as not listed; row 7 a smelter the file does not list."""
    path = patch_cells(EMRT_21, {
        "Mine List!A6": "Lithium", "Mine List!B6": "Example Lithium Converter",
        "Mine List!C6": "Example Salar", "Mine List!F6": "CHILE",
        "Mine List!M6": "Brine concession",
        "Mine List!A7": "Nickel", "Mine List!B7": "Some Other Refinery",
        "Mine List!C7": "Example Nickel Mine", "Mine List!F7": "INDONESIA",
    }, tmp_path / "emrt.xlsx")
    c = _consolidate(path)
    mines = {s.name: [(m.name, m.country_code, m.sources[0].cell, m.sources[0].comment)
                      for m in s.mines] for s in c.smelters}
    assert mines == {
        "Example Cobalt Refinery Oy": [("Example Mine Site 7", "FI", "C5", None)],
        "Example Lithium Converter": [("Example Salar", "CL", "C6", "Brine concession")]}
    [loose] = [m for m in c.mines if m.smelter_key is None]
    assert (loose.name, loose.smelter, loose.cell) == (
        "Example Nickel Mine", "Some Other Refinery", "C7")


def test_mines_are_written_as_a_table_and_shown_in_the_review_report(tmp_path: Path) -> None:
    path = _supplier(tmp_path, "Example Supplier", {
        8: ("Example Hill", "Rwanda", "Material tagged under the ITSCI programme")})
    c = _consolidate(path, EMRT_21)
    out = tmp_path / "out"
    write_consolidation(c, out)
    rows = list(csv.DictReader(io.StringIO((out / "mines.csv").read_text(encoding="utf-8"))))
    assert [(r["smelter_key"], r["mine"], r["country_code"], r["suppliers"], r["cell"],
             r["comment"]) for r in rows] == [
        ("CID900001", "Example Hill", "RW", "1", "O8",
         "Material tagged under the ITSCI programme"),
        ("CID910001", "Example Mine Site 7", "FI", "1", "C5", "")]
    from openpyxl import load_workbook

    assert "Mines" in load_workbook(out / "consolidation.xlsx", read_only=True).sheetnames
    html = render_report(c)
    assert "Declared mines" in html and "<bdi>Example Hill</bdi>, <bdi>Rwanda</bdi> (RW)" in html
    assert "Material tagged under the ITSCI programme" in html


def test_a_product_subset_keeps_the_mines_of_its_declarations(tmp_path: Path) -> None:
    first = _supplier(tmp_path, "First Example Supplier", {8: ("Example Hill", "Rwanda", None)})
    second = patch_cells(_supplier(tmp_path, "Second Example Supplier", {
        8: ("Example Valley", "China", None)}), {"Product List!B6": "OTHER-1"},
        tmp_path / "second-other-product.xlsx")
    c = _consolidate(first, second)
    [full] = [s for s in c.smelters if s.key == "CID900001"]
    assert [m.name for m in full.mines] == ["Example Hill", "Example Valley"]
    number = next(p.product_number for p in c.products
                  if Path(p.file).name == "First Example Supplier.xlsx")
    assert number and number != "OTHER-1"
    subset = product_subset(c, [number])
    [part] = [s for s in subset.smelters if s.key == "CID900001"]
    assert [m.name for m in part.mines] == ["Example Hill"]


def test_a_mine_lost_on_the_way_stops_the_consolidation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mineral_compliance.consolidation import smelters
    from mineral_compliance.errors import ConsolidationError

    made = smelters.MergedRows.smelter

    def forgetting(self: smelters.MergedRows, key: str, sources: Any, *mines: Any) -> Any:
        return made(self, key, sources)  # no smelter keeps its mines

    monkeypatch.setattr(smelters.MergedRows, "smelter", forgetting)
    path = _supplier(tmp_path, "Example Supplier", {8: ("Example Hill", "Rwanda", None)})
    with pytest.raises(ConsolidationError, match=r"1 mines declared for smelters but 0"):
        _consolidate(path)


@needs_reference
def test_real_files_repeat_a_smelter_per_mine_without_duplicate_warnings() -> None:
    """A real CMRT lists one tungsten smelter on five rows, each naming another mine: those
    rows are its mines, and no real file gets a duplicate-row warning for them."""
    paths = sorted((REFERENCE / "cmrt").glob("RMI_*CMRT_6*.xlsx"))
    if not paths:
        pytest.skip("no real CMRT 6.x supplier files")
    findings = [f.code for p in paths for f in validate_file(p).findings]
    assert "duplicate-smelter-row" not in findings
    c = _consolidate(*paths)
    most = max(c.smelters, key=lambda s: len(s.mines))
    assert len(most.mines) >= 5
    assert sum(len(m.sources) for s in c.smelters for m in s.mines) == sum(
        m.smelter_key is not None for m in c.mines)
