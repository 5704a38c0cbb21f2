"""The demo templates consolidated against a generated status list in which one demo smelter's
conformance ran out: it is counted as conformant nowhere, and its row's file says so."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from mineral_compliance.cli import main
from mineral_compliance.consolidation import compare, consolidate
from mineral_compliance.disclosures import load_profile
from mineral_compliance.disclosures.documents import report_data
from mineral_compliance.models.consolidation import Consolidation
from mineral_compliance.outputs import write_consolidation
from mineral_compliance.refdata import StatusList, load_status_list
from mineral_compliance.review import render_report

from ..conftest import FIXTURES

DEMO = FIXTURES / "demo"
AS_OF = dt.date(2025, 12, 31)
EXPIRED_FILE = "cmrt-6.6-requester-products.xlsx"


Row = tuple[str, str, str, str, dt.date | None]


def _status_xlsx(path: Path, day: dt.date, rows: list[Row]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["RMI facility list", None])
    sheet.append(["As of", day])
    sheet.append(["Facility ID", "Facility Name", "Metal", "RMAP Status", "Valid Until"])
    for row in rows:
        sheet.append(list(row))
    for cells in sheet.iter_rows():
        for c in cells:
            if isinstance(c.value, dt.date):
                c.number_format = "yyyy-mm-dd"
    book.save(path)
    return path


DEMO_LIST: list[Row] = [
    ("CID900001", "Example Tin Smelting Co., Ltd.", "Tin", "Conformant", dt.date(2026, 12, 31)),
    ("CID900002", "Sample Gold Refinery AG", "Gold", "Conformant", dt.date(2025, 10, 31)),
    ("CID900004", "Specimen Tungsten Corp.", "Tungsten", "Conformant", dt.date(2026, 4, 30)),
    ("CID910001", "Example Cobalt Refinery Oy", "Cobalt", "Conformant", None),
]


def _consolidate(lists: list[StatusList], as_of: dt.date = AS_OF) -> Consolidation:
    with ThreadPoolExecutor(2) as pool:
        return consolidate([DEMO], status_lists=lists, as_of=as_of, executor=pool)


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> Consolidation:
    folder = tmp_path_factory.mktemp("status")
    return _consolidate([load_status_list(_status_xlsx(folder / "facilities.xlsx",
                                                       dt.date(2025, 9, 1), DEMO_LIST))])


def test_an_expired_conformance_is_flagged_and_not_conformant(dated: Consolidation) -> None:
    listed = {sid for sid, *_ in DEMO_LIST}
    assert [(s.key, s.status.value, list(s.flags)) for s in dated.smelters
            if s.key in listed] == [
        ("CID900001", "conformant", []),
        ("CID900002", "non-conformant", ["status-expired"]),
        ("CID900004", "conformant", ["status-expiring"]),
        ("CID910001", "conformant", []),
    ]
    summary = dated.summary()
    assert (summary["smelters_conformant"], summary["smelters_status_expired"],
            summary["smelters_status_expiring"]) == (3, 1, 1)
    assert dated.as_of == AS_OF
    assert [s.version for s in dated.snapshots if s.kind == "status-list:rmi"] == [
        "as of 2025-09-01"]


def test_the_row_file_feedback_names_the_sheet_and_cell(dated: Consolidation) -> None:
    found = [(Path(f.file).name, x.code, x.severity.value, x.sheet, x.cell, x.subject)
             for f in dated.files for x in f.findings if x.code.startswith("status-")]
    assert found == [
        ("cmrt-6.22-messy-answers.xlsx", "status-expiring", "warning", "Smelter List", "C5",
         "CID900004"),
        (EXPIRED_FILE, "status-expired", "error", "Smelter List", "C6", "CID900002"),
    ]
    f = next(f for f in dated.files if Path(f.file).name == EXPIRED_FILE)
    assert f.errors == sum(x.severity.value == "error" for x in f.findings)
    assert f.status.value == "errors"


def test_the_review_report_and_the_disclosures_do_not_count_it(dated: Consolidation) -> None:
    html = render_report(dated)
    assert 'data-figure="smelters_conformant">3<' in html
    assert 'data-figure="smelters_status_expired">1<' in html
    assert "Gold: conformant" not in html and "Gold: non-conformant 1" in html
    assert "Statuses are read as of 2025-12-31" in html
    figures = report_data(load_profile(DEMO / "company-profile.toml"), dated)
    gold = next(m for m in figures.public.statistics.per_metal if m.metal == "Gold")
    assert (gold.conformant, gold.non_conformant) == (0, 1)
    assert sum(m.conformant for m in figures.public.statistics.per_metal) == 2  # tin and tungsten


def test_history_across_three_snapshots_in_the_comparison_and_the_report(
        tmp_path: Path, dated: Consolidation) -> None:
    tin, gold = DEMO_LIST[0], DEMO_LIST[1]
    lists = [load_status_list(_status_xlsx(tmp_path / f"{day}.xlsx", day, rows))
             for day, rows in ((dt.date(2025, 1, 15), [tin, gold]),
                               (dt.date(2025, 6, 15), [(tin[0], tin[1], tin[2],
                                                        "Non Conformant", None), gold]),
                               (dt.date(2025, 11, 15), [gold]))]
    current = _consolidate(lists)
    changes = compare(dated, current)
    assert [(h.key, h.describe()) for h in changes.histories] == [
        ("CID900001", "conformant (2025-01-15) -> lapsed (2025-06-15) -> removed (2025-11-15)"),
        # listed as conformant still, but its conformance ran out on 31 October
        ("CID900002", "conformant (2025-01-15) -> conformant (2025-06-15) -> lapsed "
                      "(2025-11-15)"),
    ]
    assert changes.summary()["status_histories"] == 2
    html = render_report(current, comparison=changes)
    assert "Status history" in html and 'id="history-table"' in html
    row = re.search(r"<td>CID900001</td>.*?</tr>", html, re.S)
    assert row is not None and "lapsed 2025-06-15" in row.group() and "removed" in row.group()
    write_consolidation(current, tmp_path / "out")
    with (tmp_path / "out" / "smelters.csv").open(encoding="utf-8-sig", newline="") as handle:
        table = {r["key"]: r for r in csv.DictReader(handle)}
    assert table["CID900001"]["status_history"] == (
        "conformant (2025-01-15) -> lapsed (2025-06-15) -> removed (2025-11-15)")
    assert table["CID900002"]["valid_until"] == "2025-10-31"


def test_consolidate_and_crosscheck_take_an_as_of_date(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed = _status_xlsx(tmp_path / "facilities.xlsx", dt.date(2025, 9, 1), DEMO_LIST)
    out = tmp_path / "out"
    assert main(["consolidate", "-o", str(out), "--no-progress", "--status-list", str(listed),
                 "--as-of", "2025-12-31", str(DEMO)]) == 0
    printed = capsys.readouterr().out
    assert ("statuses as of 2025-12-31: 3 conformant, 1 whose conformance ran out, 1 running "
            "out before the filing deadline") in printed
    saved = json.loads((out / "consolidation.json").read_text(encoding="utf-8"))
    assert saved["as_of"] == "2025-12-31" and saved["summary"]["smelters_status_expired"] == 1
    assert main(["crosscheck", "--json", "--status-list", str(listed), "--as-of", "2025-12-31",
                 str(DEMO / EXPIRED_FILE)]) == 0
    checked = json.loads(capsys.readouterr().out)[0]
    assert checked["as_of"] == "2025-12-31"
    assert [(x["code"], x["sheet"], x["cell"], x["subject"]) for x in checked["findings"]] == [
        ("status-expired", "Smelter List", "C6", "CID900002")]
    # a year earlier nothing had run out, and the tungsten smelter was not yet expiring
    assert main(["crosscheck", "--json", "--status-list", str(listed), "--as-of", "2024-12-31",
                 str(DEMO / EXPIRED_FILE)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["findings"] == []
    with pytest.raises(SystemExit):
        main(["crosscheck", "--as-of", "31/12/2025", str(DEMO / EXPIRED_FILE)])
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_rows_alike_share_their_match_but_each_names_its_own_file_and_cell(
        tmp_path: Path) -> None:
    """Rows of the same content are resolved once per family; the finding of every such row
    still points at the file, sheet and cell it sits in."""
    from openpyxl import load_workbook

    from mineral_compliance.refdata import matching
    from mineral_compliance.templates._xlsx import patch_cells

    inbox = tmp_path / "in"
    inbox.mkdir()
    first = shutil.copy(DEMO / EXPIRED_FILE, inbox / "first.xlsx")
    book = load_workbook(first, read_only=True)
    metal, name = next(book["Smelter List"].iter_rows(min_row=6, max_row=6, min_col=2,
                                                      max_col=3, values_only=True))
    book.close()
    # the same metal and Look-up choice on row 20 (the template derives the rest), under
    # another supplier
    edits = {"Smelter List!B20": str(metal), "Smelter List!C20": str(name),
             "Declaration!D8": "Second Example Co.", "Declaration!D12": "SECOND-1"}
    patch_cells(first, edits, inbox / "second.xlsx")
    calls: list[str | None] = []
    real = matching.SmelterMatcher.match

    def counted(self: matching.SmelterMatcher, row: Any) -> Any:
        calls.append(row.cell)
        return real(self, row)

    lists = [load_status_list(_status_xlsx(tmp_path / "facilities.xlsx",
                                           dt.date(2025, 9, 1), DEMO_LIST))]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matching.SmelterMatcher, "match", counted)
        with ThreadPoolExecutor(2) as pool:
            result = consolidate([inbox], status_lists=lists, as_of=AS_OF, executor=pool)
    found = sorted((Path(f.file).name, x.code, x.sheet, x.cell)
                   for f in result.files for x in f.findings if x.code == "status-expired")
    assert found == [("first.xlsx", "status-expired", "Smelter List", "C6"),
                     ("second.xlsx", "status-expired", "Smelter List", "C20"),
                     ("second.xlsx", "status-expired", "Smelter List", "C6")]
    sources = next(s for s in result.smelters if s.key == "CID900002").sources
    assert sorted((Path(s.file).name, s.cell) for s in sources) == [
        ("first.xlsx", "C6"), ("second.xlsx", "C20"), ("second.xlsx", "C6")]
    rows = result.rows_read
    assert rows > len(calls) and len(calls) == len(set(calls)) <= rows // 2 + 1
