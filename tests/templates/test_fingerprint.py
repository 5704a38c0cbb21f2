"""Structure fingerprints: every real template matches its own, and workbooks derived from
the real blank CMRT 6.5 (a supplier's inserted column, a widened Product List, a moved
Checker total, labels saved without their values, a later revision) are flagged or refused,
never read as 6.5 without a word."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from mineral_compliance import UnsupportedVersionError, read_template, validate_file
from mineral_compliance.templates import _xlsx
from mineral_compliance.templates._xlsx import col_to_index, index_to_col, patch_cells
from mineral_compliance.templates.detect import detect
from mineral_compliance.templates.fingerprint import Outcome, differences, fingerprint
from mineral_compliance.templates.layouts import LAYOUTS

from ..conftest import FIXTURES, REFERENCE, needs_reference, reference_files

BLANK_65 = REFERENCE / "cmrt" / "RMI_CMRT_6.5_(Security C) (1).xlsx"
DEMO_65 = FIXTURES / "demo" / "cmrt-6.5-product-scope.xlsx"
DEMO_66 = FIXTURES / "demo" / "cmrt-6.6-requester-products.xlsx"
RAISED = "Revision 6.7\nApril 30, 2027"


def _readable() -> list[Path]:
    found = []
    for path in reference_files("cmrt") + reference_files("emrt"):
        try:
            detect(_xlsx.open_workbook(path))
        except Exception:  # the pre-6 CMRTs and encrypted copies are refused elsewhere
            continue
        found.append(path)
    return found


READABLE = _readable()


def rewrite(src: Path, dest: Path, sheet: str, edit: Callable[[bytes], bytes]) -> Path:
    """A copy of ``src`` whose worksheet ``sheet`` is ``edit``-ed at the XML level (every
    other part byte for byte)."""
    part = next(s.part for s in _xlsx.open_workbook(src).sheets if s.name == sheet)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, edit(data) if info.filename == part else data)
    return dest


def _cell(data: bytes, ref: str) -> bytes:
    m = re.search(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', data, re.S)
    assert m is not None, ref
    return m.group(0)


def widen_product_list(data: bytes) -> bytes:
    """Product List headers in E5 and F5 as 6.6 has them: label formulas like D5's."""
    d5 = _cell(data, "D5")
    e5, f5 = (d5.replace(b'r="D5"', f'r="{c}5"'.encode()) for c in "EF")
    data = re.sub(rb'<c r="E5"[^>]*?(?:/>|>.*?</c>)', lambda _m: e5, data, count=1, flags=re.S)
    return re.sub(rb'<c r="F5"[^>]*?(?:/>|>.*?</c>)', lambda _m: f5, data, count=1, flags=re.S)


def insert_column_c(data: bytes) -> bytes:
    """What inserting a column before C does to the Smelter List's header row: every cell
    of row 4 from C on moves one column right."""
    row = re.search(rb'<row r="4".*?</row>', data, re.S)
    assert row is not None

    def shift(m: re.Match[bytes]) -> bytes:
        col = m.group(1).decode()
        if col_to_index(col) < 3:
            return m.group(0)
        return f'<c r="{index_to_col(col_to_index(col) + 1)}4"'.encode()

    moved = re.sub(rb'<c r="([A-Z]+)4"', shift, row.group(0))
    return data[: row.start()] + moved + data[row.end():]


def move_checker_total(data: bytes) -> bytes:
    """The Checker's total one row lower, as a Checker with one more item has it."""
    return data.replace(b'<row r="70"', b'<row r="71"').replace(b'r="H70"', b'r="H71"')


def drop_formula_values(data: bytes) -> bytes:
    """Formula cells without their cached results, as tools that do not calculate save them."""
    return re.sub(rb"(</f>|<f [^>]*/>)<v>[^<]*</v>", rb"\1", data)


def raise_revision(src: Path, dest: Path) -> Path:
    return patch_cells(src, {"Declaration!J3": RAISED}, dest)


# -- every real template fits its own fingerprint -------------------------------------------


