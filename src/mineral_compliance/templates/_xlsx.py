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

Every scanner is a single forward pass over the part: on broken markup (unclosed elements,
tags without their ``>``, many values in one cell) the work stays proportional to the size of
the part, and a sheet the fast scanner cannot follow goes to lxml, which is linear too.

Cells come back as :class:`RawCell` with the value as stored, whether the cell holds a formula
(so callers can treat cached results as evidence only) and the cell type. Text is made safe to
carry on the way out: an escaped surrogate pair (``_xD83D__xDE00_``) becomes its character, a
lone surrogate becomes U+FFFD, and text longer than :data:`~mineral_compliance._io.MAX_TEXT_CHARS`
characters is cut; a cell changed in either way says so in :attr:`RawCell.repair`.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import hashlib
import io
import math
import operator
import os
import posixpath
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path
from typing import IO, Any, Generic, NamedTuple, TypeVar, cast

from lxml import etree

from .._io import (
    MAX_TEXT_CHARS,
    ZIP_ERRORS,
    FileRefusedError,
    TooLargeError,
    XmlEncodingError,
    cap_text,
    inflate_pieces,
    is_utf8_xml,
    read_capped,
    read_member,
    stored_body,
    xml_as_utf8,
    zip_directory,
)
from .._io.markup import local_name
from .._io.serials import date_to_serial
from ..errors import (
    EncryptedWorkbookError,
    LegacyFormatError,
    MalformedTemplateError,
    NotAWorkbookError,
)

__all__ = [
    "CellInput",
    "CellPatcher",
    "RawCell",
    "SheetCells",
    "TextRepair",
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
_MAX_TREE_BYTES = 4 * 1024 * 1024
"""The largest part parsed whole into a tree (a real workbook part is a few KB, its
relationships and content types smaller): its elements cost under 150 MB."""
_MAX_FILE_BYTES = 100 * 1024 * 1024
_MAX_PACKAGE_ENTRIES = 10_000
"""The most zip entries a workbook is read with (a CMRT 6.x has about 40), checked before
:mod:`zipfile` parses the directory: it costs about a kilobyte of memory and several
microseconds per entry, and a 100 MB file could declare over a million."""
_MAX_DIRECTORY_BYTES = 4 * 1024 * 1024
"""The largest zip directory parsed (10,000 entries with names of 300 characters); zipfile
reads as many bytes as the directory's declared size, whatever its entry count."""
_END_RECORDS = 65_536 + 22 + 56
"""The last bytes of a zip file that hold its end records (with the longest comment)."""

_REF = re.compile(rb"([A-Z]{1,3})([0-9]{1,7})")
_PLAIN_HEAD = re.compile(rb'(?:[\w:.-]{1,64}="[^"<>&]*"(?: |/?\Z))*/?')
"""A cell's attributes as the walk reads them: each ``name="value"``, one space apart, no
markup or reference in a value (where lxml would read another value than the bytes)."""
_HEAD_ATTR = re.compile(rb'([\w:.-]{1,64})="([^"]*)"')
"""Each attribute of a head :data:`_PLAIN_HEAD` matched, in order."""
_ODD_HEAD = re.compile(rb"['\t\n\r]| =|= ")
"""Cell attributes the fast scanner does not parse: single quotes, whitespace other than
one space between attributes, or space around ``=`` (all valid XML)."""
_XSTR_ESCAPE = re.compile(
    r"_x([dD][89abAB][0-9A-Fa-f]{2})__x([dD][c-fC-F][0-9A-Fa-f]{2})_|_x([0-9A-Fa-f]{4})_")
"""An OOXML ``_xHHHH_`` escape; a high and a low surrogate escaped one after the other (how
Excel stores a character beyond the Basic Multilingual Plane) are matched as one pair."""


class TextRepair(NamedTuple):
    """What the reader changed in a cell's text so that every output can carry it."""

    length: int
    """Characters of the text as stored (after decoding), before any cut."""
    truncated: bool
    """Cut to :data:`~mineral_compliance._io.MAX_TEXT_CHARS` characters."""
    replaced: bool
    """Code points no encoding can carry (lone surrogates) were replaced by U+FFFD."""


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
    repair: TextRepair | None = None
    """Set when the text of ``value`` was cut or had characters replaced."""

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


def _decode_escapes(text: str) -> tuple[str, bool]:
    """``text`` with its OOXML ``_xHHHH_`` escapes decoded, and whether a lone surrogate was
    among them (it is decoded to U+FFFD: no encoding can carry it)."""
    if "_x" not in text:
        return text, False
    replaced = False

    def one(m: re.Match[str]) -> str:
        nonlocal replaced
        high, low, single = m.groups()
        if high is not None:
            return chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + int(low, 16) - 0xDC00)
        code = int(single, 16)
        if 0xD800 <= code <= 0xDFFF:
            replaced = True
            return "\ufffd"
        return chr(code)

    return _XSTR_ESCAPE.sub(one, text), replaced


_XML_ENTITY = re.compile(r"&(?:#x([0-9A-Fa-f]{1,8});|#([0-9]{1,10});|(amp|lt|gt|quot|apos);)")
"""What an XML parser decodes in text: numeric character references (with a bounded number
of digits, so no reference costs more than its own bytes) and the five predefined entities.
Anything else after ``&`` is left as it is, as HTML's rules (``&euro;``, ``&#128;`` read as
"€") are not XML's."""
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _decode_entities(text: str) -> tuple[str, bool]:
    """``text`` with XML references decoded, and whether one named a code point no text can
    hold (NUL, a surrogate, past U+10FFFF), which becomes U+FFFD."""
    replaced = False

    def one(m: re.Match[str]) -> str:
        nonlocal replaced
        hexa, decimal, name = m.groups()
        if name is not None:
            return _NAMED[name]
        code = int(hexa, 16) if hexa is not None else int(decimal)
        if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            replaced = True
            return "\ufffd"
        return chr(code)

    return _XML_ENTITY.sub(one, text), replaced


def _unescape(text: str) -> tuple[str, bool]:
    """Decode what an XML parser would: line ends, entities, then OOXML ``_xHHHH_`` escapes;
    and whether a code point had to be replaced by U+FFFD."""
    replaced = False
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        text, replaced = _decode_entities(text)
    if "_x" in text:
        text, lone = _decode_escapes(text)
        replaced = replaced or lone
    return text, replaced


def _finish(text: str, replaced: bool) -> tuple[str, TextRepair | None]:
    """Decoded text capped at ``MAX_TEXT_CHARS``, with the record of what was changed."""
    if len(text) <= MAX_TEXT_CHARS and not replaced:
        return text, None
    kept, cut = cap_text(text, MAX_TEXT_CHARS)
    return kept, TextRepair(len(text), cut, replaced)


def _text_of(raw: str) -> tuple[str, TextRepair | None]:
    """Stored (still escaped) text as the value to return."""
    return _finish(*_unescape(raw))


@functools.lru_cache(maxsize=32)
def _tags(prefix: bytes, names: bytes) -> re.Pattern[bytes]:
    """Openings and closings of the elements ``names`` (a regex alternation) with ``prefix``.

    The attribute part stops at the next ``<``, so a tag without its ``>`` costs only the
    bytes up to the next tag, never a scan to the end of the part. Groups: the closing slash,
    the name, the attributes, the ``>`` (empty when the tag is broken). Kept for the last few
    prefixes only: each file may name its own, and a worker reads thousands."""
    return re.compile(
        rb"<(/?)" + re.escape(prefix) + rb"(" + names + rb")(?=[\s/>])([^<>]*)(>?)")


@dataclass
class _SharedStrings:
    """Shared-string table, split once, each string decoded on first use.

    A table of ~15,000 items of which a supplier's file uses a few hundred: an item is cut
    at its closing tag (``close``, when set: the items came from splitting on ``<si>``) only
    when it is used, too."""

    bodies: list[bytes]
    prefix: bytes
    _cache: dict[int, tuple[str, TextRepair | None]] = field(default_factory=dict)
    close: bytes | None = None

    @classmethod
    def parse(cls, data: bytes) -> _SharedStrings:
        """Split the table into item bodies in one forward pass.

        An item runs from its ``<si>`` to the last ``</si>`` before the next ``<si``; one left
        unclosed runs to the next item, so a damaged item never shifts the indexes of the
        items after it."""
        m = root_element(data, _SST_ROOT)
        prefix = (m.group(1) or b"") if m else b""
        open_si, close_si = b"<" + prefix + b"si>", b"</" + prefix + b"si>"
        if re.search(rb"<" + re.escape(prefix) + rb"si[\s/]", data) is None:
            # every item is a plain <si>...</si>: splitting is much faster than a regex
            parts = data.split(open_si)
            del parts[0]
            return cls(parts, prefix, close=close_si)
        bodies: list[bytes] = []
        start = last_close = -1
        for tag in _tags(prefix, b"si").finditer(data):
            closing, _name, attrs, gt = tag.groups()
            if closing:
                if start >= 0:
                    last_close = tag.start()
                continue
            if start >= 0:
                bodies.append(data[start : last_close if last_close >= 0 else tag.start()])
                start = -1
            if gt and attrs.endswith(b"/"):
                bodies.append(b"")
            else:  # an item (a broken opening tag still starts one, to keep the indexes)
                start, last_close = tag.end(), -1
        if start >= 0:
            bodies.append(data[start : last_close if last_close >= 0 else len(data)])
        return cls(bodies, prefix)

    def __len__(self) -> int:
        return len(self.bodies)

    def entry(self, index: int) -> tuple[str, TextRepair | None]:
        """The text of item ``index`` and what was changed in it (``IndexError`` past the
        end)."""
        hit = self._cache.get(index)
        if hit is None:
            body = self.bodies[index]
            if self.close is not None:  # an item of a split: it ends at its last </si>
                end = body.rfind(self.close)
                if end >= 0:
                    body = body[:end]
            if body[:3] == b"<t>" and body.find(b"<", 3) == len(body) - 4:
                text = body[3:-4].decode("utf-8")  # one plain <t>, as most items are
                if ("&" in text or "_x" in text or "\r" in text
                        or len(text) > MAX_TEXT_CHARS):
                    hit = _finish(*_unescape(text))
                else:
                    hit = (text, None)  # what _finish(*_unescape(text)) gives for it
            else:
                hit = _finish(*_rich_text(body, self.prefix))
            self._cache[index] = hit
        return hit

    def get(self, index: int) -> str:
        return self.entry(index)[0]


