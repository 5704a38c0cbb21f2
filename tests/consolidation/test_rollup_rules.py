"""The roll-up rules, one question role at a time: the company answer each mix of supplier
answers (and smelter flags, and the roster) gives."""

from __future__ import annotations

import datetime as dt

import pytest

from mineral_compliance.consolidation.loading import Digest
from mineral_compliance.consolidation.rollup import response_rate_answer, rolled_up_answer
from mineral_compliance.models.declaration import TemplateKind
from mineral_compliance.models.matching import Flag
from mineral_compliance.templates import layout_named

CMRT = layout_named("cmrt-6.6")
ROLES = CMRT.roles
YES_NO_UNKNOWN = ("Yes", "No", "Unknown")


def rule(key: str, got: list[str], *, flagged: set[Flag] | None = None, listed: bool = False,
         choices: tuple[str, ...] = YES_NO_UNKNOWN) -> str | None:
    answer, why = rolled_up_answer(key, ROLES, got, choices, flagged or set(), None, (),
                                   listed=listed)
    assert why  # every roll-up says which rule decided it
    return answer


@pytest.mark.parametrize(("got", "listed", "expected"), [
    (["No", "Yes", ""], False, "Yes"),      # any Yes
    (["No", "No"], True, "Yes"),            # a listed smelter outweighs the answers
    (["No", "No"], False, "No"),            # every supplier says No
    (["No", ""], False, "Unknown"),         # a blank does not say No
    ([], False, "Unknown"),
])
def test_used_is_yes_if_anyone_uses_it(got: list[str], listed: bool, expected: str) -> None:
    for key in ROLES.used:
        assert rule(key, got, listed=listed) == expected


def test_unknown_is_left_blank_where_the_template_does_not_offer_it() -> None:
    assert rule(ROLES.used[0], ["No", ""], choices=("Yes", "No")) is None


@pytest.mark.parametrize(("got", "flagged", "expected"), [
    (["No", "Yes"], set(), "Yes"),
    (["No", "DRC only"], set(), "Yes"),               # a literal naming the DRC
    (["No", "No"], {Flag.COVERED_COUNTRY}, "Yes"),     # a smelter located there
    (["No", "No"], {Flag.CAHRA}, "No"),                # another flag does not count
    (["No", "No"], set(), "No"),
    (["No", "Unknown"], set(), "Unknown"),
])
def test_covered_countries_are_yes_on_any_sign(got: list[str], flagged: set[Flag],
                                               expected: str) -> None:
    assert ROLES.covered_countries is not None
    assert rule(ROLES.covered_countries, got, flagged=flagged) == expected


@pytest.mark.parametrize(("got", "expected"), [
    (["Yes", "Yes"], "Yes"),        # only when every supplier says Yes
    (["Yes", "No"], "No"),
    (["Yes", "Unknown"], "Unknown"),
    (["Yes", ""], "Unknown"),
    ([], "Unknown"),
])
def test_recycled_needs_every_supplier(got: list[str], expected: str) -> None:
    assert ROLES.recycled is not None
    assert rule(ROLES.recycled, got) == expected
    assert rule(ROLES.recycled, got, choices=("Yes", "No")) == (
        "Yes" if expected == "Yes" else "No")


def _digest(company: str, unique_id: str | None = None) -> Digest:
    return Digest(file=f"{company}.xlsx", sha256="0" * 64, kind=TemplateKind.CMRT,
                  version="6.6", layout="cmrt-6.6", company=company, unique_id=unique_id,
                  effective_date=dt.date(2026, 5, 4), scope_code="A", minerals=(),
                  answers={}, rows=(), products=())


def test_the_response_rate_counts_roster_suppliers_that_responded() -> None:
    key = ROLES.response_rate
    assert key is not None
    roster = ["Alpha Metals GmbH", "Beta Co., Ltd.", "C-900", "Delta"]
    members = [_digest("ALPHA METALS"), _digest("Someone Else", "C-900"), _digest("Omega")]
    answer, why = rolled_up_answer(key, ROLES, [], (), set(), roster, members, listed=False)
    assert why == "2 of 4 suppliers on the roster responded"
    assert answer == response_rate_answer(0.5)
    assert rolled_up_answer(key, ROLES, [], (), set(), None, members, listed=False)[0] is None


def test_the_response_rate_buckets_meet_at_their_edges() -> None:
    got = [response_rate_answer(r) for r in (1.0, 0.95, 0.9, 0.8, 0.75, 0.6, 0.5, 0.1, 0.0)]
    assert got[0] != got[1] and got[1] != got[2]  # 100 %, above 90 %, not above 90 %
    assert got[2] == got[3] and got[4] == got[5] and got[6] == got[7]
    assert len(set(got)) == 6 and got[-1] != got[-2]
