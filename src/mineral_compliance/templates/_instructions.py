"""The Checker's own instructions in the supplier's language, from the hidden language sheet.

Every RMI template since CMRT 6.01 and EMRT 1.1 (CRT 2.2x and AMRT 1.2x too) holds its labels
and messages on a hidden sheet ``L``: column A the key (the sheet name and cell the text shows
in, ``CheckerJ4``; a literal, or the formula ``=B&C`` over the sheet name in B and the cell in
C), row 1 the language names, one column each from D: ``English``, ``中文 Chinese``,
``日本語 Japanese``, ``한국어 Korean``, ``Français`` (EMRT 1.x stops here), ``Deutsch``
(EMRT 1.3, 2.x and AMRT: six in all), and in the CMRT and CRT ``Português``, ``Español``,
``Italiano`` and ``Türkçe`` between them (ten, in the order English, Chinese, Japanese,
Korean, French, Portuguese, German, Spanish, Italian, Turkish). The picker on the Declaration
(D3) holds one of those names, and every label formula looks its text up in the column whose
header matches it (``MATCH(D3, L!D1:..1, 0)``, so without regard to case). The Checker's
column J of each item row is such a look-up of ``"Checker" & ADDRESS(ROW(), COLUMN())``:
the item's instruction, keyed by its row (:attr:`~.layouts.checks.CheckItem.row`), the first
matching key winning as in Excel's ``MATCH``. The keys differ from release to release and from
family to family (EMRT 1.x lists some twice, with different texts), which is why each
workbook's own sheet is read.

Only the picked language's column and the English one are read, and only the rows whose key
names an item of the layout's Checker; nothing is read when the Declaration picks English.
The sheet is supplier content: at most :data:`MAX_LANGUAGE_ROWS` filled rows are looked at,
a text cell holding a formula is not taken (its cached result is no evidence of the RMI's
wording), each text becomes one plain line of at most :data:`MAX_INSTRUCTION_CHARS`
characters, and a text the sheet gives identically in English is left out (the finding's
message is English already). A sheet that cannot be read gives no instructions: they only
ever add to a finding, and never keep a declaration from being read.
"""

from __future__ import annotations

import threading

from .._io.text import one_line
from ..errors import MineralComplianceError
from ..models.instructions import CheckerInstructions, Instruction
from ..models.values import Provenance, TextValue
from ._xlsx import KnownRows, RawCell, SheetCells, Workbook, col_to_index, iter_rows
from .layouts import Layout

__all__ = ["LANGUAGES", "MAX_INSTRUCTION_CHARS", "MAX_LANGUAGE_ROWS", "SHEET",
           "read_instructions"]

SHEET = "L"
LANGUAGES = {
    "english": "en",
    "中文 chinese": "zh",
    "日本語 japanese": "ja",
    "한국어 korean": "ko",
    "français": "fr",
    "português": "pt",
    "deutsch": "de",
    "español": "es",
    "italiano": "it",
    "türkçe": "tr",
}
"""The language names of the picker and of the language sheet's header row (compared without
regard to case or repeated spaces), and their ISO 639-1 codes."""
MAX_LANGUAGE_ROWS = 5_000
"""The most filled rows of the language sheet looked at: the real sheets fill about 1,000 (the
CMRT's Checker texts sit at rows 241 to 312), so no real workbook reaches it."""
MAX_INSTRUCTION_CHARS = 1_000
"""The longest instruction kept; the longest real one (Italian, CMRT) has 362 characters."""
_FIRST_LANGUAGE, _LAST_LANGUAGE = col_to_index("D"), col_to_index("Z")
_INSTRUCTION_COLUMN = "J"
"""The Checker's column whose look-up of its own address gives the item's instruction."""


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _text(cell: RawCell | None) -> str | None:
    """The cell's own text (not a formula's cached result), made one plain line."""
    if cell is None or cell.formula or not isinstance(cell.value, str) or cell.kind == "e":
        return None
    return one_line(cell.value, MAX_INSTRUCTION_CHARS) or None


def _columns(wb: Workbook, picked: str) -> tuple[str, str | None, str] | None:
    """(column of the picked language, column of English, language code), from the header
    row; None when the picked language is English, or no header names it."""
    header = wb.top_cells(SHEET, 1)
    found: dict[str, str] = {}
    for (_row, col), cell in sorted(header.items(), key=lambda kv: col_to_index(kv[0][1])):
        name = _text(cell)
        index = col_to_index(col)
        if name is not None and _FIRST_LANGUAGE <= index <= _LAST_LANGUAGE:
            found.setdefault(_fold(name), col)
    column = found.get(_fold(picked))
    code = LANGUAGES.get(_fold(picked))
    if column is None or code is None or code == "en":
        return None
    return column, found.get("english"), code


