"""Minimal, fast access to the cells of an .xlsx workbook.

This is the only module that opens the zip container or looks at SpreadsheetML. It reads just
the parts a caller asks for and never builds a whole-workbook object model:

* the package and workbook parts (``_rels/.rels``, ``xl/workbook.xml`` and its rels) are small
  and parsed with lxml;
* worksheets are scanned for cells that hold a value. RMI templates pre-format about 2,500 rows
  of formulas per list sheet, so the scanner anchors on value elements (``</v>``, ``</is>``)
  and walks back to the enclosing ``<c>`` element instead of visiting every cell. Sheets whose
  markup it does not expect (cells without an ``r`` reference, unusual whitespace) are parsed
  with lxml instead, cell by cell, giving the same result;
* shared strings are split once and decoded on demand.

Cells come back as :class:`RawCell` with the value as stored, whether the cell holds a formula
(so callers can treat cached results as evidence only) and the cell type.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import posixpath
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NamedTuple

from lxml import etree

from ..errors import (
    EncryptedWorkbookError,
    LegacyFormatError,
    MalformedTemplateError,
    NotAWorkbookError,
)

__all__ = [
    "CellInput",
    "RawCell",
    "SheetCells",
    "Workbook",
    "col_to_index",
    "index_to_col",
    "open_workbook",
    "patch_cells",
]

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_MAX_PART_BYTES = 64 * 1024 * 1024
_MAX_FILE_BYTES = 100 * 1024 * 1024

_REF = re.compile(rb"([A-Z]{1,3})([0-9]{1,7})")
_ATTR = re.compile(rb'(?:^|\s)(r|t)\s*=\s*"([^"]*)"')
_XSTR_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


class RawCell(NamedTuple):
    """One cell with content, as stored in the worksheet."""

    row: int
    col: str
    value: str | float | bool
    """Text for strings and errors, float for numbers, bool for booleans."""
    kind: str
    """'s' text, 'n' number, 'b' boolean, 'e' error, 'd' ISO date text."""
    formula: bool
    """True when the cell holds a formula: ``value`` is then only the cached result."""

    @property
    def ref(self) -> str:
        return f"{self.col}{self.row}"


SheetCells = dict[tuple[int, str], RawCell]


def col_to_index(col: str) -> int:
    """'A' -> 1, 'AB' -> 28."""
    n = 0
    for ch in col:
        n = n * 26 + (ord(ch) - 64)
    return n


def index_to_col(index: int) -> str:
    """1 -> 'A', 28 -> 'AB'."""
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _unescape(text: str) -> str:
    """Decode what an XML parser would: line ends, entities, then OOXML ``_xHHHH_`` escapes."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        text = html.unescape(text)
    if "_x" in text:
        text = _XSTR_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


@dataclass
class _SharedStrings:
    """Shared-string table, split once, each string decoded on first use."""

    bodies: list[bytes]
    prefix: bytes
    _cache: dict[int, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: bytes) -> _SharedStrings:
        m = re.search(rb"<(\w+:)?sst\b", data[:4096])
        prefix = (m.group(1) or b"") if m else b""
        open_si, close_si = b"<" + prefix + b"si>", b"</" + prefix + b"si>"
        if re.search(rb"<" + re.escape(prefix) + rb"si[\s/]", data) is None:
            # every item is a plain <si>...</si>: splitting is much faster than a regex
            parts = data.split(open_si)[1:]
            return cls([p[: p.rfind(close_si)] if close_si in p else p for p in parts], prefix)
        p = re.escape(prefix)
        pattern = rb"<" + p + rb"si\b[^>]*?(?:/>|>(.*?)</" + p + rb"si>)"
        bodies = [b or b"" for b in re.findall(pattern, data, re.S)]
        return cls(bodies, prefix)

    def __len__(self) -> int:
        return len(self.bodies)

    def get(self, index: int) -> str:
        hit = self._cache.get(index)
        if hit is None:
            hit = _rich_text(self.bodies[index], self.prefix)
            self._cache[index] = hit
        return hit


