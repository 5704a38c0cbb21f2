"""The canonical, version-independent picture of one supplier's reporting template."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from .instructions import CheckerInstructions
from .rows import ListRow
from .values import DateValue, Provenance, Status, TextValue

__all__ = [
    "Company",
    "Declaration",
    "MineRow",
    "MineralOrder",
    "MineralScopeRow",
    "PlaceholderKind",
    "ProductRow",
    "QuestionAnswer",
    "QuestionRole",
    "ReadNote",
    "ReadNoteCode",
    "SmelterRow",
    "TemplateIdentity",
    "TemplateKind",
    "slot_key",
]


class TemplateKind(StrEnum):
    """The RMI reporting template families."""

    CMRT = "CMRT"
    """Conflict Minerals Reporting Template (tin, tantalum, tungsten, gold)."""
    EMRT = "EMRT"
    """Extended Minerals Reporting Template (cobalt, mica; from 2.0 also copper, graphite,
    lithium, nickel)."""
    CRT = "CRT"
    """Cobalt Reporting Template (superseded by the EMRT)."""
    AMRT = "AMRT"
    """Additional Minerals Reporting Template (formerly the Pilot Reporting Template)."""


class QuestionRole(StrEnum):
    """What a question asks, whatever its number in a family's template (the CMRT asks about
    recycled material in question 5, the EMRT in 4, the CRT in 3)."""

    NECESSARY = "necessary"
    """Is the mineral intentionally added, necessary to the products (CMRT question 1)?"""
    REMAINS = "remains"
    """Does the mineral remain in the products (CMRT question 2)?"""
    COVERED_COUNTRIES = "covered-countries"
    """Does any of it come from the DRC or an adjoining country (CMRT question 3)?"""
    CAHRA = "cahra"
    """Does any of it come from conflict-affected and high-risk areas?"""
    RECYCLED = "recycled"
    """Does 100 % of it come from recycled or scrap sources?"""
    RESPONSE_RATE = "response-rate"
    """What share of the supplier's own suppliers responded?"""
    IDENTIFIED = "identified"
    """Have all smelters supplying it been identified?"""
    REPORTED = "reported"
    """Has all applicable smelter information been reported?"""


