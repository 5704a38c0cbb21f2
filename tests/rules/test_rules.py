"""Validation rules on the project's own fixtures: each rule's behaviour, the registry
contract, selection, crash isolation and the generated catalogue."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from mineral_compliance import AcceptPolicy
from mineral_compliance.findings import Basis, Severity
from mineral_compliance.rules import _registry, registry, validate, validate_file
from mineral_compliance.rules.catalogue import render_catalogue
from mineral_compliance.templates import read_template
from mineral_compliance.templates._xlsx import CellInput, patch_cells

from ..conftest import FIXTURES, ROOT, needs_reference

DEMO = FIXTURES / "demo"
CMRT_501 = DEMO / "cmrt-6.01-numeric-response-rate.xlsx"
CMRT_522 = DEMO / "cmrt-6.22-messy-answers.xlsx"
CMRT_65 = DEMO / "cmrt-6.5-product-scope.xlsx"
TODAY = dt.date(2025, 12, 1)
ANY_VERSION = AcceptPolicy.parse("CMRT,EMRT,CRT,AMRT")
"""A policy accepting every release, for tests about other rules on older fixtures."""


def variant(tmp_path: Path, base: Path, edits: dict[str, CellInput]) -> Path:
    """A copy of a fixture with cells changed (``{"Declaration!D8": None}``)."""
    return patch_cells(base, edits, tmp_path / f"{base.stem}-variant.xlsx")


def codes_at(path: Path, **kw: Any) -> list[tuple[str, str | None, str | None]]:
    kw.setdefault("today", TODAY)
    report = validate_file(path, **kw)
    return [(f.code, f.sheet, f.cell) for f in report.findings]


# -- registry contract ------------------------------------------------------------------------


def test_every_rule_has_a_stable_code_a_title_and_a_description() -> None:
    rules = registry()
    assert len(rules) >= 20
    for code, r in rules.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", code), code
        assert r.title and r.title.endswith("."), code
        assert r.description, code
        if r.basis is Basis.CHECKER:
            assert r.severity is Severity.ERROR, code


def test_findings_catalogue_is_current() -> None:
    on_disk = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    assert on_disk == render_catalogue(), "run: python scripts/export_docs.py"
    for code in registry():
        assert f"## `{code}`" in on_disk


def test_rules_select_and_ignore_by_code() -> None:
    decl = read_template(CMRT_522)
    only = validate(decl, select=["company-answer-missing"], today=TODAY)
    assert set(only.codes()) == {"company-answer-missing"}
    rest = validate(decl, ignore=["company-answer-missing"], today=TODAY)
    assert "company-answer-missing" not in rest.codes() and "answer-missing" in rest.codes()
    with pytest.raises(ValueError, match="no-such-rule"):
        validate(decl, select=["no-such-rule"])


def test_a_crashing_rule_becomes_a_finding_and_the_others_still_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(ctx: _registry.Context) -> list[_registry.Hit]:
        raise KeyError("boom")

    broken = _registry.Rule("always-crashes", Severity.WARNING, Basis.CONSISTENCY,
                            "Crashes.", "For the test.", explode)
    monkeypatch.setitem(_registry._RULES, "always-crashes", broken)
    report = validate(read_template(CMRT_522), today=TODAY)
    failed = [f for f in report.findings if f.code == "rule-failed"]
    assert [f.subject for f in failed] == ["always-crashes"]
    assert "KeyError" in failed[0].message
    assert "answer-missing" in report.codes()


# -- Checker items on the fixtures --------------------------------------------------------------


def test_messy_cmrt_opens_the_gated_questions_and_company_questions() -> None:
    # Tungsten: Q1 and Q2 "Yes", Q3 "Maybe", Q6 answered; Q4, Q5, Q7, Q8 and B-G blank.
    report = validate_file(CMRT_522, today=TODAY, accept=ANY_VERSION)
    errors = [(f.code, f.cell, f.subject) for f in report.by_severity(Severity.ERROR)]
    assert errors == [
        ("answer-missing", "D47", "Tungsten"),
        ("answer-missing", "D53", "Tungsten"),
        ("answer-missing", "D65", "Tungsten"),
        ("answer-missing", "D71", "Tungsten"),
        *[("company-answer-missing", f"D{r}", k) for r, k in zip(range(77, 88, 2), "BCDEFG",
                                                                  strict=True)],
    ]
    assert not report.valid


def test_complete_fixture_is_valid_and_each_removal_opens_its_item(tmp_path: Path) -> None:
    assert validate_file(CMRT_501, today=TODAY, accept=ANY_VERSION).valid
    cases = {
        "Declaration!D8": ("company-field-missing", "D8"),
        "Declaration!D16": ("company-field-missing", "D16"),
        "Declaration!D22": ("company-field-missing", "D22"),
        "Declaration!D27": ("answer-missing", "D27"),  # Tin question 1
        "Declaration!D87": ("company-answer-missing", "D87"),
        "Declaration!G77": ("policy-url-missing", "G77"),
    }
    for ref, expected in cases.items():
        path = variant(tmp_path, CMRT_501, {ref: None})
        found = [(c, cell) for c, _s, cell in codes_at(path) if c != "template-outdated"]
        assert expected in found, (ref, found)


def test_question_2_counts_only_once_question_1_is_yes(tmp_path: Path) -> None:
    # Tin Q1 cleared while Q2 stays "Yes": the Checker opens Q1 and Q2 and every later question.
    path = variant(tmp_path, CMRT_501, {"Declaration!D27": None})
    report = validate_file(path, today=TODAY)
    tin = [f.cell for f in report.findings if f.code == "answer-missing" and f.subject == "Tin"]
    assert tin == ["D27", "D33", "D39", "D45", "D51", "D57", "D63", "D69"]
    q2 = next(f for f in report.findings if f.cell == "D33")
    assert "counts only once question 1 is 'Yes'" in q2.message


def test_email_scope_products_and_unlisted_smelter_items(tmp_path: Path) -> None:
    path = variant(tmp_path, CMRT_65, {
        "Declaration!D16": "compliance.example.com",
        "Product List!B6": None,
        "Smelter List!B12": "Tin", "Smelter List!C12": "Smelter not listed",
        "Smelter List!D12": "Example Unlisted Works",
    })
    found = codes_at(path, select=["email-invalid", "product-list-empty",
                                   "unlisted-smelter-incomplete"])
    assert found == [
        ("email-invalid", "Declaration", "D16"),
        ("product-list-empty", "Product List", "B6"),
        ("unlisted-smelter-incomplete", "Smelter List", "E12"),
    ]
    hint = next(f.hint for f in validate_file(path, today=TODAY).findings
                if f.code == "product-list-empty")
    assert hint is not None and "row 6" in hint  # products start lower down


def test_scope_c_needs_a_description(tmp_path: Path) -> None:
    path = variant(tmp_path, CMRT_522, {"Declaration!D10": None})
    assert ("scope-description-missing", "Declaration", "D10") in codes_at(path)


def test_in_scope_metal_without_smelter_rows(tmp_path: Path) -> None:
    # Gold is in scope in the 6.01 fixture with one Gold row; remove it.
    path = variant(tmp_path, CMRT_501, {"Smelter List!B6": None, "Smelter List!C6": None})
    report = validate_file(path, today=TODAY)
    missing = [f for f in report.findings if f.code == "smelter-list-missing-mineral"]
    assert [(f.subject, f.checker_item) for f in missing] == [("Gold", "Smelter List - Gold")]


# -- beyond the Checker ---------------------------------------------------------------------


def test_effective_date_rules(tmp_path: Path) -> None:
    too_late = variant(tmp_path, CMRT_501, {"Declaration!D22": dt.datetime(2026, 6, 30)})
    found = codes_at(too_late, today=dt.date(2026, 11, 23))
    assert ("effective-date-invalid", "Declaration", "D22") in found  # 6.01 ends 31 Mar 2026
    future = codes_at(variant(tmp_path, CMRT_65, {"Declaration!D22": "2031-01-31"}))
    assert ("effective-date-in-future", "Declaration", "D22") in future
    assert ("effective-date-invalid", "Declaration", "D22") not in future  # 6.5: no upper bound
    text = codes_at(variant(tmp_path, CMRT_65, {"Declaration!D22": "soon"}))
    assert ("effective-date-invalid", "Declaration", "D22") in text
    early = codes_at(CMRT_65)  # 31 Mar 2025, before 6.5's release on 25 Apr 2025
    assert ("effective-date-before-release", "Declaration", "D22") in early


def test_answer_contradictions(tmp_path: Path) -> None:
    path = variant(tmp_path, CMRT_501, {
        "Declaration!D26": "No",            # Tantalum not used ...
        "Smelter List!B7": "Tantalum", "Smelter List!C7": "Demo Tantalum Works",  # ... listed
        "Declaration!D39": "No",            # Tin Q3 "No" ...
        "Smelter List!B8": "Tin", "Smelter List!C8": "Smelter not listed",
        "Smelter List!D8": "Example Kivu Smelter", "Smelter List!E8": "RWANDA",  # ... DRC area
        "Declaration!D52": "Yes",           # Gold Q5 100 % recycled ...
        "Smelter List!P6": "No",            # ... but the Gold row says not
        "Declaration!D64": "Yes",           # Gold Q7 all identified ...
    })
    found = codes_at(path)
    assert ("not-used-but-smelters-listed", "Declaration", "D26") in found
    assert ("covered-country-but-q3-no", "Declaration", "D39") in found
    assert ("recycled-answer-contradicts-rows", "Declaration", "D52") in found
    assert not any(c == "all-identified-but-unidentified-rows" for c, *_ in found)


def test_answer_contradictions_follow_each_familys_question_numbers(tmp_path: Path) -> None:
    emrt = variant(tmp_path, DEMO / "emrt-2.1-selected-minerals.xlsx", {
        "Declaration!D66": "Yes",             # Cobalt Q4: 100 % recycled ...
        "Smelter List!P5": "No",              # ... but its refiner's row says not
        "Declaration!D90": "Yes",             # Cobalt Q6: all identified ...
    })
    found = codes_at(emrt)
    assert ("recycled-answer-contradicts-rows", "Declaration", "D66") in found
    assert ("not-used-but-smelters-listed", "Declaration", "D31") in found  # Lithium Q1 "No"
    assert not any(c == "all-identified-but-unidentified-rows" for c, *_ in found)
    crt = variant(tmp_path, DEMO / "crt-2.21-cobalt.xlsx", {
        "Declaration!D38": "Yes",             # Q3: 100 % recycled ...
        "Smelter List!P5": "No",              # ... contradicted by the row
        "Declaration!D50": "Yes",             # Q5: all identified ...
        "Smelter List!A5": None,              # ... yet the only row is unidentified
        "Smelter List!B5": "Cobalt", "Smelter List!C5": "Smelter not yet identified",
    })
    found = codes_at(crt)
    assert ("recycled-answer-contradicts-rows", "Declaration", "D38") in found
    assert ("all-identified-but-unidentified-rows", "Declaration", "D50") in found
    # the CMRT's covered-countries question has no CRT counterpart (its row is Zambian)
    assert not any(c == "covered-country-but-q3-no" for c, *_ in found)


def test_smelter_rows_against_the_templates_lookup(tmp_path: Path) -> None:
    path = variant(tmp_path, CMRT_65, {
        "Smelter List!A8": "CID900002", "Smelter List!B8": "Tin",       # a gold refiner as tin
        "Smelter List!A9": "CID900001", "Smelter List!D9": "Another Name Ltd",
        "Smelter List!E9": "PERU",                                       # wrong name, country
        "Smelter List!A10": "CID900001",                                 # repeats row 9
    })
    found = codes_at(path)
    assert ("smelter-id-unknown", "Smelter List", "A7") in found          # CID999999
    assert ("smelter-id-other-metal", "Smelter List", "B8") in found
    assert ("smelter-details-contradict-id", "Smelter List", "D9") in found
    assert ("smelter-details-contradict-id", "Smelter List", "E9") in found
    assert ("duplicate-smelter-row", "Smelter List", "A10") in found
    # the alias row 5 ("ETS Alias Refinery" for CID900001) is not a contradiction
    assert not any(c == "smelter-details-contradict-id" and cell == "D5"
                   for c, _s, cell in found)


FIXTURE_65 = [("template-outdated", "Declaration", "J3"),
              ("effective-date-before-release", "Declaration", "D22"),
              ("smelter-id-unknown", "Smelter List", "A7")]
"""The findings of the CMRT 6.5 fixture itself (its row 5 lists CID900001, no mine named)."""


def _mine_rows(mines: dict[int, tuple[str | None, str | None]]) -> dict[str, CellInput]:
    """Rows repeating the fixture's smelter CID900001, each naming a mine and its country."""
    edits: dict[str, CellInput] = {}
    for row, (name, country) in mines.items():
        edits |= {f"Smelter List!A{row}": "CID900001", f"Smelter List!N{row}": name,
                  f"Smelter List!O{row}": country}
    return edits


