"""Audit-status lists the user supplies: RMI facility lists, and LBMA and RJC lists for gold.

RMI's facility lists may not be redistributed, so none ships with the library: the user points
at the files they downloaded. CSV, XLSX and the SpreadsheetML 2003 XML that RMI's facility-list
page exports are read. Columns are found by their header, case and spacing aside: a header
equal to a synonym first, else one containing it. The columns read, and their synonyms:

==================  ===========================================================================
field               headers accepted
==================  ===========================================================================
smelter ID          Smelter ID, Facility ID, Smelter Identification, CID, RMI ID, New Smelter
                    ID, Smelter Reference ID
name                Standard Smelter Name, Smelter Name, Facility Name, Refiner Name, Standard
                    Facility Name, Refiner, Company Name, Name
metal               Metal, Mineral
country             Country Location, Smelter Facility Location Country, Country, Location
state or province   State / Province, State/Province, Province, Region
status              Assessment Status, RMAP Status, Audit Status, Conformance Status, Status
last audit date     Last Audit Date, Last Assessment Date, Most Recent Audit Date, Audit Date,
                    Assessment Date, Last Audit
audit cycle         Audit Cycle, Assessment Cycle, Reassessment Cycle, Re-audit Cycle, Audit
                    Frequency, Audit Interval
re-audit            Re-audit in Progress, Reaudit in Progress, Re-assessment in Progress,
                    Reassessment in Progress, Re-audit Status
valid until         Valid Until, Valid To, Valid Through, Conformant Until, Conformance Expiry,
                    Expiry Date, Expiration Date, Certificate Expiry, Expires
cross-recognition   Cross Recognition, Cross-Recognition, Cross Recognized, Cross-Recognized,
                    Recognized Scheme, Recognised Scheme, Other Standard
list date           List Date, Snapshot Date, Export Date, Report Date, Data As Of, As Of Date,
                    As Of
==================  ===========================================================================

A list without a status column takes the status its kind implies (``default_status``: a
conformant list says "conformant" of every row).

**Dates** are read as :func:`~mineral_compliance.tables.parse_date` reads them: ISO
(``2025-03-05``), text that names day, month and year (``5 March 2025``, ``Mar 5, 2025``,
``03/05/2025`` read month first), worksheet cells formatted as dates, and, in a date column of
a workbook, a plain number as an Excel serial of the 1900 date system (from 1990 to 2100). A
date that cannot be read is a problem of its row (:attr:`StatusList.problems`, naming row and
cell); the row is kept, without that date. An **audit cycle** is a number of years or months
(``1 year``, ``12 months``, ``24``: 6 and more are months), or ``annual``, ``biennial``,
``triennial``. A conformance is **valid until** the date the list gives, else the last audit
date plus the audit cycle; with neither, the list's word alone decides.

**The list's date** (its snapshot) is a list-date column (the latest date in it), else a
heading above the header row that dates the list ("As of 5 March 2025", "List date:
2025-03-05", a label and a date cell beside it), else the day the file was last modified.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .._io.serials import serial_to_date
from ..errors import ReferenceDataError
from ..models.findings import Basis, Finding, Severity
from ..models.matching import Snapshot, StatusKind
from ..names import country_code, metal_key, name_key, normalise_id
from ..tables import (
    MAX_TABLE_CELLS,
    MAX_TABLE_COLUMNS,
    MAX_TABLE_ROWS,
    CellValueError,
    NumberText,
    parse_date,
    read_capped,
    table_rows,
)
from ._text import file_date

__all__ = ["BAD_DATE", "ListKind", "StatusEntry", "StatusList", "default_as_of",
           "filing_window_end", "load_status_list"]

ListKind = str
"""``rmi`` (RMAP facility list), ``lbma`` (LBMA Good Delivery) or ``rjc`` (RJC certified)."""

BAD_DATE = "status-list-date-unreadable"
"""The code of the problem a date (or audit cycle) a status list's row holds but that cannot
be read."""

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
    # the dated columns before the status, so that "re-audit status" is not the status
    "last_audit": ("last audit date", "last assessment date", "most recent audit date",
                   "audit date", "assessment date", "last audit"),
    "audit_cycle": ("audit cycle", "assessment cycle", "reassessment cycle", "re-audit cycle",
                    "audit frequency", "audit interval"),
    "reaudit": ("re-audit in progress", "reaudit in progress", "re-assessment in progress",
                "reassessment in progress", "re-audit status"),
    "valid_until": ("valid until", "valid to", "valid through", "conformant until",
                    "conformance expiry", "expiry date", "expiration date",
                    "certificate expiry", "expires"),
    "cross_recognition": ("cross recognition", "cross-recognition", "cross recognized",
                          "cross-recognized", "recognized scheme", "recognised scheme",
                          "other standard"),
    "list_date": ("list date", "snapshot date", "export date", "report date", "data as of",
                  "as of date", "as of"),
    "status": ("assessment status", "rmap status", "audit status", "conformance status",
               "status"),
}
_DATE_FIELDS = {"last_audit": "last audit date", "valid_until": "valid-until date",
                "list_date": "list date"}
_HEADING = re.compile(r"\b(?:data as of|as of|as at|list date|snapshot date|export date|"
                      r"report date|dated|updated|last updated|date)\b\s*[:\-]?\s*", re.I)
_SERIALS = (32874, 73051)
"""Excel serials read as dates in a workbook's date column: 1 January 1990 to 1 January
2100 (the 1900 date system)."""
_CYCLE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(years?|yrs?|y|months?|mos?|m)?", re.I)
_CYCLE_WORDS = {"annual": 12, "annually": 12, "yearly": 12, "biennial": 24, "biennially": 24,
                "triennial": 36, "triennially": 36}
_STATUS_WORDS = (
    ("non conformant", StatusKind.NON_CONFORMANT), ("non-conformant", StatusKind.NON_CONFORMANT),
    ("nonconformant", StatusKind.NON_CONFORMANT), ("not enrolled", StatusKind.NOT_ENROLLED),
    ("conformant", StatusKind.CONFORMANT), ("compliant", StatusKind.CONFORMANT),
    ("active", StatusKind.ACTIVE), ("in progress", StatusKind.ACTIVE),
)


@dataclass(frozen=True)
class StatusEntry:
    """One row of a status list, with the dates it gives."""

    row: int
    smelter_id: str | None
    name: str | None
    metal: str | None
    country: str | None
    status: StatusKind
    raw_status: str | None
    last_audit: dt.date | None = None
    audit_cycle_months: int | None = None
    reaudit_in_progress: bool | None = None
    """The list says a re-audit is under way (None: the list does not say)."""
    listed_valid_until: dt.date | None = None
    """The valid-until or expiry date the row states."""
    cross_recognition: str | None = None
    """The other standard the row's status rests on, as the list words it (LBMA, RJC...)."""

    @property
    def valid_until(self) -> dt.date | None:
        """The last day of the conformance: the date the row states, else the last audit date
        plus the audit cycle, else None."""
        if self.listed_valid_until is not None:
            return self.listed_valid_until
        if self.last_audit is not None and self.audit_cycle_months:
            return _add_months(self.last_audit, self.audit_cycle_months)
        return None


