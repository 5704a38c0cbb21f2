"""Files the user supplies (status lists, rosters, import records, CAHRA lists, profiles,
legacy-ID tables, ITSCI and IPIS data): hostile or odd input ends in a typed error naming
the file, or in a row error naming the row, never in a traceback, a hang or a silent skip."""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mineral_compliance.disclosures.dodd_frank import load_profile
from mineral_compliance.disclosures.eu import load_annex, load_imports, quantity_kg, scope
from mineral_compliance.errors import ProfileError, ReferenceDataError
from mineral_compliance.refdata import (
    load_cahra,
    load_legacy_ids,
    load_roster,
    load_status_list,
)
from mineral_compliance.tables import CellValueError, parse_date, table_rows
from mineral_compliance.upstream.ipis import load_ipis
from mineral_compliance.upstream.itsci import load_incidents

from ._growth import assert_linear
from .templates.test_part_encodings import VARIANTS, repack
from .templates.test_part_names import renamed

# -- bounded in a child process: what could hang or exhaust memory -------------------------

_CHILD = r"""
import json, sys
from mineral_compliance.errors import MineralComplianceError
from mineral_compliance.refdata import (load_cahra, load_legacy_ids, load_roster,
                                        load_status_list)
from mineral_compliance.disclosures.eu import load_imports
from mineral_compliance.disclosures.dodd_frank import load_profile
from mineral_compliance.upstream.ipis import load_ipis
from mineral_compliance.upstream.itsci import load_incidents
loaders = {"status": load_status_list, "cahra": load_cahra, "legacy": load_legacy_ids,
           "roster": load_roster, "imports": load_imports, "profile": load_profile,
           "ipis": load_ipis, "itsci": load_incidents}
for case in json.loads(sys.argv[1]):
    try:
        result = loaders[case["loader"]](case["path"])
        outcome = {"kind": "loaded", "value": repr(result)[:300]}
    except MineralComplianceError as exc:
        outcome = {"kind": "error", "type": type(exc).__name__, "path": exc.path,
                   "message": str(exc)}
    print(json.dumps(outcome), flush=True)
"""
_MEMORY = 1536 * 1024 * 1024


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (_MEMORY, _MEMORY))


def _bounded(cases: list[dict[str, str]], seconds: float = 30.0) -> list[dict[str, str]]:
    """Each case's outcome, run in one child process with a memory cap and a time limit."""
    done = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(cases)],
                          capture_output=True, text=True, timeout=seconds,
                          preexec_fn=_limit_memory, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


_LOADERS = {"status": ReferenceDataError, "cahra": ReferenceDataError,
            "legacy": ReferenceDataError, "roster": ReferenceDataError,
            "imports": ReferenceDataError, "profile": ProfileError,
            "ipis": ReferenceDataError, "itsci": ReferenceDataError}


def test_a_fifo_or_a_device_is_refused_by_every_loader_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "list.csv"
    os.mkfifo(fifo)  # nobody ever writes to it: reading would block for ever
    cases = [{"loader": name, "path": str(path)} for name in _LOADERS
             for path in (fifo, Path("/dev/zero"), tmp_path)]
    outcomes = _bounded(cases, seconds=20)
    assert len(outcomes) == len(cases)
    for case, outcome in zip(cases, outcomes, strict=True):
        assert outcome["kind"] == "error", case
        assert outcome["type"] == _LOADERS[case["loader"]].__name__, case
        assert outcome["path"] == case["path"], case
        assert "not a file" in outcome["message"], case


def test_oversized_files_are_refused_naming_them(tmp_path: Path) -> None:
    big = tmp_path / "profile.json"
    with big.open("wb") as out:
        out.truncate(2 * 1024 * 1024)  # sparse: two megabytes of NUL bytes
    with pytest.raises(ProfileError, match="byte limit") as info:
        load_profile(big)
    assert info.value.path == str(big)


# -- worksheets ------------------------------------------------------------------------------

_STYLES = (b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b'<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
           b'<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/>'
           b'</cellXfs></styleSheet>')


