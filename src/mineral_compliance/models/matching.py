"""Results of resolving a declared smelter against reference data: how, how sure, and why."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Candidate", "ConflictKind", "DeclaredSmelter", "Flag", "HistoryState", "MatchGrade",
           "SmelterMatch", "Snapshot", "StatusKind", "StatusPoint"]


class MatchGrade(StrEnum):
    """How a declared row was resolved, from most to least certain.

    ``exact-id``, ``legacy-id``, ``alias`` and ``normalised`` are accepted automatically;
    ``suggested`` needs a person to confirm; the rest resolve to no facility."""

    EXACT_ID = "exact-id"
    """The row's smelter ID is in the reference list, for the row's metal."""
    LEGACY_ID = "legacy-id"
    """The row's old-style ID (e.g. 1DEU001) translates to a reference ID."""
    ALIAS = "alias"
    """The typed name is one of the reference list's names for a facility of that metal."""
    NORMALISED = "normalised"
    """The typed name equals a reference name once case, accents, punctuation and legal forms
    are set aside, and the country does not contradict it."""
    SUGGESTED = "suggested"
    """Similar names exist (``candidates``, with scores) but none is certain: review."""
    UNMATCHED = "unmatched"
    """No reference facility resembles the row."""
    CONFLICTING = "conflicting"
    """The row's ID names one facility while its metal, or its name and country, name
    another."""
    PLACEHOLDER = "placeholder"
    """The row says no facility ("Smelter not yet identified", "Unknown", "N/A", "0")."""

    @property
    def accepted(self) -> bool:
        return self in _ACCEPTED


_ACCEPTED = frozenset({MatchGrade.EXACT_ID, MatchGrade.LEGACY_ID, MatchGrade.ALIAS,
                       MatchGrade.NORMALISED})


class ConflictKind(StrEnum):
    """What a ``conflicting`` row contradicts."""

    WRONG_METAL = "wrong-metal"
    """The row's ID names a facility of another metal."""
    OTHER_FACILITY = "other-facility"
    """The row's ID names one facility and its name (with its country) another."""


class Flag(StrEnum):
    """Something about a facility a compliance reviewer must look at, whatever its grade."""

    COVERED_COUNTRY = "covered-country"
    """In the DRC or one of its nine neighbours (the SEC's covered countries)."""
    CAHRA = "cahra"
    """In a country, or a region, on the CAHRA list."""
    CAHRA_REGION = "cahra-region"
    """In a country with CAHRA-listed regions, the facility's own region not known."""
    RECYCLED_CLAIM = "recycled-claim"
    """The row says all of the facility's feedstock is recycled or scrap."""
    LBMA = "lbma"
    """A gold refiner on the LBMA Good Delivery list."""
    RJC = "rjc"
    """A gold refiner on the RJC certified list."""
    STATUS_EXPIRED = "status-expired"
    """The status list calls the facility conformant, but its conformance ran out before the
    as-of date: it does not count as conformant."""
    STATUS_EXPIRING = "status-expiring"
    """The facility's conformance runs out within the filing window (the as-of date to the
    following 31 May, the Form SD deadline)."""


class StatusKind(StrEnum):
    """RMAP audit status of a facility, as the supplied status lists say."""

    CONFORMANT = "conformant"
    ACTIVE = "active"
    NON_CONFORMANT = "non-conformant"
    NOT_ENROLLED = "not-enrolled"
    UNKNOWN = "unknown"
    """No supplied list names the facility (or no list was supplied)."""


class HistoryState(StrEnum):
    """Where a facility stands in one dated snapshot of a status list, read against the
    snapshots before it."""

    NOT_LISTED = "not-listed"
    """Not in this snapshot, nor in any earlier one."""
    ENROLLED = "enrolled"
    """Listed as active: committed to an assessment, not yet conformant."""
    CONFORMANT = "conformant"
    """Listed as conformant, and not expired on the snapshot's date."""
    NON_CONFORMANT = "non-conformant"
    """Listed, neither conformant nor active, and never conformant before."""
    LAPSED = "lapsed"
    """Listed, conformant in an earlier snapshot, no longer conformant in this one (its
    status or its expiry date says so)."""
    REMOVED = "removed"
    """Not in this snapshot, though an earlier one listed it."""


class StatusPoint(BaseModel):
    """A facility in one dated snapshot of the status lists."""

    model_config = ConfigDict(frozen=True)

    date: dt.date | None = Field(description="The snapshot's date (None when it has none).")
    sources: tuple[str, ...] = Field(description="The lists of that date.")
    state: HistoryState
    status: StatusKind | None = Field(
        default=None, description="The status the snapshot states; None when not listed.")
    valid_until: dt.date | None = None


class Snapshot(BaseModel):
    """Which reference data a result rests on: where it came from, its version or date, and
    the sha256 of the bytes read."""

    model_config = ConfigDict(frozen=True)

    kind: str = Field(description="smelter-reference, legacy-ids, status-list, cahra, ...")
    source: str
    version: str | None = None
    sha256: str
    rows: int


class DeclaredSmelter(BaseModel):
    """One smelter as a supplier declared it (a Smelter List row, or a row of a CSV)."""

    model_config = ConfigDict(frozen=True)

    metal: str | None = None
    name: str | None = None
    country: str | None = None
    smelter_id: str | None = None
    recycled_scrap: str | None = None
    """The row's answer to "100 % recycled or scrap?" (CMRT column P), when given."""
    row: int | None = None
    sheet: str | None = None
    cell: str | None = None
    """Where the row was read (its name cell), for templates."""


class Candidate(BaseModel):
    """A reference facility the row might be."""

    model_config = ConfigDict(frozen=True)

    smelter_id: str
    standard_name: str
    country: str | None
    score: float = Field(description="Name similarity, 0 to 100, after normalisation.")


class SmelterMatch(BaseModel):
    """The resolution of one declared row, with everything an auditor needs to follow it."""

    model_config = ConfigDict(frozen=True)

    declared: DeclaredSmelter
    grade: MatchGrade
    smelter_id: str | None = None
    standard_name: str | None = None
    metal: str | None = None
    country: str | None = None
    """The facility's country as the reference list gives it."""
    region: str | None = None
    """The ISO 3166-2 code of the facility's state or province, when the reference gives
    one (what the CAHRA screen reads besides the country)."""
    score: float | None = None
    candidates: tuple[Candidate, ...] = ()
    reasons: tuple[str, ...] = ()
    """Each step that decided the grade, in words."""
    status: StatusKind = StatusKind.UNKNOWN
    status_sources: tuple[str, ...] = ()
    """The status lists (by source) that name the facility."""
    status_as_of: dt.date | None = None
    """The date the status was read as of (set when a status list names the facility)."""
    valid_until: dt.date | None = None
    """The last day of the facility's conformance, when the status list gives it or its last
    audit date and audit cycle."""
    history: tuple[StatusPoint, ...] = ()
    """The facility in each dated snapshot of the status lists, oldest first (given when
    there are snapshots of more than one date)."""
    flags: tuple[Flag, ...] = ()
    conflict: ConflictKind | None = None
    """For a ``conflicting`` row: what it contradicts."""

    @property
    def accepted(self) -> bool:
        return self.grade.accepted
