"""Read a supplier's RMI template into a :class:`~mineral_compliance.models.Declaration`.

The reader walks the layout table chosen by :mod:`.detect`; it holds no version logic of its
own. Columns the template fills by formula from the smelter ID are re-derived from the
supplier's inputs and the workbook's own Smelter Look-up, the way the template's formulas would,
because files saved by other tools carry no cached formula results (and Excel's may be stale).

The reader keeps within bounds and says where. Text cut at
:data:`~mineral_compliance._io.MAX_TEXT_CHARS` characters or holding code points no encoding
can carry, and list sheets (Smelter, Mine, Product List, Minerals Scope) read only up to
:data:`MAX_LIST_ROWS` filled rows: each becomes a
:class:`~mineral_compliance.models.declaration.ReadNote` in ``Declaration.notes``, which the
rules report.
"""

from __future__ import annotations

import functools
import gc
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import IO, ParamSpec, TypeVar

from .._io import MAX_TEXT_CHARS
from ..errors import MalformedTemplateError, MineralComplianceError
from ..models.declaration import (
    Company,
    Declaration,
    MineralOrder,
    MineralScopeRow,
    MineRow,
    PlaceholderKind,
    ProductRow,
    QuestionAnswer,
    ReadNote,
    ReadNoteCode,
    SmelterRow,
    TemplateIdentity,
    slot_key,
)
from ..models.reference import LookupEntry, SmelterReference
from ..models.rows import BLANK, Cell, RowSheet
from ..models.values import Origin, Provenance, Status, TextValue
from ._instructions import read_instructions
from ._normalise import answer_cell, clean_text, text_cell, to_answer, to_date, to_text
from ._xlsx import KnownRows, RawCell, SheetCells, Workbook, iter_rows, open_workbook
from .detect import Detection, detect
from .fingerprint import Difference, Outcome, describe, differences
from .layouts import Layout, ListSheet, LookupSheet
from .layouts.base import COMPANY_FIELDS

__all__ = ["MAX_LIST_ROWS", "read_template", "reference_from_template"]

MAX_LIST_ROWS = 10_000
"""The most filled rows read from one list sheet. The RMI templates pre-format about 2,500
Smelter List rows and 2,000 Product List rows, and their formulas and Checker look no further;
the cap is four times that, so no real declaration reaches it, while a generated file of a
million rows costs no more to read than ten thousand."""

Source = str | os.PathLike[str] | IO[bytes]
"""A workbook path (``str`` or ``os.PathLike``) or a binary file object."""


def read_template(source: Source, *, strict_version: bool = False) -> Declaration:
    """Read one supplier template (CMRT, EMRT, CRT or AMRT .xlsx).

    The family and version are detected from the workbook. Raises a
    :class:`~mineral_compliance.errors.TemplateError` subclass when the file cannot be read as a
    supported template; a supplier's odd answers never raise, they are kept and marked.

    ``source`` is a path (``str`` or ``os.PathLike``; only regular files are read, so a FIFO or
    a device is refused with :class:`~mineral_compliance.errors.NotAWorkbookError` without
    blocking) or a binary file object whose ``read`` returns bytes; either is read up to the
    100 MB cap. Anything else (a text stream, a list, a number) is a ``TypeError``.

    ``strict_version``: refuse a newer minor release of a supported major version instead of
    reading it with the newest known layout (``template.layout_assumed`` says when that happened).
    """
    return _read(source, strict_version)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _collector_paused(read: Callable[_P, _R]) -> Callable[_P, _R]:
    """``read`` run with no cycle collection. Reading allocates some ten thousand small
    objects (cells, values, models) that all live until it ends and hold no reference
    cycles: a collection started by their count alone would find nothing to free, only take
    time, so none starts while a file is read. The collector runs again as before once
    ``read`` has returned, its frame, and with it the workbook and its cells, freed: the first
    collection then looks at what the read returned, not at everything it made (0.11 to
    0.13 ms against 0.46 ms a file for a CMRT 6.4)."""
    @functools.wraps(read)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if not gc.isenabled() or not _alone():
            return read(*args, **kwargs)
        gc.disable()
        try:
            return read(*args, **kwargs)
        finally:
            gc.enable()
    return paused


@_collector_paused
def _read(source: Source, strict_version: bool) -> Declaration:
    wb = open_workbook(source)
    return _Reader(wb, detect(wb, strict_version=strict_version)).read()


