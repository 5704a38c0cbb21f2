"""The company's view of many supplier templates: suppliers, smelters, rejected rows, answers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from .declaration import QuestionRole
from .findings import Finding
from .matching import Candidate, Flag, MatchGrade, Snapshot, StatusKind, StatusPoint
from .shelved import Rows

__all__ = [
    "AnswerRollup",
    "Comparison",
    "ConsolidatedSmelter",
    "Consolidation",
    "DeclaredMine",
    "FileStatus",
    "ProductSmelters",
    "RejectedRow",
    "SmelterChange",
    "SmelterHistory",
    "SmelterMine",
    "SmelterSource",
    "SupplierFile",
]


class FileStatus(StrEnum):
    VALID = "valid"
    """Read, and no finding."""
    WARNINGS = "warnings"
    ERRORS = "errors"
    UNREADABLE = "unreadable"
    SUPERSEDED = "superseded"
    """The same supplier sent a later declaration (by effective date); not consolidated."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class SupplierFile(_Frozen):
    file: str
    sha256: str | None = None
    status: FileStatus
    supplier: str | None = Field(default=None, description="Supplier key (see Consolidation).")
    company: str | None = None
    unique_id: str | None = None
    scope: str | None = Field(
        default=None, description="Declaration scope: A company, B product(s), C user defined.")
    kind: str | None = None
    on_roster: bool | None = Field(
        default=None, description="The supplier is on the roster given (by unique ID or "
        "name); None when no roster was given.")
    version: str | None = None
    effective_date: dt.date | None = None
    errors: int = 0
    warnings: int = 0
    smelter_rows: int = 0
    superseded_by: str | None = None
    message: str | None = Field(default=None, description="Why the file could not be read.")
    hint: str | None = Field(
        default=None, description="What the supplier can do about it, where the reason says.")
    findings: Rows[Finding] = Field(
        default=(), description="The file's findings (validation), in workbook order.")


# A consolidation holds one source per row read (hundreds of thousands at scale): a slotted
# dataclass takes a ninth of a model's memory. Sources are made only from values already
# checked, and validated like any model's fields when a stored consolidation is read back.
@dataclasses.dataclass(frozen=True, slots=True)
class SmelterSource:
    """One Smelter List row that declared a facility."""

    supplier: str
    file: str
    sheet: str | None
    cell: str | None
    row: int | None
    metal: str | None
    name: str | None
    country: str | None
    smelter_id: str | None
    grade: MatchGrade

    # a consolidation shelves its rejected rows (models.shelved): a source pickles as the
    # tuple of its values, the grade by its text, in a third of the dataclass's own time
    def __reduce__(self) -> tuple[Callable[..., SmelterSource], tuple[object, ...]]:
        return _unpickled, (self.supplier, self.file, self.sheet, self.cell, self.row,
                            self.metal, self.name, self.country, self.smelter_id,
                            self.grade.value)


_GRADES = {g.value: g for g in MatchGrade}
_new = object.__new__
_slot = {f.name: vars(SmelterSource)[f.name].__set__
         for f in dataclasses.fields(SmelterSource)}
(_supplier, _file, _sheet, _cell, _row, _metal, _name, _country, _smelter_id, _grade) = (
    _slot[n] for n in ("supplier", "file", "sheet", "cell", "row", "metal", "name", "country",
                       "smelter_id", "grade"))


def checked_source(supplier: str, file: str, sheet: str | None, cell: str | None,
                   row: int | None, metal: str | None, name: str | None, country: str | None,
                   smelter_id: str | None, grade: MatchGrade) -> SmelterSource:
    """A source made from values that were checked when it was first made (a source read
    back from where a consolidation keeps it): its slots set as its constructor sets them,
    in half the time."""
    made: SmelterSource = _new(SmelterSource)
    _supplier(made, supplier)
    _file(made, file)
    _sheet(made, sheet)
    _cell(made, cell)
    _row(made, row)
    _metal(made, metal)
    _name(made, name)
    _country(made, country)
    _smelter_id(made, smelter_id)
    _grade(made, grade)
    return made