@needs_reference
@pytest.mark.parametrize("path", READABLE, ids=lambda p: p.name)
def test_every_real_template_matches_its_fingerprint(path: Path) -> None:
    wb = _xlsx.open_workbook(path)
    layout = detect(wb).layout
    assert differences(wb, layout) == ()
    decl = read_template(path)
    assert not [n for n in decl.notes if n.code.value == "structure-differs"]


@needs_reference
def test_the_reference_set_covers_every_layout_and_several_languages() -> None:
    layouts = {detect(_xlsx.open_workbook(p)).layout.name for p in READABLE}
    # every table read from RMI's workbooks (the 2026 ones rest on published mappings)
    assert layouts >= {la.name for la in LAYOUTS if la.from_workbook}
    languages = {read_template(p).template.language.value for p in READABLE}
    assert len(languages) >= 2  # blanks saved in English and in Chinese among them


def test_fingerprints_come_from_the_tables() -> None:
    for layout in LAYOUTS:
        probes = fingerprint(layout).probes
        assert {p.sheet for p in probes} >= {"Smelter List", "Declaration"}
        # the Checker's total is proof only where the table was read from the workbook
        assert ("Checker" in {p.sheet for p in probes}) is layout.from_workbook, layout.name
        headers = [p for p in probes if p.sheet == layout.smelter_list.sheet]
        assert len(headers) == len(layout.smelter_list.columns) + 1, layout.name
        markers = [p for p in probes if p.expect == "marker"]
        assert len(markers) == len(layout.questions) + len(layout.company_questions)


@needs_reference
def test_top_cells_agree_with_the_whole_sheet() -> None:
    for path in READABLE[::3]:
        wb = _xlsx.open_workbook(path)
        for sheet in ("Smelter List", "Product List", "Checker"):
            whole = {k: c for k, c in _xlsx.open_workbook(path).cells(sheet).items()
                     if 3 <= k[0] <= 6}
            assert wb.top_cells(sheet, 6, first=3) == whole, (path.name, sheet)


# -- a known release, changed, is flagged ---------------------------------------------------


@needs_reference
def test_a_widened_product_list_is_flagged_at_the_new_header(tmp_path: Path) -> None:
    wide = rewrite(BLANK_65, tmp_path / "wide.xlsx", "Product List", widen_product_list)
    report = validate_file(wide)
    hits = [f for f in report.findings if f.code == "template-structure-differs"]
    assert [(f.sheet, f.cell) for f in hits] == [("Product List", "E5")]
    assert "a label formula" in hits[0].message and "no column header after column D" \
        in hits[0].message
    assert not report.valid


@needs_reference
def test_an_inserted_column_is_flagged_where_the_header_went_missing(tmp_path: Path) -> None:
    moved = rewrite(BLANK_65, tmp_path / "col.xlsx", "Smelter List", insert_column_c)
    hits = [f for f in validate_file(moved).findings if f.code == "template-structure-differs"]
    assert [(f.sheet, f.cell) for f in hits] == [("Smelter List", "C4")]
    assert "R4" in hits[0].message  # and the label moved past the last column read


@needs_reference
def test_a_moved_checker_total_and_a_moved_question_label_are_flagged(tmp_path: Path) -> None:
    moved = rewrite(BLANK_65, tmp_path / "checker.xlsx", "Checker", move_checker_total)
    moved = patch_cells(moved, {"Declaration!B31": "Tantalum (*)"}, tmp_path / "both.xlsx")
    hits = {(f.sheet, f.cell) for f in validate_file(moved).findings
            if f.code == "template-structure-differs"}
    assert hits == {("Checker", "H70"), ("Declaration", "B31")}


@needs_reference
def test_labels_saved_without_values_cannot_be_checked_and_are_not_flagged(
        tmp_path: Path) -> None:
    bare = rewrite(BLANK_65, tmp_path / "bare.xlsx", "Product List", drop_formula_values)
    wb = _xlsx.open_workbook(bare)
    found = differences(wb, detect(wb).layout)
    assert {(d.sheet, d.outcome) for d in found} == {("Product List", Outcome.UNVERIFIED)}
    assert "template-structure-differs" not in validate_file(bare).codes()