def test_a_smelter_repeated_once_per_mine_is_not_a_duplicate(tmp_path: Path) -> None:
    """Five rows of one smelter, each naming another mine, declare its mines; beside them,
    row 5 (no mine named) repeats none of them."""
    path = variant(tmp_path, CMRT_65, _mine_rows({
        8: ("Example North Mine", "China"), 9: ("Example South Mine", "China"),
        10: ("Example Hill", "CHINA"), 11: ("Example Hill", "Rwanda"),
        12: ("Example Valley Mining Co., Ltd", "Peru")}))
    assert validate_file(path, today=TODAY).flatten(["code", "sheet", "cell"]) == FIXTURE_65


def test_a_smelter_repeated_with_the_same_mine_is_a_duplicate(tmp_path: Path) -> None:
    """Mine names compare as facility names do, countries as ISO codes."""
    path = variant(tmp_path, CMRT_65, _mine_rows({
        8: ("Example Hill Mining Co., Ltd.", "China"), 9: ("EXAMPLE HILL MINE", "CN")}))
    report = validate_file(path, today=TODAY)
    assert report.flatten(["code", "sheet", "cell"]) == [
        *FIXTURE_65, ("duplicate-smelter-row", "Smelter List", "A9")]
    [found] = [f for f in report.findings if f.code == "duplicate-smelter-row"]
    assert found.message == ("Row 9 repeats the Tin smelter of row 8 (CID900001) and its mine "
                             "(EXAMPLE HILL MINE, CN).")