def _unpickled(supplier: str, file: str, sheet: str | None, cell: str | None, row: int | None,
               metal: str | None, name: str | None, country: str | None,
               smelter_id: str | None, grade: str) -> SmelterSource:
    return checked_source(supplier, file, sheet, cell, row, metal, name, country, smelter_id,
                          _GRADES[grade])


class DeclaredMine(_Frozen):
    """A mine (or mine country) a supplier declared: Smelter List columns N/O of the CMRT,
    or a row of the EMRT/AMRT Mine List."""

    supplier: str
    file: str
    sheet: str | None
    cell: str | None
    metal: str | None
    name: str | None
    country: str | None
    country_code: str | None
    smelter: str | None = None
    comment: str | None = Field(
        default=None, description="The supplier's comment on the row (e.g. that the material "
        "is tagged by a traceability programme).")
    smelter_key: str | None = Field(
        default=None, description="Key of the consolidated smelter the mine is declared for: "
        "the smelter of its Smelter List row, or the Smelter List row a Mine List row names; "
        "None when that row was rejected or the Mine List names no smelter of the file.")


class SmelterMine(_Frozen):
    """One mine declared for a consolidated smelter, with every declaration of it: the same
    mine name (compared as facility names are) in the same country, from any supplier."""

    name: str | None = Field(description="The mine name as first declared.")
    country: str | None = Field(description="The country as first declared.")
    country_code: str | None
    sources: tuple[DeclaredMine, ...]

    @property
    def suppliers(self) -> tuple[str, ...]:
        return tuple(sorted({s.supplier for s in self.sources}))


class ConsolidatedSmelter(_Frozen):
    key: str = Field(description="The smelter ID, or 'name:<normalised name>|<country code>'.")
    metal: str
    smelter_id: str | None
    name: str
    country: str | None
    region: str | None = Field(
        default=None, description="ISO 3166-2 code of its state or province, when the "
        "reference list gives one: with the country, what the CAHRA screen reads. None in "
        "consolidations written before it was recorded.")
    grade: MatchGrade = Field(description="The most certain grade among its rows.")
    needs_review: bool = Field(description="No row resolved it against the reference list.")
    status: StatusKind
    flags: tuple[Flag, ...]
    suppliers: tuple[str, ...]
    sources: Rows[SmelterSource]
    representative: str = Field(description="Where the name and country shown come from.")
    candidates: tuple[Candidate, ...] = ()
    mines: tuple[SmelterMine, ...] = Field(
        default=(), description="The mines suppliers declare for it, one per mine name and "
        "country, in the order first declared.")
    valid_until: dt.date | None = Field(
        default=None, description="The last day of its RMAP conformance, where the status "
        "list gives it (a valid-until date, or last audit date plus audit cycle).")
    history: tuple[StatusPoint, ...] = Field(
        default=(), description="Its state in each dated snapshot of the status lists, oldest "
        "first (when lists of more than one date were given).")


class RejectedRow(_Frozen):
    source: SmelterSource
    reason: str = Field(description="placeholder, unresolvable, wrong-metal or conflicting")
    detail: str


class AnswerRollup(_Frozen):
    family: str
    mineral: str
    question: str
    role: QuestionRole | None = Field(
        default=None, description="What the question asks, whatever its number in the family.")
    answer: str | None = Field(description="The company's answer; None where left to the user.")
    rule: str
    counts: dict[str, int] = Field(description="Supplier answers, by literal ('' = blank).")


class ProductSmelters(_Frozen):
    supplier: str
    file: str
    product_number: str | None
    product_name: str | None
    requester_number: str | None = Field(
        default=None, description="The requester's own product number, where given.")
    requester_name: str | None = Field(
        default=None, description="The requester's own product name, where given.")
    smelters: tuple[str, ...] = Field(description="Keys of the smelters the supplier listed.")


