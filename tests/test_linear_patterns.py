"""Patterns applied to text a supplier's file, a reference file or an operator controls take
time in proportion to it (growth tests, :mod:`tests._growth`), and match what the patterns
they replaced matched.

Each of these once had two repetitions side by side that could share a long run of the same
character, or one that ran from every possible start to the same far end and failed there:
a few kilobytes took seconds."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mineral_compliance.disclosures._render import _oneline
from mineral_compliance.errors import PolicyError
from mineral_compliance.rules import consistency
from mineral_compliance.templates import releases
from mineral_compliance.templates.detect import parse_revision
from mineral_compliance.templates.releases import AcceptPolicy

from ._growth import assert_linear

# the patterns as they were: what each replacement must still match
_OLD_REVISION = re.compile(r"revision\s*:?\s*(\d+(?:\.\d+)*[a-z]?)", re.I)
_OLD_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_OLD_BREAK = re.compile(r"[ \t]*[\r\n]+[ \t]*")
_OLD_CLAUSE = re.compile(r"\s*([A-Za-z]+)\s*(?:(>=|<=|==|=|>|<)\s*(\S*))?\s*")


def _text(alphabet: str, max_size: int = 40) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(alphabet), max_size=max_size)


# -- the revision in a template's title cell (every supplier file) ----------------------------


@pytest.mark.parametrize("shape", ["spaces", "spaces after a colon", "tabs and spaces"])
def test_a_revision_followed_by_a_long_run_of_spaces_is_read_in_linear_time(
        shape: str) -> None:
    run = {"spaces": " ", "spaces after a colon": " ", "tabs and spaces": "\t "}[shape]
    lead = "Revision :" if shape == "spaces after a colon" else "Revision"
    assert_linear(parse_revision, lambda n: lead + run * n + "x", 20_000)


@settings(max_examples=400, deadline=None)
@given(_text("Revision :6.4a\n\t ,"), _text("Revision 6.4:\t "))
def test_the_revision_is_found_where_it_was_before(before: str, after: str) -> None:
    text = before + "Revision" + after
    old = _OLD_REVISION.search(text)
    assert parse_revision(text)[0] == (old.group(1) if old else None)


@pytest.mark.parametrize(("text", "version"), [
    ("Revision 6.4\nApril 26, 2024", "6.4"), ("Revision: 6.31", "6.31"),
    ("revision :6.5", "6.5"), ("REVISION\t 2.1", "2.1"), ("Revision 6.6.1", "6.6.1"),
    ("Revision : : 6.4", None), ("Revision", None)])
def test_revisions_as_templates_write_them(text: str, version: str | None) -> None:
    assert parse_revision(text)[0] == version


# -- e-mail addresses in the Declaration --------------------------------------------------------


@pytest.mark.parametrize("shape", ["dots", "dots then a second at", "letters and dots"])
def test_an_address_of_many_dots_is_judged_in_linear_time(shape: str) -> None:
    body = {"dots": ".", "dots then a second at": ".", "letters and dots": "a."}[shape]
    end = "@" if shape == "dots then a second at" else ""
    assert_linear(consistency._EMAIL.match, lambda n: "a@" + body * n + end, 20_000)


@settings(max_examples=600, deadline=None)
@given(_text("ab.@ \n"))
def test_an_address_is_judged_as_before(text: str) -> None:
    assert (consistency._EMAIL.match(text) is None) == (_OLD_EMAIL.match(text) is None)


# -- paragraphs of the disclosure documents ---------------------------------------------------


@pytest.mark.parametrize("run", [" ", "\t", " \t"])
def test_a_long_run_of_spaces_without_a_break_is_joined_in_linear_time(run: str) -> None:
    assert_linear(_oneline, lambda n: "a" + run * n + "b", 20_000)


@settings(max_examples=600, deadline=None)
@given(_text("ab \t\r\n", 60))
def test_a_paragraph_is_joined_as_before(text: str) -> None:
    assert _oneline(text) == _OLD_BREAK.sub(" ", text).strip()


# -- the accepted template versions (an option, or stored with a consolidation) ----------------


def _parse(spec: str) -> None:
    with pytest.raises(PolicyError):
        AcceptPolicy.parse(spec)


def test_a_clause_with_a_long_run_of_spaces_is_refused_in_linear_time() -> None:
    assert_linear(_parse, lambda n: "CMRT" + " " * n + "x", 20_000)


@settings(max_examples=600, deadline=None)
@given(_text("CMRT>=6.4 \t\n", 24))
def test_a_clause_is_read_as_before(text: str) -> None:
    new = releases._CLAUSE.fullmatch(text.strip())  # (as a clause is matched)
    old = _OLD_CLAUSE.fullmatch(text)
    assert (new.groups() if new else None) == (old.groups() if old else None)
