"""Resolving declared smelters: each step of the cascade, its grade and its reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from mineral_compliance.errors import ReferenceDataError
from mineral_compliance.models import LookupEntry, SmelterReference, TemplateKind
from mineral_compliance.models.matching import DeclaredSmelter, MatchGrade
from mineral_compliance.names import country_code, name_key
from mineral_compliance.refdata import SmelterMatcher, load_legacy_ids, normalise_id

from ..conftest import REFERENCE as REFERENCE_DIR


def _entry(row: int, metal: str, name: str, standard: str, country: str, sid: str) -> LookupEntry:
    return LookupEntry(row=row, metal=metal, lookup_name=name, standard_name=standard,
                       country=country, smelter_id=sid)


REFERENCE = SmelterReference(
    kind=TemplateKind.CMRT, version="6.5", file="synthetic.xlsx", sha256="0" * 64,
    sheet="Smelter Look-up",
    entries=(
        _entry(5, "Gold", "Example Gold Refinery Co., Ltd.", "Example Gold Refinery Co., Ltd.",
               "JAPAN", "CID000101"),
        _entry(6, "Gold", "Old Works Alias", "Example Gold Refinery Co., Ltd.", "JAPAN",
               "CID000101"),
        _entry(7, "Tin", "Example Tin Smelter S.A.", "Example Tin Smelter S.A.", "BOLIVIA",
               "CID000202"),
        _entry(8, "Tin", "Twin Plant", "Twin Plant", "PERU", "CID000303"),
        _entry(9, "Tin", "Twin Plant", "Twin Plant", "CHILE", "CID000304"),
        _entry(10, "Tungsten", "Córrego Wolfram Mineração Ltda", "Córrego Wolfram Mineração Ltda",
               "BRAZIL", "CID000405"),
        _entry(11, "Gold", "Smelter not listed", "Smelter not listed", "", ""),
    ),
)
MATCHER = SmelterMatcher(REFERENCE)


def _match(metal: str | None, name: str | None, country: str | None = None,
           sid: str | None = None) -> tuple[MatchGrade, str | None]:
    result = MATCHER.match(DeclaredSmelter(metal=metal, name=name, country=country,
                                           smelter_id=sid))
    assert result.reasons, "every result says why"
    return result.grade, result.smelter_id


def test_id_steps_check_the_metal_and_the_name() -> None:
    assert _match("Gold", "whatever the supplier typed", sid="cid 101") == (
        MatchGrade.EXACT_ID, "CID000101")
    assert _match("Tin", None, sid="CID000101") == (MatchGrade.CONFLICTING, None)
    # the ID names one facility, the exact name another of the same metal
    grade, _ = _match("Tin", "Example Tin Smelter S.A.", "BOLIVIA", "CID000303")
    assert grade is MatchGrade.CONFLICTING
    # an unknown ID falls through to the name
    assert _match("Tin", "Example Tin Smelter S.A.", sid="CID999999") == (
        MatchGrade.ALIAS, "CID000202")


def test_name_steps() -> None:
    assert _match("Gold", "old works alias ") == (MatchGrade.ALIAS, "CID000101")
    assert _match("GOLD", "Example Gold Refinery Company Limited") == (
        MatchGrade.NORMALISED, "CID000101")
    assert _match("Tungsten (W)", "CORREGO WOLFRAM MINERACAO") == (
        MatchGrade.NORMALISED, "CID000405")
    assert _match("Tin", "Smelter Example Tin") == (MatchGrade.NORMALISED, "CID000202")
    # one name, two countries: the country decides, or nobody is accepted
    assert _match("Tin", "Twin Plant", "Chile") == (MatchGrade.ALIAS, "CID000304")
    assert _match("Tin", "Twin Plant")[0] is MatchGrade.SUGGESTED
    # a contradicting country makes it a suggestion, with the facility as first candidate
    result = MATCHER.match(DeclaredSmelter(metal="Tin", name="Example Tin Smelter SA",
                                           country="China"))
    assert result.grade is MatchGrade.SUGGESTED
    assert result.candidates[0].smelter_id == "CID000202"
    assert "country" in " ".join(result.reasons)


def test_fuzzy_candidates_are_only_suggested_and_unrelated_names_unmatched() -> None:
    result = MATCHER.match(DeclaredSmelter(metal="Gold", name="Exampel Gold Refinary"))
    assert result.grade is MatchGrade.SUGGESTED and result.smelter_id is None
    assert result.candidates[0].smelter_id == "CID000101"
    assert 70 <= result.candidates[0].score < 100
    assert _match("Gold", "Completely Different Metals Works") == (MatchGrade.UNMATCHED, None)
    # the metal bounds the search: a tin name under gold is not found
    assert _match("Gold", "Example Tin Smelter S.A.")[0] is not MatchGrade.ALIAS


@pytest.mark.parametrize("name", ["Smelter not yet identified", "Unknown", "N/A", "0", "", None,
                                  "smelter not listed"])
def test_placeholders_are_recognised_not_matched(name: str | None) -> None:
    assert _match("Gold", name) == (MatchGrade.PLACEHOLDER, None)


def test_legacy_ids_translate_through_a_supplied_table(tmp_path: Path) -> None:
    table = tmp_path / "translation.csv"
    table.write_text(",,,Version 2,Version 3\nGold,Example Gold Refinery,JAPAN,1JPN072,CID000101\n"
                     "Tin,Gone Smelter,PERU,1PER001,CID777777\n", encoding="utf-8")
    legacy = load_legacy_ids(table)
    assert legacy.snapshot.rows == 2 and len(legacy.snapshot.sha256) == 64
    assert legacy.entries[0].metal == "Gold" and legacy.entries[0].country == "JAPAN"
    matcher = SmelterMatcher(REFERENCE, legacy=legacy)
    found = matcher.match(DeclaredSmelter(metal="Gold", name="x", smelter_id="1jpn072"))
    assert (found.grade, found.smelter_id) == (MatchGrade.LEGACY_ID, "CID000101")
    assert "1JPN072" in found.reasons[0]
    # a translation to an ID the reference does not have is no match
    gone = matcher.match(DeclaredSmelter(metal="Tin", name=None, smelter_id="1PER001"))
    assert gone.grade is MatchGrade.UNMATCHED


def test_normal_forms() -> None:
    assert normalise_id(" cid-2030 ") == "CID002030"
    assert normalise_id("1deu001") == "1DEU001"
    assert name_key("PT Timah Tbk Kundur") == "timah kundur"
    assert name_key("Umicore S.A. Business Unit") == name_key("UMICORE SA business unit")
    assert country_code("CONGO, DEMOCRATIC REPUBLIC OF THE") == "CD"
    assert country_code("South Korea") == country_code("KOREA, REPUBLIC OF") == "KR"
    assert country_code("Unknown") is None


SPREADSHEETML = """<?xml version="1.0"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Worksheet ss:Name="Facilities"><Table>
  <Row><Cell><Data ss:Type="String">Conformant facilities, exported 2026-10-01</Data></Cell></Row>
  <Row><Cell><Data ss:Type="String">Metal</Data></Cell>
   <Cell><Data ss:Type="String">Facility ID</Data></Cell>
   <Cell><Data ss:Type="String">Standard Facility Name</Data></Cell>
   <Cell><Data ss:Type="String">Country</Data></Cell>
   <Cell><Data ss:Type="String">Assessment Status</Data></Cell></Row>
  <Row><Cell><Data ss:Type="String">Tin</Data></Cell>
   <Cell><Data ss:Type="String">CID000202</Data></Cell>
   <Cell><Data ss:Type="String">Example Tin Smelter S.A.</Data></Cell>
   <Cell ss:Index="5"><Data ss:Type="String">Conformant</Data></Cell></Row>
  <Row><Cell><Data ss:Type="String">Tungsten</Data></Cell>
   <Cell><Data ss:Type="String">CID000405</Data></Cell>
   <Cell><Data ss:Type="String">Corrego</Data></Cell>
   <Cell><Data ss:Type="String">Brazil</Data></Cell>
   <Cell><Data ss:Type="String">Non Conformant</Data></Cell></Row>
 </Table></Worksheet></Workbook>"""


def test_status_lists_in_three_formats_and_gold_cross_recognition(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from mineral_compliance.models.matching import StatusKind
    from mineral_compliance.refdata import load_status_list

    xml = tmp_path / "facilities.xml"
    xml.write_text(SPREADSHEETML, encoding="utf-8")
    rmi = load_status_list(xml)
    assert [(e.smelter_id, e.status, e.row) for e in rmi.entries] == [
        ("CID000202", StatusKind.CONFORMANT, 3), ("CID000405", StatusKind.NON_CONFORMANT, 4)]
    assert rmi.entries[0].country is None  # the skipped cell (ss:Index) stays empty
    assert (rmi.snapshot.version or "").startswith("file dated ")  # the list states no date
    active = tmp_path / "active.csv"
    active.write_text("Smelter ID,Smelter Name,Metal\ncid 304,Twin Plant,Tin\n", encoding="utf-8")
    active_list = load_status_list(active, default_status=StatusKind.ACTIVE)
    assert active_list.entries[0].status is StatusKind.ACTIVE
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Refiner", "Country"])
    sheet.append(["Example Gold Refinery Company Limited", "Japan"])
    book.save(tmp_path / "lbma.xlsx")
    lbma = load_status_list(tmp_path / "lbma.xlsx", kind="lbma")
    matcher = SmelterMatcher(REFERENCE, status_lists=[rmi, active_list, lbma])
    tin = matcher.match(DeclaredSmelter(metal="Tin", name="Example Tin Smelter S.A.",
                                        recycled_scrap="Yes"))
    assert (tin.status, tin.flags) == (StatusKind.CONFORMANT, ("recycled-claim",))
    assert tin.status_sources == (str(xml),)
    assert matcher.match(DeclaredSmelter(metal="Tin", name="Twin Plant", country="CHILE")
                         ).status is StatusKind.ACTIVE
    gold = matcher.match(DeclaredSmelter(metal="Gold", name="Old Works Alias"))
    assert gold.flags == ("lbma",) and gold.status is StatusKind.UNKNOWN
    assert [s.kind for s in matcher.snapshots] == [
        "smelter-reference:CMRT", "status-list:rmi", "status-list:rmi", "status-list:lbma"]
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="header row"):
        load_status_list(bad)


CAHRA = {"meta": {"version": "Test report", "source": "unit"}, "entries": [
    {"countryName": "Burundi", "iso2": "BI", "iso3": "BDI", "regions": None,
     "wholeCountry": True},
    {"countryName": "Peru", "iso2": "PE", "iso3": "PER", "wholeCountry": False, "regions": [
        {"name": "Somewhere", "code": "PE-XX", "conflictAffected": False, "highRisk": True}]},
]}


def test_cahra_list_and_covered_country_flags(tmp_path: Path) -> None:
    import json

    from mineral_compliance.refdata import load_cahra

    path = tmp_path / "cahra.json"
    path.write_text(json.dumps(CAHRA), encoding="utf-8")
    cahra = load_cahra(path)
    assert cahra.snapshot.version == "Test report" and cahra.snapshot.rows == 2
    assert cahra.lookup("PE", "PE-XX")[0].high_risk is True
    assert cahra.lookup("PE", "PE-YY") == []
    matcher = SmelterMatcher(REFERENCE, cahra=cahra)
    peru = matcher.match(DeclaredSmelter(metal="Tin", name="Twin Plant", country="Peru"))
    assert peru.flags == ("cahra-region",)
    unlisted = matcher.match(DeclaredSmelter(metal="Tin", name="New Works", country="Burundi"))
    assert unlisted.grade is MatchGrade.UNMATCHED
    assert unlisted.flags == ("covered-country", "cahra")  # the declared country is used
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="CAHRA"):
        load_cahra(path)


@pytest.mark.skipif(not (REFERENCE_DIR / "other" / "cahra.json").is_file(),
                    reason="the CAHRA list in ../shared/reference/other is not present")
def test_the_published_cahra_list_loads() -> None:
    from mineral_compliance.refdata import load_cahra

    cahra = load_cahra(REFERENCE_DIR / "other" / "cahra.json")
    assert {"CD", "BI", "AF"} <= cahra.countries()
    assert any(a.region == "CD-NK" for a in cahra.lookup("CD"))
    assert all(a.region is None for a in cahra.lookup("BI"))


def test_cahra_regions_decide_through_the_facilitys_province(tmp_path: Path) -> None:
    import json

    from mineral_compliance.refdata import load_cahra

    listed = {"meta": {}, "entries": [{"countryName": "DR Congo", "iso2": "CD", "regions": [
        {"name": "Nord-Kivu", "code": "CD-NK", "conflictAffected": True, "highRisk": True}]}]}
    path = tmp_path / "cahra.json"
    path.write_text(json.dumps(listed), encoding="utf-8")
    reference = REFERENCE.model_copy(update={"entries": (
        LookupEntry(row=5, metal="Tin", lookup_name="Kivu Example Smelter",
                    standard_name="Kivu Example Smelter", country="CONGO, DEMOCRATIC "
                    "REPUBLIC OF THE", smelter_id="CID000501", state_province="Nord-Kivu"),
        LookupEntry(row=6, metal="Tin", lookup_name="Katanga Example Smelter",
                    standard_name="Katanga Example Smelter", country="CONGO, DEMOCRATIC "
                    "REPUBLIC OF THE", smelter_id="CID000502", state_province="Haut-Katanga"),
    )})
    matcher = SmelterMatcher(reference, cahra=load_cahra(path))
    kivu = matcher.match(DeclaredSmelter(metal="Tin", name="Kivu Example Smelter"))
    assert kivu.flags == ("covered-country", "cahra")
    assert "CD-NK" in kivu.reasons[-1] and "conflict-affected" in kivu.reasons[-1]
    katanga = matcher.match(DeclaredSmelter(metal="Tin", name="Katanga Example Smelter"))
    assert katanga.flags == ("covered-country",)
    assert "CD-HK" in katanga.reasons[-1] and "not among" in katanga.reasons[-1]


@pytest.mark.skipif(not (REFERENCE_DIR / "smelters").is_dir(),
                    reason="the smelter lists in ../shared/reference/smelters are not present")
@pytest.mark.parametrize("name", ["v2_to_v3_translation_data.csv", "smelter_references.csv"])
def test_real_translation_tables_load_and_translate(name: str) -> None:
    legacy = load_legacy_ids(REFERENCE_DIR / "smelters" / name)
    assert legacy.snapshot.rows > 150
    # Allgemeine Gold- und Silberscheideanstalt: 1DEU001 became CID000035 in both tables
    assert legacy.translate("1deu001") == "CID000035"
    entry = next(e for e in legacy.entries if e.legacy_id == "1DEU001")
    assert entry.metal == "Gold" and entry.country == "GERMANY"


def test_supplied_files_are_bounded_and_their_errors_typed(tmp_path: Path) -> None:
    from mineral_compliance.tables import decode_text, read_capped

    big = tmp_path / "list.csv"
    big.write_bytes(b"x" * 100)
    with pytest.raises(ReferenceDataError, match="over the 10 byte limit"):
        read_capped(big, 10)
    with pytest.raises(ReferenceDataError, match="cannot be read"):
        read_capped(tmp_path / "missing.csv", 10)
    assert decode_text("Córrego".encode("cp1252"), big) == "Córrego"
    assert decode_text("\ufeffCórrego".encode(), big) == "Córrego"


def test_the_newest_look_up_of_each_family_is_picked_the_first_on_a_tie() -> None:
    from mineral_compliance.refdata.crosscheck import newest_per_family

    picked = newest_per_family([
        ("CMRT", "6.01", "a"), ("EMRT", "2.0", "b"), ("CMRT", "6.5", "c"),
        ("CMRT", "6.10", "d"),  # 6.10 is 6.1: older than 6.5
        ("CMRT", "6.5", "e"),   # as new as "c", given later
        ("EMRT", "2.1", "f")])
    assert picked == {"CMRT": "c", "EMRT": "f"}
    assert list(picked) == ["CMRT", "EMRT"]  # families in the order first seen
    assert newest_per_family([]) == {}
