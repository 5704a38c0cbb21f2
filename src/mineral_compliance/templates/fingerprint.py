"""Structure fingerprints: the few cells that prove a layout table fits a workbook.

A layout table says where each input sits; the fingerprint checks, on every file, that the
workbook is still shaped that way, so that a supplier's inserted column, a tool that re-saved
a sheet, or a release this library does not know is noticed instead of read from the wrong
cells. Every fingerprint is derived from the table itself, so a new table has one at once:

* **List sheets** (Smelter, Product and Mine List, Minerals Scope): the header row is the row
  above the first data row. Each column the table reads has a header there, and the column
  after the last one it reads has none. Header text is translated (the templates carry ten
  languages and show the one picked in the Declaration), so a header is recognised by being
  there, not by its words; and "none" means no cell of the kind the headers are: the
  templates' headers are label formulas over their hidden language sheet, while the hidden
  helper columns that follow some lists (Standard Smelter Name...) hold plain text.
* **Question markers**: column B of the row above each question's first answer row, and of
  each company question's row (the row above, for one answered per mineral), starts with a
  question number or letter and ``)`` or ``.``, as it does in every language of every release.
  The number itself is not compared: one translated label (CMRT 6.01, Korean, company
  question A) carries the wrong one.
* **The Checker**: its total (:attr:`~.layouts.base.CheckerSpec.total_cell`) holds a number,
  no item on its row, and nothing follows it; a Checker with an item more or less moves it.

Each check comes out as a match, a difference, or unverified: the file holds no value where
the template has labels (tools that write formulas without their results do that), so the
check cannot tell. A known release reports its differences as findings; a release the library
does not know is read with the nearest layout only when every check matches
(:func:`~.detect.detect`). Only the first rows of the list sheets and of the Checker are
inflated (:meth:`~._xlsx.Workbook.top_cells`), and the Declaration is the one the reader scans
anyway, so checking costs little next to reading.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from ..errors import MalformedTemplateError
from ._xlsx import RawCell, Workbook, col_to_index, index_to_col
from .layouts import Layout, ListSheet

__all__ = ["Difference", "Fingerprint", "Outcome", "Probe", "describe", "differences",
           "fingerprint"]

MARKER_COLUMN = "B"
"""Where every RMI template prints its question labels (read from each release)."""

_MARKER = re.compile(r"\s*(?:[0-9]{1,2}|[A-Z])\s*[).\uff09\uff0e]")
"""A question label's opening: "1)", "A.", or their full-width forms (Japanese labels)."""


class Outcome(StrEnum):
    MATCH = "match"
    DIFFER = "differ"
    """The workbook is shaped otherwise than the layout says, at this cell."""
    UNVERIFIED = "unverified"
    """The workbook holds no value where the check looks (labels saved without their
    results, or a sheet the layout reads missing), so it cannot tell."""


@dataclass(frozen=True)
class Probe:
    """One cell a fingerprint looks at, and what the layout expects there."""

    sheet: str
    cell: str
    expect: str
    """``header``, ``no-header``, ``marker`` or ``total``."""
    what: str
    """What the layout expects, in words ("the header of column 'metal'")."""


@dataclass(frozen=True)
class Fingerprint:
    """The probes of one layout, grouped as they are judged: a list sheet's header row, the
    Declaration's question markers, the Checker's total."""

    layout: str
    groups: tuple[tuple[Probe, ...], ...]

    @property
    def probes(self) -> tuple[Probe, ...]:
        return tuple(p for group in self.groups for p in group)


@dataclass(frozen=True)
class Difference:
    """A probe that did not match: where, what the layout expects, what the file holds."""

    sheet: str
    cell: str
    outcome: Outcome
    expected: str
    found: str

    def __str__(self) -> str:
        return (f"{self.sheet}!{self.cell} holds {self.found} where the layout expects "
                f"{self.expected}")


def _list_probes(spec: ListSheet) -> tuple[Probe, ...]:
    row = spec.first_row - 1
    by_col = sorted(spec.columns.items(), key=lambda kv: col_to_index(kv[1]))
    probes = [Probe(spec.sheet, f"{col}{row}", "header", f"the header of column {field!r}")
              for field, col in by_col]
    after = index_to_col(col_to_index(by_col[-1][1]) + 1)
    probes.append(Probe(spec.sheet, f"{after}{row}", "no-header",
                        f"no column header after column {by_col[-1][1]}"))
    return tuple(probes)


def _marker_probes(layout: Layout) -> tuple[Probe, ...]:
    sheet = layout.declaration_sheet
    probes = [Probe(sheet, f"{MARKER_COLUMN}{q.rows[0] - 1}", "marker",
                    f"the label of question {q.key}") for q in layout.questions if q.rows]
    for cq in layout.company_questions:
        row = cq.per_mineral_rows[0] - 1 if cq.per_mineral_rows else int(cq.cell[1:])
        probes.append(Probe(sheet, f"{MARKER_COLUMN}{row}", "marker",
                            f"the label of company question {cq.key}"))
    return tuple(probes)


def _build(layout: Layout) -> Fingerprint:
    groups: list[tuple[Probe, ...]] = []
    for spec in (layout.smelter_list, layout.product_list, layout.mine_list,
                 layout.minerals_scope):
        if spec is not None and spec.columns:
            groups.append(_list_probes(spec))
    markers = _marker_probes(layout)
    if markers:
        groups.append(markers)
    # where a table rests on published cell mappings, not on the workbook, the Checker
    # sheet's rows are not known: its total is not part of the proof
    if layout.checker is not None and layout.checker.total_cell and layout.from_workbook:
        groups.append((Probe("Checker", layout.checker.total_cell, "total",
                             "the Checker's total"),))
    return Fingerprint(layout.name, tuple(groups))


