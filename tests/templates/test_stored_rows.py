"""A Look-up known by its stored rows: a later sheet in nearly the same bytes is found to have
the same cells by comparing its rows' bytes, and never when anything the reader keeps differs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mineral_compliance import read_template
from mineral_compliance.templates import _instructions, _xlsx, reader
from mineral_compliance.templates._xlsx import patch_cells
from mineral_compliance.templates.detect import detect

from ..conftest import needs_reference, reference_files

_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_ITEMS = (b"Gold", b"Tin", b"Tantalum", b"Tungsten", b"unused")
WANTED = frozenset({"A", "B", "C"})


def _sst(items: tuple[bytes, ...] = _ITEMS) -> _xlsx._SharedStrings:
    return _xlsx._SharedStrings.parse(
        b"<sst " + _NS + b">" + b"".join(b"<si><t>" + i + b"</t></si>" for i in items)
        + b"</sst>")


def _row(n: int, style: int = 1, attrs: bytes = b"") -> bytes:
    """A Look-up-like row: a shared string, a formula's text, a number, and a column not
    asked for."""
    return (b'<row r="%d"%s><c r="A%d" s="%d" t="s"><v>%d</v></c>'
            b'<c r="B%d" s="%d" t="str"><f>A%d</f><v>name %d</v></c>'
            b'<c r="C%d" s="%d"><v>%d</v></c><c r="D%d" s="2"><v>9</v></c>'
            b'<c r="E%d" s="%d"/></row>'
            % (n, attrs, n, style, n % 4, n, style, n, n, n, style, n * 7, n, n, style))


def _sheet(rows: list[bytes], head: bytes = b"", tail: bytes = b"") -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet ' + _NS
            + b">" + head + b"<sheetData>" + b"".join(rows) + b"</sheetData>" + tail
            + b"</worksheet>")


ROWS = [_row(n) for n in range(1, 41)]
BASE = _sheet(ROWS)
SST = _sst()


def _known(data: bytes = BASE, sst: _xlsx._SharedStrings = SST) -> _xlsx.StoredRows:
    known = _xlsx.StoredRows.build(data, sst, WANTED)
    assert known is not None and known.pieces
    return known


def _cells(data: bytes, sst: _xlsx._SharedStrings = SST) -> _xlsx.SheetCells:
    return _xlsx.scan_sheet(data, sst, WANTED, path=Path("t.xlsx"), sheet="Smelter Look-up")


def _swap(rows: list[bytes], at: int, row: bytes) -> list[bytes]:
    return [*rows[:at], row, *rows[at + 1:]]


def test_the_rows_are_kept_with_the_signature_they_make() -> None:
    known = _known()
    assert known.signature == _xlsx._signature(BASE, SST, WANTED)
    assert len(known.pieces) == len(ROWS) + 1  # the part's head, then one piece per row
    assert known.used == (0, 1, 2, 3) and known.items == tuple(SST.bodies[:4])


@pytest.mark.parametrize("variant", [
    _sheet(_swap(ROWS, 3, _row(4, style=7))),  # another style
    _sheet(_swap(ROWS, 10, _row(11, attrs=b' ht="51" customHeight="1"'))),  # a height
    _sheet(ROWS, head=b'<sheetViews><sheetView workbookViewId="0"/></sheetViews>'),
    _sheet([*ROWS[:-1], _row(40, style=3)], tail=b'<pageMargins left="0.7"/>'),
    _sheet(_swap(ROWS, 0, ROWS[0].replace(b'<c r="D1" s="2"><v>9</v></c>',
                                          b'<c r="D1" s="2"><v>12</v></c>'))),
], ids=["style", "height", "views", "last row and tail", "a column not asked for"])
def test_a_sheet_saved_again_with_the_same_cells_has_the_rows(variant: bytes) -> None:
    assert variant != BASE
    assert _known().matches(variant, SST)
    assert _xlsx._signature(variant, SST, WANTED) == _known().signature
    assert _cells(variant) == _cells(BASE)


def _cell_changed(old: bytes, new: bytes, at: int = 5) -> bytes:
    assert old in ROWS[at]
    return _sheet(_swap(ROWS, at, ROWS[at].replace(old, new)))


@pytest.mark.parametrize("variant", [
    _cell_changed(b'<v>2</v></c><c r="B6"', b'<v>3</v></c><c r="B6"'),  # another item
    _cell_changed(b"<v>42</v>", b"<v>43</v>"),  # another number
    _cell_changed(b'<c r="C6" s="1">', b'<c r="C6" s="1" t="str">'),  # another type
    _cell_changed(b'<c r="C6" s="1">', b'<c r="C6" s="1"><f>1</f>'),  # now a formula
    _cell_changed(b"<v>name 6</v>", b"<v>name 6 </v>"),  # another text
    _cell_changed(b'r="C6"', b'r="E6"'),  # another column
    _cell_changed(b'r="C6"', b'r="C7"'),  # another row
    _sheet(ROWS[:-1]),  # a row fewer
    _sheet([*ROWS, _row(41)]),  # a row more
    _sheet([*ROWS[:20], _row(99), *ROWS[20:]]),  # a row more in the middle
    _sheet(ROWS[1:] + ROWS[:1]),  # the same rows in another order
], ids=["item", "number", "type", "formula", "text", "column", "row", "fewer", "more",
        "inserted", "order"])
def test_what_changes_the_cells_is_never_taken_for_the_rows(variant: bytes) -> None:
    assert _xlsx._signature(variant, SST, WANTED) != _known().signature
    assert not _known().matches(variant, SST)


@pytest.mark.parametrize("variant", [
    _cell_changed(b"<v>42</v>", b"<v>4<!-- -->2</v>"),
    _cell_changed(b"<v>42</v>", b"<v><![CDATA[42]]></v>"),
    _cell_changed(b"<v>42</v>", b"<v>42</v><?x 1?>"),
    _cell_changed(b'<c r="C6" s="1"><v>42</v></c>',
                  b'<c r="C6" t="inlineStr"><is><t>42</t></is></c>'),
    _cell_changed(b"</row>", b"<v>5</v></row>"),  # a value outside any cell
    _cell_changed(b'<c r="C6" s="1"><v>42</v></c>', b'<c s="1" r="C6"><v>42</v></c>'),
    BASE.replace(b"<worksheet ", b"<x:worksheet xmlns:x='y' ").replace(
        b"</worksheet>", b"</x:worksheet>"),
], ids=["comment", "cdata", "instruction", "inline string", "stray value",
        "attributes in another order", "prefixed root"])
def test_markup_only_the_walk_reads_is_never_taken_for_the_rows(variant: bytes) -> None:
    """A row in a shape the one-match path does not read is not compared by its matches."""
    assert not _known().matches(variant, SST)


def test_other_strings_under_the_same_bytes_are_not_the_rows() -> None:
    """The sheet's bytes point into the shared strings: an item it uses that changed makes
    other cells, one it does not use changes nothing."""
    used_changed = _sst((b"Gold", b"Tin", b"HOSTILE", b"Tungsten", b"unused"))
    assert not _known().matches(BASE, used_changed)
    assert _cells(BASE, used_changed) != _cells(BASE)
    unused_changed = _sst((*_ITEMS[:4], b"other"))
    assert _known().matches(BASE, unused_changed)
    assert _cells(BASE, unused_changed) == _cells(BASE)
    assert not _known().matches(BASE, _sst(_ITEMS[:3]))  # the table now ends before item 3
    prefixed = _xlsx._SharedStrings.parse(
        b'<x:sst xmlns:x="' + _NS.split(b'"')[1] + b'">'
        + b"".join(b"<x:si><x:t>" + i + b"</x:t></x:si>" for i in _ITEMS) + b"</x:sst>")
    assert not _known().matches(BASE, prefixed)  # items cut otherwise


def test_the_same_items_cut_another_way_are_not_the_rows() -> None:
    """Items unclosed alike are the same bytes whether the table was split on its openings
    or walked tag by tag (one opening with an attribute makes it walked); the signature
    tells the two cuts apart, and so do the rows."""
    unclosed = b"".join(b"<si><t>" + i + b"</t>" for i in _ITEMS)
    split = _xlsx._SharedStrings.parse(b"<sst " + _NS + b">" + unclosed + b"</sst>")
    walked = _xlsx._SharedStrings.parse(b"<sst " + _NS + b">" + unclosed
                                        + b'<si x="1"><t>end</t></si></sst>')
    assert split.close is not None and walked.close is None
    assert split.bodies[:4] == walked.bodies[:4]
    known = _known(BASE, split)
    assert known.matches(BASE, split)
    assert _xlsx._signature(BASE, walked, WANTED) != known.signature
    assert not known.matches(BASE, walked)


def test_a_row_that_differs_is_compared_over_the_new_strings() -> None:
    """A differing row points into the new table: the same item under another index is the
    same cell, another item is not."""
    moved = _sst((*_ITEMS[:4], b"Tin", b"end"))  # item 4, unused before, is now "Tin" too
    tin_as_4 = _sheet(_swap(ROWS, 0, ROWS[0].replace(b'<v>1</v></c><c r="B1"',
                                                     b'<v>4</v></c><c r="B1"')))
    assert _known().matches(tin_as_4, moved)  # row 1's "Tin", now item 4
    assert _cells(tin_as_4, moved) == _cells(BASE)
    assert not _known().matches(tin_as_4, SST)  # where item 4 is "unused"
    tantalum_as_4 = _sheet(_swap(ROWS, 1, ROWS[1].replace(b"<v>2</v>", b"<v>4</v>")))
    assert not _known().matches(tantalum_as_4, moved)  # row 2's "Tantalum" became "Tin"
    assert _cells(tantalum_as_4, moved) != _cells(BASE)


def test_a_sheet_pointing_past_its_strings_is_kept_for_nothing() -> None:
    past = _cell_changed(b'<v>2</v></c><c r="B6"', b'<v>99</v></c><c r="B6"')
    known = _xlsx.StoredRows.build(past, SST, WANTED)
    assert known is not None and known.pieces == ()
    assert not known.matches(past, SST)
    assert not known.matches(past, _sst(_ITEMS * 30))


def test_no_signature_no_rows() -> None:
    assert _xlsx.StoredRows.build(_cell_changed(b"<v>42</v>", b"<v>4<!---->2</v>"), SST,
                                  WANTED) is None


def test_a_sheet_of_more_rows_than_pieces_keeps_the_rest_in_its_last(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_xlsx, "_MAX_ROW_PIECES", 8)
    known = _known()
    assert len(known.pieces) == 8
    assert known.matches(BASE, SST)
    restyled = _sheet(_swap(ROWS, 30, _row(31, style=9)))
    assert known.matches(restyled, SST)
    assert not known.matches(_cell_changed(b"<v>217</v>", b"<v>218</v>", at=30), SST)
    assert not known.matches(_sheet([*ROWS, _row(41)]), SST)


_EDITS = st.lists(st.tuples(st.integers(0, len(BASE)), st.integers(0, 8),
                            st.sampled_from([b"", b"0", b"7", b"12", b"<", b">", b"/", b'"',
                                             b"<row ", b"</v>", b"<v>", b"<!--", b" s=\"3\"",
                                             b"<c r=\"B2\">", b"</c>", b"<row r=\"9\">"])),
                  min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(_EDITS)
def test_rows_taken_as_known_always_have_the_cells(edits: list[tuple[int, int, bytes]]
                                                   ) -> None:
    """Whatever is cut or put into the sheet's bytes, when its rows are taken as the known
    ones the scanner reads the same cells from it."""
    data = BASE
    for at, cut, put in edits:
        at = min(at, len(data))
        data = data[:at] + put + data[at + cut:]
    if _known().matches(data, SST):
        assert _cells(data) == _cells(BASE)
        assert _xlsx._signature(data, SST, WANTED) == _known().signature


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(ROWS) - 1), st.integers(0, 999)), max_size=6))
def test_styles_changed_anywhere_keep_the_rows(styles: list[tuple[int, int]]) -> None:
    rows = list(ROWS)
    for at, style in styles:
        rows[at] = re.sub(rb' s="[0-9]+"', b' s="%d"' % style, rows[at], count=1)
    assert _known().matches(_sheet(rows), SST)


_CMRT_64 = reference_files("cmrt", "RMI_*CMRT_6.4*.xlsx")


@needs_reference
@pytest.mark.skipif(len(_CMRT_64) < 2, reason="needs two CMRT 6.4 files")
def test_real_files_of_a_release_are_found_by_their_rows(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every supplier's CMRT 6.4 among the reference files, read after another one, gets its
    Look-up from the other's rows (no cell matched again), and those are the rows parsing its
    own Look-up gives."""
    for first in _CMRT_64:
        for cache in (reader._TABLES, reader._BY_SIGNATURE, reader._BY_CONTENT,
                      reader._BY_ROWS):
            cache.clear()
        wb = _xlsx.open_workbook(first)
        spec = detect(wb).layout.lookup
        assert spec is not None
        reader._lookup_table(wb, spec)
        assert len(reader._BY_ROWS) == 1
        for other in _CMRT_64:
            if other == first:
                continue
            reader._TABLES.clear()
            wb = _xlsx.open_workbook(other)
            with monkeypatch.context() as m:
                m.setattr(_xlsx.Workbook, "stored_rows", _not_called)
                table = reader._lookup_table(wb, spec)
            assert table.rows == tuple(reader._lookup_rows(wb, spec)), (first.name, other.name)


