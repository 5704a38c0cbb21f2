"""ITSCI incident records, from a CSV or XLSX with a documented layout, into a risk register.

Layout (a header row; names are matched without regard to case, spacing or underscores):

==================  ============================================================
column              content
==================  ============================================================
incident_id         the programme's incident identifier (required)
date                when the incident was recorded, ISO or any unambiguous date
country             country name or ISO code
province            province or region
site                mine site or location, as named by the programme
annex_ii_category   OECD Annex II category, e.g. "illegal taxation"
level               1 (serious: human-rights abuse, armed groups, illegal
                    taxation, rogue state actors), 2 or 3
status              open or closed
mitigation          what was done, free text
==================  ============================================================

Rows that cannot be read (no identifier, a date or level that does not parse) are returned
with their row number and the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from ..errors import ReferenceDataError
from ..models.matching import Snapshot
from ..names import country_code
from ..tables import CellValueError, header_columns, parse_date, read_table
from ..tables import cell as row_cell
from .ipis import MineSite

__all__ = ["Incident", "ProvinceSummary", "load_incidents", "province_summary"]

_LEVEL = re.compile(r"(?i)(?:level\s*)?([123])(?:\.0*)?")
"""``1``, ``Level 2``, ``3.0`` (a level stored as a number in a worksheet)."""
_COLUMNS = ("incident_id", "date", "country", "province", "site", "annex_ii_category",
            "level", "status", "mitigation")


class Incident(BaseModel):
    model_config = ConfigDict(frozen=True)

    row: int
    incident_id: str
    date: dt.date
    country: str | None
    country_code: str | None
    province: str | None
    site: str | None
    annex_ii_category: str | None
    level: int | None
    open: bool
    mitigation: str | None


class ProvinceSummary(BaseModel):
    """One area of the risk register: mine-site indicators and incidents together."""

    model_config = ConfigDict(frozen=True)

    country: str
    province: str
    sites: int
    sites_with_armed_groups: int
    sites_with_illegal_taxation: int
    sites_with_child_labour: int
    incidents: int
    open_incidents: int
    open_level_1: int
    categories: dict[str, int]


@dataclass(frozen=True)
class Incidents:
    incidents: tuple[Incident, ...]
    invalid: tuple[tuple[int, str], ...]
    snapshot: Snapshot


def load_incidents(path: str | Path) -> Incidents:
    """Read incident records in the layout above."""
    source = Path(path)
    data, rows = read_table(source, 200 * 1024 * 1024)
    cols = header_columns(rows[0] if rows else [], {name: (name,) for name in _COLUMNS})
    if "incident_id" not in cols or "date" not in cols:
        raise ReferenceDataError("no incident_id and date columns in the header", path=source,
                                 hint="see the documented layout in mineral_compliance."
                                      "upstream.itsci")
    out: list[Incident] = []
    invalid: list[tuple[int, str]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue

        def cell(name: str, row: list[str] = row) -> str | None:
            return row_cell(row, cols, name)

        ident = cell("incident_id")
        if not ident:
            invalid.append((number, "no incident identifier"))
            continue
        try:
            when = parse_date(cell("date"))
        except CellValueError as exc:
            invalid.append((number, str(exc)))
            continue
        level_text = cell("level")
        level = None
        if level_text:
            found = _LEVEL.fullmatch(level_text)
            if found is None:
                invalid.append((number, f"the level {level_text!r} is not 1, 2 or 3"))
                continue
            level = int(found.group(1))
        country = cell("country")
        out.append(Incident(
            row=number, incident_id=ident, date=when, country=country,
            country_code=country_code(country), province=cell("province"), site=cell("site"),
            annex_ii_category=cell("annex_ii_category"), level=level,
            open=(cell("status") or "open").casefold() != "closed",
            mitigation=cell("mitigation")))
    snapshot = Snapshot(kind="itsci-incidents", source=str(source),
                        sha256=hashlib.sha256(data).hexdigest(), rows=len(out))
    return Incidents(tuple(out), tuple(invalid), snapshot)


@dataclass
class _Tally:
    sites: int = 0
    armed: int = 0
    tax: int = 0
    child: int = 0
    incidents: list[Incident] = field(default_factory=list)


def province_summary(sites: Iterable[MineSite], incidents: Sequence[Incident] = (),
                  country: str = "CD") -> list[ProvinceSummary]:
    """Per province: the mine-site indicators (IPIS sites are in ``country``) beside the
    incidents recorded there."""
    areas: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    for s in sites:
        v = s.latest
        t = areas[(country, v.province or "unknown")]
        t.sites += 1
        t.armed += v.non_state_armed_groups
        t.tax += v.illegal_taxation
        t.child += bool(v.children_under_15)
    for inc in incidents:
        areas[(inc.country_code or inc.country or "unknown",
               inc.province or "unknown")].incidents.append(inc)
    out = []
    for (ctry, province), t in sorted(areas.items()):
        categories: dict[str, int] = defaultdict(int)
        for inc in t.incidents:
            categories[inc.annex_ii_category or "unspecified"] += 1
        out.append(ProvinceSummary(
            country=ctry, province=province, sites=t.sites, sites_with_armed_groups=t.armed,
            sites_with_illegal_taxation=t.tax, sites_with_child_labour=t.child,
            incidents=len(t.incidents), open_incidents=sum(i.open for i in t.incidents),
            open_level_1=sum(i.open and i.level == 1 for i in t.incidents),
            categories=dict(sorted(categories.items()))))
    return out
