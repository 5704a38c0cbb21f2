"""Smelter List rows into smelters: the key a row is merged under (the smelter ID the
reference resolves, else metal, normalised name and country), or why it is rejected, and
the consolidated smelter its rows make, with the mines declared for it."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Sequence

from .._words import counted
from ..errors import ConsolidationError
from ..models.consolidation import (
    ConsolidatedSmelter,
    DeclaredMine,
    SmelterMine,
    SmelterSource,
    checked_source,
)
from ..models.matching import ConflictKind, Flag, MatchGrade, SmelterMatch, StatusKind
from ..models.shelved import Packed
from ..names import country_code, metal_key, name_key

__all__ = ["MergedRows", "SourceTable", "group_mines", "merge", "smelter_key", "unresolved_key"]


def smelter_key(result: SmelterMatch) -> tuple[str | None, str]:
    """The key a resolved row is merged under and ``""``, or None and why it is rejected
    (``placeholder``, ``wrong-metal``, ``conflicting``, ``unresolvable``)."""
    d = result.declared
    if result.accepted and result.smelter_id:
        return result.smelter_id, ""
    if result.grade is MatchGrade.PLACEHOLDER:
        return None, "placeholder"
    if result.grade is MatchGrade.CONFLICTING:
        wrong_metal = result.conflict is ConflictKind.WRONG_METAL
        return None, "wrong-metal" if wrong_metal else "conflicting"
    key = unresolved_key(d.metal, d.name, d.country)
    return (key, "") if key else (None, "unresolvable")


def unresolved_key(metal: str | None, name: str | None, country: str | None) -> str | None:
    """The key of a smelter no reference list resolved: metal, normalised name, country."""
    mk, nk = metal_key(metal), name_key(name or "")
    return f"name:{mk}|{nk}|{country_code(country) or '-'}" if mk and nk else None


def group_mines(mines: Iterable[DeclaredMine]) -> tuple[SmelterMine, ...]:
    """One smelter's declared mines, one per mine name (compared as facility names are) and
    country (its ISO code where it names one, else as written, case folded), in the order
    first declared, each with every declaration of it."""
    groups: dict[tuple[str, str], list[DeclaredMine]] = {}
    for m in mines:
        country = m.country_code or (m.country or "").strip().casefold()
        groups.setdefault((name_key(m.name or ""), country), []).append(m)
    return tuple(SmelterMine(name=v[0].name, country=v[0].country,
                             country_code=v[0].country_code, sources=tuple(v))
                 for v in groups.values())


_ORDER = {g: i for i, g in enumerate(MatchGrade)}


class SourceTable:
    """Every Smelter List row's source, kept as five numbers a row into tables that the rows
    share (the files, the distinct row contents, the sheet and cell texts): twenty bytes a
    row instead of an object, so that a consolidation of any size holds them. A source is
    made again from them each time it is read (:meth:`view`)."""

    def __init__(self) -> None:
        self._files: list[tuple[str, str]] = []
        self._contents: list[tuple[str | None, str | None, str | None, str | None,
                                   MatchGrade]] = []
        self._texts: list[str | None] = []
        self._text_ids: dict[str | None, int] = {}
        self._file = array("I")
        self._content = array("I")
        self._sheet = array("I")
        self._cell = array("I")
        self._row = array("i")

    def __len__(self) -> int:
        return len(self._file)

    def file(self, supplier: str, label: str) -> int:
        """The number of a file (by its supplier key and label) its rows are added under."""
        self._files.append((supplier, label))
        return len(self._files) - 1

    def content(self, metal: str | None, name: str | None, country: str | None,
                smelter_id: str | None, grade: MatchGrade) -> int:
        """The number of a row content (as resolved) rows are added with."""
        self._contents.append((metal, name, country, smelter_id, grade))
        return len(self._contents) - 1

    def _text(self, text: str | None) -> int:
        at = self._text_ids.get(text)
        if at is None:
            at = self._text_ids[text] = len(self._texts)
            self._texts.append(text)
        return at

    def add(self, file: int, content: int, sheet: str | None, cell: str | None,
            row: int | None) -> int:
        """Add a row's source; return its number."""
        if row is not None and not 0 <= row < 2**31:
            raise ConsolidationError(f"a Smelter List row number out of range: {row}")
        self._file.append(file)
        self._content.append(content)
        self._sheet.append(self._text(sheet))
        self._cell.append(self._text(cell))
        self._row.append(-1 if row is None else row)
        return len(self._file) - 1

    def source(self, i: int) -> SmelterSource:
        """The source numbered ``i``, made again from its numbers."""
        supplier, label = self._files[self._file[i]]
        metal, name, country, smelter_id, grade = self._contents[self._content[i]]
        row = self._row[i]
        texts = self._texts
        return checked_source(supplier, label, texts[self._sheet[i]], texts[self._cell[i]],
                              None if row < 0 else row, metal, name, country, smelter_id,
                              grade)

    def view(self, ids: array[int]) -> Packed[SmelterSource]:
        """The sources numbered ``ids``, in that order."""
        return Packed(self.source, ids)