def _rich_text(body: bytes, prefix: bytes) -> str:
    """Text of an <si> or <is> body: plain <t> or rich runs, without phonetic runs."""
    if body[:3] == b"<t>" and body.find(b"<", 3) == len(body) - 4:
        return _unescape(body[3:-4].decode("utf-8"))  # the common case: one plain <t>
    p = re.escape(prefix)
    if b"rPh" in body:
        body = re.sub(rb"<" + p + rb"rPh\b.*?</" + p + rb"rPh>", b"", body, flags=re.S)
    parts = re.findall(rb"<" + p + rb"t(?:\s[^>]*)?>(.*?)</" + p + rb"t>", body, re.S)
    return _unescape(b"".join(parts).decode("utf-8"))


@dataclass(frozen=True)
class SheetInfo:
    name: str
    part: str
    state: str


class Workbook:
    """An opened .xlsx package. Use :func:`open_workbook`."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.path = path
        self.sha256 = hashlib.sha256(data).hexdigest()
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise NotAWorkbookError(
                f"the zip container is damaged ({exc})",
                path=path,
                hint="ask the supplier to save the template again as .xlsx",
            ) from exc
        self._names = set(self._zip.namelist())
        self._shared: _SharedStrings | None = None
        self._sheet_cache: dict[tuple[str, frozenset[str] | None], SheetCells] = {}
        self.workbook_part = self._find_workbook_part()
        self.sheets, self.date1904, self._shared_part = self._read_workbook()

    # -- package ---------------------------------------------------------------------------

    def _read_part(self, name: str) -> bytes:
        try:
            info = self._zip.getinfo(name)
        except KeyError as exc:
            raise MalformedTemplateError(
                f"the workbook part {name} is missing", path=self.path
            ) from exc
        if info.file_size > _MAX_PART_BYTES:
            raise MalformedTemplateError(
                f"the workbook part {name} is {info.file_size} bytes, over the "
                f"{_MAX_PART_BYTES} byte limit",
                path=self.path,
            )
        try:
            # the header's size may lie: decompress at most one byte past the limit
            with self._zip.open(info) as stream:
                data = stream.read(_MAX_PART_BYTES + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise MalformedTemplateError(
                f"the workbook part {name} cannot be decompressed ({exc})", path=self.path
            ) from exc
        if len(data) > _MAX_PART_BYTES:
            raise MalformedTemplateError(
                f"the workbook part {name} inflates past the {_MAX_PART_BYTES} byte limit "
                "(a compressed-size bomb, or a damaged file)", path=self.path)
        return data

    def _xml(self, name: str) -> etree._Element:
        data = self._read_part(name)
        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
            return etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            raise MalformedTemplateError(
                f"the workbook part {name} is not well-formed XML ({exc})", path=self.path
            ) from exc

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        folder, base = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", base + ".rels")
        if rels_name not in self._names:
            return {}
        out: dict[str, tuple[str, str]] = {}
        for rel in self._xml(rels_name).iter(f"{{{_PKG_REL_NS}}}Relationship"):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            if target.startswith("/"):
                resolved = target.lstrip("/")
            else:
                resolved = posixpath.normpath(posixpath.join(folder, target))
            out[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], resolved)
        return out

    def _find_workbook_part(self) -> str:
        for _rid, (kind, target) in self._rels("").items():
            if kind == "officeDocument" and target in self._names:
                return target
        if "xl/workbook.xml" in self._names:
            return "xl/workbook.xml"
        raise NotAWorkbookError(
            "the zip file holds no spreadsheet workbook part",
            path=self.path,
            hint="this is a zip archive, but not an Excel .xlsx workbook",
        )

    def _read_workbook(self) -> tuple[list[SheetInfo], bool, str | None]:
        root = self._xml(self.workbook_part)
        ns = root.nsmap.get(None) or _MAIN_NS
        if ns not in (_MAIN_NS, _STRICT_NS):
            ns = _MAIN_NS
        rels = self._rels(self.workbook_part)
        sheets: list[SheetInfo] = []
        for el in root.iter(f"{{{ns}}}sheet"):
            rid = next((str(v) for k, v in el.attrib.items() if str(k).endswith("}id")), None)
            kind, target = rels.get(rid or "", ("", ""))
            if kind != "worksheet":
                continue  # chartsheets and dialog sheets hold no cells
            sheets.append(SheetInfo(el.get("name", ""), target, el.get("state", "visible")))
        pr = root.find(f"{{{ns}}}workbookPr")
        date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        shared = next((t for k, t in rels.values() if k == "sharedStrings"), None)
        return sheets, date1904, shared

    # -- public ----------------------------------------------------------------------------

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]

    def has_sheet(self, name: str) -> bool:
        return any(s.name == name for s in self.sheets)

    def sheet_state(self, name: str) -> str:
        return next(s.state for s in self.sheets if s.name == name)

    @property
    def shared_strings(self) -> _SharedStrings:
        if self._shared is None:
            if self._shared_part and self._shared_part in self._names:
                self._shared = _SharedStrings.parse(self._read_part(self._shared_part))
            else:
                self._shared = _SharedStrings([], b"")
        return self._shared

    def sheet_sha256(self, sheet: str) -> str:
        """The sha256 of a worksheet's stored XML: equal for the same sheet content, so
        callers can reuse what they parsed from it before (the Smelter Look-up is the same in
        every copy of one template release)."""
        info = next((s for s in self.sheets if s.name == sheet), None)
        if info is None:
            raise MalformedTemplateError(f"the sheet {sheet!r} is missing", path=self.path)
        return hashlib.sha256(self._read_part(info.part)).hexdigest()

    def cells(self, sheet: str, columns: Iterable[str] | None = None) -> SheetCells:
        """Every cell of ``sheet`` that holds a value, keyed by (row, column).

        ``columns`` limits the result to those column letters.
        """
        key = (sheet, frozenset(columns) if columns is not None else None)
        hit = self._sheet_cache.get(key)
        if hit is not None:
            return hit
        info = next((s for s in self.sheets if s.name == sheet), None)
        if info is None:
            raise MalformedTemplateError(f"the sheet {sheet!r} is missing", path=self.path)
        data = self._read_part(info.part)
        try:
            result = scan_sheet(data, self.shared_strings, key[1], path=self.path, sheet=sheet)
        except UnicodeDecodeError as exc:
            raise MalformedTemplateError(
                f"the sheet's text (part {info.part}, or the shared strings it uses) is not "
                f"valid UTF-8 ({exc.reason} at byte {exc.start} of a value)", path=self.path,
                sheet=sheet, hint="the file was damaged in transfer or by the tool that "
                "saved it; ask the supplier to save it again from Excel") from exc
        self._sheet_cache[key] = result
        return result


def open_workbook(source: str | Path | IO[bytes]) -> Workbook:
    """Open an .xlsx file, refusing legacy, encrypted and non-zip files with typed errors."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            if path.is_file() and path.stat().st_size > _MAX_FILE_BYTES:
                raise NotAWorkbookError(
                    f"the file is {path.stat().st_size} bytes, over the {_MAX_FILE_BYTES} "
                    "byte limit for a reporting template", path=path)
            data = path.read_bytes()
        except IsADirectoryError as exc:
            raise NotAWorkbookError("this is a folder, not a file", path=path) from exc
        except OSError as exc:
            raise NotAWorkbookError(f"the file cannot be read ({exc.strerror})", path=path) from exc
    else:
        path = Path(getattr(source, "name", "<stream>"))
        data = source.read()
    head = data[:8]
    if head == _OLE_MAGIC:
        if "EncryptionInfo".encode("utf-16-le") in data:  # the OLE stream of an encrypted OOXML
            raise EncryptedWorkbookError(
                path=path,
                hint="ask the supplier to remove the password (File > Info > Protect Workbook) "
                "and send the file again as .xlsx",
            )
        raise LegacyFormatError(
            path=path,
            hint="ask the supplier to use a current RMI template and save it as .xlsx",
        )
    if head[:4] != _ZIP_MAGIC:
        what = "empty" if not data else "not a zip-based .xlsx file"
        raise NotAWorkbookError(
            f"the file is {what}", path=path, hint="send an .xlsx RMI reporting template"
        )
    return Workbook(path, data)


