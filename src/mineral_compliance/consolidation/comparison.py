"""What changed since an earlier consolidation: smelters added, removed, identified or
changed in status, suppliers new or missing, and the smelters whose state changes across the
dated snapshots of the status lists."""

from __future__ import annotations

from collections.abc import Iterable

from ..models.consolidation import (
    Comparison,
    ConsolidatedSmelter,
    Consolidation,
    FileStatus,
    SmelterChange,
    SmelterHistory,
)
from .smelters import unresolved_key

__all__ = ["compare", "status_histories"]


def compare(previous: Consolidation, current: Consolidation) -> Comparison:
    """Smelters added, removed or whose status changed, and suppliers new or missing.

    A smelter known by name only in one run and resolved to an ID in the other (a newer
    reference list, a supplier adding the ID) is the same smelter, listed once as
    ``identified`` (or ``unidentified`` the other way round), not as removed and added."""
    before = {s.key: s for s in previous.smelters}
    after = {s.key: s for s in current.smelters}
    added, removed = after.keys() - before.keys(), before.keys() - after.keys()
    identified = _spelled_by(added, removed, after)  # new ID key -> last run's name key
    removed -= set(identified.values())
    added -= identified.keys()
    unidentified = _spelled_by(removed, added, before)  # last run's ID key -> new name key
    added -= set(unidentified.values())
    removed -= unidentified.keys()
    pairs = [(was, k, "identified") for k, was in identified.items()]
    pairs += [(k, now, "unidentified") for k, now in unidentified.items()]
    changes = [SmelterChange(key=k, metal=after[k].metal, name=after[k].name, change="added",
                             after=after[k].status.value)
               for k in sorted(added)]
    changes += [SmelterChange(key=k, metal=before[k].metal, name=before[k].name,
                              change="removed", before=before[k].status.value)
                for k in sorted(removed)]
    changes += [SmelterChange(key=k, previous_key=was, metal=after[k].metal,
                              name=after[k].name, change=change,
                              before=before[was].status.value, after=after[k].status.value)
                for was, k, change in sorted(pairs, key=lambda p: p[1])]
    changes += [SmelterChange(key=k, metal=after[k].metal, name=after[k].name,
                              change="status-changed", before=before[k].status.value,
                              after=after[k].status.value)
                for k in sorted(before.keys() & after.keys())
                if before[k].status is not after[k].status]

    def suppliers(c: Consolidation) -> set[str]:
        return {f.supplier for f in c.files
                if f.supplier and f.status is not FileStatus.UNREADABLE}

    old, new = suppliers(previous), suppliers(current)
    return Comparison(smelters=tuple(changes), suppliers_new=tuple(sorted(new - old)),
                      suppliers_missing=tuple(sorted(old - new)),
                      histories=status_histories(current))


def status_histories(c: Consolidation) -> tuple[SmelterHistory, ...]:
    """The smelters of ``c`` whose state changes across the dated snapshots of its status
    lists (conformant, then lapsed, then removed...), by key."""
    return tuple(SmelterHistory(key=s.key, metal=s.metal, name=s.name, points=s.history)
                 for s in sorted(c.smelters, key=lambda s: s.key)
                 if len({p.state for p in s.history}) > 1)


def _spelled_by(keys: Iterable[str], pool: set[str],
                smelters: dict[str, ConsolidatedSmelter]) -> dict[str, str]:
    """Each ID key among ``keys`` -> the name-only key in ``pool`` that one of its rows spells
    (metal, normalised name and country alike), each name-only key paired at most once."""
    found: dict[str, str] = {}
    for k in sorted(keys):
        if k.startswith("name:"):
            continue
        spelled = {unresolved_key(src.metal or smelters[k].metal, src.name, src.country)
                   for src in smelters[k].sources}
        match = min((n for n in pool & spelled if n and n not in found.values()
                     and n.startswith("name:")), default=None)
        if match is not None:
            found[k] = match
    return found
