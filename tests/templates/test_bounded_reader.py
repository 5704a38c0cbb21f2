"""The template reader stays bounded on hostile input: scanners do work in proportion to the
size of what they scan (growth tests, :mod:`tests._growth`), text is made safe and capped,
list sheets are read up to a cap, and only the argument types the reader understands are
accepted."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
import threading
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from mineral_compliance import read_template
from mineral_compliance._io import MAX_TEXT_CHARS
from mineral_compliance.errors import MineralComplianceError, NotAWorkbookError
from mineral_compliance.findings import Severity
from mineral_compliance.models import Declaration
from mineral_compliance.rules import validate
from mineral_compliance.templates import _xlsx, reader
from mineral_compliance.templates.detect import detect
from mineral_compliance.templates.layouts.base import Layout

from .._growth import assert_linear
from ..conftest import FIXTURES

_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
# -- shared strings ---------------------------------------------------------------------------


def _sst(body: bytes) -> bytes:
    return b"<sst " + _NS + b">" + body + b"</sst>"


def _decode_all(data: bytes) -> None:
    table = _xlsx._SharedStrings.parse(data)
    for i in range(len(table)):
        table.get(i)


_SST_SHAPES: dict[str, Callable[[int], bytes]] = {
    # the first item has an attribute, so the table cannot simply be split on "<si>"
    "items never closed": lambda n: _sst(b'<si a="1"><t>x</t></si>' + b"<si><t>abc" * n),
    "openings without their >": lambda n: _sst(b"<si/>" + b'<si a="1" ' * n),
    "one item of unclosed runs": lambda n: _sst(b"<si/><si>" + b"<r><t>abc" * n + b"</si>"),
}


@pytest.mark.parametrize("shape", sorted(_SST_SHAPES))
def test_shared_strings_scan_in_linear_time(shape: str) -> None:
    assert_linear(_decode_all, _SST_SHAPES[shape], 20_000)


# -- what comes before a part's root ------------------------------------------------------------

_PROLOG_SHAPES: dict[str, Callable[[int], bytes]] = {
    "comments one after another": lambda n: b"<!---->" * n + b"<worksheet/>",
    "instructions and white space": lambda n: b"<?a b?> \r\n" * n + b"<worksheet/>",
    "comments opened and never closed": lambda n: b"<!-- <!--" * n,
    "a document type of brackets": lambda n: b"<!DOCTYPE x [" + b"[>" * n + b"<worksheet/>",
}


@pytest.mark.parametrize("shape", sorted(_PROLOG_SHAPES))
def test_the_prolog_is_passed_over_in_linear_time(shape: str) -> None:
    assert_linear(lambda data: _xlsx.root_element(data, _xlsx._ROOT), _PROLOG_SHAPES[shape],
                   20_000)


# -- rich text runs ---------------------------------------------------------------------------


def _rich(body: bytes) -> None:
    _xlsx._rich_text(body, b"")


_RUN_SHAPES: dict[str, Callable[[int], bytes]] = {
    "runs never closed": lambda n: b"<r><t>abc" * n,
    "phonetic runs never closed": lambda n: b'<t>a</t><rPh sb="0">' * n,
    "run openings without their >": lambda n: b"<t>a</t>" + b"<t a" * n,
    "phonetic openings without their >": lambda n: b"<t>a</t>" + b"<rPh " * n,
}


@pytest.mark.parametrize("shape", sorted(_RUN_SHAPES))
def test_rich_text_runs_scan_in_linear_time(shape: str) -> None:
    assert_linear(_rich, _RUN_SHAPES[shape], 20_000)


# -- worksheets -------------------------------------------------------------------------------

_EMPTY_SST = _xlsx._SharedStrings([], b"")


def _worksheet(cells: bytes) -> bytes:
    return (b"<worksheet " + _NS + b'><sheetData><row r="1">' + cells +
            b"</row></sheetData></worksheet>")


def _scan(data: bytes) -> None:
    _xlsx.scan_sheet(data, _EMPTY_SST, None, path=Path("hostile.xlsx"), sheet="S")


_SHEET_SHAPES: dict[str, Callable[[int], bytes]] = {
    "many values in one cell": lambda n: _worksheet(b'<c r="A1">' + b"<v>1</v>" * n + b"</c>"),
    "many formulas and values in one cell": lambda n: _worksheet(
        b'<c r="A1">' + b"<f>A2</f><v>1</v>" * n + b"</c>"),
    "many inline strings in one cell": lambda n: _worksheet(
        b'<c r="A1" t="inlineStr">' + b"<is><t>x</t></is>" * n + b"</c>"),
    "stray value ends after one cell": lambda n: _worksheet(
        b'<c r="A1"><v>1</v></c>' + b"</v>" * n),
    "one inline string of unclosed runs": lambda n: _worksheet(
        b'<c r="A1" t="inlineStr"><is>' + b"<t>x" * n + b"</is></c>"),
}


@pytest.mark.parametrize("shape", sorted(_SHEET_SHAPES))
def test_worksheets_scan_in_linear_time(shape: str) -> None:
    assert_linear(_scan, _SHEET_SHAPES[shape], 10_000)


# -- the head of a list sheet ----------------------------------------------------------------


def _with_head(before_rows: bytes) -> bytes:
    """The demo workbook's bytes with ``before_rows`` ahead of its Declaration's rows."""
    part = _xlsx.open_workbook(DEMO).sheets[_layout_sheet_index("Declaration")].part
    out = io.BytesIO()
    with zipfile.ZipFile(DEMO) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                data = data.replace(b"<sheetData>", b"<sheetData>" + before_rows, 1)
            dst.writestr(info.filename, data)
    return out.getvalue()


def _top(data: bytes) -> None:
    _xlsx.open_workbook(io.BytesIO(data)).top_cells("Declaration", 12, first=5)


_HEAD_SHAPES: dict[str, Callable[[int], bytes]] = {
    # each opening runs on to the same end: a search that starts again at every one of
    # them and looks to that end for a number is quadratic
    "row openings never closed": lambda n: b"<row " * n + b"/>",
    "row openings without a number": lambda n: b'<row spans="1:2">' * n + b"</row>" * n,
    "one opening tag over many pieces": lambda n: b"<row " + b"a" * (40 * n) + b"/>",
}


@pytest.mark.parametrize("shape", sorted(_HEAD_SHAPES))
def test_the_head_of_a_sheet_is_found_in_linear_time(shape: str) -> None:
    assert_linear(_top, lambda n: _with_head(_HEAD_SHAPES[shape](n)), 10_000)


@pytest.mark.parametrize("offset", range(-12, 13, 3))
def test_a_row_opening_cut_by_the_end_of_a_piece_is_still_found(
        tmp_path: Path, offset: int) -> None:
    # the head is inflated in pieces: a row's opening tag straddling two of them must
    # neither hide the row nor end the head early
    part = _xlsx.open_workbook(DEMO).sheets[_layout_sheet_index("Declaration")].part
    with zipfile.ZipFile(DEMO) as z:
        lead = z.read(part).index(b"<sheetData>") + len(b"<sheetData>")
    before = b'<row r="3"><c r="Z3" t="inlineStr"><is><t>'
    after = b"</t></is></c></row>"
    pad = _xlsx._HEAD_CHUNK + offset - lead - len(before) - len(after)
    body = [before + b"x" * pad + after,  # row 4's opening tag starts at the offset
            b'<row r="4" spans="1:9"><c r="B4" t="inlineStr"><is><t>early</t></is></c></row>',
            b'<row r="13"><c r="B13" t="inlineStr"><is><t>late</t></is></c></row>']
    path = _with_sheet_data(tmp_path / "cut.xlsx", "Declaration", body)
    with zipfile.ZipFile(path) as z:
        assert z.read(part).index(b'<row r="4"') == _xlsx._HEAD_CHUNK + offset
    top = _xlsx.open_workbook(path).top_cells("Declaration", 12, first=4)
    assert {k: c.value for k, c in top.items()} == {(4, "B"): "early"}
    assert _xlsx.open_workbook(path).top_cells("Declaration", 13, first=4)[(13, "B")].value \
        == "late"


# -- text made safe: surrogates ---------------------------------------------------------------

DEMO = FIXTURES / "demo" / "cmrt-6.5-product-scope.xlsx"


def _layout() -> Layout:
    return detect(_xlsx.open_workbook(DEMO)).layout


def _with_raw_text(tmp_path: Path, edits: dict[str, str], raw: dict[str, bytes]) -> Path:
    """The demo workbook with ``edits`` made, then each marker text of ``raw`` replaced in the
    stored XML by raw (escaped) bytes the writer would never produce."""
    filled = _xlsx.patch_cells(DEMO, dict(edits), tmp_path / "filled.xlsx")
    out = tmp_path / "raw.xlsx"
    with zipfile.ZipFile(filled) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            for marker, replacement in raw.items():
                data = data.replace(marker.encode(), replacement)
            dst.writestr(info.filename, data)
    return out


def test_an_escaped_surrogate_pair_reads_as_its_character(tmp_path: Path) -> None:
    cell = _layout().company_cells["name"]
    path = _with_raw_text(tmp_path, {f"Declaration!{cell}": "MARKER"},
                          {"MARKER": b"Smile _xD83D__xDE00_ Ltd"})
    decl = read_template(path)
    assert decl.company.name.value == "Smile \U0001f600 Ltd"
    assert decl.notes == ()


def test_a_lone_surrogate_becomes_the_replacement_character_and_is_reported(
        tmp_path: Path) -> None:
    layout = _layout()
    name = layout.company_cells["name"]
    comment = f"{layout.smelter_list.columns['comments']}{layout.smelter_list.first_row}"
    path = _with_raw_text(tmp_path, {f"Declaration!{name}": "MARKER1",
                                     f"Smelter List!{comment}": "MARKER2"},
                          {"MARKER1": b"Half _xD800_ pair", "MARKER2": b"_xDFFF__xD800_"})
    decl = read_template(path)
    assert decl.company.name.value == "Half \ufffd pair"
    assert decl.smelters[0].comments.value == "\ufffd\ufffd"
    decl.model_dump_json().encode("utf-8")  # every output can carry it now
    assert [(n.code.value, n.provenance.sheet, n.provenance.cell) for n in decl.notes] == [
        ("text-replaced", "Declaration", name), ("text-replaced", "Smelter List", comment)]
    found = validate(decl, select=["text-replaced"]).flatten(["code", "file", "sheet", "cell"])
    assert found == [("text-replaced", str(path), "Declaration", name),
                     ("text-replaced", str(path), "Smelter List", comment)]


_SURROGATE_SST = _xlsx._SharedStrings.parse(
    b"<sst " + _NS + b'><si><t>a_xD800_b</t></si><si><r><t xml:space="preserve">'
    b"_xD83D_</t></r><r><t>_xDE00_</t></r></si><si><t>&#xD800;</t></si></sst>")


@pytest.mark.parametrize("fast", [True, False], ids=["fast scanner", "lxml"])
def test_both_scanners_decode_surrogates_in_every_kind_of_string(fast: bool) -> None:
    data = _worksheet(
        b'<c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        b'<c r="C1" t="inlineStr"><is><t>x_xDBFF_</t></is></c>'
        b'<c r="D1" t="inlineStr"><is><t>_xD83D__xDE00_</t></is></c>'
        b'<c r="E1" t="str"><f>A1</f><v>_xDC00_</v></c>')
    scan = _xlsx.scan_sheet if fast else _xlsx._scan_lxml
    cells = scan(data, _SURROGATE_SST, None, path=Path("t.xlsx"), sheet="S")
    got = {c: (cells[(1, c)].value, cells[(1, c)].repair is not None) for c in "ABCDE"}
    # a pair split across two rich-text runs is one character once the runs are joined
    assert got == {"A": ("a\ufffdb", True), "B": ("\U0001f600", False),
                   "C": ("x\ufffd", True), "D": ("\U0001f600", False), "E": ("\ufffd", True)}


def test_a_character_reference_to_a_surrogate_is_reported_as_replaced() -> None:
    assert _SURROGATE_SST.entry(2) == ("\ufffd", _xlsx.TextRepair(1, False, True))


# -- text made safe: the cap ------------------------------------------------------------------


def test_overlong_text_is_cut_at_the_cap_and_reported(tmp_path: Path) -> None:
    layout = _layout()
    name = layout.company_cells["name"]
    comment = f"{layout.smelter_list.columns['comments']}{layout.smelter_list.first_row + 1}"
    huge = 1_000_000
    path = _xlsx.patch_cells(DEMO, {f"Declaration!{name}": "N" * huge,
                                    f"Smelter List!{comment}": "c" * (MAX_TEXT_CHARS + 1)},
                             tmp_path / "long.xlsx")
    decl = read_template(path)
    assert len(decl.company.name.value or "") == MAX_TEXT_CHARS
    assert len(decl.smelters[1].comments.value or "") == MAX_TEXT_CHARS
    assert [(n.code.value, n.provenance.cell, n.found, n.kept) for n in decl.notes] == [
        ("text-truncated", name, huge, MAX_TEXT_CHARS),
        ("text-truncated", comment, MAX_TEXT_CHARS + 1, MAX_TEXT_CHARS)]
    assert len(decl.model_dump_json()) < huge
    report = validate(decl, select=["text-truncated"])
    assert report.flatten(["code", "severity", "sheet", "cell"]) == [
        ("text-truncated", Severity.WARNING, "Declaration", name),
        ("text-truncated", Severity.WARNING, "Smelter List", comment)]
    assert "1,000,000 characters" in report.findings[0].message


def test_text_at_the_cap_is_kept_whole_and_not_reported(tmp_path: Path) -> None:
    name = _layout().company_cells["name"]
    path = _xlsx.patch_cells(DEMO, {f"Declaration!{name}": "N" * MAX_TEXT_CHARS},
                             tmp_path / "long.xlsx")
    decl = read_template(path)
    assert decl.company.name.value == "N" * MAX_TEXT_CHARS and decl.notes == ()


# -- list rows: the cap and the cost of each row ----------------------------------------------


def _long_list(tmp_path: Path, rows: int, *, sheet: str = "Smelter List",
               footer: bool = False) -> Path:
    """The demo workbook with ``rows`` filled rows in a list sheet, as sheet XML."""
    layout = _layout()
    spec = layout.smelter_list if sheet == "Smelter List" else layout.product_list
    assert spec is not None
    cols = spec.columns
    first = cols["name_input"] if "name_input" in cols else cols["name"]
    body = [b'<row r="1"><c r="A1" t="inlineStr"><is><t>heading</t></is></c></row>']
    for i in range(rows):
        r = spec.first_row + i
        body.append(f'<row r="{r}"><c r="{first}{r}" t="inlineStr"><is><t>Name {i}</t></is>'
                    f'</c><c r="Z{r}"><v>1</v></c></row>'.encode())
    if footer:
        r = spec.first_row + rows
        body.append(f'<row r="{r}"><c r="{first}{r}" t="inlineStr"><is><t>'
                    f'{spec.footer_text} RMI</t></is></c></row>'.encode())
    return _with_sheet_data(tmp_path / f"{rows}-rows.xlsx", sheet, body)


def _layout_sheet_index(name: str) -> int:
    return _xlsx.open_workbook(DEMO).sheet_names.index(name)


@pytest.mark.parametrize("sheet", ["Smelter List", "Product List"])
def test_list_rows_past_the_cap_are_not_read_and_the_first_one_is_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sheet: str) -> None:
    monkeypatch.setattr(reader, "MAX_LIST_ROWS", 40)
    path = _long_list(tmp_path, 45, sheet=sheet, footer=sheet == "Product List")
    decl = read_template(path)
    layout = _layout()
    spec = layout.smelter_list if sheet == "Smelter List" else layout.product_list
    assert spec is not None
    rows = [s.row for s in decl.smelters] if sheet == "Smelter List" else [
        p.row for p in decl.products]
    assert rows == list(range(spec.first_row, spec.first_row + 40))
    first_col = min(spec.columns.values())
    unread = f"{first_col}{spec.first_row + 40}"
    assert [(n.code.value, n.provenance.sheet, n.provenance.cell, n.kept)
            for n in decl.notes] == [("rows-capped", sheet, unread, 40)]
    report = validate(decl, select=["rows-capped"])
    assert report.flatten(["code", "severity", "sheet", "cell"]) == [
        ("rows-capped", Severity.ERROR, sheet, unread)]
    assert f"row {spec.first_row + 40} on" in report.findings[0].message


def test_a_list_at_the_cap_is_read_whole(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_LIST_ROWS", 40)
    decl = read_template(_long_list(tmp_path, 40))
    assert len(decl.smelters) == 40 and decl.notes == ()


def test_the_scan_of_a_list_sheet_stops_after_the_rows_it_needs(tmp_path: Path) -> None:
    wb = _xlsx.open_workbook(_long_list(tmp_path, 500))
    cells = wb.cells("Smelter List", max_rows=30)
    assert {row for row, _col in cells} == {1, *range(5, 34)}  # the heading and 29 list rows


def _formula_rows(tmp_path: Path, rows: int) -> Path:
    """The demo CMRT with ``rows`` Smelter List rows as a supplier's Excel leaves them: metal
    and look-up choice typed, the seven look-up columns formulas with their cached results."""
    body = [b'<row r="1"><c r="A1" t="inlineStr"><is><t>heading</t></is></c></row>']
    for i in range(rows):
        r = 5 + i
        cells = [f'<c r="B{r}" t="inlineStr"><is><t>Tin</t></is></c>',
                 f'<c r="C{r}" t="inlineStr"><is><t>Smelter {i}</t></is></c>']
        cells += [f'<c r="{col}{r}" t="str"><f>IFERROR(VLOOKUP(C{r},x,2,0),"")</f>'
                  f'<v>{col} text {i}</v></c>' for col in "DEFGHIJ"]
        cells.append(f'<c r="P{r}" t="inlineStr"><is><t>No</t></is></c>')
        body.append(f'<row r="{r}">{"".join(cells)}</row>'.encode())
    return _with_sheet_data(tmp_path / f"{rows}-formula-rows.xlsx", "Smelter List", body)


def _with_sheet_data(out: Path, sheet: str, body: list[bytes],
                     edits: dict[str, Callable[[bytes], bytes]] | None = None,
                     added: dict[str, bytes] | None = None) -> Path:
    """The demo workbook with ``body`` as the rows of ``sheet``, other parts changed by
    ``edits`` and the parts ``added``."""
    part = _xlsx.open_workbook(DEMO).sheets[_layout_sheet_index(sheet)].part
    with zipfile.ZipFile(DEMO) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                head, _, rest = data.partition(b"<sheetData>")
                _, _, tail = rest.partition(b"</sheetData>")
                data = head + b"<sheetData>" + b"".join(body) + b"</sheetData>" + tail
            elif edits and info.filename in edits:
                data = edits[info.filename](data)
            dst.writestr(info.filename, data)
        for name, data in (added or {}).items():
            dst.writestr(name, data)
    return out


def _own_text_bytes(decl: Declaration) -> int:
    """The memory of the distinct texts the rows hold (what the file itself put there)."""
    seen: dict[int, int] = {}
    for s in decl.smelters:
        for v in s.values():
            for part in (v.value, v.raw, v.cached):
                if isinstance(part, str):
                    seen[id(part)] = sys.getsizeof(part)
    return sum(seen.values())


def _memory(path: Path) -> tuple[Declaration, int, int]:
    """The declaration read from ``path``, the memory it holds and the peak while reading,
    both beyond the rows' own texts."""
    read_template(path)  # warm caches (look-up tables, compiled patterns)
    tracemalloc.start()
    try:
        decl = read_template(path)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    text = _own_text_bytes(decl)
    assert text > len(decl.smelters) * 50  # the rows' own texts were counted
    return decl, held - text, peak - text


