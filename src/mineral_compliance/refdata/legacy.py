"""Old-style smelter IDs (``1DEU001``, before the RMI's ``CID`` numbering) and their CIDs.

The table comes from a file the user supplies (a CSV such as RMI's version 2 to version 3
translation data). Its columns are found by content, not by header: the column whose values
look like old IDs and the one whose values look like CIDs; metal, name and country columns
are kept when their headers say so or, for header-less files, by position before the IDs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ReferenceDataError
from ..models.matching import Snapshot
from ..tables import MAX_TABLE_COLUMNS, csv_rows, read_capped
from ._text import file_date

__all__ = ["LegacyEntry", "LegacyIds", "load_legacy_ids"]

_OLD = re.compile(r"^\d?[A-Z]{3}\d{3}$")
_NEW = re.compile(r"^CID\d{6}$")
_MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class LegacyEntry:
    legacy_id: str
    smelter_id: str
    metal: str | None
    name: str | None
    country: str | None
    row: int


@dataclass(frozen=True)
class LegacyIds:
    """Old ID -> CID, with the snapshot it was read from."""

    entries: tuple[LegacyEntry, ...]
    snapshot: Snapshot

    def translate(self, legacy_id: str) -> str | None:
        """The CID an old ID became, or ``None`` when the table does not know it."""
        found = self._index.get(legacy_id.strip().upper())
        return found.smelter_id if found else None

    @property
    def _index(self) -> dict[str, LegacyEntry]:
        cached: dict[str, LegacyEntry] | None = self.__dict__.get("_index_cache")
        if cached is None:
            cached = {e.legacy_id: e for e in self.entries}
            object.__setattr__(self, "_index_cache", cached)
        return cached


def load_legacy_ids(path: str | Path) -> LegacyIds:
    """Read a legacy-ID translation table from a CSV file."""
    path = Path(path)
    data = read_capped(path, _MAX_BYTES)
    rows = csv_rows(data, path)
    width = max((len(r) for r in rows), default=0)
    if width > MAX_TABLE_COLUMNS:
        line = next(n for n, r in enumerate(rows, start=1) if len(r) == width)
        raise ReferenceDataError(f"record {line} has {width:,} fields, more than the "
                                 f"{MAX_TABLE_COLUMNS} columns read from a table", path=path)

    def share(col: int, pattern: re.Pattern[str]) -> int:
        return sum(1 for r in rows if col < len(r) and pattern.match(r[col].strip().upper()))

    old_col = max(range(width), key=lambda c: share(c, _OLD), default=-1)
    new_col = max(range(width), key=lambda c: share(c, _NEW), default=-1)
    if old_col < 0 or share(old_col, _OLD) == 0 or share(new_col, _NEW) == 0:
        raise ReferenceDataError(
            "no column of old-style IDs (like 1DEU001) beside a column of CIDs was found",
            path=path, hint="supply the RMI version 2 to version 3 smelter ID translation table")
    header = [h.strip().casefold() for h in rows[0]] if rows else []

    def named(*words: str) -> int | None:
        for i, h in enumerate(header):
            if any(w in h for w in words):
                return i
        return None

    first = min(old_col, new_col)
    metal_col = named("metal")
    name_col = named("name")
    country_col = named("country")
    if metal_col is None and name_col is None and first >= 3:  # header-less: metal, name, country
        metal_col, name_col, country_col = 0, 1, 2
    entries: list[LegacyEntry] = []
    for number, r in enumerate(rows, start=1):
        if max(old_col, new_col) >= len(r):
            continue
        old, new = r[old_col].strip().upper(), r[new_col].strip().upper()
        if not (_OLD.match(old) and _NEW.match(new)):
            continue

        def cell(col: int | None, r: list[str] = r) -> str | None:
            return r[col].strip() or None if col is not None and col < len(r) else None

        entries.append(LegacyEntry(old, new, cell(metal_col), cell(name_col), cell(country_col),
                                   number))
    snapshot = Snapshot(kind="legacy-ids", source=str(path), version=file_date(path),
                        sha256=hashlib.sha256(data).hexdigest(), rows=len(entries))
    return LegacyIds(tuple(entries), snapshot)