def test_rows_without_a_mine_repeat_each_other_not_the_rows_naming_one(
        tmp_path: Path) -> None:
    """Row 8 names a mine beside row 5, which names none: not a repeat. Row 9 names none
    either: it repeats row 5."""
    path = variant(tmp_path, CMRT_65, _mine_rows({8: ("Example Hill", "Rwanda"),
                                                  9: (None, None)}))
    report = validate_file(path, today=TODAY)
    assert report.flatten(["code", "sheet", "cell"]) == [
        *FIXTURE_65, ("duplicate-smelter-row", "Smelter List", "A9")]
    [found] = [f for f in report.findings if f.code == "duplicate-smelter-row"]
    assert found.message == ("Row 9 repeats the Tin smelter of row 5 (CID900001) with no mine "
                             "named on either row.")


def test_values_emails_products_and_template_age(tmp_path: Path) -> None:
    path = variant(tmp_path, CMRT_65, {
        "Declaration!D20": "quality@example.com; boss@example.com",
        "Product List!B8": "ex-1001",
    })
    found = codes_at(path)
    assert ("email-malformed", "Declaration", "D20") in found
    assert ("email-invalid", "Declaration", "D20") not in found  # it has an "@"
    assert ("duplicate-product-number", "Product List", "B8") in found
    assert ("value-not-in-list", "Declaration", "D41") in codes_at(CMRT_522)
    assert ("template-outdated", "Declaration", "J3") in codes_at(CMRT_522)
    newest = patch_cells(CMRT_65, {"Declaration!J3": "Revision 6.6\nApril 17, 2026"},
                         tmp_path / "cmrt-6.6.xlsx")
    assert not any(c == "template-outdated" for c, *_ in codes_at(newest))
    crt = validate_file(DEMO / "crt-2.21-cobalt.xlsx", today=TODAY)
    outdated = next(f for f in crt.findings if f.code == "template-outdated")
    assert "superseded by the EMRT" in outdated.message


