"""CRT 2.2 layout (Cobalt Reporting Template, RMI; superseded by the EMRT).

Read from the 2.2 (October 2020) and 2.21 workbooks, whose input cells are identical (2.21 still
prints "Revision 2.2" in its revision cell). Cobalt only: six questions, one answer row each,
and company questions A to I. The company block sits where the CMRT's does.
"""

from __future__ import annotations

from ...models.declaration import TemplateKind
from .base import (
    RESPONSE_RATE,
    YES_NO,
    YES_NO_UNKNOWN,
    CompanyQuestion,
    Layout,
    MineralQuestion,
    MineralSlots,
)
from .cmrt import COMPANY_CELLS, LOOKUP, PRODUCT_LIST, SCOPES, SMELTER_LIST

__all__ = ["CRT_2", "LAYOUTS"]


def _cq(key: str, row: int, choices: tuple[str, ...]) -> CompanyQuestion:
    return CompanyQuestion(key, f"D{row}", choices, comment_cell=f"G{row}")


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
        MineralQuestion("4", (44,), RESPONSE_RATE, numeric_literals={1.0: "100%"}),
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
)

LAYOUTS = (CRT_2,)
