"""The roster of suppliers asked for a declaration: one supplier name or unique ID per line.

A CSV (or the first worksheet of an .xlsx) with one column and an optional header such as
"Supplier", "Company name" or "Unique ID". Text encodings as every supplied text file:
UTF-8 or UTF-16, with or without a byte-order mark, or Windows-1252.

The first line is a header when a cell of it is one of :data:`ROSTER_HEADERS`, or holds one
of the words "supplier", "company" or "unique ID" ("Supplier name (legal entity)"), or says
"name" in nothing but a header's words ("Legal name"), and nothing in the line reads like a
company's name (a legal form such as "Ltd", "GmbH" or "SA"). A first line that holds such a
word but is not such a header ("Supplier Services Ltd", "Contact name") is refused, since it
could be a header or a supplier. A header may name a name column, a unique-ID column or
both: each line's supplier is its name, or its unique ID when the name is empty. A line
that names neither but holds other values is refused with its number; an empty line is
blank, not a supplier.

A file with more columns is read only when its header says which column names the
supplier; otherwise a line with a second value is refused with its number, since a name
holding an unquoted comma ("Example Metals, Inc.") would silently become two names. A roster
that names no supplier is refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import ReferenceDataError
from ..tables import _label, header_columns, read_table

__all__ = ["ROSTER_HEADERS", "load_roster"]

_NAME_HEADERS = ("supplier", "suppliers", "supplier name", "name", "company", "company name")
_ID_HEADERS = ("unique id", "company unique id", "supplier id", "id")
ROSTER_HEADERS = _NAME_HEADERS + _ID_HEADERS
"""Header labels (case, spacing and underscores aside) that name the supplier column."""

_MAX_BYTES = 20 * 1024 * 1024

_HEADER_WORD = re.compile(r"\b(?:suppliers?|compan(?:y|ies)|names?|unique ids?)\b")
_ID_WORD = re.compile(r"\bids?\b")
_STRONG_WORD = re.compile(r"\b(?:suppliers?|compan(?:y|ies)|unique ids?)\b")
_LEGAL_FORMS = frozenset({
    "ltd", "limited", "inc", "incorporated", "corp", "corporation", "co", "llc", "llp", "plc",
    "gmbh", "ag", "kg", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "pty", "pte", "kk",
    "jsc", "pjsc", "ooo", "oy", "oyj", "sro", "bhd", "tbk"})
"""Words (dots removed) that end a company's legal name and hardly ever a column header."""
_HEADER_VOCABULARY = frozenset({
    "supplier", "suppliers", "s", "company", "companies", "name", "names", "unique", "id",
    "ids", "of", "the", "legal", "entity", "registered", "full", "official"})


def _looks_like_company(text: str) -> bool:
    words = re.findall(r"[^\W_]+", text.casefold().replace(".", ""))
    if _LEGAL_FORMS.intersection(words):
        return True
    # "Acme Company" is a company; "Name of company" is a header
    return bool(words) and words[-1] == "company" and not set(words) <= _HEADER_VOCABULARY


def _header_cell(label: str) -> bool:
    """A label holding "supplier", "company" or "unique ID", or saying only "name" in the
    words of a header ("Legal name", not "Contact name")."""
    if _STRONG_WORD.search(label):
        return True
    words = set(re.findall(r"[^\W_]+", label))
    return bool(_HEADER_WORD.search(label)) and words <= _HEADER_VOCABULARY


def _by_words(labels: Sequence[str], taken: set[int], ids: bool) -> int | None:
    """The first untaken header cell: for the unique-ID column one that says "ID", for the
    name column one that does not, a "supplier" or "company" column first."""
    found = [i for i, label in enumerate(labels)
             if i not in taken and _header_cell(label) and bool(_ID_WORD.search(label)) == ids]
    if not ids:
        found.sort(key=lambda i: not _STRONG_WORD.search(labels[i]))
    return found[0] if found else None


def _header(first: Sequence[str], source: Path) -> dict[str, int]:
    """The name and unique-ID columns the first line names ({} when it is not a header)."""
    labels = [_label(c) for c in first]
    cols = header_columns(first, {"name": _NAME_HEADERS, "id": _ID_HEADERS})
    exact = bool(cols)
    for fld in ("name", "id"):
        if fld not in cols:
            column = _by_words(labels, set(cols.values()), ids=fld == "id")
            if column is not None:
                cols[fld] = column
    if not exact and any(_HEADER_WORD.search(label) for label in labels):
        company = next((c.strip() for c in first if _looks_like_company(c)), None)
        if company is not None or not cols:
            cell = company or next(c.strip() for c, label in zip(first, labels, strict=True)
                                   if _HEADER_WORD.search(label))
            why = ", and reads like a company's name" if company else ""
            raise ReferenceDataError(
                f"line 1 ({cell[:80]!r}) may be a header or a supplier: it holds a column word "
                f"such as 'supplier' or 'name'{why}", path=source,
                hint="start the roster with a header line that is exactly 'Supplier' (or "
                     "'Unique ID')")
    return cols


def load_roster(path: str | Path) -> list[str]:
    """The supplier names or unique IDs of a roster file, in file order, stripped; blank
    lines are not suppliers."""
    source = Path(path)
    _, rows = read_table(source, _MAX_BYTES)
    cols = _header(rows[0], source) if rows else {}
    names: list[str] = []
    if not cols:
        for line, row in enumerate(rows, start=1):
            values = [c.strip() for c in row]
            if any(values[1:]):
                raise ReferenceDataError(
                    f"line {line} holds more than one value ({', '.join(values)[:80]!r}); a "
                    "roster has one supplier name or unique ID per line", path=source,
                    hint="put names that contain commas in double quotes, or give the file a "
                         "header naming the 'Supplier' column")
            if values and values[0]:
                names.append(values[0])
    else:
        header = rows[0]
        for line, row in enumerate(rows[1:], start=2):
            values = [c.strip() for c in row]
            picked = [values[i] for i in (cols.get("name"), cols.get("id"))
                      if i is not None and i < len(values) and values[i]]
            if picked:
                names.append(picked[0])
            elif any(values):
                columns = " or ".join(repr(header[i].strip()) for i in cols.values())
                raise ReferenceDataError(
                    f"line {line} names no supplier (its {columns} is empty) but holds "
                    f"{', '.join(v for v in values if v)[:80]!r}", path=source,
                    hint="give every line a supplier name or unique ID, or delete the line")
    if not names:
        raise ReferenceDataError("the roster names no supplier", path=source,
                                 hint="one supplier name or unique ID per line")
    return names
