"""AMRT layouts (Additional Minerals Reporting Template, RMI).

Read from the official 1.2 (October 2024), 1.21 (May 2025) and 1.3 (October 2025) workbooks.
The supplier names up to ten minerals in the Declaration (D12, E12, G12, H12, I12 and the same
columns of row 13; E:F are merged). 1.2 and 1.21 take free text there; 1.3 offers a list whose
"Other [specify below]" entry defers to the name typed two rows below. The template sorts the
names alphabetically, drops repeats, and asks two questions per mineral slot. There are no
company-level questions. 1.3 adds a Smelter Look-up (with the CMRT's Smelter List columns)
and the requester's product columns; 1.31 lists six more minerals and drops the effective
date's upper bound.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from ...models.declaration import TemplateKind
from .base import (
    RESPONSE_RATE,
    CheckerSpec,
    Layout,
    ListSheet,
    MineralQuestion,
    MineralSlots,
    QuestionRoles,
)
from .checks import (
    ALWAYS,
    AllOf,
    AnyOther,
    CheckItem,
    Equals,
    Filled,
    Not,
    OtherNamed,
    SlotUsed,
    SmelterRowsFor,
    company_items,
    company_keys,
    d_cells,
    decl,
    placed,
    products_item,
    rows_from,
    unlisted_item,
)
from .cmrt import LOOKUP, RMI_DATE_MIN, SCOPES, SMELTER_LIST
from .emrt import MINE_LIST

__all__ = ["AMRT_1_2", "AMRT_1_3", "AMRT_1_31", "LAYOUTS"]

SELECTOR_COLUMNS = ("D", "E", "G", "H", "I")

Q1_CHOICES = ("Yes", "No", "Unknown", "Not declaring")
Q2_CHOICES = (*RESPONSE_RATE, "Unknown", "Did not survey")

MINERALS_1_3 = (
    "Aluminum",
    "Iridium",
    "Lime",
    "Manganese",
    "Palladium",
    "Platinum",
    "Rare Earth Elements",
    "Rhodium",
    "Ruthenium",
    "Silver",
    "Soda Ash",
    "Zinc",
    "Other [specify below]",
)
OTHER = "Other [specify below]"

MINERALS_1_31 = (
    "Aluminum",
    "Cadmium",
    "Iridium",
    "Lead",
    "Lime",
    "Manganese",
    "Molybdenum",
    "Palladium",
    "Platinum",
    "Rare Earth Elements",
    "Rhenium",
    "Rhodium",
    "Ruthenium",
    "Selenium",
    "Silver",
    "Soda Ash",
    "Tellurium",
    "Zinc",
    OTHER,
)
"""AMRT 1.31: 1.3's list with cadmium, lead, molybdenum, rhenium, selenium and tellurium as
choices of their own, alphabetical, "Other" last (cirscn/cm-reporting ``amrt/base.ts`` and
``minerals.test.ts`` at 2048be1). [inferred] The selector literals are these names as the
editor spells them; the workbook's own list was not available to compare."""


def _cells(*rows: int) -> tuple[str, ...]:
    return tuple(f"{c}{r}" for r in rows for c in SELECTOR_COLUMNS)


def _slots(first_row: int) -> tuple[int, ...]:
    return tuple(range(first_row, first_row + 10))


def _company(first_row: int) -> dict[str, str]:
    """Company block: name, scope and description at D8-D10, the rest from ``first_row``."""
    rest = (
        "unique_id", "id_authority", "address", "contact_name", "contact_email",
        "contact_phone", "authorizer", "authorizer_title", "authorizer_email",
        "authorizer_phone", "effective_date",
    )
    cells = {"name": "D8", "scope": "D9", "scope_description": "D10"}
    cells.update({field: f"D{first_row + i}" for i, field in enumerate(rest)})
    return cells


