"""Render the layout tables as a Markdown reference (``docs/layouts.md``).

An auditor asking "which cell did this value come from?" can read the answer here; the page
is generated from the same tables the reader walks, and a test fails when it is stale.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..fingerprint import fingerprint
from . import LAYOUTS
from .base import Layout, ListSheet

__all__ = ["render_layouts"]


def _span(rows: tuple[int, ...], col: str) -> str:
    if not rows:
        return "-"
    if len(rows) > 1 and rows == tuple(range(rows[0], rows[-1] + 1)):
        return f"{col}{rows[0]}:{col}{rows[-1]}"
    return ", ".join(f"{col}{r}" for r in rows)


def _list_sheet(title: str, spec: ListSheet | None) -> Iterable[str]:
    if spec is None:
        return
    end = ""
    if spec.footer_text:
        end = f", ending at the first cell starting with {spec.footer_text!r}"
    yield f"**{title}** (`{spec.sheet}`, data from row {spec.first_row}{end}): " + ", ".join(
        f"{field} `{col}`" for field, col in spec.columns.items()
    )
    yield ""


def _layout(layout: Layout) -> Iterable[str]:
    yield f"## {layout.kind.value} {', '.join(layout.versions)} (`{layout.name}`)"
    yield ""
    for reissue, original in layout.reissues.items():
        yield f"{reissue} is {original} re-issued without the RMI logo, with the same cells."
        yield ""
    if not layout.from_workbook:
        yield ("Taken from cell mappings published by others; not yet checked against the "
               "workbook itself (see the README).")
        yield ""
    yield f"Sheets required: {', '.join(f'`{s}`' for s in layout.required_sheets)}. " \
          f"Version cell `{layout.declaration_sheet}!{layout.version_cell}`, " \
          f"language cell `{layout.language_cell}`."
    yield ""
    yield f"**Company** (`{layout.declaration_sheet}`): " + ", ".join(
        f"{field} `{ref}`" for field, ref in layout.company_cells.items()
    )
    yield ""
    if layout.checker is not None:
        spec = layout.checker
        low = f"{'from' if spec.date_min_inclusive else 'after'} {spec.date_min:%d %b %Y}"
        high = f" to {spec.date_max:%d %b %Y}" if spec.date_max else ", no upper bound"
        yield f"**Effective date** accepted: {low}{high}."
        yield ""
    slots = layout.minerals
    if slots.fixed:
        yield f"**Minerals** (fixed question rows, in order): {', '.join(slots.fixed)}"
    else:
        how = "any text" if slots.free_text and not slots.choices else (
            ", ".join(f"`{c}`" for c in slots.choices)
        )
        yield (f"**Minerals** chosen in {', '.join(f'`{c}`' for c in slots.selector_cells)}"
               f" ({how}); sorted into the question rows"
               + (f"; `{slots.other_choice}` takes the name in the cell two rows below"
                  if slots.other_choice else "")
               + (f"; the template's own sorted list sits in `{slots.sorted_cells[0]}:"
                  f"{slots.sorted_cells[-1]}`" if slots.sorted_cells else "")
               + (f"; the drop-down list's literals sit in `{slots.list_range}`"
                  if slots.list_range else ""))
    yield ""
    yield "| question | answer cells | comment column | allowed answers |"
    yield "|---|---|---|---|"
    for q in layout.questions:
        choices = "; ".join(q.choices)
        if q.slot_choices:
            choices = " / ".join("; ".join(c) for c in q.slot_choices) + " (per row)"
        for number, literal in q.numeric_literals.items():
            choices += f" (the number {number:g} reads as {literal})"
        yield f"| {q.key} | {_span(q.rows, q.answer_col)} | {q.comment_col} | {choices} |"
    for cq in layout.company_questions:
        cells = _span(cq.per_mineral_rows, cq.answer_col) if cq.per_mineral_rows else cq.cell
        choices = "; ".join(cq.choices)
        if cq.slot_choices:
            choices = " / ".join("; ".join(c) for c in cq.slot_choices) + " (per row)"
        comment = (_span(cq.per_mineral_rows, cq.comment_col) if cq.per_mineral_rows
                   else cq.comment_cell or "-")
        yield f"| {cq.key} | {cells} | {comment} | {choices} |"
    yield ""
    yield from _list_sheet("Smelter List", layout.smelter_list)
    yield from _list_sheet("Product List", layout.product_list)
    yield from _list_sheet("Mine List", layout.mine_list)
    yield from _list_sheet("Minerals Scope", layout.minerals_scope)
    if layout.lookup is not None:
        yield from _list_sheet(
            "Smelter Look-up",
            ListSheet(layout.lookup.sheet, layout.lookup.first_row, 0, layout.lookup.columns),
        )
    yield from _fingerprint(layout)


def _fingerprint(layout: Layout) -> Iterable[str]:
    parts = []
    for group in fingerprint(layout).groups:
        sheet = group[0].sheet
        cells: dict[str, list[str]] = {}
        for p in group:
            cells.setdefault(p.expect, []).append(p.cell)
        if "header" in cells:
            heads = cells["header"]
            shown = f"{heads[0]} to {heads[-1]}" if len(heads) > 2 else " and ".join(heads)
            parts.append(f"`{sheet}` a header in each of {shown}, none in "
                         f"{', '.join(cells.get('no-header', []))}")
        elif "marker" in cells:
            parts.append(f"`{sheet}` question labels in {', '.join(cells['marker'])}")
        elif "total" in cells:
            parts.append(f"`{sheet}` the total in {cells['total'][0]}, alone on its row and "
                         "last")
    yield ("**Structure fingerprint** (checked on every file; a later release is read with "
           "this table only when all of it matches): " + "; ".join(parts) + ".")
    yield ""


def render_layouts() -> str:
    """The Markdown text of ``docs/layouts.md``."""
    lines = [
        "# Where each value is read from",
        "",
        "Generated from the reader's layout tables (`python scripts/export_docs.py`); do not",
        "edit by hand. Every value in a `Declaration` carries its own sheet and cell as well.",
        "",
    ]
    for layout in LAYOUTS:
        lines.extend(_layout(layout))
    return "\n".join(lines).rstrip("\n") + "\n"
