"""The roster of suppliers asked for a declaration: one supplier name or unique ID per line.

A CSV (or the first worksheet of an .xlsx) with one column and an optional header such as
"Supplier", "Company name" or "Unique ID". Text encodings as every supplied text file:
UTF-8 or UTF-16, with or without a byte-order mark, or Windows-1252. A file with more columns
is read only when its header says which column names the supplier; otherwise a line with a
second value is refused with its number, since a name holding an unquoted comma ("Example
Metals, Inc.") would silently become two names. A roster that names no supplier is refused.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ReferenceDataError
from ._files import read_table

__all__ = ["ROSTER_HEADERS", "load_roster"]

ROSTER_HEADERS = ("supplier", "suppliers", "supplier name", "supplier id", "name", "company",
                  "company name", "unique id", "company unique id", "id")
"""Header labels (case, spacing and underscores aside) that name the supplier column."""

_MAX_BYTES = 20 * 1024 * 1024


def _label(text: str) -> str:
    return " ".join(text.casefold().replace("_", " ").split())


def load_roster(path: str | Path) -> list[str]:
    """The supplier names or unique IDs of a roster file, in file order, stripped; blank
    lines are not suppliers."""
    source = Path(path)
    _, rows = read_table(source, _MAX_BYTES)
    labels = [_label(c) for c in rows[0]] if rows else []
    named = next((labels.index(h) for h in ROSTER_HEADERS if h in labels), None)
    column = named or 0
    names: list[str] = []
    for line, row in enumerate(rows[1:] if named is not None else rows,
                               start=2 if named is not None else 1):
        values = [c.strip() for c in row]
        if named is None and any(values[1:]):
            raise ReferenceDataError(
                f"line {line} holds more than one value ({', '.join(values)[:80]!r}); a "
                "roster has one supplier name or unique ID per line", path=source,
                hint="put names that contain commas in double quotes, or give the file a "
                     "header naming the 'Supplier' column")
        name = values[column] if column < len(values) else ""
        if name:
            names.append(name)
    if not names:
        raise ReferenceDataError("the roster names no supplier", path=source,
                                 hint="one supplier name or unique ID per line")
    return names
