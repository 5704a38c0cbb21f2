"""Checker parity for the EMRT, CRT and AMRT families, on real blank templates and on
variants generated from them.

Every real EMRT, CRT and AMRT workbook under ``../shared/reference`` (found by content, so a
new release is picked up whatever it is called) is recalculated as it is. Then one blank
workbook per Checker table (EMRT 1.3 and 1.11, EMRT 2.1, CRT 2.21, AMRT 1.21 and 1.3) is
filled completely from its layout (two minerals, every question answered, a smelter row per
mineral), and variants are derived from the fill: every answered cell the Checker checks
cleared in turn, each non-"Yes" answer of question 1 and 2 chosen, and the family's
conditional branches (scope B without products, scope C without description, a URL
missing, "Other" minerals without a name, a third mineral without answers, smelter rows
missing or incomplete). For each, the items LibreOffice counts as open must equal the
``checker_item`` of our Checker findings.

Our rules read each variant as the library's own cell patcher writes it. LibreOffice makes
the same edits in each blank workbook it has loaded (one load per base and process, not one
per variant) and the checks of ``_parity`` hold the two to the same content: every edited
cell holds in LibreOffice what our reader reads in the patched file; for each base the
complete fill, the middle and the last variant (and any variant putting a number, a date or
a boolean, or emptying a cell the blank template itself fills) are also judged by
LibreOffice loading the patched file itself, and must come out item for item as in place;
and each blank workbook, judged before and after its variants, shows nothing of them left.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from mineral_compliance.findings import Basis
from mineral_compliance.rules import validate_file
from mineral_compliance.templates._xlsx import CellInput
from mineral_compliance.templates.layouts import LAYOUTS
from mineral_compliance.templates.layouts.base import Layout

from .._workbooks import fill, real_template, reference_templates, selection
from ..conftest import REFERENCE, needs_libreoffice, needs_reference
from ._parity import (
    Case,
    Judged,
    assert_in_place_is_loaded,
    assert_same_content,
    assert_undone,
    cross_checked,
    empty_what_the_base_holds,
    judge,
)

pytestmark = [needs_reference, needs_libreoffice]

EMRT = REFERENCE / "emrt"
BASES: dict[str, tuple[Path, tuple[str, ...]]] = {  # one blank workbook per Checker table
    "emrt-1.1": (EMRT / "RMI_EMRT_1.11.xlsx", ()),
    "emrt-1.2": (EMRT / "RMI_EMRT_1.3.xlsx", ()),
    "emrt-2.1": (EMRT / "RMI_EMRT_2.1.xlsx", ("Cobalt", "Lithium")),
    "crt-2": (EMRT / "RMI_CRT_2.21.xlsx", ()),
    "amrt-1.2": (EMRT / "RMI_AMRT_1.2.1_(Security C) (1).xlsx", ("Silver", "Zinc")),
    "amrt-1.3": (EMRT / "RMI_AMRT_1.3.xlsx", ("Palladium", "Zinc")),
}
NEW_MINERALS = {"cmrt-6.6": (), "emrt-2.11": ("Cobalt", "Lithium"),
                "amrt-1.31": ("Cadmium", "Zinc")}
"""Tables taken from published cell mappings (the 2026 releases). When a real blank workbook
of one of them is placed under ../shared/reference, whatever its name, its variants run
too."""
for _layout_name, _minerals in NEW_MINERALS.items():
    _new = next(layout for layout in LAYOUTS if layout.name == _layout_name)
    _real = next((p for v in _new.versions if (p := real_template(v, _new.kind.value))), None)
    if _real is not None:
        BASES[_layout_name] = (_real, _minerals)
EFFECTIVE_DATE = dt.date(2025, 12, 9)
PROCESSES = min(4, os.cpu_count() or 1)


def _layout(name: str) -> Layout:
    return next(layout for layout in LAYOUTS if layout.name == name)


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
        out["third-mineral-unanswered"] = selection(layout, (*minerals, extra))
        out["second-mineral-removed"] = selection(layout, minerals[:1])
        out["no-mineral-selected"] = selection(layout, ())
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


def _cases() -> list[Case]:
    """Every real file, then every generated variant (named ``layout:variant``)."""
    cases = [Case(f.path.name, f.path) for f in reference_templates() if f.kind != "CMRT"]
    if not EMRT.is_dir():
        return cases
    for layout_name, (path, minerals) in BASES.items():
        layout = _layout(layout_name)
        filled = fill(layout, minerals, EFFECTIVE_DATE)
        for variant, edits in _variants(layout, filled, minerals).items():
            cases.append(Case(f"{layout_name}:{variant}", path, filled, edits))
    return cases


CASES = _cases()
CROSS_CHECKED = cross_checked(CASES) | empty_what_the_base_holds(CASES)


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Judged:
    """Every variant is written once (cells patched into a copy of the blank template) for our
    rules; LibreOffice judges the same edits in place, and the cross-checked files loaded."""
    return judge(CASES, tmp_path_factory.mktemp("family-variants"), processes=PROCESSES,
                 cross_check=CROSS_CHECKED)


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_checker_items_agree(name: str, oracle: Judged) -> None:
    verdict = oracle.verdicts[name]
    result = verdict.result
    assert result.error is None, result.error
    assert result.total == len(result.open_keys())  # the sheet's own total agrees
    assert _ours(verdict.path) == result.open_keys()
    assert_same_content(verdict)


@pytest.mark.parametrize("name", sorted(CROSS_CHECKED))
def test_the_patched_file_loaded_is_judged_as_in_place(name: str, oracle: Judged) -> None:
    assert_in_place_is_loaded(oracle.verdicts[name])


@pytest.mark.parametrize("base", sorted({c.base.name for c in CASES if c.edits}))
def test_edits_in_place_leave_the_base_as_loaded(base: str, oracle: Judged) -> None:
    assert_undone(*oracle.undone[base])


@pytest.mark.parametrize("layout_name", list(BASES))
def test_fill_is_complete_and_clearing_a_required_cell_opens_its_item(
        layout_name: str, oracle: Judged) -> None:
    """The variants exercise what they name: the complete fill leaves nothing open, and
    clearing any cell the Checker requires under the fill opens exactly that cell's item
    (or, for an e-mail, its item and nothing unrelated)."""
    verdict = oracle.verdicts.get(f"{layout_name}:complete")
    if verdict is None:
        pytest.skip("no variants without the reference templates")
    complete = verdict.result
    assert complete.open_keys() == []
    required = {i.key for i in complete.items if i.required and i.counted}
    cleared = 0
    for name, other in oracle.verdicts.items():
        prefix = f"{layout_name}:clear-"
        if not name.startswith(prefix):
            continue
        key = f"Declaration!{name[len(prefix):]}"
        if key in required:
            assert key in other.result.open_keys(), name
            cleared += 1
    assert cleared >= 10
