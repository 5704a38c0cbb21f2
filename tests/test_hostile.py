"""A corpus of hostile and broken inputs, generated here: each ends in a typed error or in
findings, never a traceback, within 2 s and 200 MB, each in its own process."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mineral_compliance._io import scrub
from mineral_compliance.errors import MalformedTemplateError
from mineral_compliance.templates._xlsx import patch_cells

from .conftest import FIXTURES

DEMO = FIXTURES / "demo" / "cmrt-6.5-product-scope.xlsx"
TIME_LIMIT_S = 2.0
MEMORY_LIMIT_MB = 200

_CHILD = r"""
import json, sys, time
from mineral_compliance.errors import MineralComplianceError
from mineral_compliance.rules import validate_file

def peak_kb():
    # the peak resident size of this process image: unlike getrusage's ru_maxrss, it does
    # not carry over the peak of the (possibly large) process that started this one
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))

path = sys.argv[1]
before = peak_kb()
start = time.perf_counter()
try:
    report = validate_file(path)
    outcome = {"kind": "findings", "count": len(report.findings),
               "codes": sorted({f.code for f in report.findings})}
except MineralComplianceError as exc:
    outcome = {"kind": "error", "type": type(exc).__name__, "message": str(exc)}
elapsed = time.perf_counter() - start
print(json.dumps({**outcome, "seconds": elapsed, "grown_mb": (peak_kb() - before) / 1024}))
"""


def _rezip(src: Path, dest: Path, replace: dict[str, bytes | None],
           add: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in replace:
                data = replace[info.filename]
                if data is not None:
                    zout.writestr(info.filename, data)
                continue
            zout.writestr(info, zin.read(info))
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dest


def _sheet_part(name: str) -> str:
    from mineral_compliance.templates import _xlsx

    return next(s.part for s in _xlsx.open_workbook(DEMO).sheets if s.name == name)


def _corpus(folder: Path) -> dict[str, Path]:
    c: dict[str, Path] = {}
    (folder / "not-a-zip.xlsx").write_bytes(b"this is a text file, not a workbook\n")
    c["not a zip"] = folder / "not-a-zip.xlsx"
    (folder / "empty.xlsx").write_bytes(b"")
    c["empty file"] = folder / "empty.xlsx"
    data = DEMO.read_bytes()
    (folder / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    c["truncated zip"] = folder / "truncated.xlsx"
    bomb = folder / "bomb.xlsx"
    smelters = _sheet_part("Smelter List")
    with zipfile.ZipFile(DEMO) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            if info.filename == smelters:
                with z.open(smelters, "w", force_zip64=True) as out:
                    out.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/'
                              b'spreadsheetml/2006/main"><sheetData>')
                    chunk = b" " * (1 << 20)
                    for _ in range(80):  # 80 MB of nothing, a few hundred kB compressed
                        out.write(chunk)
                    out.write(b"</sheetData></worksheet>")
                continue
            z.writestr(info, zin.read(info))
    c["zip bomb"] = bomb
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + b"".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "&lol;" * 10}">'.encode()  # noqa: E501
                         for i in range(9))
              + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b"<si><t>&lol8;</t></si></sst>")
    c["billion laughs in shared strings"] = _with_shared_strings(folder / "laughs.xlsx", laughs)
    with zipfile.ZipFile(DEMO) as z:
        workbook = z.read("xl/workbook.xml")
    xxe = workbook.replace(b"<workbook", b'<!DOCTYPE w [<!ENTITY x SYSTEM '
                           b'"file:///etc/passwd">]><workbook', 1).replace(
        b"<sheets>", b"<sheets>&x;", 1)
    if xxe.startswith(b"<?xml"):
        head, _, rest = xxe.partition(b"?>")
        xxe = head + b"?>" + rest
    c["external entity in the workbook part"] = _rezip(DEMO, folder / "xxe.xlsx",
                                                       {"xl/workbook.xml": xxe})
    for refused in sorted((FIXTURES / "refused").iterdir()):
        c[f"refused: {refused.name}"] = refused
    c["macro-enabled workbook"] = _rezip(DEMO, folder / "macros.xlsm", {},
                                         {"xl/vbaProject.bin": b"\x00" * 512})
    renamed = workbook.replace(b'name="Smelter List"', b'name="Smelters (renamed)"')
    c["renamed sheet"] = _rezip(DEMO, folder / "renamed.xlsx", {"xl/workbook.xml": renamed})
    c["a cell on row 1,048,576"] = patch_cells(DEMO, {"Product List!B1048576": "far away"},
                                               folder / "far.xlsx")
    c["32,767-character cells"] = patch_cells(DEMO, {
        "Declaration!D8": "N" * 32767, "Smelter List!D9": "S" * 32767},
        folder / "long.xlsx")
    c["control, right-to-left and zero-width characters"] = patch_cells(DEMO, {
        "Smelter List!B9": "Tin", "Smelter List!C9": "Smelter not listed",
        "Smelter List!D9": "Ex\u200bample\u202e Works\x07", "Smelter List!E9": "BOLIVIA",
        "Smelter List!A10": "cid\u0660\u0660\u0660\u0661\u0660\u0661 "},
        folder / "characters.xlsx")
    c["dates and numbers as text, formula-like strings"] = patch_cells(DEMO, {
        "Declaration!D22": "31/03/2025", "Declaration!D8": "=HYPERLINK(\"x\")",
        "Product List!B6": "00123"}, folder / "text.xlsx")
    (folder / "folder.xlsx").mkdir()
    c["a folder named like a workbook"] = folder / "folder.xlsx"
    c.update(_reader_classes(folder))
    return c


def _replace_part(dest: Path, part: str, data: bytes) -> Path:
    with zipfile.ZipFile(DEMO) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            z.writestr(info.filename, data if info.filename == part else zin.read(info))
    return dest


def _with_sheet_data(dest: Path, sheet: str, rows: bytes) -> Path:
    """The demo workbook with the given rows as the whole sheetData of ``sheet``."""
    part = _sheet_part(sheet)
    with zipfile.ZipFile(DEMO) as zin:
        head, _, rest = zin.read(part).partition(b"<sheetData>")
    tail = rest.partition(b"</sheetData>")[2]
    return _replace_part(dest, part, head + b"<sheetData>" + rows + b"</sheetData>" + tail)


_SST_HEAD = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def _with_shared_strings(dest: Path, sst: bytes) -> Path:
    """The demo workbook (which stores its text inline) given a shared-strings part."""
    rels = "xl/_rels/workbook.xml.rels"
    with zipfile.ZipFile(DEMO) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == rels:
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSst" Type="'
                                    b"http://schemas.openxmlformats.org/officeDocument/2006/"
                                    b'relationships/sharedStrings" Target="sharedStrings.xml"'
                                    b"/></Relationships>")
            z.writestr(info.filename, data)
        z.writestr("xl/sharedStrings.xml", sst)
    return dest


def _reader_classes(folder: Path) -> dict[str, Path]:
    """Inputs that once cost the reader quadratic time, unbounded memory or a traceback."""
    c: dict[str, Path] = {}
    marked = patch_cells(DEMO, {"Declaration!D8": "HIGH-MARK Example", "Smelter List!B9": "Tin",
                                "Smelter List!D9": "LOW-MARK Works",
                                "Smelter List!E9": "BOLIVIA"}, folder / "marked.xlsx")
    with zipfile.ZipFile(marked) as zin, \
            zipfile.ZipFile(folder / "surrogates.xlsx", "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info).replace(b"HIGH-MARK", b"_xD800_")
                          .replace(b"LOW-MARK", b"_xDFFF__xD83D__xDE00_"))
    c["lone surrogates stored as OOXML escapes"] = folder / "surrogates.xlsx"
    c["a 50 MB company name"] = patch_cells(
        DEMO, {"Declaration!D8": "N" * (50 * 1024 * 1024)}, folder / "huge-name.xlsx")
    c["200,000 unclosed shared strings"] = _with_shared_strings(
        folder / "unclosed-sst.xlsx", _SST_HEAD + b"<si><t>x" * 200_000)
    c["unclosed phonetic runs"] = _with_shared_strings(
        folder / "unclosed-rph.xlsx",
        _SST_HEAD + b"<si><r><t>a</t></r>" + b"<rPh><t>b" * 200_000 + b"</si></sst>")
    c["200,000 value ends after one cell opening"] = _with_sheet_data(
        folder / "value-ends.xlsx", "Smelter List",
        b'<row r="9"><c r="D9" t="str"><v>x' + b"</v>" * 200_000 + b"</c></row>")
    rows = b"".join(b'<row r="%d"><c r="B%d" t="inlineStr"><is><t>Tin</t></is></c>'
                    b'<c r="D%d" t="inlineStr"><is><t>Works %d</t></is></c>'
                    b'<c r="E%d" t="inlineStr"><is><t>BOLIVIA</t></is></c></row>'
                    % (r, r, r, r, r) for r in range(9, 100_009))
    c["100,000 smelter rows"] = _with_sheet_data(folder / "rows.xlsx", "Smelter List", rows)
    padded = b"".join(b'<row r="%d"><c r="D%d"><v>1</v></c></row>' % (r, r)
                      for r in range(100, 700_100))
    c["a Declaration padded with 700,000 cells"] = _with_sheet_data(
        folder / "padded.xlsx", "Declaration", padded)
    dated = patch_cells(DEMO, {"Declaration!D22": 45747.0}, folder / "dated.xlsx")
    with zipfile.ZipFile(dated) as zin, \
            zipfile.ZipFile(folder / "nan-date.xlsx", "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info).replace(b"<v>45747.0</v>", b"<v>NaN</v>"))
    c["a date serial stored as NaN"] = folder / "nan-date.xlsx"
    with zipfile.ZipFile(DEMO) as z:
        sheet = z.read(_sheet_part("Smelter List"))
    c["a sheet declaring the whole grid as its dimension"] = _replace_part(
        folder / "dimension.xlsx", _sheet_part("Smelter List"),
        re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', sheet))
    return c


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _corpus(tmp_path_factory.mktemp("hostile"))


HEAVY = {"a 50 MB company name": (20.0, 600), "100,000 smelter rows": (20.0, 600),
         "a Declaration padded with 700,000 cells": (20.0, 400)}
"""Cases whose input alone is tens of megabytes: bounded, with their own limits (seconds,
megabytes)."""

EXPECTED_CODES = {
    "lone surrogates stored as OOXML escapes": "text-replaced",
    "a 50 MB company name": "text-truncated",
    "100,000 smelter rows": "rows-capped",
    "a date serial stored as NaN": "effective-date-invalid",
}

EXPECTED_ERRORS = {
    "not a zip": "NotAWorkbookError", "empty file": "NotAWorkbookError",
    "truncated zip": "NotAWorkbookError", "zip bomb": "MalformedTemplateError",
    "renamed sheet": "MalformedTemplateError",
    "a folder named like a workbook": "NotAWorkbookError",
    "a Declaration padded with 700,000 cells": "MalformedTemplateError",
    # a DTD is an error in any part of a package (ECMA-376 Part 2, M1.18)
    "billion laughs in shared strings": "MalformedTemplateError",
    "external entity in the workbook part": "MalformedTemplateError",
}


def test_every_hostile_input_ends_in_a_typed_error_or_findings(corpus: dict[str, Path]) -> None:
    outcomes = {}
    for name, path in corpus.items():
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True,
                              text=True, timeout=60, check=False)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, (name, proc.stderr)
        outcome = json.loads(proc.stdout.strip().splitlines()[-1])
        seconds, megabytes = HEAVY.get(name, (TIME_LIMIT_S, MEMORY_LIMIT_MB))
        assert outcome["seconds"] <= seconds, (name, outcome)
        assert outcome["grown_mb"] <= megabytes, (name, outcome)
        outcomes[name] = outcome
    for name, error in EXPECTED_ERRORS.items():
        assert outcomes[name].get("type") == error, (name, outcomes[name])
        assert outcomes[name]["message"], name
    for name, code in EXPECTED_CODES.items():
        assert code in outcomes[name].get("codes", ()), (name, outcomes[name])
    for name in ("macro-enabled workbook", "a cell on row 1,048,576", "32,767-character cells",
                 "control, right-to-left and zero-width characters",
                 "dates and numbers as text, formula-like strings"):
        assert outcomes[name]["kind"] == "findings", (name, outcomes[name])


def test_a_batch_of_them_processes_every_good_file(corpus: dict[str, Path],
                                                   tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from mineral_compliance.consolidation import consolidate

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in corpus.values():
        if path.is_file():
            shutil.copy(path, inbox / f"{len(list(inbox.iterdir())):02d}-{path.name}")
    shutil.copy(DEMO, inbox / "good.xlsx")
    c = consolidate([inbox, inbox / "good.xlsx"], executor=ThreadPoolExecutor(2))
    files = {Path(f.file).name: f for f in c.files}
    assert len(files) == len(list(inbox.iterdir()))  # every input once, the repeat included
    assert files["good.xlsx"].status.value != "unreadable"
    assert all(f.message for f in c.files if f.status.value == "unreadable")


def test_entities_are_never_expanded_or_fetched(corpus: dict[str, Path]) -> None:
    from mineral_compliance import read_template

    for name in ("external entity in the workbook part", "billion laughs in shared strings"):
        with pytest.raises(MalformedTemplateError, match="declares a document type") as err:
            read_template(corpus[name])
        text = str(err.value)
        assert "root:" not in text  # /etc/passwd was not read
        assert "lollollol" not in text  # the entities were not expanded


DANGEROUS_NAMES = ["../../outside", "..", "CON", "nul ", "a/b\\c:d", "\u202eexe.txt",
                   "Acme\u200b Example", "ACME EXAMPLE", ".hidden", "LPT1.csv", "x" * 300,
                   "\x07\x1b[31m", "/etc/passwd"]


def test_supplier_names_never_lead_feedback_out_of_its_folder(tmp_path: Path) -> None:
    """Every supplier gets one feedback file, inside the feedback folder, whatever its name."""
    import csv

    from mineral_compliance.consolidation import consolidate
    from mineral_compliance.outputs import write_consolidation
    from mineral_compliance.rules import validate_file

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i, name in enumerate(DANGEROUS_NAMES):
        patch_cells(DEMO, {"Declaration!D8": name}, inbox / f"{i:02d}.xlsx")
    out = tmp_path / "sub" / "out"
    c = consolidate([inbox], executor=None)
    # a zero-width space does not make another supplier: one of the two Acme files is
    # superseded by the other
    assert len({f.supplier for f in c.files}) == len(DANGEROUS_NAMES) - 1
    write_consolidation(c, out)
    feedback = out / "feedback"
    everything = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    outside = [p for p in everything if inbox not in p.parents and out not in p.parents]
    assert outside == []
    names = sorted(p.name for p in feedback.iterdir())
    assert len(names) == len(DANGEROUS_NAMES)  # one per supplier, and the index
    assert all(p.parent == feedback for p in feedback.rglob("*"))
    for name in names:
        stem = name.removesuffix(".csv")
        assert not name.startswith(".") and len(name) <= 90, name
        assert stem.split(" (")[0].upper() not in {"CON", "NUL", "LPT1", "PRN", "AUX"}, name
        assert not any(ch in name for ch in '/\\:*?"<>|\x07\u202e\u200b'), name
    with (feedback / "index.csv").open(encoding="utf-8") as handle:
        index = list(csv.DictReader(handle))
    assert sorted(r["feedback"] for r in index if r["status"] != "superseded") == sorted(
        n for n in names if n != "index.csv")
    assert len(index) == len(DANGEROUS_NAMES)  # every input accounted for
    # a second run with fewer suppliers leaves no stale feedback behind
    again = consolidate(sorted(inbox.glob("0[0-2].xlsx")), executor=None)
    write_consolidation(again, out)
    assert len(list(feedback.iterdir())) == 3 + 1
    write_consolidation(c, out)
    # each file lists exactly the findings validation gives for its workbook
    row = next(r for r in index if r["file"].endswith("00.xlsx"))
    with (feedback / row["feedback"]).open(encoding="utf-8") as handle:
        listed = [(r["code"], r["sheet"], r["cell"]) for r in csv.DictReader(handle)]
    expected = [(f.code, f.sheet or "", f.cell or "")
                for f in validate_file(inbox / "00.xlsx").findings]
    assert listed == expected and listed


def test_feedback_for_an_unreadable_file_says_what_to_do_about_that_file(
        tmp_path: Path) -> None:
    """A password, a legacy .xls and a file that is no template each get their own advice."""
    import csv

    from mineral_compliance.consolidation import consolidate
    from mineral_compliance.outputs import write_feedback

    refused = FIXTURES / "refused"
    c = consolidate([refused / n for n in ("encrypted.xlsx", "legacy.xls", "plain-workbook.xlsx")],
                    executor=None)
    write_feedback(c, tmp_path)
    with (tmp_path / "index.csv").open(encoding="utf-8") as handle:
        index = {Path(r["file"]).name: r["feedback"] for r in csv.DictReader(handle)}
    advice = {}
    for name, feedback in index.items():
        with (tmp_path / feedback).open(encoding="utf-8") as handle:
            (row,) = csv.DictReader(handle)
        assert row["code"] == "unreadable" and name in row["message"]
        advice[name] = row["what_to_do"]
    assert "password" in advice["encrypted.xlsx"]
    assert ".xlsx" in advice["legacy.xls"]
    assert "CMRT" in advice["plain-workbook.xlsx"]
    assert len(set(advice.values())) == 3
def test_ids_and_dates_typed_every_way_are_understood(tmp_path: Path) -> None:
    """IDs with spaces, lower case, dashes or non-ASCII digits name the same smelter; dates
    typed as text or stored as text serials are read; an ambiguous one is not guessed."""
    from mineral_compliance import read_template
    from mineral_compliance.consolidation import consolidate
    from mineral_compliance.models import MatchGrade

    variants = ["cid900001", " CID 900 001 ", "CID-900001",
                "cid\u0669\u0660\u0660\u0660\u0660\u0661",  # Arabic-Indic digits
                "CID\uff19\uff10\uff10\uff10\uff10\uff11",  # full-width digits
                "CID\u00a0900001"]
    edits: dict[str, str | float] = {}
    for i, typed in enumerate(variants):
        edits[f"Smelter List!A{10 + i}"] = typed
        edits[f"Smelter List!B{10 + i}"] = "Tin"
    c = consolidate([patch_cells(DEMO, edits, tmp_path / "ids.xlsx")], executor=None)
    rows = [(s.smelter_id, x.row, x.grade) for s in c.smelters for x in s.sources
            if x.row is not None and x.row >= 10]
    assert sorted(row for _, row, _ in rows) == list(range(10, 16))
    assert {(sid, grade) for sid, _, grade in rows} == {("CID900001", MatchGrade.EXACT_ID)}

    typed_dates: list[str | int] = ["31/03/2025", "2025-03-31", "March 31, 2025",
                                    "31.03.2025", "20250331", "3/31/25", "45747", 45747]
    for date in typed_dates:
        path = patch_cells(DEMO, {"Declaration!D22": date}, tmp_path / "date.xlsx")
        assert read_template(path).company.effective_date.value == dt.date(2025, 3, 31), date
    ambiguous = patch_cells(DEMO, {"Declaration!D22": "05/10/2025"}, tmp_path / "amb.xlsx")
    value = read_template(ambiguous).company.effective_date
    assert value.value is None and value.status.value == "unrecognised"
    assert value.raw == "05/10/2025"  # kept for the finding, not dropped


def _hostile_inbox(folder: Path) -> tuple[Path, set[str]]:
    """An inbox holding every kind of input a batch must survive, and the labels it must
    account for."""
    inbox = folder / "inbox"
    inbox.mkdir()
    expected: set[str] = set()

    def add(path: Path) -> None:
        expected.add(str(path))

    marked = patch_cells(DEMO, {"Declaration!D8": "Acme LONE-HIGH Ltd",
                                "Smelter List!D9": "Lone LONE-LOW Smelter"},
                         folder / "marked.xlsx")
    with zipfile.ZipFile(marked) as zin, \
            zipfile.ZipFile(inbox / "surrogates.xlsx", "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():  # as a tool that escapes lone surrogates stores them
            zout.writestr(info, zin.read(info).replace(b"LONE-HIGH", b"_xD800_")
                          .replace(b"LONE-LOW", b"_xDFFF_"))
    add(inbox / "surrogates.xlsx")
    add(patch_cells(DEMO, {"Declaration!D8": "Bidi \u202eevil\u202c \x00\x1b[2J Ltd"},
                    inbox / "controls.xlsx"))
    shutil.copy(DEMO, inbox / "good.xlsx")
    add(inbox / "good.xlsx")
    odd_name = os.fsdecode(os.fsencode(str(inbox)) + b"/\xff\xfe-undecodable.xlsx")
    shutil.copy(DEMO, odd_name)
    add(Path(odd_name))
    os.mkfifo(inbox / "pipe.xlsx")
    add(inbox / "pipe.xlsx")
    (inbox / "zero.xlsx").symlink_to("/dev/zero")
    add(inbox / "zero.xlsx")
    (inbox / "folder.xlsx").mkdir()  # a folder: walked, holds nothing
    (inbox / "~$good.xlsx").write_bytes(b"lock file")  # never an input
    archive = inbox / "batch.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(DEMO, "a.xlsx")
        with pytest.warns(UserWarning, match="Duplicate name"):
            z.writestr("a.xlsx", b"second member of the same name")
        z.writestr("legacy.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
        link = zipfile.ZipInfo("link.xlsx")
        link.create_system, link.external_attr = 3, (0o120777 << 16)
        z.writestr(link, "/etc/passwd")
        with z.open("bomb.xlsx", "w", force_zip64=True) as out:  # 200 MB of zeros
            chunk = b"\0" * (1 << 20)
            for _ in range(200):
                out.write(chunk)
    for member in ("a.xlsx", "a.xlsx#2", "legacy.xls", "link.xlsx", "bomb.xlsx"):
        expected.add(f"{archive}!{member}")
    return inbox, expected


def test_a_hostile_inbox_is_consolidated_with_every_input_accounted_for(
        tmp_path: Path) -> None:
    """The command a user runs, on the worst inbox: every input listed once, every output
    written and readable back, exit 2 for the unreadable ones, no traceback, bounded time."""
    import csv

    from lxml import html
    from openpyxl import load_workbook

    inbox, expected = _hostile_inbox(tmp_path)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "mineral_compliance", "consolidate",
                           str(inbox), "-o", str(out), "--no-progress"],
                          capture_output=True, text=True, timeout=300, check=False,
                          errors="replace")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stderr  # some inputs are unreadable
    data = json.loads((out / "consolidation.json").read_text(encoding="utf-8"))
    labels = [f["file"] for f in data["files"]]
    assert len(labels) == len(set(labels)) == len(expected)
    # a file name that is not UTF-8 is shown with U+FFFD where its bytes could not be decoded
    assert set(labels) == {scrub(e) for e in expected}
    status = {Path(f["file"]).name: f["status"] for f in data["files"]}
    assert status["good.xlsx"] != "unreadable" and status["surrogates.xlsx"] != "unreadable"
    for name in ("pipe.xlsx", "zero.xlsx", "batch.zip!link.xlsx", "batch.zip!bomb.xlsx",
                 "batch.zip!a.xlsx#2", "batch.zip!legacy.xls"):
        entry = next(f for f in data["files"] if f["file"].endswith(name.split("!")[-1])
                     and ("!" in name) == ("!" in f["file"]))
        assert entry["status"] == "unreadable" and entry["message"], name
    # every output reads back
    for path in out.rglob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            list(csv.reader(handle))
    load_workbook(out / "consolidation.xlsx").close()
    page = html.document_fromstring((out / "report.html").read_bytes().decode("utf-8"))
    assert "good.xlsx" in "".join(str(t) for t in page.itertext())
