"""EMRT 2.x layouts (Extended Minerals Reporting Template, RMI).

Read from the official 2.0 (April 2025) and 2.1 (October 2025) workbooks. The supplier picks
the minerals in scope in a selector (Declaration D12, E12, G12, D13, E13, G13, pre-filled with
all six; ``(Delete X)`` removes one) and the template sorts the chosen minerals alphabetically
into ten question-row slots per question. Company question C is answered per mineral slot.
2.1 adds the requester's product number and name to the Product List; 2.11 drops the
effective date's upper bound.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from ...models.declaration import TemplateKind
from .base import (
    RESPONSE_RATE,
    YES_NO,
    YES_NO_UNKNOWN,
    CheckerSpec,
    CompanyQuestion,
    Layout,
    ListSheet,
    MineralQuestion,
    MineralSlots,
    QuestionRoles,
)
from .checks import (
    ALWAYS,
    AllOf,
    AnyOf,
    CheckItem,
    Cond,
    Equals,
    Filled,
    Not,
    Required,
    SlotUsed,
    SmelterRowsFor,
    company_items,
    company_keys,
    d_cells,
    decl,
    other_format_item,
    placed,
    products_item,
    rows_from,
    unlisted_item,
    url_item,
)
from .cmrt import COMPANY_CELLS as CMRT_COMPANY_CELLS
from .cmrt import LOOKUP, PRODUCT_LIST, RMI_DATE_MIN, SCOPES, SMELTER_LIST

__all__ = ["EMRT_1_1", "EMRT_1_2", "EMRT_2_0", "EMRT_2_1", "EMRT_2_11", "LAYOUTS"]

DATE_MAX = dt.date(2026, 3, 31)
E_OTHER = "Yes, Using Other Format (Describe)"
E_PLAIN = ("No", "Yes, in conformance with IPC1755 (e.g. EMRT)")

MINERALS = ("Cobalt", "Copper", "Graphite", "Lithium", "Mica", "Nickel")


def _slots(first_row: int) -> tuple[int, ...]:
    return tuple(range(first_row, first_row + 10))


QUESTIONS = (
    MineralQuestion("1", _slots(30), ("Yes", "No", "Unknown", "Not declaring")),
    MineralQuestion("2", _slots(42), YES_NO_UNKNOWN),
    MineralQuestion("3", _slots(54), YES_NO_UNKNOWN),
    MineralQuestion("4", _slots(66), YES_NO_UNKNOWN),
    MineralQuestion("5", _slots(78), (*RESPONSE_RATE, "Did not survey"),
                    numeric_literals={1.0: "100%"}),
    MineralQuestion("6", _slots(90), YES_NO_UNKNOWN),
    MineralQuestion("7", _slots(102), YES_NO_UNKNOWN),
)

COMPANY_QUESTIONS = (
    CompanyQuestion("A", "D115", YES_NO, comment_cell="G115"),
    CompanyQuestion("B", "D117", YES_NO, comment_cell="G117"),
    CompanyQuestion("C", "D120", ("Yes", "Yes, when more processors are validated", "No"),
                    per_mineral_rows=_slots(120)),
    CompanyQuestion("D", "D131", YES_NO, comment_cell="G131"),
    CompanyQuestion(
        "E", "D133",
        ("Yes, in conformance with IPC1755 (e.g. EMRT)", "Yes, Using Other Format (Describe)",
         "No"),
        comment_cell="G133",
    ),
    CompanyQuestion("F", "D135", YES_NO, comment_cell="G135"),
    CompanyQuestion("G", "D137", YES_NO, comment_cell="G137"),
)

COMPANY_CELLS = {
    "name": "D8",
    "scope": "D9",
    "scope_description": "D10",
    "unique_id": "D16",
    "id_authority": "D17",
    "address": "D18",
    "contact_name": "D19",
    "contact_email": "D20",
    "contact_phone": "D21",
    "authorizer": "D22",
    "authorizer_title": "D23",
    "authorizer_email": "D24",
    "authorizer_phone": "D25",
    "effective_date": "D26",
}

MINE_LIST = ListSheet(
    sheet="Mine List",
    first_row=5,
    last_row=2504,
    columns={
        "metal": "A",
        "smelter_name": "B",
        "mine_name": "C",
        "mine_id": "D",
        "id_source": "E",
        "country": "F",
        "street": "G",
        "city": "H",
        "state_province": "I",
        "contact_name": "J",
        "contact_email": "K",
        "next_steps": "L",
        "comments": "M",
    },
)

def _checker_2() -> CheckerSpec:
    """EMRT 2.x Checker: at least one mineral; question 1 for each of the first six slots in
    use; question 2 unless question 1 is "No", "Unknown" or "Not declaring"; questions 3 to 7
    unless, further, question 2 is "No" or "Unknown"; company questions once any slot's
    question 3 is required (C per slot); each such mineral needs a Smelter List row with a
    look-up choice."""
    items = company_items(COMPANY_CELLS)
    items.insert(3, CheckItem(decl("B12"), "minerals-selected", ALWAYS, SlotUsed(0)))
    out_1 = ("No", "Unknown", "Not declaring")
    q3_keys = []
    for i in range(6):
        q1, q2, q3 = f"D{30 + i}", f"D{42 + i}", f"D{54 + i}"
        items.append(CheckItem(decl(q1), "answer", SlotUsed(i), Filled(q1), "1", slot=i))
        req2 = AllOf((SlotUsed(i), Not(Equals(q1, out_1))))
        items.append(CheckItem(decl(q2), "answer", req2, Filled(q2), "2", slot=i))
        req3 = AllOf((Required(decl(q2)), Not(Equals(q2, ("No", "Unknown")))))
        items.append(CheckItem(decl(q3), "answer", req3, Filled(q3), "3", slot=i))
        q3_keys.append(decl(q3))
    for q, first in (("4", 66), ("5", 78), ("6", 90), ("7", 102)):
        for i in range(6):
            ref = f"D{first + i}"
            items.append(CheckItem(decl(ref), "answer", Required(q3_keys[i]), Filled(ref), q,
                                   slot=i))
    company = Required(decl("D115"))
    items.append(CheckItem(decl("D115"), "company-answer",
                           AnyOf(tuple(Required(k) for k in q3_keys)), Filled("D115"), "A"))
    items.append(CheckItem(decl("D117"), "company-answer", company, Filled("D117"), "B"))
    items.append(url_item("B", "D117", "G117"))
    for i in range(6):
        ref = f"D{120 + i}"
        items.append(CheckItem(decl(ref), "company-answer", Required(q3_keys[i]), Filled(ref),
                               "C", slot=i))
    for key, row in (("D", 131), ("E", 133), ("F", 135), ("G", 137)):
        items.append(CheckItem(decl(f"D{row}"), "company-answer", company, Filled(f"D{row}"),
                               key))
    items.append(products_item())
    for i in range(6):
        items.append(CheckItem(decl(f"AA{12 + i}"), "smelters", Required(q3_keys[i]),
                               SmelterRowsFor(slot=i), slot=i))
    items.append(unlisted_item())
    c = COMPANY_CELLS
    # Checker rows: the company block from row 4; each question's first six slots eleven
    # rows apart from row 17; the company questions from row 94, the lists from 112.
    sheet_rows = [
        rows_from(4, *company_keys(c, "name", "scope", "scope_description"), decl("B12"),
                  None, *company_keys(c), None, *company_keys(c, "effective_date")),
        *(rows_from(17 + 11 * k, *(decl(f"D{r}") for r in q.rows[:6]))
          for k, q in enumerate(QUESTIONS)),
        rows_from(94, decl("D115"), decl("D117"), decl("G117"), None,
                  *d_cells(120, 121, 122, 123, 124, 125, None, None, None, None, 131, 133,
                           135, 137), "Product List", None,
                  *(decl(f"AA{12 + i}") for i in range(6)), None, None, None, None,
                  "Smelter not listed"),
    ]
    return CheckerSpec(items=placed(items, *sheet_rows), date_min=RMI_DATE_MIN,
                       date_min_inclusive=True, date_max=DATE_MAX, total_cell="H125")


EMRT_2_0 = Layout(
    name="emrt-2.0",
    kind=TemplateKind.EMRT,
    versions=("2.0",),
    required_sheets=("Declaration", "Smelter List", "Product List", "Mine List"),
    company_cells=COMPANY_CELLS,
    scope_choices=SCOPES,
    minerals=MineralSlots(
        selector_sheet="Declaration",
        selector_cells=("D12", "E12", "G12", "D13", "E13", "G13"),
        choices=MINERALS,
        deselect=tuple(f"(Delete {m})" for m in MINERALS),
    ),
    questions=QUESTIONS,
    company_questions=COMPANY_QUESTIONS,
    smelter_list=SMELTER_LIST,
    metal_choices=MINERALS,
    product_list=ListSheet(
        sheet="Product List", first_row=6, last_row=1000,
        columns={"number": "B", "name": "C", "comments": "D"}, footer_text="\u00a9",
    ),
    mine_list=MINE_LIST,
    lookup=LOOKUP,
    roles=QuestionRoles(recycled="4", identified="6", cahra="3", response_rate="5",
                        reported="7"),
    checker=_checker_2(),
)

EMRT_2_1 = replace(
    EMRT_2_0,
    name="emrt-2.1",
    versions=("2.1",),
    product_list=ListSheet(
        sheet="Product List", first_row=6, last_row=1000,
        columns={"number": "B", "name": "C", "requester_number": "D", "requester_name": "E",
                 "comments": "F"},
        footer_text="\u00a9",
    ),
)

EMRT_2_11 = replace(
    EMRT_2_1,
    name="emrt-2.11",
    versions=("2.11", "2.11.1"),
    reissues={"2.11.1": "2.11"},
    from_workbook=False,
    checker=replace(_checker_2(), date_min_inclusive=False, date_max=None),
)
"""EMRT 2.11 (2026) and its re-issue without the RMI logo, 2.11.1. Not read from the
workbooks, which were not available: the cells are 2.1's according to the mappings a public
template editor derives from them (cirscn/cm-reporting, ``excelMappings.generated.ts`` and
``versions/2.11.ts`` at 3bfe3bc and 3c72653). The one change is the effective date: after
31 Dec 2006, with the 31 March 2026 cap of 2.1 gone (``emrt/base.ts`` at 2048be1,
``registry.test.ts`` at 3c72653). The Checker items are assumed to be 2.1's [inferred]."""