_SST_ROOT = re.compile(rb"<(\w+:)?sst\b")


def _strings_without_asides(data: bytes) -> bytes:
    """The shared strings part without its comments, instructions and CDATA sections, as
    the item splitter reads it: parsed with lxml item by item, each item written out as it
    ends and then dropped, so the table never stands whole as a tree (some thirty times its
    bytes). Raises :class:`lxml.etree.XMLSyntaxError` for a part that is not XML."""
    out = bytearray()
    root: etree._Element | None = None
    declared = b""  # the table's namespace as each item written alone declares it again
    depth = 0
    for event, el in etree.iterparse(
            io.BytesIO(data), events=("start", "end"), resolve_entities=False,
            no_network=True, huge_tree=False, remove_comments=True, remove_pis=True,
            strip_cdata=True):
        if event == "start":
            depth += 1
            if root is None:
                root = el
                name = etree.QName(el)
                tag = f"{el.prefix}:{name.localname}" if el.prefix else name.localname
                out += f"<{tag}>".encode()
                if name.namespace:
                    declared = (f' xmlns:{el.prefix}="{name.namespace}"' if el.prefix
                                else f' xmlns="{name.namespace}"').encode()
            continue
        depth -= 1
        if depth == 1 and root is not None:  # an item (or anything else in the table), whole
            item = etree.tostring(el, encoding="utf-8", xml_declaration=False,
                                  with_tail=False)
            named = item.find(b" ") if declared else -1  # (right after the item's name)
            if named > 0 and item.startswith(declared, named):
                item = item[:named] + item[named + len(declared):]
            out += item
            el.clear()
            root.remove(el)
    if root is None:
        return b""
    name = etree.QName(root)
    tag = f"{root.prefix}:{name.localname}" if root.prefix else name.localname
    out += f"</{tag}>".encode()
    return bytes(out)


def _rich_text(body: bytes, prefix: bytes) -> tuple[str, bool]:
    """Text of an <si> or <is> body: plain <t> or rich runs, without phonetic runs; and
    whether a code point had to be replaced.

    One forward pass over the tags: the text of every ``<t>`` element outside ``<rPh>``
    (phonetic guides). A ``<t>`` left unclosed contributes nothing; an unclosed ``<rPh>``
    hides the runs after it."""
    if body[:3] == b"<t>" and body.find(b"<", 3) == len(body) - 4:
        return _unescape(body[3:-4].decode("utf-8"))  # the common case: one plain <t>
    parts: list[bytes] = []
    start = -1
    phonetic = False
    for tag in _tags(prefix, b"t|rPh").finditer(body):
        closing, name, attrs, gt = tag.groups()
        empty = attrs.endswith(b"/")
        if name == b"rPh":
            if gt and not empty:
                phonetic = not closing
            start = -1
        elif closing:
            if start >= 0 and gt:
                parts.append(body[start : tag.start()])
            start = -1
        else:
            start = tag.end() if gt and not empty and not phonetic else -1
    return _unescape(b"".join(parts).decode("utf-8"))


_CORE_PROPERTIES = {"title": "Title", "subject": "Subject", "keywords": "Tags",
                    "category": "Categories", "description": "Comments"}