class Consolidation(_Frozen):
    families: tuple[str, ...] = Field(description="Template families consolidated.")
    files: Rows[SupplierFile]
    smelters: tuple[ConsolidatedSmelter, ...]
    rejected: Rows[RejectedRow]
    answers: tuple[AnswerRollup, ...]
    products: Rows[ProductSmelters]
    snapshots: tuple[Snapshot, ...]
    mines: Rows[DeclaredMine] = Field(
        default=(), description="Mines and mine countries declared by consolidated suppliers.")
    suppliers_surveyed: int | None = Field(
        default=None, description="Suppliers on the roster given, if any.")
    accepted_versions: str | None = Field(
        default=None, description="The template versions the campaign accepted, as the policy "
        "text (e.g. 'CMRT>=6.4,EMRT>=2.0'); files outside it carry the finding "
        "template-version-not-accepted. None in consolidations written before it was "
        "recorded.")
    as_of: dt.date | None = Field(
        default=None, description="The date statuses were read as of (a conformance that ran "
        "out before it does not count). None in consolidations written before it was "
        "recorded.")
    rows_read: int
    """Smelter rows read from every consolidated file: always equal to the rows attributed to
    consolidated smelters plus the rejected rows."""

    def not_accepted(self) -> tuple[SupplierFile, ...]:
        """The files whose template version the campaign does not accept: those with the
        finding ``template-version-not-accepted``."""
        return tuple(f for f in self.files
                     if any(x.code == "template-version-not-accepted" for x in f.findings))

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {f"files_{s.value}": 0 for s in FileStatus}
        for f in self.files:
            counts[f"files_{f.status.value}"] += 1
        counts.update({
            "files": len(self.files),
            "suppliers": len({f.supplier for f in self.files if f.supplier}),
            "smelter_rows_read": self.rows_read,
            "smelters": len(self.smelters),
            "smelter_rows_attributed": sum(len(s.sources) for s in self.smelters),
            "rows_rejected": len(self.rejected),
            "smelters_needing_review": sum(s.needs_review for s in self.smelters),
            "smelters_conformant": sum(s.status is StatusKind.CONFORMANT
                                       for s in self.smelters),
            "smelters_status_expired": sum(Flag.STATUS_EXPIRED in s.flags
                                           for s in self.smelters),
            "smelters_status_expiring": sum(Flag.STATUS_EXPIRING in s.flags
                                            for s in self.smelters),
        })
        return counts


class SmelterChange(_Frozen):
    key: str
    previous_key: str | None = Field(
        default=None, description="The key in the previous consolidation, where it differs "
        "(identified, unidentified).")
    metal: str
    name: str
    change: str = Field(description="added, removed, status-changed, identified (known by "
                        "name only before, by ID now) or unidentified (the reverse)")
    before: str | None = None
    after: str | None = None


class SmelterHistory(_Frozen):
    """A smelter's states across the dated snapshots of the status lists, where they
    change."""

    key: str
    metal: str
    name: str
    points: tuple[StatusPoint, ...]

    def describe(self) -> str:
        """The history in one line: ``conformant (2025-01-10) -> lapsed (2025-06-01)``."""
        return " -> ".join(f"{p.state.value} ({p.date.isoformat() if p.date else 'undated'})"
                           for p in self.points)


class Comparison(_Frozen):
    """What changed between two consolidations (for example last year's and this year's)."""

    smelters: tuple[SmelterChange, ...]
    suppliers_new: tuple[str, ...]
    suppliers_missing: tuple[str, ...]
    histories: tuple[SmelterHistory, ...] = Field(
        default=(), description="Smelters of the current consolidation whose state changes "
        "across the dated snapshots of its status lists (enrolled, conformant, lapsed, "
        "removed).")

    def summary(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "status-changed": 0, "identified": 0,
                  "unidentified": 0}
        for c in self.smelters:
            counts[c.change] += 1
        return {**counts, "suppliers_new": len(self.suppliers_new),
                "suppliers_missing": len(self.suppliers_missing),
                "status_histories": len(self.histories)}
