"""Country-of-origin data per smelter: the documented layout read from CSV and XLSX, every
unreadable row reported with its number, and the join to facilities by smelter ID alone."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from openpyxl import Workbook

from mineral_compliance.errors import ReferenceDataError
from mineral_compliance.models.consolidation import ConsolidatedSmelter
from mineral_compliance.models.matching import MatchGrade, StatusKind
from mineral_compliance.upstream import OriginLevel, join_origin, load_origin

CSV = """\
CID,Standard Smelter Name,Mineral,Countries of Origin,RCOI Level,Data Source,Data As Of
CID900001,Example Tin,Tin,"Peru, Bolivia; Congo, The Democratic Republic of the",,RMI,2025-03-31
cid 900002,Sample Gold,Gold,,Recycled/Scrap,RMI RCOI data,2025-03-31
CID900004,,Tungsten,"Korea, Republic of",,RMI RCOI data,2025-02-28
CID900004,,Tungsten,Viet Nam,L2,RMI RCOI data,
CID999999,Elsewhere,Tin,Peru,,RMI RCOI data,2025-03-31
CID900004,,Tungsten,Atlantis,,,
,,Tin,Peru,,,
CID900001,,Tin,,L9,,
CID900001,,Tin,,,,

CID900001,,Tin,Peru,,,sometime
"""


def _write_csv(tmp_path: Path, text: str = CSV) -> Path:
    path = tmp_path / "origin.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_in_the_documented_layout_is_read_with_header_synonyms(tmp_path: Path) -> None:
    path = _write_csv(tmp_path)
    data = load_origin(path)
    assert [(r.row, r.smelter_id, r.countries, r.levels) for r in data.rows] == [
        (2, "CID900001", ("PE", "BO", "CD"), ()),
        (3, "CID900002", (), (OriginLevel.RECYCLED,)),
        (4, "CID900004", ("KR",), ()),
        (5, "CID900004", ("VN",), (OriginLevel.NON_CONFLICT,)),
        (6, "CID999999", ("PE",), ()),
    ]
    assert data.rows[0].covered and not data.rows[2].covered
    assert [(p.row, p.smelter_id, p.message) for p in data.problems] == [
        (7, "CID900004", "'Atlantis' names no country"),
        (8, None, "no smelter ID"),
        (9, "CID900001", "the level 'L9' is none of L1, L2, L3, covered countries, "
                         "non-conflict-affected, other countries, recycled/scrap or unknown"),
        (10, "CID900001", "neither a country of origin nor a level"),
        (12, "CID900001", "the date 'sometime' cannot be read"),
    ]
    assert data.sources == ("RMI", "RMI RCOI data")
    assert data.title == "RMI; RMI RCOI data"
    assert data.as_of == dt.date(2025, 3, 31)
    assert data.snapshot.kind == "rcoi-origin"
    assert data.snapshot.source == str(path)
    assert data.snapshot.version == "2025-03-31"
    assert data.snapshot.rows == 5
    assert data.snapshot.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_xlsx_with_one_country_per_row_and_levels_only(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Country-of-origin data, as exported"])
    sheet.append(["Smelter ID", "Metal", "Country", "Origin Level", "Source", "As Of"])
    sheet.append(["CID900001", "Tin", "Indonesia", None, "RMI RCOI data",
                  dt.datetime(2025, 3, 31)])
    sheet.append(["CID900001", "Tin", "DRC", None, "RMI RCOI data", None])
    sheet.append(["CID900002", "Gold", None, "L3", "RMI RCOI data", None])
    sheet.append(["CID900004", "Tungsten", None, "DRC and covered countries", None, None])
    sheet.append(["CID900004", "Tungsten", "Recycled", None, None, None])
    sheet.append(["CID900004", "Tungsten", None, None, None, None])
    path = tmp_path / "origin.xlsx"
    book.save(path)
    data = load_origin(path)
    assert [(r.row, r.smelter_id, r.countries, r.levels) for r in data.rows] == [
        (3, "CID900001", ("ID",), ()),
        (4, "CID900001", ("CD",), ()),
        (5, "CID900002", (), (OriginLevel.OTHER,)),
        (6, "CID900004", (), (OriginLevel.COVERED,)),
        (7, "CID900004", (), (OriginLevel.RECYCLED,)),
    ]
    assert [(p.row, p.message) for p in data.problems] == [
        (8, "neither a country of origin nor a level")]
    assert data.as_of == dt.date(2025, 3, 31)


def test_a_file_path_in_the_source_column_never_becomes_the_title(tmp_path: Path) -> None:
    path = _write_csv(tmp_path, "Smelter ID,Country of Origin,Source\n"
                                "CID900001,Peru,/home/user/exports/rcoi.xlsx\n")
    data = load_origin(path)
    assert data.sources == ()
    assert data.title == "country-of-origin data per smelter"
    assert data.rows[0].source == "/home/user/exports/rcoi.xlsx"  # kept for the audit trail


@pytest.mark.parametrize("text, why", [
    ("Name,Country\nExample,Peru\n", "no smelter ID column"),
    ("Smelter ID,Name\nCID900001,Example\n", "no countries column and no level column"),
])
def test_a_table_without_the_needed_columns_is_refused(tmp_path: Path, text: str,
                                                        why: str) -> None:
    with pytest.raises(ReferenceDataError, match=why):
        load_origin(_write_csv(tmp_path, text))


def _smelter(metal: str, smelter_id: str | None, name: str) -> ConsolidatedSmelter:
    return ConsolidatedSmelter(
        key=smelter_id or f"name:{name}", metal=metal, smelter_id=smelter_id, name=name,
        country=None, grade=MatchGrade.EXACT_ID, needs_review=smelter_id is None,
        status=StatusKind.UNKNOWN, flags=(), suppliers=(), sources=(), representative="test")


def test_rows_join_by_smelter_id_never_by_name(tmp_path: Path) -> None:
    data = load_origin(_write_csv(tmp_path))
    joined = join_origin(data, [
        _smelter("Tin", "CID900001", "Example Tin Smelting Co., Ltd."),
        _smelter("Gold", "CID900002", "Sample Gold Refinery AG"),
        _smelter("Tungsten", "CID900004", "Specimen Tungsten Corp."),
        _smelter("Tantalum", "CID900003", "Elsewhere"),  # same name as CID999999's row
        _smelter("Tin", None, "Example Tin"),
    ])
    assert [(m.smelter_id, m.countries, m.levels, m.incomplete) for m in joined.matched] == [
        ("CID900001", ("BO", "CD", "PE"), (), True),
        ("CID900002", (), (OriginLevel.RECYCLED,), False),
        ("CID900004", ("KR", "VN"), (OriginLevel.NON_CONFLICT,), True),
    ]
    assert joined.without_data == ("CID900003",)
    assert [r.smelter_id for r in joined.unused] == ["CID999999"]
    assert joined.metal_mismatch == ()


def test_a_row_whose_metal_is_not_the_facilitys_is_not_used(tmp_path: Path) -> None:
    data = load_origin(_write_csv(tmp_path, "Smelter ID,Metal,Country\nCID900001,Gold,Peru\n"))
    joined = join_origin(data, [_smelter("Tin", "CID900001", "Example Tin")])
    assert joined.matched == ()
    assert [r.row for r in joined.metal_mismatch] == [2]
    assert joined.without_data == ("CID900001",)
