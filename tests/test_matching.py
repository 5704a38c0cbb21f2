"""Resolving declared smelters: each step of the cascade, its grade and its reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from mineral_compliance.models import LookupEntry, SmelterReference, TemplateKind
from mineral_compliance.models.matching import DeclaredSmelter, MatchGrade
from mineral_compliance.refdata import SmelterMatcher, load_legacy_ids, normalise_id
from mineral_compliance.refdata._text import country_code, name_key


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
