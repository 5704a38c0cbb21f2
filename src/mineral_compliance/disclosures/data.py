"""What the disclosure documents say, as typed data.

Each report has two parts, kept in separate models:

* the **public** part, :class:`FormSdData` (Form SD and its Conflict Minerals Report,
  Exhibit 1.01) and :class:`EuReportData` (the Regulation (EU) 2017/821 annual report): what
  may be filed and published. It states facts in aggregate (counts of suppliers and
  responses, answers by metal, countries, the facility table with its status, the template
  versions accepted) and names no supplier, supplier file, person, address or cell;
* the **internal** part, :class:`AuditTrail`: every conclusion and every public figure with
  the facts and sources it rests on, down to file, sheet and cell, for the people who review
  the draft before filing.

The public documents are rendered from the public model alone, so nothing of the internal
part can reach them. ``report-data.json`` and ``eu-report-data.json`` are the dumps of
:class:`DoddFrankData` and :class:`EuData`: ``public`` and ``internal``, side by side.

What only the company can state is a :class:`Slot`: the documents show it marked, and the
checklist lists it. What the user of the tool should do before filing (give a roster,
confirm a scope) is an :class:`Action`, listed in the checklist and never in a public text.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from ..models.matching import Flag, Snapshot, StatusKind
from ..models.profile import CompanyProfile
from ..upstream.link import UpstreamSummary
from .dodd_frank import Fact, MetalDetermination, Rcoi
from .eu import LineScope
from .risks import RiskFigures

__all__ = [
    "STATUS_LABELS",
    "STATUS_ORDER",
    "Action",
    "AuditEntry",
    "AuditFile",
    "AuditSection",
    "AuditTrail",
    "Countries",
    "DoddFrankData",
    "EuData",
    "EuReportData",
    "EuSmelterRow",
    "FormSdData",
    "InquiryStatistics",
    "ListUsed",
    "MetalConclusion",
    "MetalFigures",
    "MetalOrigin",
    "Obligation",
    "OriginSummary",
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


class Action(BaseModel):
    """Something the user should do before filing (give a roster, confirm a scope): listed in
    the checklist, never in a public document."""

    model_config = ConfigDict(frozen=True)

    key: str
    title: str
    detail: str


STATUS_ORDER = (StatusKind.CONFORMANT, StatusKind.ACTIVE, StatusKind.NOT_ENROLLED,
                StatusKind.NON_CONFORMANT, StatusKind.UNKNOWN)
"""The order filed reports group facilities in."""

STATUS_LABELS = {StatusKind.CONFORMANT: "Conformant", StatusKind.ACTIVE: "Active",
                 StatusKind.NOT_ENROLLED: "Not enrolled",
                 StatusKind.NON_CONFORMANT: "Non-conformant",
                 StatusKind.UNKNOWN: "Status unknown"}
"""Each audit status as the documents print it."""


class ListUsed(BaseModel):
    """A reference list the results rest on, as a public document names it: what it is and
    its version or date, not where the file was read."""

    model_config = ConfigDict(frozen=True)

    kind: str
    title: str
    version: str | None


class SmelterRow(BaseModel):
    """One smelter or refiner of the supply chain, as the reports' table lists it."""

    model_config = ConfigDict(frozen=True)

    metal: str
    name: str
    country: str | None
    smelter_id: str
    status: StatusKind

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


class EuSmelterRow(SmelterRow):
    """A smelter or refiner with the flags the EU risk assessment looks at."""

    flags: tuple[Flag, ...]


class MetalFigures(BaseModel):
    """Counts for one metal: the smelters identified, by audit status and location."""

    model_config = ConfigDict(frozen=True)

    metal: str
    smelters_identified: int
    """Always the sum of the five status counts."""
    conformant: int
    active: int
    not_enrolled: int
    non_conformant: int
    status_unknown: int
    percent_conformant: float | None
    """Conformant over identified, percent to one decimal; None when none is identified."""
    unconfirmed_facilities: int
    """Declared facilities not resolved to a reference-list smelter without review."""
    located_in_covered_countries: int

    def count(self, status: StatusKind) -> int:
        """The facilities of ``status``."""
        return {StatusKind.CONFORMANT: self.conformant, StatusKind.ACTIVE: self.active,
                StatusKind.NOT_ENROLLED: self.not_enrolled,
                StatusKind.NON_CONFORMANT: self.non_conformant,
                StatusKind.UNKNOWN: self.status_unknown}[status]


