"""Cross-check the Smelter Lists of supplier templates against reference and status data."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

from ..errors import ReferenceDataError
from ..models.declaration import Declaration
from ..models.matching import DeclaredSmelter, SmelterMatch
from ..tables import cell, header_columns, read_table
from ..templates.detect import version_key
from .matching import SmelterMatcher

_MAX_BYTES = 200 * 1024 * 1024

__all__ = [
    "declared_rows",
    "match_plain",
    "newest_per_family",
    "read_rows_csv",
    "read_rows_csv_plain",
    "snapshots_plain",
]

_COLUMNS = {
    "metal": ("metal", "mineral"),
    "name": ("smelter name", "name", "facility name", "smelter", "refiner"),
    "country": ("country", "smelter country", "location", "country location"),
    "smelter_id": ("smelter id", "smelter_id", "cid", "id", "facility id"),
    "recycled_scrap": ("recycled", "recycled_scrap", "recycled or scrap"),
}


_T = TypeVar("_T")


def newest_per_family(candidates: Iterable[tuple[str, str, _T]]) -> dict[str, _T]:
    """Of ``(family, template version, candidate)`` triples, the candidate of the newest
    version of each family, by family (ties: the first given). How a run picks the Smelter
    Look-up to resolve a family's rows against when it is given none."""
    newest: dict[str, tuple[tuple[int, ...], _T]] = {}
    for family, version, candidate in candidates:
        key = version_key(version)
        if family not in newest or key > newest[family][0]:
            newest[family] = (key, candidate)
    return {family: candidate for family, (_, candidate) in newest.items()}


def declared_rows(decl: Declaration) -> list[DeclaredSmelter]:
    """The Smelter List rows of a read template as rows to resolve, each with its cell."""
    out = []
    for s in decl.smelters:
        where = s.name_input if not s.name_input.is_blank else s.lookup_name
        out.append(DeclaredSmelter(
            metal=s.metal.value, name=s.name, country=s.country.value,
            smelter_id=s.smelter_id.value, recycled_scrap=s.recycled_scrap.value, row=s.row,
            sheet=where.provenance.sheet, cell=where.provenance.cell))
    return out


def read_rows_csv_plain(path: str | Path) -> list[list[str]]:
    """The rows of a CSV (UTF-8, or Windows-1252 as spreadsheet programs save it) or of the
    first sheet of an XLSX."""
    return read_table(Path(path), _MAX_BYTES)[1]


def read_rows_csv(path: str | Path) -> list[DeclaredSmelter]:
    """Rows to resolve from a CSV with a header naming metal, name, country and, optionally,
    smelter_id (common synonyms accepted). Row numbers are the CSV's line numbers."""
    rows = read_rows_csv_plain(path)
    if not rows:
        raise ReferenceDataError("the CSV is empty", path=path)
    cols = header_columns(rows[0], _COLUMNS)
    if "name" not in cols and "smelter_id" not in cols:
        raise ReferenceDataError(
            "the CSV header names neither a smelter name nor a smelter ID column", path=path,
            hint="use the columns metal, name, country and smelter_id")
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        out.append(DeclaredSmelter(
            metal=cell(row, cols, "metal"), name=cell(row, cols, "name"),
            country=cell(row, cols, "country"), smelter_id=cell(row, cols, "smelter_id"),
            recycled_scrap=cell(row, cols, "recycled_scrap"), row=number))
    return out


def match_plain(result: SmelterMatch) -> dict[str, object]:
    """The JSON shape of one resolved row."""
    d = result.declared
    return {
        "row": d.row, "sheet": d.sheet, "cell": d.cell,
        "declared": {"metal": d.metal, "name": d.name, "country": d.country,
                     "smelter_id": d.smelter_id},
        "match": result.grade.value, "accepted": result.accepted,
        "smelter_id": result.smelter_id, "standard_name": result.standard_name,
        "country": result.country, "score": result.score,
        "candidates": [c.model_dump() for c in result.candidates],
        "status": result.status.value, "status_sources": list(result.status_sources),
        "status_as_of": result.status_as_of.isoformat() if result.status_as_of else None,
        "valid_until": result.valid_until.isoformat() if result.valid_until else None,
        "history": [p.model_dump(mode="json") for p in result.history],
        "flags": list(result.flags), "reasons": list(result.reasons),
    }


def snapshots_plain(matcher: SmelterMatcher) -> list[dict[str, object]]:
    return [s.model_dump() for s in matcher.snapshots]
