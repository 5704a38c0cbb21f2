"""Regulation (EU) 2017/821: is a Union importer in scope, line by line of Annex I?

The Annex I table ships as dated data with its source (``data/eu-annex-i.json``); a user can
pass an updated table in the same shape. Import records (CSV or XLSX: date, CN code, TARIC
subdivision, quantity in kg, supplier, country of origin, recycled, pre-2013 stock, and for
gold whether it has passed the refining stage) are summed per calendar year and Annex I line:

* recycled metal and stocks in their current form before 1 February 2013 are not counted
  (Article 1), and are reported as excluded;
* an importer is in scope for a line when the counted quantity reaches the line's threshold;
* every line of the shipped table has its threshold (the 2017 Annex, five values set by
  Delegated Regulation (EU) 2020/1588); a line of a user-supplied table without a confirmed
  value is reported as "threshold not confirmed", with the value where one is given, never
  decided;
* gold under 7108 without the refining flag is counted under the refined line, and the
  assumption said, when either line gives the same result; otherwise it is "ambiguous";
* CN codes that match no line, and rows that cannot be read, are reported with their row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ReferenceDataError
from ..models.matching import Snapshot
from ..names import country_code
from ..tables import (
    CellValueError,
    NumberText,
    header_columns,
    parse_date,
    read_table,
)
from ..tables import cell as row_cell
from ._shipped import load_table

__all__ = [
    "AnnexLine",
    "AnnexTable",
    "ImportRecord",
    "LineScope",
    "ScopeReport",
    "load_annex",
    "load_imports",
    "quantity_kg",
    "scope",
]

_YES = {"yes", "y", "true", "1", "x", "ja", "oui"}
_HEADERS = {
    "date": ("date", "import date", "declaration date"),
    "cn": ("cn code", "cn", "commodity code", "cn8"),
    "taric": ("taric", "taric subdivision", "taric code"),
    "quantity_kg": ("quantity kg", "quantity (kg)", "net mass kg", "net mass (kg)", "kg",
                    "quantity"),
    "supplier": ("supplier", "exporter", "consignor"),
    "origin": ("country of origin", "origin", "origin country"),
    "recycled": ("recycled", "recycled metal"),
    "pre_2013": ("pre 2013", "pre-2013", "stock before 2013", "pre_2013"),
    "refined": ("refined", "gold refined"),
}


class AnnexLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    part: str
    description: str
    cn: str
    taric: str | None
    ex: bool
    refined: bool | None = None
    """For the two gold lines under 7108: whether the gold has passed the refining stage."""
    metal: str
    threshold_kg: int | None
    threshold_source: str
    confirmed: bool

    def matches(self, cn: str, taric: str | None, refined: bool | None) -> bool:
        code = re.sub(r"\D", "", self.cn)
        if not re.sub(r"\D", "", cn).startswith(code):
            return False
        if self.taric is not None and (taric or "").strip() != self.taric:
            return False
        return self.refined is None or refined is self.refined


class AnnexTable(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    source: str
    as_of: str
    lines: tuple[AnnexLine, ...]
    snapshot: Snapshot | None = None


class ImportRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    row: int
    date: dt.date
    cn: str
    taric: str | None
    quantity_kg: float
    supplier: str | None
    origin: str | None
    origin_code: str | None
    recycled: bool
    pre_2013: bool
    refined: bool | None


class LineScope(BaseModel):
    model_config = ConfigDict(frozen=True)

    year: int
    line: str
    description: str
    metal: str
    imported_kg: float
    excluded_kg: float = Field(description="Recycled metal and pre-2013 stock, not counted.")
    counted_kg: float
    threshold_kg: int | None
    status: str = Field(description="in-scope, below-threshold or threshold-not-confirmed")
    explanation: str
    rows: tuple[int, ...]
    origins: dict[str, float]
    assumed_rows: tuple[int, ...] = Field(
        default=(), description="Rows counted here by assumption (7108 gold without the "
                                "refined flag, where either line gives the same result).")


class ScopeReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    lines: tuple[LineScope, ...]
    unmatched: tuple[tuple[int, str], ...] = Field(
        description="(row, CN code) of records that match no Annex I line.")
    ambiguous: tuple[tuple[int, str], ...] = Field(
        description="(row, reason) of 7108 gold records without the refined flag whose line "
                    "decides the scope result.")
    assumed: tuple[tuple[int, str], ...] = Field(
        default=(), description="(row, assumption) of 7108 gold records without the refined "
                                "flag that were counted under one line because either line "
                                "gives the same scope result.")
    invalid: tuple[tuple[int, str], ...] = Field(description="(row, why) of unreadable rows.")
    records: tuple[ImportRecord, ...] = Field(default=(), description="Every readable row.")
    assignments: dict[int, str] = Field(default_factory=dict,
                                        description="Row -> the Annex I line it counts under.")
    annex: Snapshot
    imports: Snapshot

    def in_scope(self, year: int) -> list[LineScope]:
        return [x for x in self.lines if x.year == year and x.status == "in-scope"]


def load_annex(path: str | Path | None = None) -> AnnexTable:
    """The Annex I table shipped with the library, or one the user supplies (same JSON)."""
    table, data, source = load_table(AnnexTable, "data/eu-annex-i.json", path,
                                     max_bytes=5 * 1024 * 1024, what="an Annex I table")
    snap = Snapshot(kind="eu-annex-i", source=source, version=table.as_of,
                    sha256=hashlib.sha256(data).hexdigest(), rows=len(table.lines))
    return table.model_copy(update={"snapshot": snap})


_GROUPING = " \u00a0\u202f\u2009'\u2019"
"""Spaces (plain, no-break, narrow no-break, thin) and apostrophes group thousands."""
_DIGITS_AND_MARKS = re.compile(r"[0-9][0-9.,]*")
_SCIENTIFIC = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]+")


def _grouped(digits: str, mark: str) -> str | None:
    """``1.234.567`` (``mark`` ``.``) -> ``1234567``, or None unless every group after the
    first (one to three digits) has exactly three."""
    groups = digits.split(mark)
    if not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
        return None
    return "".join(groups)


def quantity_kg(text: str | None) -> float:
    """A quantity as written in an import record, in kilograms.

    Read: plain numbers (``6000``, ``6000.5``, ``1.5e3``), numbers with both marks, the last
    one being the decimal mark (``6.000,5`` and ``6,000.5`` are 6000.5), thousands grouped by
    spaces or apostrophes (``1 234,5``), a repeated mark grouping thousands (``1,234,567``),
    a single comma or point followed by other than three digits, or after a leading zero
    (``6,5``, ``0,125``: decimal). Refused, with :class:`CellValueError`: a single mark
    followed by exactly three digits (``6,000`` and ``6.000`` are six thousand in one country
    and six in another), groups of other than three digits, empty cells, text, ``nan``,
    infinities, numbers too large for a float (``1e400``) and negative quantities. A number
    stored as a number in a worksheet is taken as stored."""
    if isinstance(text, NumberText):
        value = text.number
        shown = str(text)
    else:
        shown = (text or "").strip()
        if not shown:
            raise CellValueError("the quantity is empty")
        value = _read_quantity(shown)
    if not math.isfinite(value):
        raise CellValueError(f"the quantity {shown!r} is not a finite number of kilograms")
    if value < 0:
        raise CellValueError(f"the quantity {shown!r} is negative")
    return value if value else 0.0  # -0 is 0


def _read_quantity(shown: str) -> float:
    sign = "-" if shown.startswith("-") else ""
    body = shown[1:] if shown[:1] in "+-" else shown
    not_a_number = CellValueError(f"the quantity {shown!r} is not a number")
    if _SCIENTIFIC.fullmatch(body):
        number = sign + body
    elif any(ch in body for ch in _GROUPING):
        spacer = next(ch for ch in _GROUPING if ch in body)
        cut = max(body.rfind("."), body.rfind(","))
        whole, fraction = (body[:cut], body[cut + 1:]) if cut >= 0 else (body, "")
        digits = _grouped(whole, spacer)
        if (digits is None or not digits.isdigit() or (cut >= 0 and not fraction.isdigit())):
            raise not_a_number
        number = f"{sign}{digits}.{fraction}" if fraction else sign + digits
    elif not _DIGITS_AND_MARKS.fullmatch(body):
        raise not_a_number
    elif "." in body and "," in body:
        decimal = "." if body.rfind(".") > body.rfind(",") else ","
        whole, _, fraction = body.rpartition(decimal)
        digits = _grouped(whole, "," if decimal == "." else ".")
        if digits is None or not digits.isdigit() or not fraction.isdigit():
            raise CellValueError(f"the quantity {shown!r} is not a number: its thousands "
                                 "groups or its decimal mark are out of place")
        number = f"{sign}{digits}.{fraction}"
    elif body.count(".") + body.count(",") > 1:
        mark = "." if "." in body else ","
        digits = _grouped(body, mark)
        if digits is None or not digits.isdigit():
            raise CellValueError(f"the quantity {shown!r} is not a number: its thousands "
                                 "groups are out of place")
        number = sign + digits
    elif "." in body or "," in body:
        mark = "." if "." in body else ","
        whole, _, fraction = body.partition(mark)
        if not whole.isdigit() or not fraction.isdigit():
            raise not_a_number
        if len(fraction) == 3 and whole.lstrip("0"):
            decimal_form = f"{whole}.{fraction}".rstrip("0").rstrip(".")
            if len(decimal_form.partition(".")[2]) == 3:
                decimal_form += "0"
            raise CellValueError(
                f"the quantity {shown!r} is ambiguous: {mark!r} may group thousands "
                f"({whole}{fraction}) or mark decimals ({decimal_form}); write it without a "
                f"thousands separator, such as {whole}{fraction} or {decimal_form}")
        number = f"{sign}{whole}.{fraction}"
    else:
        number = sign + body
    try:
        return float(number)
    except ValueError as exc:
        raise not_a_number from exc


def _flag(text: str | None) -> bool:
    return (text or "").strip().casefold() in _YES


@dataclass(frozen=True)
class _Loaded:
    records: list[ImportRecord]
    invalid: list[tuple[int, str]]
    snapshot: Snapshot


def load_imports(path: str | Path) -> _Loaded:
    """Import records from CSV or XLSX; rows that cannot be read are returned with why."""
    source = Path(path)
    data, rows = read_table(source, 200 * 1024 * 1024)
    if not rows:
        raise ReferenceDataError("the file has no rows", path=source)
    cols = header_columns(rows[0], _HEADERS)
    missing = [f for f in ("date", "cn", "quantity_kg") if f not in cols]
    if missing:
        raise ReferenceDataError(f"no {', '.join(missing)} column in the header",
                                 path=source,
                                 hint="columns: date, cn code, taric, quantity kg, supplier, "
                                      "country of origin, recycled, pre 2013, refined")
    records: list[ImportRecord] = []
    invalid: list[tuple[int, str]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue

        def cell(fld: str, row: list[str] = row) -> str | None:
            return row_cell(row, cols, fld)

        try:
            when = parse_date(cell("date"))
            qty = quantity_kg(cell("quantity_kg"))
        except CellValueError as exc:
            invalid.append((number, str(exc)))
            continue
        cn = re.sub(r"\D", "", cell("cn") or "")
        if len(cn) < 4:
            invalid.append((number, f"the CN code {cell('cn')!r} is not a CN code"))
            continue
        refined = cell("refined")
        origin = cell("origin")
        records.append(ImportRecord(
            row=number, date=when, cn=cn, taric=cell("taric"), quantity_kg=qty,
            supplier=cell("supplier"), origin=origin, origin_code=country_code(origin),
            recycled=_flag(cell("recycled")), pre_2013=_flag(cell("pre_2013")),
            refined=None if refined is None else _flag(refined)))
    snapshot = Snapshot(kind="eu-imports", source=str(source),
                        sha256=hashlib.sha256(data).hexdigest(), rows=len(records))
    return _Loaded(records, invalid, snapshot)


def scope(imports: str | Path | _Loaded, annex: AnnexTable | None = None) -> ScopeReport:
    """Per calendar year and Annex I line: imported, excluded, counted, threshold, status."""
    table = annex or load_annex()
    loaded = imports if isinstance(imports, _Loaded) else load_imports(imports)
    sums: dict[tuple[int, str], list[ImportRecord]] = defaultdict(list)
    unmatched: list[tuple[int, str]] = []
    ambiguous: list[tuple[int, str]] = []
    assigned: dict[int, str] = {}
    unflagged: list[tuple[ImportRecord, list[AnnexLine]]] = []
    for rec in loaded.records:
        hits = [line for line in table.lines if line.matches(rec.cn, rec.taric, rec.refined)]
        if not hits and rec.refined is None:
            either = [line for line in table.lines for flag in (True, False)
                      if line.refined is flag and line.matches(rec.cn, rec.taric, flag)]
            if either:
                unflagged.append((rec, either))
                continue
        if not hits:
            unmatched.append((rec.row, rec.cn))
            continue
        sums[(rec.date.year, hits[0].id)].append(rec)
        assigned[rec.row] = hits[0].id
    assumptions = _settle_unflagged(unflagged, sums, assigned, ambiguous)
    by_id = {line.id: line for line in table.lines}
    annex_order = {line.id: i for i, line in enumerate(table.lines)}  # B2 before B10
    results = []
    for (year, line_id), recs in sorted(sums.items(),
                                        key=lambda kv: (kv[0][0], annex_order[kv[0][1]])):
        line = by_id[line_id]
        imported = sum(r.quantity_kg for r in recs)
        excluded = sum(r.quantity_kg for r in recs if r.recycled or r.pre_2013)
        counted = imported - excluded
        origins: dict[str, float] = defaultdict(float)
        for r in recs:
            if not (r.recycled or r.pre_2013):
                origins[r.origin_code or r.origin or "unknown"] += r.quantity_kg
        decided = _decide(year, line, imported, excluded, counted,
                          tuple(r.row for r in recs), dict(sorted(origins.items())))
        assumed = [assumptions[r.row] for r in recs if r.row in assumptions]
        if assumed:
            decided = decided.model_copy(update={
                "explanation": f"{decided.explanation}. {assumed[0]}",
                "assumed_rows": tuple(r.row for r in recs if r.row in assumptions)})
        results.append(decided)
    assert table.snapshot is not None
    return ScopeReport(lines=tuple(results), unmatched=tuple(unmatched),
                       ambiguous=tuple(ambiguous), assumed=tuple(sorted(assumptions.items())),
                       invalid=tuple(loaded.invalid),
                       records=tuple(loaded.records), assignments=assigned,
                       annex=table.snapshot, imports=loaded.snapshot)


def _status(line: AnnexLine, counted: float) -> str:
    if not line.confirmed or line.threshold_kg is None:
        return "threshold-not-confirmed"
    return "in-scope" if counted >= line.threshold_kg else "below-threshold"


def _settle_unflagged(unflagged: Sequence[tuple[ImportRecord, list[AnnexLine]]],
                      sums: dict[tuple[int, str], list[ImportRecord]],
                      assigned: dict[int, str],
                      ambiguous: list[tuple[int, str]]) -> dict[int, str]:
    """Count 7108 gold without the refining flag where the answer does not depend on it.

    A line's status only grows with its counted quantity, so the unflagged records of a year
    change nothing when, for every line they could belong to, the status is the same with none
    of them and with all of them. Then they are counted under the refined line and the
    assumption is said; otherwise each is reported as ambiguous."""
    def counted(recs: Iterable[ImportRecord]) -> float:
        return sum(r.quantity_kg for r in recs if not (r.recycled or r.pre_2013))

    by_year: dict[int, list[tuple[ImportRecord, list[AnnexLine]]]] = defaultdict(list)
    for rec, candidates in unflagged:
        by_year[rec.date.year].append((rec, candidates))
    assumptions: dict[int, str] = {}
    for year, group in by_year.items():
        lines = {line.id: line for _, options in group for line in options}
        extra = counted(rec for rec, _ in group)
        settled = all(_status(line, counted(sums.get((year, line.id), ())))
                      == _status(line, counted(sums.get((year, line.id), ())) + extra)
                      for line in lines.values())
        target = next((line for line in lines.values() if line.refined), None)
        if not settled or target is None:
            ambiguous.extend((rec.row, f"CN {rec.cn} is gold under 7108 and the scope result "
                                       "depends on whether it has passed the refining stage: "
                                       "say so in column 'refined'") for rec, _ in group)
            continue
        others = ", ".join(sorted(i for i in lines if i != target.id))
        note = (f"{extra:,.1f} kg of gold under 7108 without the refining flag is counted "
                f"here as refined; counted under {others} instead it gives the same result")
        for rec, _ in group:
            sums[(year, target.id)].append(rec)
            assigned[rec.row] = target.id
            assumptions[rec.row] = note
    return assumptions


def _decide(year: int, line: AnnexLine, imported: float, excluded: float, counted: float,
            rows: Sequence[int], origins: dict[str, Any]) -> LineScope:
    base = (f"{counted:,.1f} kg counted of {imported:,.1f} kg imported under "
            f"{'ex ' if line.ex else ''}{line.cn}"
            + (f" (TARIC {line.taric})" if line.taric else "")
            + (f"; {excluded:,.1f} kg recycled or pre-2013 stock not counted" if excluded else ""))
    if not line.confirmed or line.threshold_kg is None:
        known = (f"; the value {line.threshold_kg:,} kg is reported by "
                 f"{line.threshold_source}" if line.threshold_kg else "")
        status, why = "threshold-not-confirmed", (
            f"{base}. The Annex I table used gives no confirmed threshold for this "
            f"line{known}: supply a table that does to decide")
    elif counted >= (line.threshold_kg or 0):
        status, why = "in-scope", f"{base}, at or above the threshold of " \
                                  f"{line.threshold_kg:,} kg"
    else:
        status, why = "below-threshold", f"{base}, below the threshold of " \
                                         f"{line.threshold_kg:,} kg"
    return LineScope(year=year, line=line.id, description=line.description, metal=line.metal,
                     imported_kg=imported, excluded_kg=excluded, counted_kg=counted,
                     threshold_kg=line.threshold_kg, status=status, explanation=why,
                     rows=tuple(rows), origins=origins)