def _alone() -> bool:
    """The collector is the whole process's: it is paused only by the main thread of a
    process whose other threads are daemons (a worker's, watching its parent), never while
    threads of a pool, or of the caller, may be reading or doing anything else."""
    me = threading.current_thread()
    return me is threading.main_thread() and all(
        t.daemon for t in threading.enumerate() if t is not me)


def reference_from_template(source: Source) -> SmelterReference:
    """The Smelter Look-up sheet of an RMI template as a typed reference list.

    Every row is kept (standard names and aliases alike), stamped with the template kind and
    version it came from.
    """
    return _reference_only(source)


@_collector_paused
def _reference_only(source: Source) -> SmelterReference:
    wb = open_workbook(source)
    found = detect(wb)
    reference = _reference(wb, found)
    if reference is None:
        raise MalformedTemplateError(
            f"{found.kind.value} {found.version} has no Smelter Look-up sheet",
            path=wb.path,
            hint="use a template release that ships a Smelter Look-up",
        )
    return reference


def read_with_reference(source: Source) -> tuple[Declaration, SmelterReference | None]:
    """:func:`read_template` and :func:`reference_from_template` on one opening of the
    workbook. The reference is None when the template ships no Smelter Look-up, or one that
    cannot be read: the declaration stands without it."""
    return _read_with_reference(source)


@_collector_paused
def _read_with_reference(source: Source) -> tuple[Declaration, SmelterReference | None]:
    wb = open_workbook(source)
    found = detect(wb)
    decl = _Reader(wb, found).read()
    try:
        reference = _reference(wb, found)
    except MineralComplianceError:
        reference = None
    return decl, reference


def _reference(wb: Workbook, found: Detection) -> SmelterReference | None:
    spec = found.layout.lookup
    if spec is None or not wb.has_sheet(spec.sheet):
        return None
    return SmelterReference(
        kind=found.kind,
        version=found.version,
        file=str(wb.path),
        sha256=wb.sha256,
        sheet=spec.sheet,
        entries=_lookup_entries(wb, spec),
    )


def _lookup_rows(wb: Workbook, spec: LookupSheet) -> Iterable[tuple[int, dict[str, str | None]]]:
    """(row, {field: text}) for every Look-up row that names a metal and a look-up name.

    AMRT 1.3 appends placeholder rows whose metal is a formula over the supplier's "Other"
    minerals; they are not reference data and are skipped."""
    cols = spec.columns
    cells = wb.cells(spec.sheet, columns=cols.values())
    for row, by_col in iter_rows(cells):
        if row < spec.first_row:
            continue
        metal = by_col.get(cols["metal"])
        if metal is not None and metal.formula:
            continue  # rows the template builds from the supplier's own choices, not reference
        values: dict[str, str | None] = {}
        for field, col in cols.items():
            cell = by_col.get(col)
            values[field] = None if cell is None or cell.kind == "e" else clean_text(cell.value)
        if values.get("metal") and values.get("lookup_name"):
            yield row, values


_TableKey = tuple[str, str, str, int, tuple[tuple[str, str], ...]]
"""The sheet's digest, the shared strings' digest, and how the sheet was read."""
_K = TypeVar("_K")


@dataclass
class _Table:
    """The parsed rows of one Smelter Look-up, and their models and index once asked for."""

    rows: tuple[tuple[int, dict[str, str | None]], ...]
    entries: tuple[LookupEntry, ...] | None = None
    index: _LookupIndex | None = None


_TABLES: dict[_TableKey, _Table] = {}
"""Parsed Look-ups by the bytes of their sheet (and how they were read)."""
_BY_SIGNATURE: dict[tuple[object, ...], _Table] = {}
"""The same tables by the cells their rows were read from, undecoded: a file its supplier
saved again stores the Look-up in bytes of its own (its shared strings are numbered anew),
with the same cells."""
_BY_CONTENT: dict[tuple[object, ...], _Table] = {}
"""The same tables by what their rows hold, when their cells were stored otherwise."""
_TABLES_KEPT = 8
_BY_ROWS: KnownRows[_Table] = KnownRows(_TABLES_KEPT)
"""The same tables by the stored rows their cells were first read from: most files of a
release saved again by their suppliers have the same Look-up cells in nearly the same bytes,
found without matching every cell again."""