# -- a release the library does not know ----------------------------------------------------


@needs_reference
def test_a_later_revision_of_the_same_shape_is_read_with_the_nearest_layout(
        tmp_path: Path) -> None:
    wide = rewrite(BLANK_65, tmp_path / "wide.xlsx", "Product List", widen_product_list)
    later = raise_revision(wide, tmp_path / "later.xlsx")  # a 6.7 laid out as 6.6
    decl = read_template(later)
    t = decl.template
    assert (t.version, t.layout, t.layout_assumed) == ("6.7", "cmrt-6.6", True)
    assert "layout-assumed" in validate_file(later).codes()  # flagged, not read silently


@needs_reference
@pytest.mark.parametrize(("sheet", "edit", "where"), [
    ("Product List", None, ("Product List", "E5")),
    ("Smelter List", insert_column_c, ("Smelter List", "C4")),
    ("Product List", drop_formula_values, ("Product List", "B5")),
], ids=["product-list-as-6.5", "column-inserted", "labels-without-values"])
def test_a_later_revision_laid_out_otherwise_is_refused(
        tmp_path: Path, sheet: str, edit: Callable[[bytes], bytes] | None,
        where: tuple[str, str]) -> None:
    changed = BLANK_65
    if edit is not None:  # otherwise the 6.5 Product List, without 6.6's two new columns
        wide = rewrite(BLANK_65, tmp_path / "wide.xlsx", "Product List", widen_product_list)
        changed = rewrite(wide, tmp_path / "changed.xlsx", sheet, edit)
    later = raise_revision(changed, tmp_path / "later.xlsx")
    with pytest.raises(UnsupportedVersionError) as caught:
        read_template(later)
    err = caught.value
    assert (err.kind, err.version, err.sheet, err.cell) == ("CMRT", "6.7", *where)
    assert "cmrt-6.6" in str(err) and f"{where[0]}!{where[1]}" in str(err)
    assert err.differences and err.hint
    with pytest.raises(UnsupportedVersionError):
        validate_file(later)


def test_a_synthetic_file_whose_structure_cannot_be_checked_is_refused_when_newer(
        tmp_path: Path) -> None:
    # the project's fixtures carry no question labels: nothing proves the layout
    later = patch_cells(DEMO_66, {"Declaration!J3": RAISED}, tmp_path / "later.xlsx")
    with pytest.raises(UnsupportedVersionError, match=r"not laid out as cmrt-6\.6") as caught:
        read_template(later)
    assert "Declaration!B25" in str(caught.value)


def test_a_fixture_with_a_header_removed_is_flagged(tmp_path: Path) -> None:
    assert "template-structure-differs" not in validate_file(DEMO_65).codes()
    gap = patch_cells(DEMO_65, {"Smelter List!C4": None}, tmp_path / "gap.xlsx")
    hits = [f for f in validate_file(gap).findings if f.code == "template-structure-differs"]
    assert [(f.sheet, f.cell) for f in hits] == [("Smelter List", "C4")]
    # a text header after the last column, beside text headers, could be a helper column
    extra = patch_cells(DEMO_65, {"Product List!E5": "Requester's Product Number"},
                        tmp_path / "extra.xlsx")
    assert "template-structure-differs" not in validate_file(extra).codes()


@needs_reference
def test_each_checker_total_is_the_sum_of_the_workbook_checker() -> None:
    for path in READABLE:
        wb = _xlsx.open_workbook(path)
        layout = detect(wb).layout
        assert layout.checker is not None and layout.checker.total_cell, layout.name
        part = next(s.part for s in wb.sheets if s.name == "Checker")
        with zipfile.ZipFile(path) as z:
            cell = _cell(z.read(part), layout.checker.total_cell)
        formula = re.search(rb"<f[^>]*>([^<]*)</f>", cell)
        assert formula is not None and formula.group(1).upper().startswith(b"SUM("), \
            (path.name, cell[:200])
