"""A Look-up known by its stored rows: a later sheet in nearly the same bytes is found to have
the same cells by comparing its rows' bytes, and never when anything the reader keeps differs:
not a prolog that changes how the part is read, not a value that is no shared-string index,
and not a value closed in a way XML allows and Excel does not write (which the fast scanner
reads, too, as lxml does)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mineral_compliance import read_template
from mineral_compliance.errors import MalformedTemplateError
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
        got = read_template(path).checker_instructions
        assert got is not None and got.items
        own[path] = got
        wb = _xlsx.open_workbook(path)
        columns = _instructions._columns(wb, "Français")
        assert columns is not None
        column, english, _code = columns
        read = ["A", "B", "C", column, *([english] if english else [])]
        signature[path] = wb.cell_signature(_instructions.SHEET, read)
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


# -- what a part's prolog, odd closings and values that are no index do ----------------------

_EVIL = b'<c r="A99" t="str"><v>EVIL</v ></c>'


@pytest.mark.parametrize("prolog", [
    b"<!DOCTYPE worksheet>", b'<c r="D1"><v>1</v></c>', b"<!-- a note -->",
    b"<?x <c r='D1'><v>1</v></c>?>",
], ids=["doctype", "a cell", "a comment", "an instruction"])
def test_a_part_with_more_than_a_declaration_before_its_root_has_no_signature(
        prolog: bytes) -> None:
    """What comes before the root decides whether the part is refused or read by lxml, so
    another prolog is never taken for the one kept, even with every row the same bytes."""
    root = BASE.index(b"<worksheet")
    odd = BASE[:root] + prolog + BASE[root:]
    assert _xlsx._signature(odd, SST, WANTED) is None
    assert _xlsx.StoredRows.build(odd, SST, WANTED) is None
    assert not _known().matches(odd, SST)
    assert _known().matches(BASE[:root].rstrip() + b"\r\n" + BASE[root:], SST)  # a CR LF
    assert _known().matches(b"\xef\xbb\xbf" + BASE, SST)  # a byte-order mark is still plain


@pytest.mark.parametrize("hidden", [
    _EVIL, _EVIL.replace(b"</v >", b"</v\n>"),
    b'<x:c xmlns:x="urn:x" r="A99" t="str"><x:v>EVIL</x:v></x:c>',
    b'<c r="A99" t="inlineStr"><is><t>EVIL</t></is ></c>',
], ids=["spaced", "line break", "another prefix", "spaced inline string"])
def test_a_value_closed_otherwise_is_never_passed_over(hidden: bytes) -> None:
    """XML allows whitespace before a closing's ``>`` and any prefix bound to any namespace;
    Excel writes neither. The fast scanner leaves such a part to lxml, which reads the value,
    and no signature or kept rows stand for it."""
    odd = _sheet([*ROWS[:-1], ROWS[-1].replace(b"</row>", hidden + b"</row>")])
    fast = _xlsx.scan_sheet(odd, SST, WANTED, path=Path("t.xlsx"), sheet="S")
    slow = _xlsx._scan_lxml(odd, SST, WANTED, path=Path("t.xlsx"), sheet="S")
    assert fast == slow and fast[(99, "A")].value == "EVIL"
    assert _xlsx._signature(odd, SST, WANTED) is None
    assert not _known().matches(odd, SST)


def test_a_value_closed_otherwise_in_a_run_of_repeated_rows_is_read() -> None:
    """Rows of one shape are passed over once the first was checked; a row that hides a value
    behind a spaced closing is of another shape, and is read."""
    rows = [_row(n) for n in range(1, 400)]
    for at, closing in ((300, b"</v >"), (350, b"</v\r\n>")):
        empty = b'<c r="E%d" s="1"/>' % (at + 1)
        assert empty in rows[at]
        rows[at] = rows[at].replace(empty, b'<c r="E%d" t="str"><v>EVIL</v>' % (at + 1)
                                    + b"</c>").replace(b"EVIL</v>", b"EVIL" + closing)
    data = _sheet(rows)
    asked = frozenset({"E"})  # each row's first value, in column A, is not asked for
    fast = _xlsx.scan_sheet(data, SST, asked, path=Path("t.xlsx"), sheet="S")
    slow = _xlsx._scan_lxml(data, SST, asked, path=Path("t.xlsx"), sheet="S")
    assert fast == slow
    assert {key: cell.value for key, cell in fast.items()} == {(301, "E"): "EVIL",
                                                              (351, "E"): "EVIL"}


def test_a_value_that_is_no_index_is_never_an_item() -> None:
    """A shared-string cell whose value is no index gives no cell; one whose index points to
    an item with those very bytes gives the item. Their signatures differ."""
    no_index = _cell_changed(b'<v>2</v></c><c r="B6"', b'<v>x</v></c><c r="B6"')
    index = _cell_changed(b'<v>2</v></c><c r="B6"', b'<v>5</v></c><c r="B6"')
    sst = _xlsx._SharedStrings([*SST.bodies[:5], b"x"], b"", close=None)  # item 5: b"x"
    assert _cells(no_index, sst) != _cells(index, sst)
    assert _xlsx._signature(no_index, sst, WANTED) != _xlsx._signature(index, sst, WANTED)
    assert not _known(no_index, sst).matches(index, sst)
    assert not _known(index, sst).matches(no_index, sst)


def test_differing_rows_may_not_hold_more_values_than_a_signature(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The values of the rows that differ are matched into memory: no more of them than a
    signature may hold, even in a column not asked for."""
    known = _known()
    padded = _sheet(_swap(ROWS, 20, ROWS[20].replace(
        b"</row>", b'<c r="D21"><v>1</v></c>' * 60 + b"</row>")))
    assert _cells(padded) == _cells(BASE) and known.matches(padded, SST)
    monkeypatch.setattr(_xlsx, "SIGNATURE_CELLS", 60)
    assert not known.matches(padded, SST)