"""Core properties (Dublin Core and OPC names) that describe a document, and Excel's names
for them."""
_MAX_PROPERTY_CHARS = 1_000


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
        self._data = data
        declared = zip_directory(data[-_END_RECORDS:])
        if declared is not None and (declared[0] > _MAX_PACKAGE_ENTRIES
                                     or declared[1] > _MAX_DIRECTORY_BYTES):
            raise NotAWorkbookError(
                f"the zip container declares {declared[0]:,} entries in a directory of "
                f"{declared[1]:,} bytes, over the {_MAX_PACKAGE_ENTRIES:,} entries and "
                f"{_MAX_DIRECTORY_BYTES:,} bytes a workbook is read with", path=path,
                hint="a reporting template holds a few dozen parts; ask the supplier to "
                "save the template again as .xlsx")
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except ZIP_ERRORS as exc:
            raise NotAWorkbookError(
                f"the zip container is damaged ({exc})",
                path=path,
                hint="ask the supplier to save the template again as .xlsx",
            ) from exc
        listed = self._zip.namelist()
        self._names = set(listed)
        if len(self._names) != len(listed):
            twice = sorted(n for n, k in collections.Counter(listed).items() if k > 1)
            raise MalformedTemplateError(
                f"the package holds more than one entry named {twice[0]!r}"
                + (f" (and {len(twice) - 1} more names)" if len(twice) > 1 else "")
                + ": readers differ on which one they read, so none is read",
                path=path, hint="the file was damaged or altered after it was saved; ask the "
                "supplier to save the template again from Excel")
        self._folded: dict[str, list[str]] = {}  # the names by their ASCII lower case
        for name in self._names:
            self._folded.setdefault(name.translate(_ASCII_LOWER), []).append(name)
        self._shared: _SharedStrings | None = None
        self._sheet_cache: dict[tuple[str, frozenset[str] | None, int | None], SheetCells] = {}
        self._top_cache: dict[tuple[str, int, int, frozenset[str] | None], SheetCells] = {}
        self._digests: dict[str, str] = {}
        self._part_digests: dict[str, str] = {}
        self._hashed: dict[str, bytes] = {}
        self._pieces: dict[str, list[bytes]] = {}  # sheets cut into rows (StoredRows)
        """Parts inflated for a digest or a signature, kept for the one reading of their cells
        that may follow."""
        self.workbook_part = self._find_workbook_part()
        self.sheets, self.date1904, self._shared_part = self._read_workbook()

    # -- package ---------------------------------------------------------------------------

    def part_name(self, name: str) -> str:
        """The name under which the package holds part ``name``: part names compare as
        case-insensitive ASCII (ECMA-376 Part 2, M1.12), so a relationship's target may be
        written in another case than the zip entry. ``name`` itself when the package holds
        it as written, or holds no such part, or two that differ only in case (which M1.12
        forbids: the one written as asked for is taken, else none)."""
        if name in self._names:
            return name
        alike = self._folded.get(name.translate(_ASCII_LOWER), ())
        return alike[0] if len(alike) == 1 else name

    def _read_part(self, name: str, limit: int = _MAX_PART_BYTES) -> bytes:
        name = self.part_name(name)
        try:
            info = self._zip.getinfo(name)
        except KeyError as exc:
            raise MalformedTemplateError(
                f"the workbook part {name} is missing", path=self.path
            ) from exc
        if info.file_size > limit:
            raise MalformedTemplateError(
                f"the workbook part {name} is {info.file_size:,} bytes, over the "
                f"{limit:,} byte limit",
                path=self.path,
            )
        try:
            # the header's size may lie: decompress at most one byte past the limit
            data = read_member(self._zip, info, limit, self.path,
                               source=self._data)
        except TooLargeError as exc:
            raise MalformedTemplateError(
                f"the workbook part {name} inflates past the {limit:,} byte limit "
                "(a compressed-size bomb, or a damaged file)", path=self.path) from exc
        except FileRefusedError as exc:
            raise MalformedTemplateError(
                f"the workbook part {name} cannot be decompressed ({exc.reason})", path=self.path
            ) from exc
        except zlib.error as exc:  # damaged deflate data
            raise MalformedTemplateError(
                f"the workbook part {name} cannot be decompressed ({exc})", path=self.path
            ) from exc
        try:
            return xml_as_utf8(data, limit)  # every part is read in UTF-8
        except XmlEncodingError as exc:
            raise MalformedTemplateError(
                f"the workbook part {name} cannot be read: {exc}", path=self.path,
                hint="ask the supplier to save the template again from Excel") from exc

    def _xml(self, name: str, limit: int = _MAX_TREE_BYTES) -> etree._Element:
        """A part parsed whole into a tree, up to ``limit`` bytes: a tree costs some thirty
        times its bytes, so the parts only read this way (relationships, content types, the
        workbook, the document properties) are read up to :data:`_MAX_TREE_BYTES`; a sheet
        the writer patches, up to the limit of any part."""
        data = self._read_part(name, limit)
        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            raise MalformedTemplateError(
                f"the workbook part {name} is not well-formed XML ({exc})", path=self.path
            ) from exc
        info: Any = root.getroottree().docinfo  # (its stubs lack the doctype)
        if info.doctype:
            raise _dtd_refused(path=self.path, part=name)
        return root

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        folder, base = posixpath.split(part)
        rels_name = self.part_name(posixpath.join(folder, "_rels", base + ".rels"))
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
            out[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1],
                                      self.part_name(resolved))
        return out

    def _find_workbook_part(self) -> str:
        for _rid, (kind, target) in self._rels("").items():
            if kind == "officeDocument" and target in self._names:
                self._refuse_other_document(target)
                return target
        usual = self.part_name("xl/workbook.xml")
        if usual in self._names:
            return usual
        raise self._other_format() or NotAWorkbookError(
            "the zip file holds no spreadsheet workbook part",
            path=self.path,
            hint="this is a zip archive, but not an Excel .xlsx workbook",
        )

    def _refuse_other_document(self, main: str) -> None:
        """Refuse, in words the supplier can act on, an Office package whose main part is
        not a workbook in XML: a binary workbook (.xlsb), a Word or PowerPoint document (by
        the main part's content type; a package that declares none is read as a workbook)."""
        types = self.part_name("[Content_Types].xml")
        if types not in self._names:
            return
        try:
            data = self._read_part(types)
            if not any(marker.encode() in data for marker, _what in _OTHER_DOCUMENTS):
                return  # (no such content type anywhere: parsed only when one is named)
            root = self._xml(types)
        except MalformedTemplateError:
            return  # (the content types are not read otherwise: a workbook may still read)
        wanted = "/" + main.translate(_ASCII_LOWER)
        kind = next((str(el.get("ContentType", "")) for el in root.iter(f"{{{_CT_NS}}}Override")
                     if str(el.get("PartName", "")).translate(_ASCII_LOWER) == wanted), "")
        for marker, what in _OTHER_DOCUMENTS:
            if marker in kind:
                raise NotAWorkbookError(
                    f"the file is {what}, not an Excel workbook in XML (.xlsx)", path=self.path,
                    hint="ask the supplier to fill in the RMI template in Excel and save it "
                    "as an Excel Workbook (.xlsx)")

    def _other_format(self) -> NotAWorkbookError | None:
        """The error for a zip-based document of another program, known by its own marks."""
        what = None
        mimetype = self.part_name("mimetype")
        if mimetype in self._names:
            try:
                with self._zip.open(mimetype) as stream:
                    declared = stream.read(100)
            except ZIP_ERRORS:
                declared = b""
            if declared.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
                what = "an OpenDocument spreadsheet (.ods)"
            elif declared.startswith(b"application/vnd.oasis.opendocument"):
                what = "an OpenDocument document (not a spreadsheet)"
        elif any(n.startswith("Index/") and n.endswith(".iwa") for n in self._names):
            what = "an Apple iWork document (Numbers, Pages or Keynote)"
        if what is None:
            return None
        return NotAWorkbookError(
            f"the file is {what}, not an Excel workbook (.xlsx)", path=self.path,
            hint="ask the supplier to fill in the RMI template in Excel, or to export it to "
            "Excel (.xlsx): other formats lose the template's lists and checks")

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
                self._shared = _SharedStrings.parse(self._strings_xml(self._shared_part))
            else:
                self._shared = _SharedStrings([], b"")
        return self._shared

    def _strings_xml(self, part: str) -> bytes:
        """The shared strings part, as the item splitter reads it: a table holding comments,
        CDATA sections or processing instructions (no spreadsheet program writes them) is
        parsed with lxml and written back without them first, since the splitter would
        count an ``<si>`` inside a comment and shift every index after it (before the root
        too: anything but a declaration there sends the table to lxml)."""
        data = self._read_part(part)
        root = root_element(data, _SST_ROOT)
        if root is None:
            return data  # an empty or damaged table: the splitter finds no items
        refuse_dtd(data, root.start(), path=self.path, part=part)
        if _PLAIN_PROLOG.fullmatch(data, 0, root.start()) and not has_aside(data, root.end()):
            return data
        try:
            return _strings_without_asides(data)
        except etree.XMLSyntaxError as exc:
            raise MalformedTemplateError(
                f"the shared strings ({part}) hold comments or CDATA and are not well-formed "
                f"XML ({exc})", path=self.path,
                hint="ask the supplier to save the template again from Excel") from exc

    def properties(self) -> dict[str, str]:
        """The document properties that describe the file, by the names Excel shows them
        under (Title, Subject, Tags, Categories, Comments), as far as they hold text. A
        package without core properties, or with a damaged part, has none: they are
        descriptive only and never stop a file from being read."""
        part = next((t for k, t in self._rels("").values() if k == "core-properties"),
                    self.part_name("docProps/core.xml"))
        if part not in self._names:
            return {}
        try:
            root = self._xml(part)
        except MalformedTemplateError:
            return {}
        out: dict[str, str] = {}
        for el in root:
            if not isinstance(el.tag, str):
                continue  # comments and processing instructions
            name = _CORE_PROPERTIES.get(local_name(el))
            text = " ".join((el.text or "").split())[:_MAX_PROPERTY_CHARS]
            if name is not None and text:
                out[name] = text
        return out

    def sheet_sha256(self, sheet: str) -> str:
        """The sha256 of a worksheet's stored XML: equal for the same sheet content, so
        callers can reuse what they parsed from it before (the Smelter Look-up is the same in
        every copy of one template release)."""
        digest = self._digests.get(sheet)
        if digest is None:
            info = next((s for s in self.sheets if s.name == sheet), None)
            if info is None:
                raise MalformedTemplateError(f"the sheet {sheet!r} is missing", path=self.path)
            data = self._read_part(info.part)
            digest = self._digests[sheet] = hashlib.sha256(data).hexdigest()
            self._hashed[info.part] = data
        return digest

    def sheet_digest(self, sheet: str) -> str:
        """A digest of a worksheet as stored in the package, without inflating it: equal
        digests mean equal content (the same compressed bytes, method, size and checksum
        inflate to the same XML), so callers can reuse what they parsed from it before. A
        part whose stored bytes cannot be located here is digested by its XML
        (:meth:`sheet_sha256`); the two kinds never compare equal."""
        info = next((s for s in self.sheets if s.name == sheet), None)
        if info is None:
            raise MalformedTemplateError(f"the sheet {sheet!r} is missing", path=self.path)
        return self._part_digest(info.part, lambda: self.sheet_sha256(sheet))

    def strings_digest(self) -> str:
        """A digest of the shared strings as stored (as :meth:`sheet_digest` of a sheet):
        a sheet's cells are what its bytes and these strings make together."""
        part = self._shared_part
        if not part or part not in self._names:
            return "none"
        return self._part_digest(
            part, lambda: hashlib.sha256(self._read_part(part)).hexdigest())

    def _part_digest(self, part: str, xml_sha256: Callable[[], str]) -> str:
        """The sha256 of a part's stored bytes, or where they cannot be located, of its XML
        (``xml_sha256``); the two kinds never compare equal."""
        digest = self._part_digests.get(part)
        if digest is None:
            stored = self._stored_bytes(part)
            digest = ("xml:" + xml_sha256() if stored is None
                      else "zip:" + hashlib.sha256(stored).hexdigest())
            self._part_digests[part] = digest
        return digest

    def _stored_bytes(self, name: str) -> bytes | None:
        """The compressed bytes of part ``name`` behind a header of its method, checksum and
        size, or None for an entry that is encrypted or whose local header does not match."""
        try:
            info = self._zip.getinfo(name)
        except KeyError:
            return None
        body = stored_body(self._data, info)
        if body is None:
            return None
        return struct.pack("<HLQ", info.compress_type, info.CRC, info.file_size) + body

    def cells(self, sheet: str, columns: Iterable[str] | None = None,
              max_rows: int | None = None) -> SheetCells:
        """Every cell of ``sheet`` that holds a value, keyed by (row, column).

        ``columns`` limits the result to those column letters. ``max_rows`` stops the scan
        (in document order) before the first cell of the row after ``max_rows`` rows holding
        an input: a cell that is not a formula, not an error and not blank text.
        """
        key = (sheet, frozenset(columns) if columns is not None else None, max_rows)
        hit = self._sheet_cache.get(key)
        if hit is not None:
            return hit
        info = next((s for s in self.sheets if s.name == sheet), None)
        if info is None:
            raise MalformedTemplateError(f"the sheet {sheet!r} is missing", path=self.path)
        data = self._hashed.pop(info.part, None) or self._read_part(info.part)
        try:
            result = scan_sheet(data, self.shared_strings, key[1], path=self.path, sheet=sheet,
                                max_rows=max_rows)
        except UnicodeDecodeError as exc:
            raise MalformedTemplateError(
                f"the sheet's text (part {info.part}, or the shared strings it uses) is not "
                f"valid UTF-8 ({exc.reason} at byte {exc.start} of a value)", path=self.path,
                sheet=sheet, hint="the file was damaged in transfer or by the tool that "
                "saved it; ask the supplier to save it again from Excel") from exc
        self._sheet_cache[key] = result
        return result

    def cell_signature(self, sheet: str, columns: Iterable[str]) -> tuple[object, ...] | None:
        """What :meth:`cells` of ``sheet`` in ``columns`` is made of, without decoding it:
        each value cell's row, column, type, formula flag and stored value (a shared string
        as its stored item). Equal signatures give equal cells, so a caller can reuse what it
        built from them, across files that number their shared strings differently. None
        when a cell is in a shape only the element walk reads (the caller then reads the
        cells themselves)."""
        return _signature(self._sheet_bytes(sheet), self.shared_strings, frozenset(columns))

    def stored_rows(self, sheet: str, columns: Iterable[str]) -> StoredRows | None:
        """:meth:`cell_signature` with what a later sheet is compared with to have it
        (:class:`StoredRows`); None when there is no signature."""
        return StoredRows.build(self._sheet_bytes(sheet), self.shared_strings,
                                frozenset(columns), self._pieces.get(sheet))

    def has_rows(self, sheet: str, known: StoredRows) -> bool:
        """Whether ``sheet`` has the cell signature of ``known`` (:meth:`StoredRows.matches`);
        the sheet is cut into rows once, for every ``known`` it is compared with."""
        data = self._sheet_bytes(sheet)
        pieces = self._pieces.get(sheet)
        if pieces is None:
            pieces = self._pieces[sheet] = _row_pieces(data)
        return known.matches(data, self.shared_strings, pieces)

    def _sheet_bytes(self, sheet: str) -> bytes:
        """The XML of ``sheet``, kept for the :meth:`cells` that may follow."""
        info = next((s for s in self.sheets if s.name == sheet), None)
        if info is None:
            raise MalformedTemplateError(f"the sheet {sheet!r} is missing", path=self.path)
        data = self._hashed.get(info.part)
        if data is None:
            data = self._hashed[info.part] = self._read_part(info.part)
        return data

    def top_cells(self, sheet: str, rows: int, columns: Iterable[str] | None = None,
                  first: int = 1) -> SheetCells:
        """The cells with a value in rows ``first`` to ``rows`` of ``sheet`` (in ``columns``,
        if given), inflating only the start of the worksheet part: the header rows of a list
        sheet sit in its first few kilobytes, ahead of thousands of pre-formatted rows.

        Rows come in ascending order in SpreadsheetML; the part is read up to the first row
        element numbered past ``rows`` and scanned from the first numbered ``first`` or more.
        A part whose rows carry no number, or whose start the fast scanner does not follow,
        is read whole (:meth:`cells`)."""
        wanted = frozenset(columns) if columns is not None else None
        key = (sheet, first, rows, wanted)
        hit = self._top_cache.get(key)
        if hit is not None:
            return hit
        whole = self._sheet_cache.get((sheet, None, None))
        info = next((s for s in self.sheets if s.name == sheet), None)
        if info is None:
            raise MalformedTemplateError(f"the sheet {sheet!r} is missing", path=self.path)
        read = None if whole is not None else self._read_head(info.part, rows, first)
        result: SheetCells | None = None
        if read is not None:
            head, start = read
            m = root_element(head, _ROOT)
            if (m is not None and start >= 0  # rows without numbers: read the part whole
                    and _PLAIN_PROLOG.fullmatch(head, 0, m.start())
                    and _ASIDE.search(head, m.end()) is None):  # as for comments and such
                try:
                    result = _scan_fast(head[start:], m.group(1) or b"", self.shared_strings,
                                        wanted)
                except (UnicodeDecodeError, _TooManyCellsError):
                    result = None
        if result is None:
            result = whole if whole is not None else self.cells(sheet)
        result = {k: c for k, c in result.items()
                  if first <= k[0] <= rows and (wanted is None or k[1] in wanted)}
        self._top_cache[key] = result
        return result

    def _read_head(self, name: str, rows: int, first: int) -> tuple[bytes, int] | None:
        """The start of part ``name`` up to (not including) its first row element numbered
        past ``rows``, or the whole part when it has none; None when the part cannot be
        inflated here or its start runs past :data:`_MAX_HEAD_BYTES` (read it whole). With
        it, where its first row numbered ``first`` or more starts (its length when none is),
        or -1 when no row element in it has a number."""
        try:
            info = self._zip.getinfo(name)
        except KeyError as exc:
            raise MalformedTemplateError(
                f"the workbook part {name} is missing", path=self.path) from exc
        data = bytearray()
        resume = 0  # where the next piece's row openings are looked for
        start = -1
        numbered = False  # a row before the cut has a number
        pieces = inflate_pieces(self._data, info, _HEAD_CHUNK) or _zip_pieces(self._zip, info)
        try:
            for chunk in pieces:
                if not data and not is_utf8_xml(chunk[:_HEAD_LOOK]):
                    return None  # in another encoding: read whole, which writes it in UTF-8
                data += chunk
                for tag in _ROW_TAG.finditer(data, resume):
                    found = _ROW_NUMBER_ATTR.search(data, tag.start(), tag.end())
                    if found is None:
                        continue
                    number = int(found.group(1))
                    if number > rows:
                        end = tag.start()
                        return bytes(data[:end]), (-1 if not numbered
                                                   else end if start < 0 else start)
                    numbered = True
                    if start < 0 and number >= first:
                        start = tag.start()
                if len(data) >= _MAX_HEAD_BYTES:
                    return None
                # a tag the piece's end cut is looked at again, whole, with the next piece
                # (every tag seen twice at most reads the same: the number is quoted)
                reach = max(0, len(data) - _ROW_TAG_REACH)
                opened = data.rfind(b"<", reach)
                if opened >= 0 and data.find(b">", opened) < 0:
                    resume = opened
                elif data.find(b">", reach) < 0 and len(data) > _ROW_TAG_REACH:
                    return None  # no tag ends in the last piece's reach: read it whole
                else:
                    resume = len(data)
        except _HEAD_ERRORS:
            return None  # the whole read reports the damage in its own words
        return bytes(data), -1 if not numbered else len(data) if start < 0 else start


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
"""Part names compare with ASCII letters in either case as one (ECMA-376 Part 2, M1.12)."""
_HEAD_LOOK = 512
"""How much of a part's start tells its encoding (its declaration, or UTF-16's first bytes)."""
_HEAD_ERRORS: tuple[type[BaseException], ...] = (*ZIP_ERRORS, FileRefusedError)
"""What reading the head of a part may raise: it is then read whole, which reports it."""


