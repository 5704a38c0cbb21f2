"""Dodd-Frank Section 1502: the filing deadline, the company profile, and the per-metal
determination with the facts it rests on."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mineral_compliance._io.run import MANIFEST_NAME
from mineral_compliance.consolidation import consolidate
from mineral_compliance.disclosures import Rcoi, determine, filing_deadline, load_profile
from mineral_compliance.errors import ProfileError
from mineral_compliance.models.consolidation import Consolidation
from mineral_compliance.models.profile import CompanyProfile
from mineral_compliance.templates._xlsx import patch_cells

from ..conftest import FIXTURES

PROFILE = """
registrant_name = "Example Devices Inc."
cik = "1234567"
state_of_incorporation = "Delaware"
address = "1 Example Way, Springfield"
contact_name = "Compliance Office"
contact_phone = "+1 555 0100"
reporting_year = 2025
website = "https://www.example.com/conflict-minerals"
memberships = ["Responsible Minerals Initiative"]

[[products]]
name = "Controllers"
metals = ["tin", "Gold", "Tantalum"]
manufactured = true
"""


@pytest.mark.parametrize(("year", "due"), [
    (2024, dt.date(2025, 6, 2)),   # 31 May 2025 is a Saturday
    (2025, dt.date(2026, 6, 1)),   # a Sunday
    (2026, dt.date(2027, 6, 1)),   # Monday 31 May 2027 is Memorial Day
    (2027, dt.date(2028, 5, 31)),  # a Wednesday
])
def test_the_filing_deadline_skips_weekends_and_federal_holidays(year: int,
                                                                due: dt.date) -> None:
    assert filing_deadline(year) == due


def test_profiles_load_from_toml_and_json_and_name_every_fault(tmp_path: Path) -> None:
    toml = tmp_path / "company.toml"
    toml.write_text(PROFILE, encoding="utf-8")
    profile = load_profile(toml)
    assert profile.cik == "0001234567" and profile.products[0].metals == ("Tin", "Gold",
                                                                        "Tantalum")
    as_json = tmp_path / "company.json"
    as_json.write_text(profile.model_dump_json(), encoding="utf-8")
    assert load_profile(as_json) == profile
    bad = tmp_path / "bad.toml"
    bad.write_text(PROFILE.replace('"1234567"', '"12-34"').replace('"tin"', '"Cobalt"'),
                   encoding="utf-8")
    with pytest.raises(ProfileError) as err:
        load_profile(bad)
    assert "cik" in str(err.value) and "products.0.metals" in str(err.value)
    assert "bad.toml" in str(err.value)
    with pytest.raises(ProfileError, match="cannot be read"):
        load_profile(tmp_path / "missing.toml")


def _supplier(tmp_path: Path, name: str, edits: dict[str, str],
              more: Mapping[str, str | None] | None = None) -> Path:
    base = FIXTURES / "demo" / "cmrt-6.5-product-scope.xlsx"
    # Q1 D26-29, Q2 D32-35, Q3 D38-41, Q5 D50-53: Tantalum, Tin, Gold, Tungsten
    cells: dict[str, str | None] = {"Declaration!D8": name, "Declaration!D12": name}
    cells.update({f"Declaration!{k}": v for k, v in edits.items()})
    cells.update(more or {})
    return patch_cells(base, cells, tmp_path / f"{name}.xlsx")


def test_each_metal_is_determined_with_its_facts(tmp_path: Path) -> None:
    a = _supplier(tmp_path, "Supplier A", {
        "D26": "Yes", "D27": "Yes", "D28": "Yes", "D29": "No",
        "D38": "Unknown", "D39": "No", "D40": "Yes", "D52": "No"})
    b = _supplier(tmp_path, "Supplier B", {
        "D26": "Yes", "D27": "Yes", "D28": "No", "D29": "No",
        "D38": "No", "D39": "No"})
    c = consolidate([a, b], executor=ThreadPoolExecutor(1))
    profile = CompanyProfile.model_validate({**_base_profile(), "reporting_year": 2025})
    d = determine(profile, c)
    by = {m.metal: m for m in d.metals}
    assert (by["Tantalum"].rcoi, by["Tantalum"].due_diligence_required) == (Rcoi.REASON, True)
    assert (by["Tin"].rcoi, by["Tin"].due_diligence_required) == (Rcoi.NO_REASON, False)
    assert (by["Gold"].rcoi, by["Gold"].due_diligence_required) == (Rcoi.KNOWN, True)
    assert not by["Tungsten"].in_scope and by["Tungsten"].rcoi is None
    assert d.form_sd_required and d.report_required
    assert d.filing_deadline == dt.date(2026, 6, 1)
    gold_facts = " ".join(f.statement for f in by["Gold"].facts)
    assert "1 Yes" in gold_facts and "Controllers" in gold_facts
    assert all(f.source for m in d.metals for f in m.facts)


def test_an_answer_outside_the_templates_choices_does_not_rule_countries_out(
        tmp_path: Path) -> None:
    """Q3 "No" from one supplier and "Maybe" from another: the inquiry did not show there is
    no reason to believe, so due diligence is required."""
    a = _supplier(tmp_path, "Supplier A", {"D26": "Yes", "D27": "Yes", "D38": "No",
                                           "D39": "No"})
    b = _supplier(tmp_path, "Supplier B", {"D26": "Yes", "D27": "Yes", "D38": "Maybe",
                                           "D39": "No"})
    c = consolidate([a, b], executor=ThreadPoolExecutor(1))
    profile = CompanyProfile.model_validate({**_base_profile(), "reporting_year": 2025})
    by = {m.metal: m for m in determine(profile, c).metals}
    assert (by["Tantalum"].rcoi, by["Tantalum"].due_diligence_required) == (Rcoi.REASON, True)
    assert "Maybe" in " ".join(f.statement for f in by["Tantalum"].facts)
    assert by["Tin"].rcoi is Rcoi.NO_REASON  # every answer "No"


def test_recycled_only_and_pre_2013_stock_need_no_due_diligence(tmp_path: Path) -> None:
    answers = {"D26": "Yes", "D27": "No", "D28": "Yes", "D29": "No", "D33": "No",  # tin not used
               "D38": "Unknown", "D40": "Yes", "D52": "Yes"}
    no_tin_rows = {f"Smelter List!{col}{row}": None for col in "ABCDEFGHIJKLMNOPQ"
                   for row in (5, 6, 7)}
    a = _supplier(tmp_path, "Supplier A", answers, no_tin_rows)
    c = consolidate([a], executor=ThreadPoolExecutor(1))
    profile = CompanyProfile.model_validate({**_base_profile(),
                                             "pre_2013_stock": ["Tantalum"]})
    by = {m.metal: m for m in determine(profile, c).metals}
    assert by["Gold"].recycled_only and not by["Gold"].due_diligence_required
    assert by["Tantalum"].excluded_pre_2013 and not by["Tantalum"].due_diligence_required
    assert not by["Tin"].in_scope
    assert not determine(profile, c).report_required
    # the same answers with the tin smelter rows left in: a supplier saying it does not use
    # tin while listing tin smelters is taken to use it, and the facts say why
    listed = consolidate([_supplier(tmp_path, "Supplier B", answers)],
                         executor=ThreadPoolExecutor(1))
    tin = next(m for m in determine(profile, listed).metals if m.metal == "Tin")
    assert tin.in_scope and determine(profile, listed).report_required
    assert any("lists a smelter" in f.source for f in tin.facts)


def _base_profile() -> dict[str, object]:
    return {"registrant_name": "Example Devices Inc.", "cik": "1234567",
            "state_of_incorporation": "Delaware", "address": "1 Example Way",
            "contact_name": "Compliance Office", "contact_phone": "+1 555 0100",
            "reporting_year": 2025,
            "products": [{"name": "Controllers", "metals": ["Tin", "Gold", "Tantalum"],
                          "manufactured": True}]}


def test_profile_json_round_trip() -> None:
    profile = CompanyProfile.model_validate(_base_profile())
    assert CompanyProfile.model_validate(json.loads(profile.model_dump_json())) == profile


# -- documents --------------------------------------------------------------------------------

def _text(element: Any) -> str:
    return "".join(str(t) for t in element.itertext())


def _report_case(tmp_path: Path) -> tuple[CompanyProfile, Consolidation]:
    a = _supplier(tmp_path, "Supplier A", {
        "D26": "Yes", "D27": "Yes", "D28": "Yes", "D29": "No",
        "D38": "Unknown", "D39": "No", "D40": "Yes"})
    b = _supplier(tmp_path, "Supplier B", {"D26": "Yes", "D27": "Yes", "D38": "No"})
    c = consolidate([a, b], executor=ThreadPoolExecutor(1),
                    roster=["Supplier A", "Supplier B", "Supplier C", "Supplier D"])
    profile = CompanyProfile.model_validate({**_base_profile(),
                                             "website": "https://www.example.com/cm"})
    return profile, c


def test_documents_pass_edgar_and_state_exactly_the_consolidations_figures(
        tmp_path: Path) -> None:
    from lxml import html

    from mineral_compliance.disclosures.documents import render_dodd_frank
    from mineral_compliance.disclosures.edgar import edgar_problems

    profile, c = _report_case(tmp_path)
    files = render_dodd_frank(profile, c)
    assert set(files) == {"form-sd.htm", "form-sd.md", "ex1-01.htm", "ex1-01.md",
                          "checklist.md", "audit-trail.html", "audit-trail.md",
                          "report-data.json"}
    for name in ("form-sd.htm", "ex1-01.htm"):
        assert edgar_problems(files[name]) == [], name
    # the smelter table is the consolidation's resolved smelters, row for row
    from mineral_compliance.disclosures.data import STATUS_LABELS

    expected = sorted((STATUS_LABELS[s.status], s.metal, s.name, s.country or "-",
                       s.smelter_id) for s in c.smelters
                      if not s.needs_review and s.smelter_id)
    doc = html.document_fromstring(files["ex1-01.htm"])
    tables = doc.findall(".//table")
    smelter_table = next(t for t in tables if "Smelter ID" in _text(t))
    rows = [tuple(_text(td) for td in tr.findall("td"))
            for tr in smelter_table.findall("tr")[1:]]
    assert sorted(rows) == expected and rows
    # the statistics equal counts made directly from the consolidation
    data = json.loads(files["report-data.json"])["public"]
    assert data["statistics"]["suppliers_surveyed"] == 4
    assert data["statistics"]["suppliers_responded"] == 2
    assert data["statistics"]["responded_on_roster"] == 2
    assert data["statistics"]["response_rate"] == 50.0
    for m in data["statistics"]["per_metal"]:
        mine = [s for s in c.smelters if s.metal == m["metal"] and not s.needs_review]
        assert m["smelters_identified"] == len(mine)
        assert m["conformant"] == sum(s.status.value == "conformant" for s in mine)
    for name in ("ex1-01.md", "form-sd.md"):
        assert ("surveyed 4 suppliers and received declarations from 2 suppliers: a response "
                "rate of 50.0%") in files[name]
    # every marked slot is on the checklist, and nothing else is
    markers = {m for name, text in files.items() if name != "checklist.md"
               for m in re.findall(r"\[TO BE COMPLETED BY THE COMPANY: ([^\]]+)\]", text)}
    listed = {item["title"] for item in data["checklist"]}
    assert markers == listed
    # and the statements the command prints are the checklist's, in its order
    from mineral_compliance.disclosures import company_statements

    statements = company_statements(profile, c)
    assert files["checklist.md"].splitlines()[2:2 + len(statements)] == [
        f"- [ ] **{s.title}**: {s.guidance}" for s in statements]


def test_documents_are_reproducible_and_written_atomically(tmp_path: Path) -> None:
    from mineral_compliance.disclosures.documents import render_dodd_frank, write_dodd_frank

    profile, c = _report_case(tmp_path)
    assert render_dodd_frank(profile, c) == render_dodd_frank(profile, c)
    written = write_dodd_frank(profile, c, tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(
        p.name for p in (tmp_path / "out").iterdir() if p.name != MANIFEST_NAME)


@pytest.mark.parametrize(("fragment", "problem"), [
    ("<script>alert(1)</script>", "<script>"),
    ('<a href="https://example.com">x</a>', "leaves the submission"),
    ('<p onclick="x()">x</p>', "event attributes"),
    ('<img src="http://example.com/logo.png">', "not a .jpg or .gif"),
    ("<p>caf\u00e9</p>", "non-ASCII"),
    ("<iframe></iframe>", "<iframe>"),
])
def test_the_edgar_check_catches_what_edgar_refuses(fragment: str, problem: str) -> None:
    from mineral_compliance.disclosures.edgar import edgar_problems

    found = edgar_problems(f"<html><body>{fragment}</body></html>")
    assert any(problem in p for p in found), found
    assert edgar_problems('<html><body><p><a href="#s1">ok</a> &#233;</p>'
                          '<img src="logo.jpg"></body></html>') == []


def test_report_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mineral_compliance.cli import main

    a = _supplier(tmp_path, "Supplier A", {"D26": "Yes", "D38": "Yes"})
    assert main(["consolidate", str(a), "-o", str(tmp_path / "cons"), "--no-progress"]) == 0
    profile = tmp_path / "company.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    assert main(["report", "dodd-frank", "--consolidation", str(tmp_path / "cons"),
                 "--profile", str(profile), "-o", str(tmp_path / "sd")]) == 0
    out = capsys.readouterr().out
    assert "Conflict Minerals Report required" in out and "due 2026-06-01" in out
    assert (tmp_path / "sd" / "ex1-01.htm").is_file()
    assert main(["report", "dodd-frank", "--consolidation", str(tmp_path / "none"),
                 "--profile", str(profile), "-o", str(tmp_path / "sd2")]) == 2


def test_a_declared_mine_in_a_covered_country_makes_the_origin_known(tmp_path: Path) -> None:
    from mineral_compliance.disclosures.documents import render_dodd_frank

    base = FIXTURES / "demo" / "cmrt-6.5-product-scope.xlsx"
    supplier = patch_cells(base, {"Declaration!D27": "Yes", "Declaration!D39": "No",
                                  "Smelter List!N5": "Example Hill",
                                  "Smelter List!O5": "Rwanda"}, tmp_path / "s.xlsx")
    c = consolidate([supplier], executor=ThreadPoolExecutor(1))
    assert [(m.metal, m.country_code, m.cell) for m in c.mines] == [("Tin", "RW", "O5")]
    profile = CompanyProfile.model_validate(_base_profile())
    tin = next(m for m in determine(profile, c).metals if m.metal == "Tin")
    assert tin.rcoi is Rcoi.KNOWN
    # the fact names the country; where it was read stays with its locations (internal)
    fact = next(f for f in tin.facts if "Rwanda" in f.statement)
    assert "O5" not in fact.statement and "s.xlsx" not in fact.statement
    assert fact.locations == (f"{supplier} [Smelter List!O5]",)
    files = render_dodd_frank(profile, c)
    report = files["ex1-01.md"]
    assert "| Tin | Rwanda | 1 | yes |" in report
    assert "Suppliers declared mines in Rwanda." in report
    assert "s.xlsx" not in report and "O5" not in report
    assert f"{supplier} [Smelter List!O5]" in files["audit-trail.md"]


def test_roll_ups_name_what_each_question_asks_whatever_its_number() -> None:
    from mineral_compliance.models import QuestionRole

    with ThreadPoolExecutor(2) as pool:
        result = consolidate([FIXTURES / "demo"], executor=pool)
    roles = {(a.family, a.question): a.role for a in result.answers}
    assert roles[("CMRT", "3")] is QuestionRole.COVERED_COUNTRIES
    assert roles[("CMRT", "5")] is QuestionRole.RECYCLED
    assert roles[("EMRT", "4")] is QuestionRole.RECYCLED  # the EMRT asks it in question 4
    assert roles[("CMRT", "1")] is QuestionRole.NECESSARY
    # a consolidation saved before roll-ups carried roles determines the same
    old = result.model_copy(update={"answers": tuple(
        a.model_copy(update={"role": None}) for a in result.answers)})
    profile = CompanyProfile.model_validate(_base_profile())
    determined = determine(profile, result)
    assert any(m.in_scope for m in determined.metals)
    assert determine(profile, old) == determined
    # and the public report states the same answers
    from mineral_compliance.disclosures.documents import report_data

    assert report_data(profile, old).public.determination == \
        report_data(profile, result).public.determination


# -- public figures -----------------------------------------------------------------------------

def test_status_counts_add_up_to_the_facilities_identified(tmp_path: Path) -> None:
    """Every status has its row, not-enrolled included: the counts per metal and in total
    add up to the facilities identified, and the percentage conformant follows."""
    from mineral_compliance.disclosures.documents import render_form_sd, report_data
    from mineral_compliance.models.matching import StatusKind

    profile, c = _report_case(tmp_path)
    tin = next(s for s in c.smelters if s.metal == "Tin" and s.smelter_id)
    copies = [tin.model_copy(update={"key": f"CID90000{i}", "smelter_id": f"CID90000{i}",
                                     "name": f"Facility {i}", "status": status})
              for i, status in enumerate((StatusKind.CONFORMANT, StatusKind.NOT_ENROLLED,
                                          StatusKind.NOT_ENROLLED, StatusKind.ACTIVE,
                                          StatusKind.NON_CONFORMANT), start=1)]
    data = report_data(profile, c.model_copy(update={"smelters": tuple(copies)}))
    stats = data.public.statistics
    for m in (*stats.per_metal, stats.total):
        assert sum(m.count(s) for s in StatusKind) == m.smelters_identified
    figures = next(m for m in stats.per_metal if m.metal == "Tin")
    assert (figures.smelters_identified, figures.not_enrolled) == (5, 2)
    assert figures.percent_conformant == 20.0
    report = render_form_sd(data)["ex1-01.md"]
    assert "| Not enrolled | 2 | 0 | 0 | 0 | 2 |" in report
    assert "| Identified | 5 | 0 | 0 | 0 | 5 |" in report
    assert "| Percent conformant | 20.0% | - | - | - | 20.0% |" in report
    # the facility table is grouped by status, in the order filed reports use
    rows = [line.split(" | ")[0] for line in report.splitlines()
            if line.startswith("| ") and "Facility" in line]
    assert rows == ["| Conformant", "| Active", "| Not enrolled", "| Not enrolled",
                    "| Non-conformant"]


def test_a_single_suppliers_answer_is_not_shown_by_kind(tmp_path: Path) -> None:
    from mineral_compliance.disclosures.documents import render_form_sd, report_data

    profile, c = _report_case(tmp_path)
    data = report_data(profile, c)
    gold = next(m for m in data.public.determination if m.metal == "Gold")
    tin = next(m for m in data.public.determination if m.metal == "Tin")
    assert gold.respondents == 1 and gold.answers is None  # only supplier A answered
    assert tin.respondents == 2 and tin.answers == {"No": 1, "Unknown": 1}
    report = render_form_sd(data)["ex1-01.md"]
    row = next(line for line in report.splitlines() if line.startswith("| Gold |"))
    assert "1 Yes" not in row and "One supplier answered" in row
    assert "(1 No, 1 Unknown)" in report


def test_an_answer_the_template_does_not_offer_is_counted_not_quoted(tmp_path: Path) -> None:
    from mineral_compliance.disclosures.documents import render_form_sd, report_data

    profile, c = _report_case(tmp_path)
    odd = tuple(a.model_copy(update={"counts": {"Maybe": 1, "No": 1}})
                if a.mineral == "Tin" and a.question == "3" else a for a in c.answers)
    data = report_data(profile, c.model_copy(update={"answers": odd}))
    tin = next(m for m in data.public.determination if m.metal == "Tin")
    assert tin.answers == {"No": 1, "another answer": 1}
    report = render_form_sd(data)["ex1-01.md"]
    assert "Maybe" not in report
    assert any("Maybe" in f.statement for f in data.internal.determination[0].facts)


def test_a_metal_necessary_but_not_reported_is_for_the_company_to_confirm(
        tmp_path: Path) -> None:
    """Tungsten needed by a product but reported by no supplier: the public text says so
    plainly, and the checklist asks the company to confirm the scope."""
    from mineral_compliance.disclosures.documents import render_form_sd, report_data

    _, c = _report_case(tmp_path)
    profile = CompanyProfile.model_validate({**_base_profile(), "products": [
        {"name": "Controllers", "metals": ["Tin", "Tungsten"], "manufactured": True}]})
    files = render_form_sd(report_data(profile, c))
    row = next(line for line in files["ex1-01.md"].splitlines()
               if line.startswith("| Tungsten |"))
    assert "not in scope" in row and "no supplier reported it" in row
    assert "- [ ] Confirm the scope for Tungsten:" in files["checklist.md"]


def test_the_status_source_is_named_or_its_absence_said(tmp_path: Path) -> None:
    from mineral_compliance.disclosures.documents import render_form_sd, report_data
    from mineral_compliance.models.matching import Snapshot

    profile, c = _report_case(tmp_path)
    without = render_form_sd(report_data(profile, c))
    assert "No audit-status list was used" in without["ex1-01.md"]
    assert "--status-list" in without["checklist.md"]
    listed = Snapshot(kind="status-list:conformant", source=str(tmp_path / "conformant.csv"),
                      version="file dated 2025-12-31", sha256="0" * 64, rows=1)
    files = render_form_sd(report_data(profile, c.model_copy(
        update={"snapshots": (*c.snapshots, listed)})))
    report = files["ex1-01.md"]
    assert ("Status source: the RMI facilities list (conformant) (file dated 2025-12-31)"
            in report)
    assert "No audit-status list" not in report and str(tmp_path) not in report
    assert str(tmp_path / "conformant.csv") in files["audit-trail.md"]


def test_the_response_rate_counts_only_suppliers_on_the_roster(tmp_path: Path) -> None:
    from mineral_compliance.disclosures.documents import render_form_sd, report_data

    a = _supplier(tmp_path, "Supplier A", {"D26": "Yes", "D27": "Yes", "D38": "No"})
    b = _supplier(tmp_path, "Unlisted B", {"D26": "Yes", "D27": "Yes", "D38": "No"})
    c = consolidate([a, b], executor=ThreadPoolExecutor(1),
                    roster=["Supplier A", "Supplier C", "Supplier D", "Supplier E"])
    profile = CompanyProfile.model_validate(_base_profile())
    data = report_data(profile, c)
    stats = data.public.statistics
    assert (stats.suppliers_surveyed, stats.suppliers_responded, stats.responded_on_roster,
            stats.response_rate) == (4, 2, 1, 25.0)
    assert ("surveyed 4 suppliers and received declarations from 2 suppliers, 1 of them "
            "among the suppliers surveyed: a response rate of 25.0%") in \
        render_form_sd(data)["ex1-01.md"]
