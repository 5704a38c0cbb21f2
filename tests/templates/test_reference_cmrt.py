"""The reader against the real RMI CMRT workbooks in ../shared/reference/cmrt.

Two oracles: facts read off the workbooks by hand (counts, metals, literals), and openpyxl's own
reading of the same input cells, which shares no code with our reader.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from mineral_compliance.errors import (
    EncryptedWorkbookError,
    LegacyFormatError,
    MineralComplianceError,
    UnsupportedVersionError,
)
from mineral_compliance.models import Declaration, Origin
from mineral_compliance.templates import read_template, reference_from_template
from mineral_compliance.templates.layouts import LAYOUTS

from .._workbooks import reference_templates
from ..conftest import REFERENCE, needs_reference

pytestmark = needs_reference

CMRT = REFERENCE / "cmrt"
CMRT6 = [f.path for f in reference_templates() if f.kind == "CMRT"]
NEW = {v for layout in LAYOUTS if not layout.from_workbook for v in layout.versions}
"""Versions whose tables rest on published mappings: a real file of theirs may turn up."""
JX = CMRT / "RMI_CMRT_6.4_JX Advanced Metals Corporation.xlsx"
CG = CMRT / "RMI_CMRT_6.4_20240426_CG20240510_基佳giga.xlsx"
SK = CMRT / "RMI_CMRT_6.4_20240509(WF6)_SK.xlsx"
MERCK = CMRT / "RMI_WF6_CMRT_6.4_Apr2024_Merck.xlsx"

VERSIONS = {
    "RMI_CMRT_6.01.xlsx": "6.01",
    "RMI_CMRT_6.1.xlsx": "6.1",
    "RMI_CMRT_6.22.xlsx": "6.22",
    "RMI_CMRT_6.31.xlsx": "6.31",
    "RMI_CMRT_6.4.xlsx": "6.4",
    "RMI_CMRT_6.5_(Security C) (1).xlsx": "6.5",
    JX.name: "6.4",
    CG.name: "6.4",
    SK.name: "6.4",
    MERCK.name: "6.4",
}


@cache
def read(path: Path) -> Declaration:
    return read_template(path)


@cache
def openpyxl_view(path: Path) -> Any:
    return load_workbook(path, read_only=False, data_only=False)


def _strip(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def test_every_cmrt6_reference_file_is_covered() -> None:
    found = {f.path.name: f.version for f in reference_templates() if f.kind == "CMRT"}
    assert set(VERSIONS) <= set(found)
    assert all(found[name] in NEW for name in set(found) - set(VERSIONS))


@pytest.mark.parametrize("path", CMRT6, ids=lambda p: p.name)
def test_kind_and_version_detected_from_the_workbook(path: Path) -> None:
    decl = read(path)
    assert decl.template.kind == "CMRT"
    assert decl.template.version == VERSIONS.get(path.name, decl.template.version)
    assert path.name in VERSIONS or decl.template.version in NEW
    assert decl.template.version_source.cell == "J3"
    assert decl.template.revision_date is not None
    assert decl.template.revision_date.year >= 2020


@pytest.mark.parametrize(
    "name,language",
    [("RMI_CMRT_6.22.xlsx", "中文 Chinese"), ("RMI_CMRT_6.5_(Security C) (1).xlsx", "English")],
)
def test_language_picker_is_recorded_and_does_not_change_detection(
    name: str, language: str
) -> None:
    assert read(CMRT / name).template.language.value == language


@pytest.mark.parametrize("path", CMRT6, ids=lambda p: p.name)
def test_declaration_inputs_equal_what_openpyxl_sees(path: Path) -> None:
    """Company block, every per-metal answer and company answer, cell by cell."""
    decl = read(path)
    ws = openpyxl_view(path)["Declaration"]
    c = decl.company
    for value in (c.name, c.contact_email, c.contact_phone, c.authorizer, c.unique_id):
        expected = _strip(ws[value.provenance.cell].value)
        assert value.value == (str(expected) if expected is not None else None)
    for metal, questions in decl.answers.items():
        for qa in questions.values():
            raw = ws[qa.answer.provenance.cell].value
            if raw is None or _strip(raw) is None:
                assert qa.answer.value is None, (metal, qa.question)
            elif raw == 1 and qa.question == "6":
                assert qa.answer.value == "100%"
            else:
                assert qa.answer.value is not None
                assert qa.answer.value.casefold() == str(raw).strip().casefold()
    for letter, qa in decl.company_answers.items():
        raw = _strip(ws[qa.answer.provenance.cell].value)
        assert qa.answer.value == raw, letter


@pytest.mark.parametrize("path", CMRT6, ids=lambda p: p.name)
def test_smelter_and_product_rows_equal_what_openpyxl_sees(path: Path) -> None:
    decl = read(path)
    wb = openpyxl_view(path)
    sl = wb["Smelter List"]
    typed_rows = []
    for row in range(5, 2505):
        cells = [sl.cell(row, col).value for col in range(1, 18)]
        if any(_strip(v) is not None and not (isinstance(v, str) and v.startswith("="))
               for v in cells):
            typed_rows.append(row)
    assert [s.row for s in decl.smelters] == typed_rows
    for s in decl.smelters:
        for value in (s.metal, s.country, s.lookup_name):
            raw = sl[value.provenance.cell].value
            if value.origin is Origin.INPUT:
                assert value.value == _strip(raw)
    pl = wb["Product List"]
    typed_products = [
        r for r in range(6, pl.max_row + 1)
        if any(_strip(v) is not None and not str(v).startswith("=")
               for v in (pl.cell(r, c).value for c in (2, 3, 4)))
        and not str(pl.cell(r, 2).value or "").startswith("\u00a9")
    ]
    assert [p.row for p in decl.products] == typed_products


def _metals(decl: Declaration) -> set[str | None]:
    return {s.metal.value for s in decl.smelters}


def test_jx_scope_b_tantalum_and_tungsten() -> None:
    decl = read(JX)
    assert decl.company.scope_code == "B"
    assert decl.company.effective_date.value == dt.date(2024, 5, 30)
    assert len(decl.smelters) == 27
    assert _metals(decl) == {"Tantalum", "Tungsten"}
    assert all(s.smelter_id.value and s.smelter_id.value.startswith("CID") for s in decl.smelters)
    assert [p.name.value for p in decl.products] == [
        "Ta/ Ta alloy Target", "W/ W alloy Target", "Other Tantalum parts"]
    assert decl.answers["Tantalum"]["1"].answer.value == "Yes"
    assert decl.answers["Tin"]["1"].answer.value == "No"
    assert decl.answers["Tungsten"]["6"].answer.value == "100%"


def test_jx_blank_country_is_rederived_from_the_lookup() -> None:
    """Row 10 has the country cell emptied; the reader fills it as the formula would."""
    row = next(s for s in read(JX).smelters if s.row == 10)
    assert row.country.origin is Origin.DERIVED
    assert row.country.value == "KAZAKHSTAN"
    assert row.country.provenance.cell == "E10"


def test_central_glass_scope_a_tungsten_only() -> None:
    decl = read(CG)
    assert decl.company.scope_code == "A"
    assert decl.company.effective_date.value == dt.date(2024, 5, 10)
    assert len(decl.smelters) == 4
    assert _metals(decl) == {"Tungsten"}
    assert decl.products == ()
    assert decl.company.contact_email.value is not None  # the typo'd address is kept as typed


def test_sk_rows_resolved_from_lookup_formulas() -> None:
    decl = read(SK)
    assert decl.company.scope_code == "B"
    assert [s.smelter_id.value for s in decl.smelters] == ["CID002082", "CID000258"]
    assert all(s.smelter_id.origin is Origin.DERIVED for s in decl.smelters)
    assert [s.country.value for s in decl.smelters] == ["CHINA", "CHINA"]
    assert len(decl.products) == 1


def test_merck_files_with_the_eu() -> None:
    decl = read(MERCK)
    assert decl.company_answers["H"].answer.value == "Yes, with the EU"
    assert len(decl.smelters) == 1
    assert decl.smelters[0].metal.value == "Tungsten"


@pytest.mark.parametrize("name", ["RMI_CMRT_6.4.xlsx", "RMI_CMRT_6.5_(Security C) (1).xlsx"])
def test_blank_templates_read_as_empty(name: str) -> None:
    decl = read(CMRT / name)
    assert decl.company.name.is_blank
    assert decl.smelters == () and decl.products == ()
    assert all(qa.answer.is_blank for q in decl.answers.values() for qa in q.values())


@pytest.mark.parametrize(
    "name,error,version",
    [
        ("1.00_-_empty.xlsx", UnsupportedVersionError, "1.00"),
        ("2.00_-_empty.xlsx", UnsupportedVersionError, "2"),
        ("2.01_-_empty.xlsx", UnsupportedVersionError, "2.01"),
        ("3.01_-_green.xlsx", UnsupportedVersionError, "3.01"),
        ("3.01_-_high_risk.xlsx", UnsupportedVersionError, "3.01"),
        ("3.01_-_validation_needed.xlsx", UnsupportedVersionError, "3.01"),
        ("2.02_-_empty.xlsx", EncryptedWorkbookError, None),
        ("2.03_-_empty.xlsx", EncryptedWorkbookError, None),
        ("2.03a_-_empty .xlsx", EncryptedWorkbookError, None),
        ("2.01_-_valid_2.xls", LegacyFormatError, None),
        ("3.01_-_empty.xls", LegacyFormatError, None),
    ],
)
def test_legacy_files_are_refused_with_a_typed_error(
    name: str, error: type[Exception], version: str | None
) -> None:
    with pytest.raises(error) as info:
        read_template(CMRT / name)
    assert isinstance(info.value, MineralComplianceError)
    assert info.value.hint  # tells the supplier what to do
    assert str(CMRT / name) in str(info.value)
    if version is not None:
        assert isinstance(info.value, UnsupportedVersionError)
        assert info.value.version == version
        assert info.value.kind == "CMRT"


@pytest.mark.parametrize(
    "name,rows,cids,per_metal",
    [
        ("RMI_CMRT_6.01.xlsx", 587, 311, {"Gold": 160, "Tin": 59, "Tungsten": 54, "Tantalum": 38}),
        ("RMI_CMRT_6.22.xlsx", 628, 350, {"Gold": 178, "Tin": 83, "Tungsten": 52, "Tantalum": 37}),
        ("RMI_CMRT_6.4.xlsx", 660, 368, {"Gold": 183, "Tin": 93, "Tungsten": 56, "Tantalum": 36}),
        ("RMI_CMRT_6.5_(Security C) (1).xlsx", 637, 349,
         {"Gold": 182, "Tin": 73, "Tungsten": 59, "Tantalum": 35}),
    ],
)
def test_reference_from_template_keeps_every_lookup_row(
    name: str, rows: int, cids: int, per_metal: dict[str, int]
) -> None:
    ref = reference_from_template(CMRT / name)
    assert (ref.kind, ref.version) == ("CMRT", VERSIONS[name])
    assert len(ref.entries) == rows
    assert len(ref.smelter_ids) == cids
    counts: dict[str, int] = {}
    for cid in ref.smelter_ids:
        metals = {e.metal for e in ref.by_id(cid)}
        assert len(metals) == 1, cid  # a CID never spans metals
        metal = metals.pop()
        counts[metal] = counts.get(metal, 0) + 1
    assert counts == per_metal
    specials = {e.lookup_name.casefold() for e in ref.entries if e.smelter_id is None}
    assert "smelter not listed" in specials
    assert all(e.smelter_id is None or len(e.smelter_id) == 9 for e in ref.entries)


def _cached(path: Path, sheet: str, refs: list[str]) -> list[object]:
    """Cached cell values as Excel saved them (openpyxl, data_only), as an oracle."""
    ws = load_workbook(path, data_only=True)[sheet]
    return [ws[ref].value for ref in refs]


def test_amrt_121_free_text_minerals_sort_into_the_workbooks_question_rows() -> None:
    path = REFERENCE / "emrt" / "RMI_AMRT_1.2.1_(Security C) (1).xlsx"
    decl = read_template(path)
    assert (decl.template.kind, decl.template.version) == ("AMRT", "1.21")
    assert decl.template.layout == "amrt-1.2"
    labels = _cached(path, "Declaration", [f"B{r}" for r in range(28, 38)])
    shown = [str(v).removesuffix("(*)") for v in labels if v]
    assert len(shown) == 9 and list(decl.minerals) == shown
    assert decl.minerals_order == "sorted"  # our own sort agrees with Excel's
    assert [q.answer.provenance.cell for q in decl.answers[shown[2]].values()] == ["D30", "D42"]
    assert decl.company.effective_date.provenance.cell == "D24"
    assert decl.company.contact_name.provenance.cell == "D17"
    assert decl.smelters == () and decl.products == () and decl.mines == ()


def test_amrt_12_chinese_minerals_follow_the_workbooks_collation() -> None:
    path = REFERENCE / "emrt" / "RMI_AMRT_1.2.xlsx"
    decl = read_template(path)
    assert (decl.template.version, decl.template.language.value) == ("1.2", "中文 Chinese")
    expected = [v for v in _cached(path, "Declaration", [f"AA{r}" for r in range(12, 22)]) if v]
    assert len(expected) == 7
    assert list(decl.minerals) == expected
    assert sorted(decl.minerals) != expected  # code-point order would misplace the answers
    assert decl.minerals_order == "workbook"
    labels = _cached(path, "Declaration", [f"B{r}" for r in range(40, 47)])
    for i, (mineral, label) in enumerate(zip(decl.minerals, labels, strict=True)):
        assert label == mineral  # the row the supplier saw the mineral's name on
        assert decl.answers[mineral]["2"].answer.provenance.cell == f"D{40 + i}"


def test_blank_amrt_13_reads_with_no_minerals_and_its_lookup() -> None:
    path = REFERENCE / "emrt" / "RMI_AMRT_1.3.xlsx"
    decl = read_template(path)
    assert (decl.template.kind, decl.template.version, decl.template.layout) == (
        "AMRT", "1.3", "amrt-1.3")
    assert decl.minerals == () and decl.answers == {} and decl.minerals_scope == ()
    assert decl.company.effective_date.provenance.cell == "D27"
    ref = reference_from_template(path)
    ws = load_workbook(path, read_only=True)["Smelter Look-up"]
    listed = [
        (row[0], row[4]) for row in ws.iter_rows(min_row=5, max_col=5, values_only=True)
        if isinstance(row[0], str) and row[0] and not row[0].startswith("=") and row[1]
    ]
    assert len(ref.entries) == len(listed) > 80
    assert {e.metal for e in ref.entries} >= {"Aluminum", "Silver", "Zinc", "Soda Ash"}
    assert {(e.metal, e.smelter_id) for e in ref.entries} == set(listed)


@pytest.mark.parametrize(
    "name,version,language",
    [("RMI_EMRT_2.0_(Security C) (1).xlsx", "2.0", "English"),
     ("RMI_EMRT_2.1.xlsx", "2.1", "中文 Chinese")],
)
def test_blank_emrt_2x_reads_with_all_six_minerals_preselected(
    name: str, version: str, language: str
) -> None:
    decl = read_template(REFERENCE / "emrt" / name)
    assert (decl.template.kind, decl.template.version) == ("EMRT", version)
    assert decl.template.language.value == language
    assert decl.minerals == ("Cobalt", "Copper", "Graphite", "Lithium", "Mica", "Nickel")
    assert [q.answer.provenance.cell for q in decl.answers["Mica"].values()] == [
        "D34", "D46", "D58", "D70", "D82", "D94", "D106"]
    assert set(decl.company_mineral_answers["C"]) == set(decl.minerals)
    assert decl.smelters == () and decl.products == () and decl.mines == ()


@pytest.mark.parametrize("version", ["1.1", "1.11", "1.2", "1.3"])
def test_emrt_1x_reads_cobalt_and_mica(version: str) -> None:
    decl = read_template(REFERENCE / "emrt" / f"RMI_EMRT_{version}.xlsx")
    assert (decl.template.kind, decl.template.version) == ("EMRT", version)
    assert decl.template.layout == ("emrt-1.1" if version in ("1.1", "1.11") else "emrt-1.2")
    assert decl.minerals == ("Cobalt", "Mica")
    assert set(decl.answers["Cobalt"]) == {"1", "2", "3", "4", "5", "6", "7"}
    assert "4" not in decl.answers["Mica"]  # the recycled question asks about cobalt only
    assert decl.answers["Mica"]["3"].choices[-1] == "India and/or Madagascar only"
    assert decl.company_mineral_answers["C"]["Mica"].answer.provenance.cell == "D75"


@pytest.mark.parametrize("name", ["RMI_CRT_2.2.xlsx", "RMI_CRT_2.21.xlsx"])
def test_crt_reads_cobalt_questions_and_company_a_to_i(name: str) -> None:
    decl = read_template(REFERENCE / "emrt" / name)
    assert (decl.template.kind, decl.template.version) == ("CRT", "2.2")  # 2.21 prints 2.2
    assert decl.minerals == ("Cobalt",)
    assert [q.answer.provenance.cell for q in decl.answers["Cobalt"].values()] == [
        "D26", "D32", "D38", "D44", "D50", "D56"]
    assert sorted(decl.company_answers) == list("ABCDEFGHI")