# -- worksheet scanning -------------------------------------------------------------------

_CELL_OPENING = re.compile(rb"<(?:\w+:)?c[\s>/]")


def scan_sheet(
    data: bytes,
    shared: _SharedStrings,
    columns: frozenset[str] | None,
    *,
    path: Path,
    sheet: str,
) -> SheetCells:
    """Cells with a value, found by anchoring on value elements; lxml when markup is unusual."""
    m = re.search(rb"<(\w+:)?worksheet\b", data[:4096])
    if m is None:
        raise MalformedTemplateError("the worksheet part has no <worksheet> root", path=path,
                                     sheet=sheet)
    prefix = m.group(1) or b""
    fast = _scan_fast(data, prefix, shared, columns)
    if fast is not None:
        return fast
    return _scan_lxml(data, shared, columns, path=path, sheet=sheet)


def _convert(
    kind: bytes, raw: str, shared: _SharedStrings
) -> tuple[str | float | bool, str] | None:
    """Typed value of a cell from its t attribute and <v> text; None for empty/broken."""
    if kind == b"s":
        try:
            return shared.get(int(raw)), "s"
        except (ValueError, IndexError):
            return None
    if kind in (b"str", b"inlineStr"):
        return _unescape(raw), "s"
    if kind == b"b":
        return raw.strip() in ("1", "true"), "b"
    if kind == b"e":
        return raw, "e"
    if kind == b"d":
        return raw, "d"
    try:
        return float(raw), "n"
    except ValueError:
        return _unescape(raw), "s"


