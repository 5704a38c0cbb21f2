"""What the disclosure documents say, as typed data.

:class:`FormSdData` holds everything Form SD and its Conflict Minerals Report (Exhibit 1.01)
state; :class:`EuReportData` everything the Regulation (EU) 2017/821 documents state. The
documents are these models laid out by templates, and ``report-data.json`` and
``eu-report-data.json`` are their JSON dumps, so a figure in a document and the same figure in
the data file cannot differ.

The fields fall into three kinds, kept apart so that a public edition and an internal audit
trail can later be drawn from the same model:

* aggregate figures (:class:`InquiryStatistics`, :class:`MetalFigures`, the status and flag
  counts of :class:`EuReportData`), which name no supplier;
* facility and import rows (:class:`SmelterRow`, the Annex I lines), as the reports list them;
* facts with their sources (the determination's facts, the declared mines, the reference-data
  snapshots), which may name supplier files and cells.

What only the company can state is a :class:`Slot`: the documents show it marked, and the
checklist lists it.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from ..models.matching import Flag, Snapshot, StatusKind
from ..models.profile import CompanyProfile
from ..upstream.link import UpstreamSummary
from .dodd_frank import MetalDetermination
from .eu import LineScope

__all__ = [
    "EuReportData",
    "EuSmelterRow",
    "FormSdData",
    "InquiryStatistics",
    "MetalFigures",
    "Obligation",
    "Slot",
    "SmelterRow",
]


class Slot(BaseModel):
    """A statement only the company can make: shown marked in the draft, listed in the
    checklist, never written for it."""

    model_config = ConfigDict(frozen=True)

    key: str
    title: str
    guidance: str

    @property
    def marker(self) -> str:
        """How the draft marks the place of the statement."""
        return f"[TO BE COMPLETED BY THE COMPANY: {self.title}]"


class SmelterRow(BaseModel):
    """One smelter or refiner of the supply chain, as the reports' table lists it."""

    model_config = ConfigDict(frozen=True)

    metal: str
    name: str
    country: str | None
    smelter_id: str
    status: StatusKind


class EuSmelterRow(SmelterRow):
    """A smelter or refiner with the flags the EU risk assessment looks at."""

    flags: tuple[Flag, ...]


class MetalFigures(BaseModel):
    """Counts for one metal: the smelters identified, by audit status and location."""

    model_config = ConfigDict(frozen=True)

    metal: str
    smelters_identified: int
    conformant: int
    active: int
    non_conformant: int
    status_unknown: int
    unconfirmed_facilities: int
    """Declared facilities not resolved to a reference-list smelter without review."""
    located_in_covered_countries: int


class InquiryStatistics(BaseModel):
    """The figures of the reasonable country of origin inquiry."""

    model_config = ConfigDict(frozen=True)

    suppliers_surveyed: int | None
    """None when no supplier roster was given."""
    suppliers_responded: int
    response_rate: float | None
    """Percent, to one decimal place."""
    templates: dict[str, int]
    """Current declarations by template and version (``"CMRT 6.5"``)."""
    declarations_outside_accepted_versions: int
    per_metal: tuple[MetalFigures, ...]


class FormSdData(BaseModel):
    """Everything Form SD and the Conflict Minerals Report state (Rule 13p-1)."""

    model_config = ConfigDict(frozen=True)

    registrant: CompanyProfile
    reporting_year: int
    filing_deadline: dt.date
    form_sd_required: bool
    report_required: bool
    determination: tuple[MetalDetermination, ...]
    """Per metal, the conclusion and the facts it rests on, with their sources."""
    statistics: InquiryStatistics
    smelters: tuple[SmelterRow, ...]
    declared_mines: tuple[UpstreamSummary, ...]
    snapshots: tuple[Snapshot, ...]
    accepted_versions: str | None
    """The accepted-versions policy as the consolidation recorded it."""
    accepted_cmrt_versions: str | None
    """The same policy in words, for the CMRT; None when the consolidation did not record
    one."""
    checklist: tuple[Slot, ...]
    """The statements the company must write, in the order the checklist lists them."""

    def slot(self, key: str) -> Slot:
        """The statement ``key`` of the checklist."""
        return _slot(self.checklist, key)


class Obligation(BaseModel):
    """One line of the EU obligations checklist."""

    model_config = ConfigDict(frozen=True)

    article: str
    obligation: str
    data: str
    """What the data shows for it."""


class EuReportData(BaseModel):
    """Everything the Article 7(3) annual report and the obligations checklist state
    (Regulation (EU) 2017/821)."""

    model_config = ConfigDict(frozen=True)

    importer: CompanyProfile
    reporting_year: int
    scope: tuple[LineScope, ...]
    """The Annex I lines with imports in the reporting year."""
    in_scope_lines: tuple[str, ...]
    unconfirmed_lines: tuple[str, ...]
    import_origins_kg: dict[str, float]
    import_origins_in_cahra_list: tuple[str, ...]
    declared_mines: tuple[UpstreamSummary, ...]
    declared_mines_in_cahra_list: tuple[str, ...]
    smelters: tuple[EuSmelterRow, ...]
    smelter_status: dict[StatusKind, int]
    smelters_flagged: dict[Flag, int]
    suppliers_responded: int
    smelters_screened: bool
    """The consolidation screened smelter locations against a CAHRA list."""
    origins_screened: bool
    """Import origins and declared mines were screened against a CAHRA list."""
    snapshots: tuple[Snapshot, ...]
    obligations: tuple[Obligation, ...]
    slots: tuple[Slot, ...]
    """The statements the company must write, in the order the checklist lists them."""

    def slot(self, key: str) -> Slot:
        """The statement ``key`` of the checklist."""
        return _slot(self.slots, key)


def _slot(slots: tuple[Slot, ...], key: str) -> Slot:
    found = next((s for s in slots if s.key == key), None)
    if found is None:
        raise LookupError(f"no statement {key!r} on the checklist")
    return found
