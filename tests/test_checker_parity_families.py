"""Checker parity for the EMRT, CRT and AMRT families, on real blank templates and on
variants generated from them.

Every real template under ``reference/emrt`` is recalculated as it is. Then one blank
workbook per Checker table (EMRT 1.3 and 1.11, EMRT 2.1, CRT 2.21, AMRT 1.21 and 1.3) is
filled completely from its layout (two minerals, every question answered, a smelter row per
mineral), and variants are derived from the fill: every answered cell the Checker checks
cleared in turn, each non-"Yes" answer of question 1 and 2 chosen, and the family's
conditional branches (scope B without products, scope C without description, a URL
missing, "Other" minerals without a name, a third mineral without answers, smelter rows
missing or incomplete). For each, the items LibreOffice counts as open must equal the
``checker_item`` of our Checker findings. Variants are written with the library's own cell
patcher, so LibreOffice and our rules judge the very same file.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from mineral_compliance.findings import Basis
from mineral_compliance.oracle import CheckerResult, run_checker
from mineral_compliance.rules import validate_file
from mineral_compliance.templates._xlsx import CellInput, patch_cells
from mineral_compliance.templates.layouts import LAYOUTS
from mineral_compliance.templates.layouts.base import Layout

from .conftest import REFERENCE, UNO_PYTHON, needs_libreoffice, needs_reference, reference_files

pytestmark = [needs_reference, needs_libreoffice]

EMRT = REFERENCE / "emrt"
BASES = {  # one blank workbook per Checker table
    "emrt-1.1": ("RMI_EMRT_1.11.xlsx", ()),
    "emrt-1.2": ("RMI_EMRT_1.3.xlsx", ()),
    "emrt-2.1": ("RMI_EMRT_2.1.xlsx", ("Cobalt", "Lithium")),
    "crt-2": ("RMI_CRT_2.21.xlsx", ()),
    "amrt-1.2": ("RMI_AMRT_1.2.1_(Security C) (1).xlsx", ("Silver", "Zinc")),
    "amrt-1.3": ("RMI_AMRT_1.3.xlsx", ("Palladium", "Zinc")),
}
URL = "https://www.example.com/responsible-sourcing"
EFFECTIVE_DATE = dt.date(2025, 12, 9)
PROCESSES = min(4, os.cpu_count() or 1)


def _layout(name: str) -> Layout:
    return next(layout for layout in LAYOUTS if layout.name == name)


def _yes(choices: tuple[str, ...]) -> str:
    return "Yes" if "Yes" in choices else choices[0]


def _selection(layout: Layout, minerals: tuple[str, ...]) -> dict[str, CellInput]:
    """Selector edits choosing exactly ``minerals``. EMRT 2.x gives each mineral its own cell
    (pre-filled in the blank template, "(Delete X)" to drop it); the AMRT takes them in
    order, and some blank AMRT files come pre-filled, so every other cell is emptied."""
    slots = layout.minerals
    edits: dict[str, CellInput] = {}
    for i, cell in enumerate(slots.selector_cells):
        ref = f"{slots.selector_sheet}!{cell}"
        if slots.deselect:
            mineral = slots.choices[i]
            edits[ref] = mineral if mineral in minerals else slots.deselect[i]
        else:
            edits[ref] = minerals[i] if i < len(minerals) else None
    return edits


def _fill(layout: Layout, minerals: tuple[str, ...]) -> dict[str, CellInput]:
    """Edits that answer everything the Checker of ``layout`` can ask for, for two minerals
    in scope (scope A, so no product list)."""
    d = layout.declaration_sheet
    cells = layout.company_cells
    edits: dict[str, CellInput] = {
        f"{d}!{cells['name']}": "Example Components Ltd",
        f"{d}!{cells['scope']}": layout.scope_choices[0],
        f"{d}!{cells['contact_name']}": "Compliance Desk",
        f"{d}!{cells['contact_email']}": "compliance@example.com",
        f"{d}!{cells['contact_phone']}": "+1 555 0100",
        f"{d}!{cells['authorizer']}": "Head of Compliance",
        f"{d}!{cells['authorizer_email']}": "head.compliance@example.com",
        f"{d}!{cells['effective_date']}": EFFECTIVE_DATE,
    }
    slots = layout.minerals
    in_scope = slots.fixed or minerals
    edits.update(_selection(layout, minerals))
    for q in layout.questions:
        for i, row in enumerate(q.rows[: len(in_scope)]):
            choices = q.slot_choices[i] if q.slot_choices else q.choices
            edits[f"{d}!{q.answer_col}{row}"] = _yes(choices)
    for cq in layout.company_questions:
        rows = cq.per_mineral_rows[: len(in_scope)] if cq.per_mineral_rows else ()
        for row in rows:
            edits[f"{d}!D{row}"] = _yes(cq.choices)
        if not rows:
            edits[f"{d}!{cq.cell}"] = _yes(cq.choices)
        if cq.comment_cell:
            edits[f"{d}!{cq.comment_cell}"] = URL
    sl = layout.smelter_list
    for i, mineral in enumerate(in_scope):
        row = sl.first_row + i
        cols = sl.columns
        edits[f"{sl.sheet}!{cols['metal']}{row}"] = mineral
        if "lookup_name" in cols:
            edits[f"{sl.sheet}!{cols['lookup_name']}{row}"] = layout.not_listed
        edits[f"{sl.sheet}!{cols['name_input']}{row}"] = f"Example {mineral} Refinery"
        edits[f"{sl.sheet}!{cols['country']}{row}"] = "PERU"
    return edits


def _variants(layout: Layout, fill: dict[str, CellInput],
              minerals: tuple[str, ...]) -> dict[str, dict[str, CellInput]]:
    """Named edits on top of the complete fill, each exercising one Checker item or branch."""
    d = layout.declaration_sheet
    cells = layout.company_cells
    spec = layout.checker
    assert spec is not None
    out: dict[str, dict[str, CellInput]] = {"complete": {}}
    hidden_questions: set[str | None] = set()
    for item in spec.items:
        if item.key in fill:
            out[f"clear-{item.key.split('!')[1]}"] = {item.key: None}
        elif item.hidden and item.question not in hidden_questions:
            # one hidden row per question: the template's own "No" there, removed
            hidden_questions.add(item.question)
            out[f"clear-{item.key.split('!')[1]}"] = {item.key: None}
    out["contact-email-without-at"] = {f"{d}!{cells['contact_email']}": "compliance.example"}
    out["scope-b-without-products"] = {f"{d}!{cells['scope']}": layout.scope_choices[1]}
    out["scope-c-without-description"] = {f"{d}!{cells['scope']}": layout.scope_choices[2]}
    out["scope-c-with-description"] = {f"{d}!{cells['scope']}": layout.scope_choices[2],
                                       f"{d}!{cells['scope_description']}": "Connectors"}
    for q in layout.questions[:2]:
        ref = f"{d}!{q.answer_col}{q.rows[0]}"
        choices = q.slot_choices[0] if q.slot_choices else q.choices
        for answer in choices:
            if answer != fill[ref]:
                out[f"q{q.key}-first-{answer}"] = {ref: answer}
    for cq in layout.company_questions:
        if cq.comment_cell:
            out[f"company-{cq.key}-no-comment"] = {f"{d}!{cq.comment_cell}": None}
        other = [c for c in cq.choices if "other format" in c.casefold()]
        if other and cq.comment_cell:
            out[f"company-{cq.key}-other-format-undescribed"] = {
                f"{d}!{cq.cell}": other[0], f"{d}!{cq.comment_cell}": None}
    sl = layout.smelter_list
    first = sl.first_row
    out["first-smelter-row-removed"] = {
        f"{sl.sheet}!{col}{first}": None for col in sl.columns.values()}
    out["unlisted-row-without-country"] = {f"{sl.sheet}!{sl.columns['country']}{first}": None}
    out["unlisted-row-without-name"] = {f"{sl.sheet}!{sl.columns['name_input']}{first}": None}
    slots = layout.minerals
    if slots.selector_cells:
        extra = next((c for c in slots.choices if c not in minerals), "Tin")
        out["third-mineral-unanswered"] = _selection(layout, (*minerals, extra))
        out["second-mineral-removed"] = _selection(layout, minerals[:1])
        out["no-mineral-selected"] = _selection(layout, ())
    if slots.other_choice:
        sel = f"{slots.selector_sheet}!{slots.selector_cells[2]}"
        name = f"{slots.selector_sheet}!{slots.other_cells[2]}"
        out["other-mineral-unnamed"] = {sel: slots.other_choice}
        out["other-mineral-named"] = {sel: slots.other_choice, name: "Vanadium"}
    return out


def _ours(path: Path | str) -> list[str]:
    report = validate_file(path)
    return sorted({f.checker_item for f in report.findings
                   if f.basis is Basis.CHECKER and f.checker_item})


def _cases() -> list[tuple[str, Path, dict[str, CellInput], str | None]]:
    """(name, source, edits, variant) for every real file and generated variant."""
    cases: list[tuple[str, Path, dict[str, CellInput], str | None]] = [
        (p.name, p, {}, None) for p in reference_files("emrt", "RMI_*.xlsx")]
    if not EMRT.is_dir():
        return cases
    for layout_name, (file, minerals) in BASES.items():
        layout = _layout(layout_name)
        fill = _fill(layout, minerals)
        for variant, edits in _variants(layout, fill, minerals).items():
            cases.append((f"{layout_name}:{variant}", EMRT / file, {**fill, **edits}, variant))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CheckerResult]:
    """Every variant is written once (cells patched into a copy of the blank template); then
    LibreOffice and our rules judge those very files."""
    out = tmp_path_factory.mktemp("family-variants")
    paths = [patch_cells(src, edits, out / f"{i:03d}.xlsx") if edits else src
             for i, (_, src, edits, _) in enumerate(CASES)]
    results = run_checker(paths, python=UNO_PYTHON, processes=PROCESSES)
    assert len(results) == len(paths)
    return {name: result for (name, *_), result in zip(CASES, results, strict=True)}


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_checker_items_agree(name: str, oracle: dict[str, CheckerResult]) -> None:
    result = oracle[name]
    assert result.error is None, result.error
    assert result.total == len(result.open_keys())  # the sheet's own total agrees
    assert _ours(result.source) == result.open_keys()


@pytest.mark.parametrize("layout_name", list(BASES))
def test_fill_is_complete_and_clearing_a_required_cell_opens_its_item(
        layout_name: str, oracle: dict[str, CheckerResult]) -> None:
    """The variants exercise what they name: the complete fill leaves nothing open, and
    clearing any cell the Checker requires under the fill opens exactly that cell's item
    (or, for an e-mail, its item and nothing unrelated)."""
    complete = oracle.get(f"{layout_name}:complete")
    if complete is None:
        pytest.skip("no variants without the reference templates")
    assert complete.open_keys() == []
    required = {i.key for i in complete.items if i.required and i.counted}
    cleared = 0
    for name, result in oracle.items():
        prefix = f"{layout_name}:clear-"
        if not name.startswith(prefix):
            continue
        key = f"Declaration!{name[len(prefix):]}"
        if key in required:
            assert key in result.open_keys(), name
            cleared += 1
    assert cleared >= 10
