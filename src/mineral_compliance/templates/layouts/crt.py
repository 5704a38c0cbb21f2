"""CRT 2.2 layout (Cobalt Reporting Template, RMI; superseded by the EMRT).

Read from the 2.2 (October 2020) and 2.21 workbooks, whose input cells are identical (2.21 still
prints "Revision 2.2" in its revision cell). Cobalt only: six questions, one answer row each,
and company questions A to I. The company block sits where the CMRT's does.
"""

from __future__ import annotations

import datetime as dt

from ...models.declaration import TemplateKind
from .base import (
    RESPONSE_RATE,
    YES_NO,
    YES_NO_UNKNOWN,
    CheckerSpec,
    CompanyQuestion,
    Layout,
    MineralQuestion,
    MineralSlots,
    QuestionRoles,
)
from .checks import (
    ALWAYS,
    AllOf,
    AnyOf,
    CheckItem,
    Equals,
    Filled,
    Not,
    Required,
    SmelterRowsFor,
    company_items,
    company_keys,
    d_cells,
    decl,
    other_format_item,
    placed,
    products_item,
    rows_from,
    url_item,
)
from .cmrt import COMPANY_CELLS, LOOKUP, PRODUCT_LIST, RMI_DATE_MIN, SCOPES, SMELTER_LIST

__all__ = ["CRT_2", "LAYOUTS"]


def _cq(key: str, row: int, choices: tuple[str, ...]) -> CompanyQuestion:
    return CompanyQuestion(key, f"D{row}", choices, comment_cell=f"G{row}")


G_PLAIN = ("No", "Yes, CRT")
G_OTHER = "Yes, Using Other Format (Describe)"


def _checker() -> CheckerSpec:
    """CRT 2.2x Checker. It was copied from the CMRT: each question still has four answer
    rows, of which the template shows only the first (cobalt); the Checker counts the three
    hidden ones too, and a hidden row left blank keeps every company question required.
    Items below the Checker's total (rows 58-61, the "Smelter not listed" check among them)
    never count, and the cobalt Smelter List item only opens in one corner case."""
    items = company_items(COMPANY_CELLS)
    q2_keys = []
    hidden: list[str] = []
    for i in range(4):
        q1, q2 = f"D{26 + i}", f"D{32 + i}"
        seen = i == 0
        q2_required = Not(Equals(q1, ("No", "Unknown") if seen else ("No",)))
        items.append(CheckItem(decl(q1), "answer", ALWAYS, Filled(q1), "1", "Cobalt",
                               hidden=not seen))
        items.append(CheckItem(decl(q2), "answer", q2_required, Filled(q2), "2", "Cobalt",
                               hidden=not seen))
        q2_keys.append(decl(q2))
        if not seen:
            hidden += [q1, q2]
    for q, first in (("3", 38), ("4", 44), ("5", 50), ("6", 56)):
        for i in range(4):
            ref = f"D{first + i}"
            items.append(CheckItem(decl(ref), "answer", Required(q2_keys[i]), Filled(ref), q,
                                   "Cobalt", hidden=i > 0))
            if i:
                hidden.append(ref)
    company = Required(decl("D63"))
    items.append(CheckItem(decl("D63"), "company-answer",
                           AnyOf(tuple(Required(k) for k in q2_keys)), Filled("D63"), "A"))
    items.append(url_item("A", "D63", "G63"))
    for key, row in zip("BCDEF", range(65, 75, 2), strict=True):
        items.append(CheckItem(decl(f"D{row}"), "company-answer", company, Filled(f"D{row}"),
                               key))
    items.append(other_format_item("G", "D75", "G75", G_PLAIN, G_OTHER, company))
    for key, row in (("H", 77), ("I", 79)):
        items.append(CheckItem(decl(f"D{row}"), "company-answer", company, Filled(f"D{row}"),
                               key))
    items.append(products_item())
    # The open flag of this item is its own formula: it opens only when question 1 is blank
    # while question 2 is "Yes" and no Smelter List row names cobalt.
    items.append(CheckItem(
        "Smelter List - Cobalt", "smelters",
        AllOf((Not(Filled("D26")), Equals("D32", ("Yes",)))),
        SmelterRowsFor("Cobalt", needs=()), mineral="Cobalt"))
    c = COMPANY_CELLS
    # Checker rows: the CMRT's company block (row 12 empty), each question's four rows five
    # apart from 15, the company questions from 45 (row 52 empty), the lists from 56.
    sheet_rows = [
        rows_from(4, *company_keys(c, "name", "scope", "scope_description"),
                  *company_keys(c), None, *company_keys(c, "effective_date")),
        *(rows_from(15 + 5 * k, *d_cells(*range(first, first + 4)))
          for k, first in enumerate((26, 32, 38, 44, 50, 56))),
        rows_from(45, decl("D63"), decl("G63"), *d_cells(65, 67, 69, 71, 73, None, 75, 77, 79),
                  "Product List", "Smelter List - Cobalt"),
    ]
    return CheckerSpec(items=placed(items, *sheet_rows), date_min=RMI_DATE_MIN,
                       date_min_inclusive=True, date_max=dt.date(2026, 3, 31),
                       hidden_cells=tuple(hidden), total_cell="H62")


CRT_2 = Layout(
    name="crt-2",
    kind=TemplateKind.CRT,
    versions=("2.2", "2.21"),
    required_sheets=("Declaration", "Smelter List", "Product List"),
    company_cells=COMPANY_CELLS,
    scope_choices=SCOPES,
    minerals=MineralSlots(fixed=("Cobalt",)),
    questions=(
        MineralQuestion("1", (26,), YES_NO_UNKNOWN),
        MineralQuestion("2", (32,), (*YES_NO_UNKNOWN, "DRC or adjoining countries only")),
        MineralQuestion("3", (38,), YES_NO_UNKNOWN),
        MineralQuestion("4", (44,), RESPONSE_RATE, numeric_literals={1.0: "100%"},
                        stores_numbers=True),
        MineralQuestion("5", (50,), YES_NO_UNKNOWN),
        MineralQuestion("6", (56,), YES_NO_UNKNOWN),
    ),
    company_questions=(
        _cq("A", 63, YES_NO),
        _cq("B", 65, YES_NO),
        _cq("C", 67, YES_NO),
        _cq("D", 69, YES_NO),
        _cq("E", 71, YES_NO),
        _cq("F", 73, YES_NO),
        _cq("G", 75, ("Yes, CRT", "Yes, Using Other Format (Describe)", "No")),
        _cq("H", 77, YES_NO),
        _cq("I", 79, YES_NO),
    ),
    smelter_list=SMELTER_LIST,
    metal_choices=("Cobalt",),
    product_list=PRODUCT_LIST,
    lookup=LOOKUP,
    roles=QuestionRoles(used=("1",), recycled="3", identified="5", cahra="2",
                        response_rate="4", reported="6"),
    checker=_checker(),
)

LAYOUTS = (CRT_2,)
