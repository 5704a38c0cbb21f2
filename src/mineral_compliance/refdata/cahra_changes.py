"""What changed between dated snapshots of the EU CAHRA list.

The indicative list is updated quarterly. Snapshots are put in date order (each list's own
date, :attr:`~mineral_compliance.refdata.regions.CahraList.date`; snapshots of one date keep
the order given) and each is compared with the one before it: the countries and the areas (a
whole country, or one ISO 3166-2 region) added and removed, and the areas still listed whose
conflict-affected or high-risk flag changed.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from .regions import CahraArea, CahraList

__all__ = ["AreaFlags", "CahraChanges", "CahraStep", "FlagChange", "ListedArea",
           "SnapshotDate", "cahra_changes"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class SnapshotDate(_Frozen):
    """One snapshot of the list, as compared."""

    source: str
    version: str | None
    sha256: str
    date: dt.date | None
    dated_by: str = Field(description="Where the date comes from: 'meta: dataUpdated' (or "
                          "reportsUpdated, retrieved), 'file date' or 'none'.")
    countries: int
    areas: int


class ListedArea(_Frozen):
    """A listed country (``region`` None: listed whole) or one listed region of it."""

    country: str
    region: str | None
    name: str
    conflict_affected: bool | None
    high_risk: bool | None


class AreaFlags(_Frozen):
    conflict_affected: bool | None
    high_risk: bool | None


class FlagChange(_Frozen):
    """An area listed in both snapshots whose flags differ."""

    country: str
    region: str | None
    name: str
    before: AreaFlags
    after: AreaFlags


class CahraStep(_Frozen):
    """One snapshot against the one before it."""

    before: SnapshotDate
    after: SnapshotDate
    countries_added: tuple[str, ...] = Field(description="ISO alpha-2 codes, sorted.")
    countries_removed: tuple[str, ...]
    added: tuple[ListedArea, ...] = Field(description="Areas listed now and not before, by "
                                          "country then region (the whole country first).")
    removed: tuple[ListedArea, ...]
    flags_changed: tuple[FlagChange, ...]

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.flags_changed)


class CahraChanges(_Frozen):
    snapshots: tuple[SnapshotDate, ...] = Field(description="The snapshots, in date order.")
    steps: tuple[CahraStep, ...] = Field(description="Each snapshot against the one before.")


def _snapshot(lst: CahraList) -> SnapshotDate:
    return SnapshotDate(source=lst.snapshot.source, version=lst.snapshot.version,
                        sha256=lst.snapshot.sha256, date=lst.date, dated_by=lst.dated_by,
                        countries=len(lst.countries()), areas=len(lst.areas))


def _key(area: CahraArea) -> tuple[str, str]:
    return area.country, area.region or ""


def _by_key(lst: CahraList) -> dict[tuple[str, str], CahraArea]:
    """The list's areas by country and region; a region listed twice keeps its first entry."""
    out: dict[tuple[str, str], CahraArea] = {}
    for a in lst.areas:
        out.setdefault(_key(a), a)
    return out


def _listed(a: CahraArea) -> ListedArea:
    return ListedArea(country=a.country, region=a.region, name=a.name,
                      conflict_affected=a.conflict_affected, high_risk=a.high_risk)


def _step(before: CahraList, after: CahraList) -> CahraStep:
    old, new = _by_key(before), _by_key(after)
    changed = []
    for key in sorted(old.keys() & new.keys()):
        a, b = old[key], new[key]
        if (a.conflict_affected, a.high_risk) != (b.conflict_affected, b.high_risk):
            changed.append(FlagChange(
                country=b.country, region=b.region, name=b.name,
                before=AreaFlags(conflict_affected=a.conflict_affected, high_risk=a.high_risk),
                after=AreaFlags(conflict_affected=b.conflict_affected, high_risk=b.high_risk)))
    return CahraStep(
        before=_snapshot(before), after=_snapshot(after),
        countries_added=tuple(sorted(after.countries() - before.countries())),
        countries_removed=tuple(sorted(before.countries() - after.countries())),
        added=tuple(_listed(new[k]) for k in sorted(new.keys() - old.keys())),
        removed=tuple(_listed(old[k]) for k in sorted(old.keys() - new.keys())),
        flags_changed=tuple(changed))


def cahra_changes(snapshots: Sequence[CahraList]) -> CahraChanges:
    """The changes between consecutive snapshots, in date order (a snapshot with no date
    goes first)."""
    ordered = sorted(snapshots, key=lambda s: s.date or dt.date.min)
    return CahraChanges(snapshots=tuple(_snapshot(s) for s in ordered),
                        steps=tuple(_step(a, b) for a, b in itertools.pairwise(ordered)))
