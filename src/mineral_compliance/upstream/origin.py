"""Country-of-origin data per smelter or refiner (RCOI data), from a CSV or XLSX the user
supplies, and its join to the consolidated smelters by smelter ID.

Programmes such as the RMI give their members country-of-origin information per facility
in aggregate: the countries a smelter's material came from, or only an aggregated level
(covered countries, known non-conflict-affected countries, other countries, recycled or
scrap). The data may not be redistributed, so none ships with the library: the user exports
it into one table in the layout below and points at the file.

Layout (a header row, then one row per smelter, or per smelter and country; headers are
matched without regard to case, spacing or underscores, the first synonym found wins):

==================  ===========================================================================
field               headers accepted
==================  ===========================================================================
smelter ID          Smelter ID, Facility ID, Smelter Identification, Smelter Reference ID, CID,
                    RMI ID (required)
smelter name        Standard Smelter Name, Smelter Name, Facility Name, Refiner Name, Name
metal               Metal, Mineral
countries           Countries of Origin, Country of Origin, Origin Countries, Origin Country,
                    Source Countries, Countries, Country
level               Origin Level, RCOI Level, Aggregated Level, Country of Origin Level,
                    Level, Origin Region, Region
source              Source, Data Source, Programme, Program
as-of date          As Of, As Of Date, Data As Of, Date, Report Date, Period
==================  ===========================================================================

**Countries** are one per row (a smelter on several rows) or a list in one cell, separated by
semicolons, vertical bars, line breaks or commas ("Peru, Bolivia"; a name that holds a comma,
"Congo, The Democratic Republic of the", is read whole). Each is resolved to its ISO 3166-1
alpha-2 code as :func:`mineral_compliance.names.country_code` resolves it (names, codes and
the short forms suppliers use, such as DRC). "Recycled", "Scrap" or "Recycled/Scrap" in the
countries column is read as the recycled level.

**Levels** say what the data states when it names no country. The layout's own words, and the
forms read for each (case and punctuation aside):

==========================  ======================================================================
level                       read from
==========================  ======================================================================
``covered-countries``       L1, Level 1, Covered Countries, DRC and Covered Countries, DRC and
                            Adjoining Countries, DRC
``non-conflict-affected``   L2, Level 2, Known Non-Conflict-Affected, Non-Conflict-Affected,
                            Known Non-Conflict
``other-countries``         L3, Level 3, Other Countries, Other
``recycled-scrap``          Recycled, Scrap, Recycled/Scrap, Recycled or Scrap
``unknown``                 Unknown, Undetermined, Not Determined
==========================  ======================================================================

The L1 to L3 codes are read with the meanings above; when a programme numbers its levels
otherwise, write the words instead of the codes.

A row that cannot be read (no smelter ID, a country that names no country, a level not in
the table, neither a country nor a level, a date that is no date) is kept out of the data
and reported with its row number and the reason (:attr:`OriginData.problems`); a blank row is
no row. The **as-of date** of the data is the latest date its rows give; the **source** is
what its source column says (a list title such as "RMI RCOI data"), which the public
documents name, never the file.

Joining (:func:`join_origin`): by smelter ID alone, both sides normalised with
:func:`mineral_compliance.names.normalise_id`, never by name. A facility without rows stays
without origin data; rows for smelters that are not among the facilities joined are counted
and not used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from ..errors import ReferenceDataError
from ..models.consolidation import ConsolidatedSmelter
from ..models.matching import Snapshot
from ..names import COVERED_COUNTRY_CODES, country_code, metal_key, normalise_id
from ..tables import CellValueError, header_columns, parse_date, read_table
from ..tables import cell as row_cell

__all__ = ["ORIGIN_HEADERS", "OriginData", "OriginJoin", "OriginLevel", "OriginProblem",
           "OriginRow", "SmelterOrigin", "join_origin", "load_origin"]

_MAX_BYTES = 100 * 1024 * 1024

ORIGIN_HEADERS: dict[str, tuple[str, ...]] = {
    "smelter_id": ("smelter id", "facility id", "smelter identification",
                   "smelter reference id", "cid", "rmi id"),
    "name": ("standard smelter name", "smelter name", "facility name", "refiner name", "name"),
    "metal": ("metal", "mineral"),
    "countries": ("countries of origin", "country of origin", "origin countries",
                  "origin country", "source countries", "countries", "country"),
    "level": ("origin level", "rcoi level", "aggregated level", "country of origin level",
              "level", "origin region", "region"),
    "source": ("source", "data source", "programme", "program"),
    "as_of": ("as of", "as of date", "data as of", "date", "report date", "period"),
}
"""Field -> the headers accepted for it, in the order they are tried."""


class OriginLevel(StrEnum):
    """What origin data states of a facility's material when it names no country."""

    COVERED = "covered-countries"
    NON_CONFLICT = "non-conflict-affected"
    OTHER = "other-countries"
    RECYCLED = "recycled-scrap"
    UNKNOWN = "unknown"


