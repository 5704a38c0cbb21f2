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
    from mineral_compliance.upstream import load_incidents, province_summary

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
    register = {r.province: r for r in province_summary(load_ipis(sites).sites,
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


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_a_file_with_other_column_names_and_a_count_of_children(tmp_path: Path) -> None:
    """A country file in the shape the CAR gold and diamond site data is assumed to take:
    préfecture and sous-préfecture for province and territoire, a count of children, French
    yes/no answers for armed-group taxation."""
    path = _write(tmp_path / "caf.csv", [
        "Site_Code", "Nom du site", "Date de visite", "Préfecture", "Sous-préfecture",
        "Lat", "Lon", "Workers", "mineral1", "armed_group1", "type_armed_group1",
        "taxation_armed_group1", "Nb_Enfants"], [
        ["CF-1", "Colline A", "2019-06-02", "Ombella-M'Poko", "Bimbo", "4.3", "18.5", "40",
         "Or", "Groupe A", "Groupe armé", "Oui", "3"],
        ["CF-2", "Rivière B", "2019-06-03", "Lobaye", "Mbaïki", "3.9", "18.0", "12",
         "Diamant", "", "", "", "0"],
        ["CF-3", "Colline C", "2019-06-04", "Lobaye", "Mbaïki", "", "", "", "Or", "", "",
         "", "quelques-uns"],
        ["CF-4", "Colline D", "2019-06-05", "Lobaye", "Mbaïki", "", "", "", "Or", "", "",
         "", ""],
    ])
    data = load_ipis(path)
    assert dict(data.columns) == {
        "pcode": "Site_Code", "name": "Nom du site", "visit_date": "Date de visite",
        "province": "Préfecture", "territoire": "Sous-préfecture", "latitude": "Lat",
        "longitude": "Lon", "workers_numb": "Workers", "children_count": "Nb_Enfants"}
    assert data.invalid == ((4, "the count of children 'quelques-uns' is not a whole number"),)
    assert [(s.code, s.latest.province, s.latest.territoire, s.latest.children_under_15,
             s.latest.children_count, s.latest.illegal_taxation, s.latest.minerals)
            for s in data.sites] == [
        ("CF-1", "Ombella-M'Poko", "Bimbo", True, 3, True, ("Gold",)),
        ("CF-2", "Lobaye", "Mbaïki", False, 0, False, ("Diamond",)),
        ("CF-4", "Lobaye", "Mbaïki", None, None, False, ("Gold",)),
    ]
    assert [(a.province, a.sites, a.child_labour) for a in
            summarise(data.sites, by_territoire=False)] == [("Lobaye", 2, 0),
                                                            ("Ombella-M'Poko", 1, 1)]


def test_the_car_file_with_a_flag_column_per_mineral_and_actor_columns(tmp_path: Path) -> None:
    """The Central African Republic release names its columns as published sources list
    them: one 0/1 column per mineral (``minerals_or``, ``minerals_diamant``, a 1 sometimes
    stored as 1.0), ``prefecture``, and the armed actor as ``actor_type`` with
    ``actor1name`` and its forms of interference in ``actor1name_tax`` and
    ``actor1name_pillage``."""
    path = _write(tmp_path / "caf_mines_curated_all_opendata_p_ipis.csv", [
        "pcode", "visit_date", "longitude", "latitude", "prefecture", "minerals_or",
        "minerals_diamant", "chantiers_numb", "workers_numb", "workers_women", "childunder15",
        "actor_type", "actor1name", "actor1name_tax", "actor1name_pillage"], [
        ["CF-10", "2021-03-01", "21.1", "5.6", "Haute-Kotto", "1", "1.0", "3", "120", "20",
         "1", "Groupe armé", "Groupe B", "1", "0"],
        ["CF-11", "2021-03-02", "21.3", "5.8", "Haute-Kotto", "0", "1", "1", "15", "0",
         "0", "0", "", "", ""],
        ["CF-12", "2021-03-04", "20.9", "5.2", "Ouaka", "1", "0", "2", "60", "5", "0",
         "FACA", "", "", "1"],
        ["CF-13", "2021-03-05", "20.8", "5.1", "Ouaka", "yes", "0", "", "", "", "", "",
         "", "", ""],
    ])
    data = load_ipis(path)
    assert data.invalid == ()
    assert dict(data.columns)["province"] == "prefecture"
    got = {s.code: s.latest for s in data.sites}
    assert {code: v.minerals for code, v in got.items()} == {
        "CF-10": ("Gold", "Diamond"), "CF-11": ("Diamond",), "CF-12": ("Gold",),
        "CF-13": ("Gold",)}
    assert [(a.name, a.kind, a.interference) for a in got["CF-10"].actors] == [
        ("Groupe B", "Groupe armé", ("taxation",))]
    assert got["CF-11"].actors == ()  # an actor_type of 0 is none
    # an actor type with no name is one actor; the national army is a state force
    (army,) = got["CF-12"].actors
    assert (army.name, army.state_force, army.non_state, army.interference) == (
        "FACA", True, False, ("pillaging",))
    assert [(v.non_state_armed_groups, v.illegal_taxation, v.children_under_15)
            for v in got.values()] == [(True, True, True), (False, False, False),
                                       (False, False, False), (False, False, None)]
    assert [(a.province, a.sites, a.non_state_armed_groups, a.illegal_taxation,
             a.child_labour) for a in summarise(data.sites, by_territoire=False)] == [
        ("Haute-Kotto", 2, 1, 1, 1), ("Ouaka", 2, 0, 0, 0)]


@pytest.mark.parametrize(("answer", "expected"), [
    ("1", (True, None)), ("0", (False, None)), ("Yes", (True, None)), ("no", (False, None)),
    ("Oui", (True, None)), ("Non", (False, None)), ("", (None, None)),
    ("Unknown", (None, None)), ("ne sait pas", (None, None)), ("4", (True, 4)),
    ("2.0", (True, 2)),
])
def test_child_labour_as_yes_no_in_english_and_french(
        tmp_path: Path, answer: str, expected: tuple[bool | None, int | None]) -> None:
    """A release that answers child labour yes/no (a region and district file, as the
    Tanzania and Zimbabwe data name them)."""
    path = _write(tmp_path / "sites.csv", ["pcode", "visit_date", "region", "district",
                                           "child_labour"],
                  [["TZ-1", "2020-02-01", "Geita", "Geita", answer]])
    data = load_ipis(path)
    assert not data.invalid
    [site] = data.sites
    assert (site.latest.children_under_15, site.latest.children_count) == expected
    assert (site.latest.province, site.latest.territoire) == ("Geita", "Geita")


def test_child_labour_answers_that_cannot_be_read_are_reported(tmp_path: Path) -> None:
    path = _write(tmp_path / "sites.csv", ["pcode", "visit_date", "childunder15",
                                           "number_of_children"], [
        ["a", "2020-01-01", "maybe", ""],
        ["b", "2020-01-01", "No", "2"],
        ["c", "2020-01-01", "-1", ""],
        ["d", "2020-01-01", "Yes", "5"],
    ])
    data = load_ipis(path)
    assert data.invalid == (
        (2, "the child labour answer 'maybe' is neither yes/no nor a count"),
        (3, "child labour is answered no, but 2 children are counted"),
        (4, "the child labour answer '-1' is neither yes/no nor a count"))
    assert [(s.code, s.latest.children_under_15, s.latest.children_count)
            for s in data.sites] == [("d", True, 5)]


@pytest.mark.skipif(not IPIS.is_file(), reason="the IPIS open data in ../shared/reference/"
                                               "other is not present")
def test_the_published_drc_file_reads_under_its_own_column_names() -> None:
    data = load_ipis(IPIS)
    assert {k: v for k, v in data.columns.items()} == {
        k: k for k in ("pcode", "name", "visit_date", "longitude", "latitude", "province",
                       "territoire", "workers_numb", "traceability", "qualification",
                       "childunder15")}
    with IPIS.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    answers = {r["childunder15"] for r in rows}
    assert answers == {"", "0", "1"}  # the DRC file answers yes/no as 1 and 0
    visits = {v.row: v for s in data.sites for v in s.history}
    assert {n: v.children_under_15 for n, v in visits.items()} == {
        n: {"": None, "0": False, "1": True}[r["childunder15"]]
        for n, r in enumerate(rows, start=2)}
    assert all(v.children_count is None for v in visits.values())