class MetalConclusion(BaseModel):
    """The determination for one metal as a public document states it: the conclusions and
    an aggregate basis, never a single supplier's answer."""

    model_config = ConfigDict(frozen=True)

    metal: str
    necessary: bool
    """A product category of the profile needs the metal."""
    reported_used: bool
    """The consolidated supplier answers say it is used."""
    in_scope: bool
    excluded_pre_2013: bool
    recycled_only: bool
    rcoi: Rcoi | None
    due_diligence_required: bool
    respondents: int
    """Suppliers that answered the covered-countries question for the metal."""
    answers: dict[str, int] | None
    """Those answers by kind (Yes, No, Unknown, another answer); None with fewer than two
    respondents, so that no single supplier's answer can be read from the document."""
    basis: str
    """The basis of the conclusion in the company's words."""


class MetalOrigin(BaseModel):
    """What country-of-origin data per smelter states for one metal's identified facilities,
    in aggregate: countries where the data names them, levels where it states only a level."""

    model_config = ConfigDict(frozen=True)

    metal: str
    facilities: int
    """Facilities identified for the metal."""
    with_data: int
    """Of them, those the data has a row for."""
    countries: tuple[str, ...]
    """The countries the data names for them, by name."""
    covered: int
    """Facilities whose data states an origin in the Covered Countries (a country or the
    level)."""
    levels: dict[str, int]
    """Facilities whose data names no country, by the level it states (in words)."""
    incomplete: int
    """Facilities with a row of the data that could not be read."""
    cahra_countries: tuple[str, ...] | None = None
    """The named countries on the EU indicative CAHRA list (the country, or a country with
    listed regions); None when no CAHRA list was given."""
    statement: str
    """The metal's origin as the public documents state it."""
    finding: str | None
    """What the data states of the Covered Countries for the metal, as a clause ("states
    no origin in the Covered Countries for the Tin facility identified"); None without
    data."""
    basis: str | None
    """The sentence the RCOI basis adds: the data's bearing on the Covered Countries."""


class OriginSummary(BaseModel):
    """Country-of-origin data per smelter as the public documents name and use it: its title
    and date (never the file), and per metal what it states."""

    model_config = ConfigDict(frozen=True)

    title: str
    as_of: dt.date | None
    metals: tuple[MetalOrigin, ...]
    """The metals with identified facilities."""
    rows_not_used: int
    """Rows for smelters that are not among the identified facilities (counted, not used)."""
    rows_unreadable: int
    """Rows of the data that could not be read (listed, with their numbers, in the audit
    trail)."""

    @property
    def named(self) -> str:
        """The data as a sentence names it: title and date."""
        return f"{self.title}, as of " + (self.as_of.isoformat() if self.as_of
                                           else "a date it does not state")


class Countries(BaseModel):
    """The countries the data supports, per metal; none of them establishes the origin of
    the ore."""

    model_config = ConfigDict(frozen=True)

    declared_mines: dict[str, tuple[str, ...]]
    """Countries where suppliers declared mines."""
    facilities: dict[str, tuple[str, ...]]
    """Countries where the identified smelters and refiners are located."""
    inquiry: dict[str, tuple[str, ...]] = {}
    """Countries of origin from smelter-level origin data (RCOI data); empty until such data
    is loaded."""


class InquiryStatistics(BaseModel):
    """The figures of the reasonable country of origin inquiry."""

    model_config = ConfigDict(frozen=True)

    suppliers_surveyed: int | None
    """None when no supplier roster was given."""
    suppliers_responded: int
    """Suppliers with a current CMRT, whether on the roster or not."""
    responded_on_roster: int | None
    """Of them, those on the roster; None without a roster."""
    response_rate: float | None
    """Suppliers on the roster that responded over the roster, percent to one decimal."""
    templates: dict[str, int]
    """Current declarations by template and version (``"CMRT 6.5"``)."""
    declarations_outside_accepted_versions: int
    resubmissions: int
    """Declarations replaced by a later one from the same supplier."""
    declarations_with_errors: int
    declarations_with_warnings: int
    """Current declarations with warnings and no error."""
    scopes: dict[str, int]
    """Current declarations by scope: company, product, user defined, not stated."""
    per_metal: tuple[MetalFigures, ...]
    total: MetalFigures
    """The four metals together (``metal`` is ``"Total"``)."""


