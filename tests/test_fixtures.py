"""Manifest-driven: every generated fixture reads back to the values its spec put in."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mineral_compliance import errors
from mineral_compliance.templates import read_template

from .conftest import FIXTURES

MANIFEST = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", MANIFEST["demo"], ids=lambda c: c["file"])
def test_demo_fixture_reads_back(case: dict[str, Any]) -> None:
    plain = read_template(FIXTURES / "demo" / case["file"]).to_plain()
    assert plain["template"]["kind"] == case["kind"]
    assert plain["template"]["version"] == case["version"]
    assert plain["company"]["scope"] == case["scope"]
    assert plain["company"]["effective_date"] == case["effective_date"]
    for field, value in case.get("company", {}).items():
        assert plain["company"][field] == value, field
    for mineral, answers in case["answers"].items():
        for q, value in answers.items():
            assert plain["answers"][mineral][q] == value, (mineral, q)
    for letter, value in case.get("company_answers", {}).items():
        assert plain["company_answers"][letter] == value
    got = [{k: s[k] for k in ("row", "metal", "smelter_id", "name", "country")}
           for s in plain["smelters"]]
    assert got == case["smelters"]
    assert [{k: p[k] for k in expected} for p, expected
            in zip(plain["products"], case["products"], strict=True)] == case["products"]
    assert [[u["sheet"], u["cell"]] for u in plain["unrecognised"]] == case["unrecognised"]
    if "minerals" in case:
        assert plain["minerals"] == case["minerals"]
    for letter, per in case.get("company_mineral_answers", {}).items():
        assert plain["company_mineral_answers"][letter] == per
    for expected, got_mine in zip(case.get("mines", []), plain["mines"], strict=True):
        assert {k: got_mine[k] for k in expected} == expected
    if "minerals_scope" in case:
        assert plain["minerals_scope"] == case["minerals_scope"]


@pytest.mark.parametrize("name,error", sorted(MANIFEST["refused"].items()))
def test_refused_fixture_raises_typed_error(name: str, error: str) -> None:
    with pytest.raises(getattr(errors, error)) as info:
        read_template(FIXTURES / "refused" / name)
    assert name in str(info.value)


def test_unrecognised_answer_is_kept_raw_and_marked() -> None:
    decl = read_template(FIXTURES / "demo" / "cmrt-6.22-messy-answers.xlsx")
    q3 = decl.answers["Tungsten"]["3"].answer
    assert (q3.value, q3.status, q3.raw) == ("Maybe", "unrecognised", "Maybe")
    q1 = decl.answers["Tungsten"]["1"].answer
    assert (q1.value, q1.raw, q1.provenance.cell) == ("Yes", "YES\t", "D29")


def test_derived_values_have_no_cached_evidence_in_files_from_other_tools() -> None:
    decl = read_template(FIXTURES / "demo" / "cmrt-6.01-numeric-response-rate.xlsx")
    row = decl.smelters[0]
    assert row.metal.origin == "derived" and row.metal.cached is None
    assert row.smelter_id.origin == "input" and row.smelter_id.provenance.cell == "A5"


@pytest.mark.parametrize("file,cells", [
    ("emrt-2.1-selected-minerals.xlsx", ("REQ-77", "D6", "Requester tab", "E6")),
    ("amrt-1.3-other-minerals.xlsx", ("CUST-5", "D6", None, "E6")),
])
def test_requester_product_columns_are_fields_of_their_own(
        file: str, cells: tuple[str, str, str | None, str]) -> None:
    [product] = read_template(FIXTURES / "demo" / file).products
    number, number_cell, name, name_cell = cells
    assert (product.requester_number.value, product.requester_number.provenance.cell) == \
        (number, number_cell)
    assert (product.requester_name.value, product.requester_name.provenance.cell) == \
        (name, name_cell)
    assert product.comments.provenance.cell == "F6" and product.extra == {}


def test_layouts_without_requester_columns_leave_them_blank() -> None:
    decl = read_template(FIXTURES / "demo" / "cmrt-6.5-product-scope.xlsx")
    assert decl.products and all(
        p.requester_number.is_blank and p.requester_name.is_blank
        and p.comments.provenance.cell == f"D{p.row}" for p in decl.products)
    assert {"requester_number", "requester_name"} <= set(decl.to_plain()["products"][0])