def _lookup_table(wb: Workbook, spec: LookupSheet) -> _Table:
    """The Look-up rows of ``wb``, parsed once per distinct sheet content in this process,
    and their models built once per distinct list of rows: batches of supplier files mostly
    share a handful of template releases."""
    read_as = (spec.sheet, spec.first_row, tuple(sorted(spec.columns.items())))
    # the sheet's bytes name its cells only with the shared strings they point into
    key = (wb.sheet_digest(spec.sheet), wb.strings_digest(), *read_as)
    with _TABLES_LOCK:
        table = _TABLES.get(key)
    if table is not None:
        return table
    table = _BY_ROWS.find(wb, spec.sheet, read_as)
    if table is not None:
        with _TABLES_LOCK:
            _keep(_TABLES, key, table)
        return table
    found = wb.stored_rows(spec.sheet, spec.columns.values())
    if found is not None and len(found.signature) > _CELLS_CACHED:
        found = None
    stored = None if found is None else (read_as, found.signature)
    with _TABLES_LOCK:
        table = None if stored is None else _BY_SIGNATURE.get(stored)
    if table is None:
        rows = tuple(_lookup_rows(wb, spec))
        if len(rows) > _CELLS_CACHED // max(1, len(spec.columns)):
            return _Table(rows)  # no real Look-up is this large: not kept for later files
        content = (read_as, tuple((row, tuple(values.items())) for row, values in rows))
        with _TABLES_LOCK:
            table = _BY_CONTENT.get(content)
            if table is None:
                table = _Table(rows)
                _keep(_BY_CONTENT, content, table)
    with _TABLES_LOCK:
        if stored is not None:
            _keep(_BY_SIGNATURE, stored, table)
        _keep(_TABLES, key, table)
    if found is not None:
        _BY_ROWS.keep(read_as, found, table)
    return table


_TABLES_LOCK = threading.Lock()
"""Files read in threads side by side share the caches."""
_CELLS_CACHED = 100_000
"""The most cells of a Look-up kept for later files (a real one has some 40,000): what one
hostile file may leave in memory after its read."""


def _keep(cache: dict[_K, _Table], key: _K, table: _Table) -> None:
    """Under :data:`_TABLES_LOCK`."""
    while len(cache) >= _TABLES_KEPT:
        cache.pop(next(iter(cache)))
    cache[key] = table


def _lookup_entries(wb: Workbook, spec: LookupSheet) -> tuple[LookupEntry, ...]:
    """The Look-up rows as (immutable, shared) models."""
    table = _lookup_table(wb, spec)
    if table.entries is None:
        table.entries = tuple(LookupEntry.model_validate({"row": row, **values})
                              for row, values in table.rows)
    return table.entries


_Ref = dict[str, str | None]


@dataclass
class _LookupIndex:
    by_id: dict[str, _Ref]
    by_name: dict[tuple[str, str], _Ref]

    @classmethod
    def build(cls, rows: Iterable[tuple[int, _Ref]]) -> _LookupIndex:
        by_id: dict[str, _Ref] = {}
        by_name: dict[tuple[str, str], _Ref] = {}
        for _row, e in rows:  # the first row wins, as Excel's MATCH(..., 0) does
            metal, name, sid = e["metal"] or "", e["lookup_name"] or "", e.get("smelter_id")
            if sid:
                by_id.setdefault(sid.casefold(), e)
            by_name.setdefault((metal.casefold(), name.casefold()), e)
        return cls(by_id, by_name)


