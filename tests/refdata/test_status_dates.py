"""Status lists with dates: header synonyms, every date form, conformance read as of a date,
the history across dated snapshots, and dates that cannot be read reported with their row."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from mineral_compliance.models.matching import DeclaredSmelter, HistoryState, StatusKind
from mineral_compliance.refdata import SmelterMatcher, load_status_list
from mineral_compliance.refdata.status import default_as_of, filing_window_end

from .test_matching import REFERENCE

AS_OF = dt.date(2025, 12, 31)
DAY = dt.date(2025, 3, 5)


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _xlsx(path: Path, rows: list[list[object]], number_format: str | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if number_format:
        for cells in sheet.iter_rows(min_row=2):
            for c in cells:
                if isinstance(c.value, dt.date):
                    c.number_format = number_format
    book.save(path)
    return path


@pytest.mark.parametrize("header", [
    ["Smelter ID", "Standard Smelter Name", "Metal", "Country", "Assessment Status",
     "Last Audit Date", "Audit Cycle", "Re-audit in Progress", "Valid Until",
     "Cross Recognition", "List Date"],
    ["Facility ID", "Facility Name", "Mineral", "Country Location", "RMAP Status",
     "Last Assessment Date", "Reassessment Cycle", "Reassessment in progress", "Expiry Date",
     "Cross-Recognized", "Snapshot Date"],
    ["CID", "Refiner", "METAL", "Location", "Conformance status", "Most recent audit date",
     "Audit frequency", "Re-assessment in progress", "Conformant until", "Recognised scheme",
     "Data as of"],
])
def test_every_dated_column_is_found_by_its_synonyms(tmp_path: Path, header: list[str]) -> None:
    path = _csv(tmp_path / "list.csv", [
        header,
        ["CID000101", "Example Gold Refinery", "Gold", "Japan", "Conformant", "2024-06-30",
         "12 months", "Yes", "2025-06-30", "LBMA", "2025-03-05"],
    ])
    lst = load_status_list(path)
    e = lst.entries[0]
    assert (e.smelter_id, e.status, e.last_audit, e.audit_cycle_months, e.reaudit_in_progress,
            e.listed_valid_until, e.cross_recognition) == (
        "CID000101", StatusKind.CONFORMANT, dt.date(2024, 6, 30), 12, True,
        dt.date(2025, 6, 30), "LBMA")
    assert (lst.date, lst.snapshot.version, lst.problems) == (DAY, "as of 2025-03-05", ())


@pytest.mark.parametrize("text", ["2025-03-05", "2025-03-05T09:30:00", "5 March 2025",
                                  "Mar 5, 2025", "03/05/2025", "05-Mar-2025", "2025/03/05"])
def test_text_dates_in_a_csv(tmp_path: Path, text: str) -> None:
    path = _csv(tmp_path / "list.csv", [["Smelter ID", "Status", "Last audit date"],
                                        ["CID000202", "Conformant", text]])
    lst = load_status_list(path)
    assert (lst.entries[0].last_audit, lst.problems) == (DAY, ())


def test_dates_in_a_workbook_as_date_cells_serials_and_text(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "list.xlsx", [
        ["Smelter ID", "Status", "Valid until"],
        ["CID000101", "Conformant", DAY],  # a date cell
        ["CID000202", "Conformant", 45721],  # an Excel serial in a General cell
        ["CID000303", "Conformant", "5 March 2025"],  # text
        ["CID000304", "Conformant", dt.datetime(2025, 3, 5, 14, 0)],  # a date and time
    ], number_format="d-mmm-yyyy")
    lst = load_status_list(path)
    assert [(e.smelter_id, e.listed_valid_until) for e in lst.entries] == [
        ("CID000101", DAY), ("CID000202", DAY), ("CID000303", DAY), ("CID000304", DAY)]
    assert lst.problems == ()


def test_the_list_date_comes_from_a_heading_above_the_header(tmp_path: Path) -> None:
    text = _csv(tmp_path / "text.csv", [["RMI Conformant Facilities - As of 5 March 2025"], [],
                                        ["Smelter ID", "Status"], ["CID000202", "Conformant"]])
    beside = _xlsx(tmp_path / "beside.xlsx", [["List date:", DAY], ["Smelter ID", "Status"],
                                              ["CID000202", "Conformant"]])
    assert load_status_list(text).date == DAY
    assert load_status_list(beside).snapshot.version == "as of 2025-03-05"
    plain = _csv(tmp_path / "plain.csv", [["Smelter ID", "Status"], ["CID000202", "Conformant"]])
    undated = load_status_list(plain)
    assert (undated.snapshot.version or "").startswith("file dated ")  # as before
    assert undated.date == dt.datetime.fromtimestamp(plain.stat().st_mtime, dt.UTC).date()


def test_unreadable_dates_and_cycles_are_problems_of_their_rows(tmp_path: Path) -> None:
    path = _csv(tmp_path / "list.csv", [
        ["Smelter ID", "Status", "Last audit date", "Audit cycle", "Valid until"],
        ["CID000101", "Conformant", "2024-06-30", "1 year", ""],
        ["CID000202", "Conformant", "31/02/2025", "often", "soon"],
        ["CID000303", "Active", "5 March", "", "2025-02-30"],
    ])
    lst = load_status_list(path)
    assert [(x.code, x.cell, x.severity.value) for x in lst.problems] == [
        ("status-list-date-unreadable", "D3", "warning"),
        ("status-list-date-unreadable", "C3", "warning"),
        ("status-list-date-unreadable", "E3", "warning"),
        ("status-list-date-unreadable", "C4", "warning"),
        ("status-list-date-unreadable", "E4", "warning"),
    ]
    assert all(x.message.startswith(f"Row {(x.cell or '')[1:]} ") for x in lst.problems)
    assert all(x.file == str(path) for x in lst.problems)
    # the rows are kept, without the dates that cannot be read
    assert [(e.smelter_id, e.valid_until) for e in lst.entries] == [
        ("CID000101", dt.date(2025, 6, 30)), ("CID000202", None), ("CID000303", None)]


@pytest.mark.parametrize(("text", "months"), [
    ("12 months", 12), ("1 year", 12), ("Annual", 12), ("2 years", 24), ("24", 24),
    ("3", 36), ("Triennial", 36), ("18 mos", 18)])
def test_audit_cycles(tmp_path: Path, text: str, months: int) -> None:
    path = _csv(tmp_path / "list.csv", [["Smelter ID", "Audit cycle"], ["CID000202", text]])
    assert load_status_list(path).entries[0].audit_cycle_months == months


def test_the_default_as_of_date_and_the_filing_window() -> None:
    assert default_as_of(dt.date(2026, 3, 1)) == dt.date(2025, 12, 31)
    assert default_as_of(dt.date(2026, 12, 31)) == dt.date(2025, 12, 31)
    assert filing_window_end(AS_OF) == dt.date(2026, 5, 31)
    assert filing_window_end(dt.date(2025, 4, 30)) == dt.date(2025, 5, 31)
    assert SmelterMatcher(REFERENCE).as_of == default_as_of()


def test_expired_and_expiring_conformance_as_of_a_date(tmp_path: Path) -> None:
    path = _csv(tmp_path / "list.csv", [
        ["Smelter ID", "Status", "Last audit date", "Audit cycle", "Valid until",
         "Re-audit in progress", "List date"],
        ["CID000101", "Conformant", "", "", "2025-11-30", "", "2025-06-01"],  # expired
        ["CID000202", "Conformant", "2025-03-15", "12 months", "", "", ""],  # expiring
        ["CID000303", "Conformant", "2024-10-01", "1 year", "", "Yes", ""],  # expired, re-audit
        ["CID000304", "Conformant", "", "", "2026-06-01", "", ""],  # after the window
        ["CID000405", "Conformant", "", "", "", "", ""],  # no date: the word decides
    ])
    matcher = SmelterMatcher(REFERENCE, status_lists=[load_status_list(path)], as_of=AS_OF)
    rows = [DeclaredSmelter(metal=m, smelter_id=sid, sheet="Smelter List", cell=f"C{i}")
            for i, (m, sid) in enumerate([("Gold", "CID000101"), ("Tin", "CID000202"),
                                          ("Tin", "CID000303"), ("Tin", "CID000304"),
                                          ("Tungsten", "CID000405")], start=5)]
    got = matcher.match_all(rows)
    assert [(r.smelter_id, r.status.value, list(r.flags), r.valid_until) for r in got] == [
        ("CID000101", "non-conformant", ["status-expired"], dt.date(2025, 11, 30)),
        ("CID000202", "conformant", ["status-expiring"], dt.date(2026, 3, 15)),
        ("CID000303", "active", ["status-expired"], dt.date(2025, 10, 1)),
        ("CID000304", "conformant", [], dt.date(2026, 6, 1)),
        ("CID000405", "conformant", [], None),
    ]
    assert {r.status_as_of for r in got} == {AS_OF}
    assert "ran out on 2025-11-30, before 2025-12-31" in " ".join(got[0].reasons)
    # the same list read as of mid-year: nothing has run out yet, three run out before
    # 31 May 2026
    earlier = SmelterMatcher(REFERENCE, status_lists=matcher.status_lists,
                             as_of=dt.date(2025, 6, 30))
    assert [(r.status.value, list(r.flags)) for r in earlier.match_all(rows)] == [
        ("conformant", ["status-expiring"]), ("conformant", ["status-expiring"]),
        ("conformant", ["status-expiring"]), ("conformant", []), ("conformant", [])]


def test_findings_of_expired_and_expiring_rows_name_file_sheet_and_cell(tmp_path: Path) -> None:
    from mineral_compliance.refdata.matching import currency_findings

    path = _csv(tmp_path / "list.csv", [["Smelter ID", "Status", "Valid until"],
                                        ["CID000101", "Conformant", "2025-11-30"],
                                        ["CID000202", "Conformant", "2026-02-01"]])
    matcher = SmelterMatcher(REFERENCE, status_lists=[load_status_list(path)], as_of=AS_OF)
    found = [x for sid, metal in (("CID000101", "Gold"), ("CID000202", "Tin"))
             for x in currency_findings(matcher.match(DeclaredSmelter(
                 metal=metal, smelter_id=sid, sheet="Smelter List", cell="C9")), "a.xlsx")]
    assert [(x.code, x.severity.value, x.file, x.sheet, x.cell, x.subject) for x in found] == [
        ("status-expired", "error", "a.xlsx", "Smelter List", "C9", "CID000101"),
        ("status-expiring", "warning", "a.xlsx", "Smelter List", "C9", "CID000202"),
    ]


def _snapshot(path: Path, day: str, rows: list[list[str]]) -> Path:
    return _csv(path, [["Smelter ID", "Status", "Valid until", "List date"],
                       *[[*r, day] for r in rows]])


def test_history_across_three_snapshots(tmp_path: Path) -> None:
    lists = [load_status_list(_snapshot(tmp_path / f"{n}.csv", day, rows)) for n, day, rows in (
        ("jan", "2025-01-10", [["CID000202", "Conformant", "2025-12-01"],
                               ["CID000303", "Active", ""]]),
        ("jun", "2025-06-01", [["CID000202", "Non Conformant", ""],
                               ["CID000303", "Conformant", "2025-09-01"]]),
        ("dec", "2025-12-01", [["CID000303", "Conformant", "2025-09-01"],
                               ["CID000405", "Active", ""]]),
    )]
    matcher = SmelterMatcher(REFERENCE, status_lists=list(reversed(lists)), as_of=AS_OF)

    def history(metal: str, sid: str) -> list[tuple[str, str]]:
        got = matcher.match(DeclaredSmelter(metal=metal, smelter_id=sid))
        return [(p.date.isoformat() if p.date else "", p.state.value) for p in got.history]

    assert history("Tin", "CID000202") == [
        ("2025-01-10", "conformant"), ("2025-06-01", "lapsed"), ("2025-12-01", "removed")]
    assert history("Tin", "CID000303") == [
        ("2025-01-10", "enrolled"), ("2025-06-01", "conformant"), ("2025-12-01", "lapsed")]
    assert history("Tungsten", "CID000405") == [
        ("2025-01-10", "not-listed"), ("2025-06-01", "not-listed"), ("2025-12-01", "enrolled")]
    # the newest snapshot on or before the as-of date decides the status
    removed = matcher.match(DeclaredSmelter(metal="Tin", smelter_id="CID000202"))
    assert (removed.status, removed.flags) == (StatusKind.UNKNOWN, ())
    mid = SmelterMatcher(REFERENCE, status_lists=lists, as_of=dt.date(2025, 7, 1))
    assert mid.match(DeclaredSmelter(metal="Tin", smelter_id="CID000202")
                     ).status is StatusKind.NON_CONFORMANT
    before = SmelterMatcher(REFERENCE, status_lists=lists, as_of=dt.date(2024, 12, 31))
    assert before.match(DeclaredSmelter(metal="Tin", smelter_id="CID000202")
                        ).status is StatusKind.CONFORMANT  # the oldest after it
    assert HistoryState.LAPSED.value == "lapsed"


def test_lbma_and_rjc_listings_count_only_while_their_certificate_runs(tmp_path: Path) -> None:
    rows = [["Refiner", "Country", "Valid until"],
            ["Example Gold Refinery Company Limited", "Japan", ""]]
    lists = []
    for kind, until in (("lbma", "2025-09-30"), ("rjc", "2026-04-30")):
        path = _csv(tmp_path / f"{kind}.csv", [rows[0], [*rows[1][:2], until]])
        lists.append(load_status_list(path, kind=kind))
    gold = DeclaredSmelter(metal="Gold", name="Old Works Alias")
    got = SmelterMatcher(REFERENCE, status_lists=lists, as_of=AS_OF).match(gold)
    # the LBMA certificate ran out in September: no LBMA flag, and the reason says so; the RJC
    # one still runs on 31 December but ends before the filing deadline
    assert got.flags == ("rjc",)
    said = " ".join(got.reasons)
    assert "LBMA listing ran out on 2025-09-30" in said
    assert "RJC listing runs out on 2026-04-30" in said
    assert got.status_sources == (str(tmp_path / "lbma.csv"), str(tmp_path / "rjc.csv"))
    # read as of mid-2025 both still stand; an undated listing always counts
    mid = SmelterMatcher(REFERENCE, status_lists=lists, as_of=dt.date(2025, 6, 30)).match(gold)
    assert mid.flags == ("lbma", "rjc")
    undated = load_status_list(_csv(tmp_path / "u.csv", rows), kind="lbma")
    assert SmelterMatcher(REFERENCE, status_lists=[undated], as_of=AS_OF).match(gold
                                                                           ).flags == ("lbma",)
