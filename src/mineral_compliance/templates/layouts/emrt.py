"""EMRT 2.x layouts (Extended Minerals Reporting Template, RMI).

Read from the official 2.0 (April 2025) and 2.1 (October 2025) workbooks. The supplier picks
the minerals in scope in a selector (Declaration D12, E12, G12, D13, E13, G13, pre-filled with
all six; ``(Delete X)`` removes one) and the template sorts the chosen minerals alphabetically
into ten question-row slots per question. Company question C is answered per mineral slot.
2.1 adds the requester's product number and name to the Product List.
"""

from __future__ import annotations

from dataclasses import replace

from ...models.declaration import TemplateKind
from .base import (
    RESPONSE_RATE,
    YES_NO,
    YES_NO_UNKNOWN,
    CompanyQuestion,
    Layout,
    ListSheet,
    MineralQuestion,
    MineralSlots,
)
from .cmrt import COMPANY_CELLS as CMRT_COMPANY_CELLS
from .cmrt import LOOKUP, PRODUCT_LIST, SCOPES, SMELTER_LIST

__all__ = ["EMRT_1", "EMRT_2_0", "EMRT_2_1", "LAYOUTS"]

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

EMRT_1_MINERALS = ("Cobalt", "Mica")
EMRT_1_C_MICA = ("Yes", "Yes, when more processors are validated", "No")

EMRT_1 = Layout(
    name="emrt-1",
    kind=TemplateKind.EMRT,
    versions=("1.0", "1.1", "1.11", "1.2", "1.3"),
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
        MineralQuestion("5", (50, 51), RESPONSE_RATE, numeric_literals={1.0: "100%"}),
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
)
"""EMRT 1.x (cobalt and mica). Cells read from the 1.1, 1.11, 1.2 and 1.3 workbooks: the
company block sits where the CMRT's does; question 3 offers "DRC only" for cobalt and "India
and/or Madagascar only" for mica; question 4 (recycled or scrap) asks about cobalt only."""

LAYOUTS = (EMRT_1, EMRT_2_0, EMRT_2_1)
