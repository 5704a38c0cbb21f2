"""Regulation (EU) 2023/1542, Chapter VII: the shipped table of the act's values and the
scope of the battery due-diligence obligation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from mineral_compliance.disclosures.battery import battery_scope, load_battery_rules
from mineral_compliance.disclosures.dodd_frank import load_profile
from mineral_compliance.errors import ProfileError, ReferenceDataError
from mineral_compliance.models.battery import BatteryProfile, BatteryRules

from ..conftest import ROOT

_MONTHS_DE = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
              "September", "Oktober", "November", "Dezember")
_COUNTS_DE = {1: "jährlich", 10: "zehn"}
"""How the act's German text writes the counts the table holds (once a year, ten years)."""


def _as_written(value: object, language: str | None) -> str:
    """The value as the act's text in ``language`` writes it."""
    assert language == "de", "the table's wordings were read in the German text"
    if isinstance(value, str):
        day = dt.date.fromisoformat(value)
        return f"{day.day}. {_MONTHS_DE[day.month - 1]} {day.year}"
    assert isinstance(value, int) and not isinstance(value, bool)
    return _COUNTS_DE.get(value, f"{value} kWh")


def test_every_confirmed_value_is_the_one_in_the_acts_wording() -> None:
    rules = load_battery_rules()
    confirmed = [r for r in rules.rules if r.confirmed]
    assert {r.id for r in confirmed} >= {"application_date_original", "passport_date",
                                         "records_years", "passport_industrial_kwh"}
    for rule in confirmed:
        assert rule.wording is not None
        assert _as_written(rule.value, rule.language) in rule.wording, rule.id
    for rule in rules.rules:
        if not rule.confirmed:  # says why, and the value is still the one in force as reported
            assert rule.note and "Not yet checked against" in rule.note, rule.id
    assert rules.date("application_date") == dt.date(2027, 8, 18)
    assert rules.amount("turnover_threshold_eur") == 40_000_000


def test_annex_x_raw_materials_and_risk_categories_as_the_act_orders_them() -> None:
    rules = load_battery_rules()
    assert [m.material for m in rules.raw_materials[:4]] == [
        "Cobalt", "Natural graphite", "Lithium", "Nickel"]
    assert rules.raw_materials[4].id == "1(e)" and "active materials" in (
        rules.raw_materials[4].label or "")
    groups: dict[str, list[str]] = {}
    for category in rules.risk_categories:
        groups.setdefault(category.id.split(")")[0] + ")", []).append(category.id)
    romans = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix"]
    assert groups == {"2(a)": [f"2(a)({r})" for r in romans],
                      "2(b)": [f"2(b)({r})" for r in romans[:5]], "2(c)": ["2(c)"]}
    assert rules.snapshot is not None and rules.snapshot.rows == len(rules.rules)


def _profile(**fields: Any) -> BatteryProfile:
    base: dict[str, Any] = {"places_on_market": True, "categories": ["ev"]}
    return BatteryProfile.model_validate({**base, **fields})


def _year(year: int, net: float | None, group: float | None = None) -> dict[str, Any]:
    return {"year": year, "net_turnover_eur": net, "group_turnover_eur": group}


BEFORE, AFTER = dt.date(2026, 12, 2), dt.date(2028, 3, 1)
START = dt.date(2027, 8, 18)