EMRT_1_MINERALS = ("Cobalt", "Mica")
EMRT_1_C_MICA = ("Yes", "Yes, when more processors are validated", "No")

def _checker_1(*, url_for_a: bool, unlisted: bool, total_cell: str) -> CheckerSpec:
    """EMRT 1.x Checker, copied from the CMRT: four answer rows per question, of which the
    template shows cobalt and mica (question 4: cobalt only); the hidden rows still count.
    1.0 to 1.11 also want a URL when company question A is "Yes", and leave the "Smelter not
    listed" check outside their total."""
    out = ("No", "Unknown", "Not applicable for this declaration")
    minerals = ("Cobalt", "Mica", None, None)
    items = company_items(CMRT_COMPANY_CELLS)
    hidden: list[str] = []
    q3_keys = []
    for i, mineral in enumerate(minerals):
        q1 = f"D{26 + i}"
        items.append(CheckItem(decl(q1), "answer", ALWAYS, Filled(q1), "1", mineral,
                               hidden=mineral is None))
        if mineral is None:
            hidden.append(q1)
    for i, mineral in enumerate(minerals[:2]):
        q1, q2 = f"D{26 + i}", f"D{32 + i}"
        items.append(CheckItem(decl(q2), "answer", Not(Equals(q1, out)), Filled(q2), "2",
                               mineral))
    for i, mineral in enumerate(minerals):
        q3 = f"D{38 + i}"
        if mineral is not None:
            q1, q2 = f"D{26 + i}", f"D{32 + i}"
            req: Cond = Not(AnyOf((Equals(q1, out), Equals(q2, out))))
        else:
            req = Not(Equals(f"D{26 + i}", ("No",)))
            hidden.append(q3)
        items.append(CheckItem(decl(q3), "answer", req, Filled(q3), "3", mineral,
                               hidden=mineral is None))
        q3_keys.append(decl(q3))
    rows_4 = ((0, 44), (2, 46), (3, 47))  # question 4 asks about cobalt only
    for q, rows in (("4", rows_4), ("5", tuple((i, 50 + i) for i in range(4))),
                    ("6", tuple((i, 56 + i) for i in range(4))),
                    ("7", tuple((i, 62 + i) for i in range(4)))):
        for i, row in rows:
            ref = f"D{row}"
            items.append(CheckItem(decl(ref), "answer", Required(q3_keys[i]), Filled(ref), q,
                                   minerals[i], hidden=minerals[i] is None))
            if minerals[i] is None:
                hidden.append(ref)
    company = Required(decl("D69"))
    items.append(CheckItem(decl("D69"), "company-answer",
                           AnyOf((Required(q3_keys[0]), Required(q3_keys[1]))), Filled("D69"),
                           "A"))
    if url_for_a:
        items.append(url_item("A", "D69", "G69"))
    items.append(CheckItem(decl("D71"), "company-answer", company, Filled("D71"), "B"))
    items.append(url_item("B", "D71", "G71"))
    for i, row in ((0, 74), (1, 75)):
        items.append(CheckItem(decl(f"D{row}"), "company-answer",
                               AllOf((Required(q3_keys[i]), company)), Filled(f"D{row}"), "C",
                               minerals[i]))
    items.append(CheckItem(decl("D77"), "company-answer", company, Filled("D77"), "D"))
    items.append(other_format_item("E", "D79", "G79", E_PLAIN, E_OTHER, company))
    for key, row in (("F", 81), ("G", 83)):
        items.append(CheckItem(decl(f"D{row}"), "company-answer", company, Filled(f"D{row}"),
                               key))
    items.append(products_item())
    for i, mineral in enumerate(minerals[:2]):
        items.append(CheckItem(f"Smelter List - {mineral}", "smelters", Required(q3_keys[i]),
                               SmelterRowsFor(mineral), mineral=mineral))
    if unlisted:
        items.append(unlisted_item())
    c = CMRT_COMPANY_CELLS
    # Checker rows: the CMRT's company block (row 12 empty), the question rows from 15 with an
    # empty row after each question (question 2 has two rows, question 4 none for mica), the
    # company questions from 48.
    sheet_rows = [
        rows_from(4, *company_keys(c, "name", "scope", "scope_description"),
                  *company_keys(c), None, *company_keys(c, "effective_date")),
        rows_from(15, *d_cells(26, 27, 28, 29, None, 32, 33, None, 38, 39, 40, 41, None, 44,
                               None, 46, 47, None, 50, 51, 52, 53, None, 56, 57, 58, 59, None,
                               62, 63, 64, 65)),
        rows_from(48, decl("D69"), *([decl("G69")] if url_for_a else []), decl("D71"),
                  decl("G71"), *d_cells(None, 74, 75, 77, 79, None, 81, 83), "Product List",
                  "Smelter List - Cobalt", "Smelter List - Mica", None, None,
                  "Smelter not listed"),
    ]
    return CheckerSpec(items=placed(items, *sheet_rows), date_min=RMI_DATE_MIN,
                       date_min_inclusive=True, date_max=DATE_MAX, hidden_cells=tuple(hidden),
                       total_cell=total_cell)


