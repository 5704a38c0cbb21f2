"""Country-of-origin data per smelter in the drafts: what the public documents state of it, in
aggregate per metal, and the audit-trail section that gives every row behind it.

The public statements never say more than the data: countries where it names countries, the
level where it states only a level ("recycled or scrap sources", "the DRC or an adjoining
country (no country named)"), and the data by its title and date, never by the file it was
read from. Whether the company determines the countries of origin stays its own statement (a slot).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from .._words import counted
from ..models.consolidation import Consolidation
from ..names import country_name
from ..refdata.regions import CahraList
from ..upstream.origin import OriginData, OriginJoin, OriginLevel, SmelterOrigin, join_origin
from .data import AuditEntry, AuditSection, MetalOrigin, OriginSummary
from .dodd_frank import Fact, identified_facilities, origin_source

__all__ = ["LEVEL_WORDS", "origin_section", "origin_summary"]

LEVEL_WORDS = {
    OriginLevel.COVERED: "the DRC or an adjoining country (no country named)",
    OriginLevel.NON_CONFLICT: "known non-conflict-affected countries (none named)",
    OriginLevel.OTHER: "other countries (none named)",
    OriginLevel.RECYCLED: "recycled or scrap sources",
    OriginLevel.UNKNOWN: "an origin not determined",
}
"""Each level as the public documents word it."""


def _join(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _open(s: SmelterOrigin) -> bool:
    """The facility's data does not rule the Covered Countries out."""
    return not s.covered and (s.incomplete or OriginLevel.UNKNOWN in s.levels)


def _metal(metal: str, joined: OriginJoin, facilities: int, named: str,
           cahra: CahraList | None, screened: bool) -> MetalOrigin:
    rows = joined.matched
    codes = sorted({c for s in rows for c in s.countries})
    countries = tuple(sorted(country_name(c) or c for c in codes))
    level_only = Counter(LEVEL_WORDS[x] for s in rows if not s.countries for x in s.levels)
    level_also = Counter(LEVEL_WORDS[x] for s in rows if s.countries for x in s.levels)
    covered = sum(s.covered for s in rows)
    opened = sum(_open(s) for s in rows)

    def share(k: int, kind: str) -> str:
        """``k`` of the facilities identified, in words."""
        one, many = f"{kind}facility identified", f"{kind}facilities identified"
        if k == facilities:
            return f"the {one}" if k == 1 else f"all {k} {many}"
        return f"{k} of the {one if facilities == 1 else f'{facilities} {many}'}"

    if not rows:
        statement = f"For {metal}, the data has no row for {share(facilities, '')}."
    else:
        parts = [f"For {metal}, the data covers {share(len(rows), '')}"]
        if countries:
            parts.append(f"it names {_join(countries)} as "
                         + ("a country of origin" if len(countries) == 1
                            else "countries of origin"))
        for words, n in sorted(level_also.items()):
            parts.append(f"for {counted(n, 'facility', 'facilities')} it also states an "
                         f"aggregated level: {words}")
        for words, n in sorted(level_only.items()):
            parts.append(f"for {counted(n, 'facility', 'facilities')} it states only an "
                         f"aggregated level: {words}")
        statement = "; ".join(parts) + "."
    listed: tuple[str, ...] | None = None
    if screened and countries:
        if cahra is not None:
            listed = tuple(sorted(country_name(c) or c for c in codes if cahra.lookup(c)))
            statement += (" Of these countries, on the EU indicative CAHRA list (the country, "
                          "or a country with listed regions): "
                          f"{_join(listed) if listed else 'none'}.")
        else:
            statement += (" These countries were not assessed against the EU indicative CAHRA "
                          "list for this report.")
    elif cahra is not None:
        listed = ()
    finding: str | None = None
    kind = f"{metal} "
    if covered:
        finding = (f"states an origin in the Covered Countries for "
                   f"{share(covered, kind)}")
    elif rows and len(rows) == facilities and not opened:
        finding = f"states no origin in the Covered Countries for {share(facilities, kind)}"
    elif rows:
        clear = len(rows) - opened
        finding = f"covers {share(len(rows), kind)}" + (
            f" and states no origin in the Covered Countries for {clear} of them"
            if clear else "") + (
            "; it does not rule the Covered Countries out for "
            f"{counted(opened, 'facility', 'facilities')}" if opened else "")
    return MetalOrigin(metal=metal, facilities=facilities, with_data=len(rows),
                       countries=countries, covered=covered,
                       levels=dict(sorted(level_only.items())),
                       incomplete=sum(s.incomplete for s in rows), cahra_countries=listed,
                       statement=statement, finding=finding,
                       basis=f"Country-of-origin data per smelter ({named}) {finding}."
                       if finding else None)