@needs_reference
def test_a_release_read_with_an_assumed_layout_is_reported(tmp_path: Path) -> None:
    from ..templates.test_fingerprint import BLANK_65, rewrite, widen_product_list

    # the real blank 6.5 with the Product List of 6.6 (a fixture carries too little
    # structure to be read as a later release)
    wide = rewrite(BLANK_65, tmp_path / "wide.xlsx", "Product List", widen_product_list)
    newer = patch_cells(wide, {"Declaration!J3": "Revision 6.7\nApril 30, 2027"},
                        tmp_path / "newer.xlsx")
    hits = [f for f in validate_file(newer).findings if f.code == "layout-assumed"]
    assert [(f.sheet, f.cell) for f in hits] == [("Declaration", "J3")]
    assert "6.7" in hits[0].message and "cmrt-6.6" in hits[0].message
    assert not [f for f in validate_file(BLANK_65).findings if f.code == "layout-assumed"]


def test_the_checker_is_evaluated_once_per_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    from mineral_compliance.rules import checker

    made: list[object] = []

    class Counting(checker._Eval):
        def __init__(self, *args: Any) -> None:
            made.append(self)
            super().__init__(*args)

    monkeypatch.setattr(checker, "_Eval", Counting)
    decl = read_template(CMRT_65)
    codes = {r.code for r in registry().values() if r.basis is Basis.CHECKER}
    assert len(codes) > 3  # several Checker rules ask for the open items
    report = validate(decl, today=TODAY)
    assert len(made) == 1
    validate(decl, today=TODAY)
    assert len(made) == 2  # a new validation looks again
    assert report.findings == validate(decl, today=TODAY).findings