class MergedRows:
    """The rows merged under one key so far, taken one at a time: what the consolidated
    smelter needs of them (the best-graded row, the first status, the flags, the suppliers,
    the spellings), without the rows themselves (their sources are kept apart, in the order
    they were added: a :class:`SourceTable`)."""

    __slots__ = ("_best", "_flags", "_last", "_spellings", "_status", "_suppliers", "count")

    def __init__(self) -> None:
        self._best: tuple[int, str, int, str | None, SmelterMatch] | None = None
        """The best row so far: its grade's order, file, row number, metal, and match."""
        self._last: SmelterMatch | None = None
        self._status: StatusKind | None = None
        self._flags: set[Flag] = set()
        self._suppliers: list[str] = []
        """Each supplier once per run of rows from it (a file's rows come together)."""
        self._spellings: Counter[tuple[str, str | None]] = Counter()
        self.count = 0

    def add(self, result: SmelterMatch, supplier: str, file: str, row: int | None,
            metal: str | None, name: str | None, country: str | None) -> None:
        """Take one row: its match, and its source's supplier, file, row number, metal,
        name and country."""
        order, at = _ORDER[result.grade], row or 0
        best = self._best
        if best is None or order < best[0] or (order == best[0] and (file, at) < best[1:3]):
            self._best = (order, file, at, metal, result)  # ties: the first row stays
        if result is not self._last:  # rows of one content share their match
            self._last = result
            if self._status is None and result.status is not StatusKind.UNKNOWN:
                self._status = result.status
            if result.flags:
                self._flags.update(f for f in result.flags if f is not Flag.RECYCLED_CLAIM)
        if not self._suppliers or self._suppliers[-1] != supplier:
            self._suppliers.append(supplier)
        self._spellings[(name or "", country)] += 1
        self.count += 1

    def smelter(self, key: str, sources: Sequence[SmelterSource],
                mines: Iterable[DeclaredMine] = ()) -> ConsolidatedSmelter:
        """The smelter these rows make, with ``sources`` (the rows' sources, in the order
        they were added) and the ``mines`` declared for it."""
        if self._best is None or len(sources) != self.count:
            raise ConsolidationError(f"{key}: {self.count} rows merged but {len(sources)} "
                                     "sources")
        *_, best_metal, best = self._best
        region = None
        if best.accepted and best.smelter_id:
            name, country, region = best.standard_name or "", best.country, best.region
            representative = f"reference list ({best.smelter_id})"
        else:
            # most_common keeps first-seen order among equal counts: ties go to the first file
            (name, country), count = self._spellings.most_common(1)[0]
            representative = (f"the spelling {count} of {counted(self.count, 'row')} "
                              f"{'uses' if count == 1 else 'use'}")
        return ConsolidatedSmelter(
            key=key, metal=best.metal or best_metal or "", smelter_id=best.smelter_id,
            name=name, country=country, region=region, grade=best.grade,
            needs_review=not best.accepted, status=self._status or StatusKind.UNKNOWN,
            flags=tuple(sorted(self._flags)), suppliers=tuple(sorted(set(self._suppliers))),
            sources=sources, representative=representative, candidates=best.candidates,
            mines=group_mines(mines), valid_until=best.valid_until, history=best.history)


def merge(key: str, rows: list[tuple[SmelterSource, SmelterMatch]],
          mines: Iterable[DeclaredMine] = ()) -> ConsolidatedSmelter:
    """The smelter the rows merged under ``key`` make: shown as the reference names it when
    the best-graded row is resolved, else as most rows spell it (ties: the first file); with
    ``mines``, the mines declared for it (:func:`group_mines`)."""
    merged = MergedRows()
    for s, result in rows:
        merged.add(result, s.supplier, s.file, s.row, s.metal, s.name, s.country)
    return merged.smelter(key, tuple(s for s, _ in rows), mines)
