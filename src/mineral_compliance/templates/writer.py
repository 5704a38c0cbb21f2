"""Write a declaration into the user's own blank RMI workbook.

The official workbook is patched, not regenerated: only its input cells change (at the XML
level, see :func:`._xlsx.patch_cells`), so formulas, drop-down lists, styles, hidden sheets and
the Checker keep working, and the workbook asks to be recalculated in full when opened.

What is written, cell by cell, is what the declaration says the supplier (or the company)
entered: every value whose origin is an input, at the cell the target version's layout gives
for that field, as that version's literal (a response rate of "100%" goes in as the number 1
where the version's own list holds the number). Values the template derives by formula (the
smelter name, country and ID a look-up choice fills in) are left to the template's formulas.
A blank value clears a constant the template happens to hold and leaves its formulas alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from .._io.run import atomic_path
from .._words import counted
from ..errors import TemplateError
from ..models.declaration import Declaration, MineralScopeRow, MineRow, slot_key
from ..models.values import Origin, Status, Value
from ._xlsx import CellInput, open_workbook, patch_cells
from .detect import Detection, detect
from .layouts.base import Layout, ListSheet

__all__ = ["write_template"]


def _input(value: Value[str] | Value[dt.date] | None) -> CellInput:
    """What to put in the cell for a value: the normalised literal, the raw text of an
    unrecognised one, nothing for a blank or derived one."""
    if value is None or value.origin is not Origin.INPUT:
        return None
    if value.status is Status.UNRECOGNISED:
        raw = value.raw
        return raw if isinstance(raw, (str, int, float, bool)) else str(value.value)
    return value.value


class _Edits:
    def __init__(self, layout: Layout, constants: set[tuple[str, str]]) -> None:
        self.layout = layout
        self.constants = constants
        """(sheet, cell) of cells holding a constant in the blank workbook."""
        self.cells: dict[str, CellInput] = {}

    def put(self, sheet: str, ref: str, value: CellInput) -> None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if (sheet, ref) in self.constants:
                self.cells[f"{sheet}!{ref}"] = None
            return
        self.cells[f"{sheet}!{ref}"] = value


def write_template(declaration: Declaration, *, template: str | Path, out: str | Path) -> Path:
    """Fill ``template`` (a blank official RMI workbook of the declaration's family) with
    ``declaration`` and store the result at ``out`` (written to a temporary file first, then
    renamed)."""
    wb = open_workbook(template)
    found = detect(wb)
    layout = found.layout
    if found.kind is not declaration.template.kind:
        raise TemplateError(
            f"the declaration is a {declaration.template.kind.value}, the template a "
            f"{found.kind.value}", path=wb.path,
            hint=f"use a blank {declaration.template.kind.value} workbook")
    if layout.minerals.fixed and declaration.minerals != layout.minerals.fixed:
        raise TemplateError(
            f"{found.kind.value} {found.version} asks about "
            f"{', '.join(layout.minerals.fixed)}, the declaration about "
            f"{', '.join(declaration.minerals)}", path=wb.path,
            hint="use a template release with the same minerals")
    _products_fit(declaration, found, wb.path)
    constants: set[tuple[str, str]] = set()
    sheets = [layout.declaration_sheet, layout.smelter_list.sheet]
    sheets += [s.sheet for s in (layout.product_list, layout.mine_list, layout.minerals_scope)
               if s is not None]
    for sheet in sheets:
        if wb.has_sheet(sheet):
            constants |= {(sheet, c.ref) for c in wb.cells(sheet).values() if not c.formula}
    edits = _Edits(layout, constants)
    _declaration_sheet(declaration, layout, edits)
    _lists(declaration, layout, edits)
    target = Path(out)
    with atomic_path(target) as partial:  # staged when inside an output run
        patch_cells(template, edits.cells, partial)
    return target


def _declaration_sheet(decl: Declaration, layout: Layout, edits: _Edits) -> None:
    sheet = layout.declaration_sheet
    company = decl.company
    for fld, ref in layout.company_cells.items():
        edits.put(sheet, ref, _input(getattr(company, fld, None)))
    slots = layout.minerals
    if slots.selector_cells:
        _selector(decl, layout, edits)
    minerals = decl.minerals
    for q in layout.questions:
        number_for = {lit: num for num, lit in q.numeric_literals.items()}
        for slot, row in enumerate(q.rows):
            qa = decl.answers.get(slot_key(minerals, slot), {}).get(q.key)
            answer = _input(qa.answer) if qa else None
            if q.stores_numbers and isinstance(answer, str) and answer in number_for:
                answer = number_for[answer]
            edits.put(sheet, f"{q.answer_col}{row}", answer)
            edits.put(sheet, f"{q.comment_col}{row}", _input(qa.comment) if qa else None)
    for cq in layout.company_questions:
        if cq.per_mineral_rows:
            per = decl.company_mineral_answers.get(cq.key, {})
            for slot, row in enumerate(cq.per_mineral_rows):
                qa = per.get(slot_key(minerals, slot))
                edits.put(sheet, f"{cq.answer_col}{row}", _input(qa.answer) if qa else None)
                edits.put(sheet, f"{cq.comment_col}{row}", _input(qa.comment) if qa else None)
            continue
        qa = decl.company_answers.get(cq.key)
        edits.put(sheet, cq.cell, _input(qa.answer) if qa else None)
        if cq.comment_cell:
            edits.put(sheet, cq.comment_cell, _input(qa.comment) if qa else None)


def _selector(decl: Declaration, layout: Layout, edits: _Edits) -> None:
    """The mineral selector: EMRT 2.x gives each mineral its own cell, the AMRT fills its
    cells in order (an "Other" choice with the name typed beside it)."""
    slots = layout.minerals
    sheet = slots.selector_sheet or layout.declaration_sheet
    chosen = [v for v in decl.minerals_selected if not v.is_blank]
    if slots.deselect:  # one cell per mineral
        by_cell: dict[str, CellInput] = {}
        for v in chosen:
            text = str(_input(v) or v.value or "")
            for i, (mineral, drop) in enumerate(zip(slots.choices, slots.deselect,
                                                    strict=True)):
                if text.casefold() in (mineral.casefold(), drop.casefold()):
                    by_cell[slots.selector_cells[i]] = text
        for ref in slots.selector_cells:
            edits.put(sheet, ref, by_cell.get(ref))
        return
    for i, ref in enumerate(slots.selector_cells):
        pick = chosen[i] if i < len(chosen) else None
        if (pick is not None and slots.other_choice is not None
                and pick.provenance.cell in slots.other_cells):
            edits.put(sheet, ref, slots.other_choice)
            edits.put(sheet, slots.other_cells[i], _input(pick))
            continue
        edits.put(sheet, ref, _input(pick) if pick is not None else None)
        if i < len(slots.other_cells):
            edits.put(sheet, slots.other_cells[i], None)


def _placed(rows: Sequence[int], first: int, last: int, what: str) -> list[int]:
    """Target rows: the declared ones where they fit the sheet (a declaration read from a
    template keeps its row numbers), else consecutive rows from the first."""
    if len(rows) > last - first + 1:
        raise TemplateError(f"{counted(len(rows), f'{what} row')} do not fit the template's "
                            f"{last - first + 1}")
    if len(set(rows)) == len(rows) and all(first <= r <= last for r in rows):
        return list(rows)
    return list(range(first, first + len(rows)))


def _products_fit(decl: Declaration, found: Detection, path: Path) -> None:
    """Refuse a Product List the target release has no columns for (the requester's product
    number and name, from CMRT 6.6, EMRT 2.1 and AMRT 1.3 on), rather than drop it."""
    spec = found.layout.product_list
    columns = spec.columns if spec is not None else {}
    lost: dict[str, list[int]] = {}
    for p in decl.products:
        values = {"number": p.number, "name": p.name, "requester_number": p.requester_number,
                  "requester_name": p.requester_name, "comments": p.comments, **p.extra}
        for fld, value in values.items():
            if fld not in columns and _input(value) is not None:
                lost.setdefault(fld, []).append(p.row)
    if lost:
        what = "; ".join(f"{fld.replace('_', ' ')} (rows {', '.join(map(str, rows))})"
                         for fld, rows in lost.items())
        raise TemplateError(
            f"the Product List of {found.kind.value} {found.version} has no column for the "
            f"declaration's {what}", path=path,
            hint="write into a release whose Product List has these columns, or clear them")


def _lists(decl: Declaration, layout: Layout, edits: _Edits) -> None:
    sl = layout.smelter_list
    smelters = sorted(decl.smelters, key=lambda s: s.row)
    targets = _placed([s.row for s in smelters], sl.first_row, sl.last_row, "Smelter List")
    for s, row in zip(smelters, targets, strict=True):
        for fld, col in sl.columns.items():
            value = getattr(s, fld, None)
            if (fld == "smelter_id" and "smelter_id_input" in sl.columns
                    and isinstance(value, Value)
                    and value.provenance == s.smelter_id_input.provenance):
                continue  # the typed ID goes in the input column only, as the supplier typed it
            if isinstance(value, Value):
                edits.put(sl.sheet, f"{col}{row}", _input(value))
    pl = layout.product_list
    if pl is not None:
        products = sorted(decl.products, key=lambda p: p.row)
        targets = _placed([p.row for p in products], pl.first_row, pl.last_row, "Product List")
        for p, row in zip(products, targets, strict=True):
            values = {"number": p.number, "name": p.name, "requester_number": p.requester_number,
                      "requester_name": p.requester_name, "comments": p.comments, **p.extra}
            for fld, col in pl.columns.items():
                edits.put(pl.sheet, f"{col}{row}", _input(values.get(fld)))
    lists: list[tuple[ListSheet | None, Sequence[MineRow | MineralScopeRow]]] = [
        (layout.mine_list, decl.mines), (layout.minerals_scope, decl.minerals_scope)]
    for spec, items in lists:
        if spec is None or not items:
            continue
        ordered = sorted(items, key=lambda m: m.row)
        targets = _placed([m.row for m in ordered], spec.first_row, spec.last_row, spec.sheet)
        for item, row in zip(ordered, targets, strict=True):
            for fld, col in spec.columns.items():
                value = getattr(item, fld, None)
                if isinstance(value, Value):
                    edits.put(spec.sheet, f"{col}{row}", _input(value))