@dataclass(frozen=True)
class StatusList:
    """One supplied list: its kind, rows, snapshot, the date it is as of, and the problems
    of its rows."""

    kind: ListKind
    entries: tuple[StatusEntry, ...]
    snapshot: Snapshot
    date: dt.date | None = None
    """The day the list is as of (a list-date column, a heading, else the file's date)."""
    problems: tuple[Finding, ...] = ()
    """Row-level problems (a date that cannot be read), each naming its row and cell."""
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


def default_as_of(today: dt.date | None = None) -> dt.date:
    """The date statuses are read as of when nothing says otherwise: 31 December of the year
    before ``today`` (the end of the calendar year a Form SD filed this year reports on)."""
    return dt.date((today or dt.date.today()).year - 1, 12, 31)


def filing_window_end(as_of: dt.date) -> dt.date:
    """The first 31 May after ``as_of``: the Form SD deadline for a year ending on it."""
    may = dt.date(as_of.year, 5, 31)
    return may if may > as_of else dt.date(as_of.year + 1, 5, 31)


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _read_date(text: str, *, workbook: bool) -> dt.date:
    """A date cell of a status list; a plain number in a workbook is an Excel serial."""
    if (isinstance(text, NumberText) and workbook and not text.date_format
            and _SERIALS[0] <= text.number < _SERIALS[1]):
        day = serial_to_date(text.number)
        if day is not None:
            return day
        raise CellValueError(f"the date cell holds {text}, which names no day")
    return parse_date(text)