_WORDS = re.compile(r"[^\w]+")


def _form(text: str) -> str:
    return " ".join(w for w in _WORDS.split(text.casefold()) if w)


_LEVELS = {_form(k): v for k, v in {
    "l1": OriginLevel.COVERED, "level 1": OriginLevel.COVERED,
    "covered countries": OriginLevel.COVERED, "drc and covered countries": OriginLevel.COVERED,
    "drc and adjoining countries": OriginLevel.COVERED, "drc": OriginLevel.COVERED,
    "l2": OriginLevel.NON_CONFLICT, "level 2": OriginLevel.NON_CONFLICT,
    "known non-conflict-affected": OriginLevel.NON_CONFLICT,
    "non-conflict-affected": OriginLevel.NON_CONFLICT,
    "known non-conflict": OriginLevel.NON_CONFLICT,
    "l3": OriginLevel.OTHER, "level 3": OriginLevel.OTHER,
    "other countries": OriginLevel.OTHER, "other": OriginLevel.OTHER,
    "recycled": OriginLevel.RECYCLED, "scrap": OriginLevel.RECYCLED,
    "recycled/scrap": OriginLevel.RECYCLED, "recycled or scrap": OriginLevel.RECYCLED,
    "recycled scrap": OriginLevel.RECYCLED, "recycled and scrap": OriginLevel.RECYCLED,
    "unknown": OriginLevel.UNKNOWN, "undetermined": OriginLevel.UNKNOWN,
    "not determined": OriginLevel.UNKNOWN,
    "covered-countries": OriginLevel.COVERED, "other-countries": OriginLevel.OTHER,
    "recycled-scrap": OriginLevel.RECYCLED,
}.items()}
_RECYCLED_WORDS = frozenset(_form(k) for k in ("recycled", "scrap", "recycled/scrap",
                                                "recycled or scrap", "recycled and scrap"))
_LIST_SEPARATORS = re.compile(r"[;|\n\r]+")


class OriginRow(BaseModel):
    """One row of origin data: what it states of one facility, and where it was read."""

    model_config = ConfigDict(frozen=True)

    row: int
    """The row number in the file (the header is row 1 when it is the first row)."""
    smelter_id: str
    """Normalised (:func:`mineral_compliance.names.normalise_id`)."""
    name: str | None
    metal: str | None
    countries: tuple[str, ...]
    """ISO 3166-1 alpha-2 codes, in the order given."""
    levels: tuple[OriginLevel, ...]
    source: str | None
    as_of: dt.date | None

    @property
    def covered(self) -> bool:
        """The row states an origin in the DRC or an adjoining country."""
        return (OriginLevel.COVERED in self.levels
                or any(c in COVERED_COUNTRY_CODES for c in self.countries))