@pytest.mark.parametrize(("fields", "as_of", "status", "deciding"), [
    ({"turnover": [_year(2025, 90e6)]}, BEFORE, "applies-from", None),
    ({"turnover": [_year(2025, 90e6), _year(2026, 90e6)]}, AFTER, "applies", None),
    # at the threshold is not below it
    ({"turnover": [_year(2025, 40e6)]}, BEFORE, "applies-from", None),
    ({"turnover": [_year(2025, 39_999_999)]}, BEFORE, "does-not-apply", "turnover"),
    # below it, but the group exceeds it on a consolidated basis; at it, it does not exceed
    ({"in_group": True, "turnover": [_year(2025, 10e6, 41e6)]}, BEFORE, "applies-from", None),
    ({"in_group": True, "turnover": [_year(2025, 10e6, 40e6)]}, BEFORE, "does-not-apply",
     "turnover"),
    ({"places_on_market": False, "turnover": [_year(2025, 90e6)]}, BEFORE, "does-not-apply",
     "operator"),
    ({"second_life_only": True, "turnover": [_year(2025, 90e6)]}, BEFORE, "does-not-apply",
     "second_life"),
    ({"turnover": [_year(2024, 90e6)]}, BEFORE, "undecided", "turnover"),
    ({"in_group": True, "turnover": [_year(2025, 10e6)]}, BEFORE, "undecided", "turnover"),
    ({"in_group": True, "turnover": [_year(2025, 10e6)]}, AFTER, "undecided", "turnover"),
    # the group's turnover decides whatever the operator's own, even when that is not given
    ({"in_group": True, "turnover": [_year(2025, None, 41e6)]}, BEFORE, "applies-from", None),
    # decided by another step: the missing turnover is not asked for
    ({"places_on_market": False}, BEFORE, "does-not-apply", "operator"),
    ({"second_life_only": True}, AFTER, "does-not-apply", "second_life"),
])
def test_scope(fields: dict[str, Any], as_of: dt.date, status: str, deciding: str | None) -> None:
    scope = battery_scope(_profile(**fields), as_of)
    assert scope.status == status
    # nothing applies before the date of application, decided or not
    assert scope.applies is {"applies": True, "applies-from": False, "does-not-apply": False,
                             "undecided": None if as_of >= START else False}[status]
    if status in ("applies", "applies-from"):
        assert scope.applies_from == dt.date(2027, 8, 18)
    else:
        assert scope.applies_from is None
    if deciding is not None:
        step = scope.conclusion(deciding)
        assert step is not None and step.answer is (None if status == "undecided" else False)
    assert bool(scope.needed) is (status == "undecided")
    for step in scope.conclusions:
        assert step.articles and step.text
    # the threshold and the date of application are not yet checked against the act's text:
    # no step or answer resting on them is confirmed, and the words say so; the passport's
    # date and capacity were read
    steps = {c.question: c for c in scope.conclusions}
    assert steps["turnover"].confirmed is False and steps["date"].confirmed is False
    assert "not yet checked against the act's text" in steps["turnover"].text
    assert steps["passport"].confirmed is True and steps["operator"].confirmed is True
    if status != "does-not-apply" or deciding == "turnover":
        assert scope.confirmed is False


def test_within_only_after_the_obligation_began_applies_from_the_as_of_date() -> None:
    """Below the threshold on the day the obligation began to apply, above it on the as-of
    date: it applies, but not from the date of application."""
    scope = battery_scope(_profile(turnover=[_year(2025, 1e6), _year(2026, 90e6)]), AFTER)
    assert scope.status == "applies" and scope.applies_from == AFTER
    step = scope.conclusion("turnover")
    assert step is not None and "when the obligation began to apply, it was not" in step.text


def test_a_group_turnover_without_a_group_is_refused() -> None:
    with pytest.raises(ValueError, match="in_group is false"):
        _profile(turnover=[_year(2025, 1e6, 90e6)])


def test_operator_outside_the_obligation_by_a_confirmed_step_is_confirmed() -> None:
    scope = battery_scope(_profile(places_on_market=False), BEFORE)
    assert scope.status == "does-not-apply" and scope.confirmed is True
    assert scope.passport is False


def test_the_financial_year_before_the_last_one() -> None:
    """Measured on the day the obligation applies, or on the as-of date once it does; a
    financial year ending in June is the last one from the first of July."""
    early = battery_scope(_profile(), BEFORE)
    assert any("ending 2025-12-31 (turnover, year 2025)" in n for n in early.needed)
    later = battery_scope(_profile(), dt.date(2029, 3, 1))
    assert any("year 2027" in n for n in later.needed)
    june = battery_scope(_profile(financial_year_end="06-30"), dt.date(2027, 9, 1))
    assert any("ending 2026-06-30" in n for n in june.needed)
    # on the last day of a financial year, that year has not ended yet
    on_the_day = battery_scope(_profile(financial_year_end="06-30"), dt.date(2028, 6, 30))
    assert any("ending 2026-06-30" in n for n in on_the_day.needed)
    after = battery_scope(_profile(financial_year_end="06-30"), dt.date(2028, 7, 1))
    assert any("ending 2027-06-30" in n for n in after.needed)


@pytest.mark.parametrize(("categories", "over_2kwh", "passport"), [
    (["lmt"], None, True), (["EV"], False, True), (["industrial"], True, True),
    (["industrial"], False, False), (["industrial"], None, None),
    (["industrial", "ev"], None, True), (["portable", "sli"], None, False), ([], None, None),
])
def test_passport(categories: list[str], over_2kwh: bool | None,
                  passport: bool | None) -> None:
    scope = battery_scope(_profile(categories=categories, industrial_over_2kwh=over_2kwh,
                                   turnover=[_year(2025, 1.0)]), BEFORE)
    assert scope.passport is passport
    assert scope.passport_from == (dt.date(2027, 2, 18) if passport else None)
    # owed whatever the turnover: this operator is below the threshold
    assert scope.status == "does-not-apply"
    assert bool(scope.needed) is (passport is None)
    if passport is None:
        assert scope.needed == (("the battery categories placed on the market (categories)",)
                                if not categories else
                                ("whether any industrial battery holds more than 2 kWh "
                                 "(industrial_over_2kwh)",))


