"""The entries of a workbook's package: part names in another case than the relationships
give them (``Workbook.part_name``), entries named twice, and more entries than a workbook has.

Part names compare as case-insensitive ASCII (ECMA-376 Part 2, M1.12): a package whose zip
entries are ``XL/WORKSHEETS/SHEET1.XML`` while its relationships name
``worksheets/sheet1.xml`` is sound, and Excel opens it. It must read, check and be written
back as its twin with the names as Excel writes them; two entries differing only in case
(which M1.12 forbids) must never read one for the other without a word, and two entries of
one name, which readers resolve differently (zipfile takes the last), are refused."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from mineral_compliance import read_template, validate_file
from mineral_compliance.errors import MalformedTemplateError, NotAWorkbookError
from mineral_compliance.templates import _xlsx
from mineral_compliance.templates._xlsx import patch_cells

from ..conftest import FIXTURES, needs_reference, reference_files

CMRT = FIXTURES / "demo" / "cmrt-6.22-messy-answers.xlsx"
DEMO = [CMRT, FIXTURES / "demo" / "emrt-2.11-complete.xlsx",
        FIXTURES / "demo" / "crt-2.21-complete.xlsx"]

RENAMINGS: dict[str, Callable[[str], str]] = {
    "worksheets capitalised": lambda n: n.replace("xl/worksheets/sheet", "xl/worksheets/Sheet"),
    "every name upper case": str.upper,
    "every name but the content types upper case": lambda n: (
        n if n == "[Content_Types].xml" else n.upper()),
    "folders title case": lambda n: "/".join(p.title() for p in n.split("/")[:-1])
    + ("/" if "/" in n else "") + n.split("/")[-1],
}


def renamed(src: Path, dest: Path, rename: Callable[[str], str]) -> Path:
    """A copy of ``src`` with every zip entry named by ``rename``, its bytes unchanged."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(rename(info.filename), zin.read(info))
    return dest


def _read(path: Path) -> str:
    return read_template(path).model_dump_json(exclude={"file", "sha256"}).replace(
        str(path), "<file>")


@pytest.mark.parametrize("rename", RENAMINGS)
@pytest.mark.parametrize("path", DEMO, ids=[p.name for p in DEMO])
def test_a_package_with_names_in_another_case_reads_as_its_twin(
        path: Path, rename: str, tmp_path: Path) -> None:
    twin = renamed(path, tmp_path / path.name, RENAMINGS[rename])
    with zipfile.ZipFile(twin) as z:
        assert set(z.namelist()) != set(zipfile.ZipFile(path).namelist())
    assert _read(twin) == _read(path)


def test_the_checks_of_a_package_in_upper_case_are_those_of_its_twin(tmp_path: Path) -> None:
    twin = renamed(CMRT, tmp_path / "t.xlsx", str.upper)
    ours, theirs = validate_file(CMRT), validate_file(twin)
    assert ours.findings
    assert ([(f.code, f.message, f.sheet, f.cell) for f in theirs.findings]
            == [(f.code, f.message, f.sheet, f.cell) for f in ours.findings])


def test_a_package_in_upper_case_is_written_back_under_its_own_names(tmp_path: Path) -> None:
    twin = renamed(CMRT, tmp_path / "t.xlsx", str.upper)
    out = patch_cells(twin, {"Declaration!D8": "Renamed Parts Ltd."}, tmp_path / "out.xlsx")
    assert read_template(out).company.name.value == "Renamed Parts Ltd."
    with zipfile.ZipFile(twin) as before, zipfile.ZipFile(out) as after:
        # the edited parts replace their own entries: none is added under another case
        assert sorted(after.namelist()) == sorted(before.namelist())
        workbook = next(n for n in after.namelist() if n.endswith("WORKBOOK.XML"))
        assert b'fullCalcOnLoad="1"' in after.read(workbook)