def _key(by_col: dict[str, RawCell]) -> str | None:
    """The row's key as the look-ups match it: column A's text, or the sheet name and cell of
    B and C where A is the formula that joins them (or is empty)."""
    a = by_col.get("A")
    if a is not None and not a.formula:
        return str(a.value).casefold()
    b, c = by_col.get("B"), by_col.get("C")
    if b is None or c is None or b.formula or c.formula:
        return None
    return f"{b.value}{c.value}".casefold()


def read_instructions(wb: Workbook, layout: Layout, language: TextValue,
                      file: str) -> CheckerInstructions | None:
    """The Checker instructions of ``wb`` in the ``language`` its Declaration picks, for the
    items of ``layout``'s Checker (see the module's documentation); None when there are
    none to give."""
    if layout.checker is None or language.value is None or not wb.has_sheet(SHEET):
        return None
    wanted = {f"Checker{_INSTRUCTION_COLUMN}{item.row}".casefold(): item.key
              for item in layout.checker.items if item.row is not None}
    try:
        columns = _columns(wb, language.value)
        if columns is None:
            return None
        column, english, code = columns
        found = _found(wb, wanted, column, english)
    except MineralComplianceError:
        return None  # an unreadable hidden sheet takes nothing from the declaration
    items = {key: Instruction(text=text, provenance=Provenance.at(file, SHEET, f"{column}{row}"))
             for key, row, text in found}
    return CheckerInstructions(language=code, items=items) if items else None


_Found = tuple[tuple[str, int, str], ...]
"""(item key, row, text) of each instruction found, in the sheet's order."""


def _found(wb: Workbook, wanted: dict[str, str], column: str, english: str | None) -> _Found:
    """The instructions of the language sheet, found once per distinct sheet in this process.

    Every copy of a release holds the same language sheet, so a batch reads it once per
    release: by the sheet's and the shared strings' stored bytes (the same file again), then
    by its cells undecoded (:meth:`~._xlsx.Workbook.cell_signature`: a file saved again
    numbers its shared strings anew). Equal keys give equal cells, so the same result."""
    read = ["A", "B", "C", column, *([english] if english else [])]
    asked = (tuple(sorted(wanted.items())), column, english, MAX_LANGUAGE_ROWS)
    stored = (wb.sheet_digest(SHEET), wb.strings_digest(), asked)
    with _LOCK:
        hit = _BY_STORED.get(stored)
    if hit is not None:
        return hit
    hit = _BY_ROWS.find(wb, SHEET, asked)
    if hit is not None:
        with _LOCK:
            _kept(_BY_STORED, stored, hit)
        return hit
    rows_now = wb.stored_rows(SHEET, read)
    by_cells = None if rows_now is None else (rows_now.signature, asked)
    with _LOCK:
        hit = None if by_cells is None else _BY_CELLS.get(by_cells)
    if hit is None:
        cells = wb.cells(SHEET, columns=read, max_rows=MAX_LANGUAGE_ROWS)
        hit = _matched(cells, wanted, column, english)
    with _LOCK:
        _kept(_BY_STORED, stored, hit)
        if by_cells is not None:
            _kept(_BY_CELLS, by_cells, hit)
    if rows_now is not None:
        _BY_ROWS.keep(asked, rows_now, hit)
    return hit


def _matched(cells: SheetCells, wanted: dict[str, str], column: str,
             english: str | None) -> _Found:
    found: list[tuple[str, int, str]] = []
    seen: set[str] = set()
    for row, by_col in iter_rows(cells):
        key = _key(by_col)
        if key is None or key not in wanted or key in seen:
            continue
        seen.add(key)  # the first row of a key is the one Excel's MATCH finds
        text = _text(by_col.get(column))
        if text is None or (english and text == _text(by_col.get(english))):
            continue
        found.append((wanted[key], row, text))
    return tuple(found)


_BY_STORED: dict[tuple[object, ...], _Found] = {}
"""What :func:`_found` found, by the stored bytes of the sheet and the shared strings."""
_BY_CELLS: dict[tuple[object, ...], _Found] = {}
"""What :func:`_found` found, by the sheet's cells undecoded."""
_KEPT = 8
"""Language sheets remembered per process (one per release read, in practice); a signature
holds the stored text of the sheet's cells read, some hundreds of kilobytes for a real one,
and its stored rows the sheet's bytes besides."""
_LOCK = threading.Lock()
"""Files read in threads side by side share the caches."""
_BY_ROWS: KnownRows[_Found] = KnownRows(_KEPT)
"""The same, by the stored rows the cells were first read from: a file saved again has the
same cells in nearly the same bytes."""


def _kept(cache: dict[tuple[object, ...], _Found], key: tuple[object, ...],
          found: _Found) -> None:
    """Under :data:`_LOCK`: ``found`` kept under ``key``, the oldest entry dropped first."""
    if key not in cache:
        while len(cache) >= _KEPT:
            cache.pop(next(iter(cache)))
    cache[key] = found