def _zip_pieces(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A member through :mod:`zipfile`, in pieces of :data:`_HEAD_CHUNK` bytes."""
    with archive.open(info) as stream:
        while chunk := stream.read(_HEAD_CHUNK):
            yield chunk


def _source_bytes(source: object) -> tuple[Path, bytes]:
    """The bytes of a path or of a binary stream, read through the file-size cap."""
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        if not isinstance(name, str):
            raise TypeError("a workbook path must be text (str or os.PathLike[str]), not bytes")
        path = Path(name)
        try:
            return path, read_capped(path, _MAX_FILE_BYTES)
        except TooLargeError as exc:
            raise NotAWorkbookError(f"{exc.reason} for a reporting template",
                                    path=path) from exc
        except FileRefusedError as exc:
            raise NotAWorkbookError(exc.reason, path=path,
                                    hint="give the path of an .xlsx file") from exc
    read = getattr(source, "read", None)
    if not callable(read) or isinstance(source, io.TextIOBase):
        raise TypeError("a workbook is read from a path (str or os.PathLike) or a binary file "
                        f"object, not {type(source).__name__}")
    label = getattr(source, "name", None)
    path = Path(label if isinstance(label, str) and label else "<stream>")
    try:
        data = read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise NotAWorkbookError(f"the stream cannot be read ({exc})", path=path) from exc
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError("the file object's read() must return bytes (open the file in binary "
                        f"mode, 'rb'), not {type(data).__name__}")
    if len(data) > _MAX_FILE_BYTES:
        raise NotAWorkbookError(f"the stream holds more than {_MAX_FILE_BYTES:,} bytes, over the "
                                "limit for a reporting template", path=path)
    return path, data


def open_workbook(source: str | os.PathLike[str] | IO[bytes]) -> Workbook:
    """Open an .xlsx file, refusing legacy, encrypted and non-zip files with typed errors.

    ``source`` is a path (``str`` or ``os.PathLike``: only regular files are read, so a FIFO
    or a device is refused without blocking) or a binary file object (``read`` returning
    bytes). Either is read up to the 100 MB cap; anything else is a ``TypeError``.
    """
    path, data = _source_bytes(source)
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

_ROOT = re.compile(rb"<(\w+:)?worksheet\b")
_CELL_OPENING = re.compile(rb"<(?:[^\s<>/:]+:)?c[\s>/]")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\s[^<>]*")
"""A row element's opening tag, to its end or to where markup cuts it: a match never fails
once it has started, so every byte is looked at a bounded number of times."""
_ROW_NUMBER_ATTR = re.compile(rb'\br="([0-9]{1,7})"')
"""A row's number in its opening tag (the fast scanner's attribute quoting)."""
_ROW_TAG_REACH = 4096
"""The longest row opening tag :meth:`Workbook._read_head` finds across two pieces (Excel's
are under 200 bytes); a part whose last piece ends in a longer unfinished tag is read whole."""
_HEAD_CHUNK = 1 << 16
_MAX_HEAD_BYTES = 4 << 20
"""How much of a part :meth:`Workbook.top_cells` inflates before reading it whole instead."""


def scan_sheet(
    data: bytes,
    shared: _SharedStrings,
    columns: frozenset[str] | None,
    *,
    path: Path,
    sheet: str,
    max_rows: int | None = None,
) -> SheetCells:
    """Cells with a value, found by anchoring on value elements; lxml when markup is unusual.

    ``max_rows``: stop before the first cell of the row after ``max_rows`` input rows (see
    :meth:`Workbook.cells`)."""
    m = root_element(data, _ROOT)
    if m is None:
        raise MalformedTemplateError("the worksheet part has no <worksheet> root", path=path,
                                     sheet=sheet)
    refuse_dtd(data, m.start(), path=path, sheet=sheet)
    prefix = m.group(1) or b""
    try:
        fast = _scan_fast(data, prefix, shared, columns, max_rows)
        if fast is not None:
            return fast
        return _scan_lxml(data, shared, columns, path=path, sheet=sheet, max_rows=max_rows)
    except _TooManyCellsError:
        raise MalformedTemplateError(
            f"the sheet holds more than {MAX_SHEET_CELLS:,} cells with a value (an RMI "
            "template's largest sheet holds about 20,000)", path=path, sheet=sheet,
            hint="the file was padded by the tool that saved it, or damaged; ask the "
            "supplier to fill in a fresh copy of the template") from None


class _TooManyCellsError(Exception):
    """A sheet past :data:`MAX_SHEET_CELLS` (turned into a typed error with its name)."""


MAX_SHEET_CELLS = 500_000
"""The most cells with a value read from one worksheet: 25 times the largest sheet of any
real RMI template, and with the reader's row cap more than any list can fill; it bounds the
memory a padded sheet can take."""


class _RowBudget:
    """Counts the distinct rows that hold an input, up to a limit (cells of two rows that
    alternate in the document count as two rows, not as a row per change)."""

    __slots__ = ("left", "rows")

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.rows: set[int] = set()

    def spent(self, row: int, value: _Value, formula: bool) -> bool:
        """Whether the cell at ``row`` opens a row past the limit."""
        if row in self.rows or formula or value[1] == "e":
            return False
        text = value[0]
        if isinstance(text, str) and not text.strip():
            return False
        if self.left == 0:
            return True
        self.left -= 1
        self.rows.add(row)
        return False


_Value = tuple[str | float | bool, str, TextRepair | None]
"""A cell's typed value, its kind and what was changed in its text."""


def _convert(kind: bytes, raw: str, shared: _SharedStrings, *, parsed: bool = False
             ) -> _Value | None:
    """Typed value of a cell from its t attribute and <v> text (as stored, or as an XML
    parser gave it: ``parsed``); None for empty/broken."""
    if not parsed and kind not in (b"str", b"inlineStr"):  # (text is decoded as text)
        if "\r" in raw:
            raw = raw.replace("\r\n", "\n").replace("\r", "\n")
        if "&" in raw:
            raw = _decode_entities(raw)[0]  # a character reference, as a parser reads it
    if kind == b"s":
        if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
            return None  # int() would take " 5", "1_0", "٣"; no table has 10**12 strings
        index = int(raw)
        if index >= len(shared):
            return None
        # decoding errors in the string itself are the file's damage, reported by the caller
        text, repair = shared.entry(index)
        return text, "s", repair
    if kind in (b"str", b"inlineStr"):
        return _as_text(raw)
    if kind == b"b":
        return raw.strip() in ("1", "true"), "b", None
    if kind in (b"e", b"d"):  # codes and dates: no OOXML escapes to decode
        text, repair = _finish(raw, False)
        return text, kind.decode(), repair
    if _NUMBER.fullmatch(raw) is None:
        # not a number as SpreadsheetML writes one (Python's float() would also take "nan",
        # "inf", "1_000" and other digits): kept as the text it is
        return _as_text(raw)
    number = float(raw)
    if not math.isfinite(number):  # 1e999 overflows to infinity
        return _as_text(raw)
    return number, "n", None