@pytest.mark.parametrize("make", [_long_list, _formula_rows], ids=["typed", "formulas"])
def test_each_list_row_costs_a_bounded_amount_of_memory(
        tmp_path: Path, make: Callable[[Path, int], Path]) -> None:
    """What one more Smelter List row (17 values) costs beyond its own text: well under 1 KB
    held by the declaration, and a few KB at the peak of reading the sheet."""
    small, held_small, peak_small = _memory(make(tmp_path, 1_000))
    large, held_large, peak_large = _memory(make(tmp_path, 3_000))
    assert (len(small.smelters), len(large.smelters)) == (1_000, 3_000)
    assert (held_large - held_small) / 2_000 < 512
    assert (peak_large - peak_small) / 2_000 < 4_096
    if make is _formula_rows:  # the values are there, with their cells
        row = large.smelters[2_999]
        assert (row.metal.value, row.lookup_name.value) == ("Tin", "Smelter 2999")
        assert (row.city.cached, row.city.formula, row.city.provenance.cell) == (
            "I text 2999", True, "I3004")


def _one_text_everywhere(tmp_path: Path, rows: int) -> Path:
    """The demo workbook whose Smelter List has ``rows`` rows with every column read holding
    the same shared string: 4,000 characters (the cap) after a space, so each is trimmed."""
    layout = _layout()
    cols = sorted(set(layout.smelter_list.columns.values()))
    first = layout.smelter_list.first_row
    body = b"".join(f'<row r="{r}">'.encode()
                    + b"".join(f'<c r="{c}{r}" t="s"><v>0</v></c>'.encode() for c in cols)
                    + b"</row>" for r in range(first, first + rows))
    sst = (b"<sst " + _NS + b'><si><t xml:space="preserve"> ' + b"x" * (MAX_TEXT_CHARS - 1)
           + b"</t></si></sst>")
    rel = (b'<Relationship Id="rIdS" Target="sharedStrings.xml" Type="http://schemas.'
           b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>')
    override = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    return _with_sheet_data(
        tmp_path / f"shared-{rows}.xlsx", "Smelter List", [body],
        edits={"xl/_rels/workbook.xml.rels": lambda d: d.replace(b"</Relationships>",
                                                                 rel + b"</Relationships>"),
               "[Content_Types].xml": lambda d: d.replace(b"</Types>", override + b"</Types>")},
        added={"xl/sharedStrings.xml": sst})


def test_one_text_in_every_cell_is_held_once_however_many_cells(tmp_path: Path) -> None:
    # trimming made a copy of the text for each cell: a sheet of one 4,000 character string
    # in every cell held thousands of copies (gigabytes in a file of a few hundred KB)
    decl = read_template(_one_text_everywhere(tmp_path, 400))
    texts = {id(v.value) for s in decl.smelters for v in s.values()
             if isinstance(v.value, str) and len(v.value) > 1000}
    assert len(decl.smelters) == 400 and len(texts) == 1
    assert decl.smelters[399].name_input.value == "x" * (MAX_TEXT_CHARS - 1)


def test_a_finding_quotes_the_start_of_a_long_text_only(tmp_path: Path) -> None:
    # each finding holds its message: one quoting the whole of a 4,000 character text, in
    # every cell of thousands of rows, held gigabytes
    report = validate(read_template(_one_text_everywhere(tmp_path, 50)))
    quoting = [f for f in report.findings if "xxxxxxxxxx" in f.message]
    assert {f.code for f in quoting} >= {"value-not-in-list", "duplicate-smelter-row"}
    assert all(len(f.message) < 1_200 for f in quoting)  # (a few texts at most)
    assert all(re.search(r"\u2026 \(3,80[01] characters more\)", f.message) for f in quoting)


@pytest.mark.parametrize(("part", "closing"), [
    ("xl/workbook.xml", b"</workbook>"), ("_rels/.rels", b"</Relationships>"),
    ("xl/_rels/workbook.xml.rels", b"</Relationships>")])
def test_a_part_parsed_whole_is_refused_past_its_own_limit(part: str, closing: bytes) -> None:
    # a tree costs some thirty times its part: 64 MB of empty elements took 2 GB
    out = io.BytesIO()
    with zipfile.ZipFile(DEMO) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                data = data.replace(closing, b"<a/>" * (_xlsx._MAX_TREE_BYTES // 4) + closing)
            dst.writestr(info.filename, data)
    with pytest.raises(MineralComplianceError) as err:
        read_template(io.BytesIO(out.getvalue()))
    assert f"the workbook part {part} is" in str(err.value)
    assert "over the 4,194,304 byte limit" in str(err.value)


_LXML_PEAK = """
import resource, sys
from pathlib import Path
from mineral_compliance.templates import _xlsx
ns = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
data = (b"<worksheet " + ns + b'><sheetData><row r="1"><c t="n"><v>1</v></c></row>'
        + sys.argv[1].encode() * int(sys.argv[2])
        + b'<row r="2"><c r="A2"><v>2</v></c></row></sheetData></worksheet>')
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cells = _xlsx._scan_lxml(data, _xlsx._SharedStrings([], b""), None, path=Path("x"), sheet="S")
assert sorted(cells) == [(1, "A"), (2, "A")], sorted(cells)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


@pytest.mark.parametrize("element", ["<x/>", "<row/>", "<y><z/></y>"])
def test_a_sheet_read_by_lxml_never_stands_whole_as_a_tree(element: str) -> None:
    # a sheet the fast scanner leaves to lxml (here: a cell without a reference) is read
    # element by element; elements kept attached once read took some thirty times the part
    grown = int(subprocess.run([sys.executable, "-c", _LXML_PEAK, element, "1000000"],
                               check=True, capture_output=True, text=True).stdout)
    assert grown < 40_000  # KB: the part itself is 4 to 11 MB, its tree was 130 to 300 MB


_STRINGS_PEAK = """
import resource, sys
from mineral_compliance.templates import _xlsx
ns = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
data = b"<sst " + ns + b"><!-- a comment -->" + b"<si/>" * int(sys.argv[1]) + b"</sst>"
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
table = _xlsx._SharedStrings.parse(_xlsx._strings_without_asides(data))
assert len(table) == int(sys.argv[1])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_shared_strings_with_a_comment_never_stand_whole_as_a_tree() -> None:
    # a table holding a comment goes through lxml to drop it: parsed whole, a million empty
    # items (5 MB) took 128 MB, and 64 MB of them 1.7 GB
    grown = int(subprocess.run([sys.executable, "-c", _STRINGS_PEAK, "1000000"],
                               check=True, capture_output=True, text=True).stdout)
    assert grown < 80_000  # KB: what the split table itself holds is most of it


@pytest.mark.parametrize("table", [
    b'<x:sst xmlns:x="urn:m"><!-- c --><x:si><x:t>a</x:t></x:si><x:si/>'
    b'<y xmlns="urn:o"><t> xmlns:x="urn:m"</t></y><x:si><x:r><x:t>b</x:t></x:r></x:si></x:sst>',
    b'<sst xmlns="urn:m"><?p?><si><t><![CDATA[a<b]]></t></si><si a="1"/><si><t>c</t>'
    b'<rPh><t>d</t></rPh></si></sst>'], ids=["prefixed", "default namespace"])
def test_shared_strings_rewritten_item_by_item_read_as_the_whole_tree_did(table: bytes) -> None:
    parser = etree.XMLParser(remove_comments=True, remove_pis=True, strip_cdata=True)
    whole = _xlsx._SharedStrings.parse(etree.tostring(etree.fromstring(table, parser)))
    items = _xlsx._SharedStrings.parse(_xlsx._strings_without_asides(table))
    assert [items.get(i) for i in range(len(items))] == [
        whole.get(i) for i in range(len(whole))]
    assert len(items) == 3


# -- what read_template accepts ---------------------------------------------------------------


@pytest.mark.parametrize("source", [["a.xlsx"], 42, None, b"PK\x03\x04", io.StringIO("x")],
                         ids=["list", "int", "None", "bytes", "text stream"])
def test_read_template_refuses_what_is_neither_a_path_nor_a_binary_stream(
        source: object) -> None:
    with pytest.raises(TypeError):
        read_template(source)  # type: ignore[arg-type]


def test_a_file_opened_in_text_mode_is_refused_with_a_type_error() -> None:
    with DEMO.open(encoding="latin-1") as text, pytest.raises(TypeError, match="binary"):
        read_template(text)  # type: ignore[arg-type]


def test_a_stream_whose_read_returns_text_is_refused() -> None:
    class Texty:
        def read(self, size: int = -1) -> str:
            return "PK"

    with pytest.raises(TypeError, match="bytes"):
        read_template(Texty())  # type: ignore[arg-type]


def test_a_binary_stream_is_read_through_the_cap() -> None:
    asked: list[int] = []

    class Endless(io.RawIOBase):
        name = "endless.xlsx"

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            asked.append(size)
            return b"\0" * 16

    with pytest.raises(NotAWorkbookError, match=r"endless\.xlsx"):
        read_template(Endless())  # type: ignore[arg-type]
    assert asked == [_xlsx._MAX_FILE_BYTES + 1]


def test_a_stream_longer_than_the_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_xlsx, "_MAX_FILE_BYTES", 1_000)
    with pytest.raises(NotAWorkbookError, match="more than 1,000 bytes"):
        read_template(io.BytesIO(DEMO.read_bytes()))


def test_a_path_like_object_is_read() -> None:
    class Where:
        def __fspath__(self) -> str:
            return str(DEMO)

    assert read_template(Where()).company.name.value == read_template(DEMO).company.name.value


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "supplier.xlsx"
    os.mkfifo(fifo)
    done = threading.Event()

    def unblock() -> None:
        # Should the reader open the pipe and wait for a writer, give it one that writes
        # nothing, so a regression fails the assertion below instead of hanging the suite.
        while not done.is_set():
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                done.wait(0.01)

    helper = threading.Thread(target=unblock, daemon=True)
    helper.start()
    try:
        with pytest.raises(NotAWorkbookError, match="FIFO") as caught:
            read_template(fifo)
        assert str(fifo) in str(caught.value)
    finally:
        done.set()
        helper.join()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
def test_a_device_is_refused_by_name() -> None:
    with pytest.raises(NotAWorkbookError, match="device") as caught:
        read_template("/dev/zero")
    assert "/dev/zero" in str(caught.value)


@pytest.mark.parametrize("stored", ["nan", "NaN", "inf", "-inf", "1e999", "1_000", "0x10",
                                    "\u0661\u0662"])
def test_a_numeric_cell_python_would_misread_is_kept_as_text(tmp_path: Path,
                                                             stored: str) -> None:
    """SpreadsheetML numbers have no NaN, infinity, underscores or other digits; float()
    takes them all. Such a cell is kept as typed, so a date there is reported, not crashed
    on or read as another day."""
    path = _with_raw_text(tmp_path, {"Declaration!D22": "MARKER"},
                          {'t="inlineStr"><is><t>MARKER</t></is>':
                           f"><v>{stored}</v>".encode()})
    decl = read_template(path)
    date = decl.company.effective_date
    assert date.value is None and date.raw == stored and date.status.value == "unrecognised"
    codes = [(f.code, f.cell) for f in validate(decl).findings if f.cell == "D22"]
    assert ("effective-date-invalid", "D22") in codes


def test_date_serials_follow_both_excel_date_systems() -> None:
    from mineral_compliance.templates._normalise import excel_serial_to_date as day

    assert day(1) == dt.date(1900, 1, 1) and day(59) == dt.date(1900, 2, 28)
    assert day(60) is None  # Excel's 29 February 1900, a day that never was
    assert day(61) == dt.date(1900, 3, 1) and day(45747) == dt.date(2025, 3, 31)
    assert day(2958465) == dt.date(9999, 12, 31) and day(2958466) is None
    assert day(0, date1904=True) == dt.date(1904, 1, 1)
    assert day(45747, date1904=True) == dt.date(2029, 4, 1)
    assert day(2957003, date1904=True) == dt.date(9999, 12, 31)
    assert day(2957004, date1904=True) is None
    for nameless in (float("nan"), float("inf"), -1.0, 1e300):
        assert day(nameless) is None and day(nameless, date1904=True) is None


def test_a_padded_sheet_is_refused_by_name_before_it_fills_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_xlsx, "MAX_SHEET_CELLS", 1_000)
    rows = b"".join(b'<row r="%d"><c r="D%d"><v>1</v></c></row>' % (i, i)
                    for i in range(100, 1_200))
    part = next(s.part for s in _xlsx.open_workbook(DEMO).sheets if s.name == "Declaration")
    padded = tmp_path / "padded.xlsx"
    with zipfile.ZipFile(DEMO) as src, zipfile.ZipFile(padded, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, b"<worksheet " + _NS + b"><sheetData>" + rows
                         + b"</sheetData></worksheet>" if info.filename == part
                         else src.read(info))
    with pytest.raises(MineralComplianceError, match=r"\[Declaration\].*more than 1,000 cells"):
        read_template(padded)


def _cells_both_ways(cells: bytes, shared: _xlsx._SharedStrings | None = None
                     ) -> tuple[dict[str, str | float | bool], dict[str, str | float | bool]]:
    """What the fast scanner and the lxml parser each read from one row of cells."""
    data = _worksheet(cells)
    table = shared or _EMPTY_SST
    fast = _xlsx._scan_fast(data, b"", table, None)
    slow = _xlsx._scan_lxml(data, table, None, path=Path("x.xlsx"), sheet="S")
    plain = {c.ref: c.value for c in slow.values()}
    return ({c.ref: c.value for c in fast.values()} if fast is not None else plain), plain


@pytest.mark.parametrize("head", [b'r="A1"\tt="s"', b'r="A1"\nt="s"', b'r="A1" t = "s"',
                                  b"r='A1' t='s'", b'r="A1"  t="s"'])
def test_cell_attributes_spaced_or_quoted_otherwise_read_the_same(head: bytes) -> None:
    shared = _xlsx._SharedStrings.parse(b"<sst " + _NS + b"><si><t>zero</t></si>"
                                        b"<si><t>one</t></si></sst>")
    fast, slow = _cells_both_ways(b"<c " + head + b"><v>1</v></c>", shared)
    assert fast == slow == {"A1": "one"}  # the shared string, never the number 1.0


def test_references_decode_as_xml_does_not_as_html() -> None:
    fast, slow = _cells_both_ways(
        b'<c r="A1" t="inlineStr"><is><t>&#128; &amp;amp; &#x41;&#66;</t></is></c>')
    assert fast["A1"] == slow["A1"] == "\x80 &amp; AB"  # U+0080, not HTML's euro sign
    assert _xlsx._text_of("&euro; &copy")[0] == "&euro; &copy"  # no HTML entities
    # a reference of 3,000 digits is left as typed, costing only its bytes (html.unescape
    # converted it to an integer; past 4,300 digits int() raises); an XML parser refuses
    # the sheet, as lxml does
    long = _worksheet(b'<c r="B1" t="inlineStr"><is><t>&#' + b"9" * 3000 + b";</t></is></c>")
    scanned = _xlsx._scan_fast(long, b"", _EMPTY_SST, None)
    assert scanned is not None and scanned[(1, "B")].value == "&#" + "9" * 3000 + ";"


def test_a_reference_to_nul_is_replaced_and_noted() -> None:
    text, repair = _xlsx._text_of("a&#0;b")
    assert text == "a\ufffdb" and repair is not None and repair.replaced


def test_comments_inside_cells_are_no_content() -> None:
    _, slow = _cells_both_ways(b'<c r="A1" t="inlineStr"><!-- note --><is><!-- x -->'
                               b"<t>kept</t><?pi here?></is></c>")
    assert slow == {"A1": "kept"}


def test_invalid_utf8_in_a_shared_string_is_a_typed_error_not_a_blank(tmp_path: Path) -> None:
    shared = _xlsx._SharedStrings.parse(b"<sst " + _NS + b"><si><t>Acme \xff Ltd</t></si></sst>")
    with pytest.raises(UnicodeDecodeError):
        _xlsx._scan_fast(_worksheet(b'<c r="A1" t="s"><v>0</v></c>'), b"", shared, None)


def test_cells_of_rows_stored_out_of_order_do_not_use_up_the_row_cap(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tool may store cells out of row order; each row still counts once, so no row under
    the cap is dropped, and rows past it are noted."""
    monkeypatch.setattr(reader, "MAX_LIST_ROWS", 40)
    layout = _layout()
    spec = layout.smelter_list
    name = spec.columns["name_input"]
    country = spec.columns["country"]
    first = spec.first_row
    cells = []
    for i in range(0, 30, 2):  # name of row r, name of row r+1, then both countries
        a, b = first + i, first + i + 1
        cells += [(name, a, f"Works {i}"), (name, b, f"Works {i + 1}"),
                  (country, a, "BOLIVIA"), (country, b, "BOLIVIA")]
    body = b'<row r="1">' + b"".join(
        f'<c r="{c}{r}" t="inlineStr"><is><t>{t}</t></is></c>'.encode() for c, r, t in cells
    ) + b"</row>"
    part = next(s.part for s in _xlsx.open_workbook(DEMO).sheets if s.name == spec.sheet)
    out = tmp_path / "interleaved.xlsx"
    with zipfile.ZipFile(DEMO) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                head, _, rest = data.partition(b"<sheetData>")
                data = head + b"<sheetData>" + body + b"</sheetData>" + \
                    rest.partition(b"</sheetData>")[2]
            dst.writestr(info.filename, data)
    decl = read_template(out)
    assert [s.row for s in decl.smelters] == list(range(first, first + 30))
    assert all(s.country.value for s in decl.smelters)
    assert decl.notes == ()