def origin_summary(consolidation: Consolidation, data: OriginData, metals: Sequence[str],
                   cahra: CahraList | None = None, screen: bool = False) -> OriginSummary:
    """What the public documents state of ``data`` for the identified facilities of
    ``metals``; with ``screen`` (the EU report), the named countries are screened against
    ``cahra`` (or said not to be, without one)."""
    every = [s for m in metals for s in identified_facilities(consolidation, m)]
    everything = join_origin(data, every)
    summary = OriginSummary(title=data.title, as_of=data.as_of, metals=(),
                            rows_not_used=len(everything.unused)
                            + len(everything.metal_mismatch),
                            rows_unreadable=len(data.problems))
    out = []
    for metal in metals:
        facilities = identified_facilities(consolidation, metal)
        if facilities:
            out.append(_metal(metal, join_origin(data, facilities), len(facilities),
                              summary.named, cahra, screen))
    return summary.model_copy(update={"metals": tuple(out)})


def origin_section(consolidation: Consolidation, data: OriginData, metals: Sequence[str]
                   ) -> AuditSection:
    """Every row of the origin data and what became of it: used for a facility, for a smelter
    not among the facilities, for another metal, or not readable."""
    file = data.snapshot.source
    source = origin_source(data)

    def at(row: int) -> tuple[str, ...]:
        return (f"{file} [row {row}]",)

    every = [s for m in metals for s in identified_facilities(consolidation, m)]
    joined = join_origin(data, every)
    entries = [AuditEntry(subject="Country-of-origin data read",
                          value=f"{data.snapshot.rows} rows",
                          facts=(Fact(statement=f"{data.snapshot.rows} rows read, "
                                                f"{len(data.problems)} not readable; sha256 "
                                                f"{data.snapshot.sha256}.",
                                      source=source, locations=(file,)),))]
    for s in joined.matched:
        stated = ", ".join([*s.countries, *(x.value for x in s.levels)])
        entries.append(AuditEntry(
            subject=f"{s.metal}: {s.name} ({s.smelter_id})", value=stated,
            facts=tuple(Fact(statement=f"Row {r.row}: "
                                       + ", ".join([*r.countries, *(x.value for x in r.levels)])
                                       + (f"; source {r.source}" if r.source else "")
                                       + (f"; as of {r.as_of.isoformat()}" if r.as_of else "")
                                       + ".",
                             source=source, bears_on="rcoi", locations=at(r.row))
                        for r in s.rows)))
    entries.append(AuditEntry(subject="Facilities identified without origin data",
                              value=str(len(joined.without_data)),
                              facts=tuple(Fact(statement=f"{x}: no row.", source=source)
                                          for x in joined.without_data)))
    entries.append(AuditEntry(
        subject="Rows for smelters not among the facilities identified (not used)",
        value=str(len(joined.unused)),
        facts=tuple(Fact(statement=f"Row {r.row}: {r.smelter_id}"
                                   + (f" ({r.name})" if r.name else "") + ".",
                         source=source, locations=at(r.row)) for r in joined.unused)))
    entries.append(AuditEntry(
        subject="Rows whose metal is not the facility's (not used)",
        value=str(len(joined.metal_mismatch)),
        facts=tuple(Fact(statement=f"Row {r.row}: {r.smelter_id}, metal {r.metal}.",
                         source=source, locations=at(r.row)) for r in joined.metal_mismatch)))
    entries.append(AuditEntry(
        subject="Rows that could not be read (not used)", value=str(len(data.problems)),
        facts=tuple(Fact(statement=f"Row {p.row}"
                                   + (f" ({p.smelter_id})" if p.smelter_id else "")
                                   + f": {p.message}.", source=source, locations=at(p.row))
                    for p in data.problems)))
    return AuditSection(title="Country-of-origin data per smelter", entries=tuple(entries))
