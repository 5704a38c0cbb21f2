"""Checker parity: every item of the RMI workbook's own Checker sheet, as a finding.

The Checker sheet lists required fields; for each it computes "required?" (column F) and
"missing?" (column G) with formulas over the Declaration, Smelter List and Product List, and
counts the open items. These rules compute the same items from the declaration, so a supplier
learns every open item without opening Excel, and each finding names the Checker item it
answers (``checker_item``). The conformance tests recalculate real workbooks in LibreOffice and
compare item for item.

Where the Checker's formulas are quirky, the rules follow them and say so in the message:
question 2 counts as answered only once question 1 is "Yes"; the Product List item looks only
at its first row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..findings import Basis, Severity
from ..models.declaration import PlaceholderKind, QuestionAnswer
from ..models.values import Provenance, TextValue
from ._registry import Context, Hit, rule

__all__: list[str] = []

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


def _item(where: Provenance) -> str:
    return f"{where.sheet}!{where.cell}"


@dataclass(frozen=True)
class _Gate:
    """One per-mineral question item of the Checker."""

    mineral: str
    qa: QuestionAnswer
    required: bool
    open: bool
    why: str


def _answer(decl_answers: dict[str, QuestionAnswer], key: str) -> str | None:
    qa = decl_answers.get(key)
    return qa.answer.value if qa is not None else None


def _cmrt_gates(ctx: Context) -> Iterator[_Gate]:
    """CMRT 6.x: Q1 always; Q2 unless Q1 is "No" (and it counts only when Q1 is "Yes");
    Q3 onwards unless Q1 or Q2 is "No" (and they count only when both are "Yes")."""
    for mineral in ctx.decl.minerals:
        answers = ctx.decl.answers.get(mineral, {})
        q1, q2 = _answer(answers, "1"), _answer(answers, "2")
        for q in ctx.layout.questions:
            qa = answers.get(q.key)
            if qa is None:
                continue
            filled = not qa.answer.is_blank
            if q.key == "1":
                yield _Gate(mineral, qa, True, not filled,
                            f"question 1 for {mineral} is required")
            elif q.key == "2":
                required = q1 != "No"
                counted = filled and q1 == "Yes"
                why = (f"question 2 for {mineral} is required unless question 1 is 'No'"
                       if not filled else
                       f"question 2 for {mineral} counts only once question 1 is 'Yes'; "
                       "answer question 1")
                yield _Gate(mineral, qa, required, required and not counted, why)
            else:
                required = q1 != "No" and q2 != "No"
                counted = filled and q1 == "Yes" and q2 == "Yes"
                why = (f"question {q.key} for {mineral} is required unless question 1 or 2 "
                       "is 'No'" if not filled else
                       f"question {q.key} for {mineral} counts only once questions 1 and 2 "
                       "are both 'Yes'; answer them")
                yield _Gate(mineral, qa, required, required and not counted, why)


_GATES = {"cmrt": _cmrt_gates}


def _gates(ctx: Context) -> Iterator[_Gate]:
    spec = ctx.layout.checker
    if spec is None:
        return iter(())
    return _GATES[spec.gating](ctx)


def _in_scope(ctx: Context) -> list[str]:
    """Minerals the Checker treats as in scope: those whose later questions are required."""
    out: list[str] = []
    for gate in _gates(ctx):
        if gate.qa.question not in ("1", "2") and gate.required and gate.mineral not in out:
            out.append(gate.mineral)
    return out


@rule("company-field-missing", Severity.ERROR, Basis.CHECKER, tags=("checker", "company"))
def company_field_missing(ctx: Context) -> Iterable[Hit]:
    """A required field of the company block is blank.

    Checker items for the company name, declaration scope, contact name, e-mail and phone,
    authorizer, authorizer e-mail and effective date."""
    spec = ctx.layout.checker
    if spec is None:
        return
    company = ctx.decl.company
    for name in spec.required_company:
        value: TextValue | object = getattr(company, name)
        if getattr(value, "is_blank", False):
            where: Provenance = getattr(value, "provenance")  # noqa: B009
            yield Hit(f"The {_LABELS.get(name, name)} is required.", where,
                      subject=name, checker_item=_item(where),
                      hint=f"fill in {where.sheet}!{where.cell}")


@rule("email-invalid", Severity.ERROR, Basis.CHECKER, tags=("checker", "company"))
def email_invalid(ctx: Context) -> Iterable[Hit]:
    """A contact or authorizer e-mail address does not contain "@".

    The Checker requires an "@" in both addresses; a blank address is reported as a missing
    field instead."""
    spec = ctx.layout.checker
    if spec is None:
        return
    for name in spec.email_fields:
        value: TextValue = getattr(ctx.decl.company, name)
        if not value.is_blank and "@" not in (value.value or ""):
            yield Hit(f"The {_LABELS[name]} {value.value!r} is not an e-mail address.",
                      value.provenance, subject=name, checker_item=_item(value.provenance),
                      hint="enter an address of the form name@example.com")


@rule("scope-description-missing", Severity.ERROR, Basis.CHECKER, tags=("checker", "company"))
def scope_description_missing(ctx: Context) -> Iterable[Hit]:
    """A user-defined scope (C) has no description of scope.

    The Checker requires the description whenever the scope is neither A nor B."""
    spec = ctx.layout.checker
    company = ctx.decl.company
    if spec is None or spec.description_scope is None or company.scope.is_blank:
        return
    if company.scope_code in ("A", "B"):
        return
    desc = company.scope_description
    if desc.is_blank:
        yield Hit("A user-defined scope needs a description of what the declaration covers.",
                  desc.provenance, checker_item=_item(desc.provenance),
                  hint="describe the scope, e.g. the product lines or business units covered")


@rule("product-list-empty", Severity.ERROR, Basis.CHECKER, tags=("checker", "products"))
def product_list_empty(ctx: Context) -> Iterable[Hit]:
    """A product-level declaration (scope B) lists no product in the Product List's first row.

    The Checker looks only at the first data row (Product List B6)."""
    spec, decl = ctx.layout.checker, ctx.decl
    plist = ctx.layout.product_list
    if spec is None or spec.products_scope is None or plist is None:
        return
    if decl.company.scope_code != spec.products_scope:
        return
    first = plist.first_row
    number_col = plist.columns["number"]
    if any(p.row == first and not p.number.is_blank for p in decl.products):
        return
    later = [p.row for p in decl.products if not p.number.is_blank]
    hint = ("the Checker reads only the first row: move the list up to start at row "
            f"{first}" if later else "list the products this declaration covers")
    yield Hit("A product-level declaration must list at least one product number.",
              sheet=plist.sheet, cell=f"{number_col}{first}", checker_item="Product List",
              hint=hint)


@rule("answer-missing", Severity.ERROR, Basis.CHECKER, tags=("checker", "answers"))
def answer_missing(ctx: Context) -> Iterable[Hit]:
    """A required per-mineral question is not answered.

    Question 1 is required for every mineral; the later questions as the template's gating
    says (CMRT: question 2 unless question 1 is "No"; questions 3 to 8 unless question 1 or 2
    is "No")."""
    for gate in _gates(ctx):
        if gate.open:
            where = gate.qa.answer.provenance
            yield Hit(gate.why[0].upper() + gate.why[1:] + ".", where,
                      subject=gate.mineral, checker_item=_item(where))


@rule("company-answer-missing", Severity.ERROR, Basis.CHECKER, tags=("checker", "answers"))
def company_answer_missing(ctx: Context) -> Iterable[Hit]:
    """A company-level question is not answered while some mineral is in scope.

    The Checker requires every company question once any mineral's later questions are
    required."""
    if ctx.layout.checker is None:
        return
    in_scope = _in_scope(ctx)
    if not in_scope:
        return
    for key, qa in ctx.decl.company_answers.items():
        if qa.answer.is_blank:
            where = qa.answer.provenance
            yield Hit(f"Company question {key} is required because "
                      f"{', '.join(in_scope)} {'is' if len(in_scope) == 1 else 'are'} in scope.",
                      where, subject=key, checker_item=_item(where))


@rule("policy-url-missing", Severity.ERROR, Basis.CHECKER, tags=("checker", "answers"))
def policy_url_missing(ctx: Context) -> Iterable[Hit]:
    """The sourcing policy is said to be public but its comment gives no URL.

    When company question B is "Yes", the Checker requires its comment (the policy's web
    address) to hold at least two characters."""
    spec = ctx.layout.checker
    if spec is None or spec.url_question is None or not _in_scope(ctx):
        return
    qa = ctx.decl.company_answers.get(spec.url_question)
    if qa is None or qa.answer.value != "Yes":
        return
    if len(qa.comment.value or "") <= 1:
        where = qa.comment.provenance
        yield Hit(f"Question {spec.url_question} says the policy is public; give its web "
                  "address in the comment.", where, subject=spec.url_question,
                  checker_item=_item(where), hint="e.g. https://example.com/sourcing-policy")


@rule("smelter-list-missing-mineral", Severity.ERROR, Basis.CHECKER, tags=("checker", "smelters"))
def smelter_list_missing_mineral(ctx: Context) -> Iterable[Hit]:
    """A mineral in scope has no Smelter List row.

    The Checker requires, for each in-scope mineral, a Smelter List row with that metal and a
    Smelter Look-up choice (a facility, "Smelter not listed" or "Smelter not yet
    identified")."""
    sheet = ctx.layout.smelter_list.sheet
    for mineral in _in_scope(ctx):
        key = mineral.casefold()
        if any(
            (s.metal.value or "").casefold() == key and not s.lookup_name.is_blank
            for s in ctx.decl.smelters
        ):
            continue
        typed_only = any(
            (s.metal.value or "").casefold() == key for s in ctx.decl.smelters
        )
        hint = ("rows for it exist but none has a Smelter Look-up choice (column C)"
                if typed_only else
                "list the smelters or refiners, or choose 'Smelter not yet identified'")
        yield Hit(f"{mineral} is in scope but the Smelter List has no {mineral} smelter.",
                  sheet=sheet, subject=mineral, checker_item=f"Smelter List - {mineral}",
                  hint=hint)


@rule("unlisted-smelter-incomplete", Severity.ERROR, Basis.CHECKER, tags=("checker", "smelters"))
def unlisted_smelter_incomplete(ctx: Context) -> Iterable[Hit]:
    """A "Smelter not listed" row lacks the smelter's name or country.

    The Checker requires a typed name (column D) and country (column E) on every such row."""
    if ctx.layout.checker is None:
        return
    for s in ctx.decl.smelters:
        if s.placeholder is not PlaceholderKind.NOT_LISTED:
            continue
        missing = [label for label, v in (("name", s.name_input), ("country", s.country))
                   if v.is_blank]
        if missing:
            where = s.name_input if s.name_input.is_blank else s.country
            yield Hit(f"Row {s.row} chooses 'Smelter not listed' but gives no "
                      f"{' or '.join(missing)}.", where.provenance,
                      subject=s.metal.value, checker_item="Smelter not listed",
                      hint="type the facility's name and country, or pick it from the look-up")
