"""Checker parity: every item of the RMI workbook's own Checker sheet, as a finding.

The Checker sheet lists required fields; for each it computes "required?" (column F) and
"missing?" (column G) with formulas over the Declaration, Smelter List and Product List, and
counts the open items. The layout tables carry those items as data
(:mod:`mineral_compliance.templates.layouts.checks`); this module evaluates them against the
declaration and reports each open item, naming the Checker item it answers
(``checker_item``). The conformance tests recalculate real workbooks in LibreOffice and
compare item for item.

Where the Checker's formulas are quirky, the findings follow them and say so: answers that
count only once earlier answers are "Yes", items on hidden leftover rows, the Product List
item that looks only at its first row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..models.declaration import Declaration, PlaceholderKind
from ..models.findings import Basis, Severity
from ..models.values import Provenance, TextValue
from ..templates.layouts.checks import (
    AllOf,
    AnyOf,
    AnyOther,
    CheckItem,
    Cond,
    Equals,
    Filled,
    HasAt,
    LongerThan,
    Not,
    OtherNamed,
    Required,
    SlotUsed,
    SmelterRowsFor,
    UnlistedRowsComplete,
    UnlistedRowsPresent,
)
from ._registry import Context, Hit, rule, shown

__all__ = ["open_items"]

_LABELS = {
    "name": "company name",
    "scope": "declaration scope",
    "scope_description": "description of scope",
    "contact_name": "contact name",
    "contact_email": "contact e-mail",
    "contact_phone": "contact phone",
    "authorizer": "authorizer",
    "authorizer_email": "authorizer e-mail",
    "effective_date": "effective date",
}


def _cells(decl: Declaration) -> dict[str, TextValue]:
    """Every Declaration-sheet value of the model by cell reference."""
    out: dict[str, TextValue] = {}

    def put(value: object) -> None:
        prov = getattr(value, "provenance", None)
        if isinstance(prov, Provenance) and prov.cell:
            out.setdefault(prov.cell, value)  # type: ignore[arg-type]

    for name in type(decl.company).model_fields:
        put(getattr(decl.company, name))
    groups = [*decl.answers.values(), decl.company_answers,
              *decl.company_mineral_answers.values()]
    for group in groups:
        for qa in group.values():
            put(qa.answer)
            put(qa.comment)
    for ref, value in decl.hidden_cells.items():
        out.setdefault(ref, value)
    return out


@dataclass
class _Eval:
    """Evaluates Checker conditions over one declaration."""

    ctx: Context
    cells: dict[str, TextValue]
    items: dict[str, CheckItem]
    _required: dict[str, bool] = field(default_factory=dict)

    def value(self, ref: str) -> str | None:
        if "!" in ref:
            sheet, cell = ref.split("!")
            if sheet == "Product List":
                return next((p.number.value for p in self.ctx.decl.products
                             if f"{p.number.provenance.cell}" == cell), None)
            return None
        v = self.cells.get(ref)
        return v.value if v is not None else None

    def required(self, key: str) -> bool:
        if key not in self._required:
            self._required[key] = False  # guards against cycles
            self._required[key] = self.holds(self.items[key].required)
        return self._required[key]

    def _slot_mineral(self, slot: int | None, mineral: str | None) -> str | None:
        if mineral is not None:
            return mineral
        minerals = self.ctx.decl.minerals
        return minerals[slot] if slot is not None and slot < len(minerals) else None

    def holds(self, cond: Cond) -> bool:
        if isinstance(cond, Filled):
            return self.value(cond.ref) is not None
        if isinstance(cond, Equals):
            v = self.value(cond.ref)
            return v is not None and v.casefold() in {x.casefold() for x in cond.literals}
        if isinstance(cond, HasAt):
            return "@" in (self.value(cond.ref) or "")
        if isinstance(cond, LongerThan):
            return len(self.value(cond.ref) or "") > cond.length
        if isinstance(cond, SlotUsed):
            return cond.slot < len(self.ctx.decl.minerals)
        if isinstance(cond, Required):
            return self.required(cond.key)
        if isinstance(cond, SmelterRowsFor):
            mineral = self._slot_mineral(cond.slot, cond.mineral)
            if mineral is None:
                return False
            key = mineral.casefold()
            return any(
                (s.value_of("metal") or "").casefold() == key
                and all(not getattr(s, need).is_blank for need in cond.needs)
                and all(_occupied(getattr(s, f)) for f in cond.present)
                for s in self.ctx.decl.smelters
            )
        if isinstance(cond, UnlistedRowsPresent):
            return any(s.placeholder is PlaceholderKind.NOT_LISTED
                       for s in self.ctx.decl.smelters)
        if isinstance(cond, UnlistedRowsComplete):
            return not list(_incomplete_unlisted(self.ctx))
        if isinstance(cond, AnyOther | OtherNamed):
            other = self.ctx.layout.minerals.other_choice
            unnamed = any(v.value == other for v in self.ctx.decl.minerals_selected)
            named = any(v.provenance.cell in self.ctx.layout.minerals.other_cells
                        for v in self.ctx.decl.minerals_selected)
            return (unnamed or named) if isinstance(cond, AnyOther) else not unnamed
        if isinstance(cond, Not):
            return not self.holds(cond.cond)
        if isinstance(cond, AllOf):
            return all(self.holds(c) for c in cond.conds)
        if isinstance(cond, AnyOf):
            return any(self.holds(c) for c in cond.conds)
        raise TypeError(f"unknown Checker condition {cond!r}")


def open_items(ctx: Context) -> list[tuple[CheckItem, _Eval]]:
    """The Checker items that are required and not complete, in sheet order: evaluated once
    per validation, however many Checker rules ask."""
    found: list[tuple[CheckItem, _Eval]] | None = ctx.memo.get("checker")
    if found is None:
        found = []
        spec = ctx.layout.checker
        if spec is not None:
            ev = _Eval(ctx, _cells(ctx.decl), {item.key: item for item in spec.items})
            found = [(item, ev) for item in spec.items
                     if ev.required(item.key) and not ev.holds(item.complete)]
        ctx.memo["checker"] = found
    return found


def _where(ctx: Context, key: str) -> Provenance:
    sheet, _, cell = key.partition("!")
    return Provenance(file=ctx.decl.file, sheet=sheet, cell=cell or None)


def _occupied(v: TextValue) -> bool:
    """The cell is not empty: it holds a value (even only spaces) or a formula."""
    return v.formula or v.raw is not None or not v.is_blank


def _incomplete_unlisted(ctx: Context) -> Iterator[tuple[int, list[str], Provenance]]:
    for s in ctx.decl.smelters:
        if s.placeholder is not PlaceholderKind.NOT_LISTED:
            continue
        missing = [label for label, v in (("name", s.name_input), ("country", s.country))
                   if v.is_blank]
        if missing:
            where = s.name_input if s.name_input.is_blank else s.country
            yield s.row, missing, where.provenance


def _of_kind(ctx: Context, *kinds: str) -> Iterator[tuple[CheckItem, _Eval]]:
    return ((item, ev) for item, ev in open_items(ctx) if item.kind in kinds)


def _hidden(item: CheckItem) -> str:
    return (" This row is hidden in the template (a leftover the Checker still counts): "
            "unhide it or enter 'No' there." if item.hidden else "")


@rule("company-field-missing", Severity.ERROR, Basis.CHECKER, tags=("checker", "company"))
def company_field_missing(ctx: Context) -> Iterable[Hit]:
    """A required field of the company block is blank.

    Checker items for the company name, declaration scope, contact name, e-mail and phone,
    authorizer, authorizer e-mail and effective date."""
    for item, ev in _of_kind(ctx, "company-field", "email"):
        ref = item.key.partition("!")[2]
        if ev.value(ref) is not None:
            continue  # an e-mail without "@" is reported by email-invalid
        where = _where(ctx, item.key)
        label = _LABELS.get(item.field or "", item.field or "field")
        yield Hit(f"The {label} is required.", where, subject=item.field,
                  checker_item=item.key, hint=f"fill in {where.sheet}!{where.cell}")


@rule("email-invalid", Severity.ERROR, Basis.CHECKER, tags=("checker", "company"))
def email_invalid(ctx: Context) -> Iterable[Hit]:
    """A contact or authorizer e-mail address does not contain "@".

    The Checker requires an "@" in both addresses; a blank address is reported as a missing
    field instead."""
    for item, ev in _of_kind(ctx, "email"):
        text = ev.value(item.key.partition("!")[2])
        if text is None:
            continue
        yield Hit(f"The {_LABELS.get(item.field or '', 'e-mail')} {shown(text)} is not an e-mail "
                  "address.", _where(ctx, item.key), subject=item.field,
                  checker_item=item.key, hint="enter an address of the form name@example.com")


@rule("scope-description-missing", Severity.ERROR, Basis.CHECKER, tags=("checker", "company"))
def scope_description_missing(ctx: Context) -> Iterable[Hit]:
    """A user-defined scope (C) has no description of scope.

    The Checker requires the description whenever the scope is neither A nor B."""
    for item, _ev in _of_kind(ctx, "scope-description"):
        yield Hit("A user-defined scope needs a description of what the declaration covers.",
                  _where(ctx, item.key), checker_item=item.key,
                  hint="describe the scope, e.g. the product lines or business units covered")


@rule("minerals-not-selected", Severity.ERROR, Basis.CHECKER, tags=("checker", "minerals"),
      kinds=None)
def minerals_not_selected(ctx: Context) -> Iterable[Hit]:
    """No mineral is selected, or an "Other" mineral has no name.

    Templates with a mineral selector (EMRT 2.x, AMRT) require at least one mineral; the AMRT
    1.3 requires a name for every "Other" choice."""
    for item, _ev in _of_kind(ctx, "minerals-selected", "other-names"):
        if item.kind == "minerals-selected":
            yield Hit("Select at least one mineral or metal this declaration covers.",
                      _where(ctx, item.key), checker_item=item.key,
                      hint="choose the minerals in the selector at the top of the Declaration")
        else:
            yield Hit("A mineral is chosen as 'Other' but its name is not given.",
                      _where(ctx, item.key), checker_item=item.key,
                      hint="type the mineral's name in the cell below each 'Other' choice")


@rule("product-list-empty", Severity.ERROR, Basis.CHECKER, tags=("checker", "products"))
def product_list_empty(ctx: Context) -> Iterable[Hit]:
    """A product-level declaration (scope B) lists no product in the Product List's first row.

    The Checker looks only at the first data row (Product List B6)."""
    for item, _ev in _of_kind(ctx, "products"):
        later = [p.row for p in ctx.decl.products if not p.number.is_blank]
        hint = ("the Checker reads only the first row: move the list up to start at row 6"
                if later else "list the products this declaration covers")
        yield Hit("A product-level declaration must list at least one product number.",
                  sheet="Product List", cell="B6", checker_item=item.key, hint=hint)


@rule("answer-missing", Severity.ERROR, Basis.CHECKER, tags=("checker", "answers"))
def answer_missing(ctx: Context) -> Iterable[Hit]:
    """A required per-mineral question is not answered (or not yet counted).

    Which questions are required follows the template's gating: question 1 for every
    mineral, later questions unless an earlier answer rules the mineral out. Some Checkers
    count an answer only once the questions it depends on are "Yes"."""
    for item, ev in _of_kind(ctx, "answer"):
        ref = item.key.partition("!")[2]
        mineral = item.mineral or ev._slot_mineral(item.slot, None) or "this mineral"
        if ev.value(ref) is not None and item.note:
            msg = f"Question {item.question} for {mineral} is answered, but {item.note}."
        else:
            msg = f"Question {item.question} for {mineral} is required."
        yield Hit(msg + _hidden(item), _where(ctx, item.key), subject=mineral,
                  checker_item=item.key)


@rule("company-answer-missing", Severity.ERROR, Basis.CHECKER, tags=("checker", "answers"))
def company_answer_missing(ctx: Context) -> Iterable[Hit]:
    """A company-level question is not answered while some mineral is in scope.

    The Checker requires the company questions once any mineral's later questions are
    required; an "other format" answer needs a comment describing it."""
    for item, ev in _of_kind(ctx, "company-answer"):
        ref = item.key.partition("!")[2]
        mineral = item.mineral or ev._slot_mineral(item.slot, None)
        about = f" for {mineral}" if mineral else ""
        if ev.value(ref) is not None and item.note:
            msg = f"Company question {item.question}{about} is answered, but {item.note}."
        else:
            msg = f"Company question {item.question}{about} is required."
        yield Hit(msg, _where(ctx, item.key), subject=mineral or item.question,
                  checker_item=item.key)


@rule("policy-url-missing", Severity.ERROR, Basis.CHECKER, tags=("checker", "answers"))
def policy_url_missing(ctx: Context) -> Iterable[Hit]:
    """A policy is said to be public but its comment gives no URL.

    When the company question about a public policy is "Yes", the Checker requires its
    comment (the policy's web address) to hold at least two characters."""
    for item, _ev in _of_kind(ctx, "url"):
        yield Hit(f"Question {item.question} says the policy is public; give its web address "
                  "in the comment.", _where(ctx, item.key), subject=item.question,
                  checker_item=item.key, hint="e.g. https://example.com/sourcing-policy")


@rule("smelter-list-missing-mineral", Severity.ERROR, Basis.CHECKER, tags=("checker", "smelters"))
def smelter_list_missing_mineral(ctx: Context) -> Iterable[Hit]:
    """A mineral in scope has no Smelter List row.

    The Checker requires, for each in-scope mineral, a Smelter List row with that metal (and,
    in most templates, a Smelter Look-up choice: a facility, "Smelter not listed" or "Smelter
    not yet identified")."""
    for item, ev in _of_kind(ctx, "smelters"):
        mineral = ev._slot_mineral(item.slot, item.mineral) or "a mineral in scope"
        key = mineral.casefold()
        typed_only = any((s.value_of("metal") or "").casefold() == key
                         for s in ctx.decl.smelters)
        hint = ("rows for it exist but none is complete (look-up choice, or name and "
                "country)" if typed_only else
                "list the smelters or refiners, or choose 'Smelter not yet identified'")
        yield Hit(f"{mineral} is in scope but the Smelter List has no {mineral} smelter.",
                  sheet=ctx.layout.smelter_list.sheet, subject=mineral,
                  checker_item=item.key, hint=hint)


@rule("unlisted-smelter-incomplete", Severity.ERROR, Basis.CHECKER, tags=("checker", "smelters"))
def unlisted_smelter_incomplete(ctx: Context) -> Iterable[Hit]:
    """A "Smelter not listed" row lacks the smelter's name or country.

    The Checker requires a typed name (column D) and country (column E) on every such row."""
    for item, _ev in _of_kind(ctx, "unlisted"):
        for row, missing, where in _incomplete_unlisted(ctx):
            yield Hit(f"Row {row} chooses 'Smelter not listed' but gives no "
                      f"{' or '.join(missing)}.", where, checker_item=item.key,
                      hint="type the facility's name and country, or pick it from the look-up")
