"""The shape of a layout table: where each input of a template version sits.

A layout is data. The reader walks it; it never asks which version it is reading. A new RMI
release means a new table (usually a copy of its predecessor with the differences applied by
:func:`dataclasses.replace`) plus a fixture, not a conditional in the reader.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from ...models.declaration import QuestionRole, TemplateKind
from .checks import CheckItem

__all__ = [
    "CheckerSpec",
    "CompanyQuestion",
    "Layout",
    "ListSheet",
    "LookupSheet",
    "MineralQuestion",
    "MineralSlots",
    "QuestionRoles",
]

YES_NO: tuple[str, ...] = ("Yes", "No")
YES_NO_UNKNOWN: tuple[str, ...] = ("Yes", "No", "Unknown")
RESPONSE_RATE: tuple[str, ...] = (
    "100%",
    "Greater than 90%",
    "Greater than 75%",
    "Greater than 50%",
    "50% or less",
    "None",
)

COMPANY_FIELDS: tuple[str, ...] = (
    "name",
    "scope",
    "scope_description",
    "unique_id",
    "id_authority",
    "address",
    "contact_name",
    "contact_email",
    "contact_phone",
    "authorizer",
    "authorizer_title",
    "authorizer_email",
    "authorizer_phone",
    "effective_date",
)


@dataclass(frozen=True)
class MineralQuestion:
    """A question answered once per mineral.

    ``rows`` maps each row slot to the mineral it asks about. For templates whose minerals are
    chosen in a selector (EMRT 2.x, AMRT) the slots are numbered and :class:`MineralSlots`
    says which mineral lands in which slot.
    """

    key: str
    rows: tuple[int, ...]
    choices: tuple[str, ...]
    answer_col: str = "D"
    comment_col: str = "G"
    numeric_literals: Mapping[float, str] = field(default_factory=dict)
    """Numbers some versions store for a literal (CMRT 6.01-6.22 store 100% as 1)."""
    stores_numbers: bool = False
    """This version's drop-down list holds those numbers, not the text: a writer puts the
    number in the cell."""
    slot_choices: tuple[tuple[str, ...], ...] = ()
    """Per-slot literals where minerals differ (EMRT 1.x question 3); else ``choices``."""

    def choices_for(self, slot: int) -> tuple[str, ...]:
        return self.slot_choices[slot] if slot < len(self.slot_choices) else self.choices


@dataclass(frozen=True)
class CompanyQuestion:
    """A company-level question (A, B, C...)."""

    key: str
    cell: str
    choices: tuple[str, ...]
    comment_cell: str | None = None
    per_mineral_rows: tuple[int, ...] = ()
    """For a company question answered per mineral slot (EMRT C), the rows of the slots;
    ``cell`` is then the first of them."""
    answer_col: str = "D"
    comment_col: str = "G"
    """The columns of the answer and its comment on each of ``per_mineral_rows``."""
    slot_choices: tuple[tuple[str, ...], ...] = ()
    """Per-slot literals where minerals differ (EMRT 1.x question C); else ``choices``."""

    def choices_for(self, slot: int) -> tuple[str, ...]:
        return self.slot_choices[slot] if slot < len(self.slot_choices) else self.choices


@dataclass(frozen=True)
class MineralSlots:
    """How the minerals of the question rows are determined.

    Either ``fixed`` (CMRT: Tantalum, Tin, Gold, Tungsten in that order), or chosen by the
    supplier in ``selector_cells`` and sorted into slots as the template's formulas do.
    """

    fixed: tuple[str, ...] = ()
    selector_sheet: str | None = None
    selector_cells: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    deselect: tuple[str, ...] = ()
    """Selector literals that choose no mineral (EMRT 2.x "(Delete Cobalt)")."""
    free_text: bool = False
    """Text outside ``choices`` still names a mineral, as the template's formulas take any
    entry (AMRT); otherwise only listed literals select a mineral (EMRT 2.x)."""
    other_choice: str | None = None
    """The selector literal that defers to a typed name (AMRT 1.3 "Other [specify below]")."""
    other_cells: tuple[str, ...] = ()
    """Where that typed name sits, parallel to ``selector_cells``."""
    sorted_cells: tuple[str, ...] = ()
    """Formula cells holding the template's own sorted list of the chosen minerals. When their
    cached results name exactly the minerals the inputs select, their order is the one the
    supplier saw beside the answers, and it wins over the reader's own sort: text collation
    depends on the spreadsheet application's locale (Excel sorts Chinese names by pinyin)."""
    list_range: str | None = None
    """The Declaration cells whose literals the selector's drop-down list offers (AMRT 1.3:
    ``B68:B80``, below question 2); recorded so the layout can be checked against it."""