_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""A numeric cell value as SpreadsheetML stores it (xsd:double without INF and NaN)."""


def _as_text(raw: str) -> _Value:
    text, repair = _text_of(raw)
    return text, "s", repair


_SIMPLE_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?: s="[0-9]{1,10}")?(?: t="([a-zA-Z]{1,9})")?'
    rb'(?: (?:cm|vm|ph)="[0-9]{1,10}")*>'
    rb'(<f(?: [^<>/]*)?(?:/>|>[^<]*</f>))?<v(?: xml:space="preserve")?>([^<]*)\Z')
"""A cell with a value as Excel writes it, matched from its ``<c `` to its ``</v>``: the
reference, the type and whether a formula precedes the value. Matched between the ends of
two value elements only; every repetition stops at a delimiter its class excludes, so a
match costs at most a few passes over the cell's bytes. Anything else (attributes in
another order or quoting, a prefix, inline strings) takes the element-by-element walk."""
_MAX_COL_LETTERS = 3
_MAX_ROW_DIGITS = 7



@functools.lru_cache(maxsize=8)
def _value_ends(prefix: bytes) -> re.Pattern[bytes]:
    """The closings of non-empty value elements and of inline-string elements: one
    alternation of two literals, written so that the search skips ahead on their common start
    (one pass over a part where two plain searches took two). A value closing right after its
    opening (``<v></v>``, the empty cached result of most pre-formatted cells of a list sheet
    in some releases) is passed over inside the search, by a lookbehind of fixed width.

    The same search finds the closings XML allows that Excel does not write, followed by
    whitespace or under another prefix (``</v >``, ``</x:v>``), which a search for the
    part's own closings alone would pass over with the value they close: each is walked back
    to its cell as any other, which reads the value or leaves the part to lxml."""
    p = re.escape(prefix)
    own = b"</(?:" + p + b"v(?<!<" + p + b"v></" + p + b"v)>|" + p + b"is>|"
    if not prefix:  # any prefix is another one; unprefixed, only the spaced ones are odd
        return re.compile(own + rb"(?:v|is)\s|" + _OTHER_PREFIX + rb"(?:v|is)[\s>])")
    return re.compile(  # (not the part's own empty value, whose lookbehind failed above)
        own + b"(?!" + p + rb"(?:v|is)>)(?:" + _OTHER_PREFIX + rb")?(?:v|is)[\s>])")


_OTHER_PREFIX = rb"[^\s<>/:]+:"
_ODD_CLOSINGS = re.compile(rb"</(?:(?:v|is)\s|" + _OTHER_PREFIX + rb"(?:v|is)[\s>])")
"""The odd closings of :func:`_value_ends` in an unprefixed part."""
_PREFIXED_TAG = re.compile(rb"</?[^\s<>/:!?]+:")


def _foreign_tag(body: bytes, prefix: bytes) -> bool:
    """Whether ``body`` holds a tag under a prefix other than the part's ``prefix``."""
    if not prefix:
        return _PREFIXED_TAG.search(body) is not None
    return body.count(b"<") != body.count(b"<" + prefix) + body.count(b"</" + prefix)


_PLAIN_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?(?:<\?xml [^<>?]{0,200}\?>)?\s{0,64}")
"""What Excel writes before a part's root: at most an XML declaration and a line break.
Anything else there (a document type, a comment, a stray cell) changes how the part is read
(refused, or read by lxml), so a part with it is given no signature."""


def _signature(data: bytes, shared: _SharedStrings, wanted_cols: frozenset[str]
               ) -> tuple[object, ...] | None:
    """See :meth:`Workbook.cell_signature`: the value cells :func:`_scan_fast` would read
    through its one-match path, undecoded; None when any value cell takes another path."""
    found = _signature_cells(data, shared, wanted_cols)
    return None if found is None else found[0]


def _signature_cells(data: bytes, shared: _SharedStrings, wanted_cols: frozenset[str]
                     ) -> tuple[tuple[object, ...], list[_SimpleMatch]] | None:
    """:func:`_signature`, and the matches of every value cell it was made from.

    Every cell is matched in one pass, and the matches are checked to account for every
    value element (a match holds exactly one): a value element outside them (a cell in
    another shape, a stray one) or an inline string leaves no signature."""
    root = root_element(data, _ROOT)
    if (root is None or root.group(1) or not _PLAIN_PROLOG.fullmatch(data, 0, root.start())
            or has_aside(data, root.end())):
        return None  # no root, a prefixed one, or comments and the like: read the cells
    values = data.count(b"</v>")
    if (values > SIGNATURE_CELLS or data.find(b"</is>") >= 0
            or _ODD_CLOSINGS.search(data, root.end()) is not None):
        return None  # more than any Look-up holds, inline strings or odd closings
    cells: list[_SimpleMatch] = _SIMPLE_CELLS.findall(data)
    if len(cells) != values:
        return None
    out: list[object] = [(shared.prefix, shared.close)]
    out += _value_cells(cells, {c.encode() for c in wanted_cols}, shared.bodies, len(shared))
    return tuple(out), cells


_SimpleMatch = tuple[bytes, bytes, bytes, bytes, bytes]
"""A :data:`_SIMPLE_CELLS` match: column, row, type, formula element, stored value."""


def _value_matches(data: bytes) -> list[_SimpleMatch] | None:
    """Every value cell of ``data`` in the one-match shape; None when some value element is
    not in one."""
    cells: list[_SimpleMatch] = _SIMPLE_CELLS.findall(data)
    return cells if len(cells) == data.count(b"</v>") else None


def _value_cells(cells: list[_SimpleMatch], wanted: set[bytes] | frozenset[bytes],
                 items: Sequence[bytes] | Mapping[int, bytes], n_shared: int
                 ) -> list[tuple[object, ...]]:
    """The signature's entries for ``cells``: each value cell in a ``wanted`` column as its
    row, column, type, formula flag and stored value, a shared string's value as its item
    from ``items`` (None past the ``n_shared`` items of the table; a value that is no index
    in a 1-tuple, never equal to an item)."""
    return [
        (row_b, col_b, kind, f_el != b"",
         ((items[int(raw_b)] if int(raw_b) < n_shared else None)
          if raw_b.isdigit() and len(raw_b) <= 12 else (raw_b,))
         if kind == b"s" else raw_b)
        for col_b, row_b, kind, f_el, raw_b in cells if raw_b and col_b in wanted]


@dataclass(frozen=True, slots=True)
class StoredRows:
    """A sheet's cell signature (:meth:`Workbook.cell_signature`) with what it was made
    from: the sheet's bytes cut before each row element, and the shared-string items its
    cells point to.

    A template its supplier saved again keeps the Look-up's cells and most of its bytes: a
    few rows differ in a style or a height, and the shared strings keep their numbers. A later
    sheet cut into as many pieces, each either the same bytes as the piece in its place or
    holding the same value cells, over the same items at the indexes this one points to, has
    the same signature (:meth:`matches`): one comparison of bytes per row, where matching
    every cell again takes milliseconds. No match crosses a cut (a cell in the one-match shape
    holds no ``<row``), so the signature is the pieces' entries one after another."""

    signature: tuple[object, ...]
    pieces: tuple[bytes, ...]
    """Empty when the sheet points past its shared strings or is larger than
    :data:`_MAX_STORED_ROWS`: nothing then matches it."""
    wanted: frozenset[bytes]
    used: tuple[int, ...]
    """The shared-string indexes the signature resolved, ascending."""
    items: tuple[bytes, ...]
    """Those items, in the same order."""
    n_shared: int
    strings: tuple[bytes, bytes | None]
    """How the shared strings were cut (:attr:`_SharedStrings.prefix` and ``close``)."""

    @classmethod
    def build(cls, data: bytes, shared: _SharedStrings, wanted_cols: frozenset[str],
              pieces: Sequence[bytes] | None = None) -> StoredRows | None:
        """The stored rows of ``data`` (cut as :func:`_row_pieces` cuts it: ``pieces``, when
        the caller has them); None when it has no signature."""
        found = _signature_cells(data, shared, wanted_cols)
        if found is None:
            return None
        signature, cells = found
        wanted = frozenset(c.encode() for c in wanted_cols)
        used = sorted({int(raw_b) for col_b, _row, kind, _f, raw_b in cells
                       if kind == b"s" and raw_b.isdigit() and len(raw_b) <= 12
                       and col_b in wanted})
        n_shared = len(shared)
        if (used and used[-1] >= n_shared) or len(data) > _MAX_STORED_ROWS:
            return cls(signature, (), wanted, (), (), n_shared, (shared.prefix, shared.close))
        return cls(signature, tuple(_row_pieces(data) if pieces is None else pieces), wanted,
                   tuple(used), _pick(used, shared.bodies), n_shared,
                   (shared.prefix, shared.close))

    def matches(self, data: bytes, shared: _SharedStrings,
                pieces: Sequence[bytes] | None = None) -> bool:
        """Whether the sheet ``data``, over ``shared``, has this sheet's signature (``pieces``:
        ``data`` cut by :func:`_row_pieces`, when the caller has them); the work is a
        comparison of bytes per piece, plus a match of the cells of each piece that differs
        (linear in its size)."""
        if not self.pieces or (shared.prefix, shared.close) != self.strings:
            return False
        root = root_element(data, _ROOT)
        if (root is None or root.group(1)
                or not _PLAIN_PROLOG.fullmatch(data, 0, root.start())):
            return False
        if pieces is None:
            pieces = _row_pieces(data)
        if len(pieces) != len(self.pieces) or root.end() > len(pieces[0]):
            return False
        if self.used and (self.used[-1] >= len(shared)
                          or _pick(self.used, shared.bodies) != self.items):
            return False
        before: dict[int, bytes] | None = None
        values = 0
        for i in compress(range(len(pieces)), map(bytes.__ne__, pieces, self.pieces)):
            piece, theirs = pieces[i], self.pieces[i]
            start = root.end() if i == 0 else 0
            values += piece.count(b"</v>")
            if (values > SIGNATURE_CELLS or has_aside(piece, start)
                    or piece.find(b"</is>") >= 0
                    or _ODD_CLOSINGS.search(piece, start) is not None):
                return False
            cells, their_cells = _value_matches(piece), _value_matches(theirs)
            if cells is None or their_cells is None:
                return False
            if before is None:
                before = dict(zip(self.used, self.items, strict=True))
            if (_value_cells(cells, self.wanted, shared.bodies, len(shared))
                    != _value_cells(their_cells, self.wanted, before, self.n_shared)):
                return False
        return True


def _pick(indexes: Sequence[int], bodies: Sequence[bytes]) -> tuple[bytes, ...]:
    """``bodies`` at ``indexes`` (all in range), in one call."""
    if len(indexes) == 1:
        return (bodies[indexes[0]],)
    return cast("tuple[bytes, ...]", operator.itemgetter(*indexes)(bodies)) if indexes else ()


_V = TypeVar("_V")