class FormSdData(BaseModel):
    """Everything Form SD and the Conflict Minerals Report state (Rule 13p-1): the public
    part of the draft."""

    model_config = ConfigDict(frozen=True)

    registrant: CompanyProfile
    reporting_year: int
    filing_deadline: dt.date
    form_sd_required: bool
    report_required: bool
    covered_countries: tuple[str, ...]
    """The Democratic Republic of the Congo and the nine adjoining countries, by name."""
    determination: tuple[MetalConclusion, ...]
    """Per metal, the conclusions and their aggregate basis."""
    statistics: InquiryStatistics
    smelters: tuple[SmelterRow, ...]
    declared_mines: tuple[UpstreamSummary, ...]
    countries: Countries
    origin: OriginSummary | None = None
    """Country-of-origin data per smelter, when given."""
    lists_used: tuple[ListUsed, ...]
    """The reference and status lists the facility table rests on."""
    status_list: ListUsed | None
    """The audit-status list the statuses come from; None when none was used."""
    accepted_versions: str | None
    """The accepted-versions policy as the consolidation recorded it."""
    accepted_cmrt_versions: str | None
    """The same policy in words, for the CMRT; None when the consolidation did not record
    one."""
    checklist: tuple[Slot, ...]
    """The statements the company must write, in the order the checklist lists them."""
    actions: tuple[Action, ...]
    """What the user should do or confirm before filing."""
    risks: RiskFigures | None = None
    """The risk register in aggregate (OECD steps 2 and 3)."""

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
    imports_assessed: bool = True
    """Whether import records were given (without them the report says so, not an empty
    table)."""
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
    origin: OriginSummary | None = None
    """Country-of-origin data per smelter, when given."""
    lists_used: tuple[ListUsed, ...]
    obligations: tuple[Obligation, ...]
    slots: tuple[Slot, ...]
    """The statements the company must write, in the order the checklist lists them."""
    actions: tuple[Action, ...]
    """What the user should do or confirm before filing."""
    risks: RiskFigures | None = None
    """The risk register in aggregate (the Article 5 risk-management plan)."""

    def slot(self, key: str) -> Slot:
        """The statement ``key`` of the checklist."""
        return _slot(self.slots, key)


class AuditFile(BaseModel):
    """One supplier file as the audit trail lists it."""

    model_config = ConfigDict(frozen=True)

    index: int
    file: str
    company: str | None
    supplier: str | None
    kind: str | None
    version: str | None
    scope: str | None
    effective_date: dt.date | None
    status: str
    on_roster: bool | None
    errors: int
    warnings: int
    superseded_by: str | None


class AuditEntry(BaseModel):
    """A conclusion or a public figure, and the facts it rests on."""

    model_config = ConfigDict(frozen=True)

    subject: str
    value: str
    facts: tuple[Fact, ...]


class AuditSection(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    entries: tuple[AuditEntry, ...]


class AuditTrail(BaseModel):
    """The internal audit trail of a draft: every conclusion and public figure with its
    sources, down to file, sheet and cell. Confidential; never filed."""

    model_config = ConfigDict(frozen=True)

    title: str
    reporting_year: int
    files: tuple[AuditFile, ...]
    sections: tuple[AuditSection, ...]
    determination: tuple[MetalDetermination, ...] = ()
    """The SEC determination per metal, with its facts (empty for the EU report)."""
    snapshots: tuple[Snapshot, ...]
    """The reference data read, with where it was read and its sha256."""


class DoddFrankData(BaseModel):
    """The SEC draft as data (``report-data.json``): the public part and the internal one."""

    model_config = ConfigDict(frozen=True)

    public: FormSdData
    internal: AuditTrail


class EuData(BaseModel):
    """The EU draft as data (``eu-report-data.json``): the public part and the internal one."""

    model_config = ConfigDict(frozen=True)

    public: EuReportData
    internal: AuditTrail


def _slot(slots: tuple[Slot, ...], key: str) -> Slot:
    found = next((s for s in slots if s.key == key), None)
    if found is None:
        raise LookupError(f"no statement {key!r} on the checklist")
    return found