def _xlsx(path: Path, sheet_data: str, *, dimension: str | None = None,
          date1904: bool = False, styles: bytes = _STYLES) -> Path:
    """A minimal workbook, one worksheet whose ``<sheetData>`` is ``sheet_data``."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    pr = '<workbookPr date1904="1"/>' if date1904 else ""
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'),
        "_rels/.rels": (f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
                        f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                        '</Relationships>'),
        "xl/workbook.xml": (f'<workbook xmlns="{main}" xmlns:r="{rel}">{pr}<sheets>'
                            '<sheet name="List" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/worksheet" '
            'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
            f'Type="{rel}/styles" Target="styles.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": (f'<worksheet xmlns="{main}">{dim}<sheetData>'
                                     f'{sheet_data}</sheetData></worksheet>'),
        "xl/styles.xml": styles.decode(),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path


def _text(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _row(number: int, *cells: str) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def test_a_worksheet_declaring_every_cell_is_read_for_what_it_holds(tmp_path: Path) -> None:
    book = _xlsx(tmp_path / "list.xlsx", _row(1, _text("A1", "Smelter ID"),
                                             _text("B1", "Standard Smelter Name")) +
                 _row(2, _text("A2", "CID000202"), _text("B2", "Example Smelter")),
                 dimension="A1:XFD1048576")
    assert book.stat().st_size < 3000
    (outcome,) = _bounded([{"loader": "status", "path": str(book)}], seconds=20)
    assert outcome["kind"] == "loaded" and "CID000202" in outcome["value"]


def test_values_beyond_the_table_caps_are_refused_naming_the_cell(tmp_path: Path) -> None:
    far = _xlsx(tmp_path / "far.xlsx", _row(1, _text("A1", "Smelter ID")) +
                _row(900000, _text("A900000", "CID000202")))
    with pytest.raises(ReferenceDataError, match=r"value at A900000, beyond") as info:
        load_status_list(far)
    assert (info.value.path, info.value.cell) == (str(far), "A900000")
    wide = _xlsx(tmp_path / "wide.xlsx", _row(1, _text("A1", "Smelter ID"),
                                              _text("XFD1", "x")))
    with pytest.raises(ReferenceDataError, match="XFD1"):
        load_status_list(wide)


def test_worksheet_dates_numbers_and_their_row_errors(tmp_path: Path) -> None:
    header = _row(1, *(_text(f"{c}1", h) for c, h in zip("ABC", ("date", "cn code",
                                                                  "quantity kg"),
                                                          strict=True)))

    def line(n: int, date: str, qty: str) -> str:
        return _row(n, date.replace("@", f"A{n}"), _text(f"B{n}", "8001 10 00"),
                    qty.replace("@", f"C{n}"))

    rows = (header
            + line(2, '<c r="@" s="1"><v>45658</v></c>', '<c r="@"><v>6.125</v></c>')
            + line(3, '<c r="@" s="2"><v>45658.75</v></c>', '<c r="@"><v>6000</v></c>')
            + line(4, '<c r="@" s="1"><v>3000000</v></c>', '<c r="@"><v>1</v></c>')
            + line(5, '<c r="@" s="1"><v>NaN</v></c>', '<c r="@"><v>1</v></c>')
            + line(6, '<c r="@" s="1"><v>45658</v></c>', '<c r="@"><v>NaN</v></c>')
            + line(7, '<c r="@"><v>45658</v></c>', '<c r="@"><v>1</v></c>')
            + line(8, _text("@", "5 March"), '<c r="@"><v>1</v></c>'))
    loaded = load_imports(_xlsx(tmp_path / "imports.xlsx", rows))
    assert [(r.row, r.date.isoformat(), r.quantity_kg) for r in loaded.records] == [
        (2, "2025-01-01", 6.125), (3, "2025-01-01", 6000.0)]
    invalid = dict(loaded.invalid)
    assert list(invalid) == [4, 5, 6, 7, 8]
    assert "no date of the 1900 or 1904 Excel calendar" in invalid[4]
    # a stored NaN is no SpreadsheetML number: the reader keeps it as the text it is
    assert invalid[5] == "the date 'NaN' cannot be read"
    assert invalid[6] == "the quantity 'NaN' is not a number"
    assert "the number 45658, not a date" in invalid[7]
    assert "has no year" in invalid[8]


def test_comments_in_the_styles_part_neither_fail_nor_shift_the_formats(tmp_path: Path
                                                                         ) -> None:
    # a comment or instruction is a node of the parsed styles, and no format: the cell
    # formats are still counted from 0 and the dates still found
    styles = _STYLES.replace(b"<numFmts", b"<!-- formats --><numFmts").replace(
        b'<xf numFmtId="0"/>', b'<?tool x?><xf numFmtId="0"/><!-- then a date -->')
    rows = (_row(1, _text("A1", "date"), _text("B1", "n"))
            + _row(2, '<c r="A2" s="1"><v>45658</v></c>', '<c r="B2" s="0"><v>45658</v></c>'))
    book = _xlsx(tmp_path / "commented.xlsx", rows, styles=styles)
    assert table_rows(book.read_bytes(), book) == [["date", "n"], ["2025-01-01", "45658"]]


@pytest.mark.parametrize("saved", ["parts in UTF-16", "names in upper case"])
def test_a_worksheet_table_saved_as_the_packaging_rules_allow_keeps_its_dates(
        saved: str, tmp_path: Path) -> None:
    rows = (_row(1, _text("A1", "date"), _text("B1", "n"))
            + _row(2, '<c r="A2" s="1"><v>45658</v></c>', '<c r="B2" s="0"><v>45658</v></c>'))
    book = _xlsx(tmp_path / "plain.xlsx", rows)
    twin = (repack(book, tmp_path / "t.xlsx", VARIANTS["UTF-16 BE with a byte order mark"])
            if saved == "parts in UTF-16" else renamed(book, tmp_path / "t.xlsx", str.upper))
    assert twin.read_bytes() != book.read_bytes()
    assert table_rows(twin.read_bytes(), twin) == [["date", "n"], ["2025-01-01", "45658"]]


_DATED = (_row(1, _text("A1", "date"), _text("B1", "n"))
          + _row(2, '<c r="A2" s="2"><v>45658</v></c>', '<c r="B2" s="0"><v>45658</v></c>'))


def _with_tail(book: Path, tail: bytes) -> bytes:
    """``book``'s bytes with ``tail`` after its worksheet's root: the cells read the same."""
    out = io.BytesIO()
    with zipfile.ZipFile(book) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            data = zin.read(info)
            z.writestr(info, data + tail if info.filename.endswith("sheet1.xml") else data)
    return out.getvalue()


def test_cell_tags_left_open_are_passed_over_in_linear_time(tmp_path: Path) -> None:
    # each tag left open ran on, looking for its end, to the same far '>'
    book = _xlsx(tmp_path / "open.xlsx", _DATED)
    assert table_rows(_with_tail(book, b"<c " * 100), book) == [
        ["date", "n"], ["2025-01-01", "45658"]]
    assert_linear(lambda data: table_rows(data, book),
                  lambda n: _with_tail(book, b"<c " * n + b">"), 5_000)


def _styled(tmp_path: Path, code: str, uses: int = 1) -> Path:
    styles = _STYLES.replace(b'formatCode="dd/mm/yyyy"', f'formatCode="{code}"'.encode()
                             ).replace(b'<xf numFmtId="164"/>', b'<xf numFmtId="164"/>' * uses)
    return _xlsx(tmp_path / "styled.xlsx", _DATED, styles=styles)


@pytest.mark.parametrize(("code", "dated"), [
    ("yyyy-mm-dd[", True), ('"Day" 0', False), ('0 "day', False), ("[Red]0", False),
    ("[$-409]d mmm", True), (r"\d0", False), ("0;dd/mm/yyyy", False)])
def test_a_format_code_left_open_is_judged_by_what_comes_before(
        tmp_path: Path, code: str, dated: bool) -> None:
    book = _styled(tmp_path, code)
    got = table_rows(book.read_bytes(), book)[1][0]
    assert got == ("2025-01-01" if dated else "45658")


@pytest.mark.parametrize("opened", ["[", '"'])
def test_format_codes_left_open_are_judged_in_linear_time(tmp_path: Path, opened: str) -> None:
    # an open bracket or quote ran on to the end of the code from every one of them; and
    # every cell format naming the code judged it again
    def book(n: int) -> tuple[Path, bytes]:
        path = _styled(tmp_path, "0" + opened * n, uses=1 + n // 1000)
        return path, path.read_bytes()
    assert_linear(lambda made: table_rows(made[1], made[0]), book, 20_000)


def test_the_1904_date_system(tmp_path: Path) -> None:
    rows = (_row(1, _text("A1", "date"), _text("B1", "cn code"), _text("C1", "quantity kg"))
            + _row(2, '<c r="A2" s="1"><v>0</v></c>', _text("B2", "8001"),
                   '<c r="C2"><v>1</v></c>')
            + _row(3, '<c r="A3" s="1"><v>2958000</v></c>', _text("B3", "8001"),
                   '<c r="C3"><v>1</v></c>'))  # 9998-12-30 in 1900, beyond 9999 in 1904
    loaded = load_imports(_xlsx(tmp_path / "mac.xlsx", rows, date1904=True))
    assert [(r.row, r.date.isoformat()) for r in loaded.records] == [(2, "1904-01-01")]
    assert [row for row, _ in loaded.invalid] == [3]


def test_spreadsheetml_counters_are_bounded(tmp_path: Path) -> None:
    ns = ('xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
          'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"')

    def book(body: str) -> str:
        return (f'<?xml version="1.0"?><Workbook {ns}><Worksheet ss:Name="F"><Table>'
                '<Row><Cell><Data ss:Type="String">Smelter ID</Data></Cell>'
                '<Cell><Data ss:Type="String">Facility Name</Data></Cell>'
                '<Cell><Data ss:Type="String">Country</Data></Cell></Row>'
                f'{body}</Table></Worksheet></Workbook>')

    bombs = {
        "column": '<Row><Cell ss:Index="1000000000"><Data ss:Type="String">x</Data></Cell>'
                  '</Row>',
        "row": '<Row ss:Index="1000000000"><Cell><Data ss:Type="String">x</Data></Cell></Row>',
        "merge": '<Row><Cell ss:MergeAcross="1000000000"><Data ss:Type="String">x</Data>'
                 '</Cell></Row>',
        "backwards": '<Row><Cell><Data ss:Type="String">a</Data></Cell><Cell><Data '
                     'ss:Type="String">b</Data></Cell><Cell ss:Index="1"/></Row>',
    }
    cases = []
    for name, body in bombs.items():
        path = tmp_path / f"{name}.xml"
        path.write_text(book(body), encoding="utf-8")
        cases.append({"loader": "status", "path": str(path)})
    for case, outcome in zip(cases, _bounded(cases, seconds=20), strict=True):
        assert outcome["kind"] == "error" and outcome["path"] == case["path"], outcome
        assert "ss:" in outcome["message"], outcome
    # a merged cell and skipped rows keep later values in their own column and row
    good = tmp_path / "good.xml"
    good.write_text(book(
        '<Row><Cell ss:MergeAcross="1"><Data ss:Type="String">CID000202</Data></Cell>'
        '<Cell><Data ss:Type="String">Brazil</Data></Cell></Row>'
        '<Row ss:Index="6"><Cell><Data ss:Type="String">CID000405</Data></Cell>'
        '<Cell><Data ss:Type="String">Other</Data></Cell></Row>'), encoding="utf-8")
    entries = load_status_list(good).entries
    assert [(e.row, e.smelter_id, e.name, e.country) for e in entries] == [
        (2, "CID000202", None, "Brazil"), (6, "CID000405", "Other", None)]


# -- numbers and dates in import records --------------------------------------------------

@pytest.mark.parametrize(("text", "kg"), [
    ("6000", 6000.0), ("6000.5", 6000.5), ("6.000,5", 6000.5), ("6,000.5", 6000.5),
    ("6,5", 6.5), ("0,125", 0.125), ("1 234,5", 1234.5), ("1\u00a0234", 1234.0),
    ("1,234,567", 1234567.0), ("1.234.567,89", 1234567.89), ("1.5e3", 1500.0), ("0", 0.0),
])
def test_unambiguous_quantities_are_read(text: str, kg: float) -> None:
    assert quantity_kg(text) == kg


@pytest.mark.parametrize(("text", "why"), [
    ("nan", "not a number"), ("inf", "not a number"), ("-1", "negative"),
    ("1e400", "not a finite number"), ("6,000", "ambiguous"), ("6.000", "ambiguous"),
    ("", "empty"), ("about 5", "not a number"), ("6,00.5", "out of place"),
    ("12,5,6", "out of place"), ("1 23,5", "not a number"),
])
def test_unreadable_quantities_are_refused_with_why(text: str, why: str) -> None:
    with pytest.raises(CellValueError, match=why):
        quantity_kg(text)


def test_import_rows_with_bad_numbers_or_dates_are_row_errors(tmp_path: Path) -> None:
    path = tmp_path / "imports.csv"
    path.write_text('date,cn code,quantity kg\n'
                    '2025-02-03,8001 10 00,"60.000,5"\n'
                    '2025-02-04,8001 10 00,50000\n'
                    '2025-02-05,8001 10 00,nan\n'
                    '2025-02-06,8001 10 00,"6,000"\n'
                    '5 March,8001 10 00,1\n'
                    'March 2025,8001 10 00,1\n'
                    '2025-02-30,8001 10 00,1\n', encoding="utf-8")
    report = scope(path)
    (tin,) = report.lines
    assert (tin.counted_kg, tin.status, tin.rows) == (110000.5, "in-scope", (2, 3))
    assert [row for row, _ in report.invalid] == [4, 5, 6, 7, 8]
    why = dict(report.invalid)
    assert "'nan' is not a number" in why[4] and "ambiguous" in why[5]
    assert "has no year" in why[6] and "has no day" in why[7]
    assert "not a day of the calendar" in why[8]


def test_dates_need_a_year_month_and_day() -> None:
    assert parse_date("3 Feb 2025").isoformat() == "2025-02-03"
    assert parse_date("2025-02-03T10:00:00").isoformat() == "2025-02-03"
    for text, why in (("29 Feb", "no year"), ("2025", "no month or day"),
                      ("nan", "cannot be read"), ("45292", "cannot be read"),
                      ("", "empty")):
        with pytest.raises(CellValueError, match=why):
            parse_date(text)


def test_itsci_incident_dates_and_levels_are_row_errors(tmp_path: Path) -> None:
    path = tmp_path / "incidents.csv"
    path.write_text("incident_id,date,level\n"
                    "I-1,2024-03-01,1\n"
                    "I-2,5 March,1\n"
                    "I-3,2024-03-01,12\n"
                    "I-4,2024-03-01,Level 2\n", encoding="utf-8")
    loaded = load_incidents(path)
    assert [(i.incident_id, i.level) for i in loaded.incidents] == [("I-1", 1), ("I-4", 2)]
    assert [row for row, _ in loaded.invalid] == [3, 4]
    assert "has no year" in dict(loaded.invalid)[3]


def test_ipis_rows_short_or_with_bad_numbers(tmp_path: Path) -> None:
    path = tmp_path / "ipis.csv"
    path.write_text("pcode,visit_date,latitude,longitude,workers_numb\n"
                    "s1,2022-01-01,-1.5,28.9,120\n"
                    "s2,2022-01-01\n"  # shorter than the header
                    "s3,2022-01-01,inf,28.9,1\n"
                    "s4,2022-01-01,-1.5,28.9,many\n", encoding="utf-8")
    data = load_ipis(path)
    assert [(s.code, s.latest.latitude, s.latest.workers) for s in data.sites] == [
        ("s1", -1.5, 120), ("s2", None, None)]
    why = dict(data.invalid)
    assert list(why) == [4, 5] and "latitude 'inf'" in why[4] and "workers_numb" in why[5]


# -- encodings and CSV damage -----------------------------------------------------------------

ROSTER = "Supplier\nExample Metals AG\nÉtain Exemple SA\nSample Trading\nTest Co\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le",
                                      "utf-16-be", "cp1252"])
def test_a_roster_reads_in_every_encoding_spreadsheets_save(tmp_path: Path,
                                                           encoding: str) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER.encode(encoding))
    assert load_roster(path) == ["Example Metals AG", "Étain Exemple SA", "Sample Trading",
                                 "Test Co"]


def test_a_status_list_saved_as_utf16(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes("Smelter ID,Smelter Name\r\nCID000202,Córrego\r\n".encode("utf-16"))
    assert [(e.smelter_id, e.name) for e in load_status_list(path).entries] == [
        ("CID000202", "Córrego")]


def test_roster_headers_columns_and_refusals(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("Example Metals AG\n\n  Test Co  \n", encoding="utf-8")
    assert load_roster(path) == ["Example Metals AG", "Test Co"]  # no header
    path.write_text("Contact,Unique ID\na@example.com,ACME-1\n,ACME-2\n", encoding="utf-8")
    assert load_roster(path) == ["ACME-1", "ACME-2"]  # the header names the column
    path.write_text('"Example Metals, Inc."\nExample Metals, Inc.\n', encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="line 2 holds more than one value"):
        load_roster(path)
    path.write_text("supplier\n\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="names no supplier"):
        load_roster(path)


def test_undecodable_nul_and_overlong_csv_are_typed_errors(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(b"Smelter ID,Smelter Name\nCID000202,\x81\x8d\x8f\n")
    with pytest.raises(ReferenceDataError, match="UTF-8 or Windows-1252") as info:
        load_status_list(path)
    assert info.value.path == str(path)
    path.write_bytes(b"Smelter ID,Smelter Name\nCID000202,Exa\x00mple\n")
    with pytest.raises(ReferenceDataError, match="line 2 holds a NUL"):
        load_status_list(path)
    path.write_text("Smelter ID,Smelter Name\nCID000202,Example\nCID000203,"
                    + "x" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"line 3: .* longer than"):
        load_status_list(path)
    path.write_bytes("Supplier\nOne\n".encode("utf-16-le")[:-1])  # an odd byte cut off
    with pytest.raises(ReferenceDataError, match="not UTF-16 text"):
        load_roster(path)
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes(b"old,new\n1DEU001,CID000035\x00\n")
    with pytest.raises(ReferenceDataError, match="NUL"):
        load_legacy_ids(legacy)
    ipis = tmp_path / "ipis.csv"
    ipis.write_text("pcode,visit_date\n" + "x" * 200_000 + ",2022-01-01\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="longer than"):
        load_ipis(ipis)


def test_deeply_nested_profiles_and_cahra_lists(tmp_path: Path) -> None:
    deep_json = tmp_path / "profile.json"
    deep_json.write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(ProfileError, match="nested too deeply"):
        load_profile(deep_json)
    deep_toml = tmp_path / "profile.toml"
    deep_toml.write_text("a = " + "[" * 100_000, encoding="utf-8")
    with pytest.raises(ProfileError, match="nested too deeply"):
        load_profile(deep_toml)
    cahra = tmp_path / "cahra.json"
    cahra.write_text('{"entries": ' + "[" * 100_000, encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="nested too deeply"):
        load_cahra(cahra)
    annex = tmp_path / "annex.json"
    annex.write_text('{"lines": ' + "[" * 100_000, encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="nested too deeply"):
        load_annex(annex)
    listed = tmp_path / "list.json"
    listed.write_text('[1, 2]', encoding="utf-8")
    with pytest.raises(ProfileError, match="not a table of fields"):
        load_profile(listed)
    cahra.write_text('{"meta": [1], "entries": []}', encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="meta must be an object"):
        load_cahra(cahra)
    cahra.write_text('{"entries": [{"iso2": "CD", "regions": [{"code": "CD-NK", '
                     '"name": "Nord-Kivu", "highRisk": "maybe"}]}]}', encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="entry 1, region 1: highRisk"):
        load_cahra(cahra)


def test_a_legacy_xls_is_refused_as_such(tmp_path: Path) -> None:
    path = tmp_path / "imports.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(ReferenceDataError, match=r"Excel 97-2003 \(.xls\)"):
        load_imports(path)


# -- quoting, roster rows, CAHRA field types, IPIS dates, profile encodings ---------------------


def test_an_unterminated_quote_is_refused_at_the_line_it_opens(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(b'Supplier\nAcme\n"Beta Metals\nGamma\nDelta\n')
    with pytest.raises(ReferenceDataError, match=r"line 3: .*quote .* never closed") as info:
        load_roster(path)
    assert info.value.path == str(path)
    path.write_bytes(b'Supplier\n"Acme, Inc."\n"Beta ""Metals"""\n')  # closed quotes still read
    assert load_roster(path) == ["Acme, Inc.", 'Beta "Metals"']


