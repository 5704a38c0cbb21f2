"""Files of other formats a supplier may send instead of the .xlsx template: each is refused
naming what it is (an Excel binary workbook, an OpenDocument spreadsheet, a Word, PowerPoint
or iWork document), with what to send instead, never with a parser's message about the
wrong kind of bytes; and the Excel workbooks in XML (macro-enabled, templates, a package
that declares no content type for its workbook) still read."""

from __future__ import annotations

import shutil
import subprocess
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from mineral_compliance import read_template
from mineral_compliance.errors import NotAWorkbookError

from ..conftest import FIXTURES

DEMO = FIXTURES / "demo" / "cmrt-6.22-messy-answers.xlsx"
_SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
          'content-types"><Override PartName="/{main}" ContentType="{kind}"/></Types>')
_RELS = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
         '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
         'officeDocument/2006/relationships/officeDocument" Target="{main}"/></Relationships>')

OFFICE = {
    "an Excel binary workbook (.xlsb)": ("xl/workbook.bin",
                                         "application/vnd.ms-excel.sheet.binary.macroEnabled.main"),
    "a Word document": ("word/document.xml", "application/vnd.openxmlformats-officedocument."
                        "wordprocessingml.document.main+xml"),
    "a PowerPoint presentation": ("ppt/presentation.xml", "application/vnd.openxmlformats-"
                                  "officedocument.presentationml.presentation.main+xml"),
}


def _office(path: Path, main: str, kind: str) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", _TYPES.format(main=main, kind=kind))
        z.writestr("_rels/.rels", _RELS.format(main=main))
        z.writestr(main, b"\x83\x01\x00" if main.endswith(".bin") else b"<document/>")
    return path


@pytest.mark.parametrize("what", OFFICE)
def test_an_office_file_that_is_no_xml_workbook_is_named_for_what_it_is(
        what: str, tmp_path: Path) -> None:
    path = _office(tmp_path / "supplier.xlsx", *OFFICE[what])
    with pytest.raises(NotAWorkbookError) as caught:
        read_template(path)
    assert f"the file is {what}" in str(caught.value)
    assert "save it as an Excel Workbook (.xlsx)" in (caught.value.hint or "")
    assert caught.value.path == str(path)


@pytest.mark.parametrize(("entries", "what"), [
    ({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
      "content.xml": b"<office:document-content/>"}, "an OpenDocument spreadsheet (.ods)"),
    ({"mimetype": b"application/vnd.oasis.opendocument.text"},
     "an OpenDocument document (not a spreadsheet)"),
    ({"Index/Document.iwa": b"\0", "Metadata/Properties.plist": b""},
     "an Apple iWork document"),
])
def test_a_document_of_another_program_is_named_for_what_it_is(
        entries: dict[str, bytes], what: str, tmp_path: Path) -> None:
    path = tmp_path / "supplier.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    with pytest.raises(NotAWorkbookError, match=r"the file is " + what.replace("(", r"\(")
                       .replace(")", r"\)")):
        read_template(path)


def test_a_plain_zip_is_still_a_zip_with_no_workbook(tmp_path: Path) -> None:
    path = tmp_path / "supplier.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(NotAWorkbookError, match="holds no spreadsheet workbook part"):
        read_template(path)


def test_a_mimetype_entry_is_read_only_as_far_as_its_name(tmp_path: Path) -> None:
    path = tmp_path / "bomb.ods"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"
                   + b" " * (60 << 20))
    tracemalloc.start()
    try:
        with pytest.raises(NotAWorkbookError, match="OpenDocument spreadsheet"):
            read_template(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20  # (the 60 MB it inflates to are never held)


@pytest.mark.parametrize("kind", [
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    None,
])
def test_excel_workbooks_in_xml_of_every_kind_still_read(kind: str | None,
                                                          tmp_path: Path) -> None:
    path = tmp_path / "supplier.xlsm"
    with zipfile.ZipFile(DEMO) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "[Content_Types].xml":
                before = data
                old = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
                assert old in data
                data = (data.replace(old, kind.encode()) if kind is not None else
                        data.replace(b'PartName="/xl/workbook.xml"', b'PartName="/xl/other.xml"'))
                assert data != before
            z.writestr(info, data)
    assert (read_template(path).company.name.value
            == read_template(DEMO).company.name.value == "Acme Widgets Example Ltd.")


@pytest.mark.skipif(_SOFFICE is None, reason="LibreOffice (soffice) is not installed (.ci/run "
                    "installs it)")
def test_a_template_saved_as_ods_by_libreoffice_is_named_for_what_it_is(tmp_path: Path) -> None:
    assert _SOFFICE is not None
    profile = tmp_path / "profile"
    subprocess.run([_SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "ods", "--outdir", str(tmp_path), str(DEMO)],
                   check=True, capture_output=True, timeout=180)
    ods = tmp_path / (DEMO.stem + ".ods")
    assert zipfile.is_zipfile(ods)
    with pytest.raises(NotAWorkbookError, match=r"OpenDocument spreadsheet \(\.ods\)"):
        read_template(ods)
