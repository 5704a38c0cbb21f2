"""Reading the files users supply (reference lists, rows to match, import records,
incidents): regular files only, bounded while read, read once, columns found by header,
errors typed and naming the file, line or cell.

Text files: a byte-order mark decides the encoding (UTF-8, UTF-16 LE or BE); without one,
UTF-16 is recognised from its NUL bytes (every other byte NUL, as English text saved as
"Unicode text" by spreadsheet programs looks), then UTF-8 is tried, then Windows-1252, as
spreadsheet programs save CSV. A NUL character left after decoding, a CSV field longer than
:data:`MAX_CSV_FIELD` characters or an unterminated quote is refused with its line number.

Workbooks: the first worksheet of an .xlsx, read with the project's own bounded reader
(never the ``<dimension>`` the file declares): at most :data:`MAX_TABLE_ROWS` rows,
:data:`MAX_TABLE_COLUMNS` columns and :data:`MAX_TABLE_CELLS` cells in all, a value outside
them is refused naming its cell. Cells whose number format is a date come back as ISO dates
(``2025-02-03``), in the workbook's date system (1900 or 1904); other numbers as
:class:`NumberText`, text that keeps the stored number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import posixpath
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dateutil import parser as date_parser
from lxml import etree

from . import _io
from ._io.markup import local_name
from ._io.serials import serial_to_date
from .errors import MineralComplianceError, ReferenceDataError

if TYPE_CHECKING:
    from .templates.workbook import RawCell

__all__ = [
    "MAX_CSV_FIELD",
    "MAX_TABLE_CELLS",
    "MAX_TABLE_COLUMNS",
    "MAX_TABLE_ROWS",
    "CellValueError",
    "NumberText",
    "cell",
    "csv_rows",
    "decode_text",
    "header_columns",
    "parse_date",
    "read_capped",
    "read_table",
    "table_rows",
]

MAX_TABLE_ROWS = 200_000
"""Rows read from a worksheet (RMI's facility lists hold a few thousand)."""
MAX_TABLE_COLUMNS = 500
"""Columns read from a worksheet."""
MAX_TABLE_CELLS = 10_000_000
"""Cells of a worksheet's rows once each is padded up to its last value."""
MAX_CSV_FIELD = 131_072
"""The longest CSV field, in characters (the ``csv`` module's own default)."""

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_MAX_PART = 64 * 1024 * 1024


class CellValueError(ValueError):
    """Why the text of one cell is not a value of the kind its column holds; the message is
    written to be shown with the row it came from."""


class NumberText(str):
    """The text of a worksheet cell that stores a number; ``number`` is that number, so that
    a reader need not guess decimal and thousands separators from the text."""

    number: float
    date_format: bool
    """The cell is formatted as a date, but its number is no date of the calendar."""

    def __new__(cls, number: float, *, date_format: bool = False) -> NumberText:
        if math.isfinite(number) and number.is_integer() and abs(number) < 1e16:
            text = str(int(number))
        else:
            text = repr(number)
        self = super().__new__(cls, text)
        self.number = number
        self.date_format = date_format
        return self


def read_capped(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them (checked while
    reading); anything else is a :class:`ReferenceDataError` naming the file."""
    try:
        return _io.read_capped(path, limit)
    except _io.TooLargeError as exc:
        raise ReferenceDataError(exc.reason, path=exc.path) from exc
    except _io.FileRefusedError as exc:
        raise ReferenceDataError(f"the file cannot be read ({exc.reason})", path=exc.path
                                 ) from exc


# -- text ---------------------------------------------------------------------------------


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when the NUL bytes say so: in the first 4 KB nearly
    every byte at one parity is NUL and nearly none at the other."""
    sample = data[:4096]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul >= 0.9 and even_nul <= 0.1:
        return "utf-16-le"
    if even_nul >= 0.9 and odd_nul <= 0.1:
        return "utf-16-be"
    return None


def decode_text(data: bytes, path: Path) -> str:
    """The text of a supplied file: UTF-8 or UTF-16 as its byte-order mark says, UTF-16
    recognised from its NUL bytes, else UTF-8, else Windows-1252. A NUL character in the
    text is refused with its line number."""
    encodings: tuple[str, ...]
    if data.startswith(b"\xef\xbb\xbf"):
        encodings, data = ("utf-8",), data[3:]
    elif data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise ReferenceDataError("the file is UTF-32 text, which is not read", path=path,
                                 hint="save it as UTF-8 (CSV UTF-8 in spreadsheet programs)")
    elif data.startswith(b"\xff\xfe"):
        encodings, data = ("utf-16-le",), data[2:]
    elif data.startswith(b"\xfe\xff"):
        encodings, data = ("utf-16-be",), data[2:]
    else:
        guessed = _utf16_without_bom(data)
        encodings = (guessed,) if guessed else ("utf-8", "cp1252")
    text: str | None = None
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        names = {"utf-8": "UTF-8", "cp1252": "Windows-1252", "utf-16-le": "UTF-16",
                 "utf-16-be": "UTF-16"}
        raise ReferenceDataError(
            f"the file is not {' or '.join(names[e] for e in encodings)} text (some bytes "
            "cannot be decoded)", path=path,
            hint="save it again as UTF-8 (CSV UTF-8 in spreadsheet programs)")
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise ReferenceDataError(f"line {line} holds a NUL character: this is not a text file, "
                                 "or it is damaged", path=path,
                                 hint="save the list again as CSV from the program it came from")
    return text


def csv_rows(data: bytes, path: Path) -> list[list[str]]:
    """The records of CSV bytes (encoding as :func:`decode_text`); a field too long, a quote
    never closed (which would otherwise swallow every line after it into one field) or
    quoting the parser cannot follow is refused with its line number."""
    text = decode_text(data, path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    record_start = 1  # the line the record being read begins on
    try:
        for row in reader:
            rows.append(row)
            record_start = reader.line_num + 1
    except csv.Error as exc:
        why, line, hint = str(exc), reader.line_num, None
        if "field larger than field limit" in why:
            why = f"a field is longer than {csv.field_size_limit():,} characters"
        elif "unexpected end of data" in why:
            why, line = "a quote opened on this line is never closed", record_start
            hint = "close the quote, or save the file again as CSV from the program it came from"
        raise ReferenceDataError(f"line {line}: the CSV cannot be read ({why})", path=path,
                                 hint=hint) from exc
    return rows


# -- workbooks ----------------------------------------------------------------------------

_BUILTIN_DATE_FORMATS = frozenset({14, 15, 16, 17, 22, *range(27, 37), *range(50, 59)})
"""Built-in number formats that show a calendar date (ECMA-376 18.8.30, and the East Asian
locale formats 27 to 36 and 50 to 58)."""
_FORMAT_NOISE = re.compile(r'"[^"]*"?|\[[^\]]*\]?|\\.|_.|\*.')
"""What a number format shows as it is (quoted text, a colour or condition, an escaped,
padded or repeated character): not a date's letters. A quote or bracket left open runs to
the end, so no search starts again after it and scans to the end once more."""
_CELL_TAG = re.compile(rb"<(?:\w+:)?c\s([^<>]*)>")
"""A cell's opening tag; it cannot run on past the next markup, so every byte of a part is
looked at a bounded number of times whatever the tags left open."""
_ATTR = re.compile(rb'\b(r|s)\s*=\s*"([^"]*)"')


def _is_date_format(code: str) -> bool:
    section = _FORMAT_NOISE.sub("", code.split(";")[0]).casefold()
    return "d" in section or "y" in section


def _xml_member(archive: zipfile.ZipFile, name: str, path: Path) -> etree._Element | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    try:
        data = _io.read_member(archive, info, _MAX_PART, path)
        return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except (_io.FileRefusedError, etree.XMLSyntaxError):
        return None  # the date styles are a refinement: without them numbers stay numbers


def _date_styles(archive: zipfile.ZipFile, workbook_part: str, path: Path,
                 part_name: Callable[[str], str]) -> frozenset[int]:
    """Indexes of the cell formats (``cellXfs``) whose number format shows a date;
    ``part_name`` gives the name the package holds a part under (in any case)."""
    folder, base = posixpath.split(workbook_part)
    rels = _xml_member(archive, part_name(posixpath.join(folder, "_rels", base + ".rels")),
                       path)
    styles_part = None
    for rel in rels.iter() if rels is not None else ():
        if str(rel.get("Type", "")).endswith("/styles"):
            target = str(rel.get("Target", ""))
            styles_part = (target.lstrip("/") if target.startswith("/")
                           else posixpath.normpath(posixpath.join(folder, target)))
    root = _xml_member(archive, part_name(styles_part or "xl/styles.xml"), path)
    if root is None:
        return frozenset()
    custom: dict[int, str] = {}
    for el in root.iter():
        if local_name(el) == "numFmt":
            ident = str(el.get("numFmtId", ""))
            if ident.isdigit():
                custom[int(ident)] = str(el.get("formatCode", ""))
    dated = {number: _is_date_format(code) for number, code in custom.items()}
    found: set[int] = set()
    xfs = next((el for el in root.iter() if local_name(el) == "cellXfs"), None)
    # the index is the cell's s attribute: it counts formats only, not comments between them
    formats = [xf for xf in (xfs if xfs is not None else ()) if local_name(xf) == "xf"]
    for index, xf in enumerate(formats):
        ident = str(xf.get("numFmtId", "0"))
        number = int(ident) if ident.isdigit() else 0
        if number in dated:  # (each format judged once, however many cells use it)
            if dated[number]:
                found.add(index)
        elif number in _BUILTIN_DATE_FORMATS:
            found.add(index)
    return frozenset(found)


def _dated_cells(archive: zipfile.ZipFile, part: str, styles: frozenset[int],
                 path: Path) -> set[str]:
    """References (``B2``) of the worksheet's cells formatted as dates."""
    try:
        data = _io.xml_as_utf8(_io.read_member(archive, archive.getinfo(part), _MAX_PART, path),
                               _MAX_PART)
    except (KeyError, _io.FileRefusedError, _io.XmlEncodingError):
        return set()  # (the reading of the cells themselves reports the part)
    out: set[str] = set()
    for m in _CELL_TAG.finditer(data):
        attrs = dict(_ATTR.findall(m.group(1)))
        style = attrs.get(b"s", b"")
        if style.isdigit() and int(style) in styles and b"r" in attrs:
            out.add(attrs[b"r"].decode("ascii", "replace"))
    return out


def _serial_date(serial: float, date1904: bool) -> dt.date | None:
    """The calendar day of an Excel date serial, or None where it names none."""
    return serial_to_date(serial, date1904)


def _xlsx_rows(data: bytes, path: Path) -> list[list[str]]:
    from .templates.workbook import col_to_index, open_workbook  # only needed for this format

    try:
        stream = io.BytesIO(data)
        stream.name = str(path)
        wb = open_workbook(stream)
        if not wb.sheets:
            raise ReferenceDataError("the workbook has no worksheet", path=path)
        first = wb.sheets[0]
        cells = wb.cells(first.name)
    except ReferenceDataError:
        raise
    except MineralComplianceError as exc:
        raise ReferenceDataError(f"the workbook cannot be read ({exc.message})", path=path,
                                 hint=exc.hint) from exc
    except (ValueError, LookupError, OSError, zipfile.BadZipFile, etree.LxmlError) as exc:
        raise ReferenceDataError(f"the workbook cannot be read ({exc})", path=path) from exc

    widths: dict[int, int] = {}
    placed: list[tuple[int, int, RawCell]] = []
    for (row, col), raw in cells.items():
        index = col_to_index(col)
        if row > MAX_TABLE_ROWS or index > MAX_TABLE_COLUMNS:
            raise ReferenceDataError(
                f"the worksheet has a value at {col}{row}, beyond the {MAX_TABLE_ROWS:,} rows "
                f"and {MAX_TABLE_COLUMNS} columns (A to SF) read from a list", path=path,
                sheet=first.name, cell=f"{col}{row}",
                hint="keep the list in the first rows and columns of the first worksheet")
        widths[row] = max(widths.get(row, 0), index)
        placed.append((row, index, raw))
    if sum(widths.values()) > MAX_TABLE_CELLS:
        raise ReferenceDataError(f"the worksheet spans more than {MAX_TABLE_CELLS:,} cells",
                                 path=path, sheet=first.name)
    dated: set[str] = set()
    if any(raw.kind == "n" for raw in cells.values()):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            styles = _date_styles(archive, wb.workbook_part, path, wb.part_name)
            if styles:
                dated = _dated_cells(archive, first.part, styles, path)
    rows: list[list[str]] = [[""] * widths.get(r, 0) for r in range(1, max(widths, default=0) + 1)]
    for row, index, raw in placed:
        text: str
        if raw.kind == "n" and isinstance(raw.value, float):
            if raw.ref in dated:
                day = _serial_date(raw.value, wb.date1904)
                text = day.isoformat() if day else NumberText(raw.value, date_format=True)
            else:
                text = NumberText(raw.value)
        elif raw.kind == "d":
            try:
                text = dt.datetime.fromisoformat(str(raw.value)).date().isoformat()
            except ValueError:
                text = str(raw.value).strip()
        else:
            text = str(raw.value).strip()
        rows[row - 1][index - 1] = text
    return rows


def table_rows(data: bytes, path: Path) -> list[list[str]]:
    """The rows of CSV or XLSX bytes as text (the first worksheet of a workbook; dates as ISO
    dates)."""
    if data[:4] == _ZIP_MAGIC:
        return _xlsx_rows(data, path)
    if data[:8] == _OLE_MAGIC:
        raise ReferenceDataError("the file is an Excel 97-2003 (.xls) workbook, which is not "
                                 "read", path=path, hint="save it as .xlsx or as CSV")
    return csv_rows(data, path)


def read_table(path: Path, limit: int) -> tuple[bytes, list[list[str]]]:
    """The bytes of a CSV or XLSX file, read once and bounded, and its rows."""
    data = read_capped(path, limit)
    return data, table_rows(data, path)


# -- cells --------------------------------------------------------------------------------


def _label(text: str) -> str:
    return " ".join(text.casefold().replace("_", " ").split())


def header_columns(header: Sequence[str], synonyms: Mapping[str, Sequence[str]]
                   ) -> dict[str, int]:
    """Field -> column index, for each field whose first matching synonym names a column
    (case, underscores and spacing aside) not already taken by an earlier field."""
    labels = [_label(h) for h in header]
    cols: dict[str, int] = {}
    for fld, names in synonyms.items():
        for name in names:
            label = _label(name)
            if label in labels and labels.index(label) not in cols.values():
                cols[fld] = labels.index(label)
                break
    return cols


def cell(row: Sequence[str], cols: Mapping[str, int], fld: str) -> str | None:
    """The stripped text of ``fld`` in ``row``, or None when absent or empty; a worksheet
    number keeps its :class:`NumberText` form."""
    i = cols.get(fld)
    if i is None or i >= len(row):
        return None
    value = row[i]
    if isinstance(value, NumberText):
        return value
    return value.strip() or None


_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"
                      r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"  # a time of day
                      r"\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?")  # and its offset


def parse_date(text: str | None) -> dt.date:
    """The calendar date a cell states: ISO (``2025-02-03``, a time of day after it ignored)
    or any form that names day, month and year (``3 Feb 2025``, ``02/03/2025`` read month
    first). A date without a year, month or day (``5 March``: a parser would fill in the
    current year), a number, an impossible date or text left over after the date
    (``2025-02-03garbage``) raises :class:`CellValueError`."""
    if isinstance(text, NumberText):
        if text.date_format:
            raise CellValueError(f"the date cell holds {text}, which is no date of the 1900 or "
                              "1904 Excel calendar")
        raise CellValueError(f"the date cell holds the number {text}, not a date (format the "
                          "cell as a date)")
    value = (text or "").strip()
    if not value:
        raise CellValueError("the date is empty")
    iso = _ISO_DAY.fullmatch(value)
    if iso:
        try:
            return dt.date(*(int(g) for g in iso.groups()))
        except ValueError as exc:
            raise CellValueError(f"the date {value!r} is not a day of the calendar ({exc})"
                              ) from exc
    try:
        one = date_parser.parse(value, default=dt.datetime(2000, 1, 1))
        two = date_parser.parse(value, default=dt.datetime(2004, 2, 2))
    except (ValueError, OverflowError, TypeError) as exc:
        raise CellValueError(f"the date {value!r} cannot be read") from exc
    missing = [part for part, a, b in (("year", one.year, two.year),
                                       ("month", one.month, two.month),
                                       ("day", one.day, two.day)) if a != b]
    if missing:
        raise CellValueError(f"the date {value!r} has no {' or '.join(missing)}; write the full "
                          "date, such as 2025-03-05")
    return one.date()