_END_PATTERNS: dict[bytes, re.Pattern[bytes]] = {}


def _scan_fast(
    data: bytes, prefix: bytes, shared: _SharedStrings, columns: frozenset[str] | None
) -> SheetCells | None:
    """Anchor on the end of every non-empty value element and walk back to its cell.

    Returns None when the markup is not what this scanner expects, so the caller can parse the
    sheet with lxml instead.
    """
    out: SheetCells = {}
    ends = _END_PATTERNS.get(prefix)
    if ends is None:
        p = re.escape(prefix)
        ends = re.compile(rb"</" + p + rb"v>|</" + p + rb"is>")
        _END_PATTERNS[prefix] = ends
    c_open = b"<" + prefix + b"c "
    c_len = len(c_open)
    f_open = b"<" + prefix + b"f"
    v_open = b"<" + prefix + b"v"
    is_open = b"<" + prefix + b"is>"
    wanted = None if columns is None else {c.encode() for c in columns}
    rfind = data.rfind
    find = data.find
    cell_opening = _CELL_OPENING.search
    empty_v = b"<" + prefix + b"v>"
    empty_len = len(empty_v)
    for m in ends.finditer(data):
        end = m.start()
        if data[end - empty_len : end] == empty_v:
            continue  # <v></v>: an empty cached result, as some writers save
        start = rfind(c_open, 0, end)
        if start < 0:
            return None
        head_end = find(b">", start)
        if data[head_end - 1] == 47 or cell_opening(data, start + 1, end) is not None:
            return None  # another cell opens in between: markup this scanner does not expect
        head = data[start + c_len : head_end]
        if head.startswith(b'r="'):
            ref = head[3 : head.find(b'"', 3)]
            tpos = head.find(b' t="')
            kind = head[tpos + 4 : head.find(b'"', tpos + 4)] if tpos >= 0 else b"n"
        else:
            attrs = dict(_ATTR.findall(b" " + head))
            if b"r" not in attrs:
                return None
            ref, kind = attrs[b"r"], attrs.get(b"t", b"n")
        col_b = ref.rstrip(b"0123456789")
        if wanted is not None and col_b not in wanted:
            continue
        row_b = ref[len(col_b):]
        if not col_b or not row_b or not col_b.isalpha() or not row_b.isdigit():
            return None
        body_start = head_end + 1
        if m.group(0)[-3:] == b"is>":
            i = rfind(is_open, body_start, end)
            if i < 0:
                return None
            text = _rich_text(data[i + len(is_open) : end], prefix)
            if not text:
                continue
            value: tuple[str | float | bool, str] | None = (text, "s")
            formula = find(f_open, body_start, i) >= 0
        else:
            i = rfind(v_open, body_start, end)
            if i < 0:
                return None
            raw = data[find(b">", i) + 1 : end].decode("utf-8")
            if not raw:
                continue
            formula = find(f_open, body_start, i) >= 0
            value = _convert(kind, raw, shared)
            if value is None:
                continue
        if value is None:
            continue
        row = int(row_b)
        col = col_b.decode()
        out[(row, col)] = RawCell(row, col, value[0], value[1], formula)
    return out