@dataclass(frozen=True)
class ListSheet:
    """A list sheet (Smelter List, Product List, Mine List): where data rows sit and what each
    column means. ``inputs`` are the columns a supplier fills; the others are formulas."""

    sheet: str
    first_row: int
    last_row: int
    columns: Mapping[str, str]
    footer_text: str | None = None
    """A cell text (prefix) that marks the end of the data region, e.g. the copyright line."""


@dataclass(frozen=True)
class LookupSheet:
    """The Smelter Look-up reference sheet."""

    sheet: str
    first_row: int
    columns: Mapping[str, str]


@dataclass(frozen=True)
class QuestionRoles:
    """Which question number asks what, where a family's numbering differs (the CMRT asks
    about recycled material in question 5, the EMRT in 4, the CRT in 3)."""

    used: tuple[str, ...] = ("1", "2")
    """Questions whose "No" says the mineral is not used or not in the product."""
    recycled: str | None = None
    """The question "is 100 % of the mineral from recycled or scrap sources?"."""
    identified: str | None = None
    """The question "have you identified all smelters supplying the mineral?"."""
    covered_countries: str | None = None
    """Sourcing from the DRC or an adjoining country (CMRT question 3)."""
    cahra: str | None = None
    """Sourcing from conflict-affected and high-risk areas."""
    response_rate: str | None = None
    """The share of suppliers that responded."""
    reported: str | None = None
    """The question "has all applicable smelter information been reported?"."""

    def role_of(self, key: str) -> QuestionRole | None:
        """What question ``key`` asks in this family, if it has a role here."""
        if key in self.used:
            return (QuestionRole.NECESSARY, QuestionRole.REMAINS)[min(self.used.index(key), 1)]
        for role, held in ((QuestionRole.COVERED_COUNTRIES, self.covered_countries),
                           (QuestionRole.CAHRA, self.cahra),
                           (QuestionRole.RECYCLED, self.recycled),
                           (QuestionRole.RESPONSE_RATE, self.response_rate),
                           (QuestionRole.IDENTIFIED, self.identified),
                           (QuestionRole.REPORTED, self.reported)):
            if held == key:
                return role
        return None


@dataclass(frozen=True)
class CheckerSpec:
    """What the workbook's own Checker sheet (and its date validation) requires."""

    items: tuple[CheckItem, ...]
    """The Checker's items in sheet order, as data (see :mod:`.checks`)."""
    date_min: dt.date
    date_min_inclusive: bool
    date_max: dt.date | None
    """Bounds of the effective-date cell's data validation (``None``: no upper bound)."""
    hidden_cells: tuple[str, ...] = ()
    """Declaration cells on hidden rows that Checker items read; the reader keeps them."""
    total_cell: str | None = None
    """The Checker sheet's total of open items (its ``SUM``), the last cell of the sheet:
    part of the table's structure fingerprint (:mod:`..fingerprint`)."""


@dataclass(frozen=True)
class Layout:
    """Where everything sits in one template family and version range."""

    name: str
    kind: TemplateKind
    versions: tuple[str, ...]
    """Version strings read with this table, as RMI prints them."""
    required_sheets: tuple[str, ...]
    company_cells: Mapping[str, str]
    scope_choices: tuple[str, ...]
    minerals: MineralSlots
    questions: tuple[MineralQuestion, ...]
    company_questions: tuple[CompanyQuestion, ...]
    smelter_list: ListSheet
    metal_choices: tuple[str, ...]
    """Smelter and Mine List metal literals; empty where the list is the minerals selected."""
    recycled_choices: tuple[str, ...] = YES_NO_UNKNOWN
    product_list: ListSheet | None = None
    mine_list: ListSheet | None = None
    lookup: LookupSheet | None = None
    checker: CheckerSpec | None = None
    minerals_scope: ListSheet | None = None
    """The AMRT Minerals Scope sheet (minerals the requester asks about and why)."""
    reissues: Mapping[str, str] = field(default_factory=dict)
    """Versions RMI re-issued unchanged under a number of their own, re-issue -> original
    (the 2026 releases without the RMI logo: CMRT 6.6.1 is 6.6). Both are in ``versions``."""
    from_workbook: bool = True
    """The table was read from the official workbook; False where it rests on cell mappings
    published by others, the workbook not being at hand (the 2026 releases)."""
    roles: QuestionRoles = QuestionRoles()
    declaration_sheet: str = "Declaration"
    version_cell: str = "J3"
    language_cell: str = "D3"
    not_listed: str = "Smelter not listed"
    not_identified: str = "Smelter not yet identified"