def _table(tmp_path: Path, change: dict[str, Any] | None = None,
           drop: str | None = None) -> Path:
    data = json.loads((ROOT / "src/mineral_compliance/data/battery-due-diligence.json"
                       ).read_text(encoding="utf-8"))
    rules = [r for r in data["rules"] if r["id"] != drop]
    for rule in rules:
        rule.update((change or {}).get(rule["id"], {}))
    data["rules"] = rules
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_table_the_user_supplies_changes_the_answer(tmp_path: Path) -> None:
    """For example a threshold raised by a later amendment, read and confirmed by the user."""
    raised = load_battery_rules(_table(tmp_path, {"turnover_threshold_eur": {
        "value": 150_000_000, "confirmed": True, "language": "de",
        "wording": "150 000 000 EUR"}}))
    profile = _profile(turnover=[_year(2025, 90e6)])
    assert battery_scope(profile, BEFORE).status == "applies-from"
    scope = battery_scope(profile, BEFORE, raised)
    assert scope.status == "does-not-apply" and scope.confirmed is True
    assert scope.rules is not None and scope.rules.source.endswith("rules.json")
    kept = load_battery_rules(_table(tmp_path, {"second_life_excluded": {"value": False}}))
    second = battery_scope(_profile(second_life_only=True, turnover=[_year(2025, 90e6)]),
                           BEFORE, kept)
    assert second.status == "applies-from"


@pytest.mark.parametrize(("change", "drop", "message"), [
    (None, "application_date", "no rule 'application_date'"),
    ({"passport_date": {"value": "18 Feb 2027"}}, None, "is not a date"),
    ({"turnover_threshold_eur": {"value": -1}}, None, "is not a non-negative number"),
    ({"turnover_threshold_eur": {"value": "forty million"}}, None, "non-negative number"),
    ({"turnover_threshold_eur": {"value": float("inf")}}, None, "non-negative number"),
    ({"second_life_excluded": {"value": "yes"}}, None, "is not true or false"),
    ({"guidelines_date": {"confirmed": True}}, None, "needs the wording"),
    ({"application_date": {"value": "20270818"}}, None, "is not a date"),
    ({"application_date": {"value": "0001-01-01"}}, None, "is not a date"),
    ({"turnover_threshold_eur": {"value": 10 ** 400}}, None, "non-negative number"),
    ({"management_records_years": {"value": "ten"}}, None, "non-negative number"),
])
def test_a_table_that_is_not_one_is_refused_by_name(
        tmp_path: Path, change: dict[str, Any] | None, drop: str | None, message: str) -> None:
    path = _table(tmp_path, change, drop)
    with pytest.raises(ReferenceDataError) as caught:
        load_battery_rules(path)
    assert message in str(caught.value) and "rules.json" in str(caught.value)


def test_a_damaged_table_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"rules": [' * 5000)
    with pytest.raises(ReferenceDataError, match="not a battery due-diligence table"):
        load_battery_rules(bad)


def test_the_battery_section_of_a_company_profile(tmp_path: Path) -> None:
    demo = (ROOT / "fixtures/demo/company-profile.toml").read_text(encoding="utf-8")
    base = demo.split("\n[battery]")[0]  # the demo's own section, left out
    assert "[battery]" in demo and "[battery]" not in base
    head, _, products = base.partition("[[products]]")
    path = tmp_path / "company.toml"
    path.write_text(head + "[battery]\nplaces_on_market = true\ncategories = [\"LMT\"]\n"
                    "in_group = true\n[[battery.turnover]]\nyear = 2025\n"
                    "net_turnover_eur = 12_000_000\ngroup_turnover_eur = 80_000_000\n\n"
                    "[[products]]" + products, encoding="utf-8")
    profile = load_profile(path)
    assert profile.battery is not None
    scope = battery_scope(profile, BEFORE)
    assert scope.status == "applies-from" and scope.passport is True
    path.write_text(head + "[battery]\nplaces_on_market = true\ncategories = [\"drone\"]\n"
                    "[[products]]" + products, encoding="utf-8")
    with pytest.raises(ProfileError, match=r"battery\.categories\.0"):
        load_profile(path)
    path.write_text(base, encoding="utf-8")
    with pytest.raises(ProfileError, match=r"no \[battery\] section"):
        battery_scope(load_profile(path), BEFORE)


def test_the_rules_model_round_trips() -> None:
    rules = load_battery_rules()
    assert BatteryRules.model_validate_json(rules.model_dump_json()) == rules


def test_a_table_without_a_raw_material_of_annex_x_is_refused(tmp_path: Path) -> None:
    data = json.loads((ROOT / "src/mineral_compliance/data/battery-due-diligence.json"
                       ).read_text(encoding="utf-8"))
    data["raw_materials"] = [m for m in data["raw_materials"] if m["id"] != "1(c)"]
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"raw material '1\(c\)'"):
        load_battery_rules(path)