def _scan_lxml(
    data: bytes,
    shared: _SharedStrings,
    columns: frozenset[str] | None,
    *,
    path: Path,
    sheet: str,
) -> SheetCells:
    out: SheetCells = {}
    row_no = 0
    col_no = 0
    try:
        ctx = etree.iterparse(
            io.BytesIO(data), events=("start", "end"), resolve_entities=False, no_network=True
        )
        for event, el in ctx:
            local = etree.QName(el).localname
            if local == "row" and event == "start":
                r = el.get("r")
                row_no = int(r) if r and r.isdigit() else row_no + 1
                col_no = 0
            elif local == "c" and event == "end":
                ref = el.get("r")
                if ref:
                    rm = _REF.fullmatch(ref.encode())
                    if rm is None:
                        raise MalformedTemplateError(f"bad cell reference {ref!r}", path=path,
                                                     sheet=sheet)
                    col = rm.group(1).decode()
                    row = int(rm.group(2))
                    col_no = col_to_index(col)
                else:
                    col_no += 1
                    col, row = index_to_col(col_no), row_no
                if columns is None or col in columns:
                    cell = _lxml_cell(el, row, col, shared)
                    if cell is not None:
                        out[(row, col)] = cell
                el.clear()
            elif local == "row" and event == "end":
                el.clear()
    except etree.XMLSyntaxError as exc:
        raise MalformedTemplateError(f"the worksheet is not well-formed XML ({exc})", path=path,
                                     sheet=sheet) from exc
    return out


def _lxml_cell(el: etree._Element, row: int, col: str, shared: _SharedStrings) -> RawCell | None:
    formula = False
    v_text: str | None = None
    inline: str | None = None
    for child in el:
        local = etree.QName(child).localname
        if local == "f":
            formula = True
        elif local == "v":
            v_text = child.text or ""
        elif local == "is":
            inline = "".join(
                t.text or ""
                for t in child.iter()
                if etree.QName(t).localname == "t"
                and etree.QName(t.getparent()).localname != "rPh"
            )
    if inline is not None:
        inline = _XSTR_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), inline)
        return RawCell(row, col, inline, "s", formula) if inline else None
    if not v_text:
        return None
    kind = (el.get("t") or "n").encode()
    if kind in (b"str", b"inlineStr", b"e", b"d"):
        value: tuple[str | float | bool, str] | None = (
            (v_text, kind.decode())
            if kind in (b"e", b"d")
            else (_XSTR_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), v_text), "s")
        )
    else:
        value = _convert(kind, v_text, shared)
    if value is None:
        return None
    return RawCell(row, col, value[0], value[1], formula)


def iter_rows(cells: SheetCells) -> Iterator[tuple[int, dict[str, RawCell]]]:
    """Group cells by row, rows in ascending order."""
    rows: dict[int, dict[str, RawCell]] = {}
    for (row, col), cell in cells.items():
        rows.setdefault(row, {})[col] = cell
    for row in sorted(rows):
        yield row, rows[row]


# -- patching -------------------------------------------------------------------------------

CellInput = str | float | int | bool | dt.date | None
"""What a patch writes into a cell: text, a number, a boolean, a date (stored as its serial
number) or ``None`` to empty the cell (its style is kept)."""

_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?([1-9][0-9]{0,6})$")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LOOKS_ESCAPED = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_WORKBOOK_BEFORE_CALC = ("sheets", "functionGroups", "externalReferences", "definedNames")


def _xstring(text: str) -> str:
    """Text as an OOXML string: literal ``_xHHHH_`` and characters XML cannot carry escaped."""
    text = _LOOKS_ESCAPED.sub(r"_x005F_\1", text)
    return _NOT_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _split_ref(key: str) -> tuple[str, str, int]:
    sheet, _, ref = key.rpartition("!")
    m = _CELL_REF.match(ref.upper())
    if not sheet or m is None:
        raise ValueError(f"{key!r} is not a 'Sheet!A1' cell reference")
    return sheet.strip("'"), m.group(1), int(m.group(2))