class OriginProblem(BaseModel):
    """A row that could not be read, and why."""

    model_config = ConfigDict(frozen=True)

    row: int
    smelter_id: str | None
    """The row's smelter ID when it has one, so that the facility's data is known to be
    incomplete."""
    message: str


class OriginData(BaseModel):
    """Country-of-origin data per smelter as loaded: its rows, the rows that could not be
    read, and the snapshot of the file."""

    model_config = ConfigDict(frozen=True)

    rows: tuple[OriginRow, ...]
    problems: tuple[OriginProblem, ...]
    snapshot: Snapshot
    sources: tuple[str, ...]
    """The titles the source column gives, each once, in the order first met."""
    as_of: dt.date | None
    """The latest as-of date of the rows; None when no row gives one."""

    @property
    def title(self) -> str:
        """What the public documents call the data: its source titles, else a description."""
        return "; ".join(self.sources) or "country-of-origin data per smelter"


class SmelterOrigin(BaseModel):
    """One facility with the origin rows that name its smelter ID."""

    model_config = ConfigDict(frozen=True)

    smelter_id: str
    metal: str
    name: str
    rows: tuple[OriginRow, ...]
    incomplete: bool
    """A row naming this smelter ID could not be read."""

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(sorted({c for r in self.rows for c in r.countries}))

    @property
    def levels(self) -> tuple[OriginLevel, ...]:
        return tuple(sorted({x for r in self.rows for x in r.levels}))

    @property
    def covered(self) -> bool:
        return any(r.covered for r in self.rows)


class OriginJoin(BaseModel):
    """Origin data joined to a set of facilities by smelter ID."""

    model_config = ConfigDict(frozen=True)

    matched: tuple[SmelterOrigin, ...]
    """The facilities the data names, in the order they were given."""
    without_data: tuple[str, ...]
    """Smelter IDs of the facilities the data does not name."""
    unused: tuple[OriginRow, ...]
    """Rows for smelters that are not among the facilities joined (counted, not used)."""
    metal_mismatch: tuple[OriginRow, ...]
    """Rows whose metal is not the metal of the facility with their smelter ID (not used)."""


def _looks_like_path(text: str) -> bool:
    """A source cell that names a file rather than a list (kept out of public text)."""
    return (text.startswith(("/", "~", ".")) or "\\" in text or ":/" in text
            or bool(re.search(r"\.(csv|xlsx?|json|txt)\b", text, re.I)))


def _countries(text: str) -> tuple[list[str], bool, str | None]:
    """The ISO codes a countries cell names, whether it says recycled or scrap, and the
    first part that names no country (None when every part is read)."""
    codes: list[str] = []
    recycled = False
    for piece in _LIST_SEPARATORS.split(text):
        if not piece.strip():
            continue
        if _form(piece) in _RECYCLED_WORDS:
            recycled = True
            continue
        whole = country_code(piece)
        if whole:
            codes.append(whole)
            continue
        parts = [p for p in piece.split(",") if p.strip()]
        i = 0
        while i < len(parts):
            pair = country_code(f"{parts[i]},{parts[i + 1]}") if i + 1 < len(parts) else None
            if pair:
                codes.append(pair)
                i += 2
                continue
            if _form(parts[i]) in _RECYCLED_WORDS:
                recycled = True
            else:
                one = country_code(parts[i])
                if one is None:
                    return codes, recycled, parts[i].strip()
                codes.append(one)
            i += 1
    return codes, recycled, None