def test_a_sheet_larger_than_kept_rows_is_kept_for_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_xlsx, "_MAX_STORED_ROWS", len(BASE) - 1)
    known = _xlsx.StoredRows.build(BASE, SST, WANTED)
    assert known is not None and known.pieces == () and not known.matches(BASE, SST)
    assert known.signature == _xlsx._signature(BASE, SST, WANTED)


@needs_reference
@pytest.mark.skipif(not _CMRT_64, reason="needs a CMRT 6.4 file")
@pytest.mark.parametrize("change", ["comment before the root, value closed otherwise",
                                    "document type"])
def test_a_real_look_up_changed_so_reads_the_same_after_the_original(
        change: str, tmp_path: Path) -> None:
    """A file whose Look-up differs from one read before only in what the fast path and the
    signature do not look at is read as it would be alone: its hidden row, or its refusal."""
    source = _CMRT_64[-1]
    wb = _xlsx.open_workbook(source)
    spec = detect(wb).layout.lookup
    assert spec is not None
    part = next(s.part for s in wb.sheets if s.name == spec.sheet)
    data = wb._sheet_bytes(spec.sheet)
    root = data.index(b"<worksheet")
    if change == "document type":
        new = data[:root] + b"<!DOCTYPE worksheet>" + data[root:]
    else:
        last = data.rindex(b"</row>")
        hidden = (b'<c r="%s9000" t="str"><v>Gold</v ></c><c r="%s9000" t="str">'
                  b'<v>HIDDEN SMELTER</v ></c>' % (spec.columns["metal"].encode(),
                                                     spec.columns["lookup_name"].encode()))
        new = (data[:root] + b"<!-- -->" + data[root:last] + hidden + data[last:])
    changed = tmp_path / "changed.xlsx"
    with zipfile.ZipFile(source) as z, zipfile.ZipFile(changed, "w", zipfile.ZIP_DEFLATED) as o:
        for info in z.infolist():
            o.writestr(info, new if info.filename == part else z.read(info))

    def table(path: Path) -> object:
        try:
            return reader._lookup_table(_xlsx.open_workbook(path), spec).rows
        except MalformedTemplateError as exc:
            return type(exc)

    for cache in (reader._TABLES, reader._BY_SIGNATURE, reader._BY_CONTENT, reader._BY_ROWS):
        cache.clear()
    alone = table(changed)
    assert alone != table(source)
    reader._TABLES.clear()
    assert table(changed) == alone


_CLOSINGS = st.sampled_from([b"</v>", b"</v >", b"</v\n>", b"</v\t\r\n >"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(ROWS) - 1), st.sampled_from("ABCDE"),
                          _CLOSINGS, st.booleans()), max_size=5),
       st.sampled_from([None, frozenset({"A"}), frozenset({"E"}), WANTED]))
def test_values_closed_any_way_xml_allows_read_as_lxml_reads_them(
        changes: list[tuple[int, str, bytes, bool]], asked: frozenset[str] | None) -> None:
    """A value put into any cell of any row, closed with or without whitespace, in a cell of
    the part's namespace or under a prefix bound to it, reads the same with the fast scanner
    as with lxml."""
    rows = list(ROWS)
    ns = _NS.split(b'"')[1]
    for at, col, closing, prefixed in changes:
        ref = b"%s%d" % (col.encode(), at + 1)
        cell = (b'<y:c xmlns:y="' + ns + b'" r="' + ref + b'" t="str"><y:v>new'
                + closing.replace(b"</", b"</y:") + b"</y:c>" if prefixed else
                b'<c r="' + ref + b'" t="str"><v>new' + closing + b"</c>")
        found = re.search(rb'<c r="' + ref + rb'"[^>]*?(?:/>|>.*?</c>)', rows[at])
        if found is not None:  # (not a cell changed before, under the prefix)
            rows[at] = rows[at][:found.start()] + cell + rows[at][found.end():]
    data = _sheet(rows)
    fast = _xlsx.scan_sheet(data, SST, asked, path=Path("t.xlsx"), sheet="S")
    slow = _xlsx._scan_lxml(data, SST, asked, path=Path("t.xlsx"), sheet="S")
    assert fast == slow
