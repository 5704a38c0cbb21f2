"""The items of an RMI workbook's Checker sheet, as data.

Each item says when the Checker requires something (its column F) and when it counts it as
complete (the negation of column G), in a small vocabulary of conditions over the supplier's
cells. The tables mirror the formulas of each release's Checker sheet, including their quirks
(items on hidden leftover rows, answers that count only once earlier answers are "Yes"), so
the rules can report exactly the items the workbook itself would. Cell references are on the
Declaration sheet unless they name another sheet ("Product List!B6").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

__all__ = [
    "ALWAYS",
    "SCOPE_A_B",
    "SCOPE_B",
    "AllOf",
    "AnyOf",
    "AnyOther",
    "CheckItem",
    "Cond",
    "Equals",
    "Filled",
    "HasAt",
    "LongerThan",
    "Not",
    "OtherNamed",
    "Required",
    "SlotUsed",
    "SmelterRowsFor",
    "UnlistedRowsComplete",
    "UnlistedRowsPresent",
    "company_items",
    "company_keys",
    "d_cells",
    "decl",
    "other_format_item",
    "placed",
    "products_item",
    "rows_from",
    "unlisted_item",
    "url_item",
]


@dataclass(frozen=True)
class Filled:
    """The cell holds something (the Checker's ``B<>0``)."""

    ref: str


@dataclass(frozen=True)
class Equals:
    """The cell's answer is one of ``literals`` (compared without regard to case)."""

    ref: str
    literals: tuple[str, ...]


@dataclass(frozen=True)
class HasAt:
    """The cell's text contains "@"."""

    ref: str


@dataclass(frozen=True)
class LongerThan:
    """The cell's text is longer than ``length`` characters."""

    ref: str
    length: int


@dataclass(frozen=True)
class SlotUsed:
    """Question-row slot ``slot`` (0-based) holds a selected mineral."""

    slot: int


@dataclass(frozen=True)
class Required:
    """The item ``key`` of the same Checker is required."""

    key: str


@dataclass(frozen=True)
class SmelterRowsFor:
    """The Smelter List has a row for the mineral (fixed name, or the mineral in ``slot``)
    whose ``needs`` fields (SmelterRow attribute names) all hold a value and whose
    ``present`` cells are not empty."""

    mineral: str | None = None
    slot: int | None = None
    needs: tuple[str, ...] = ("lookup_name",)
    present: tuple[str, ...] = ()
    """Fields whose cells must merely not be empty: a formula counts even when it gives ""
    (the Checker's ``ISBLANK``)."""


@dataclass(frozen=True)
class OtherNamed:
    """Every "Other" choice of the mineral selector has a name typed for it."""


@dataclass(frozen=True)
class AnyOther:
    """Some selector cell chooses "Other"."""


@dataclass(frozen=True)
class UnlistedRowsPresent:
    """Some Smelter List row chooses "Smelter not listed"."""


@dataclass(frozen=True)
class UnlistedRowsComplete:
    """Every "Smelter not listed" row has a typed name and country."""


@dataclass(frozen=True)
class Not:
    cond: Cond


@dataclass(frozen=True)
class AllOf:
    """True when every condition holds (and when there are none)."""

    conds: tuple[Cond, ...]


@dataclass(frozen=True)
class AnyOf:
    conds: tuple[Cond, ...]


Cond = (Filled | Equals | HasAt | LongerThan | SlotUsed | Required | SmelterRowsFor
        | UnlistedRowsPresent | UnlistedRowsComplete | OtherNamed | AnyOther | Not | AllOf
        | AnyOf)

ALWAYS = AllOf(())


@dataclass(frozen=True)
class CheckItem:
    """One item of the Checker sheet.

    ``kind`` says which rule reports it: ``company-field``, ``email``, ``scope-description``,
    ``minerals-selected``, ``products``, ``answer``, ``company-answer``, ``url``,
    ``smelters`` or ``unlisted``. ``key`` names the item as the Checker's formulas point at it
    (``Declaration!D8``, ``Product List``, ``Smelter List - Tin``, ``Smelter not listed``).
    """

    key: str
    kind: str
    required: Cond
    complete: Cond
    question: str | None = None
    """Question number or company letter, for answer items."""
    mineral: str | None = None
    slot: int | None = None
    """For answer items of selector templates: the question-row slot."""
    hidden: bool = False
    """The item checks a row the template hides (a leftover of the layout it was copied
    from); the supplier cannot see it, but the Checker still counts it."""
    field: str | None = None
    """For company-block items: the company field."""
    note: str | None = None
    """What completes the item beyond a filled cell, for the supplier-facing message."""
    row: int | None = None
    """The item's row on the Checker sheet. The instruction the Checker shows for an open
    item is its column J, a look-up of ``Checker J<row>`` in the hidden language sheet, so
    the row names the RMI's own wording of the item in every language of the workbook."""


# -- builders shared by the layout tables --------------------------------------------------

def rows_from(first: int, *keys: str | None) -> dict[str, int]:
    """Consecutive Checker rows from ``first`` for the items ``keys`` (``None``: a row that
    holds no item of the table)."""
    return {key: first + i for i, key in enumerate(keys) if key is not None}


def d_cells(*rows: int | None) -> list[str | None]:
    """The item keys of the Declaration cells ``D<row>`` (``None`` stays ``None``)."""
    return [None if r is None else decl(f"D{r}") for r in rows]


def placed(items: Iterable[CheckItem], *runs: Mapping[str, int]) -> tuple[CheckItem, ...]:
    """``items`` with their Checker-sheet rows, looked up by key in ``runs``
    (:func:`rows_from`); an item no run names keeps none."""
    rows = {key: row for run in runs for key, row in run.items()}
    return tuple(replace(item, row=rows.get(item.key)) for item in items)


def decl(ref: str) -> str:
    """The Declaration-sheet reference of ``ref``."""
    return f"Declaration!{ref}"


def company_keys(cells: Mapping[str, str], *fields: str) -> list[str]:
    """The item keys of the company-block ``fields`` (by default the contact and authorizer
    fields the Checker lists after the scope, in its order)."""
    fields = fields or ("contact_name", "contact_email", "contact_phone", "authorizer",
                        "authorizer_email")
    return [decl(cells[f]) for f in fields]


def company_items(cells: dict[str, str], *, description: bool = True) -> list[CheckItem]:
    """The company-block items every Checker has: name, scope, description of a user-defined
    scope, contact name, e-mail and phone, authorizer and e-mail, effective date."""
    scope = cells["scope"]
    items = [
        CheckItem(decl(cells["name"]), "company-field", ALWAYS, Filled(cells["name"]),
                  field="name"),
        CheckItem(decl(scope), "company-field", ALWAYS, Filled(scope), field="scope"),
    ]
    if description:
        d = cells["scope_description"]
        items.append(CheckItem(
            decl(d), "scope-description",
            AllOf((Filled(scope), Not(Equals(scope, SCOPE_A_B)))), Filled(d),
            field="scope_description"))
    for name in ("contact_name", "contact_email", "contact_phone", "authorizer",
                 "authorizer_email", "effective_date"):
        ref = cells[name]
        email = name.endswith("email")
        items.append(CheckItem(decl(ref), "email" if email else "company-field", ALWAYS,
                               HasAt(ref) if email else Filled(ref), field=name))
    return items


SCOPE_A_B = ("A. Company", "B. Product (or List of Products)")
SCOPE_B = ("B. Product (or List of Products)",)


def products_item(scope_ref: str = "D9") -> CheckItem:
    return CheckItem("Product List", "products", Equals(scope_ref, SCOPE_B),
                     Filled("Product List!B6"))


def unlisted_item() -> CheckItem:
    return CheckItem("Smelter not listed", "unlisted", UnlistedRowsPresent(),
                     UnlistedRowsComplete())


def url_item(question: str, answer_ref: str, comment_ref: str) -> CheckItem:
    return CheckItem(decl(comment_ref), "url",
                     AllOf((Required(decl(answer_ref)), Equals(answer_ref, ("Yes",)))),
                     LongerThan(comment_ref, 1), question=question)


def other_format_item(question: str, ref: str, comment_ref: str, plain: tuple[str, ...],
                      other: str, required: Cond) -> CheckItem:
    """A company question whose "other format" answer counts only with a comment."""
    return CheckItem(
        decl(ref), "company-answer", required,
        AnyOf((Equals(ref, plain), AllOf((Equals(ref, (other,)), Filled(comment_ref))))),
        question=question,
        note=f"the answer '{other}' needs the format described in the comment ({comment_ref})")
