"""Smelter/refiner tables from three published SEC Conflict Minerals Reports (Form SD, EX-1.01).

The accuracy benchmark uses these as real-world input: each report lists, per smelter or
refiner, the metal (tin, tantalum, tungsten, gold), the facility name, usually its country and
the RMI smelter ID ("CID" plus six digits). :func:`load_filing_rows` returns one
:class:`FilingRow` per smelter row, so the benchmark can hide the CID, match name + country +
metal against a reference list and compare the result with the printed CID.

The filings are read in place from a read-only folder outside the repository (by default
``../shared/reference/filings``); no part of them is ever copied into this repository, only
this extraction code is.

Layout of each filing, as inspected (all tables are split per printed page into separate
``<table>`` elements; the header row is printed once, on the first page only):

* ``honda.html`` -- Annex 1 (conformant smelters only). Five grid columns, spacer cells between
  the data: ``Metal | Facility Name of Smelter or Refiner | Smelter ID``. There is no country
  column, so ``country`` is always None. Rows are grouped by metal (gold first).
* ``rockwellautomation.html`` -- Schedule 1. Nine grid columns with spacers:
  ``Smelter ID | Metal | Smelter Name | Conformant | Smelter Country``; the ID comes first and
  the "Conformant" column holds an asterisk, which is not kept. Rows are sorted by country and
  alternate with empty spacer rows. Some IDs are not RMI CIDs (e.g. ``CIDSN2285``,
  ``CIDW1531``); those rows are kept with ``cid=None``. Unidentified facilities carry the
  country ``UNKNOWN``, kept as printed.
* ``skyworkssolutions.html`` -- Annex A. Twelve grid columns, each data cell spans three:
  ``Subject Mineral | Smelter or Refiner Name | Country of Smelter or Refiner | Smelter
  Identification``. It is followed by Annex B, a four-column list of countries of origin with
  no header; its rows carry no metal and are skipped.

Columns are found from the header text, not from fixed positions, and a header's layout carries
over to the following page tables with the same grid width. A repeated header row is recognised
as a header again and never returned as data.

Run ``python bench/_filings.py [FOLDER]`` for a per-file summary.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import lxml.html
from lxml.html import HtmlElement

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FOLDER = ROOT.parent / "shared" / "reference" / "filings"
FILINGS = ("honda.html", "rockwellautomation.html", "skyworkssolutions.html")

METALS = ("Tin", "Tantalum", "Tungsten", "Gold")
_SYMBOLS = {"sn": "Tin", "ta": "Tantalum", "w": "Tungsten", "au": "Gold"}
_METAL_RE = re.compile(
    r"(tin|tantalum|tungsten|gold)\s*(?:\(\s*(?:sn|ta|w|au)\s*\))?\s*\*?", re.IGNORECASE
)
_CID_RE = re.compile(r"\bCID\s*(\d{6})\b", re.IGNORECASE)
_VALID_CID_RE = re.compile(r"CID\d{6}")

# Header label -> column role. Checked in this order, so "Country of Smelter or Refiner" is a
# country column and "Smelter or Refiner Name" a name column.
_ROLE_PATTERNS = (
    ("cid", re.compile(r"\b(?:id|identification|identifier|cid)\b", re.IGNORECASE)),
    ("country", re.compile(r"\b(?:country|location)\b", re.IGNORECASE)),
    ("metal", re.compile(r"\b(?:metals?|minerals?)\b", re.IGNORECASE)),
    ("name", re.compile(r"\bname\b", re.IGNORECASE)),
)
_BLOCK_TAGS = frozenset({"br", "p", "div", "li", "tr"})


@dataclass(frozen=True)
class FilingRow:
    """One smelter/refiner row as printed in a filing."""

    source: str
    table_row: int
    metal: str
    name: str
    country: str | None
    cid: str | None


class _Cell(NamedTuple):
    start: int  # first grid column, counting colspans
    end: int  # one past the last grid column
    text: str


class _Layout(NamedTuple):
    width: int  # grid columns of the table the header came from
    columns: dict[str, tuple[int, int]]  # role -> grid span of its header cell


class _Parsed(NamedTuple):
    row: FilingRow
    raw_id: str | None  # the ID cell as printed, kept for the sanity report


def collapse(text: str) -> str:
    """Collapse all whitespace (including non-breaking spaces) to single spaces."""
    return " ".join(text.split())


def normalise_metal(text: str) -> str | None:
    """Map "Tin (Sn)", "TIN", "Tungsten (W)", "Au", ... to one of :data:`METALS`."""
    text = collapse(text)
    match = _METAL_RE.fullmatch(text)
    if match:
        return match.group(1).capitalize()
    return _SYMBOLS.get(text.lower())


def _cell_text(cell: HtmlElement) -> str:
    # text_content() glues "A<br>B" into "AB"; read the pieces and put a space after
    # line breaks and block elements instead.
    parts: list[str] = []

    def walk(element: HtmlElement) -> None:
        if not isinstance(element.tag, str):
            return  # comment or processing instruction: its tail is added by the caller
        if element.tag.lower() == "br":
            parts.append(" ")
        elif element.text:
            parts.append(element.text)
        for child in element:
            walk(child)
            if isinstance(child.tag, str) and child.tag.lower() in _BLOCK_TAGS:
                parts.append(" ")
            if child.tail:
                parts.append(child.tail)

    walk(cell)
    return collapse("".join(parts))


def _row_cells(tr: HtmlElement) -> list[_Cell]:
    cells: list[_Cell] = []
    column = 0
    for cell in tr:
        if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
            continue
        try:
            span = max(1, int(cell.get("colspan") or 1))
        except ValueError:
            span = 1
        cells.append(_Cell(column, column + span, _cell_text(cell)))
        column += span
    return cells


def _table_rows(table: HtmlElement) -> Iterator[list[_Cell]]:
    # Rows of this table only: skip rows that belong to a table nested inside it.
    for tr in table.iter("tr"):
        if next(tr.iterancestors("table")) is table:
            yield _row_cells(tr)


def _table_width(rows: list[list[_Cell]]) -> int:
    return max((row[-1].end for row in rows if row), default=0)


def _header_layout(cells: list[_Cell], width: int) -> _Layout | None:
    """Column roles if this row is a header row, else None."""
    columns: dict[str, tuple[int, int]] = {}
    for cell in cells:
        if not cell.text:
            continue
        # A data value in the row means it is not a header (e.g. a name containing "Metal").
        if normalise_metal(cell.text) or _CID_RE.search(cell.text) or len(cell.text) > 60:
            return None
        for role, pattern in _ROLE_PATTERNS:
            if pattern.search(cell.text):
                if role not in columns:
                    columns[role] = (cell.start, cell.end)
                break
    if "name" in columns and ("metal" in columns or "cid" in columns):
        return _Layout(width, columns)
    return None


def _by_role(cells: list[_Cell], layout: _Layout) -> dict[str, str]:
    values: dict[str, str] = {}
    for cell in cells:
        if not cell.text:
            continue
        for role, (start, end) in layout.columns.items():
            if cell.start < end and start < cell.end:  # grid spans overlap
                values[role] = f"{values[role]} {cell.text}" if role in values else cell.text
                break
    return values


def _parse_document(root: HtmlElement, source: str) -> list[_Parsed]:
    parsed: list[_Parsed] = []
    layout: _Layout | None = None
    section_metal: str | None = None  # for layouts that print the metal as a heading row
    for table in root.iter("table"):
        rows = list(_table_rows(table))
        width = _table_width(rows)
        for cells in rows:
            header = _header_layout(cells, width)
            if header is not None:
                layout, section_metal = header, None
                continue
            if layout is None or width != layout.width:
                continue
            filled = [cell.text for cell in cells if cell.text]
            if not filled:
                continue
            if "metal" not in layout.columns and len(filled) == 1:
                heading = normalise_metal(filled[0])
                if heading:
                    section_metal = heading
                    continue
            values = _by_role(cells, layout)
            if "metal" in layout.columns:
                metal = normalise_metal(values.get("metal", ""))
            else:
                metal = section_metal
            name = values.get("name")
            if metal is None or not name:
                continue
            raw_id = values.get("cid")
            ids = _CID_RE.findall(raw_id or "")
            parsed.append(
                _Parsed(
                    FilingRow(
                        source=source,
                        table_row=len(parsed) + 1,
                        metal=metal,
                        name=name,
                        country=values.get("country") or None,
                        cid=f"CID{ids[0]}" if ids else None,
                    ),
                    raw_id,
                )
            )
    return parsed


def _read_html(path: Path) -> HtmlElement:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # older EDGAR documents
    return lxml.html.document_fromstring(text)


def _parse_file(path: Path) -> list[_Parsed]:
    return _parse_document(_read_html(path), path.name)


def load_filing_rows(folder: Path) -> list[FilingRow]:
    """All smelter rows of the three filings in ``folder``, in file then table order."""
    rows: list[FilingRow] = []
    for filename in FILINGS:
        rows.extend(item.row for item in _parse_file(folder / filename))
    return rows


def _summary(folder: Path) -> None:
    for filename in FILINGS:
        parsed = _parse_file(folder / filename)
        rows = [item.row for item in parsed]
        metals = Counter(row.metal for row in rows)
        print(f"== {filename}")
        print(f"   rows: {len(rows)}")
        print(f"   with CID: {sum(row.cid is not None for row in rows)}")
        print(f"   with country: {sum(row.country is not None for row in rows)}")
        print("   per metal: " + ", ".join(f"{metal} {metals[metal]}" for metal in METALS))
        for row in rows[:: max(1, len(rows) // 3)][:3]:
            print(f"   sample: {row}")
        # Sanity checks: anything listed here deserves a look at the HTML.
        for item in parsed:
            row = item.row
            if row.cid is not None and not _VALID_CID_RE.fullmatch(row.cid):
                print(f"   ! malformed CID: {row}")
            if row.cid is None:
                print(f"   ! no valid CID (printed {item.raw_id!r}): row {row.table_row}")
            if len(_CID_RE.findall(item.raw_id or "")) > 1:
                print(f"   ! several CIDs (printed {item.raw_id!r}): row {row.table_row}")
            if _CID_RE.search(row.name):
                print(f"   ! CID printed in the name column: {row}")
            elif re.search(r"(\*|\d|\([a-z\d]\))$", row.name):
                print(f"   ! possible footnote marker in name: row {row.table_row}")
        cids = Counter(row.cid for row in rows if row.cid)
        repeated = {cid: n for cid, n in cids.items() if n > 1}
        if repeated:
            print(f"   ! CIDs listed more than once: {repeated}")


if __name__ == "__main__":
    _summary(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER)
