"""Text that every output can carry, and the cap on text carried from inputs.

Python strings may hold lone surrogates (U+D800 to U+DFFF unpaired), which no UTF-8 encoder
accepts: they reach us through the OOXML ``_xHHHH_`` escape or a caller's own strings. They
are replaced by U+FFFD, the replacement character, wherever text leaves the library.

Text read from a supplier's file is capped at :data:`MAX_TEXT_CHARS` characters: no field of
an RMI template needs more, and a 50 MB company name must not become a 450 MB set of outputs.
Callers that cap say so in a finding.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

__all__ = ["MAX_TEXT_CHARS", "cap_text", "has_lone_surrogate", "json_bytes", "json_chunks",
           "json_text", "neutralise", "one_line", "scrub"]

MAX_TEXT_CHARS = 4000
"""The longest text kept from one input cell or field (the longest comments and addresses in
real templates are well under 1,000 characters)."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    """True when ``text`` holds a code point UTF-8 cannot encode."""
    return _SURROGATE.search(text) is not None


def scrub(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (other characters unchanged)."""
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)


def json_bytes(data: Any) -> bytes:
    """Indented UTF-8 JSON keeping every character of the text exactly, except lone
    surrogates (U+FFFD)."""
    return scrub(json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def json_chunks(data: Mapping[str, Any], lists: Mapping[str, Iterable[Any]],
                item: Callable[[Any], str], *, indent: bool = True) -> Iterator[bytes]:
    """The bytes :func:`json_bytes` gives for ``data`` (with ``indent``; without, one line)
    with each key of ``lists`` holding the list of the items it gives, one list item at a
    time: a consolidation's hundreds of thousands of rows are never all turned into JSON at
    once. ``item`` gives an item's JSON text (indented by two spaces at its own level, with
    ``indent``). ``data`` holds every key, in order (the values of ``lists`` keys are
    replaced)."""
    token = f"\x00list-{uuid.uuid4().hex}:"
    keys = [k for k in data if k in lists]
    head = {k: (f"{token}{keys.index(k)}" if k in lists else v) for k, v in data.items()}
    text = (json.dumps(head, indent=2, ensure_ascii=False) + "\n" if indent else
            json.dumps(head, ensure_ascii=False, separators=(",", ":")))
    marker = json.dumps(token, ensure_ascii=False)[:-1]  # the quoted token, unclosed
    first_lead, lead, empty, close = (("[\n    ", ",\n    ", "[]", "\n  ]") if indent else
                                      ("[", ",", "[]", "]"))
    for part_no, part in enumerate(text.split(marker)):
        if part_no:
            number, _, part = part.partition('"')
            first = True
            for x in lists[keys[int(number)]]:
                body = item(x)
                if indent:
                    body = body.replace("\n", "\n    ")
                yield scrub((first_lead if first else lead) + body).encode("utf-8")
                first = False
            yield (empty if first else close).encode("ascii")
        yield scrub(part).encode("utf-8")


def json_text(data: Any) -> str:
    """Indented JSON text of plain data, every character kept (as :func:`json_bytes`)."""
    return json.dumps(data, indent=2, ensure_ascii=False)


def cap_text(text: str, limit: int = MAX_TEXT_CHARS) -> tuple[str, bool]:
    """``text`` cut to ``limit`` characters (ending in an ellipsis), and whether it was cut."""
    if len(text) <= limit:
        return text, False
    return text[: limit - 1] + "\u2026", True


def one_line(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` as one plain line of at most ``limit`` characters: control characters count as
    spaces; format (bidirectional overrides, zero-width), private-use, surrogate and
    unassigned code points are dropped; runs of white space become one space; the ends are
    stripped and a longer text is cut (:func:`cap_text`). For text from a file that only
    ever informs (a label, an instruction) and must not disguise itself or another field."""
    if text.isprintable():
        # no control, format, private-use, surrogate or unassigned code point (nor any space
        # but U+0020): nothing to replace or drop, so no character need be looked at here
        return cap_text(" ".join(text.split()), limit)[0]
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc":
            kept.append(" ")
        elif not category.startswith("C"):
            kept.append(ch)
    return cap_text(" ".join("".join(kept).split()), limit)[0]


_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would evaluate (a formula: ``=``, ``+``, ``-``, ``@``, or a tab or
    carriage return first), made inert with a leading apostrophe; other values unchanged."""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value
