"""IPIS mine-site data: sites with their latest visit and history, Annex II indicators."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from mineral_compliance.cli import main
from mineral_compliance.errors import ReferenceDataError
from mineral_compliance.upstream import load_ipis, summarise

from ..conftest import REFERENCE

IPIS = REFERENCE / "other" / "cod_mines_curated_all_opendata_p_ipis.csv"
HEADER = ["pcode", "name", "visit_date", "province", "territoire", "latitude", "longitude",
          "workers_numb", "mineral1", "mineral2", "armed_group1", "type_armed_group1",
          "taxation_armed_group1", "armed_group2", "type_armed_group2",
          "entrance_taxation_armed_group2", "traceability", "childunder15", "state_service1"]


def _csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_latest_visit_history_and_indicators(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(_csv([
        {"pcode": "site-a", "name": "Example Hill", "visit_date": "2019-05-01",
         "province": "Sud-Kivu", "territoire": "Mwenga", "mineral1": "Or",
         "armed_group1": "Example militia", "type_armed_group1": "Groupe armé local",
         "taxation_armed_group1": "1", "childunder15": "1"},
        {"pcode": "site-a", "name": "Example Hill", "visit_date": "2022-03-01",
         "province": "Sud-Kivu", "territoire": "Mwenga", "mineral1": "Cassitérite",
         "mineral2": "Coltan", "armed_group1": "FARDC",
         "type_armed_group1": "FARDC - Éléments indisciplinés", "traceability": "iTSCI",
         "childunder15": "0", "workers_numb": "120"},
        {"pcode": "site-b", "name": "Example Valley", "visit_date": "2021-01-01",
         "province": "Sud-Kivu", "territoire": "Mwenga", "mineral1": "Wolframite",
         "armed_group1": "Aucun", "armed_group2": "Example group",
         "type_armed_group2": "Groupe armé étranger", "entrance_taxation_armed_group2": "1"},
        {"pcode": "site-c", "visit_date": "not a date", "province": "Ituri"},
        {"pcode": "", "visit_date": "2020-01-01"},
    ]), encoding="utf-8")
    data = load_ipis(path)
    assert [s.code for s in data.sites] == ["site-a", "site-b"]
    a = data.sites[0]
    assert [v.date.year for v in a.history] == [2019, 2022] and a.latest.date.year == 2022
    assert a.latest.minerals == ("Tin", "Tantalum") and a.latest.workers == 120
    assert a.latest.public_security_forces and not a.latest.non_state_armed_groups
    assert a.history[0].non_state_armed_groups and a.history[0].illegal_taxation
    b = data.sites[1].latest
    assert b.non_state_armed_groups and b.illegal_taxation and not b.public_security_forces
    assert [row for row, _ in data.invalid] == [5, 6]  # reported, not dropped
    [area] = summarise(data.sites)
    assert (area.sites, area.non_state_armed_groups, area.public_security_forces,
            area.illegal_taxation, area.child_labour, area.traceability) == (2, 1, 1, 1, 0, 1)
    assert area.traceability_share == 0.5
    bad = tmp_path / "other.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="pcode"):
        load_ipis(bad)


@pytest.mark.skipif(not IPIS.is_file(), reason="the IPIS open data in ../shared/reference/"
                                               "other is not present")
def test_the_published_ipis_data(capsys: pytest.CaptureFixture[str]) -> None:
    data = load_ipis(IPIS)
    assert data.snapshot.rows == 6955 and not data.invalid
    assert len(data.sites) == len({v.site for s in data.sites for v in s.history})
    assert sum(len(s.history) for s in data.sites) == 6955  # every visit kept
    areas = summarise(data.sites, by_territoire=False)
    assert sum(a.sites for a in areas) == len(data.sites)
    kivu = next(a for a in areas if a.province == "Sud-Kivu")
    assert 0 < kivu.non_state_armed_groups < kivu.sites
    assert main(["upstream", "summarize", str(IPIS), "--by", "province"]) == 0
    assert "Sud-Kivu" in capsys.readouterr().out


def test_itsci_incidents_join_the_mine_sites_in_a_risk_register(tmp_path: Path) -> None:
    from mineral_compliance.upstream import load_incidents, risk_register

    sites = tmp_path / "sites.csv"
    sites.write_text(_csv([
        {"pcode": "s1", "visit_date": "2022-01-01", "province": "Sud-Kivu",
         "armed_group1": "X", "type_armed_group1": "Groupe armé local",
         "taxation_armed_group1": "1"},
        {"pcode": "s2", "visit_date": "2022-01-01", "province": "Maniema"},
    ]), encoding="utf-8")
    incidents = tmp_path / "incidents.csv"
    incidents.write_text(
        "Incident ID,Date,Country,Province,Site,Annex II Category,Level,Status,Mitigation\n"
        "INC-1,2025-03-02,DR Congo,Sud-Kivu,Example Hill,illegal taxation,1,open,\n"
        "INC-2,2025-04-10,CD,Sud-Kivu,Example Hill,child labour,Level 2,closed,training\n"
        "INC-3,someday,CD,Maniema,,,,open,\n"
        ",2025-01-01,CD,Maniema,,,,open,\n", encoding="utf-8")
    loaded = load_incidents(incidents)
    assert [i.incident_id for i in loaded.incidents] == ["INC-1", "INC-2"]
    assert loaded.incidents[1].level == 2 and not loaded.incidents[1].open
    assert [row for row, _ in loaded.invalid] == [4, 5]
    register = {r.province: r for r in risk_register(load_ipis(sites).sites,
                                                     loaded.incidents)}
    kivu = register["Sud-Kivu"]
    assert (kivu.sites, kivu.sites_with_armed_groups, kivu.sites_with_illegal_taxation,
            kivu.incidents, kivu.open_incidents, kivu.open_level_1) == (1, 1, 1, 2, 1, 1)
    assert kivu.categories == {"child labour": 1, "illegal taxation": 1}
    assert register["Maniema"].incidents == 0
    (tmp_path / "bad.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="incident_id"):
        load_incidents(tmp_path / "bad.csv")


def test_declared_mines_are_screened_and_linked_to_known_sites(tmp_path: Path) -> None:
    import json

    from mineral_compliance.models.consolidation import DeclaredMine
    from mineral_compliance.refdata import load_cahra
    from mineral_compliance.upstream import screen_mines, upstream_summary

    sites = tmp_path / "sites.csv"
    sites.write_text(_csv([
        {"pcode": "s1", "name": "Example Hill", "visit_date": "2022-01-01",
         "province": "Sud-Kivu", "armed_group1": "X",
         "type_armed_group1": "Groupe armé local"},
        {"pcode": "s2", "name": "Other Place", "visit_date": "2022-01-01",
         "province": "Haut-Katanga"},
    ]), encoding="utf-8")
    cahra = tmp_path / "cahra.json"
    cahra.write_text(json.dumps({"meta": {}, "entries": [{"iso2": "CD", "regions": [
        {"name": "Sud-Kivu", "code": "CD-SK", "conflictAffected": True,
         "highRisk": True}]}]}), encoding="utf-8")

    def mine(name: str | None, country: str, code: str | None) -> DeclaredMine:
        return DeclaredMine(supplier="s", file="f.xlsx", sheet="Smelter List", cell="O5",
                            metal="Tin", name=name, country=country, country_code=code)

    screens = screen_mines([mine("EXAMPLE HILL", "DRC", "CD"), mine("Exampel Hill", "DRC", "CD"),
                            mine(None, "Peru", "PE"), mine("Other Place", "DRC", "CD")],
                           cahra=load_cahra(cahra), sites=load_ipis(sites).sites)
    linked, typo, peru, other = screens
    assert (linked.site, linked.cahra, linked.covered_country) == ("s1", True, True)
    assert linked.site_risks == ("non-state armed groups",)
    assert typo.site is None and typo.candidates == ("s1",) and typo.cahra is None
    assert (peru.cahra, peru.covered_country) == (False, False)
    assert other.site == "s2" and other.cahra is False  # Haut-Katanga is not listed here
    [cd, pe] = upstream_summary(screens)
    assert (cd.country, cd.declarations, cd.linked_sites, cd.sites_with_armed_groups,
            cd.cahra) == ("CD", 3, 2, 1, "listed")
    assert (pe.country, pe.cahra) == ("PE", "not listed")