EMRT_1_1 = Layout(
    name="emrt-1.1",
    kind=TemplateKind.EMRT,
    versions=("1.0", "1.1", "1.11"),
    required_sheets=("Declaration", "Smelter List", "Product List"),
    company_cells=CMRT_COMPANY_CELLS,
    scope_choices=SCOPES,
    minerals=MineralSlots(fixed=EMRT_1_MINERALS),
    questions=(
        MineralQuestion("1", (26, 27), ("Yes", "No", "Unknown",
                                        "Not applicable for this declaration")),
        MineralQuestion("2", (32, 33), YES_NO_UNKNOWN),
        MineralQuestion(
            "3", (38, 39), YES_NO_UNKNOWN,
            slot_choices=((*YES_NO_UNKNOWN, "DRC only"),
                          (*YES_NO_UNKNOWN, "India and/or Madagascar only")),
        ),
        MineralQuestion("4", (44,), YES_NO_UNKNOWN),  # recycled or scrap: cobalt only
        MineralQuestion("5", (50, 51), RESPONSE_RATE, numeric_literals={1.0: "100%"},
                        stores_numbers=True),
        MineralQuestion("6", (56, 57), YES_NO_UNKNOWN),
        MineralQuestion("7", (62, 63), YES_NO_UNKNOWN),
    ),
    company_questions=(
        CompanyQuestion("A", "D69", YES_NO, comment_cell="G69"),
        CompanyQuestion("B", "D71", YES_NO, comment_cell="G71"),
        CompanyQuestion("C", "D74", YES_NO, per_mineral_rows=(74, 75),
                        slot_choices=(YES_NO, EMRT_1_C_MICA)),
        CompanyQuestion("D", "D77", YES_NO, comment_cell="G77"),
        CompanyQuestion(
            "E", "D79",
            ("Yes, in conformance with IPC1755 (e.g. EMRT)",
             "Yes, Using Other Format (Describe)", "No"),
            comment_cell="G79",
        ),
        CompanyQuestion("F", "D81", YES_NO, comment_cell="G81"),
        CompanyQuestion("G", "D83", YES_NO, comment_cell="G83"),
    ),
    smelter_list=SMELTER_LIST,
    metal_choices=EMRT_1_MINERALS,
    product_list=PRODUCT_LIST,
    lookup=LOOKUP,
    roles=QuestionRoles(recycled="4", identified="6", cahra="3", response_rate="5",
                        reported="7"),
    checker=_checker_1(url_for_a=True, unlisted=False, total_cell="H66"),
)
"""EMRT 1.0 to 1.11 (cobalt and mica). Cells read from the 1.1, 1.11, 1.2 and 1.3 workbooks: the
company block sits where the CMRT's does; question 3 offers "DRC only" for cobalt and "India
and/or Madagascar only" for mica; question 4 (recycled or scrap) asks about cobalt only."""

EMRT_1_2 = replace(
    EMRT_1_1,
    name="emrt-1.2",
    versions=("1.2", "1.3"),
    checker=_checker_1(url_for_a=False, unlisted=True, total_cell="H65"),
)
"""EMRT 1.2 and 1.3: the same cells; their Checker drops the URL for question A and counts
the "Smelter not listed" rows."""

LAYOUTS = (EMRT_1_1, EMRT_1_2, EMRT_2_0, EMRT_2_1, EMRT_2_11)
