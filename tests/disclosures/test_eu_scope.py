"""Regulation (EU) 2017/821 scope: the shipped Annex I table and the per-line engine."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import Workbook

from mineral_compliance.cli import main
from mineral_compliance.disclosures.eu import load_annex, scope
from mineral_compliance.errors import ReferenceDataError

from ..conftest import ROOT

IMPORTS = """date,cn code,taric,quantity kg,supplier,country of origin,recycled,pre 2013,refined
2025-02-03,8001 10 00,,60000,Example Metals AG,Malaysia,no,no,
2025-05-10,8001 20 00,,50000,Example Metals AG,Indonesia,no,no,
2025-06-01,8001 10 00,,20000,Recyclers Ltd,Germany,yes,no,
2025-06-02,8001 10 00,,5000,Old Stock GmbH,Germany,no,yes,
2025-07-01,7108 12 00,,80,Gold Trading SA,Switzerland,no,no,yes
2025-07-02,7108 12 00,,10,Gold Trading SA,Peru,no,no,
2025-08-01,2615 90 00,10,500,Ore Traders,Rwanda,no,no,
2025-09-01,7403 11 00,,1000,Copper Co,Chile,no,no,
2025-13-45,8001 10 00,,1,Bad Row,Chile,no,no,
2026-01-05,8103 90 10,,200,Tantalum Parts,China,no,no,
"""


def test_the_shipped_annex_lines_and_their_confirmation() -> None:
    annex = load_annex()
    assert len(annex.lines) == 23 and annex.snapshot is not None
    assert all(line.confirmed and line.threshold_kg for line in annex.lines)
    by_id = {line.id: line for line in annex.lines}
    assert by_id["A1"].threshold_kg == 5000
    # the five values Delegated Regulation (EU) 2020/1588 set, each citing both acts
    amended = {"A3": 100_000, "A4": 4_000_000, "B2": 3_600, "B5": 30, "B7": 770}
    assert {i: by_id[i].threshold_kg for i in amended} == amended
    assert all("2020/1588" in by_id[i].threshold_source
               and "2017/821" in by_id[i].threshold_source for i in amended)
    assert {i for i, line in by_id.items() if "2020/1588" in line.threshold_source} == set(
        amended)
    assert "2017/821" in annex.source and "2020/1588" in annex.source
    # the table in the package is the one the domain notes quote, line for line
    domain = ROOT.parent / "shared" / "docs" / "domain.md"
    if domain.is_file():
        text = domain.read_text(encoding="utf-8")
        for line in annex.lines:
            if line.confirmed:
                assert f"{line.threshold_kg:,}".replace(",", " ") in text, line.id


def test_scope_per_year_and_line(tmp_path: Path) -> None:
    path = tmp_path / "imports.csv"
    path.write_text(IMPORTS, encoding="utf-8")
    report = scope(path)
    by = {(x.year, x.line): x for x in report.lines}
    tin = by[(2025, "B10")]
    assert (tin.imported_kg, tin.excluded_kg, tin.counted_kg) == (135000, 25000, 110000)
    assert tin.status == "in-scope" and "100,000 kg" in tin.explanation
    assert tin.origins == {"ID": 50000, "MY": 60000}
    # 80 kg refined gold and 10 kg whose refining is not given: below 100 kg under either
    # 7108 line, so counted as refined with the assumption said
    gold = by[(2025, "B8")]
    assert (gold.status, gold.counted_kg, gold.rows, gold.assumed_rows) == (
        "below-threshold", 90, (6, 7), (7,))
    assert "10.0 kg of gold under 7108 without the refining flag is counted here as refined; " \
        "counted under A5 instead it gives the same result" in gold.explanation
    assert (2025, "A5") not in by
    assert [row for row, _ in report.assumed] == [7] and report.ambiguous == ()
    assert by[(2025, "A3")].status == "below-threshold"  # 500 kg against 100,000 kg
    assert by[(2026, "B18")].status == "in-scope"
    annex = [line.id for line in load_annex().lines]
    assert [(x.year, annex.index(x.line)) for x in report.lines] == sorted(
        (x.year, annex.index(x.line)) for x in report.lines)  # the Annex's order: B8 before B10
    assert report.unmatched == ((9, "74031100"),)
    assert [row for row, _ in report.invalid] == [10]
    rows_accounted = sum(len(x.rows) for x in report.lines) + len(report.unmatched) + \
        len(report.ambiguous) + len(report.invalid)
    assert rows_accounted == IMPORTS.count("\n") - 1  # every data row, once
    assert [x.line for x in report.in_scope(2025)] == ["B10"]


_GOLD = "date,cn code,taric,quantity kg,supplier,country of origin,recycled,pre 2013,refined\n"


@pytest.mark.parametrize(("rows", "decided"), [
    # 95 kg refined + 10 kg unflagged: refined reaches 100 kg only if the 10 kg are refined
    (["2025-03-01,7108 13 00,,95,A,Peru,no,no,yes", "2025-03-02,7108 13 00,,10,B,Peru,no,no,"],
     None),
    # 95 kg not refined + 10 kg unflagged: the same, on the other line
    (["2025-03-01,7108 12 00,,95,A,Peru,no,no,no", "2025-03-02,7108 12 00,,10,B,Peru,no,no,"],
     None),
    # both lines already in scope: 10 kg more cannot change either
    (["2025-03-01,7108 13 00,,200,A,Peru,no,no,yes", "2025-03-01,7108 12 00,,150,A,Peru,no,no,no",
      "2025-03-02,7108 13 00,,10,B,Peru,no,no,"], {"A5": "in-scope", "B8": "in-scope"}),
    # 120 kg unflagged alone crosses 100 kg on whichever line it is counted under
    (["2025-03-02,7108 13 00,,120,B,Peru,no,no,"], None),
    # recycled gold is not counted on any line, so its refining stage cannot matter
    (["2025-03-02,7108 13 00,,500,B,Peru,yes,no,"], {"B8": "below-threshold"}),
])
def test_unflagged_gold_is_decided_only_when_either_line_gives_the_same_result(
        tmp_path: Path, rows: list[str], decided: dict[str, str] | None) -> None:
    path = tmp_path / "gold.csv"
    path.write_text(_GOLD + "\n".join(rows) + "\n", encoding="utf-8")
    report = scope(path)
    unflagged = [i + 2 for i, row in enumerate(rows) if row.endswith(",")]
    if decided is None:
        assert [row for row, _ in report.ambiguous] == unflagged and report.assumed == ()
        assert all("depends on whether it has passed the refining stage" in why
                   for _, why in report.ambiguous)
        assert not any(set(x.rows) & set(unflagged) for x in report.lines)
    else:
        assert report.ambiguous == () and [row for row, _ in report.assumed] == unflagged
        assert {x.line: x.status for x in report.lines} == decided
        assert next(x for x in report.lines if x.line == "B8").assumed_rows == tuple(unflagged)


def test_a_supplied_table_without_a_value_leaves_its_line_undecided(tmp_path: Path) -> None:
    data = json.loads((ROOT / "src" / "mineral_compliance" / "data" / "eu-annex-i.json")
                      .read_text(encoding="utf-8"))
    for line in data["lines"]:
        if line["id"] == "A3":
            line.update(threshold_kg=None, confirmed=False, threshold_source="user's copy")
    table = tmp_path / "annex.json"
    table.write_text(json.dumps(data), encoding="utf-8")
    imports = tmp_path / "imports.csv"
    imports.write_text(IMPORTS, encoding="utf-8")
    line = next(x for x in scope(imports, load_annex(table)).lines if x.line == "A3")
    assert line.status == "threshold-not-confirmed" and line.threshold_kg is None
    assert "gives no confirmed threshold for this line" in line.explanation


def test_an_updated_table_decides_the_unconfirmed_lines(tmp_path: Path) -> None:
    data = json.loads((ROOT / "src" / "mineral_compliance" / "data" / "eu-annex-i.json")
                      .read_text(encoding="utf-8"))
    for line in data["lines"]:
        if line["id"] == "A3":
            line.update(threshold_kg=400, confirmed=True, threshold_source="user's copy")
    updated = tmp_path / "annex.json"
    updated.write_text(json.dumps(data), encoding="utf-8")
    imports = tmp_path / "imports.csv"
    imports.write_text(IMPORTS, encoding="utf-8")
    report = scope(imports, load_annex(updated))
    assert next(x for x in report.lines if x.line == "A3").status == "in-scope"
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="Annex I"):
        load_annex(bad)


@pytest.mark.parametrize(("content", "why"), [
    (b'{"lines": [' * 5000, "nested too deeply"),
    (b"\xff\xfe not JSON", "not an Annex I table"),
    (b" " * (5 * 1024 * 1024 + 1), "byte limit"),
], ids=["nested", "not JSON", "too large"])
def test_a_damaged_annex_table_is_a_typed_error_naming_the_file(
        tmp_path: Path, content: bytes, why: str) -> None:
    bad = tmp_path / "annex.json"
    bad.write_bytes(content)
    with pytest.raises(ReferenceDataError) as caught:
        load_annex(bad)
    assert why in str(caught.value) and "annex.json" in str(caught.value)


def test_xlsx_imports_and_the_command(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in IMPORTS.strip().splitlines():
        sheet.append(line.split(","))
    book.save(tmp_path / "imports.xlsx")
    assert main(["eu", "scope", str(tmp_path / "imports.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "B10  in-scope" in out and "row 9: CN 74031100" in out
    assert main(["eu", "scope", str(tmp_path / "imports.xlsx"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["imports"]["rows"] == 9  # 10 rows, 1 unreadable
    (tmp_path / "nohead.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["eu", "scope", str(tmp_path / "nohead.csv")]) == 2


def test_eu_documents_from_consolidation_imports_and_cahra(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from mineral_compliance.consolidation import consolidate
    from mineral_compliance.disclosures.eu_report import render_eu
    from mineral_compliance.models.profile import CompanyProfile
    from mineral_compliance.refdata import load_cahra

    from ..conftest import FIXTURES

    c = consolidate([FIXTURES / "demo"], executor=ThreadPoolExecutor(2))
    imports = tmp_path / "imports.csv"
    imports.write_text(IMPORTS + "2025-10-01,8001 10 00,,10,Example,Myanmar,no,no,\n",
                       encoding="utf-8")
    cahra = tmp_path / "cahra.json"
    cahra.write_text(json.dumps({"meta": {}, "entries": [
        {"iso2": "MM", "countryName": "Myanmar", "regions": [
            {"name": "Example", "code": "MM-11", "conflictAffected": True,
             "highRisk": True}]}]}), encoding="utf-8")
    profile = CompanyProfile.model_validate({
        "registrant_name": "Example Importer GmbH", "state_of_incorporation": "Hamburg",
        "address": "Example Street 1", "contact_name": "Compliance", "contact_phone": "+49 1",
        "reporting_year": 2025, "products": []})
    files = render_eu(profile, c, scope(imports), load_cahra(cahra))
    dumped = json.loads(files["eu-report-data.json"])
    assert set(dumped) == {"public", "internal"}
    data = dumped["public"]
    assert data["in_scope_lines"] == ["B10"] and data["unconfirmed_lines"] == []
    assert data["import_origins_in_cahra_list"] == ["MM"]
    expected = sorted((s.metal, s.smelter_id) for s in c.smelters
                      if s.smelter_id and not s.needs_review
                      and s.metal in ("Tin", "Tantalum", "Tungsten", "Gold"))
    assert sorted((x["metal"], x["smelter_id"]) for x in data["smelters"]) == expected
    assert [o["article"] for o in data["obligations"]][:2] == ["Art. 1(3)", "Art. 4(a)"]
    markers = set(re.findall(r"\[TO BE COMPLETED BY THE COMPANY: ([^\]]+)\]",
                             files["eu-annual-report.md"]))
    assert markers == {s["title"] for s in data["slots"]}
    custody = list(csv.DictReader(io.StringIO(files["chain-of-custody.csv"])))
    readable_2025 = [r for r in scope(imports).records if r.date.year == 2025]
    assert [int(r["row"]) for r in custody] == [r.row for r in readable_2025]
    assert {r["annex_line"] for r in custody if r["cn_code"] == "74031100"} == {
        "not in Annex I"}
    assert {r["annex_line"] for r in custody if r["cn_code"].startswith("8001")} == {"B10"}
    pack = json.loads(files["competent-authority-pack.json"])
    assert pack["reporting_year"] == 2025 and pack["snapshots"]
    # the import origins behind the public figures, row by row, are in the audit trail only
    origins = next(s for s in dumped["internal"]["sections"] if s["title"] == "Import origins")
    assert {e["subject"] for e in origins["entries"]} == {
        f"Imports from {k}" for k in data["import_origins_kg"]}
    assert render_eu(profile, c, scope(imports), load_cahra(cahra)) == files
    # without the CAHRA list, nothing claims a screening that did not happen
    bare = render_eu(profile, c, scope(imports), None)
    unscreened = bare["eu-annual-report.md"]
    assert "Import origins on the CAHRA list: not assessed against the EU indicative list" \
        in unscreened
    # c was made without one
    assert "indicative CAHRA list: not assessed against the EU indicative list" in unscreened
    assert "on the CAHRA list: none" not in unscreened
    # the public report says what was not done; the instruction goes to the checklist
    assert "--cahra" not in unscreened and "--cahra" in bare["eu-checklist.md"]
    screened = files["eu-annual-report.md"]
    assert "Import origins on the CAHRA list: MM" in screened


@pytest.mark.parametrize(("imports", "expected"), [
    (None, "The company's import records were not assessed against Annex I in this report."),
    ("2024-02-03,8001 10 00,,60000,Example Metals AG,Malaysia,no,no,\n",
     "The company's import records show no import under an Annex I line in 2025."),
    ("2025-02-03,8001 10 00,,60000,Example Metals AG,Malaysia,no,no,\n",
     "| B10 | Tin, unwrought | 60,000.0 | 100,000 | below-threshold |"),
])
def test_the_imports_section_says_what_was_assessed(
        tmp_path: Path, imports: str | None, expected: str) -> None:
    """No records, records of other years, records of the year: never an empty table."""
    from concurrent.futures import ThreadPoolExecutor

    from mineral_compliance.consolidation import consolidate
    from mineral_compliance.disclosures.eu_report import render_eu
    from mineral_compliance.models.profile import CompanyProfile

    from ..conftest import FIXTURES

    profile = CompanyProfile.model_validate({
        "registrant_name": "Example Importer GmbH", "state_of_incorporation": "Hamburg",
        "address": "Example Street 1", "contact_name": "Compliance", "contact_phone": "+49 1",
        "reporting_year": 2025, "products": []})
    report = None
    if imports is not None:
        path = tmp_path / "imports.csv"
        path.write_text(IMPORTS.splitlines()[0] + "\n" + imports, encoding="utf-8")
        report = scope(path)
    one = consolidate([FIXTURES / "demo" / "cmrt-6.6-requester-products.xlsx"],
                      executor=ThreadPoolExecutor(1))
    text = render_eu(profile, one, report)["eu-annual-report.md"]
    section = text.split("## 2. Imports in scope", 1)[1].split("## 3.", 1)[0]
    assert expected in section
    assert ("| Annex I line |" in section) is (imports is not None and "2025-" in imports)