def _questions(q1_row: int, q2_row: int) -> tuple[MineralQuestion, ...]:
    return (
        MineralQuestion("1", _slots(q1_row), Q1_CHOICES),
        MineralQuestion("2", _slots(q2_row), Q2_CHOICES, numeric_literals={1.0: "100%"},
                        stores_numbers=True),
    )


SORTED_CELLS = tuple(f"AA{r}" for r in range(12, 22))


def _checker(company_row: int, q1_row: int, q2_row: int, *, other: bool,
             smelter_needs: tuple[str, ...], unlisted: bool, total_cell: str,
             smelter_present: tuple[str, ...] = (),
             date_max: dt.date | None = dt.date(2026, 3, 31)) -> CheckerSpec:
    """AMRT Checker: at least one mineral (and a name for each "Other" in 1.3); question 1 for
    each slot in use (question 2 is shown but not counted); each mineral whose question 1 is
    not "No", "Unknown" or "Not declaring" needs a Smelter List row (1.2x: whose name and
    country cells are not empty; 1.3: whose look-up and country cells are not empty, which
    their formulas ensure unless the supplier deleted them)."""
    cells = _company(company_row)
    items = company_items(cells)
    items.insert(3, CheckItem(decl("B12"), "minerals-selected", ALWAYS, SlotUsed(0)))
    if other:
        items.insert(4, CheckItem(decl("B15"), "other-names", AnyOther(), OtherNamed()))
    out = ("No", "Unknown", "Not declaring")
    for i in range(10):
        q1 = f"D{q1_row + i}"
        items.append(CheckItem(decl(q1), "answer", SlotUsed(i), Filled(q1), "1", slot=i))
    items.append(products_item())
    for i in range(10):
        q1 = f"D{q1_row + i}"
        items.append(CheckItem(decl(f"B{q2_row + i}"), "smelters",
                               AllOf((SlotUsed(i), Not(Equals(q1, out)))),
                               SmelterRowsFor(slot=i, needs=smelter_needs,
                                              present=smelter_present), slot=i))
    if unlisted:
        items.append(unlisted_item())
    # Checker rows: the company block from row 4 with the selector items after the scope,
    # question 1 two rows after it, question 2's rows (not counted), then the lists.
    company = [*company_keys(cells, "name", "scope", "scope_description"), decl("B12"),
               *([decl("B15")] if other else []), *company_keys(cells), None,
               *company_keys(cells, "effective_date")]
    q1_first = 4 + len(company) + 2
    smelters = [decl(f"B{q2_row + i}") for i in range(10)]
    sheet_rows = [rows_from(4, *company), rows_from(q1_first, *d_cells(*_slots(q1_row))),
            rows_from(q1_first + 21, "Product List", None, *smelters, "Smelter not listed")]
    return CheckerSpec(items=placed(items, *sheet_rows), date_min=RMI_DATE_MIN,
                       date_min_inclusive=date_max is not None, date_max=date_max,
                       total_cell=total_cell)

MINERALS_SCOPE = ListSheet(
    sheet="Minerals Scope", first_row=8, last_row=17,
    columns={"mineral": "B", "reason": "C"}, footer_text="\u00a9",
)

