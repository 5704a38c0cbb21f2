"""One answer for how names compare: the rules and the matcher agree on every spelling."""

from __future__ import annotations

from pathlib import Path

import pytest

from mineral_compliance.models.matching import DeclaredSmelter
from mineral_compliance.models.reference import LookupEntry
from mineral_compliance.names import (
    COVERED_COUNTRY_CODES,
    country_code,
    in_covered_country,
    is_placeholder,
    metal_key,
    name_key,
    normalise_id,
    same_name,
)
from mineral_compliance.refdata import SmelterMatcher

from .rules.test_rules import CMRT_65, CMRT_501, codes_at, variant

DRC_SPELLINGS = ["D.R. Congo", "Republic of Congo", "Congo, Democratic Republic of", "DRC",
                 "CONGO, DEMOCRATIC REPUBLIC OF THE", "Congo (Kinshasa)", "Tanzania",
                 "TANZANIA, UNITED REPUBLIC OF", "cd", "South Sudan"]
ELSEWHERE = ["PERU", "Congo Basin Trading", "Kenya", "", "Unknown"]


@pytest.mark.parametrize("spelling", DRC_SPELLINGS)
def test_every_spelling_of_a_covered_country_is_covered(spelling: str) -> None:
    assert in_covered_country(spelling)
    assert country_code(spelling) in COVERED_COUNTRY_CODES


@pytest.mark.parametrize("spelling", ELSEWHERE)
def test_other_places_are_not(spelling: str) -> None:
    assert not in_covered_country(spelling)


def _matcher_flags(country: str) -> tuple[str, ...]:
    from mineral_compliance.templates import reference_from_template

    matcher = SmelterMatcher(reference_from_template(CMRT_501))
    row = DeclaredSmelter(sheet="Smelter List", row=8, metal="Tin",
                          name="Example Kivu Smelter", country=country)
    return tuple(matcher.match(row).flags)


@pytest.mark.parametrize("spelling", ["D.R. Congo", "Republic of Congo",
                                      "Congo, Democratic Republic of", "PERU"])
def test_the_rule_and_the_matcher_agree_on_covered_countries(tmp_path: Path,
                                                             spelling: str) -> None:
    path = variant(tmp_path, CMRT_501, {
        "Declaration!D39": "No",  # Tin Q3: no tin from the covered countries ...
        "Smelter List!B8": "Tin", "Smelter List!C8": "Smelter not listed",
        "Smelter List!D8": "Example Kivu Smelter", "Smelter List!E8": spelling,
    })
    by_rule = ("covered-country-but-q3-no", "Declaration", "D39") in codes_at(path)
    by_matcher = "covered-country" in _matcher_flags(spelling)
    assert by_rule == by_matcher == (spelling != "PERU")


def test_a_legal_form_does_not_make_a_typed_name_contradict_its_id(tmp_path: Path) -> None:
    """"Example Tin Smelting Co., Ltd." is the look-up's facility for the matcher, so it is
    no contradiction for the rules either; a different name still is."""
    lookup = {e.smelter_id: e for e in _lookup(CMRT_65)}
    entry = lookup["CID900001"]
    base = entry.standard_name or entry.lookup_name
    typed = f"{base} Co., Ltd."
    assert same_name(typed, base)
    path = variant(tmp_path, CMRT_65, {
        "Smelter List!A9": "CID900001", "Smelter List!D9": typed,
        "Smelter List!A10": "CID900001", "Smelter List!D10": "Another Name Ltd",
        "Smelter List!B10": "Gold",
    })
    found = codes_at(path, select=["smelter-details-contradict-id"])
    assert [(code, cell) for code, _s, cell in found] == [
        ("smelter-details-contradict-id", "D10")]


def _lookup(path: Path) -> tuple[LookupEntry, ...]:
    from mineral_compliance.templates import reference_from_template

    return reference_from_template(path).entries


def test_a_country_spelled_another_way_does_not_contradict_the_lookup(tmp_path: Path) -> None:
    entry = {e.smelter_id: e for e in _lookup(CMRT_65)}["CID900001"]
    assert entry.country
    code = country_code(entry.country)
    assert code is not None
    path = variant(tmp_path, CMRT_65, {"Smelter List!A9": "CID900001",
                                       "Smelter List!E9": code.lower()})
    assert codes_at(path, select=["smelter-details-contradict-id"]) == []


def test_duplicate_rows_compare_ids_and_names_as_the_matcher_does(tmp_path: Path) -> None:
    path = variant(tmp_path, CMRT_65, {
        "Smelter List!A9": "cid 900001", "Smelter List!A10": "CID900001",
    })
    found = codes_at(path, select=["duplicate-smelter-row"])
    assert [cell for _c, _s, cell in found] == ["A10"]


def test_name_keys_drop_legal_forms_and_keep_what_names_the_facility() -> None:
    assert name_key("Example Tin Smelting Co., Ltd.") == name_key("EXAMPLE TIN SMELTING")
    assert name_key("PT Timah Tbk") == name_key("Timah")
    assert not same_name("Co., Ltd.", "Ltd")  # nothing distinctive left is no match
    assert not same_name("Thai Tin Smelter", "Thai Gold Refinery")
    assert normalise_id(" cid 1234 ") == "CID001234"
    assert metal_key("Tin (Sn)") == metal_key("TIN") == "tin"
    assert is_placeholder("N/A") and not is_placeholder("Timah")


def test_a_region_name_two_subdivisions_share_gets_the_same_code_in_every_process(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """pycountry returns a country's subdivisions as a set, iterated in an order that
    differs between processes; a consolidation's outputs must not depend on it."""
    import pycountry

    from mineral_compliance import names

    subdivisions = list(pycountry.subdivisions.get(  # type: ignore[no-untyped-call]
        country_code="UZ"))
    assert sorted(s.code for s in subdivisions if s.name == "Toshkent") == ["UZ-TK", "UZ-TO"]
    answers = set()
    for order in (subdivisions, subdivisions[::-1]):
        names._regions.cache_clear()
        names.region_code.cache_clear()
        monkeypatch.setattr(pycountry.subdivisions, "get",
                            lambda order=order, **_: order)
        answers.add(names.region_code("UZ", "Toshkent"))
    names._regions.cache_clear()
    names.region_code.cache_clear()
    assert answers == {"UZ-TK"}
