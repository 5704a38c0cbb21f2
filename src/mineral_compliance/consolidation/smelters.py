"""Smelter List rows into smelters: the key a row is merged under (the smelter ID the
reference resolves, else metal, normalised name and country), or why it is rejected, and
the consolidated smelter its rows make, with the mines declared for it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .._words import counted
from ..models.consolidation import (
    ConsolidatedSmelter,
    DeclaredMine,
    SmelterMine,
    SmelterSource,
)
from ..models.matching import ConflictKind, Flag, MatchGrade, SmelterMatch, StatusKind
from ..names import country_code, metal_key, name_key

__all__ = ["group_mines", "merge", "smelter_key", "unresolved_key"]


def smelter_key(result: SmelterMatch) -> tuple[str | None, str]:
    """The key a resolved row is merged under and ``""``, or None and why it is rejected
    (``placeholder``, ``wrong-metal``, ``conflicting``, ``unresolvable``)."""
    d = result.declared
    if result.accepted and result.smelter_id:
        return result.smelter_id, ""
    if result.grade is MatchGrade.PLACEHOLDER:
        return None, "placeholder"
    if result.grade is MatchGrade.CONFLICTING:
        wrong_metal = result.conflict is ConflictKind.WRONG_METAL
        return None, "wrong-metal" if wrong_metal else "conflicting"
    key = unresolved_key(d.metal, d.name, d.country)
    return (key, "") if key else (None, "unresolvable")


def unresolved_key(metal: str | None, name: str | None, country: str | None) -> str | None:
    """The key of a smelter no reference list resolved: metal, normalised name, country."""
    mk, nk = metal_key(metal), name_key(name or "")
    return f"name:{mk}|{nk}|{country_code(country) or '-'}" if mk and nk else None


def group_mines(mines: Iterable[DeclaredMine]) -> tuple[SmelterMine, ...]:
    """One smelter's declared mines, one per mine name (compared as facility names are) and
    country (its ISO code where it names one, else as written, case folded), in the order
    first declared, each with every declaration of it."""
    groups: dict[tuple[str, str], list[DeclaredMine]] = {}
    for m in mines:
        country = m.country_code or (m.country or "").strip().casefold()
        groups.setdefault((name_key(m.name or ""), country), []).append(m)
    return tuple(SmelterMine(name=v[0].name, country=v[0].country,
                             country_code=v[0].country_code, sources=tuple(v))
                 for v in groups.values())


def merge(key: str, rows: list[tuple[SmelterSource, SmelterMatch]],
          mines: Iterable[DeclaredMine] = ()) -> ConsolidatedSmelter:
    """The smelter the rows merged under ``key`` make: shown as the reference names it when
    the best-graded row is resolved, else as most rows spell it (ties: the first file); with
    ``mines``, the mines declared for it (:func:`group_mines`)."""
    order = {g: i for i, g in enumerate(MatchGrade)}
    best_source, best = min(rows, key=lambda sr: (order[sr[1].grade], sr[0].file,
                                                  sr[0].row or 0))
    statuses = [r.status for _, r in rows if r.status is not StatusKind.UNKNOWN]
    flags = sorted({f for _, r in rows for f in r.flags if f is not Flag.RECYCLED_CLAIM})
    region = None
    if best.accepted and best.smelter_id:
        name, country, region = best.standard_name or "", best.country, best.region
        representative = f"reference list ({best.smelter_id})"
    else:
        spellings = Counter((s.name or "", s.country) for s, _ in rows)
        # most_common keeps first-seen order among equal counts: ties go to the first file
        (name, country), count = spellings.most_common(1)[0]
        representative = (f"the spelling {count} of {counted(len(rows), 'row')} "
                          f"{'uses' if count == 1 else 'use'}")
    return ConsolidatedSmelter(
        key=key, metal=best.metal or best_source.metal or "", smelter_id=best.smelter_id,
        name=name, country=country, region=region, grade=best.grade, needs_review=not best.accepted,
        status=statuses[0] if statuses else StatusKind.UNKNOWN, flags=tuple(flags),
        suppliers=tuple(sorted({s.supplier for s, _ in rows})),
        sources=tuple(s for s, _ in rows), representative=representative,
        candidates=best.candidates, mines=group_mines(mines), valid_until=best.valid_until,
        history=best.history)
