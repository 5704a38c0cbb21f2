"""Patching cells of a workbook at the XML level, read back by the project's own reader."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from mineral_compliance.errors import MalformedTemplateError
from mineral_compliance.templates import _xlsx, read_template

from ..conftest import REFERENCE, needs_reference

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.calcChain+xml"/></Types>'),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/styles" Target="styles.xml"/>'
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/calcChain" Target="calcChain.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships"><workbookPr DATE1904/><sheets><sheet name="Data Sheet" sheetId="1" '
        'r:id="rId1"/></sheets><definedNames><definedName name="X">\'Data Sheet\'!$A$1'
        '</definedName></definedNames></workbook>'),
    "xl/styles.xml": f'<styleSheet xmlns="{MAIN}"><!-- untouched --></styleSheet>',
    "xl/calcChain.xml": f'<calcChain xmlns="{MAIN}"><c r="B1" i="1"/></calcChain>',
    "xl/worksheets/sheet1.xml": (
        f'<worksheet xmlns="{MAIN}"><sheetData>'
        '<row r="1"><c r="A1" s="2"><v>1</v></c>'
        '<c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2</f><v>2</v></c>'
        '<c r="D1" t="s" s="4"><v>0</v></c></row>'
        '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f t="shared" si="0"/><v>4</v></c></row>'
        '<row r="3"><c r="B3"><f t="shared" si="0"/><v>0</v></c>'
        '<c r="E3"><f t="array" ref="E3:E4">A1:A2*3</f><v>3</v></c></row>'
        '<row r="5"><c r="A5" t="b"><v>1</v></c></row>'
        '</sheetData><dataValidations count="1"><dataValidation type="list" sqref="D1">'
        '<formula1>"Yes,No"</formula1></dataValidation></dataValidations></worksheet>'),
}


def _book(tmp_path: Path, *, date1904: bool = False) -> Path:
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in PARTS.items():
            flag = 'date1904="1"' if date1904 else ""
            z.writestr(name, text.replace("DATE1904", flag))
        z.writestr("xl/sharedStrings.xml", "")  # not referenced: inline strings are written
    return path


def _cells(path: Path) -> dict[str, tuple[object, str, bool]]:
    wb = _xlsx.open_workbook(path)
    return {c.ref: (c.value, c.kind, c.formula) for c in wb.cells("Data Sheet").values()}


def _sheet_xml(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read("xl/worksheets/sheet1.xml"))


def test_values_of_every_type_read_back(tmp_path: Path) -> None:
    out = _xlsx.patch_cells(_book(tmp_path), {
        "Data Sheet!D1": "  Yes, with spaces\nand a line  ",
        "'Data Sheet'!C1": "ctrl\x01char and literal _x0041_",
        "Data Sheet!A2": 7,
        "Data Sheet!A5": 2.5,
        "Data Sheet!C5": False,
        "Data Sheet!A1": dt.date(2025, 12, 9),
    }, tmp_path / "out.xlsx")
    cells = _cells(out)
    assert cells["D1"] == ("  Yes, with spaces\nand a line  ", "s", False)
    assert cells["C1"] == ("ctrl\x01char and literal _x0041_", "s", False)
    assert cells["A2"] == (7.0, "n", False)
    assert cells["A5"] == (2.5, "n", False)
    assert cells["C5"] == (False, "b", False)
    assert cells["A1"] == (46000.0, "n", False)
    row1 = _sheet_xml(out).find(f"{{{MAIN}}}sheetData/{{{MAIN}}}row")
    assert row1 is not None
    assert [c.get("r") for c in row1] == ["A1", "B1", "C1", "D1"]  # C1 slotted in order
    assert [c.get("s") for c in row1] == ["2", None, None, "4"]  # styles kept


def test_comments_in_a_cell_and_in_the_workbook_are_kept_and_pass_unharmed(tmp_path: Path
                                                                           ) -> None:
    # comments and instructions are nodes of the parsed parts: the patch passes them by
    book = _book(tmp_path)
    odd = tmp_path / "commented.xlsx"
    with zipfile.ZipFile(book) as zin, zipfile.ZipFile(odd, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"<sheets>", b"<!-- sheets --><?tool x?><sheets>")
            elif info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="A1" s="2"><v>1</v>',
                                    b'<c r="A1" s="2"><!-- a note --><v>1</v><?pi?>')
            z.writestr(info, data)
    out = _xlsx.patch_cells(odd, {"Data Sheet!A1": 7}, tmp_path / "out.xlsx")
    assert _cells(out)["A1"] == (7.0, "n", False)
    with zipfile.ZipFile(out) as z:
        assert b"<!-- a note -->" in z.read("xl/worksheets/sheet1.xml")
        workbook = z.read("xl/workbook.xml")
    assert b"<!-- sheets -->" in workbook and b"<calcPr" in workbook


def test_dates_follow_the_1904_date_system(tmp_path: Path) -> None:
    out = _xlsx.patch_cells(_book(tmp_path, date1904=True),
                            {"Data Sheet!A1": dt.date(2025, 12, 9)}, tmp_path / "out.xlsx")
    assert _cells(out)["A1"][0] == 46000.0 - 1462


def test_new_rows_are_inserted_in_order_and_clearing_keeps_nothing(tmp_path: Path) -> None:
    out = _xlsx.patch_cells(_book(tmp_path), {
        "Data Sheet!B4": "four", "Data Sheet!A9": "nine", "Data Sheet!A5": None,
    }, tmp_path / "out.xlsx")
    rows = _sheet_xml(out).findall(f"{{{MAIN}}}sheetData/{{{MAIN}}}row")
    assert [r.get("r") for r in rows] == ["1", "2", "3", "4", "5", "9"]
    cells = _cells(out)
    assert "A5" not in cells
    assert cells["B4"] == ("four", "s", False)
    assert cells["A9"] == ("nine", "s", False)


def test_overwriting_a_shared_formula_anchor_gives_the_others_their_own(tmp_path: Path) -> None:
    out = _xlsx.patch_cells(_book(tmp_path), {"Data Sheet!B1": None}, tmp_path / "out.xlsx")
    formulas = {c.get("r"): (f.text, dict(f.attrib))
                for c in _sheet_xml(out).iter(f"{{{MAIN}}}c")
                for f in c.iter(f"{{{MAIN}}}f")}
    assert formulas["B2"] == ("A2*2", {})
    assert formulas["B3"] == ("A3*2", {})
    assert "B1" not in formulas
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        assert "xl/calcChain.xml" not in names  # it named B1, which no longer computes
        assert b"calcChain" not in z.read("xl/_rels/workbook.xml.rels")
        assert b"calcChain" not in z.read("[Content_Types].xml")
        assert b'fullCalcOnLoad="1"' in z.read("xl/workbook.xml")
        with zipfile.ZipFile(_book(tmp_path)) as original:  # untouched parts: same bytes
            assert z.read("xl/styles.xml") == original.read("xl/styles.xml")


def test_value_edits_keep_the_calculation_chain(tmp_path: Path) -> None:
    out = _xlsx.patch_cells(_book(tmp_path), {"Data Sheet!A1": 3}, tmp_path / "out.xlsx")
    with zipfile.ZipFile(out) as z:
        assert "xl/calcChain.xml" in z.namelist()
        calc = etree.fromstring(z.read("xl/workbook.xml")).find(f"{{{MAIN}}}calcPr")
    assert calc is not None and calc.get("fullCalcOnLoad") == "1"
    assert calc.getprevious() is not None
    assert etree.QName(calc.getprevious()).localname == "definedNames"  # schema order


def test_refusals_name_the_sheet_and_cell(tmp_path: Path) -> None:
    book = _book(tmp_path)
    with pytest.raises(MalformedTemplateError, match="array formula over E3:E4") as err:
        _xlsx.patch_cells(book, {"Data Sheet!E4": "x"}, tmp_path / "out.xlsx")
    assert (err.value.sheet, err.value.cell) == ("Data Sheet", "E4")
    with pytest.raises(MalformedTemplateError, match="E3:E4"):
        _xlsx.patch_cells(book, {"Data Sheet!E3": "x"}, tmp_path / "out.xlsx")
    with pytest.raises(MalformedTemplateError, match="'Other' is missing"):
        _xlsx.patch_cells(book, {"Other!A1": 1}, tmp_path / "out.xlsx")
    with pytest.raises(ValueError, match="cell reference"):
        _xlsx.patch_cells(book, {"Data Sheet!1A": 1}, tmp_path / "out.xlsx")
    with pytest.raises(ValueError, match="cannot be stored"):
        _xlsx.patch_cells(book, {"Data Sheet!A1": float("nan")}, tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


@needs_reference
def test_a_patched_real_template_reads_back_with_only_the_edits_changed(tmp_path: Path) -> None:
    src = REFERENCE / "cmrt" / "RMI_CMRT_6.4_JX Advanced Metals Corporation.xlsx"
    out = _xlsx.patch_cells(src, {
        "Declaration!D8": "Example Components Ltd",
        "Declaration!D26": "No",
        "Smelter List!B40": "Tungsten",
        "Smelter List!C40": "Smelter not listed",
        "Smelter List!D40": "Example Works",
        "Smelter List!E40": "PERU",
    }, tmp_path / "patched.xlsx")
    expected = read_template(src).to_plain()
    expected["company"]["name"] = "Example Components Ltd"
    expected["answers"]["Tantalum"]["1"] = "No"
    expected["smelters"].append({
        "row": 40, "metal": "Tungsten", "smelter_id": None, "name": "Example Works",
        "country": "PERU", "lookup_name": "Smelter not listed", "standard_name": None,
        "placeholder": "not-listed", "recycled_scrap": None})
    got = read_template(out).to_plain()
    for key in ("file", "sha256"):
        del expected[key], got[key]
    assert got == expected


def _stored(path: Path) -> dict[str, tuple[int, int, bytes]]:
    """Per entry: compression method, CRC and the bytes as stored (still compressed)."""
    data = path.read_bytes()
    out = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            start = info.header_offset
            name_len = int.from_bytes(data[start + 26:start + 28], "little")
            extra_len = int.from_bytes(data[start + 28:start + 30], "little")
            begin = start + 30 + name_len + extra_len
            out[info.filename] = (info.compress_type, info.CRC,
                                  data[begin:begin + info.compress_size])
    return out


@pytest.mark.parametrize("stored", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_unchanged_parts_are_copied_as_stored_and_only_the_edited_ones_rewritten(
        tmp_path: Path, stored: int) -> None:
    src = tmp_path / "book.xlsx"
    with zipfile.ZipFile(src, "w", stored) as z:
        for name, text in PARTS.items():
            z.writestr(name, text.replace("DATE1904", ""))
        z.writestr("xl/media/ünïcode name.bin", bytes(range(256)) * 40)
    out = _xlsx.patch_cells(src, {"Data Sheet!A1": 5}, tmp_path / "out.xlsx")
    before, after = _stored(src), _stored(out)
    changed = {"xl/worksheets/sheet1.xml", "xl/workbook.xml"}
    assert list(after) == list(before)  # same entries, same order
    assert {n for n in before if before[n] != after[n]} == changed
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None  # every CRC and size agrees with the data
        assert z.read("xl/media/ünïcode name.bin") == bytes(range(256)) * 40
        assert {z.getinfo(n).compress_type for n in changed} == {stored}
    assert _cells(out)["A1"] == (5, "n", False)


def test_without_the_plain_zip_path_the_package_is_rewritten_alike(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _book(tmp_path)
    fast = _xlsx.patch_cells(src, {"Data Sheet!A1": 5}, tmp_path / "fast.xlsx")
    monkeypatch.setattr(_xlsx, "_raw_zip", lambda *args: None)
    slow = _xlsx.patch_cells(src, {"Data Sheet!A1": 5}, tmp_path / "slow.xlsx")
    with zipfile.ZipFile(fast) as a, zipfile.ZipFile(slow) as b:
        assert a.namelist() == b.namelist()
        assert all(a.read(n) == b.read(n) for n in a.namelist())


def test_a_cell_patcher_writes_each_copy_as_patch_cells_writes_it(tmp_path: Path) -> None:
    """Copies written by one patcher are, byte for byte, what patch_cells writes for the same
    edits: values equal but spelt differently (0.0 and -0.0, 1, 1.0 and True, a date and the
    datetime at its midnight) are told apart, a copy that removes a formula (and with it the
    calculation chain) does not leak into the next, and edits seen before (also after more
    than the patcher keeps) come out the same."""
    src = _book(tmp_path)
    variants: list[dict[str, _xlsx.CellInput]] = [
        {"Data Sheet!A1": 0.0}, {"Data Sheet!A1": -0.0}, {"Data Sheet!A1": 1},
        {"Data Sheet!A1": "1"}, {"Data Sheet!A1": 1.0}, {"Data Sheet!A1": True},
        {"Data Sheet!A1": "True"},
        {"Data Sheet!A2": dt.date(2025, 3, 31)}, {"Data Sheet!A2": dt.datetime(2025, 3, 31)},
        {"Data Sheet!B1": "formula gone"}, {"Data Sheet!A1": 0.0}]
    variants += [{"Data Sheet!C7": f"text {n}"} for n in range(_xlsx.CellPatcher.KEPT + 1)]
    variants += [{"Data Sheet!B1": "formula gone"}, {"Data Sheet!A1": -0.0, "Data Sheet!A2": None}]
    patcher = _xlsx.CellPatcher(src)
    for n, edits in enumerate(variants):
        ours = patcher.write(edits, tmp_path / f"patcher-{n}.xlsx")
        alone = _xlsx.patch_cells(src, edits, tmp_path / f"alone-{n}.xlsx")
        assert ours.read_bytes() == alone.read_bytes(), edits
    with zipfile.ZipFile(tmp_path / "patcher-10.xlsx") as z:
        assert "xl/calcChain.xml" in z.namelist()  # written after the copy without it
    with zipfile.ZipFile(tmp_path / f"patcher-{len(variants) - 2}.xlsx") as z:
        assert "xl/calcChain.xml" not in z.namelist()


def test_a_cell_patcher_edits_a_sheet_once_for_the_same_edits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edited: list[str] = []
    real = _xlsx._SheetPatch

    def counting(root: etree._Element, *, path: Path, sheet: str) -> _xlsx._SheetPatch:
        edited.append(sheet)
        return real(root, path=path, sheet=sheet)

    monkeypatch.setattr(_xlsx, "_SheetPatch", counting)
    patcher = _xlsx.CellPatcher(_book(tmp_path))
    for n, value in enumerate([5, 5, 6, 5]):
        out = patcher.write({"Data Sheet!A1": value}, tmp_path / f"{n}.xlsx")
        assert _cells(out)["A1"] == (value, "n", False)
    assert edited == ["Data Sheet", "Data Sheet"]  # once for 5, once for 6
