"""The risk register: categories, links with their reasons, and the reports that state it,
from supplier templates and upstream files written here."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from mineral_compliance.cli import DEMO_DIR, main
from mineral_compliance.consolidation import load_consolidation
from mineral_compliance.refdata import load_cahra
from mineral_compliance.templates._xlsx import patch_cells
from mineral_compliance.upstream import AnnexII, Response, build_risk_register, load_ipis
from mineral_compliance.upstream.risk import expected_response, incident_category

from ..conftest import REFERENCE

IPIS = REFERENCE / "other" / "cod_mines_curated_all_opendata_p_ipis.csv"
CAHRA = REFERENCE / "other" / "cahra.json"


@pytest.mark.parametrize(("text", "category", "default"), [
    ("b", AnnexII.B, False), ("Annex II (c)", AnnexII.C, False),
    ("worst forms of child labour", AnnexII.A, False),
    ("illegal taxation by FARDC elements", AnnexII.C, False),
    ("illegal taxation", AnnexII.B, False), ("unpaid royalties", AnnexII.F, False),
    ("money laundering", AnnexII.E, False), ("", AnnexII.B, True),
    ("something else", AnnexII.B, True),
])
def test_incident_categories_and_the_default(text: str, category: AnnexII,
                                             default: bool) -> None:
    assert incident_category(text)[:2] == (category, default)


def test_the_expected_response_per_category() -> None:
    assert [expected_response(c) for c in AnnexII] == [
        Response.SUSPEND_OR_DISENGAGE] * 2 + [Response.MITIGATE] * 4


def _supplier_file(tmp_path: Path) -> Path:
    """The demo CMRT 6.5 declaring, for its tin smelter, a mine in the DRC."""
    folder = tmp_path / "in"
    folder.mkdir()
    return patch_cells(DEMO_DIR / "cmrt-6.5-product-scope.xlsx",
                       {"Smelter List!N5": "Example Hill",
                        "Smelter List!O5": "CONGO, DEMOCRATIC REPUBLIC OF THE"},
                       folder / "cmrt-with-mine.xlsx")


def _upstream(tmp_path: Path) -> tuple[Path, Path]:
    incidents = tmp_path / "incidents.csv"
    incidents.write_text(
        "incident_id,date,country,province,site,annex_ii_category,level,status,mitigation\n"
        "INC-7,2025-04-02,CD,Sud-Kivu,Example Hill,illegal taxation by an armed group,1,"
        "open,\n"
        "INC-8,2025-05-09,CD,Nord-Kivu,Elsewhere,,2,closed,resolved\n", encoding="utf-8")
    sites = tmp_path / "sites.csv"
    with sites.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["pcode", "name", "visit_date", "province", "armed_group1",
                         "type_armed_group1", "taxation_armed_group1", "childunder15",
                         "traceability"])
        writer.writerow(["S001", "Example Hill", "2024-11-05", "Sud-Kivu", "Example militia",
                         "Groupe armé local", "1", "1", "iTSCI"])
    return incidents, sites


def test_from_templates_and_upstream_files_to_both_reports(tmp_path: Path) -> None:
    _supplier_file(tmp_path)
    incidents, sites = _upstream(tmp_path)
    cons = tmp_path / "cons"
    assert main(["consolidate", str(tmp_path / "in"), "-o", str(cons), "--no-progress"]) == 0
    upstream = ["--incidents", str(incidents), "--ipis", str(sites)]
    profile = ["--profile", str(DEMO_DIR / "company-profile.toml")]
    assert main(["upstream", "risk", "--consolidation", str(cons), *upstream,
                 "-o", str(tmp_path / "risk")]) == 0
    register = json.loads((tmp_path / "risk" / "risk-register.json").read_text("utf-8"))
    risks = {r["id"]: r for r in register["risks"]}
    assert set(risks) == {"itsci:INC-7", "itsci:INC-8", "ipis:S001:armed-groups",
                          "ipis:S001:illegal-taxation", "ipis:S001:child-labour", "area:CD",
                          "answer:CMRT:Tin:covered-countries", "answer:CMRT:Tin:cahra"}
    where = f"{tmp_path / 'in' / 'cmrt-with-mine.xlsx'} [Smelter List!O5]"
    assert [x["reason"] for x in risks["itsci:INC-7"]["links"]] == [
        f"declared mine 'Example Hill' ({where}) has the name of the incident site "
        "'Example Hill'"]
    assert risks["itsci:INC-7"]["category"] == "b"
    assert risks["itsci:INC-8"] | {"links": []} == risks["itsci:INC-8"]  # kept, unlinked
    assert (risks["itsci:INC-8"]["status"], risks["itsci:INC-8"]["category_default"]) == (
        "closed", True)
    assert risks["ipis:S001:child-labour"]["category"] == "a"
    assert risks["ipis:S001:armed-groups"]["links"][0]["record"] == (
        "IPIS site pcode S001, visit 2024-11-05")
    assert risks["area:CD"]["links"][0]["reason"] == (
        f"declared mine 'Example Hill' ({where}) lies in CD, a covered country")
    answer = risks["answer:CMRT:Tin:covered-countries"]["links"][0]
    assert answer["locations"] == [
        f"{tmp_path / 'in' / 'cmrt-with-mine.xlsx'} [Declaration!D39]"]
    # the aggregate view: every province of the upstream files, reached or not
    assert [(p["province"], p["sites"], p["sites_with_armed_groups"], p["incidents"],
             p["open_incidents"], p["open_level_1"], p["categories"])
            for p in register["provinces"]] == [
        ("Nord-Kivu", 0, 0, 1, 0, 0, {"unspecified": 1}),
        ("Sud-Kivu", 1, 1, 1, 1, 1, {"illegal taxation by an armed group": 1})]
    html = (tmp_path / "risk" / "risk-register.html").read_text("utf-8")
    assert "Content-Security-Policy" in html and "<link" not in html
    assert 'id="province-table"' in html and "<td><bdi>Nord-Kivu</bdi></td>" in html
    with (tmp_path / "risk" / "risk-register.csv").open(encoding="utf-8") as f:
        assert {row["risk"] for row in csv.DictReader(f)} == set(risks)

    dfk, eu = tmp_path / "dfk", tmp_path / "eu"
    assert main(["report", "dodd-frank", "--consolidation", str(cons), *upstream, *profile,
                 "-o", str(dfk)]) == 0
    assert main(["report", "eu", "--consolidation", str(cons), *upstream, *profile,
                 "-o", str(eu)]) == 0
    ex = (dfk / "ex1-01.md").read_text("utf-8")
    assert ("The risk register for the period records 8 risks, 7 of them open, from ITSCI "
            "incidents (2); findings of IPIS mine-site visits (3); sourcing locations in a "
            "Covered Country (1); supplier answers on covered-country or CAHRA sourcing (2). "
            "4 of them carry no Annex II category in the data and are "
            "counted under Annex II (b), which carries the stricter response, until their "
            "category is assessed.") in ex
    assert ("Under the OECD Guidance, a risk of Annex II (a) or (b) calls for suspending or "
            "disengaging from the supplier, and a risk of (c) to (f) for mitigation while "
            "trading: 8 of the risks recorded fall in the first group and 0 in the "
            "second.") in ex
    assert "| (a) serious abuses | suspend or disengage | 1 | 1 |" in ex
    assert "| (b) support to non-state armed groups | suspend or disengage | 7 | 6 |" in ex
    report = (eu / "eu-annual-report.md").read_text("utf-8")
    assert ("Risk-management plan (Article 5): the response each risk calls for, by "
            "category.") in report
    assert "| (b) support to non-state armed groups | suspend or disengage | 7 | 6 |" in report
    for public in (ex, report, (dfk / "ex1-01.htm").read_text("utf-8")):
        for secret in ("INC-7", "S001", "Example Hill", "cmrt-with-mine", "Acme Widgets"):
            assert secret not in public
    trail = (dfk / "audit-trail.md").read_text("utf-8")
    assert "itsci:INC-7: ITSCI incident INC-7 at Example Hill, Sud-Kivu, CD" in trail
    assert "cmrt-with-mine.xlsx [Smelter List!O5]" in trail
    assert "INC-7" in (eu / "eu-audit-trail.md").read_text("utf-8")


@pytest.mark.skipif(not (IPIS.is_file() and CAHRA.is_file()),
                    reason="the IPIS and CAHRA files in ../shared/reference/other are absent")
def test_the_published_ipis_and_cahra_files(tmp_path: Path) -> None:
    _supplier_file(tmp_path)
    cons = tmp_path / "cons"
    assert main(["consolidate", str(tmp_path / "in"), "-o", str(cons), "--no-progress"]) == 0
    c = load_consolidation(cons)
    cahra = load_cahra(CAHRA)
    register = build_risk_register(c, sites=load_ipis(IPIS).sites, cahra=cahra)
    area = next(r for r in register.risks if r.id == "area:CD")
    assert area.source.value == "cahra-area" and area.category_default
    assert area.links[0].record == f"CAHRA list of {cahra.snapshot.version}: CD"
    assert all(r.response is expected_response(r.category) for r in register.risks)
    assert {s.kind for s in register.snapshots} >= {"cahra"}