def _row_pieces(data: bytes) -> list[bytes]:
    """``data`` cut before each ``<row``, past :data:`_MAX_ROW_PIECES` pieces not at all."""
    return data.split(b"<row", _MAX_ROW_PIECES - 1)


class KnownRows(Generic[_V]):
    """What callers built from sheets, kept with the :class:`StoredRows` each sheet had and
    under how the caller read it (``asked``): a later file whose sheet has those rows gets
    the same value without its cells matched again. At most ``kept`` values, the oldest
    dropped first; one per signature (the first sheet read with it); shared by threads."""

    def __init__(self, kept: int) -> None:
        self._kept = kept
        self._by: dict[tuple[object, tuple[object, ...]], tuple[StoredRows, _V]] = {}
        self._lock = threading.Lock()

    def find(self, wb: Workbook, sheet: str, asked: object) -> _V | None:
        """The value kept for a sheet read as ``asked`` whose rows ``sheet`` of ``wb`` has."""
        with self._lock:
            known = [kept for (as_asked, _), kept in self._by.items() if as_asked == asked]
        for rows, value in known:
            if wb.has_rows(sheet, rows):
                return value
        return None

    def keep(self, asked: object, rows: StoredRows, value: _V) -> None:
        """``value`` kept with ``rows`` (unless those can match nothing, or a value is kept
        for their signature already)."""
        key = (asked, rows.signature)
        with self._lock:
            if not rows.pieces or key in self._by:
                return
            while len(self._by) >= self._kept:
                self._by.pop(next(iter(self._by)))
            self._by[key] = (rows, value)

    def clear(self) -> None:
        with self._lock:
            self._by.clear()

    def __len__(self) -> int:
        return len(self._by)


_MAX_STORED_ROWS = 2 << 20
"""The largest sheet kept as rows (the largest real Look-up is 373 KB): what a process
keeps for a few releases, whatever the files it read."""
_MAX_ROW_PIECES = 16_384
"""The most pieces :class:`StoredRows` cuts a sheet into (a real Look-up has some 700 rows):
a sheet of more rows keeps the rest in its last piece, compared as one."""


SIGNATURE_CELLS = 100_000
"""The most value elements of a sheet given a signature (a real Smelter Look-up holds some
6,500): what the cells' one-pass match may hold in memory at once."""
_SIMPLE_CELLS = re.compile(_SIMPLE_CELL.pattern.replace(rb"\Z", rb"</v></c>"))
""":data:`_SIMPLE_CELL` ending at its value's closing and the cell's, right after it (where
the scanner reads a cell kept), to find every such cell of a part."""


class _Repeats:
    """Rows of a shape already seen to hold no value to keep, passed over whole.

    A list sheet's thousands of pre-formatted rows hold, beyond their empty input cells, the
    cached results of formulas in columns the reader does not ask for (a CMRT 6.x Smelter
    List: about 5,000 of them), in rows that differ only in their digits: the row's number in
    its references and formulas, and the numbers of its shared formulas. A row's *shape* is
    its bytes with every digit read as ``0``. When a row's first value is in a column not
    asked for, its shape is looked up: a shape is usable when the row it was first seen in
    has no value in a column asked for and every value in a cell the one-match path reads (no
    inline string, no comment or instruction). Every one of those checks reads digits as
    digits and nothing else (a column is letters, a value empty or not), so any row of a
    usable shape holds no value to keep either: the scan resumes after the last of the rows
    that follow one another with usable shapes.

    Bounded: a row is at most :data:`_MAX_REPEATED_ROW` bytes, at most :data:`_MAX_SHAPES`
    shapes are kept, and every byte looked at other than those passed over (a shape checked
    for the first time, a row that ended a run, a row with no end) counts against a budget of
    twice the part's size, so the scan stays linear in any part."""

    __slots__ = ("asked", "budget", "shapes", "wanted")

    def __init__(self, size: int, wanted: set[bytes]) -> None:
        self.budget = 2 * size
        self.wanted = wanted
        self.asked = frozenset(wanted)
        self.shapes: dict[bytes, bool] = {}

    def end(self, data: bytes, row_start: int) -> int:
        """Where the rows from ``row_start`` on of usable shapes end; 0 for none."""
        pos = row_start
        find = data.find
        shapes = self.shapes
        shape, length = b"", 0
        while True:
            if length:  # the shape of the row before, the common case: one comparison
                if data[pos:pos + length].translate(_DIGITS_AS_ZERO) == shape:
                    pos += length
                    continue
                self.budget -= length
            if self.budget <= 0 or not data.startswith(_ROW_STARTS, pos):
                break
            row_end = find(b"</row>", pos, pos + _MAX_REPEATED_ROW)
            if row_end < 0:
                self.budget -= _MAX_REPEATED_ROW
                break
            row_end += 6
            row = data[pos:row_end]
            shape = row.translate(_DIGITS_AS_ZERO)
            usable = shapes.get(shape)
            self.budget -= len(row)
            if usable is None:
                self.budget -= 2 * len(row)  # (as much when it was known: the same path)
                usable = self._known(shape, row)
                if len(shapes) < _MAX_SHAPES:
                    shapes[shape] = usable
            if not usable:
                break
            pos, length = row_end, len(row)
        return pos if pos > row_start else 0

    def _known(self, shape: bytes, row: bytes) -> bool:
        """:meth:`_usable` of ``row``, kept in this process for its shape and the columns
        asked for: what it says depends on nothing else, so every file of a release (its
        pre-formatted rows have the same shapes, whatever numbers their styles were given)
        checks each shape of its list sheets once per process."""
        key = (self.asked, shape)
        usable = _KNOWN_SHAPES.get(key)
        if usable is None:
            usable = self._usable(row)
            if len(shape) <= _MAX_KNOWN_SHAPE:
                with _KNOWN_LOCK:
                    while len(_KNOWN_SHAPES) >= _KNOWN_SHAPES_KEPT:
                        _KNOWN_SHAPES.pop(next(iter(_KNOWN_SHAPES)))
                    _KNOWN_SHAPES[key] = usable
        return usable

    def _usable(self, row: bytes) -> bool:
        """Whether ``row`` holds no value to keep, every value in a cell of the one shape."""
        if (_ASIDE.search(row) is not None or b"<is>" in row or b"</is>" in row
                or _ODD_CLOSINGS.search(row) is not None):
            return False
        cells = _SIMPLE_CELLS.findall(row)
        return len(cells) == row.count(b"</v>") and not any(
            raw and col in self.wanted for col, _r, _k, _f, raw in cells)


_DIGITS_AS_ZERO = bytes(48 if 48 <= b <= 57 else b for b in range(256))
"""A table for :meth:`bytes.translate` reading every digit as ``0``: a row's shape."""
_ROW_STARTS = (b"<row ", b"<row>")
_MAX_REPEATED_ROW = 65_536
"""The longest row whose shape is looked up (a CMRT's pre-formatted row: 2 KB)."""
_MAX_SHAPES = 64
"""The most shapes of rows kept per part (a CMRT 6.4 Smelter List has about 30)."""
_KNOWN_SHAPES: dict[tuple[frozenset[bytes], bytes], bool] = {}
"""Whether rows of a shape are usable, by the columns asked for and the shape, for every
part this process reads (:meth:`_Repeats._known`); the oldest dropped first."""
_KNOWN_SHAPES_KEPT = 512
_MAX_KNOWN_SHAPE = 16_384
"""The longest shape kept for later parts: at most 8 MB for them all."""
_KNOWN_LOCK = threading.Lock()