def test_a_roster_row_with_only_a_unique_id_is_a_supplier(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("Supplier,Unique ID\n,ACME-1\nBeta,B-2\n,\n", encoding="utf-8")
    assert load_roster(path) == ["ACME-1", "Beta"]  # the empty line is blank, not a supplier
    path.write_text("Supplier,Contact\nAcme,a@example.com\n,b@example.com\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"line 3 names no supplier .*b@example\.com"):
        load_roster(path)


@pytest.mark.parametrize("header", ["Supplier name (legal entity)", "Company (legal name)",
                                    "Name of supplier", "Supplier's unique ID"])
def test_roster_headers_are_recognised_by_their_words(tmp_path: Path, header: str) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(f"{header}\nAcme\nBeta\n", encoding="utf-8")
    assert load_roster(path) == ["Acme", "Beta"]
    path.write_text(f"Email,{header}\na@example.com,Acme\n", encoding="utf-8")
    assert load_roster(path) == ["Acme"]


def test_a_first_line_that_may_be_a_header_or_a_supplier_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("Supplier Services Ltd\nAcme\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"line 1 .*header or a supplier"):
        load_roster(path)
    path.write_text("Contact name\nJohn Smith\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"line 1 \('Contact name'\) may be a header"):
        load_roster(path)
    path.write_text("Example Metals AG\nAcme\n", encoding="utf-8")  # no header word: a name
    assert load_roster(path) == ["Example Metals AG", "Acme"]
    path.write_text("Contact name,Unique ID\nJohn Smith,ACME-1\n", encoding="utf-8")
    assert load_roster(path) == ["ACME-1"]  # a contact's name is not the supplier's


@pytest.mark.parametrize(("doc", "why"), [
    ({"meta": {"version": {"x": 1}}, "entries": [{"iso2": "CD"}]}, "meta: version"),
    ({"meta": {"version": 2024}, "entries": [{"iso2": "CD"}]}, "meta: version"),
    ({"meta": {"source": ["a"]}, "entries": [{"iso2": "CD"}]}, "meta: source"),
    ({"meta": {"dataUpdated": True}, "entries": [{"iso2": "CD"}]}, "meta: dataUpdated"),
    ({"entries": [{"iso2": "CD", "countryName": 0}]}, "entry 1: countryName"),
    ({"entries": [{"iso2": "CD", "wholeCountry": "no",
                   "regions": [{"code": "CD-NK", "name": "Nord-Kivu"}]}]},
     "entry 1: wholeCountry"),
])
def test_cahra_fields_of_the_wrong_type_are_refused_naming_them(tmp_path: Path, doc: object,
                                                               why: str) -> None:
    path = tmp_path / "cahra.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=why):
        load_cahra(path)


def test_cahra_whole_country_false_lists_only_the_regions(tmp_path: Path) -> None:
    path = tmp_path / "cahra.json"
    path.write_text(json.dumps({"meta": {"version": "v1", "source": "unit"}, "entries": [
        {"iso2": "CD", "wholeCountry": False,
         "regions": [{"code": "CD-NK", "name": "Nord-Kivu"}]}]}), encoding="utf-8")
    cahra = load_cahra(path)
    assert [(a.country, a.region) for a in cahra.areas] == [("CD", "CD-NK")]
    assert (cahra.snapshot.version, cahra.snapshot.source) == ("v1", "unit")


def test_ipis_visit_dates_are_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "ipis.csv"
    path.write_text("pcode,visit_date\n"
                    "s1,2022-01-01\n"
                    "s2,2022-01-01garbage\n"
                    "s3,2022-02-30\n"
                    "s4,2022-03-04T10:15:00\n", encoding="utf-8")
    data = load_ipis(path)
    assert [(s.code, s.latest.date.isoformat()) for s in data.sites] == [
        ("s1", "2022-01-01"), ("s4", "2022-03-04")]
    why = dict(data.invalid)
    assert list(why) == [3, 4]
    assert "2022-01-01garbage" in why[3] and "not a day of the calendar" in why[4]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "cp1252"])
def test_a_profile_is_read_in_the_encodings_its_docstring_names(tmp_path: Path,
                                                                encoding: str) -> None:
    path = tmp_path / "company.json"
    path.write_bytes(json.dumps({
        "registrant_name": "Société Exemple", "state_of_incorporation": "Delaware",
        "address": "1 Example Way", "contact_name": "Compliance", "contact_phone": "+1 555",
        "reporting_year": 2025,
        "products": [{"name": "Controllers", "metals": ["Tin"], "manufactured": True}]},
        ensure_ascii=False).encode(encoding))
    assert load_profile(path).registrant_name == "Société Exemple"
