"""A campaign's roster: the suppliers asked, each with its unique ID, the address requests
go to and other names its files may give.

A CSV (or the first worksheet of an .xlsx) with a header row naming its columns (case,
spacing and underscores aside):

=============  ==============================================================
column         headers it is read from
=============  ==============================================================
name           Supplier, Supplier name, Company, Company name, Name
unique_id      Unique ID, Company unique ID, Supplier ID, ID
email          E-mail, Email, Contact e-mail, Contact email, Address
aliases        Aliases, Other names, Also known as (``;``-separated)
=============  ==============================================================

Without such a header the file is read as the one-column roster ``consolidate --roster``
takes (:func:`~mineral_compliance.refdata.load_roster`): a name or unique ID per line. A
line naming neither a name nor an ID is refused with its number; two lines naming the same
supplier (by its normalised name) are refused too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import StoreError
from ..names import name_key
from ..refdata import load_roster
from ..tables import cell, header_columns, read_table

__all__ = ["ROSTER_COLUMNS", "RosterEntry", "load_campaign_roster"]

ROSTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("supplier", "supplier name", "company", "company name", "name"),
    "unique_id": ("unique id", "company unique id", "supplier id", "id"),
    "email": ("e-mail", "email", "contact e-mail", "contact email", "address"),
    "aliases": ("aliases", "other names", "also known as"),
}
_MAX_BYTES = 20 * 1024 * 1024
_MAX_CHARS = 500


@dataclass(frozen=True)
class RosterEntry:
    name: str
    unique_id: str | None = None
    email: str | None = None
    aliases: tuple[str, ...] = ()

    def match_keys(self) -> set[str]:
        """Every key a file of this supplier may be known by (normalised names, the ID)."""
        out = {k for k in (name_key(n) for n in (self.name, *self.aliases)) if k}
        if self.unique_id:
            out.add("id:" + self.unique_id.strip().casefold())
        return out


def _capped(text: str | None, line: int, path: Path) -> str | None:
    if text is not None and len(text) > _MAX_CHARS:
        raise StoreError(f"line {line}: a value of {len(text)} characters (at most "
                         f"{_MAX_CHARS})", path=path)
    return text


def load_campaign_roster(path: str | Path) -> list[RosterEntry]:
    """The suppliers of a roster file, in file order."""
    source = Path(path)
    try:
        _, rows = read_table(source, _MAX_BYTES)
    except Exception as exc:  # the table reader's own errors name the file
        raise StoreError(str(exc), path=source) from exc
    cols = header_columns(rows[0], ROSTER_COLUMNS) if rows else {}
    if not {"name", "unique_id"} & cols.keys():
        try:
            names = load_roster(source)
        except Exception as exc:
            raise StoreError(str(exc), path=source) from exc
        entries = [RosterEntry(name=n) for n in names]
    else:
        entries = []
        for line, row in enumerate(rows[1:], start=2):
            if not any(c.strip() for c in row):
                continue
            name = _capped(cell(row, cols, "name"), line, source)
            uid = _capped(cell(row, cols, "unique_id"), line, source)
            if not name and not uid:
                raise StoreError(f"line {line} names no supplier (neither a name nor a unique "
                                 "ID)", path=source)
            email = _capped(cell(row, cols, "email"), line, source)
            aliases = tuple(a.strip() for a in (cell(row, cols, "aliases") or "").split(";")
                            if a.strip())
            entries.append(RosterEntry(name=name or uid or "", unique_id=uid, email=email,
                                       aliases=aliases))
    seen: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        key = name_key(entry.name) or entry.name.casefold()
        if key in seen:
            raise StoreError(f"supplier {entry.name!r} is listed twice (entries {seen[key]} "
                             f"and {number})", path=source,
                             hint="give each supplier one line; list its other names as "
                                  "aliases")
        seen[key] = number
    if not entries:
        raise StoreError("the roster names no supplier", path=source)
    return entries