class PlaceholderKind(StrEnum):
    """Smelter List rows that name no facility."""

    NOT_LISTED = "not-listed"
    """'Smelter not listed': the supplier typed a name and country of its own."""
    NOT_YET_IDENTIFIED = "not-yet-identified"
    """'Smelter not yet identified': the supplier does not know the facility."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)

    @classmethod
    def build(cls, **fields: Any) -> Self:
        """The model validated from ``fields`` like the keyword constructor, recording every
        field as set in one record shared by all instances of the class: list rows are built
        by the thousand, and a record of their own would cost 2 KB each."""
        made = cls.__pydantic_validator__.validate_python(fields)
        shared = _FIELDS_SET.get(cls)
        if shared is None:
            shared = _FIELDS_SET.setdefault(cls, set(cls.model_fields))
        object.__setattr__(made, "__pydantic_fields_set__", shared)
        return made  # type: ignore[no-any-return]


_FIELDS_SET: dict[type[BaseModel], set[str]] = {}


class TemplateIdentity(_Frozen):
    """Which template, in which version, the workbook is."""

    kind: TemplateKind
    version: str = Field(description='Version as RMI prints it, e.g. "6.4" or "2.1".')
    revision_text: str | None = Field(
        default=None, description="The raw revision cell, e.g. 'Revision 6.4\\nApril 26, 2024'."
    )
    revision_date: dt.date | None = None
    layout: str = Field(description="The layout table the workbook was read with.")
    layout_assumed: bool = Field(
        default=False,
        description="True when the version is newer than every table of its major version and "
        "the newest table was used.",
    )
    language: TextValue = Field(description="The language selected in the template's picker.")
    version_source: Provenance = Field(
        description="Where the version was read: the revision cell, or the file property "
        "that names a re-issue.")
    version_note: str | None = Field(
        default=None,
        description="What the workbook leaves open about the version: a release RMI "
        "re-issued unchanged (CMRT 6.6 as 6.6.1) is reported as the release when nothing in "
        "the file names the re-issue.")


class Company(_Frozen):
    """The company block of the Declaration sheet."""

    name: TextValue
    scope: TextValue = Field(description="Declaration scope literal, normalised.")
    scope_description: TextValue
    unique_id: TextValue
    id_authority: TextValue
    address: TextValue
    contact_name: TextValue
    contact_email: TextValue
    contact_phone: TextValue
    authorizer: TextValue
    authorizer_title: TextValue
    authorizer_email: TextValue
    authorizer_phone: TextValue
    effective_date: DateValue

    @property
    def scope_code(self) -> str | None:
        """'A', 'B' or 'C' for a recognised scope literal, else None."""
        if self.scope.is_recognised and self.scope.value:
            return self.scope.value[0]
        return None


class QuestionAnswer(_Frozen):
    """An answer to one question together with the comment beside it."""

    question: str = Field(description='Question number ("1".."8") or company letter ("A"..).')
    answer: TextValue
    comment: TextValue
    choices: tuple[str, ...] = Field(description="The allowed literals, as the template lists.")


class SmelterRow(ListRow):
    """One data row of the Smelter List sheet.

    Columns the template fills by formula from the smelter ID (metal, look-up name, country,
    smelter ID, source, address) are either the supplier's own typed values (origin ``input``)
    or re-derived by the reader from the inputs and the workbook's Smelter Look-up (origin
    ``derived``). The workbook's cached formula results are kept in each value's ``cached``.
    """

    __slots__ = ()

    row: int
    smelter_id_input: TextValue = Field(description="Column A: the ID the supplier entered.")
    metal: TextValue
    lookup_name: TextValue = Field(description="Column C: the Smelter Look-up choice.")
    name_input: TextValue = Field(description="Column D: the name typed by the supplier.")
    country: TextValue
    smelter_id: TextValue = Field(description="The effective smelter identification number.")
    id_source: TextValue
    street: TextValue
    city: TextValue
    state_province: TextValue
    contact_name: TextValue
    contact_email: TextValue
    next_steps: TextValue
    mine_names: TextValue
    mine_countries: TextValue
    recycled_scrap: TextValue
    comments: TextValue
    standard_name: str | None = Field(
        default=None, description="The Look-up's standard name for the resolved facility."
    )
    placeholder: PlaceholderKind | None = None

    @property
    def name(self) -> str | None:
        """The name the row declares: the typed name, else the look-up choice."""
        return self.value_of("name_input") or self.value_of("lookup_name")  # type: ignore[no-any-return]


class ProductRow(ListRow):
    """One row of the Product List sheet.

    ``number`` and ``name`` are the responder's own (the supplier filling in the template);
    ``requester_number`` and ``requester_name`` are the requester's numbers for the same
    product, in the releases that have those columns (CMRT 6.6, EMRT 2.1, AMRT 1.3 and
    later), blank elsewhere."""

    __slots__ = ()

    row: int
    number: TextValue = Field(description="The responder's product number.")
    name: TextValue = Field(description="The responder's product name.")
    requester_number: TextValue = Field(description="The requester's product number.")
    requester_name: TextValue = Field(description="The requester's product name.")
    comments: TextValue
    extra: dict[str, TextValue] = Field(
        default_factory=dict, description="Further columns of newer layouts, by field name."
    )


class MineRow(ListRow):
    """One row of the Mine List sheet (EMRT 2.x, AMRT)."""

    __slots__ = ()

    row: int
    metal: TextValue
    smelter_name: TextValue
    mine_name: TextValue
    mine_id: TextValue
    id_source: TextValue
    country: TextValue
    street: TextValue
    city: TextValue
    state_province: TextValue
    contact_name: TextValue
    contact_email: TextValue
    next_steps: TextValue
    comments: TextValue


class MineralScopeRow(ListRow):
    """One row of the AMRT Minerals Scope sheet: a mineral the requester asks about, and why."""

    __slots__ = ()

    row: int
    mineral: TextValue
    reason: TextValue


class ReadNoteCode(StrEnum):
    """What the reader had to change or leave out to read a file within its bounds."""

    TEXT_TRUNCATED = "text-truncated"
    """A cell's text was longer than the reader keeps and was cut."""
    TEXT_REPLACED = "text-replaced"
    """A cell's text held code points no encoding can carry (lone UTF-16 surrogates, stored
    with the ``_xD800_`` escape); each was replaced by U+FFFD."""
    ROWS_CAPPED = "rows-capped"
    """A list sheet held more filled rows than the reader reads; the rows after the cap were
    not read."""
    STRUCTURE_DIFFERS = "structure-differs"
    """A sheet is not shaped as the layout table of its release says (a column inserted or
    removed, a header or question label moved): values read from it may come from the wrong
    cells."""


