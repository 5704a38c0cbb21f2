"""Country-of-origin data per smelter in the drafts, joined to the demo consolidation: the
CMR's countries of origin, the RCOI facts, the EU report's origin statements, the audit
trail with file and rows, and public documents that name neither."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from openpyxl import Workbook

from mineral_compliance.consolidation import consolidate
from mineral_compliance.disclosures import (
    determine,
    edgar_problems,
    load_profile,
    render_form_sd,
    report_data,
)
from mineral_compliance.disclosures.documents import PUBLIC_FILES
from mineral_compliance.disclosures.dodd_frank import Rcoi
from mineral_compliance.disclosures.eu_report import PUBLIC_FILES as EU_PUBLIC_FILES
from mineral_compliance.disclosures.eu_report import eu_report_data, render_eu_report
from mineral_compliance.models.consolidation import Consolidation
from mineral_compliance.models.profile import CompanyProfile
from mineral_compliance.refdata import load_cahra
from mineral_compliance.upstream import OriginData, load_origin

from ..conftest import FIXTURES

DEMO = FIXTURES / "demo"
NAME = "rcoi-export-7f3a"
"""The origin file's stem: distinctive, so that its absence from public text means something."""

ROWS = [
    # smelter ID, name, metal, countries, level
    ("CID900001", "Example Tin Smelting", "Tin", "Indonesia; Rwanda", None),
    ("CID900002", "Sample Gold Refinery", "Gold", None, "Recycled/Scrap"),
    ("CID900004", "Specimen Tungsten", "Tungsten", None, "L2"),
    ("CID999999", "Elsewhere Smelter", "Tin", "Peru", None),  # not in the consolidation
    ("CID900001", None, "Tin", "Atlantis", None),  # unreadable
    (None, "No Identifier Smelter", "Tin", "Peru", None),  # unreadable
]