def load_origin(path: str | Path) -> OriginData:
    """Read country-of-origin data per smelter in the layout above (CSV or XLSX)."""
    source = Path(path)
    data, rows = read_table(source, _MAX_BYTES)
    header_at = next((i for i, r in enumerate(rows[:20])
                      if "smelter_id" in header_columns(r, ORIGIN_HEADERS)), None)
    if header_at is None:
        raise ReferenceDataError("no smelter ID column in the first 20 rows (a header such as "
                                 "Smelter ID or CID)", path=source,
                                 hint="see the documented layout in mineral_compliance."
                                      "upstream.origin")
    cols = header_columns(rows[header_at], ORIGIN_HEADERS)
    if "countries" not in cols and "level" not in cols:
        raise ReferenceDataError("no countries column and no level column in the header",
                                 path=source,
                                 hint="name a column Country of Origin, or Origin Level")
    out: list[OriginRow] = []
    problems: list[OriginProblem] = []
    sources: list[str] = []
    for number, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        if not any(str(c).strip() for c in row):
            continue

        def cell(name: str, row: list[str] = row) -> str | None:
            return row_cell(row, cols, name)

        ident = normalise_id(cell("smelter_id"))

        def problem(message: str, number: int = number, ident: str | None = ident) -> None:
            problems.append(OriginProblem(row=number, smelter_id=ident, message=message))

        if ident is None:
            problem("no smelter ID")
            continue
        codes: list[str] = []
        levels: list[OriginLevel] = []
        countries_text = cell("countries")
        if countries_text:
            codes, recycled, bad = _countries(countries_text)
            if bad is not None:
                problem(f"{bad!r} names no country")
                continue
            if recycled:
                levels.append(OriginLevel.RECYCLED)
        level_text = cell("level")
        if level_text:
            level = _LEVELS.get(_form(level_text))
            if level is None:
                problem(f"the level {level_text!r} is none of L1, L2, L3, covered countries, "
                        "non-conflict-affected, other countries, recycled/scrap or unknown")
                continue
            levels.append(level)
        if not codes and not levels:
            problem("neither a country of origin nor a level")
            continue
        as_of = None
        date_text = cell("as_of")
        if date_text:
            try:
                as_of = parse_date(date_text)
            except CellValueError as exc:
                problem(str(exc))
                continue
        title = cell("source")
        if title and not _looks_like_path(title) and title not in sources:
            sources.append(title)
        out.append(OriginRow(row=number, smelter_id=ident, name=cell("name"),
                             metal=cell("metal"), countries=tuple(dict.fromkeys(codes)),
                             levels=tuple(dict.fromkeys(levels)), source=title, as_of=as_of))
    dates = [r.as_of for r in out if r.as_of]
    latest = max(dates) if dates else None
    snapshot = Snapshot(kind="rcoi-origin", source=str(source),
                        version=latest.isoformat() if latest else None,
                        sha256=hashlib.sha256(data).hexdigest(), rows=len(out))
    return OriginData(rows=tuple(out), problems=tuple(problems), snapshot=snapshot,
                      sources=tuple(sources), as_of=latest)


def join_origin(data: OriginData, smelters: Iterable[ConsolidatedSmelter]) -> OriginJoin:
    """The facilities ``smelters`` (those with a smelter ID) with the rows naming their
    smelter ID; rows for any other smelter ID are counted as unused."""
    facilities: dict[str, ConsolidatedSmelter] = {}
    for s in smelters:
        key = normalise_id(s.smelter_id)
        if key and key not in facilities:
            facilities[key] = s
    by_id: dict[str, list[OriginRow]] = {}
    unused: list[OriginRow] = []
    mismatch: list[OriginRow] = []
    for r in data.rows:
        found = facilities.get(r.smelter_id)
        if found is None:
            unused.append(r)
        elif r.metal and metal_key(r.metal) != metal_key(found.metal):
            mismatch.append(r)
        else:
            by_id.setdefault(r.smelter_id, []).append(r)
    damaged = {p.smelter_id for p in data.problems if p.smelter_id}
    matched = tuple(SmelterOrigin(smelter_id=key, metal=s.metal, name=s.name,
                                  rows=tuple(by_id[key]), incomplete=key in damaged)
                    for key, s in facilities.items() if key in by_id)
    return OriginJoin(matched=matched,
                      without_data=tuple(k for k in facilities if k not in by_id),
                      unused=tuple(unused), metal_mismatch=tuple(mismatch))