class ReadNote(_Frozen):
    """One place where the declaration differs from the file because the reader kept within
    its bounds; the rules turn each note into a finding."""

    code: ReadNoteCode
    provenance: Provenance = Field(
        description="The cell changed; for rows-capped, the first cell of the first row not "
        "read; for structure-differs, the first cell that differs.")
    detail: str = Field(description="What was changed, in words.")
    found: int | None = Field(
        default=None, description="Text: characters in the file; rows-capped: filled rows on "
        "the sheet.")
    kept: int | None = Field(
        default=None, description="Text: characters kept; rows-capped: rows read.")


def slot_key(minerals: Sequence[str], slot: int) -> str:
    """The key of a question row's answers in :attr:`Declaration.answers`: the mineral the
    row asks about, or ``"slot N"`` (1-based) for a row with no mineral selected, so that
    answers given there are kept rather than dropped."""
    return minerals[slot] if slot < len(minerals) else f"slot {slot + 1}"


class MineralOrder(StrEnum):
    """How the minerals of the question rows were assigned to their rows."""

    FIXED = "fixed"
    """The template prints the minerals in fixed rows (CMRT, EMRT 1.x, CRT)."""
    SORTED = "sorted"
    """The selected minerals were sorted into the rows as the template's formulas sort them."""
    WORKBOOK = "workbook"
    """The workbook's own sorted list was used because it orders the same names differently
    from a plain case-insensitive sort (collation is locale-dependent: Excel sorts Chinese
    names by pinyin). Used only when the cached list names exactly the selection."""


