"""The cell scanner on hand-made worksheet markup that real writers produce."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from mineral_compliance.errors import MalformedTemplateError, NotAWorkbookError
from mineral_compliance.templates import _xlsx

from ..conftest import needs_reference, reference_files

SST = _xlsx._SharedStrings.parse(
    b'<sst xmlns="x"><si><t>Tin</t></si><si><r><t>Go</t></r><r><t xml:space="preserve">ld'
    b'</t></r><rPh><t>ph</t></rPh></si><si><t>a_x000D_b &amp; c</t></si></sst>'
)


def _sheet(cells: bytes, prefix: bytes = b"") -> bytes:
    p = prefix
    return (b'<' + p + b'worksheet xmlns' + (b":" + p[:-1] if p else b"") +
            b'="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><' + p +
            b'sheetData><' + p + b'row r="1">' + cells + b"</" + p + b"row></" + p +
            b"sheetData></" + p + b"worksheet>")


def _both(data: bytes) -> _xlsx.SheetCells:
    fast = _xlsx.scan_sheet(data, SST, None, path=Path("t.xlsx"), sheet="S")
    slow = _xlsx._scan_lxml(data, SST, None, path=Path("t.xlsx"), sheet="S")
    assert fast == slow
    return fast


def test_shared_inline_formula_and_typed_cells() -> None:
    cells = _both(_sheet(
        b'<c r="A1" t="s"><v>0</v></c>'
        b'<c r="B1" t="s"><v>1</v></c>'
        b'<c r="C1" t="inlineStr"><is><t>inline &lt;x&gt;</t></is></c>'
        b'<c r="D1" t="str"><f>A1&amp;"x"</f><v>Tinx</v></c>'
        b'<c r="E1"><v>45747</v></c>'
        b'<c r="F1" t="b"><v>1</v></c>'
        b'<c r="G1" t="e"><f>NA()</f><v>#N/A</v></c>'
        b'<c r="H1" t="str"><f>""</f><v></v></c>'
        b'<c r="I1" s="3"/>'
        b'<c r="J1" t="s"><v>2</v></c>'
    ))
    assert {k[1]: (c.value, c.kind, c.formula) for k, c in cells.items()} == {
        "A": ("Tin", "s", False),
        "B": ("Gold", "s", False),
        "C": ("inline <x>", "s", False),
        "D": ("Tinx", "s", True),
        "E": (45747.0, "n", False),
        "F": (True, "b", False),
        "G": ("#N/A", "e", True),
        "J": ("a\rb & c", "s", False),
    }


def test_namespace_prefixed_markup() -> None:
    cells = _both(_sheet(b'<x:c r="B1" t="s"><x:v>0</x:v></x:c>', prefix=b"x:"))
    assert cells[(1, "B")].value == "Tin"


def test_cells_without_references_fall_back_to_position() -> None:
    data = _sheet(b'<c t="s"><v>0</v></c><c t="s"><v>1</v></c>')
    assert _xlsx._scan_fast(data, b"", SST, None) is None
    cells = _xlsx.scan_sheet(data, SST, None, path=Path("t.xlsx"), sheet="S")
    assert cells[(1, "A")].value == "Tin" and cells[(1, "B")].value == "Gold"


def test_empty_value_elements_are_passed_over_in_any_number() -> None:
    # the pre-formatted rows of older list sheets hold thousands of <v></v>
    empties = b"".join(b'<c r="%s1" t="str"><f>""</f><v></v></c>' % c.encode()
                       for c in ("A", "C", "D", "E"))
    cells = _both(_sheet(empties + b'<c r="F1" t="s"><v>0</v></c><c r="G1"><v></v></c>'
                         b'<c r="H1" t="s"><v>1</v></c>'))
    assert {k[1]: c.value for k, c in cells.items()} == {"F": "Tin", "H": "Gold"}
    prefixed = _both(_sheet(b'<x:c r="A1"><x:v></x:v></x:c><x:c r="B1" t="s"><x:v>0</x:v>'
                            b'</x:c>', prefix=b"x:"))
    assert {k[1]: c.value for k, c in prefixed.items()} == {"B": "Tin"}


@pytest.mark.parametrize("cell", [
    b'<c r="B1" t="s"><v></v><v>1</v></c>',
    b'<c r="B1" t="s"><v>0</v><v>1</v></c>',
    b'<c r="B1" t="s"><f>A1</f><v></v><v>1</v></c>',
])
def test_two_values_in_one_cell_are_read_as_lxml_reads_them(cell: bytes) -> None:
    data = _sheet(b'<c r="A1" t="s"><v>0</v></c>' + cell)
    assert _xlsx._scan_fast(data, b"", SST, None) is None
    _both(data)


def test_column_filter() -> None:
    data = _sheet(b'<c r="A1" t="s"><v>0</v></c><c r="AB1" t="s"><v>1</v></c>')
    got = _xlsx.scan_sheet(data, SST, frozenset({"AB"}), path=Path("t"), sheet="S")
    assert list(got) == [(1, "AB")]


def test_damaged_zip_and_missing_parts_raise_typed_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(NotAWorkbookError):
        _xlsx.open_workbook(bad)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", b"<workbook><sheets>")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(buf.getvalue())
    with pytest.raises(MalformedTemplateError):
        _xlsx.open_workbook(broken)


@needs_reference
@pytest.mark.parametrize(
    "path", reference_files("cmrt", "RMI_*.xlsx") + reference_files("emrt", "*.xlsx"),
    ids=lambda p: p.name,
)
def test_fast_scanner_equals_lxml_on_every_sheet_of_real_templates(path: Path) -> None:
    wb = _xlsx.open_workbook(path)
    for sheet in wb.sheets:
        data = wb._read_part(sheet.part)
        fast = _xlsx._scan_fast(data, b"", wb.shared_strings, None)
        slow = _xlsx._scan_lxml(data, wb.shared_strings, None, path=path, sheet=sheet.name)
        assert fast == slow, sheet.name


_SHAPES = [
    b'<c r="A1" s="7" t="s" cm="1"><v>1</v></c>',
    b'<c r="A1" s="2" t="str"><f t="shared" ca="1" si="0"/><v>x &gt; 1</v></c>',
    b'<c r="A1"><f>1/2</f><v>0.5</v></c>',
    b'<c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>0</v></c>',
    b'<c r="A1" t="s"><v>05</v></c><c r="B1" t="s"><v>5</v></c><c r="C1" t="s"><v> 1</v></c>',
    b'<c r="A1" t="e"><f>NA()</f><v>#N/A</v></c><c r="B1" t="b"><v>true</v></c>',
    b'<c r="A1" t="s"><v>2</v></c><c r="B1" t="s"><v>99</v></c>',
    b'<c r="A1" t="s" s="1"><v>1</v></c>',  # attributes in another order
    b'<c r="A1" s="1" t="n"><f ref="A1:A2" t="array">B1</f><v>3</v></c>',
    b'<c r="A1"><f a="x/y">B1</f><v>3</v></c>',
    b'<c r="A1"><c r="B1"/><v>4</v></c>',  # a cell inside a cell
    b'<c r="A1" t="inlineStr"><is><t>in</t></is></c><c r="B1"><v>1e3</v></c>',
]


@pytest.mark.parametrize("cells", _SHAPES)
def test_one_match_path_agrees_with_lxml(cells: bytes) -> None:
    """The single-match path for cells as Excel writes them and the element-by-element walk
    (and lxml) read every shape alike, for every column selection."""
    _both(_sheet(cells))
    data = _sheet(cells)
    for columns in (frozenset({"A"}), frozenset({"B"})):
        fast = _xlsx.scan_sheet(data, SST, columns, path=Path("t.xlsx"), sheet="S")
        slow = _xlsx._scan_lxml(data, SST, columns, path=Path("t.xlsx"), sheet="S")
        assert fast == slow


def test_signature_is_none_for_cells_only_the_walk_reads() -> None:
    """A cell the one-match path does not read leaves no signature: the caller reads it."""
    wb_data = _sheet(b'<c r="A1" t="s" s="1"><v>0</v></c>')
    assert _xlsx._signature(wb_data, SST, frozenset({"A"})) is None
    inline = _sheet(b'<c r="A1" t="inlineStr"><is><t>x</t></is></c>')
    assert _xlsx._signature(inline, SST, frozenset({"A"})) is None
    plain = _sheet(b'<c r="A1" t="s"><v>0</v></c><c r="B1"><v>2</v></c>')
    assert _xlsx._signature(plain, SST, frozenset({"A"})) is not None
    # every value element must belong to a cell the match read: a stray one, a cell inside
    # a cell, or a cell in another shape of a column not asked for leave none
    for odd in (b'<c r="A1" t="s"><v>0</v></c><v>1</v>',
                b'<c r="A1"><c r="B1"/><v>4</v></c>',
                b'<c r="A1" t="s"><v>0</v></c><c t="n" r="B1"><v>2</v></c>'):
        assert _xlsx._signature(_sheet(odd), SST, frozenset({"A"})) is None, odd


def test_signature_tells_apart_what_the_cells_hold() -> None:
    """Equal signatures mean equal cells: the stored item of a shared string (not its
    index), the type, the formula flag and the reference all count."""
    def sig(cells: bytes) -> object:
        return _xlsx._signature(_sheet(cells), SST, frozenset({"A"}))

    base = sig(b'<c r="A1" t="s"><v>0</v></c>')
    assert base == sig(b'<c r="A1" s="3" t="s"><v>0</v></c>')  # style alone does not count
    assert base == sig(b'<c r="A1" t="s"><v>0</v></c><c r="B1"><v>9</v></c>')  # nor column B
    for other in (b'<c r="A1" t="s"><v>2</v></c>', b'<c r="A2" t="s"><v>0</v></c>',
                  b'<c r="A1" t="str"><v>0</v></c>', b'<c r="A1" t="s"><f>X</f><v>0</v></c>'):
        assert sig(other) not in (None, base), other


def test_signature_of_a_padded_sheet_is_not_kept() -> None:
    """Past the cells any Look-up holds, the part is not matched into memory at once."""
    padded = _sheet(b'<c r="A1"><v>1</v></c>' * (_xlsx.SIGNATURE_CELLS + 1))
    assert _xlsx._signature(padded, SST, frozenset({"A"})) is None


_CMRT_64 = reference_files("cmrt", "RMI_*CMRT_6.4*.xlsx")


@needs_reference
@pytest.mark.skipif(len(_CMRT_64) < 2, reason="needs two CMRT 6.4 files")
def test_look_up_of_a_file_saved_again_is_the_one_parsed_before() -> None:
    """Suppliers' copies of one release number their shared strings anew, so their Look-up
    sheets differ in bytes; the reader knows them by their cells and reuses the rows, which
    are the ones it would parse."""
    from mineral_compliance.templates import reader
    from mineral_compliance.templates.detect import detect

    tables = []
    for path in _CMRT_64[:2]:
        wb = _xlsx.open_workbook(path)
        spec = detect(wb).layout.lookup
        assert spec is not None
        tables.append(reader._lookup_table(wb, spec))
        assert tables[-1].rows == tuple(reader._lookup_rows(wb, spec))
    assert tables[0] is tables[1]


def test_patterns_made_for_prefixes_are_not_kept_without_bound() -> None:
    """A worker reads thousands of files, each of which may name its own prefix."""
    _xlsx._tags.cache_clear()
    for i in range(200):
        pattern = _xlsx._tags(b"p%d:" % i, b"si")
        assert pattern.search(b"<p%d:si>" % i) is not None
    assert _xlsx._tags.cache_info().currsize <= 32