class _Reader:
    def __init__(self, wb: Workbook, found: Detection) -> None:
        self.wb = wb
        self.found = found
        self.layout: Layout = found.layout
        self.file = str(wb.path)
        self._lookup: _LookupIndex | None = None
        self._metal_choices: tuple[str, ...] = found.layout.metal_choices
        self.notes: list[ReadNote] = []
        self._noted: set[tuple[str, str]] = set()

    # -- helpers ---------------------------------------------------------------------------

    def where(self, sheet: str, ref: str | None) -> Provenance:
        return Provenance.at(self.file, sheet, ref)

    def note_repair(self, sheet: str, cell: RawCell) -> None:
        """Record what was changed in a cell's text, once per cell."""
        repair = cell.repair
        if repair is None or (sheet, cell.ref) in self._noted:
            return
        self._noted.add((sheet, cell.ref))
        where = self.where(sheet, cell.ref)
        if repair.replaced:
            self.notes.append(ReadNote(
                code=ReadNoteCode.TEXT_REPLACED, provenance=where,
                detail="characters that cannot be encoded (lone UTF-16 surrogates) were "
                "replaced by U+FFFD"))
        if repair.truncated:
            self.notes.append(ReadNote(
                code=ReadNoteCode.TEXT_TRUNCATED, provenance=where,
                detail=f"{repair.length:,} characters, cut to the first {MAX_TEXT_CHARS:,}",
                found=repair.length, kept=MAX_TEXT_CHARS))

    def lookup(self) -> _LookupIndex:
        if self._lookup is None:
            spec = self.layout.lookup
            if spec is not None and self.wb.has_sheet(spec.sheet):
                table = _lookup_table(self.wb, spec)
                if table.index is None:
                    table.index = _LookupIndex.build(table.rows)
                self._lookup = table.index
            else:
                self._lookup = _LookupIndex({}, {})
        return self._lookup

    # -- sections --------------------------------------------------------------------------

    def read(self) -> Declaration:
        layout = self.layout
        for sheet in layout.required_sheets:
            if not self.wb.has_sheet(sheet):
                raise MalformedTemplateError(
                    f"the {sheet!r} sheet of {self.found.kind.value} {self.found.version} "
                    "is missing",
                    path=self.wb.path,
                    hint="ask the supplier to use the unmodified RMI template",
                )
        decl = self.wb.cells(layout.declaration_sheet)
        sheet = layout.declaration_sheet
        if not self.found.layout_assumed:  # an assumed layout was let through only on a match
            self._note_structure()
        selected = self._selector(decl, sheet)
        if layout.minerals.fixed:
            minerals, order = layout.minerals.fixed, MineralOrder.FIXED
        else:
            minerals, order = self._selected_minerals(decl, selected)
        self._metal_choices = layout.metal_choices or minerals
        identity = TemplateIdentity(
            kind=self.found.kind,
            version=self.found.version,
            revision_text=self.found.revision_text,
            revision_date=self.found.revision_date,
            layout=layout.name,
            layout_assumed=self.found.layout_assumed,
            language=self._text(decl, sheet, layout.language_cell),
            version_source=self.found.source,
            version_note=self.found.note,
        )
        return Declaration(
            file=self.file,
            sha256=self.wb.sha256,
            template=identity,
            company=self._company(decl, sheet),
            minerals=minerals,
            minerals_selected=selected,
            minerals_order=order,
            answers=self._answers(decl, sheet, minerals),
            company_answers=self._company_answers(decl, sheet),
            company_mineral_answers=self._company_mineral_answers(decl, sheet, minerals),
            smelters=tuple(self._smelters()),
            products=tuple(self._products()),
            mines=tuple(self._mines()),
            minerals_scope=tuple(self._minerals_scope(minerals)),
            hidden_cells={
                ref: self._text(decl, sheet, ref)
                for ref in (layout.checker.hidden_cells if layout.checker else ())
            },
            checker_instructions=read_instructions(self.wb, layout, identity.language,
                                                   self.file),
            notes=tuple(self.notes),  # last: every section above adds to them
        )

    def _note_structure(self) -> None:
        """One note per sheet whose cells differ from the layout's structure fingerprint."""
        by_sheet: dict[str, list[Difference]] = {}
        for d in differences(self.wb, self.layout):
            if d.outcome is Outcome.DIFFER:
                by_sheet.setdefault(d.sheet, []).append(d)
        for sheet, found in by_sheet.items():
            self.notes.append(ReadNote(
                code=ReadNoteCode.STRUCTURE_DIFFERS,
                provenance=self.where(sheet, found[0].cell),
                detail=describe(found), found=len(found)))

    def _cell(self, cells: SheetCells, ref: str) -> RawCell | None:
        col = ref.rstrip("0123456789")
        cell = cells.get((int(ref[len(col):]), col))
        if cell is not None and cell.repair is not None:
            self.note_repair(self.layout.declaration_sheet, cell)
        return cell

    def _text(self, cells: SheetCells, sheet: str, ref: str) -> TextValue:
        return to_text(self._cell(cells, ref), self.where(sheet, ref))

    def _selector(self, decl: SheetCells, sheet: str) -> tuple[TextValue, ...]:
        """What each selector cell chooses, normalised to the mineral literals.

        An "Other" choice is replaced by the name typed for it (when there is one), so the
        tuple holds the names the template's formulas would slot.
        """
        slots = self.layout.minerals
        out = []
        for i, ref in enumerate(slots.selector_cells):
            where = self.where(sheet, ref)
            cell = self._cell(decl, ref)
            listed = (*slots.choices, *slots.deselect)
            value = to_answer(cell, where, listed) if listed else to_text(cell, where)
            if value.is_blank:
                continue
            is_other = slots.other_choice is not None and value.value == slots.other_choice
            if is_other and i < len(slots.other_cells):
                named = self._text(decl, sheet, slots.other_cells[i])
                if not named.is_blank:
                    value = named
            out.append(value)
        return tuple(out)

    def _selected_minerals(
        self, decl: SheetCells, selected: tuple[TextValue, ...]
    ) -> tuple[tuple[str, ...], MineralOrder]:
        """The minerals the selector chooses, in the order the template slots them.

        Excel compares text without regard to case and drops repeats; so does this. Entries
        that are not minerals (the EMRT ``(Delete X)`` choices, an unnamed "Other", and where
        the template takes only listed minerals, unlisted text) select nothing but stay
        visible in ``minerals_selected``.
        """
        slots = self.layout.minerals
        names: dict[str, str] = {}
        for v in selected:
            if v.value is None or v.value == slots.other_choice or v.value in slots.deselect:
                continue
            if v.is_recognised or slots.free_text:
                names.setdefault(v.value.casefold(), v.value)
        ordered = tuple(sorted(names.values(), key=lambda n: (n.casefold(), n)))
        cached = [
            text for ref in slots.sorted_cells
            if (cell := self._cell(decl, ref)) is not None and cell.kind != "e"
            and (text := clean_text(cell.value)) is not None
        ]
        folded = [c.casefold() for c in cached]
        if sorted(folded) == sorted(names) and len(set(folded)) == len(folded):
            from_workbook = tuple(names[c] for c in folded)
            if from_workbook != ordered:
                return from_workbook, MineralOrder.WORKBOOK
        return ordered, MineralOrder.SORTED

    def _company_mineral_answers(
        self, decl: SheetCells, sheet: str, minerals: tuple[str, ...]
    ) -> dict[str, dict[str, QuestionAnswer]]:
        out: dict[str, dict[str, QuestionAnswer]] = {}
        for q in self.layout.company_questions:
            if not q.per_mineral_rows:
                continue
            per: dict[str, QuestionAnswer] = {}
            for slot, row in enumerate(q.per_mineral_rows):
                a_ref, c_ref = f"{q.answer_col}{row}", f"{q.comment_col}{row}"
                choices = q.choices_for(slot)
                answer = to_answer(self._cell(decl, a_ref), self.where(sheet, a_ref), choices)
                comment = self._text(decl, sheet, c_ref)
                if slot >= len(minerals) and answer.is_blank and comment.is_blank:
                    continue
                per[slot_key(minerals, slot)] = QuestionAnswer(
                    question=q.key, answer=answer, comment=comment, choices=choices
                )
            out[q.key] = per
        return out

    def _company(self, decl: SheetCells, sheet: str) -> Company:
        layout = self.layout
        values: dict[str, object] = {}
        for field in COMPANY_FIELDS:
            ref = layout.company_cells.get(field)
            if ref is None:
                values[field] = TextValue(provenance=self.where(sheet, None))
                continue
            cell = self._cell(decl, ref)
            where = self.where(sheet, ref)
            if field == "scope":
                values[field] = to_answer(cell, where, layout.scope_choices)
            elif field == "effective_date":
                values[field] = to_date(cell, where, self.wb.date1904)
            else:
                values[field] = to_text(cell, where)
        return Company.model_validate(values)

    def _answers(
        self, decl: SheetCells, sheet: str, minerals: tuple[str, ...]
    ) -> dict[str, dict[str, QuestionAnswer]]:
        out: dict[str, dict[str, QuestionAnswer]] = {m: {} for m in minerals}
        for q in self.layout.questions:
            for slot, row in enumerate(q.rows):
                mineral = slot_key(minerals, slot)
                a_ref, c_ref = f"{q.answer_col}{row}", f"{q.comment_col}{row}"
                choices = q.choices_for(slot)
                answer = to_answer(
                    self._cell(decl, a_ref), self.where(sheet, a_ref), choices,
                    q.numeric_literals,
                )
                comment = self._text(decl, sheet, c_ref)
                if mineral not in out and answer.is_blank and comment.is_blank:
                    continue
                out.setdefault(mineral, {})[q.key] = QuestionAnswer(
                    question=q.key, answer=answer, comment=comment, choices=choices
                )
        return out

    def _company_answers(self, decl: SheetCells, sheet: str) -> dict[str, QuestionAnswer]:
        out: dict[str, QuestionAnswer] = {}
        for q in self.layout.company_questions:
            if q.per_mineral_rows:
                continue
            answer = to_answer(self._cell(decl, q.cell), self.where(sheet, q.cell), q.choices)
            comment = (
                self._text(decl, sheet, q.comment_cell)
                if q.comment_cell
                else TextValue(provenance=self.where(sheet, q.cell))
            )
            out[q.key] = QuestionAnswer(
                question=q.key, answer=answer, comment=comment, choices=q.choices
            )
        return out

    # -- lists -----------------------------------------------------------------------------

    def _list_rows(self, spec: ListSheet) -> Iterable[tuple[int, dict[str, RawCell]]]:
        """Rows of a list sheet that hold at least one supplier input, found by content."""
        if not self.wb.has_sheet(spec.sheet):
            return
        # Rows above the list (its headings) hold inputs too: read past them to the cap.
        cells = self.wb.cells(spec.sheet, columns=spec.columns.values(),
                              max_rows=spec.first_row + MAX_LIST_ROWS)
        footer_row = None
        if spec.footer_text:
            marks = [
                row for (row, _c), cell in cells.items()
                if isinstance(cell.value, str) and cell.value.lstrip().startswith(spec.footer_text)
                and row >= spec.first_row
            ]
            footer_row = min(marks) if marks else None
        read = 0
        first_unread: int | None = None
        for row, by_col in iter_rows(cells):
            if row < spec.first_row or (footer_row is not None and row >= footer_row):
                continue
            if any(
                not c.formula and c.kind != "e" and clean_text(c.value) is not None
                for c in by_col.values()
            ):
                read += 1
                if read > MAX_LIST_ROWS:
                    if first_unread is None:
                        first_unread = row
                    continue  # past the cap: only counted
                for cell in by_col.values():
                    if cell.repair is not None:
                        self.note_repair(spec.sheet, cell)
                yield row, by_col
        if first_unread is not None:
            column = min(spec.columns.values(), key=lambda c: (len(c), c))
            self.notes.append(ReadNote(
                code=ReadNoteCode.ROWS_CAPPED,
                provenance=self.where(spec.sheet, f"{column}{first_unread}"),
                detail=f"more than {MAX_LIST_ROWS:,} filled rows: the first {MAX_LIST_ROWS:,} "
                f"were read, none from row {first_unread} on", kept=MAX_LIST_ROWS))

    def _row_sheet(self, spec: ListSheet, fields: Iterable[str],
                   extra: Iterable[str] = ()) -> RowSheet:
        """What the rows of a list sheet share: its file, sheet and the column of each field
        (``-`` where the layout has none)."""
        extra = tuple(extra)
        cols = spec.columns
        return RowSheet.of(self.file, spec.sheet,
                           [cols.get(f, "-") for f in (*fields, *extra)], extra)

    def _smelters(self) -> Iterable[SmelterRow]:
        spec = self.layout.smelter_list
        cols = spec.columns
        layout = self.layout
        at = self._row_sheet(spec, SmelterRow._value_fields)
        placeholders = {
            layout.not_listed.casefold(): PlaceholderKind.NOT_LISTED,
            layout.not_identified.casefold(): PlaceholderKind.NOT_YET_IDENTIFIED,
        }
        for row, by_col in self._list_rows(spec):

            def raw(field: str, by_col: dict[str, RawCell] = by_col) -> RawCell | None:
                return by_col.get(cols[field]) if field in cols else None

            def text(field: str) -> Cell:
                return text_cell(raw(field))

            id_input = text("smelter_id_input")
            metal = answer_cell(raw("metal"), self._metal_choices)
            lookup_name = text("lookup_name")
            name_input = text("name_input")
            placeholder = (
                placeholders.get(lookup_name.value.casefold()) if lookup_name.value else None
            )
            # The facility the row's ID or look-up choice names, resolved whether the template's
            # formulas are intact or a tool stored their results as constants, so the standard
            # name does not depend on how the file was saved.
            resolved: _Ref | None = None
            if id_input.value or lookup_name.value:
                index = self.lookup()
                if id_input.value and (metal.is_blank or lookup_name.is_blank):
                    resolved = index.by_id.get(id_input.value.casefold())
                elif metal.value and lookup_name.value and placeholder is None:
                    key = (metal.value.casefold(), lookup_name.value.casefold())
                    resolved = index.by_name.get(key)
            # Its facts fill only the cells the template would fill by formula.
            entry = resolved if self._needs_lookup(by_col, cols, id_input, lookup_name) else None
            if entry is not None:
                if metal.is_blank:
                    metal = _derived(entry["metal"], metal)
                if lookup_name.is_blank and id_input.value:
                    lookup_name = _derived(entry["standard_name"], lookup_name)

            def filled(
                field: str,
                attr: str,
                entry: _Ref | None = entry,
                placeholder: PlaceholderKind | None = placeholder,
            ) -> Cell:
                value = text(field)
                if value.is_blank and entry is not None and placeholder is None:
                    return _derived(entry.get(attr), value)
                return value

            yield SmelterRow.pack(at, row, {
                "smelter_id_input": id_input,
                "metal": metal,
                "lookup_name": lookup_name,
                "name_input": name_input,
                "country": filled("country", "country"),
                # the effective ID is the typed one, at its cell in column A, when there is one
                "smelter_id": ("smelter_id_input" if id_input.value
                               else filled("smelter_id", "smelter_id")),
                "id_source": filled("id_source", "source"),
                "street": filled("street", "street"),
                "city": filled("city", "city"),
                "state_province": filled("state_province", "state_province"),
                "contact_name": text("contact_name"),
                "contact_email": text("contact_email"),
                "next_steps": text("next_steps"),
                "mine_names": text("mine_names"),
                "mine_countries": text("mine_countries"),
                "recycled_scrap": answer_cell(raw("recycled_scrap"), layout.recycled_choices),
                "comments": text("comments"),
            }, standard_name=resolved["standard_name"] if resolved is not None else None,
                placeholder=placeholder)

    @staticmethod
    def _needs_lookup(
        by_col: Mapping[str, RawCell],
        cols: Mapping[str, str],
        id_input: Cell,
        lookup_name: Cell,
    ) -> bool:
        """Whether the row identifies a facility (by ID or look-up choice) but leaves one of the
        key columns the template fills from the look-up (metal, name, country, ID) untyped."""
        if id_input.is_blank and lookup_name.is_blank:
            return False
        for field in ("metal", "lookup_name", "country", "smelter_id"):
            cell = by_col.get(cols.get(field, ""))
            if cell is None or cell.formula:
                return True
        return False

    def _products(self) -> Iterable[ProductRow]:
        spec = self.layout.product_list
        if spec is None:
            return
        fields = ProductRow._value_fields
        at = self._row_sheet(spec, fields, [f for f in spec.columns if f not in fields])
        cols = [spec.columns.get(f) for f in (*fields, *at.extra)]
        for row, by_col in self._list_rows(spec):
            yield ProductRow.pack(
                at, row, [text_cell(by_col.get(c)) if c else BLANK for c in cols])

    def _mines(self) -> Iterable[MineRow]:
        spec = self.layout.mine_list
        if spec is None:
            return
        fields = MineRow._value_fields
        at = self._row_sheet(spec, fields)
        cols = [spec.columns.get(f) for f in fields]
        metal = fields.index("metal") if "metal" in spec.columns else None
        for row, by_col in self._list_rows(spec):
            cells = [text_cell(by_col.get(c)) if c else BLANK for c in cols]
            if metal is not None:
                cells[metal] = answer_cell(by_col.get(spec.columns["metal"]),
                                           self._metal_choices)
            yield MineRow.pack(at, row, cells)

    def _minerals_scope(self, minerals: tuple[str, ...]) -> Iterable[MineralScopeRow]:
        spec = self.layout.minerals_scope
        if spec is None:
            return
        cols = spec.columns
        at = self._row_sheet(spec, MineralScopeRow._value_fields)
        for row, by_col in self._list_rows(spec):
            yield MineralScopeRow.pack(at, row, (
                answer_cell(by_col.get(cols["mineral"]), minerals),
                text_cell(by_col.get(cols["reason"]))))


def _derived(value: str | None, blank: Cell) -> Cell:
    """A value re-derived from the look-up, at the cell the template's formula fills."""
    if value is None:
        return blank
    return Cell(value, None, Origin.DERIVED, Status.OK, blank.cached, blank.formula)