class _SheetPatch:
    """The edits of one worksheet part, applied to its parsed XML."""

    def __init__(self, root: etree._Element, *, path: Path, sheet: str) -> None:
        self.root, self.path, self.sheet = root, path, sheet
        self.ns = root.nsmap.get(None) or _MAIN_NS
        data = root.find(self._q("sheetData"))
        if data is None:
            raise MalformedTemplateError("the worksheet has no cell data", path=path, sheet=sheet)
        self.data = data
        self.rows: dict[int, etree._Element] = {}
        for row in data.iterchildren(self._q("row")):
            r = row.get("r")
            if r is None or not r.isdigit():
                raise self._refuse("its rows carry no row numbers")
            self.rows[int(r)] = row
        self.arrays: list[tuple[str, int, int, int, int]] = []
        """Multi-cell array formulas: (range, first col, first row, last col, last row)."""
        for f in root.iter(self._q("f")):
            span = f.get("ref") or ""
            if f.get("t") == "array" and ":" in span:
                a, _, b = span.partition(":")
                ma, mb = _CELL_REF.match(a), _CELL_REF.match(b)
                if ma and mb:
                    self.arrays.append((span, col_to_index(ma.group(1)), int(ma.group(2)),
                                        col_to_index(mb.group(1)), int(mb.group(2))))
        self.removed_masters: dict[str, tuple[str, str]] = {}
        """Shared formulas whose anchor cell was overwritten: si -> (anchor ref, formula)."""
        self.formulas_removed = False

    def _q(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def _refuse(self, why: str, cell: str | None = None) -> MalformedTemplateError:
        return MalformedTemplateError(f"the worksheet cannot be edited: {why}", path=self.path,
                                      sheet=self.sheet, cell=cell)

    def _row(self, number: int) -> etree._Element:
        row = self.rows.get(number)
        if row is None:
            row = etree.Element(self._q("row"), r=str(number))
            later = [n for n in self.rows if n > number]
            if later:
                self.rows[min(later)].addprevious(row)
            else:
                self.data.append(row)
            self.rows[number] = row
        return row

    def _cell(self, col: str, number: int) -> etree._Element:
        row = self._row(number)
        ref, index = f"{col}{number}", col_to_index(col)
        for c in row.iterchildren(self._q("c")):
            r = c.get("r")
            m = _CELL_REF.match(r or "")
            if m is None:
                raise self._refuse("a cell carries no reference", ref)
            if r == ref:
                return c
            if col_to_index(m.group(1)) > index:
                new = etree.Element(self._q("c"), r=ref)
                c.addprevious(new)
                return new
        new = etree.SubElement(row, self._q("c"), r=ref)
        return new

    def set(self, col: str, number: int, value: CellInput, date1904: bool) -> None:
        ref, index = f"{col}{number}", col_to_index(col)
        for span, c1, r1, c2, r2 in self.arrays:
            if c1 <= index <= c2 and r1 <= number <= r2:
                raise self._refuse(f"the cell is part of the array formula over {span}", ref)
        c = self._cell(col, number)
        f = c.find(self._q("f"))
        if f is not None:
            if f.get("t") == "shared" and f.get("ref") and f.text:
                self.removed_masters[f.get("si", "")] = (ref, f.text)
            self.formulas_removed = True
        for child in list(c):
            if etree.QName(child).localname in ("f", "v", "is"):
                c.remove(child)
        for attr in ("t", "cm", "vm"):
            if attr in c.attrib:
                del c.attrib[attr]
        if value is None:
            return
        if isinstance(value, bool):
            c.set("t", "b")
            self._value(c, "1" if value else "0")
        elif isinstance(value, (int, float)):
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError(f"{ref}: {value!r} cannot be stored in a cell")
            self._value(c, repr(float(value)) if isinstance(value, float) else str(value))
        elif isinstance(value, dt.date):
            epoch = dt.date(1904, 1, 1) if date1904 else dt.date(1899, 12, 30)
            day = value.date() if isinstance(value, dt.datetime) else value
            serial = float((day - epoch).days)
            if isinstance(value, dt.datetime):
                midnight = dt.datetime.combine(day, dt.time(), value.tzinfo)
                serial += (value - midnight).total_seconds() / 86400
            self._value(c, repr(serial))
        else:
            c.set("t", "inlineStr")
            inline = etree.Element(self._q("is"))
            t = etree.SubElement(inline, self._q("t"))
            t.text = _xstring(value)
            if value != value.strip() or "\n" in value:
                t.set(f"{{{_XML_NS}}}space", "preserve")
            self._insert(c, inline)

    def _value(self, c: etree._Element, text: str) -> None:
        v = etree.Element(self._q("v"))
        v.text = text
        self._insert(c, v)

    def _insert(self, c: etree._Element, child: etree._Element) -> None:
        ext = c.find(self._q("extLst"))
        if ext is not None:
            ext.addprevious(child)
        else:
            c.append(child)

    def unshare(self) -> None:
        """Give every cell that borrowed a removed anchor's shared formula its own copy."""
        if not self.removed_masters:
            return
        from openpyxl.formula.translate import Translator  # only needed here

        for f in self.root.iter(self._q("f")):
            si = f.get("si")
            if f.get("t") != "shared" or si not in self.removed_masters or f.text:
                continue
            anchor, formula = self.removed_masters[si]
            parent = f.getparent()
            target = parent.get("r", "") if parent is not None else ""
            f.text = Translator(f"={formula}", origin=anchor).translate_formula(target)[1:]
            for attr in ("t", "si", "ref"):
                if attr in f.attrib:
                    del f.attrib[attr]


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _patch_package(wb: Workbook, edits: Mapping[str, CellInput]) -> dict[str, bytes | None]:
    """New bytes for every part the edits change (``None``: drop the part)."""
    by_part: dict[str, list[tuple[str, int, CellInput]]] = {}
    names: dict[str, str] = {}
    for key, value in edits.items():
        sheet, col, row = _split_ref(key)
        info = next((s for s in wb.sheets if s.name == sheet), None)
        if info is None:
            raise MalformedTemplateError(f"the sheet {sheet!r} is missing", path=wb.path)
        by_part.setdefault(info.part, []).append((col, row, value))
        names[info.part] = sheet
    parts: dict[str, bytes | None] = {}
    formulas_removed = False
    for part, cells in by_part.items():
        patch = _SheetPatch(wb._xml(part), path=wb.path, sheet=names[part])
        for col, row, value in cells:
            patch.set(col, row, value, wb.date1904)
        patch.unshare()
        formulas_removed |= patch.formulas_removed
        parts[part] = _serialise(patch.root)
    if not parts:
        return parts
    # Cached results of dependent formulas are now stale: ask for a full recalculation on open.
    root = wb._xml(wb.workbook_part)
    ns = root.nsmap.get(None) or _MAIN_NS
    calc = root.find(f"{{{ns}}}calcPr")
    if calc is None:
        calc = etree.Element(f"{{{ns}}}calcPr")
        anchors = [el for el in root if etree.QName(el).localname in _WORKBOOK_BEFORE_CALC]
        if anchors:
            anchors[-1].addnext(calc)
        else:
            root.append(calc)
    calc.set("fullCalcOnLoad", "1")
    parts[wb.workbook_part] = _serialise(root)
    if formulas_removed:  # the calculation chain would name cells that no longer compute
        chain = next((t for k, t in wb._rels(wb.workbook_part).values() if k == "calcChain"),
                     None)
        if chain is not None:
            parts[chain] = None
            folder, base = posixpath.split(wb.workbook_part)
            rels_name = posixpath.join(folder, "_rels", base + ".rels")
            rels = wb._xml(rels_name)
            for rel in list(rels):
                if rel.get("Type", "").endswith("/calcChain"):
                    rels.remove(rel)
            parts[rels_name] = _serialise(rels)
            types = wb._xml("[Content_Types].xml")
            for override in list(types.iter(f"{{{_CT_NS}}}Override")):
                if override.get("PartName", "").lstrip("/") == chain:
                    types.remove(override)
            parts["[Content_Types].xml"] = _serialise(types)
    return parts


def patch_cells(
    source: str | Path, edits: Mapping[str, CellInput], dest: str | Path
) -> Path:
    """Write a copy of ``source`` with the cells in ``edits`` ("Sheet!A1" -> value) changed.

    Only the edited worksheets and the workbook part change, at the XML level: every other
    part (styles, data validation, formulas, hidden sheets, macros) is copied byte for byte.
    Text is stored inline, a formula in an edited cell is removed (cells that shared it get
    their own copy), the calculation chain is dropped when formulas went, and the workbook
    asks spreadsheet programs to recalculate in full when it is opened.
    """
    wb = open_workbook(source)
    parts = _patch_package(wb, edits)
    out = Path(dest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for info in wb._zip.infolist():
            if info.filename in parts:
                data = parts[info.filename]
                if data is None:
                    continue
            else:
                data = wb._zip.read(info)
            z.writestr(info, data, compress_type=info.compress_type)
    out.write_bytes(buffer.getvalue())
    return out
