"""CMRT 6.x layouts (Conflict Minerals Reporting Template, RMI).

Cell positions were read from the official workbooks 6.01 to 6.5; they are identical across the
6.x line for the Declaration, Smelter List and Product List inputs, until 6.6 adds the
requester's columns to the Product List. What differs between
releases is data (dropdown literals, the Smelter Look-up snapshot, the effective-date bounds),
so the tables differ only where the data does, by :func:`dataclasses.replace`.
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
    LookupSheet,
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
    decl,
    placed,
    products_item,
    rows_from,
    unlisted_item,
    url_item,
)

__all__ = ["CMRT_6_0", "CMRT_6_3", "CMRT_6_6", "LAYOUTS"]

METALS = ("Tantalum", "Tin", "Gold", "Tungsten")
"""Metal order of the per-metal question rows (and the Smelter List metal literals)."""

SCOPES = (
    "A. Company",
    "B. Product (or List of Products)",
    "C. User defined [Specify in 'Description of scope']",
)

COMPANY_CELLS = {
    "name": "D8",
    "scope": "D9",
    "scope_description": "D10",
    "unique_id": "D12",
    "id_authority": "D13",
    "address": "D14",
    "contact_name": "D15",
    "contact_email": "D16",
    "contact_phone": "D17",
    "authorizer": "D18",
    "authorizer_title": "D19",
    "authorizer_email": "D20",
    "authorizer_phone": "D21",
    "effective_date": "D22",
}


def _q(key: str, first_row: int, choices: tuple[str, ...], **kw: object) -> MineralQuestion:
    return MineralQuestion(key, tuple(range(first_row, first_row + 4)), choices, **kw)  # type: ignore[arg-type]


QUESTIONS = (
    _q("1", 26, YES_NO),
    _q("2", 32, YES_NO),
    _q("3", 38, YES_NO_UNKNOWN),
    _q("4", 44, YES_NO_UNKNOWN),
    _q("5", 50, YES_NO_UNKNOWN),
    _q("6", 56, RESPONSE_RATE, numeric_literals={1.0: "100%"}, stores_numbers=True),
    _q("7", 62, YES_NO),
    _q("8", 68, YES_NO),
)

COMPANY_E = (
    "Yes, in conformance with IPC1755 (e.g., CMRT)",
    "Yes, using other format (describe)",
    "No",
)
COMPANY_H = (
    "Yes, with the SEC",
    "Yes, with the EU",
    "Yes, with the SEC and the EU",
    "No",
)


def _cq(key: str, row: int, choices: tuple[str, ...]) -> CompanyQuestion:
    return CompanyQuestion(key, f"D{row}", choices, comment_cell=f"G{row}")


COMPANY_QUESTIONS = (
    _cq("A", 75, YES_NO),
    _cq("B", 77, YES_NO),
    _cq("C", 79, YES_NO),
    _cq("D", 81, YES_NO),
    _cq("E", 83, COMPANY_E),
    _cq("F", 85, YES_NO),
    _cq("G", 87, YES_NO),
    _cq("H", 89, COMPANY_H),
)

SMELTER_LIST = ListSheet(
    sheet="Smelter List",
    first_row=5,
    last_row=2504,
    columns={
        "smelter_id_input": "A",
        "metal": "B",
        "lookup_name": "C",
        "name_input": "D",
        "country": "E",
        "smelter_id": "F",
        "id_source": "G",
        "street": "H",
        "city": "I",
        "state_province": "J",
        "contact_name": "K",
        "contact_email": "L",
        "next_steps": "M",
        "mine_names": "N",
        "mine_countries": "O",
        "recycled_scrap": "P",
        "comments": "Q",
    },
)

PRODUCT_LIST = ListSheet(
    sheet="Product List",
    first_row=6,
    last_row=2005,
    columns={"number": "B", "name": "C", "comments": "D"},
    footer_text="\u00a9",
)

LOOKUP = LookupSheet(
    sheet="Smelter Look-up",
    first_row=5,
    columns={
        "metal": "A",
        "lookup_name": "B",
        "standard_name": "C",
        "country": "D",
        "smelter_id": "E",
        "source": "F",
        "street": "G",
        "city": "H",
        "state_province": "I",
    },
)

RMI_DATE_MIN = dt.date(2006, 12, 31)
"""Lower bound of every 6.x effective-date validation (serial 39082)."""

def _checker_items() -> tuple[CheckItem, ...]:
    """CMRT 6.x Checker: Q1 for every metal; Q2 unless Q1 is "No", counted only when Q1 is
    "Yes"; Q3 to Q8 unless Q1 or Q2 is "No", counted only when both are "Yes"; company
    questions once any metal's Q3 is required; B "Yes" needs a URL; each in-scope metal needs
    a Smelter List row with a look-up choice; "Smelter not listed" rows need name and
    country."""
    items = company_items(COMPANY_CELLS)
    q3_keys: list[str] = []
    for i, metal in enumerate(METALS):
        q1, q2 = f"D{26 + i}", f"D{32 + i}"
        yes1, yes2 = Equals(q1, ("Yes",)), Equals(q2, ("Yes",))
        no1, no2 = Equals(q1, ("No",)), Equals(q2, ("No",))
        items.append(CheckItem(decl(q1), "answer", ALWAYS, Filled(q1), "1", metal))
        items.append(CheckItem(decl(q2), "answer", Not(no1), AllOf((yes1, Filled(q2))), "2",
                               metal, note="question 2 counts only once question 1 is 'Yes'"))
        for q in QUESTIONS[2:]:
            ref = f"D{q.rows[i]}"
            items.append(CheckItem(
                decl(ref), "answer", Not(AnyOf((no1, no2))), AllOf((yes1, yes2, Filled(ref))),
                q.key, metal,
                note=f"question {q.key} counts only once questions 1 and 2 are both 'Yes'"))
        q3_keys.append(decl(f"D{38 + i}"))
    in_scope = AnyOf(tuple(Required(k) for k in q3_keys))
    for cq in COMPANY_QUESTIONS:
        items.append(CheckItem(decl(cq.cell), "company-answer", in_scope, Filled(cq.cell),
                               cq.key))
        if cq.key == "B":
            items.append(url_item("B", "D77", "G77"))
    items.append(products_item())
    for metal, key in zip(METALS, q3_keys, strict=True):
        items.append(CheckItem(f"Smelter List - {metal}", "smelters", Required(key),
                               SmelterRowsFor(metal), mineral=metal))
    items.append(unlisted_item())
    return placed(items, *_checker_rows())


def _checker_rows() -> list[dict[str, int]]:
    """Where each item sits on the Checker sheet (identical in 6.01 to 6.5): the company
    block from row 4, each question's four metal rows five rows apart from row 14, the
    company questions from row 54 (row 61 is empty), then the lists."""
    c = COMPANY_CELLS
    return [
        rows_from(4, *company_keys(c, "name", "scope", "scope_description"),
                  *company_keys(c), *company_keys(c, "effective_date")),
        *(rows_from(14 + 5 * k, *(decl(f"D{r}") for r in q.rows))
          for k, q in enumerate(QUESTIONS)),
        rows_from(54, *map(decl, ("D75", "D77", "G77", "D79", "D81", "D83", "D85")), None,
                  decl("D87"), decl("D89"), "Product List",
                  *(f"Smelter List - {m}" for m in METALS), "Smelter not listed"),
    ]


CHECKER = CheckerSpec(
    items=_checker_items(),
    date_min=RMI_DATE_MIN,
    date_min_inclusive=True,
    date_max=dt.date(2026, 3, 31),
    total_cell="H70",
)

CMRT_6_0 = Layout(
    name="cmrt-6.0",
    kind=TemplateKind.CMRT,
    versions=("6.0", "6.01", "6.1", "6.2", "6.21", "6.22"),
    required_sheets=("Declaration", "Smelter List", "Product List"),
    company_cells=COMPANY_CELLS,
    scope_choices=SCOPES,
    minerals=MineralSlots(fixed=METALS),
    questions=QUESTIONS,
    company_questions=COMPANY_QUESTIONS,
    smelter_list=SMELTER_LIST,
    metal_choices=METALS,
    product_list=PRODUCT_LIST,
    lookup=LOOKUP,
    roles=QuestionRoles(recycled="5", identified="7", covered_countries="3", cahra="4",
                        response_rate="6", reported="8"),
    checker=CHECKER,
)
"""CMRT 6.0 to 6.22: the effective date must lie between 31 Dec 2006 and 31 Mar 2026."""

CMRT_6_3 = replace(
    CMRT_6_0,
    name="cmrt-6.3",
    versions=("6.3", "6.31", "6.4", "6.5"),
    questions=tuple(replace(q, stores_numbers=False) for q in QUESTIONS),
    checker=replace(CHECKER, date_min_inclusive=False, date_max=None),
)
"""CMRT 6.3 to 6.5: same cells; the effective date must only be after 31 Dec 2006, and the
response-rate list holds "100%" as text."""

CMRT_6_6 = replace(
    CMRT_6_3,
    name="cmrt-6.6",
    versions=("6.6", "6.6.1"),
    reissues={"6.6.1": "6.6"},
    from_workbook=False,
    product_list=ListSheet(
        sheet="Product List",
        first_row=6,
        # [inferred] The last data row of the 6.6 Product List is not published; the 6.5
        # bound is kept, and the copyright footer ends the list wherever it sits.
        last_row=2005,
        columns={"number": "B", "name": "C", "requester_number": "D", "requester_name": "E",
                 "comments": "F"},
        footer_text="\u00a9",
    ),
)
"""CMRT 6.6 (April 2026) and its re-issue without the RMI logo, 6.6.1. Not read from the
workbooks, which were not available: taken from the cell mappings a public template editor
derives from them (cirscn/cm-reporting, ``excelMappings.generated.ts`` and ``excel.test.ts``
at 3bfe3bc, ``versions/6.6.ts`` at 2048be1). The Declaration, Smelter List, literals and date
rule are those of 6.5; the Product List gains the requester's product number (D) and name
(E), which moves the comments from D to F. The Checker is assumed to be 6.5's [inferred]:
its 2026 items are not published, and its one Product List item reads B6 in both."""

LAYOUTS = (CMRT_6_0, CMRT_6_3, CMRT_6_6)