def _cycle_months(text: str) -> int:
    """Months of an audit cycle: ``1 year``, ``12 months``, ``24`` (a bare number under 6 is
    years), ``annual``..."""
    value = " ".join(text.casefold().split())
    for word, in_months in _CYCLE_WORDS.items():
        if word in value:
            return in_months
    m = _CYCLE.fullmatch(value)
    if not m:
        raise CellValueError(f"the audit cycle {text!r} is not a number of years or months")
    number = float(m.group(1).replace(",", "."))
    unit = (m.group(2) or "").lower()
    months = number * 12.0 if unit.startswith("y") or (not unit and number < 6) else number
    if not 1 <= months <= 120 or months != int(months):
        raise CellValueError(f"the audit cycle {text!r} is not a whole number of months from "
                             "1 to 120")
    return int(months)


def _yes(text: str | None) -> bool | None:
    value = (text or "").strip().casefold()
    if not value:
        return None
    return value not in ("no", "n", "false", "0", "none", "-")


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _heading_date(rows: Sequence[list[str]], workbook: bool) -> dt.date | None:
    """The date a heading above the header row gives the list ("As of 5 March 2025", or a
    label cell and a date cell beside it)."""
    for row in rows:
        for i, text in enumerate(row):
            m = _HEADING.search(text or "")
            if m is None:
                continue
            tries = [text[m.end():].strip(), *[c for c in row[i + 1:] if c.strip()][:1]]
            for candidate in tries:
                if not candidate:
                    continue
                try:
                    return _read_date(candidate, workbook=workbook)
                except CellValueError:
                    continue
    return None


def _file_day(path: Path) -> dt.date | None:
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date()
    except OSError:
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
    """Read a facility status list (CSV, XLSX or SpreadsheetML 2003 XML), with the dates it
    gives (see the module documentation)."""
    path = Path(path)
    data = read_capped(path, _MAX_BYTES)
    head = data[:512].lstrip(b"\xef\xbb\xbf \r\n\t")
    workbook = data[:4] == b"PK\x03\x04"
    if head.startswith(b"<?xml") or head.startswith(b"<Workbook"):
        rows = _rows_spreadsheetml(data, path)
    else:
        rows = table_rows(data, path)  # CSV or XLSX
    start, cols = _header(rows, path)
    problems: list[Finding] = []

    def cell(row: list[str], fld: str) -> str | None:
        i = cols.get(fld)
        return (row[i].strip() or None) if i is not None and i < len(row) else None

    def dated(row: list[str], number: int, fld: str) -> dt.date | None:
        text = cell(row, fld)
        if text is None:
            return None
        try:
            return _read_date(row[cols[fld]], workbook=workbook)
        except CellValueError as exc:
            problems.append(_problem(path, number, cols[fld], f"the {_DATE_FIELDS[fld]}: {exc}"))
            return None

    entries = []
    list_dates: list[dt.date] = []
    for number, row in enumerate(rows[start + 1:], start=start + 2):
        sid, name = normalise_id(cell(row, "smelter_id")), cell(row, "name")
        if not sid and not name:
            continue
        raw = cell(row, "status")
        cycle: int | None = None
        cycle_text = cell(row, "audit_cycle")
        if cycle_text is not None:
            try:
                cycle = _cycle_months(cycle_text)
            except CellValueError as exc:
                problems.append(_problem(path, number, cols["audit_cycle"], str(exc)))
        listed = dated(row, number, "list_date")
        if listed is not None:
            list_dates.append(listed)
        entries.append(StatusEntry(
            number, sid, name, cell(row, "metal"), cell(row, "country"),
            _status(raw, default_status), raw, last_audit=dated(row, number, "last_audit"),
            audit_cycle_months=cycle, reaudit_in_progress=_yes(cell(row, "reaudit")),
            listed_valid_until=dated(row, number, "valid_until"),
            cross_recognition=cell(row, "cross_recognition")))
    day = max(list_dates, default=None) or _heading_date(rows[:start], workbook)
    version = f"as of {day.isoformat()}" if day is not None else file_date(path)
    snapshot = Snapshot(kind=f"status-list:{kind}", source=str(path), version=version,
                        sha256=hashlib.sha256(data).hexdigest(), rows=len(entries))
    return StatusList(kind, tuple(entries), snapshot, day or _file_day(path), tuple(problems))


def _problem(path: Path, row: int, column: int, what: str) -> Finding:
    ref = f"{_column(column)}{row}"
    return Finding(code=BAD_DATE, severity=Severity.WARNING, basis=Basis.CONSISTENCY,
                   file=str(path), cell=ref, message=f"Row {row} (cell {ref}): {what}.",
                   hint="write the date as 2025-03-05, or export the list again; the row is "
                        "read without it")