def _not_called(*_args: object) -> None:
    raise AssertionError("the sheet's cells were matched again")


def _not_for(sheet: str) -> object:
    """:meth:`~_xlsx.Workbook.stored_rows`, refused for ``sheet``."""
    stored_rows = _xlsx.Workbook.stored_rows

    def refusing(wb: _xlsx.Workbook, name: str, columns: object) -> object:
        if name == sheet:
            _not_called()
        return stored_rows(wb, name, columns)  # type: ignore[arg-type]

    return refusing


@needs_reference
@pytest.mark.skipif(len(_CMRT_64) < 2, reason="needs two CMRT 6.4 files")
def test_real_files_of_a_release_find_their_instructions_by_their_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same for the language sheet behind the Checker's instructions, in French: each
    supplier's file read after another one whose sheet has its cells gets the texts from the
    other's rows; every file gets the texts its own sheet gives. (The blank template stores
    its texts' line breaks as CR LF, the files Excel saved again as LF: other cells.)"""
    french = [patch_cells(path, {"Declaration!D3": "Français"}, tmp_path / f"{i}.xlsx")
              for i, path in enumerate(_CMRT_64)]
    caches = (_instructions._BY_STORED, _instructions._BY_CELLS, _instructions._BY_ROWS)
    own, signature = {}, {}
    for path in french:
        for cache in caches:
            cache.clear()
        own[path] = read_template(path).checker_instructions
        assert own[path] is not None and own[path].items
        wb = _xlsx.open_workbook(path)
        columns = _instructions._columns(wb, "Français")
        assert columns is not None
        signature[path] = wb.cell_signature(_instructions.SHEET, ["A", "B", "C", *columns[:2]])
    from_rows = 0
    for first in french:
        for cache in caches:
            cache.clear()
        read_template(first)
        assert len(_instructions._BY_ROWS) == 1
        for other in french:
            _instructions._BY_STORED.clear()
            with monkeypatch.context() as m:
                if signature[other] == signature[first]:
                    m.setattr(_xlsx.Workbook, "stored_rows", _not_for(_instructions.SHEET))
                    from_rows += other != first
                got = read_template(other).checker_instructions
            assert got == own[other], (first.name, other.name)
    assert from_rows >= 2
