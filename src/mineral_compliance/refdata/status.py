"""Audit-status lists the user supplies: RMI facility lists, and LBMA and RJC lists for gold.

RMI's facility lists may not be redistributed, so none ships with the library: the user points
at the files they downloaded. CSV, XLSX and the SpreadsheetML 2003 XML that RMI's facility-list
page exports are read; columns are found by header synonyms ("Smelter ID", "Facility ID",
"CID"; "Standard Smelter Name", "Facility Name", "Refiner"; "Country", "Location"; "Status",
"Assessment Status"...). A list without a status column takes the status its kind implies
(``default_status``: a conformant list says "conformant" of every row).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..errors import ReferenceDataError
from ..models.matching import Snapshot, StatusKind
from ..names import country_code, metal_key, name_key, normalise_id
from ..tables import (
    MAX_TABLE_CELLS,
    MAX_TABLE_COLUMNS,
    MAX_TABLE_ROWS,
    read_capped,
    table_rows,
)
from ._text import file_date

__all__ = ["ListKind", "StatusEntry", "StatusList", "load_status_list"]

ListKind = str
"""``rmi`` (RMAP facility list), ``lbma`` (LBMA Good Delivery) or ``rjc`` (RJC certified)."""

_MAX_BYTES = 100 * 1024 * 1024
_SS_NS = "urn:schemas-microsoft-com:office:spreadsheet"
_HEADERS = {
    "smelter_id": ("smelter id", "facility id", "smelter identification", "cid", "rmi id",
                   "new smelter id", "smelter reference id"),
    "name": ("standard smelter name", "smelter name", "facility name", "refiner name",
             "standard facility name", "refiner", "company name", "name"),
    "metal": ("metal", "mineral"),
    "country": ("country location", "smelter facility location country", "country",
                "location"),
    "state_province": ("state / province", "state/province", "province", "region"),
    "status": ("assessment status", "rmap status", "audit status", "conformance status",
               "status"),
}
_STATUS_WORDS = (
    ("non conformant", StatusKind.NON_CONFORMANT), ("non-conformant", StatusKind.NON_CONFORMANT),
    ("nonconformant", StatusKind.NON_CONFORMANT), ("not enrolled", StatusKind.NOT_ENROLLED),
    ("conformant", StatusKind.CONFORMANT), ("compliant", StatusKind.CONFORMANT),
    ("active", StatusKind.ACTIVE), ("in progress", StatusKind.ACTIVE),
)


@dataclass(frozen=True)
class StatusEntry:
    row: int
    smelter_id: str | None
    name: str | None
    metal: str | None
    country: str | None
    status: StatusKind
    raw_status: str | None


@dataclass(frozen=True)
class StatusList:
    """One supplied list: its kind, rows and snapshot."""

    kind: ListKind
    entries: tuple[StatusEntry, ...]
    snapshot: Snapshot
    _by_id: dict[str, StatusEntry] = field(default_factory=dict, repr=False, compare=False)
    _by_name: dict[tuple[str | None, str], list[StatusEntry]] = field(
        default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for e in self.entries:
            if e.smelter_id:
                self._by_id.setdefault(e.smelter_id, e)
            if e.name and name_key(e.name):
                self._by_name.setdefault((metal_key(e.metal), name_key(e.name)), []).append(e)

    def by_id(self, smelter_id: str | None) -> StatusEntry | None:
        return self._by_id.get(smelter_id or "")

    def by_name(self, metal: str | None, names: Iterable[str],
                country: str | None) -> StatusEntry | None:
        """An entry naming the facility (any of ``names``, normalised) in the same country."""
        code = country_code(country)
        for name in names:
            for m in {metal_key(metal), None}:
                for e in self._by_name.get((m, name_key(name)), ()):
                    if code is None or country_code(e.country) in (None, code):
                        return e
        return None


def _status(raw: str | None, default: StatusKind | None) -> StatusKind:
    text = " ".join((raw or "").casefold().replace("_", " ").split())
    for word, kind in _STATUS_WORDS:
        if word in text:
            return kind
    return default or StatusKind.UNKNOWN


def _counter(raw: str, attribute: str, low: int, high: int, where: str, path: Path) -> int:
    """An ``ss:Index`` or ``ss:MergeAcross`` value, checked to lie in ``low`` to ``high``
    before anything is allocated for it."""
    text = raw.strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise ReferenceDataError(
            f"{where}: ss:{attribute}={raw[:20]!r} is not a number from {low:,} to {high:,} "
            "(a list is read up to row 200,000 and column 500, in order)", path=path)
    return int(text)


def _rows_spreadsheetml(data: bytes, path: Path) -> list[list[str]]:
    """The rows of a SpreadsheetML 2003 worksheet (the first ``Table``). Rows and cells that
    skip ahead (``ss:Index``) and merged cells (``ss:MergeAcross``) keep later values in
    their own row and column; every counter is bounded by the caps on tables."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise ReferenceDataError(f"the XML is not well-formed ({exc})", path=path) from exc
    table = root.find(f".//{{{_SS_NS}}}Table")
    if table is None:
        raise ReferenceDataError("the XML holds no SpreadsheetML worksheet table", path=path)
    index_attr, merge_attr = f"{{{_SS_NS}}}Index", f"{{{_SS_NS}}}MergeAcross"
    rows: list[list[str]] = []
    cells = 0
    for row in table.iterfind(f"{{{_SS_NS}}}Row"):
        skip_to = row.get(index_attr)
        if skip_to is not None:  # a run of empty rows before this one
            number = _counter(skip_to, "Index", len(rows) + 1, MAX_TABLE_ROWS,
                              f"the row after row {len(rows)}", path)
            rows.extend([] for _ in range(number - 1 - len(rows)))
        if len(rows) >= MAX_TABLE_ROWS:
            raise ReferenceDataError(f"the worksheet has more than {MAX_TABLE_ROWS:,} rows",
                                     path=path)
        where = f"row {len(rows) + 1}"
        values: list[str] = []
        for cell in row.iterfind(f"{{{_SS_NS}}}Cell"):
            column = cell.get(index_attr)
            if column is not None:  # a run of empty cells before this one
                number = _counter(column, "Index", len(values) + 1, MAX_TABLE_COLUMNS, where,
                                  path)
                values.extend([""] * (number - 1 - len(values)))
            if len(values) >= MAX_TABLE_COLUMNS:
                raise ReferenceDataError(f"{where} has more than {MAX_TABLE_COLUMNS} columns",
                                         path=path)
            data_el = cell.find(f"{{{_SS_NS}}}Data")
            values.append("".join(str(t) for t in data_el.itertext()).strip()
                          if data_el is not None else "")
            merged = cell.get(merge_attr)
            if merged is not None:  # the cell spans this many more columns
                extra = _counter(merged, "MergeAcross", 0, MAX_TABLE_COLUMNS - len(values),
                                 where, path)
                values.extend([""] * extra)
        cells += len(values)
        if cells > MAX_TABLE_CELLS:
            raise ReferenceDataError(f"the worksheet has more than {MAX_TABLE_CELLS:,} cells",
                                     path=path)
        rows.append(values)
    return rows