def _csv(folder: Path) -> Path:
    path = folder / f"{NAME}.csv"
    lines = ["CID,Refiner Name,Mineral,Origin Countries,RCOI Level,Data Source,Data As Of"]
    for ident, name, metal, countries, level in ROWS:
        lines.append(",".join([ident or "", name or "", metal, f'"{countries or ""}"',
                               level or "", "RMI RCOI data", "2025-12-31"]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _xlsx(folder: Path) -> Path:
    """The same data with other header synonyms, one country per row; the rows keep their
    numbers, Rwanda on a row of its own at the end."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Smelter ID", "Smelter Name", "Metal", "Country of Origin", "Origin Level",
                  "Source", "As Of"])
    for ident, name, metal, countries, level in ROWS:
        first = countries.split(";")[0] if countries else None
        sheet.append([ident, name, metal, first, level, "RMI RCOI data",
                      dt.datetime(2025, 12, 31)])
    sheet.append(["CID900001", "Example Tin Smelting", "Tin", "Rwanda", None, "RMI RCOI data",
                  dt.datetime(2025, 12, 31)])
    path = folder / f"{NAME}.xlsx"
    book.save(path)
    return path


@pytest.fixture(scope="module")
def demo() -> tuple[CompanyProfile, Consolidation]:
    c = consolidate([DEMO], executor=ThreadPoolExecutor(2))
    return load_profile(DEMO / "company-profile.toml"), c


@pytest.fixture(params=[_csv, _xlsx], ids=["csv", "xlsx"])
def origin(request: pytest.FixtureRequest, tmp_path: Path) -> OriginData:
    write: Callable[[Path], Path] = request.param
    return load_origin(write(tmp_path))


def _tin_rows(origin: OriginData) -> tuple[str, ...]:
    file = origin.snapshot.source
    return tuple(f"{file} [row {r.row}]" for r in origin.rows if r.smelter_id == "CID900001")


def test_covered_country_origin_gives_reason_to_believe_with_its_rows(
        demo: tuple[CompanyProfile, Consolidation], origin: OriginData) -> None:
    profile, c = demo
    before = {m.metal: m.rcoi for m in determine(profile, c).metals}
    assert before["Tin"] is Rcoi.NO_REASON
    after = {m.metal: m for m in determine(profile, c, origin).metals}
    tin = after["Tin"]
    assert tin.rcoi is Rcoi.REASON and tin.due_diligence_required
    fact = next(f for f in tin.facts if f.statement.startswith("Origin data"))
    assert fact.statement == ("Origin data states an origin in the covered countries for 1 of "
                              "1 identified Tin facility (Example Tin Smelting Co., Ltd. "
                              "(CID900001): ID, RW).")
    assert fact.bears_on == "rcoi"
    assert fact.source == ("country-of-origin data per smelter: RMI RCOI data, as of "
                           f"2025-12-31 ({origin.snapshot.source})")
    assert fact.locations == _tin_rows(origin)
    # recycled and non-conflict levels rule the covered countries out: stated, result kept
    gold = after["Gold"]
    assert gold.rcoi is Rcoi.NO_REASON and not gold.due_diligence_required
    assert [f.statement for f in gold.facts if f.statement.startswith("Origin data")] == [
        "Origin data for every identified Gold facility (1) states no origin in the covered "
        "countries."]
    assert after["Tungsten"].rcoi is before["Tungsten"]


def test_the_cmr_states_countries_and_levels_in_aggregate(
        demo: tuple[CompanyProfile, Consolidation], origin: OriginData) -> None:
    profile, c = demo
    data = report_data(profile, c, origin=origin)
    assert data.public.countries.inquiry == {"Tin": ("Indonesia", "Rwanda")}
    assert data.public.origin is not None and data.public.origin.rows_not_used == 1
    files = render_form_sd(data)
    for name in ("form-sd.htm", "ex1-01.htm"):
        assert edgar_problems(files[name]) == [], name
    cmr = " ".join(files["ex1-01.md"].split())
    for sentence in (
        "The registrant also used country-of-origin data per smelter or refiner: RMI RCOI "
        "data, as of 2025-12-31.",
        "For Tin, the data covers the facility identified; it names Indonesia and Rwanda as "
        "countries of origin.",
        "For Tungsten, the data covers the facility identified; for 1 facility it states only "
        "an aggregated level: known non-conflict-affected countries (none named).",
        "For Gold, the data covers the facility identified; for 1 facility it states only an "
        "aggregated level: recycled or scrap sources.",
        "Country-of-origin data per smelter (RMI RCOI data, as of 2025-12-31) states an origin "
        "in the Covered Countries for the Tin facility identified.",
        "Country-of-origin data per smelter (RMI RCOI data, as of 2025-12-31) states no origin "
        "in the Covered Countries for the Gold facility identified.",
    ):
        assert sentence in cmr
    # the determination stays the company's own statement
    assert "[TO BE COMPLETED BY THE COMPANY: Countries of origin]" in cmr
    form_sd = " ".join(files["form-sd.md"].split())
    assert ("The registrant also used country-of-origin data per smelter or refiner (RMI RCOI "
            "data, as of 2025-12-31): it states an origin in the Covered Countries for the Tin "
            "facility identified; it states no origin in the Covered Countries for the "
            "Tungsten facility identified; it states no origin in the Covered Countries for "
            "the Gold facility identified.") in form_sd


def test_the_audit_trail_names_the_file_and_every_row(
        demo: tuple[CompanyProfile, Consolidation], origin: OriginData) -> None:
    profile, c = demo
    data = report_data(profile, c, origin=origin)
    section = next(s for s in data.internal.sections
                   if s.title == "Country-of-origin data per smelter")
    by_subject = {e.subject: e for e in section.entries}
    tin = by_subject["Tin: Example Tin Smelting Co., Ltd. (CID900001)"]
    assert tin.value == "ID, RW"
    assert tuple(loc for f in tin.facts for loc in f.locations) == _tin_rows(origin)
    unused = by_subject["Rows for smelters not among the facilities identified (not used)"]
    assert unused.value == "1"
    assert [f.statement for f in unused.facts] == ["Row 5: CID999999 (Elsewhere Smelter)."]
    unread = by_subject["Rows that could not be read (not used)"]
    assert [(f.statement, f.locations) for f in unread.facts] == [
        ("Row 6 (CID900001): 'Atlantis' names no country.",
         (f"{origin.snapshot.source} [row 6]",)),
        ("Row 7: no smelter ID.", (f"{origin.snapshot.source} [row 7]",))]
    assert origin.snapshot in data.internal.snapshots
    files = render_form_sd(data)
    assert f"{origin.snapshot.source} [row 6]" in files["audit-trail.md"]
    internal = json.loads(files["report-data.json"])["internal"]
    assert origin.snapshot.source in json.dumps(internal)


def _assert_no_file_named(public: dict[str, str], origin: OriginData) -> None:
    path = Path(origin.snapshot.source)
    for name, text in public.items():
        for secret in (str(path), str(path.parent), path.name, NAME, "CID999999",
                       "Elsewhere Smelter", "No Identifier Smelter", "Atlantis", "[row"):
            assert secret not in text, (name, secret)


def test_public_documents_name_neither_the_file_nor_unused_rows(
        demo: tuple[CompanyProfile, Consolidation], origin: OriginData, tmp_path: Path
        ) -> None:
    profile, c = demo
    sec = render_form_sd(report_data(profile, c, origin=origin))
    _assert_no_file_named({n: sec[n] for n in PUBLIC_FILES}, origin)
    eu = render_eu_report(eu_report_data(profile, c, origin=origin))
    _assert_no_file_named({n: eu[n] for n in EU_PUBLIC_FILES}, origin)


def test_the_eu_report_states_origins_and_screens_them_against_the_cahra_list(
        demo: tuple[CompanyProfile, Consolidation], origin: OriginData, tmp_path: Path
        ) -> None:
    profile, c = demo
    cahra_file = tmp_path / "cahra.json"
    cahra_file.write_text(json.dumps({"meta": {"version": "2025-10"}, "entries": [
        {"iso2": "RW", "countryName": "Rwanda", "wholeCountry": True}]}), encoding="utf-8")
    data = eu_report_data(profile, c, cahra=load_cahra(cahra_file), origin=origin)
    assert data.public.origin is not None
    tin = next(m for m in data.public.origin.metals if m.metal == "Tin")
    assert tin.cahra_countries == ("Rwanda",)
    report = " ".join(render_eu_report(data)["eu-annual-report.md"].split())
    for sentence in (
        "Origin of the metals (Article 4): country-of-origin data per smelter or refiner, RMI "
        "RCOI data, as of 2025-12-31.",
        "For Tin, the data covers the facility identified; it names Indonesia and Rwanda as "
        "countries of origin. Of these countries, on the EU indicative CAHRA list (the "
        "country, or a country with listed regions): Rwanda.",
        "For Gold, the data covers the facility identified; for 1 facility it states only an "
        "aggregated level: recycled or scrap sources.",
    ):
        assert sentence in report
    unscreened = " ".join(render_eu_report(eu_report_data(profile, c, origin=origin))
                          ["eu-annual-report.md"].split())
    assert ("For Tin, the data covers the facility identified; it names Indonesia and Rwanda "
            "as countries of origin. These countries were not assessed against the EU "
            "indicative CAHRA list for this report.") in unscreened
    trail = render_eu_report(data)["eu-audit-trail.md"]
    assert f"{origin.snapshot.source} [row 2]" in trail


def test_without_origin_data_the_drafts_carry_none(
        demo: tuple[CompanyProfile, Consolidation]) -> None:
    profile, c = demo
    data = report_data(profile, c)
    assert data.public.origin is None and data.public.countries.inquiry == {}
    assert "country-of-origin data per smelter" not in render_form_sd(data)["ex1-01.md"]


def test_a_facility_with_an_unreadable_row_is_never_counted_as_clear(
        demo: tuple[CompanyProfile, Consolidation], tmp_path: Path) -> None:
    profile, c = demo
    path = tmp_path / "origin.csv"
    path.write_text("Smelter ID,Country of Origin,Origin Level,Source,As Of\n"
                    "CID900002,,Recycled,RMI RCOI data,2025-12-31\n"
                    "CID900002,Atlantis,,RMI RCOI data,2025-12-31\n"
                    "CID900001,Malaysia,L2,RMI RCOI data,2025-12-31\n", encoding="utf-8")
    origin = load_origin(path)
    gold = next(m for m in determine(profile, c, origin).metals if m.metal == "Gold")
    assert [(f.statement, f.locations) for f in gold.facts
            if "origin data" in f.statement.casefold()] == [
        ("The origin data of Sample Gold Refinery AG (CID900002) does not rule the covered "
         "countries out: a row naming it could not be read.",
         (f"{path} [row 2]", f"{path} [row 3]"))]
    files = render_form_sd(report_data(profile, c, origin=origin))
    form_sd = " ".join(files["form-sd.md"].split())
    assert ("it states no origin in the Covered Countries for the Tin facility identified; "
            "it covers the Gold facility identified; it does not rule the Covered Countries "
            "out for 1 facility.") in form_sd
    cmr = " ".join(files["ex1-01.md"].split())
    assert ("For Tin, the data covers the facility identified; it names Malaysia as a country "
            "of origin; for 1 facility it also states an aggregated level: known "
            "non-conflict-affected countries (none named).") in cmr
