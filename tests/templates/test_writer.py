"""Writing a declaration into an RMI workbook: read back identical, literals as the version
stores them, the workbook intact, and the RMI Checker's own verdict on the result."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from mineral_compliance import read_template, write_template
from mineral_compliance.errors import TemplateError
from mineral_compliance.findings import Basis
from mineral_compliance.models import Declaration
from mineral_compliance.rules import validate
from mineral_compliance.templates import _xlsx
from mineral_compliance_oracle import run_checker

from ..conftest import FIXTURES, REFERENCE, UNO_PYTHON, needs_libreoffice, needs_reference

DEMO = sorted((FIXTURES / "demo").glob("*.xlsx"))
FILLED = sorted((REFERENCE / "cmrt").glob("RMI_*CMRT_6.4_*.xlsx")) if REFERENCE.is_dir() else []
BLANK_64 = REFERENCE / "cmrt" / "RMI_CMRT_6.4.xlsx"


def _plain(decl: Declaration) -> dict[str, Any]:
    plain = decl.to_plain()
    del plain["file"], plain["sha256"]
    return plain


@pytest.mark.parametrize("path", DEMO, ids=lambda p: p.name)
def test_every_demo_declaration_reads_back_identical(path: Path, tmp_path: Path) -> None:
    decl = read_template(path)
    out = write_template(decl, template=path, out=tmp_path / "written.xlsx")
    assert _plain(read_template(out)) == _plain(decl)


def test_a_cleared_copy_is_filled_again(tmp_path: Path) -> None:
    """Writing into a workbook whose inputs were emptied restores every value."""
    source = FIXTURES / "demo" / "cmrt-6.22-messy-answers.xlsx"
    decl = read_template(source)
    empty = read_template(source).model_copy(update={
        "company": decl.company.model_copy(update={
            f: getattr(decl.company, f).model_copy(update={"value": None, "raw": None,
                                                           "origin": "blank",
                                                           "status": "blank"})
            for f in ("name", "contact_email")})})
    blankish = write_template(empty, template=source, out=tmp_path / "blankish.xlsx")
    assert read_template(blankish).company.name.value is None  # the constant was cleared
    again = write_template(decl, template=blankish, out=tmp_path / "again.xlsx")
    assert _plain(read_template(again)) == _plain(decl)


def test_100_percent_goes_in_as_the_number_where_the_list_holds_the_number(
        tmp_path: Path) -> None:
    source = FIXTURES / "demo" / "cmrt-6.01-numeric-response-rate.xlsx"
    decl = read_template(source)
    assert any(qa.get("6") and qa["6"].answer.value == "100%" for qa in decl.answers.values())
    out = write_template(decl, template=source, out=tmp_path / "written.xlsx")
    cells = _xlsx.open_workbook(out).cells("Declaration")
    stored = [c for c in cells.values() if c.col == "D" and 56 <= c.row <= 59]
    assert stored and all(c.kind == "n" and c.value == 1.0 for c in stored
                          if c.value in (1.0, "100%"))


def test_refusals(tmp_path: Path) -> None:
    cmrt = read_template(FIXTURES / "demo" / "cmrt-6.5-product-scope.xlsx")
    with pytest.raises(TemplateError, match="CMRT, the template a EMRT"):
        write_template(cmrt, template=FIXTURES / "demo" / "emrt-2.1-selected-minerals.xlsx",
                       out=tmp_path / "x.xlsx")
    crowded = cmrt.model_copy(update={"smelters": cmrt.smelters * 1000})
    with pytest.raises(TemplateError, match="do not fit"):
        write_template(crowded, template=FIXTURES / "demo" / "cmrt-6.5-product-scope.xlsx",
                       out=tmp_path / "x.xlsx")
    assert not list(tmp_path.iterdir())  # nothing half-written is left behind


@needs_reference
@pytest.mark.parametrize("path", FILLED, ids=lambda p: p.name)
def test_real_supplier_files_written_into_the_blank_official_workbook(
        path: Path, tmp_path: Path) -> None:
    decl = read_template(path)
    out = write_template(decl, template=BLANK_64, out=tmp_path / "written.xlsx")
    assert _plain(read_template(out)) == _plain(decl)
    load_workbook(out).close()  # opens without complaint
    edited = {s.part for s in _xlsx.open_workbook(BLANK_64).sheets
              if s.name in ("Declaration", "Smelter List", "Product List")}
    with zipfile.ZipFile(out) as z, zipfile.ZipFile(BLANK_64) as blank:
        assert z.testzip() is None
        rewritten = {*edited, "xl/workbook.xml", "xl/calcChain.xml", "[Content_Types].xml",
                     "xl/_rels/workbook.xml.rels"}
        kept = [n for n in blank.namelist() if n not in rewritten]
        assert len(kept) > 20  # styles, other sheets, look-ups, drawings: byte for byte
        assert all(z.read(n) == blank.read(n) for n in kept)


@needs_reference
@needs_libreoffice
def test_libreoffice_checker_agrees_on_written_workbooks(tmp_path: Path) -> None:
    """A complete declaration written into the blank 6.4 leaves the RMI Checker with nothing
    open; incomplete ones open exactly the items our rules report."""
    written: dict[str, tuple[Path, Declaration]] = {}
    for path in FILLED:
        decl = read_template(path)
        written[path.name] = (write_template(decl, template=BLANK_64,
                                             out=tmp_path / f"{len(written)}.xlsx"), decl)
    jx = next(d for n, (_, d) in written.items() if "JX" in n)
    incomplete = jx.model_copy(update={"company_answers": {
        k: v.model_copy(update={"answer": v.answer.model_copy(update={
            "value": None, "raw": None, "origin": "blank", "status": "blank"})})
        if k in ("B", "E") else v for k, v in jx.company_answers.items()}})
    written["jx-without-B-and-E"] = (write_template(incomplete, template=BLANK_64,
                                                    out=tmp_path / "incomplete.xlsx"),
                                     incomplete)
    results = run_checker([p for p, _ in written.values()], python=UNO_PYTHON)
    for (name, (path, _decl)), result in zip(written.items(), results, strict=True):
        assert result.error is None, name
        ours = sorted({f.checker_item for f in validate(read_template(path)).findings
                       if f.basis is Basis.CHECKER and f.checker_item})
        assert ours == result.open_keys(), name
    by_name = dict(zip(written, results, strict=True))
    jx_name = next(n for n in written if "JX" in n)
    assert by_name[jx_name].open_keys() == []
    assert by_name["jx-without-B-and-E"].open_keys() == ["Declaration!D77", "Declaration!D83"]


@needs_reference
@needs_libreoffice
def test_libreoffice_checker_agrees_on_an_emrt_written_into_the_blank_2_1(
        tmp_path: Path) -> None:
    blank = REFERENCE / "emrt" / "RMI_EMRT_2.1.xlsx"
    decl = read_template(FIXTURES / "demo" / "emrt-2.1-selected-minerals.xlsx")
    out = write_template(decl, template=blank, out=tmp_path / "emrt.xlsx")
    back = read_template(out)
    assert back.minerals == decl.minerals
    assert back.to_plain()["answers"] == decl.to_plain()["answers"]
    [result] = run_checker([out], python=UNO_PYTHON)
    ours = sorted({f.checker_item for f in validate(back).findings
                   if f.basis is Basis.CHECKER and f.checker_item})
    assert result.error is None and ours == result.open_keys() and ours