def _two_alike(dest: Path, target_case: Callable[[str], str]) -> Path:
    """The demo file with a second Declaration sheet entry, its file name in upper case and
    another company in it, the workbook's relationship naming the sheet by ``target_case``."""
    wb = _xlsx.open_workbook(CMRT)
    part = next(s.part for s in wb.sheets if s.name == "Declaration")
    with zipfile.ZipFile(CMRT) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                base = part.rsplit("/", 1)[1]
                assert f'/worksheets/{base}"'.encode() in data
                data = data.replace(f'/worksheets/{base}"'.encode(),
                                    f'/worksheets/{target_case(base)}"'.encode())
            zout.writestr(info, data)
            if info.filename == part:
                folder, base = part.rsplit("/", 1)
                zout.writestr(f"{folder}/{base.upper()}",
                              data.replace(b"Acme Widgets", b"Other Widgets"))
    return dest


def test_of_two_entries_alike_the_one_named_as_written_is_read(tmp_path: Path) -> None:
    as_written = _two_alike(tmp_path / "exact.xlsx", lambda base: base)
    assert read_template(as_written).company.name.value == "Acme Widgets Example Ltd."
    upper = _two_alike(tmp_path / "upper.xlsx", str.upper)
    assert read_template(upper).company.name.value == "Other Widgets Example Ltd."


def test_two_entries_alike_neither_named_as_written_is_a_typed_error(tmp_path: Path) -> None:
    neither = _two_alike(tmp_path / "neither.xlsx", str.title)
    with pytest.raises(MalformedTemplateError, match=r"(?i)xl/worksheets/Sheet\d+\.Xml.*missing"):
        read_template(neither)


@needs_reference
@pytest.mark.parametrize("path", reference_files("cmrt", "RMI_CMRT_6.4_*.xlsx")[:1],
                         ids=lambda p: p.name)
def test_a_real_supplier_file_in_upper_case_reads_as_its_twin(path: Path, tmp_path: Path
                                                              ) -> None:
    twin = renamed(path, tmp_path / "t.xlsx", str.upper)
    assert _read(twin) == _read(path)


@pytest.mark.parametrize("twice", ["xl/worksheets/sheet4.xml", "xl/workbook.xml",
                                   "[Content_Types].xml", "docProps/app.xml"])
def test_an_entry_named_twice_is_refused_naming_it(twice: str, tmp_path: Path) -> None:
    dest = tmp_path / "twice.xlsx"
    with zipfile.ZipFile(CMRT) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, data)
            if info.filename == twice:
                with pytest.warns(UserWarning, match="Duplicate name"):
                    zout.writestr(info, data.replace(b"Acme Widgets", b"Other Widgets"))
    with pytest.raises(MalformedTemplateError, match="more than one entry named") as caught:
        read_template(dest)
    assert repr(twice) in str(caught.value)
    with pytest.raises(MalformedTemplateError, match="more than one entry"):
        patch_cells(dest, {"Declaration!D8": "x"}, tmp_path / "out.xlsx")


def _with_entries(dest: Path, extra: int) -> Path:
    with zipfile.ZipFile(CMRT) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        for k in range(extra):
            zout.writestr(zipfile.ZipInfo(f"x/{k:x}"), b"")
    return dest


def test_a_package_of_more_entries_than_a_workbook_has_is_refused_unparsed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with zipfile.ZipFile(CMRT) as z:
        parts = len(z.namelist())
    fits = _with_entries(tmp_path / "fits.xlsx", _xlsx._MAX_PACKAGE_ENTRIES - parts)
    assert read_template(fits).company.name.value == "Acme Widgets Example Ltd."
    over = _with_entries(tmp_path / "over.xlsx", _xlsx._MAX_PACKAGE_ENTRIES - parts + 1)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the directory was parsed")
    monkeypatch.setattr(zipfile, "ZipFile", refuse)
    with pytest.raises(NotAWorkbookError, match=r"declares 10,001 entries"):
        read_template(over)


def test_a_directory_larger_than_its_entries_need_is_refused(tmp_path: Path) -> None:
    # few entries with long names: the directory's size, not its count, is what zipfile reads
    dest = tmp_path / "long.xlsx"
    with zipfile.ZipFile(CMRT) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        for k in range(80):
            zout.writestr(zipfile.ZipInfo(f"{k:02}" + "n" * 60_000), b"")
    with pytest.raises(NotAWorkbookError, match=r"directory of [\d,]+ bytes, over"):
        read_template(dest)