_CACHE: dict[int, tuple[Layout, Fingerprint]] = {}


def fingerprint(layout: Layout) -> Fingerprint:
    """The fingerprint of ``layout``, derived from the table (built once per table)."""
    hit = _CACHE.get(id(layout))
    if hit is None or hit[0] is not layout:
        hit = _CACHE[id(layout)] = (layout, _build(layout))
    return hit[1]


def differences(wb: Workbook, layout: Layout) -> tuple[Difference, ...]:
    """Every probe of ``layout``'s fingerprint that does not match ``wb``, in table order.

    A sheet whose part cannot be read makes its probes unverified: the reader reports the
    damage where it reads the sheet, and a sheet it does not read (the Checker) must not
    stop a file from being read."""
    out: list[Difference] = []
    for group in fingerprint(layout).groups:
        try:
            out.extend(list(_judge(wb, group)))
        except MalformedTemplateError as exc:
            first = group[0]
            out.append(Difference(first.sheet, first.cell, Outcome.UNVERIFIED, first.what,
                                  f"a sheet that cannot be read ({exc.message})"))
    return tuple(out)


def _split(ref: str) -> tuple[int, str]:
    col = ref.rstrip("0123456789")
    return int(ref[len(col):]), col


def _text(cell: RawCell | None) -> str | None:
    if cell is None or cell.kind == "e" or not isinstance(cell.value, str):
        return None
    return cell.value.strip() or None


def _labelled(cell: RawCell | None) -> bool:
    """A header is there: a label formula (whatever it gives: an empty label shows as 0), or
    text."""
    return cell is not None and (cell.formula or _text(cell) is not None)


def _found(cell: RawCell | None) -> str:
    if cell is None:
        return "nothing"
    if cell.kind == "e":
        return f"the error {cell.value}"
    kind = "a label formula" if cell.formula else "text"
    if isinstance(cell.value, str):
        shown = " ".join(cell.value.split())
        shown = shown if len(shown) <= 40 else shown[:39] + "\u2026"
        return f"{kind} ({shown!r})"
    return f"the value {cell.value!r}"


def _judge(wb: Workbook, group: tuple[Probe, ...]) -> Iterable[Difference]:
    sheet = group[0].sheet
    if not wb.has_sheet(sheet):
        first = group[0]
        yield Difference(sheet, first.cell, Outcome.UNVERIFIED, first.what, "no such sheet")
        return
    if group[0].expect == "total":
        yield from _judge_total(wb, group[0])
        return
    last = max(_split(p.cell)[0] for p in group)
    cells = (wb.cells(sheet) if group[0].expect == "marker"
             else wb.top_cells(sheet, last, {_split(p.cell)[1] for p in group}, first=last))

    def at(p: Probe) -> RawCell | None:
        return cells.get(_split(p.cell))

    if group[0].expect == "marker":
        yield from _judge_markers(group, at)
        return
    headers = [p for p in group if p.expect == "header"]
    present = [c for p in headers if _labelled(c := at(p))]
    labelled = any(c is not None and c.formula for c in present)
    for p in group:
        cell = at(p)
        if p.expect == "header":
            if _labelled(cell):
                continue
            outcome = Outcome.DIFFER if present else Outcome.UNVERIFIED
            yield Difference(sheet, p.cell, outcome, p.what, _found(cell))
        elif _labelled(cell):  # "no-header": the column after the last one read
            if cell is not None and cell.formula and labelled:
                yield Difference(sheet, p.cell, Outcome.DIFFER, p.what, _found(cell))
            elif not labelled:  # headers saved as plain text: a helper column looks the same
                yield Difference(sheet, p.cell, Outcome.UNVERIFIED, p.what, _found(cell))


def _judge_markers(group: tuple[Probe, ...],
                   at: Callable[[Probe], RawCell | None]) -> Iterable[Difference]:
    texts = [(p, at(p)) for p in group]
    any_text = any(_text(c) is not None for _p, c in texts)
    for p, cell in texts:
        text = _text(cell)
        if text is not None and _MARKER.match(text):
            continue
        outcome = Outcome.DIFFER if any_text else Outcome.UNVERIFIED
        yield Difference(p.sheet, p.cell, outcome, p.what, _found(cell))


def _judge_total(wb: Workbook, probe: Probe) -> Iterable[Difference]:
    row, col = _split(probe.cell)
    item_col = index_to_col(col_to_index(col) - 1)  # the item's "incomplete?" flag
    cells = wb.top_cells(probe.sheet, row + 1, (item_col, col), first=row)
    if not any(c in (col, item_col) for _r, c in cells):
        yield Difference(probe.sheet, probe.cell, Outcome.UNVERIFIED, probe.what,
                         f"no value in columns {item_col} and {col}")
        return
    total = cells.get((row, col))
    if total is None or total.kind != "n":
        yield Difference(probe.sheet, probe.cell, Outcome.DIFFER, probe.what, _found(total))
        return
    for ref in ((row, item_col), (row + 1, col), (row + 1, item_col)):
        if ref in cells:
            what = ("no Checker item on the total's row" if ref[0] == row
                    else "nothing after the Checker's total")
            yield Difference(probe.sheet, f"{ref[1]}{ref[0]}", Outcome.DIFFER, what,
                             _found(cells[ref]))
            return


def describe(found: Iterable[Difference], *, limit: int = 3) -> str:
    """The differences in words, the first ``limit`` of them and how many more."""
    items = list(found)
    text = "; ".join(str(d) for d in items[:limit])
    if len(items) > limit:
        text += f"; and {len(items) - limit} more"
    return text