def _header(rows: Sequence[list[str]], path: Path) -> tuple[int, dict[str, int]]:
    """The first row (of the first 30) naming an ID or name column, and its columns."""
    for number, row in enumerate(rows[:30]):
        found: dict[str, int] = {}
        cells = [" ".join(c.casefold().split()) for c in row]
        for fld, synonyms in _HEADERS.items():
            for synonym in synonyms:  # most specific first
                hit = next((i for i, c in enumerate(cells) if c == synonym), None)
                if hit is None:
                    hit = next((i for i, c in enumerate(cells)
                                if synonym in c and i not in found.values()), None)
                if hit is not None and hit not in found.values():
                    found[fld] = hit
                    break
        if "smelter_id" in found or "name" in found:
            return number, found
    raise ReferenceDataError(
        "no header row with a smelter ID or name column was found in the first 30 rows",
        path=path, hint="the list needs a header such as 'Smelter ID' or 'Standard Smelter Name'")


def load_status_list(path: str | Path, *, kind: ListKind = "rmi",
                     default_status: StatusKind | None = None) -> StatusList:
    """Read a facility status list (CSV, XLSX or SpreadsheetML 2003 XML)."""
    path = Path(path)
    data = read_capped(path, _MAX_BYTES)
    head = data[:512].lstrip(b"\xef\xbb\xbf \r\n\t")
    if head.startswith(b"<?xml") or head.startswith(b"<Workbook"):
        rows = _rows_spreadsheetml(data, path)
    else:
        rows = table_rows(data, path)  # CSV or XLSX
    start, cols = _header(rows, path)

    def cell(row: list[str], fld: str) -> str | None:
        i = cols.get(fld)
        return (row[i].strip() or None) if i is not None and i < len(row) else None

    entries = []
    for number, row in enumerate(rows[start + 1:], start=start + 2):
        sid, name = normalise_id(cell(row, "smelter_id")), cell(row, "name")
        if not sid and not name:
            continue
        raw = cell(row, "status")
        entries.append(StatusEntry(number, sid, name, cell(row, "metal"), cell(row, "country"),
                                   _status(raw, default_status), raw))
    snapshot = Snapshot(kind=f"status-list:{kind}", source=str(path), version=file_date(path),
                        sha256=hashlib.sha256(data).hexdigest(), rows=len(entries))
    return StatusList(kind, tuple(entries), snapshot)