def test_rules_are_selected_by_code_or_by_tag() -> None:
    from mineral_compliance.rules import select_rules

    rules = registry()
    tags = {t for r in rules.values() for t in r.tags}
    assert tags and tags.isdisjoint(rules)  # a name is a code or a tag, never both
    smelters = {r.code for r in select_rules(["smelters"])}
    assert smelters == {c for c, r in rules.items() if "smelters" in r.tags}
    assert {r.code for r in select_rules(["smelters"], ["duplicate-smelter-row"])} == (
        smelters - {"duplicate-smelter-row"})
    assert {r.code for r in select_rules(None, ["checker"])} == {
        c for c, r in rules.items() if "checker" not in r.tags}
    assert {r.code for r in select_rules(["email-invalid", "dates"])} == {"email-invalid"} | {
        c for c, r in rules.items() if "dates" in r.tags}
    with pytest.raises(ValueError, match=r"smelterz.*tags: .*smelters"):
        select_rules(["smelterz"])
    report = validate(read_template(CMRT_65), select=["smelters"], today=TODAY)
    assert {f.code for f in report.findings} <= smelters


def test_layouts_are_found_by_name_and_the_newest_by_release() -> None:
    from mineral_compliance.templates import latest_layout, layout_named

    assert layout_named("emrt-2.11").versions[0] == "2.11"
    assert latest_layout(["emrt-2.11", "emrt-2.1", "emrt-2.0"]).name == "emrt-2.11"
    assert latest_layout(["cmrt-6.3", "cmrt-6.6", "cmrt-6.0"]).name == "cmrt-6.6"
    assert latest_layout(["crt-2", "crt-2"]).name == "crt-2"
    with pytest.raises(ValueError, match=r"no layout table is named 'cmrt-9\.9'"):
        layout_named("cmrt-9.9")


_EVERY_VERSION = AcceptPolicy.parse("CMRT,EMRT,CRT,AMRT")


@pytest.mark.parametrize(("name", "expected"), [
    ("cmrt-6.6-requester-products.xlsx", []),
    ("cmrt-6.01-numeric-response-rate.xlsx", [
        ("template-outdated", "Declaration", "J3")]),
    ("cmrt-6.5-product-scope.xlsx", [
        ("template-outdated", "Declaration", "J3"),
        ("effective-date-before-release", "Declaration", "D22"),
        ("smelter-id-unknown", "Smelter List", "A7")]),
    ("cmrt-6.22-messy-answers.xlsx", [
        *(("answer-missing", "Declaration", f"D{r}") for r in (47, 53, 65, 71)),
        *(("company-answer-missing", "Declaration", f"D{r}") for r in range(77, 88, 2)),
        ("template-outdated", "Declaration", "J3"),
        ("not-used-but-smelters-listed", "Declaration", "D27"),
        ("value-not-in-list", "Declaration", "D41")]),
])
def test_each_demo_cmrt_gets_exactly_its_findings(
        name: str, expected: list[tuple[str, str, str | None]]) -> None:
    """The whole list, in order: a finding too many fails as surely as one too few."""
    report = validate_file(DEMO / name, today=dt.date(2026, 12, 1), accept=_EVERY_VERSION)
    assert report.flatten(["code", "sheet", "cell"]) == expected


def _declaration(*cells: str) -> list[tuple[str, str, str | None]]:
    return [("answer-missing", "Declaration", cell) for cell in cells]


def _company(code: str, *cells: str) -> list[tuple[str, str, str | None]]:
    return [(code, "Declaration", cell) for cell in cells]


