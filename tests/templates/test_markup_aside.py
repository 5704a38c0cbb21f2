"""Comments, CDATA sections, processing instructions and DTDs in a workbook's XML.

No spreadsheet program writes them inside a worksheet or the shared strings, but any tool can:
cell markup inside a comment is no cell, a value written as CDATA is its text, and an
``<si>`` in a comment is no item (it must not shift the strings after it)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mineral_compliance import read_template
from mineral_compliance.errors import MalformedTemplateError
from mineral_compliance.templates import _xlsx

from ..conftest import FIXTURES
from ..test_hostile import _with_shared_strings

DEMO = FIXTURES / "demo" / "cmrt-6.5-product-scope.xlsx"

SST = _xlsx._SharedStrings.parse(
    b'<sst xmlns="x"><si><t>Tin</t></si><si><t>Gold</t></si><si><t>Mica</t></si></sst>')
_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _sheet(cells: bytes) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet ' + _NS
            + b'><sheetData><row r="1">' + cells + b"</row></sheetData></worksheet>")


def _values(cells: _xlsx.SheetCells) -> dict[str, object]:
    return {c.ref: c.value for c in cells.values()}


def _read_both(data: bytes) -> dict[str, object]:
    fast = _xlsx.scan_sheet(data, SST, None, path=Path("t.xlsx"), sheet="S")
    slow = _xlsx._scan_lxml(data, SST, None, path=Path("t.xlsx"), sheet="S")
    assert fast == slow
    return _values(fast)


_KEPT = b'<c r="A1" t="s"><v>0</v></c>'


@pytest.mark.parametrize(("cells", "expected"), [
    (_KEPT + b'<!-- <c r="B1" t="s"><v>1</v></c> -->', {"A1": "Tin"}),
    (b'<!-- <c r="A1" t="s"><v>1</v></c><c r="B1" t="s"><v>2</v></c> --><c r="C1" t="s">'
     b"<v>0</v></c>", {"C1": "Tin"}),
    (_KEPT + b'<?tool <c r="B1" t="s"><v>1</v></c> ?>', {"A1": "Tin"}),
    (b'<c r="A1"><v><![CDATA[12]]></v></c>', {"A1": 12.0}),
    (b'<c r="A1" t="str"><f>B1</f><v><![CDATA[a<b & c]]></v></c>', {"A1": "a<b & c"}),
    (b'<c r="A1" t="str"><v>ab<!--x-->cd<?p q?>ef</v></c>', {"A1": "abcdef"}),
    (b'<c r="A1" t="s"><!-- a note --><v>1</v></c>', {"A1": "Gold"}),
    (b'<c r="A1" t="inlineStr"><is><t><![CDATA[x<y]]></t></is></c>', {"A1": "x<y"}),
    (b'<c r="A1" t="inlineStr"><is><r><t>x<!--c-->y</t></r><r><t>z</t></r></is></c>',
     {"A1": "xyz"}),
], ids=["comment hides a cell", "comment hides a column not kept", "instruction hides a cell",
        "CDATA number", "CDATA text", "text around a comment", "comment in a cell",
        "CDATA inline string", "comment in a rich run"])
def test_markup_aside_reads_as_xml_defines_it(cells: bytes, expected: dict[str, object]
                                               ) -> None:
    assert _read_both(_sheet(cells)) == expected


def test_a_comment_hiding_a_cell_of_another_column_is_seen_when_a_later_cell_is_kept() -> None:
    # the hidden A1 is not kept (only C is asked for), yet it lies before a cell kept
    data = _sheet(b'<!-- <c r="A1" t="s"><v>1</v></c> --><c r="C1" t="s"><v>2</v></c>'
                  b'<!-- <c r="C2" t="s"><v>1</v></c> -->')
    columns = frozenset({"C"})
    fast = _xlsx.scan_sheet(data, SST, columns, path=Path("t"), sheet="S")
    assert _values(fast) == {"C1": "Mica"}
    assert _xlsx._scan_fast(data, b"", SST, columns) is None


def test_a_comment_inside_a_cell_of_a_column_asked_for_is_seen_when_nothing_is_kept() -> None:
    # the cell opening in the comment would make B1's value A1's, and A is not asked for
    data = _sheet(b'<c r="B1" t="s"><!-- <c r="A1" t="s"> --><v>1</v></c>')
    fast = _xlsx.scan_sheet(data, SST, frozenset({"B"}), path=Path("t"), sheet="S")
    assert _values(fast) == {"B1": "Gold"}


def test_markup_aside_after_the_last_cell_kept_leaves_the_fast_path() -> None:
    # a comment past every cell kept cannot change them: the scan stays on the text path
    data = _sheet(_KEPT + b'<c r="B1" t="s"><v>1</v></c><!-- end -->')
    fast = _xlsx._scan_fast(data, b"", SST, frozenset({"A"}))
    assert fast is not None and _values(fast) == {"A1": "Tin"}
    # ... and still reads the hidden cell when its column is asked for
    hidden = _sheet(_KEPT + b'<!-- <c r="B1" t="s"><v>1</v></c> -->')
    assert _xlsx._scan_fast(hidden, b"", SST, frozenset({"A"})) is not None
    assert _xlsx._scan_fast(hidden, b"", SST, frozenset({"B"})) is None


def test_the_look_up_signature_takes_no_shortcut_past_a_comment() -> None:
    data = _sheet(_KEPT + b'<!-- <c r="B1" t="s"><v>1</v></c> -->')
    assert _xlsx._signature(data, SST, frozenset({"A", "B"})) is None
    assert _xlsx._signature(_sheet(_KEPT), SST, frozenset({"A"})) is not None


def test_the_head_read_takes_no_shortcut_past_a_comment(tmp_path: Path) -> None:
    # a comment before the first row asked for hides a row of cells: the head read must
    # not start scanning inside it
    wb = _xlsx.open_workbook(DEMO)
    part = next(s.part for s in wb.sheets if s.name == "Declaration")
    data = wb._read_part(part)
    hidden = (b'<!-- <row r="3"><c r="B3" t="inlineStr"><is><t>hidden</t></is></c></row> -->')
    odd = data.replace(b"<sheetData>", b"<sheetData>" + hidden, 1)
    assert odd != data
    path = tmp_path / "comment.xlsx"
    with zipfile.ZipFile(DEMO) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            z.writestr(info.filename, odd if info.filename == part else zin.read(info))
    top = _xlsx.open_workbook(path).top_cells("Declaration", 5, first=3)
    whole = _xlsx.open_workbook(DEMO).top_cells("Declaration", 5, first=3)
    assert "hidden" not in {c.value for c in top.values()}
    assert top == whole


# -- property: asides anywhere read as lxml reads them ----------------------------------------

_CELL_KINDS = st.sampled_from(["s", "str", "n", "inline"])
_ASIDES = st.sampled_from([
    b"<!-- note -->", b'<!-- <c r="A1" t="s"><v>2</v></c> -->', b"<?pi x?>",
    b'<?pi <c r="B1"><v>7</v></c>?>', b"<!---->"])


@st.composite
def _row_with_asides(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """A row of cells as tokens, and the same row with comments and instructions dropped
    between any two tokens and some values written as CDATA."""
    plain: list[bytes] = []
    odd: list[bytes] = []
    for col in draw(st.lists(st.sampled_from(["A", "B", "C", "D", "E"]), min_size=1,
                             max_size=5, unique=True)):
        kind = draw(_CELL_KINDS)
        text = draw(st.text(alphabet="ab1<&", min_size=1, max_size=4))
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").encode()
        if kind == "s":
            value = str(draw(st.integers(0, 2))).encode()
            tokens = [b'<c r="%s1" t="s">' % col.encode(), b"<v>", value, b"</v>", b"</c>"]
            as_cdata = value
        elif kind == "n":
            value = str(draw(st.integers(0, 999))).encode()
            tokens = [b'<c r="%s1">' % col.encode(), b"<f>1+1</f>", b"<v>", value, b"</v>",
                      b"</c>"]
            as_cdata = value
        elif kind == "str":
            tokens = [b'<c r="%s1" t="str">' % col.encode(), b"<v>", escaped, b"</v>",
                      b"</c>"]
            as_cdata = text.encode()
        else:
            tokens = [b'<c r="%s1" t="inlineStr">' % col.encode(), b"<is>", b"<t>", escaped,
                      b"</t>", b"</is>", b"</c>"]
            as_cdata = text.encode()
        plain += tokens
        cdata = draw(st.booleans()) and b"]]>" not in as_cdata
        for i, token in enumerate(tokens):
            if draw(st.integers(0, 3)) == 0:
                odd.append(draw(_ASIDES))
            is_text = i == len(tokens) - 3 if kind != "inline" else i == 3
            odd.append(b"<![CDATA[" + as_cdata + b"]]>" if cdata and is_text else token)
    if draw(st.booleans()):
        odd.append(draw(_ASIDES))
    return b"".join(plain), b"".join(odd)


@given(_row_with_asides())
@settings(max_examples=300, deadline=None)
def test_any_row_with_asides_reads_as_the_same_row_without_them(case: tuple[bytes, bytes]
                                                                 ) -> None:
    plain, odd = case
    expected = _read_both(_sheet(plain))
    assert _read_both(_sheet(odd)) == expected
    for columns in (frozenset({"A"}), frozenset({"C", "E"})):
        got = _xlsx.scan_sheet(_sheet(odd), SST, columns, path=Path("t"), sheet="S")
        assert _values(got) == {k: v for k, v in expected.items() if k[0] in columns}


# -- the shared strings ------------------------------------------------------------------------

def _table(items: bytes) -> bytes:
    return b'<?xml version="1.0"?>\n<sst ' + _NS + b">" + items + b"</sst>"


def _workbook_with_strings(tmp_path: Path, table: bytes) -> Path:
    return _with_shared_strings(tmp_path / "strings.xlsx", table)


def test_an_item_inside_a_comment_does_not_shift_the_strings_after_it(tmp_path: Path) -> None:
    table = _table(b"<si><t>Tin</t></si><!-- <si><t>hidden</t></si> --><si><t><![CDATA[a<b]]>"
                   b"</t></si><?pi <si><t>x</t></si>?><si><t>Mica</t></si>")
    wb = _xlsx.open_workbook(_workbook_with_strings(tmp_path, table))
    shared = wb.shared_strings
    assert [shared.get(i) for i in range(len(shared))] == ["Tin", "a<b", "Mica"]


def test_damaged_strings_with_a_comment_are_a_typed_error(tmp_path: Path) -> None:
    table = _table(b"<si><t>Tin</t></si><!-- <si> --><si><t>Gold</si>")
    wb = _xlsx.open_workbook(_workbook_with_strings(tmp_path, table))
    with pytest.raises(MalformedTemplateError, match=r"shared strings.*comments"):
        _ = wb.shared_strings


def test_plain_shared_strings_take_the_splitter_unchanged(tmp_path: Path) -> None:
    table = _table(b"<si><t>Tin</t></si><si><t>Gold</t></si>")
    wb = _xlsx.open_workbook(_workbook_with_strings(tmp_path, table))
    assert wb._shared_part == "xl/sharedStrings.xml"
    assert wb._strings_xml(wb._shared_part) == table  # no comments: read as stored
    assert wb.shared_strings.close is not None  # split on <si>, the quick way


# -- before the root ----------------------------------------------------------------------------

_PROLOGS = {
    "a comment holding a whole sheet": b'<!-- <worksheet><sheetData><row r="1"><c r="B1" '
                                       b't="s"><v>1</v></c></row></sheetData></worksheet> -->',
    "an instruction holding a cell": b'<?tool <c r="B1" t="s"><v>2</v></c> ?>',
    "a comment past the first 4 KB": b"<!-- " + b"p" * 5000 + b" -->",
    "white space, instructions and comments": b"\n \t<?a?>\r\n<!---->  <?b c?>\n",
}


@pytest.mark.parametrize("prolog", _PROLOGS)
def test_markup_before_a_sheet_s_root_reads_as_xml_defines_it(prolog: str) -> None:
    data = _sheet(_KEPT).replace(b"\n<worksheet", b"\n" + _PROLOGS[prolog] + b"<worksheet", 1)
    assert data != _sheet(_KEPT)
    assert _read_both(data) == {"A1": "Tin"}


@pytest.mark.parametrize("prolog", _PROLOGS)
def test_markup_before_a_sheet_s_root_is_seen_by_the_head_read(prolog: str, tmp_path: Path
                                                                ) -> None:
    wb = _xlsx.open_workbook(DEMO)
    part = next(s.part for s in wb.sheets if s.name == "Smelter List")
    with zipfile.ZipFile(DEMO) as z:
        sheet = z.read(part)
    at = sheet.find(b"<worksheet")
    assert at >= 0
    # a cell where the real row 4 has none, which a scan from inside the prolog would keep
    fake = (_PROLOGS[prolog].replace(b'r="1"', b'r="4"').replace(b'"B1"', b'"AZ4"')
            .replace(b' t="s"><v>1<', b"><v>7<").replace(b' t="s"><v>2<', b"><v>7<"))
    edited = tmp_path / "prolog.xlsx"
    with zipfile.ZipFile(DEMO) as zin, zipfile.ZipFile(edited, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, sheet[:at] + fake + sheet[at:] if info.filename == part
                          else data)
    want = _xlsx.open_workbook(DEMO).top_cells("Smelter List", 5, first=4)
    assert want and (4, "AZ") not in want
    assert _xlsx.open_workbook(edited).top_cells("Smelter List", 5, first=4) == want


def test_an_item_inside_a_comment_before_the_root_does_not_shift_the_strings(
        tmp_path: Path) -> None:
    for prolog in (b"<!-- <si><t>hidden</t></si> -->",
                   b"<!-- " + b"p" * 5000 + b" <si><t>hidden</t></si> -->",
                   b"<?pi <si><t>x</t></si>?>"):
        table = _table(b"<si><t>Tin</t></si><si><t>Mica</t></si>").replace(
            b"\n<sst", b"\n" + prolog + b"<sst", 1)
        wb = _xlsx.open_workbook(_workbook_with_strings(tmp_path, table))
        shared = wb.shared_strings
        assert [shared.get(i) for i in range(len(shared))] == ["Tin", "Mica"], prolog[:20]


def test_a_prolog_item_that_never_ends_leaves_no_root() -> None:
    data = _sheet(_KEPT).replace(b"\n<worksheet", b"\n<!-- no end <worksheet", 1)
    with pytest.raises(MalformedTemplateError, match="no <worksheet> root"):
        _xlsx.scan_sheet(data, SST, None, path=Path("t.xlsx"), sheet="S")
    assert _xlsx.root_element(b"<?xml version='1.0'?><!DOCTYPE x [ <!ENTITY a 'b'> ]> <sst>",
                              _xlsx._SST_ROOT) is not None


# -- document type declarations -----------------------------------------------------------------

_BOMB = (b'<?xml version="1.0"?>\n<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
         b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n')


def test_a_dtd_in_a_worksheet_is_refused_by_name() -> None:
    data = _BOMB + _sheet(b'<c r="A1" t="str"><v>&b;</v></c>').split(b"\n", 1)[1]
    with pytest.raises(MalformedTemplateError, match="document type") as err:
        _xlsx.scan_sheet(data, SST, None, path=Path("t.xlsx"), sheet="Declaration")
    assert err.value.sheet == "Declaration"


def test_a_dtd_in_the_shared_strings_or_the_workbook_is_refused_by_name(tmp_path: Path
                                                                          ) -> None:
    table = _BOMB + _table(b"<si><t>&b;</t></si>").split(b"\n", 1)[1]
    path = _workbook_with_strings(tmp_path, table)
    with pytest.raises(MalformedTemplateError, match=r"sharedStrings\.xml declares a document"):
        read_template(path)
    with zipfile.ZipFile(DEMO) as z:
        workbook = z.read("xl/workbook.xml")
    typed = workbook.replace(b"<workbook", b"<!DOCTYPE workbook><workbook", 1)
    assert typed != workbook
    dtd = tmp_path / "dtd.xlsx"
    with zipfile.ZipFile(DEMO) as zin, zipfile.ZipFile(dtd, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, typed if info.filename == "xl/workbook.xml"
                          else zin.read(info))
    with pytest.raises(MalformedTemplateError, match=r"workbook\.xml declares a document"):
        read_template(dtd)


def test_a_prefix_no_declaration_binds_is_a_typed_error_on_the_markup_path() -> None:
    # lxml's incremental parser hands back the element (tag "x:c") before it reports the
    # unbound prefix; its name must not be parsed as a qualified name on the way
    data = _sheet(b'<c r="A1"><!-- make lxml read it --><v>1</v></c>'
                  b'<x:c r="B1"><x:v>5</x:v></x:c>')
    with pytest.raises(MalformedTemplateError, match="prefix x on c is not defined") as info:
        _xlsx.scan_sheet(data, SST, None, path=Path("t.xlsx"), sheet="S")
    assert info.value.sheet == "S"


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"<", b"!", b"?", b"<t>", b"x", b"!?", b"?!"]), max_size=60),
       st.integers(0, 8), st.sampled_from([0, 1, 64, 100_000]))
def test_the_quick_search_for_comments_says_what_the_pattern_says(
        tokens: list[bytes], start: int, padding: int) -> None:
    # padding of plain text gives the quick search more looks; none makes marks run it out
    data = b"x" * padding + b"".join(tokens)
    start += padding
    assert _xlsx.has_aside(data, start) is (_xlsx._ASIDE.search(data, start) is not None)


def test_text_full_of_marks_runs_out_of_looks_and_still_finds_a_comment() -> None:
    questions = b"<si><t>why? how!</t></si>" * 20_000
    looks: list[int] = []
    real = _xlsx._ASIDE

    class Counted:
        def search(self, data: bytes, start: int) -> object:
            looks.append(start)
            return real.search(data, start)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_xlsx, "_ASIDE", Counted())
        assert _xlsx.has_aside(questions + b"<!-- c -->", 0)
        assert not _xlsx.has_aside(questions, 0)
        assert not _xlsx.has_aside(b"<sst>" + b"<si><t>plain</t></si>" * 20_000, 0)
    assert looks == [0, 0]  # the pattern only where the marks were too many to look at
