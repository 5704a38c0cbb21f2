"""One plain line from any text: the shortcut for printable text gives what the rule gives."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from mineral_compliance._io.text import one_line

_ANY_CHAR = st.characters(categories=(
    "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe",
    "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"))


def _by_the_rule(text: str, limit: int) -> str:
    """The documented rule, character by character: controls count as spaces, every other
    code point of a C category is dropped, white space runs become one space, the ends are
    stripped and a longer text ends in an ellipsis at ``limit`` characters."""
    kept = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text
                   if not unicodedata.category(ch).startswith("C")
                   or unicodedata.category(ch) == "Cc")
    line = " ".join(kept.split())
    return line if len(line) <= limit else line[: limit - 1] + "\u2026"


@given(st.one_of(st.text(_ANY_CHAR, max_size=60),
                 st.text(st.sampled_from("ab \u00a0\u3000\u2028\t\n\x85\u200b\u202e\ue000"),
                         max_size=30)),
       st.integers(1, 40))
@settings(max_examples=400)
def test_one_line_follows_its_rule_for_text_of_every_category(text: str, limit: int) -> None:
    assert one_line(text, limit) == _by_the_rule(text, limit)


def test_printable_text_is_only_joined_and_cut() -> None:
    assert one_line("  Indiquez   le\u00a0nom ", 100) == "Indiquez le nom"
    assert one_line("Sélectionnez 选择 선택", 100) == "Sélectionnez 选择 선택"
    assert one_line("abcdef", 4) == "abc\u2026"
    assert one_line("a\u202eb\u200bc\x07d", 100) == "abc d"