def _scan_fast(
    data: bytes, prefix: bytes, shared: _SharedStrings, columns: frozenset[str] | None,
    max_rows: int | None = None,
) -> SheetCells | None:
    """Anchor on the end of every non-empty value element and walk back to its cell.

    Each walk back stops at the end of the previous non-empty value element, so every byte of
    the part is looked at a bounded number of times: a value element with no cell opening
    since the previous one (two values in one cell, a stray ``</v>``) is markup this scanner
    does not expect. Returns None then, so the caller can parse the sheet with lxml instead.
    """
    out: SheetCells = {}
    c_open = b"<" + prefix + b"c "
    c_close = b"</" + prefix + b"c>"
    c_len = len(c_open)
    f_opening = _tags(prefix, b"f").search
    v_open = b"<" + prefix + b"v"
    is_open = b"<" + prefix + b"is>"
    wanted = None if columns is None else {c.encode() for c in columns}
    rfind = data.rfind
    find = data.find
    cell_opening = _CELL_OPENING.search
    v_close = b"</" + prefix + b"v>"
    root = root_element(data, _ROOT)
    # where the previous value element ended: no cell of ours starts before it
    previous = body = root.end() if root is not None else 0
    budget = None if max_rows is None else _RowBudget(max_rows)
    names: dict[bytes, str] = {}
    value: _Value | None
    # unprefixed value cells (all but a few cells of real workbooks) in one match each; the
    # element-by-element walk below gives the same result for them, more slowly
    simple = _SIMPLE_CELL.match if not prefix else None
    strings: dict[bytes, _Value] = {}
    n_shared = len(shared)
    new_cell = tuple.__new__  # RawCell(...) less its argument handling
    kept_end = 0  # where the value of the last cell kept ends
    aside = _ASIDE.search
    # The value ends in document order (the two closings cannot overlap), in one pass
    is_len = len(prefix) + 5  # </is>
    closings = _value_ends(prefix)
    repeats = (_Repeats(len(data), wanted) if wanted is not None and simple is not None
               else None)
    row_seen = b""
    resume = 0
    while resume >= 0:  # once more after each run of repeated rows passed over
        skip_to = 0
        for closing in closings.finditer(data, resume):
            end, previous_end = closing.span()
            inline = previous_end - end == is_len
            floor, previous = previous, previous_end
            start = rfind(c_open, floor, end)
            if start < 0:
                return None  # no cell opens since the previous value: not markup we expect
            plain = simple(data, start, end) if simple is not None else None
            if plain is not None:  # the common shape, parsed in one match
                col_b, row_b, kind, f_el, raw_b = plain.groups()
                if (wanted is not None and col_b not in wanted) or not raw_b:
                    if repeats is not None and row_b != row_seen:
                        row_seen = row_b  # a row's first value not asked for: repeated?
                        row_start = rfind(b"<row ", floor, start)
                        if row_start >= 0:
                            skip_to = repeats.end(data, row_start)
                            if skip_to > previous:  # (past this value: it was in a row)
                                break
                            skip_to = 0
                    continue  # not asked for, or <v xml:space="preserve"></v>: no value
                value = strings.get(raw_b) if kind == b"s" else None
                if value is None:
                    if kind == b"s" and raw_b.isdigit() and len(raw_b) <= 12:
                        # what _convert gives, without decoding the index first
                        index = int(raw_b)
                        if index >= n_shared:
                            continue
                        text, repair = shared.entry(index)
                        value = strings[raw_b] = (text, "s", repair)
                    else:
                        value = _convert(kind or b"n", raw_b.decode("utf-8"), shared)
                        if value is None:
                            continue
                row = int(row_b)
                formula = f_el is not None
                if budget is not None and budget.spent(row, value, formula):
                    break
                col = names.get(col_b)
                if col is None:
                    col = names[col_b] = col_b.decode()
                if not data.startswith(c_close, previous_end):
                    return None  # more inside the cell after its value: lxml reads it whole
                out[(row, col)] = new_cell(RawCell,
                                           (row, col, value[0], value[1], formula, value[2]))
                kept_end = previous
                if len(out) > MAX_SHEET_CELLS:
                    raise _TooManyCellsError
                continue
            if aside(data, floor, end) is not None:
                return None  # a comment or the like since the previous value: lxml reads it
            head_end = find(b">", start, end + 1)
            if (head_end < 0 or data[head_end - 1] == 47
                    or cell_opening(data, start + 1, end) is not None):
                return None  # another cell opens in between: markup this scanner does not expect
            head = data[start + c_len : head_end]
            if _ODD_HEAD.search(head) is not None or _PLAIN_HEAD.fullmatch(head) is None:
                return None  # attributes quoted, spaced or escaped otherwise: lxml reads them
            attrs = dict(_HEAD_ATTR.findall(head))
            if b"r" not in attrs:
                return None
            ref, kind = attrs[b"r"], attrs.get(b"t", b"n")
            col_b = ref.rstrip(b"0123456789")
            row_b = ref[len(col_b):]
            if (not col_b or not row_b or not col_b.isalpha() or not row_b.isdigit()
                    or len(col_b) > _MAX_COL_LETTERS or len(row_b) > _MAX_ROW_DIGITS):
                return None  # (in a column not asked for, too: it may be one written otherwise)
            body_start = head_end + 1
            if find(c_close, body_start, end) >= 0:
                return None  # the cell closes before this value: a stray or nested one
            if wanted is not None and col_b not in wanted:
                continue
            if inline:
                i = rfind(is_open, body_start, end)
                if i < 0:
                    return None
                inline_body = data[i + len(is_open) : end]
                if _foreign_tag(inline_body, prefix):
                    return None  # text under another prefix, which lxml reads by its name
                text, replaced = _rich_text(inline_body, prefix)
                if not text:
                    continue
                kept, repair = _finish(text, replaced)
                value = (kept, "s", repair)
                formula = f_opening(data, body_start, i) is not None
            else:
                i = rfind(v_open, body_start, end)
                if (i < 0 or find(v_close, body_start, i) >= 0
                        or find(b"<" + prefix + b"is", body_start, i) >= 0):
                    return None  # no value opening, or a value before it in the same cell
                gt = find(b">", i, end)
                if gt < 0 or data.count(b'"', i, gt) % 2:
                    return None  # (a ">" inside an attribute's value)
                raw = data[gt + 1 : end].decode("utf-8")
                if not raw:
                    continue
                if "<" in raw:
                    return None  # markup inside the value: lxml reads its text
                formula = f_opening(data, body_start, i) is not None
                value = _convert(kind, raw, shared)
            if value is None:
                continue
            row = int(row_b)
            if budget is not None and budget.spent(row, value, formula):
                break
            col = names.get(col_b)
            if col is None:
                col = names[col_b] = col_b.decode()
            if not data.startswith(c_close, previous_end):
                return None  # more inside the cell after its value: lxml reads it whole
            out[(row, col)] = RawCell(row, col, value[0], value[1], formula, value[2])
            kept_end = previous
            if len(out) > MAX_SHEET_CELLS:
                raise _TooManyCellsError
        resume = skip_to or -1
        if skip_to:  # as after the run's last value, which ends one of its rows
            previous = rfind(b"</v>", row_start, skip_to) + 4
    if kept_end and aside(data, body, kept_end) is not None:
        # a comment, CDATA or instruction before a cell kept: lxml reads them (see _ASIDE)
        return None
    return out


_ASIDE = re.compile(rb"<[!?]")
"""The start of a comment, a CDATA section, a processing instruction or a declaration.

The text scanners take every ``<c``, ``<v`` and ``</v>`` for markup; inside a comment or an
instruction it is not (lxml, and Excel, pass over it), and a value written as CDATA holds its
text raw. :func:`_scan_fast` leaves such a part to lxml, at the cost of one short search:

* a cell read in one match has none inside it (its pattern admits no ``<`` in text);
* a cell the walk reads is searched from the previous value's end on, as it is walked;
* what is left is a cell hidden inside a comment or an instruction. If it is kept, the
  comment starts before the end of the last cell kept, and one search up to there finds it;
  if not, it changes nothing. The list sheets' thousands of pre-formatted rows come after
  their last input, so that search is short on real files."""


def has_aside(data: bytes, start: int) -> bool:
    """Whether ``data`` holds a :data:`_ASIDE` from ``start`` on, as its search says, in
    less time on a whole part: ``!`` and ``?`` are rare in a part's bytes where ``<`` is
    everywhere, so each is found byte by byte and the byte before it looked at. Text full of
    them (more than one in every :data:`_BYTES_PER_LOOK` bytes) is searched with the pattern
    instead, once the looks it was given run out: linear in the part either way."""
    looks = 32 + (len(data) - start) // _BYTES_PER_LOOK
    find = data.find
    for mark in b"!?":
        at = find(mark, start + 1)
        while at >= 0:
            if data[at - 1] == 60:  # <
                return True
            looks -= 1
            if looks < 0:
                return _ASIDE.search(data, start) is not None
            at = find(mark, at + 1)
    return False


_BYTES_PER_LOOK = 1024
"""A look at one ``!`` or ``?`` (a fraction of a microsecond) costs what searching about
this many bytes with the pattern does."""


def refuse_dtd(data: bytes, root_start: int, *, path: Path, sheet: str | None = None,
               part: str | None = None) -> None:
    """A document type declaration before a part's root is an error: the Open Packaging
    Conventions forbid DTDs in a package's XML (ECMA-376 Part 2, rule M1.18), since their
    entities are the classic way to make a parser expand a few bytes into gigabytes."""
    if data.find(b"<!DOCTYPE", 0, root_start) >= 0:
        raise _dtd_refused(path=path, sheet=sheet, part=part)


def root_element(data: bytes, pattern: re.Pattern[bytes]) -> re.Match[bytes] | None:
    """The opening of a part's root element as ``pattern`` matches it, found past the
    prolog as XML defines one: a byte order mark, then any run of white space, the XML
    declaration and other processing instructions, comments and a document type (which
    :func:`refuse_dtd` then refuses). None when something else comes first, or a prolog
    item does not end. One forward pass: each item is skipped by finding its end."""
    pos = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    while True:
        space = _SPACE.match(data, pos)
        pos = space.end() if space is not None else pos  # (it always matches, if only "")
        if data.startswith(b"<?", pos):
            end, skip = data.find(b"?>", pos + 2), 2
        elif data.startswith(b"<!--", pos):
            end, skip = data.find(b"-->", pos + 4), 3
        elif data.startswith(b"<!DOCTYPE", pos):
            close = data.find(b">", pos)
            subset = data.find(b"[", pos, close if close >= 0 else len(data))
            if subset >= 0:  # an internal subset: to its "]", then the ">"
                bracket = data.find(b"]", subset)
                close = data.find(b">", bracket) if bracket >= 0 else -1
            end, skip = close, 1
        else:
            return pattern.match(data, pos)
        if end < 0:
            return None
        pos = end + skip


_SPACE = re.compile(rb"[ \t\r\n]*")
_UTF8_BOM = b"\xef\xbb\xbf"


def _dtd_refused(*, path: Path, sheet: str | None = None, part: str | None = None
                 ) -> MalformedTemplateError:
    where = f"the workbook part {part}" if part else "the worksheet part"
    return MalformedTemplateError(
        f"{where} declares a document type (DTD), which an .xlsx package may not hold",
        path=path, sheet=sheet,
        hint="the file was made or altered by a tool other than a spreadsheet program; "
        "ask the supplier to save the template again from Excel")


_ROW_NUMBER = re.compile(r"[0-9]{1,7}")


def _scan_lxml(
    data: bytes,
    shared: _SharedStrings,
    columns: frozenset[str] | None,
    *,
    path: Path,
    sheet: str,
    max_rows: int | None = None,
) -> SheetCells:
    out: SheetCells = {}
    row_no = 0
    col_no = 0
    budget = None if max_rows is None else _RowBudget(max_rows)
    try:
        ctx = etree.iterparse(
            io.BytesIO(data), events=("start", "end"), resolve_entities=False, no_network=True
        )
        in_cell = 0  # how many cells the element is in: their parts are read at their end
        for event, el in ctx:
            local = local_name(el)
            if event == "start":
                if local == "row":
                    r = el.get("r")
                    row_no = int(r) if r and _ROW_NUMBER.fullmatch(r) else row_no + 1
                    col_no = 0
                elif local == "c":
                    in_cell += 1
                continue
            if local == "c":
                in_cell -= 1
            if in_cell <= 0:
                _drop_before(el)
            if local == "c":
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
                        if budget is not None and budget.spent(
                                row, (cell.value, cell.kind, None), cell.formula):
                            break
                        out[(row, col)] = cell
                        if len(out) > MAX_SHEET_CELLS:
                            raise _TooManyCellsError
            if local == "c" or in_cell <= 0:  # (a cell's parts stay until it ends)
                el.clear()
    except etree.XMLSyntaxError as exc:
        raise MalformedTemplateError(f"the worksheet is not well-formed XML ({exc})", path=path,
                                     sheet=sheet) from exc
    return out


def _drop_before(el: etree._Element) -> None:
    """The elements before ``el`` in its parent removed (they have ended and been read): a
    part of millions of elements, cells or not, never stands as a tree."""
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def _in_phonetic_run(el: etree._Element) -> bool:
    """A ``<t>`` of a phonetic reading (``<rPh>``), which is no part of the cell's text."""
    parent = el.getparent()
    return parent is not None and local_name(parent) == "rPh"