@pytest.mark.parametrize(("name", "expected"), [
    ("emrt-1.3-cobalt-and-mica.xlsx", [
        *_company("company-field-missing", "D17", "D18", "D20"),
        # per question: the hidden leftover rows the Checker still counts, Cobalt and Mica
        *_declaration("D28", "D29", "D32", "D33", "D40", "D41", "D46", "D47", "D52", "D53",
                      "D56", "D57", "D58", "D59", "D62", "D63", "D64", "D65"),
        *_company("company-answer-missing", "D69", "D71", "D77", "D79", "D81", "D83"),
        ("smelter-list-missing-mineral", "Smelter List", None),
        ("template-outdated", "Declaration", "J3")]),
    ("emrt-2.1-selected-minerals.xlsx", [
        *_company("company-field-missing", "D21", "D22", "D24"),
        *_declaration("D42", "D66", "D90", "D102"),
        *_company("company-answer-missing", "D115", "D117", "D131", "D135", "D137"),
        ("template-outdated", "Declaration", "J3"),
        ("effective-date-before-release", "Declaration", "D26"),
        ("not-used-but-smelters-listed", "Declaration", "D31")]),
    ("crt-2.21-cobalt.xlsx", [
        *_company("company-field-missing", "D17", "D18", "D20"),
        *_declaration("D27", "D28", "D29", "D33", "D34", "D35", "D38", "D39", "D40", "D41",
                      "D45", "D46", "D47", "D50", "D51", "D52", "D53", "D56", "D57", "D58",
                      "D59"),
        *_company("company-answer-missing", "D63", "D65", "D67", "D69", "D71", "D73", "D77"),
        ("template-outdated", "Declaration", "J3"),
        ("value-not-in-list", "Declaration", "D79")]),
    ("amrt-1.21-free-text-minerals.xlsx", [
        *_company("company-field-missing", "D19", "D20", "D22"),
        ("smelter-list-missing-mineral", "Smelter List", None),
        ("template-outdated", "Declaration", "J3")]),
    ("amrt-1.3-other-minerals.xlsx", [
        ("minerals-not-selected", "Declaration", "B15"),
        *_company("company-field-missing", "D22", "D23", "D25"),
        ("smelter-list-missing-mineral", "Smelter List", None),
        ("template-outdated", "Declaration", "J3"),
        ("value-not-in-list", "Declaration", "D13"),
        ("effective-date-before-release", "Declaration", "D27")]),
    # the complete declarations: nothing to report but the CRT's retirement
    ("emrt-2.11-complete.xlsx", []),
    ("crt-2.21-complete.xlsx", [("template-outdated", "Declaration", "J3")]),
    ("amrt-1.31-complete.xlsx", []),
])
def test_each_demo_emrt_crt_and_amrt_gets_exactly_its_findings(
        name: str, expected: list[tuple[str, str, str | None]]) -> None:
    """The other families' demo files, whole lists too."""
    report = validate_file(DEMO / name, today=dt.date(2026, 12, 1), accept=_EVERY_VERSION)
    assert report.flatten(["code", "sheet", "cell"]) == expected


def test_every_family_has_a_valid_demo_file() -> None:
    """A first run on the demo shows each family passing, under the default policy."""
    valid = {report.template.kind.value for path in sorted(DEMO.glob("*.xlsx"))
             if (report := validate_file(path, today=dt.date(2026, 12, 1))).valid
             and report.template is not None}
    assert valid == {"CMRT", "EMRT", "CRT", "AMRT"}


def test_the_look_up_is_indexed_by_id_once_per_list_of_rows() -> None:
    from mineral_compliance.models.reference import LookupEntry
    from mineral_compliance.rules import _by_id

    tin = LookupEntry(row=5, metal="Tin", lookup_name="A", standard_name="A",
                      country="Peru", smelter_id="CID000001")
    alias = tin.model_copy(update={"row": 6, "lookup_name": "A alias"})
    gold = tin.model_copy(update={"row": 7, "metal": "Gold", "smelter_id": "cid000002"})
    first = _by_id((tin, alias, gold))
    assert dict(first) == {"cid000001": (tin, alias), "cid000002": (gold,)}
    # the same rows (another file of the release) share it; other rows get their own
    assert _by_id((tin, alias, gold)) is first
    other = _by_id((tin, gold.model_copy(), alias))
    assert other is not first and other["cid000001"] == (tin, alias)
    with pytest.raises(TypeError):
        first["cid000003"] = ()  # type: ignore[index]