class Declaration(_Frozen):
    """Everything a supplier declared in one RMI reporting template."""

    file: str
    sha256: str
    template: TemplateIdentity
    company: Company
    minerals: tuple[str, ...] = Field(
        description="The minerals the template asks about, as the template spells them."
    )
    minerals_selected: tuple[TextValue, ...] = Field(
        default=(),
        description="Minerals chosen in the template's selector (EMRT 2.x, AMRT); for an AMRT"
        " 'Other' choice, the name typed for it.",
    )
    minerals_order: MineralOrder = Field(
        default=MineralOrder.FIXED, description="How the question rows map to minerals."
    )
    answers: dict[str, dict[str, QuestionAnswer]] = Field(
        description="Per-mineral answers: mineral -> question number -> answer."
    )
    company_answers: dict[str, QuestionAnswer]
    company_mineral_answers: dict[str, dict[str, QuestionAnswer]] = Field(
        default_factory=dict,
        description="Company questions answered per mineral (EMRT 2.x question C).",
    )
    smelters: tuple[SmelterRow, ...]
    products: tuple[ProductRow, ...]
    mines: tuple[MineRow, ...] = ()
    minerals_scope: tuple[MineralScopeRow, ...] = ()
    hidden_cells: dict[str, TextValue] = Field(
        default_factory=dict,
        description="Cells on rows the template hides that its Checker still reads "
        "(leftovers of the layout it was copied from), by Declaration cell reference.",
    )
    checker_instructions: CheckerInstructions | None = Field(
        default=None,
        description="The RMI's own instructions for the Checker items in the language the "
        "Declaration picks, from the workbook's hidden language sheet; None when it picks "
        "English (or nothing), or the workbook has no such sheet or no text for its items.",
    )
    notes: tuple[ReadNote, ...] = Field(
        default=(),
        description="Where the reader changed or left out content to stay within its bounds "
        "(text cut or with characters replaced, list rows past the cap), in reading order.",
    )

    def to_plain(self) -> dict[str, Any]:
        """A plain JSON-ready view: values only, no provenance."""

        def qa(items: dict[str, QuestionAnswer]) -> dict[str, Any]:
            return {k: v.answer.value for k, v in items.items()}

        def comments(items: dict[str, QuestionAnswer]) -> dict[str, Any]:
            return {k: v.comment.value for k, v in items.items() if v.comment.value is not None}

        c = self.company
        eff = c.effective_date.value
        return {
            "file": self.file,
            "sha256": self.sha256,
            "template": {
                "kind": self.template.kind.value,
                "version": self.template.version,
                "version_note": self.template.version_note,
                "language": self.template.language.value,
                "layout": self.template.layout,
            },
            "company": {
                "name": c.name.value,
                "scope": c.scope_code,
                "scope_literal": c.scope.value,
                "scope_description": c.scope_description.value,
                "unique_id": c.unique_id.value,
                "id_authority": c.id_authority.value,
                "address": c.address.value,
                "contact_name": c.contact_name.value,
                "contact_email": c.contact_email.value,
                "contact_phone": c.contact_phone.value,
                "authorizer": c.authorizer.value,
                "authorizer_title": c.authorizer_title.value,
                "authorizer_email": c.authorizer_email.value,
                "authorizer_phone": c.authorizer_phone.value,
                "effective_date": eff.isoformat() if eff else None,
                # what was typed where no date could be read (a blank cell's spaces are not)
                "effective_date_raw": c.effective_date.raw
                if c.effective_date.status is Status.UNRECOGNISED else None,
            },
            "minerals": list(self.minerals),
            "minerals_selected": [m.value for m in self.minerals_selected if m.value],
            "answers": {m: qa(q) for m, q in self.answers.items()},
            "answer_comments": {
                m: cm for m, q in self.answers.items() if (cm := comments(q))
            },
            "company_answers": qa(self.company_answers),
            "company_answer_comments": comments(self.company_answers),
            "company_mineral_answers": {
                k: {m: a.answer.value for m, a in v.items()}
                for k, v in self.company_mineral_answers.items()
            },
            "unrecognised": [
                {"sheet": v.provenance.sheet, "cell": v.provenance.cell, "raw": v.raw}
                for v in self.unrecognised_values()
            ],
            "smelters": [
                {
                    "row": s.row,
                    "metal": s.metal.value,
                    "smelter_id": s.smelter_id.value,
                    "name": s.name,
                    "country": s.country.value,
                    "lookup_name": s.lookup_name.value,
                    "standard_name": s.standard_name,
                    "placeholder": s.placeholder.value if s.placeholder else None,
                    "recycled_scrap": s.recycled_scrap.value,
                }
                for s in self.smelters
            ],
            "products": [
                {"row": p.row, "number": p.number.value, "name": p.name.value,
                 "requester_number": p.requester_number.value,
                 "requester_name": p.requester_name.value, "comments": p.comments.value}
                for p in self.products
            ],
            "minerals_scope": [
                {"row": r.row, "mineral": r.mineral.value, "reason": r.reason.value}
                for r in self.minerals_scope
            ],
            "mines": [
                {"row": m.row, "metal": m.metal.value, "mine_name": m.mine_name.value,
                 "mine_id": m.mine_id.value, "country": m.country.value,
                 "smelter_name": m.smelter_name.value}
                for m in self.mines
            ],
        }

    def unrecognised_values(self) -> list[TextValue]:
        """Answers whose content matches none of the template's allowed literals."""
        out: list[TextValue] = []
        groups = [*self.answers.values(), self.company_answers,
                  *self.company_mineral_answers.values()]
        for group in groups:
            out.extend(q.answer for q in group.values() if q.answer.status == "unrecognised")
        out.extend(v for v in self.minerals_selected if v.status == "unrecognised")
        if self.company.scope.status == "unrecognised":
            out.append(self.company.scope)
        for s in self.smelters:
            if s.value_of("metal") is not None or s.value_of("recycled_scrap") is not None:
                out.extend(v for v in (s.metal, s.recycled_scrap) if v.status == "unrecognised")
        return out