def _lxml_cell(el: etree._Element, row: int, col: str, shared: _SharedStrings) -> RawCell | None:
    formula = False
    v_text: str | None = None
    inline: str | None = None
    for child in el:
        if not isinstance(child.tag, str):
            continue  # a comment or processing instruction: no content
        local = local_name(child)
        if local == "f":
            formula = True
        elif local == "v":
            v_text = _text_content(child)
        elif local == "is":
            inline = "".join(
                _text_content(t)
                for t in child.iter()
                if local_name(t) == "t" and not _in_phonetic_run(t)
            )
    if inline is not None:
        if not inline:
            return None
        text, repair = _finish(*_decode_escapes(inline))
        return RawCell(row, col, text, "s", formula, repair)
    if not v_text:
        return None
    kind = (el.get("t") or "n").encode()
    value: _Value | None
    if kind in (b"str", b"inlineStr"):
        text, repair = _finish(*_decode_escapes(v_text))
        value = (text, "s", repair)
    else:
        value = _convert(kind, v_text, shared, parsed=True)
    if value is None:
        return None
    return RawCell(row, col, value[0], value[1], formula, value[2])


def _text_content(el: etree._Element) -> str:
    """All the character data of an element, around any comments, instructions and CDATA
    sections in it (``.text`` stops at the first of them)."""
    return "".join(cast("Iterator[str]", el.itertext()))


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
_OTHER_DOCUMENTS = (
    ("ms-excel.sheet.binary", "an Excel binary workbook (.xlsb)"),
    ("wordprocessingml", "a Word document"),
    ("presentationml", "a PowerPoint presentation"),
)
"""Main-part content types of Office packages that are no workbook in XML, by a part of the
content type, and what the file is."""
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?([1-9][0-9]{0,6})$")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot carry, stored with the ``_xHHHH_`` escape: controls, the two
non-characters and surrogates (which the reader decodes back, a lone one to U+FFFD)."""
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
            if local_name(child) in ("f", "v", "is"):
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
            try:
                serial = date_to_serial(value, date1904)
            except ValueError as exc:
                raise ValueError(f"{ref}: {exc}") from None
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


class _Packed(NamedTuple):
    """A part's new content as the zip stores it: compressed (or not) once, however many
    copies it goes into."""

    method: int
    body: bytes
    crc: int
    size: int

    @classmethod
    def of(cls, data: bytes, method: int) -> _Packed:
        if method == zipfile.ZIP_DEFLATED:
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            body = packer.compress(data) + packer.flush()
        else:
            body = data
        return cls(method, body, zlib.crc32(data), len(data))

    def data(self) -> bytes:
        return zlib.decompress(self.body, -15) if self.method == zipfile.ZIP_DEFLATED \
            else self.body


def _method(wb: Workbook, name: str) -> int:
    """How a new version of the part ``name`` is stored: as the part was, when that is
    stored or deflated, else deflated."""
    try:
        method = wb._zip.getinfo(name).compress_type
    except KeyError:
        return zipfile.ZIP_DEFLATED
    return method if method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) \
        else zipfile.ZIP_DEFLATED


_SheetEdits = tuple[tuple[str, int, type, str], ...]
"""A worksheet's edits as a key: the cell, and the value's type and spelling (``repr`` tells
``0.0`` from ``-0.0``, a date from a datetime at midnight)."""


def _patch_package(
    wb: Workbook, edits: Mapping[str, CellInput],
    sheets_done: dict[tuple[str, _SheetEdits], tuple[_Packed, bool]] | None = None,
) -> dict[str, _Packed | None]:
    """The new content of every part the edits change (``None``: drop the part).

    ``sheets_done`` holds worksheets already edited, by part and edits, with whether the
    edits removed formulas: a worksheet found there is not edited again, and every worksheet
    these edits change is put (back) last in it."""
    by_part: dict[str, list[tuple[str, int, CellInput]]] = {}
    names: dict[str, str] = {}
    for key, value in edits.items():
        sheet, col, row = _split_ref(key)
        info = next((s for s in wb.sheets if s.name == sheet), None)
        if info is None:
            raise MalformedTemplateError(f"the sheet {sheet!r} is missing", path=wb.path)
        by_part.setdefault(info.part, []).append((col, row, value))
        names[info.part] = sheet
    parts: dict[str, _Packed | None] = {}
    formulas_removed = False
    for part, cells in by_part.items():
        seen = (part, tuple((col, row, type(value), value if isinstance(value, str)
                             else repr(value)) for col, row, value in cells))
        done = sheets_done.pop(seen, None) if sheets_done is not None else None
        if done is None:
            patch = _SheetPatch(wb._xml(part, _MAX_PART_BYTES), path=wb.path,
                                sheet=names[part])
            for col, row, value in cells:
                patch.set(col, row, value, wb.date1904)
            patch.unshare()
            done = (_Packed.of(_serialise(patch.root), _method(wb, part)),
                    patch.formulas_removed)
        if sheets_done is not None:
            sheets_done[seen] = done  # the most recently used last
        parts[part], removed = done
        formulas_removed |= removed
    if not parts:
        return parts
    # Cached results of dependent formulas are now stale: ask for a full recalculation on open.
    root = wb._xml(wb.workbook_part)
    ns = root.nsmap.get(None) or _MAIN_NS
    calc = root.find(f"{{{ns}}}calcPr")
    if calc is None:
        calc = etree.Element(f"{{{ns}}}calcPr")
        anchors = [el for el in root if local_name(el) in _WORKBOOK_BEFORE_CALC]
        if anchors:
            anchors[-1].addnext(calc)
        else:
            root.append(calc)
    calc.set("fullCalcOnLoad", "1")
    parts[wb.workbook_part] = _Packed.of(_serialise(root), _method(wb, wb.workbook_part))
    if formulas_removed:  # the calculation chain would name cells that no longer compute
        chain = next((t for k, t in wb._rels(wb.workbook_part).values() if k == "calcChain"),
                     None)
        if chain is not None:
            parts[chain] = None
            folder, base = posixpath.split(wb.workbook_part)
            rels_name = wb.part_name(posixpath.join(folder, "_rels", base + ".rels"))
            rels = wb._xml(rels_name)
            for rel in list(rels):
                if rel.get("Type", "").endswith("/calcChain"):
                    rels.remove(rel)
            parts[rels_name] = _Packed.of(_serialise(rels), _method(wb, rels_name))
            types_name = wb.part_name("[Content_Types].xml")
            types = wb._xml(types_name)
            for override in list(types.iter(f"{{{_CT_NS}}}Override")):
                if wb.part_name(override.get("PartName", "").lstrip("/")) == chain:
                    types.remove(override)
            parts[types_name] = _Packed.of(_serialise(types), _method(wb, types_name))
    return parts


_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")
_ZIP32 = 0xFFFFFFFF


def _raw_zip(entries: list[zipfile.ZipInfo], source: bytes,
             parts: Mapping[str, _Packed | None]) -> bytes | None:
    """The package with ``parts`` replaced, every other entry copied as it is stored
    (compressed bytes, CRC and sizes unchanged), so only the changed parts were compressed
    again. ``None`` when the package needs what the plain zip format lacks (more than 65,535
    entries, sizes past 4 GB, encrypted or data-descriptor-only entries are fine to rewrite
    the slow way)."""
    if len(entries) > 0xFFFF:
        return None
    out = bytearray()
    central = bytearray()
    for info in entries:
        name = info.filename.encode("utf-8")
        flags = (info.flag_bits & ~0x08) | 0x800  # sizes in the header; UTF-8 name
        if info.flag_bits & 0x01:
            return None
        new = parts.get(info.filename)
        if new is not None:
            method, body, crc, size = new
        else:
            stored = stored_body(source, info)
            if stored is None:
                return None
            body = stored
            method, crc, size = info.compress_type, info.CRC, info.file_size
        offset = len(out)
        if max(offset, len(body), size) >= _ZIP32:
            return None
        year, month, day, hour, minute, second = info.date_time
        dos_time = (hour << 11) | (minute << 5) | (second // 2)
        dos_date = (max(year, 1980) - 1980) << 9 | (month << 5) | day
        out += _LOCAL.pack(b"PK\x03\x04", 20, flags, method, dos_time, dos_date, crc,
                           len(body), size, len(name), 0)
        out += name
        out += body
        central += _CENTRAL.pack(b"PK\x01\x02", 20, 20, flags, method, dos_time, dos_date, crc,
                                 len(body), size, len(name), 0, 0, 0, info.internal_attr,
                                 info.external_attr, offset)
        central += name
    if len(out) + len(central) >= _ZIP32:
        return None
    end = _END.pack(b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(out),
                    0)
    return bytes(out + central + end)


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
    return CellPatcher(source).write(edits, dest)


class CellPatcher:
    """Writes edited copies of one workbook, each exactly what :func:`patch_cells` writes.

    The workbook is opened once, and a worksheet whose edits are the same as in an earlier
    copy is not parsed, edited and compressed again: variants that share most of their edits
    (a complete fill, with one answer changed per variant) cost what their own edits touch.
    The last :attr:`KEPT` edited worksheets are kept, compressed. Not for use by two threads
    at once."""

    KEPT = 8

    def __init__(self, source: str | Path) -> None:
        self._wb = open_workbook(source)
        self._sheets: dict[tuple[str, _SheetEdits], tuple[_Packed, bool]] = {}

    def write(self, edits: Mapping[str, CellInput], dest: str | Path) -> Path:
        """Write a copy of the workbook with ``edits`` made (see :func:`patch_cells`)."""
        wb = self._wb
        parts = _patch_package(wb, edits, self._sheets)
        while len(self._sheets) > self.KEPT:
            del self._sheets[next(iter(self._sheets))]
        out = Path(dest)
        entries = [info for info in wb._zip.infolist()
                   if info.filename not in parts or parts[info.filename] is not None]
        raw = _raw_zip(entries, wb._data, parts)
        if raw is None:  # a package beyond what the plain zip format holds: rewrite every entry
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as z:
                for info in entries:
                    new = parts.get(info.filename)
                    data = new.data() if new is not None else wb._zip.read(info)
                    z.writestr(info, data, compress_type=info.compress_type)
            raw = buffer.getvalue()
        out.write_bytes(raw)
        return out