AMRT_1_2 = Layout(
    name="amrt-1.2",
    kind=TemplateKind.AMRT,
    versions=("1.2", "1.21"),
    required_sheets=("Declaration", "Smelter List", "Product List", "Mine List"),
    company_cells=_company(14),
    scope_choices=SCOPES,
    minerals=MineralSlots(
        selector_sheet="Declaration",
        selector_cells=_cells(12, 13),
        free_text=True,
        sorted_cells=SORTED_CELLS,
    ),
    questions=_questions(28, 40),
    company_questions=(),
    smelter_list=ListSheet(
        sheet="Smelter List",
        first_row=5,
        last_row=2504,
        columns={
            "metal": "A",
            "name_input": "B",
            "country": "C",
            "smelter_id": "D",
            "id_source": "E",
            "street": "F",
            "city": "G",
            "state_province": "H",
            "contact_name": "I",
            "contact_email": "J",
            "next_steps": "K",
            "mine_names": "L",
            "mine_countries": "M",
            "recycled_scrap": "N",
            "comments": "O",
        },
    ),
    metal_choices=(),
    product_list=ListSheet(
        sheet="Product List", first_row=6, last_row=2005,
        columns={"number": "B", "name": "C", "comments": "D"}, footer_text="\u00a9",
    ),
    mine_list=MINE_LIST,
    minerals_scope=MINERALS_SCOPE,
    roles=QuestionRoles(used=("1",), response_rate="2"),
    checker=_checker(14, 28, 40, other=False, smelter_needs=(), unlisted=False,
                     total_cell="H50", smelter_present=("name_input", "country")),
)
"""AMRT 1.2 and 1.21: free-text minerals, no Smelter Look-up (smelters are typed)."""

AMRT_1_3 = Layout(
    name="amrt-1.3",
    kind=TemplateKind.AMRT,
    versions=("1.3",),
    required_sheets=("Declaration", "Smelter List", "Product List", "Mine List"),
    company_cells=_company(17),
    scope_choices=SCOPES,
    minerals=MineralSlots(
        selector_sheet="Declaration",
        selector_cells=_cells(12, 13),
        choices=MINERALS_1_3,
        free_text=True,
        other_choice=OTHER,
        other_cells=_cells(15, 16),
        sorted_cells=SORTED_CELLS,
        list_range="B68:B80",
    ),
    questions=_questions(31, 43),
    company_questions=(),
    smelter_list=SMELTER_LIST,
    metal_choices=(),
    product_list=ListSheet(
        sheet="Product List", first_row=6, last_row=2005,
        columns={"number": "B", "name": "C", "requester_number": "D", "requester_name": "E",
                 "comments": "F"},
        footer_text="\u00a9",
    ),
    mine_list=MINE_LIST,
    lookup=LOOKUP,
    minerals_scope=MINERALS_SCOPE,
    roles=QuestionRoles(used=("1",), response_rate="2"),
    checker=_checker(17, 31, 43, other=True, smelter_needs=(), unlisted=True,
                     total_cell="H52", smelter_present=("lookup_name", "country")),
)
"""AMRT 1.3: minerals chosen from a list (or typed for "Other"), Smelter Look-up as in the
CMRT."""

AMRT_1_31 = replace(
    AMRT_1_3,
    name="amrt-1.31",
    versions=("1.31", "1.31.1"),
    reissues={"1.31.1": "1.31"},
    from_workbook=False,
    # [inferred] The list grows from B68:B80 to B68:B86: question 2's block, which runs down
    # to the end of this list, is six rows longer in the mappings derived from the workbook
    # (excelMappings.generated.ts at d9a9886: span 43 against 37), and six minerals are new.
    minerals=replace(AMRT_1_3.minerals, choices=MINERALS_1_31, list_range="B68:B86"),
    checker=_checker(17, 31, 43, other=True, smelter_needs=(), unlisted=True,
                     total_cell="H52", smelter_present=("lookup_name", "country"),
                     date_max=None),
)
"""AMRT 1.31 (2026) and its re-issue without the RMI logo, 1.31.1. Not read from the
workbooks, which were not available: the cells are 1.3's according to the mappings a public
template editor derives from them (cirscn/cm-reporting, ``excelMappings.generated.ts`` and
``excelAmrtMinerals.test.ts`` at d9a9886: question 1 at row 30, question 2 at 42, the first
answer in D31). Six more minerals are listed choices, and the effective date loses the
31 March 2026 cap (``amrt/base.ts`` at 2048be1). The Checker items are assumed to be 1.3's
[inferred]."""

LAYOUTS = (AMRT_1_2, AMRT_1_3, AMRT_1_31)
