"""Consolidating supplier templates: every input and every row accounted for, the documented
rules applied, and files that are safe, atomic and reproducible."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import pytest
from openpyxl import load_workbook

from mineral_compliance.consolidation import consolidate
from mineral_compliance.models.consolidation import Consolidation, FileStatus
from mineral_compliance.outputs import neutralise, write_consolidation
from mineral_compliance.templates._xlsx import patch_cells

from ..conftest import FIXTURES, REFERENCE, UNO_PYTHON, needs_libreoffice, needs_reference

DEMO = FIXTURES / "demo"
REFUSED = FIXTURES / "refused"


@pytest.fixture(scope="module")
def demo() -> Consolidation:
    with ThreadPoolExecutor(2) as pool:  # any Executor will do; threads keep the test quick
        return consolidate([DEMO, REFUSED, "no/such/*.xlsx"], executor=pool)


def test_every_input_is_accounted_for(demo: Consolidation) -> None:
    names = {Path(f.file.split("!")[0]).name for f in demo.files}
    assert {p.name for p in DEMO.glob("*.xlsx")} <= names
    assert {p.name for p in REFUSED.iterdir()} <= names
    assert "*.xlsx" in names  # a pattern matching nothing is reported, not dropped
    unreadable = [f for f in demo.files if f.status is FileStatus.UNREADABLE]
    assert len(unreadable) == len(list(REFUSED.iterdir())) + 1
    assert all(f.message for f in unreadable)


def test_a_row_lost_on_the_way_stops_the_consolidation_with_a_typed_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mineral_compliance.consolidation import smelters
    from mineral_compliance.errors import ConsolidationError

    made = smelters.MergedRows.smelter

    def losing(self: smelters.MergedRows, *args: Any) -> Any:  # every smelter forgets
        return made(self, *args).model_copy(update={"sources": ()})  # its rows

    monkeypatch.setattr(smelters.MergedRows, "smelter", losing)
    with ThreadPoolExecutor(2) as pool, pytest.raises(
            ConsolidationError, match=r"smelter rows read but 0 attributed"):
        consolidate([DEMO], executor=pool)


def test_latest_effective_date_wins_and_nothing_is_lost(demo: Consolidation) -> None:
    acme = [f for f in demo.files if f.company and f.company.startswith("Acme Widgets")]
    current = [f for f in acme if f.status is not FileStatus.SUPERSEDED]
    assert len(current) == 1 and current[0].effective_date == max(
        f.effective_date for f in acme if f.effective_date)
    assert all(f.superseded_by == current[0].file for f in acme if f not in current)
    consolidated_rows = sum(f.smelter_rows for f in demo.files
                            if f.status not in (FileStatus.SUPERSEDED, FileStatus.UNREADABLE))
    summary = demo.summary()
    assert summary["smelter_rows_read"] == consolidated_rows
    assert summary["smelter_rows_attributed"] + summary["rows_rejected"] == consolidated_rows


def test_rows_are_merged_by_id_and_rejected_with_a_reason(tmp_path: Path) -> None:
    """Two suppliers list the same facility, one by ID and one by name; placeholders and an
    ID of another metal are rejected."""
    base = DEMO / "cmrt-6.5-product-scope.xlsx"
    first = patch_cells(base, {"Declaration!D8": "First Example Supplier"},
                        tmp_path / "first.xlsx")
    second = patch_cells(base, {
        "Declaration!D8": "Second Example Supplier",
        "Smelter List!A5": None, "Smelter List!B5": "Tin",
        "Smelter List!C5": "Example Tin Smelting Co., Ltd.",
        "Smelter List!A8": "CID900001", "Smelter List!B8": "Gold",  # a tin ID under gold
    }, tmp_path / "second.xlsx")
    c = consolidate([first, second], executor=ThreadPoolExecutor(1))
    tin = next(s for s in c.smelters if s.smelter_id == "CID900001")
    assert tin.suppliers == ("name:first example supplier", "name:second example supplier")
    assert {(x.file, x.cell) for x in tin.sources} >= {(str(first), "C5"), (str(second), "C5")}
    reasons = sorted(r.reason for r in c.rejected)
    assert "wrong-metal" in reasons and "placeholder" in reasons
    assert c.summary()["smelter_rows_attributed"] + len(c.rejected) == c.rows_read


def test_zip_archives_are_opened(tmp_path: Path) -> None:
    archive = tmp_path / "inbox.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(DEMO / "crt-2.21-cobalt.xlsx", "supplier-a/crt.xlsx")
        z.writestr("notes.txt", "ignored: not a template")
    c = consolidate([archive], executor=ThreadPoolExecutor(1))
    assert [f.file for f in c.files] == [f"{archive}!supplier-a/crt.xlsx"]
    assert c.files[0].status is not FileStatus.UNREADABLE


def test_answers_roll_up_by_the_documented_rules(demo: Consolidation) -> None:
    by_key = {(a.family, a.mineral, a.question): a for a in demo.answers}
    cobalt_crt = by_key[("CRT", "Cobalt", "2")]  # the CAHRA question, with a Zambian refinery
    assert cobalt_crt.answer == "Yes" and "flagged" in cobalt_crt.rule
    assert by_key[("CMRT", "Tin", "6")].answer is None  # response rate: no roster given
    roster = consolidate([DEMO / "crt-2.21-cobalt.xlsx"], executor=ThreadPoolExecutor(1),
                         roster=["Cathode Example Ltd.", "Someone Who Did Not Answer"])
    rate = next(a for a in roster.answers if a.question == "4")
    assert (rate.answer, rate.rule) == ("50% or less",
                                        "1 of 2 suppliers on the roster responded")
    # one supplier spelt two ways is one supplier, in the count and in the rate alike
    twice = consolidate([DEMO / "crt-2.21-cobalt.xlsx"], executor=ThreadPoolExecutor(1),
                        roster=["Cathode Example Ltd.", "CATHODE EXAMPLE", "Someone Else"])
    rate = next(a for a in twice.answers if a.question == "4")
    assert twice.suppliers_surveyed == 2
    assert rate.rule == "1 of 2 suppliers on the roster responded"


def test_outputs_are_reproducible_neutralised_and_complete(
        demo: Consolidation, tmp_path: Path) -> None:
    first = write_consolidation(demo, tmp_path / "a")
    second = write_consolidation(demo, tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    wb = load_workbook(tmp_path / "a" / "consolidation.xlsx")
    assert wb.sheetnames == ["Summary", "Suppliers", "Smelters", "Rejected", "Answers",
                             "Products", "Mines"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "a" / "smelters.csv").read_text())))
    assert len(rows) == len(demo.smelters)
    data = json.loads((tmp_path / "a" / "consolidation.json").read_text())
    assert data["summary"] == demo.summary()
    assert not list((tmp_path / "a").glob("*.part"))  # temporary files renamed away
    assert neutralise("=HYPERLINK(1)") == "'=HYPERLINK(1)" and neutralise("-5") == "'-5"
    assert neutralise("Tin") == "Tin" and neutralise(3) == 3


def test_formula_like_supplier_text_is_inert_in_every_output(tmp_path: Path) -> None:
    hostile = patch_cells(DEMO / "crt-2.21-cobalt.xlsx",
                          {"Declaration!D8": '=HYPERLINK("http://x","click")'},
                          tmp_path / "hostile.xlsx")
    c = consolidate([hostile], executor=ThreadPoolExecutor(1))
    write_consolidation(c, tmp_path / "out")
    wb = load_workbook(tmp_path / "out" / "consolidation.xlsx")
    values = [cell.value for row in wb["Suppliers"].iter_rows() for cell in row]
    assert "'=HYPERLINK(\"http://x\",\"click\")" in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    text = (tmp_path / "out" / "suppliers.csv").read_text()
    assert ",'=HYPERLINK" in text.replace('"', "") or "'=HYPERLINK" in text


def test_a_default_process_pool_gives_the_same_result(tmp_path: Path) -> None:
    copies = tmp_path / "in"
    copies.mkdir()
    for p in list(DEMO.glob("*.xlsx"))[:3]:
        shutil.copy(p, copies / p.name)
    pooled = consolidate([copies])
    threaded = consolidate([copies], executor=ThreadPoolExecutor(1))
    assert pooled == threaded


def test_command_line_consolidation_with_roster_and_previous_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mineral_compliance.cli import main

    roster = tmp_path / "roster.csv"
    roster.write_text("Supplier\nCathode Example Ltd.\nBattery Parts Example GmbH\n"
                      "Never Answered Example Co.\n", encoding="utf-8")
    first = tmp_path / "2025"
    assert main(["consolidate", str(DEMO / "crt-2.21-cobalt.xlsx"), "-o", str(first),
                 "--no-progress"]) == 0
    second = tmp_path / "2026"
    # an unreadable input makes the exit code 2; everything else is still consolidated
    assert main(["consolidate", str(DEMO), str(REFUSED / "legacy.xls"), "-o", str(second),
                 "--roster", str(roster), "--previous", str(first), "--no-progress"]) == 2
    out = capsys.readouterr()
    assert "1 unreadable" in out.out and "legacy.xls" in out.err
    data = json.loads((second / "consolidation.json").read_text())
    s = data["summary"]
    assert s["smelter_rows_read"] == s["smelter_rows_attributed"] + s["rows_rejected"]
    assert f"{s['smelter_rows_read']} smelter rows read" in out.out
    changes = json.loads((second / "comparison.json").read_text())
    assert changes["suppliers_missing"] == []
    assert len(changes["suppliers_new"]) == s["suppliers"] - 1
    assert {c["change"] for c in changes["smelters"]} == {"added"}
    crt_rate = next(a for a in data["answers"]
                    if a["family"] == "CRT" and a["question"] == "4")
    assert crt_rate["rule"] == "1 of 3 suppliers on the roster responded"
    assert main(["consolidate", str(DEMO / "cmrt-6.5-product-scope.xlsx"), "-o",
                 str(tmp_path / "p"), "--product", "ex-1001", "--no-progress"]) == 0
    subset = json.loads((tmp_path / "p" / "products" / "consolidation.json").read_text())
    assert [p["product_number"] for p in subset["products"]] == ["EX-1001"]
    assert subset["summary"]["smelter_rows_read"] == 3
    assert main(["consolidate", str(DEMO), "-o", str(second), "--previous",
                 str(tmp_path / "nothing-here")]) == 2


def test_legacy_smelter_ids_translate_in_a_consolidation_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mineral_compliance.cli import main

    table = tmp_path / "translation.csv"
    table.write_text(",,,Version 2,Version 3\nTin,Example Tin Smelting,PERU,1PER001,CID900001\n",
                     encoding="utf-8")
    supplier = patch_cells(DEMO / "cmrt-6.5-product-scope.xlsx", {
        "Smelter List!A8": "1PER001", "Smelter List!B8": "Tin",
        "Smelter List!C8": "Example Tin Smelting"}, tmp_path / "supplier.xlsx")
    out = tmp_path / "out"
    assert main(["consolidate", str(supplier), "-o", str(out), "--legacy", str(table),
                 "--no-progress"]) == 0
    capsys.readouterr()
    data = json.loads((out / "consolidation.json").read_text(encoding="utf-8"))
    tin = next(s for s in data["smelters"] if s["smelter_id"] == "CID900001")
    assert [x["grade"] for x in tin["sources"] if x["cell"] == "C8"] == ["legacy-id"]
    assert "legacy-ids" in {s["kind"] for s in data["snapshots"]}


def test_the_company_template_carries_the_rollup_and_the_smelters(tmp_path: Path) -> None:
    from mineral_compliance import read_template, write_template
    from mineral_compliance.consolidation import company_declaration

    cmrts = [DEMO / "cmrt-6.22-messy-answers.xlsx", DEMO / "cmrt-6.5-product-scope.xlsx"]
    first = patch_cells(cmrts[1], {"Declaration!D8": "Other Example Supplier"},
                        tmp_path / "other.xlsx")
    c = consolidate([cmrts[0], first], executor=ThreadPoolExecutor(1))
    blank = DEMO / "cmrt-6.5-product-scope.xlsx"
    decl = company_declaration(c, template=blank, company={"name": "Our Company Ltd"})
    back = read_template(write_template(decl, template=blank, out=tmp_path / "ours.xlsx"))
    assert back.company.name.value == "Our Company Ltd"
    expected = {(a.mineral, a.question): a.answer for a in c.answers if a.family == "CMRT"}
    got = {(m, q): qa.answer.value for m, qas in back.answers.items() for q, qa in qas.items()}
    assert got == {k: expected.get(k) for k in got}
    assert any(v for v in got.values())
    consolidated = sorted((s.metal, s.smelter_id or s.name) for s in c.smelters)
    written = sorted((s.metal.value, s.smelter_id_input.value or s.name_input.value)
                     for s in back.smelters)
    assert written == consolidated


@needs_reference
@needs_libreoffice
def test_libreoffice_checker_on_the_company_template(tmp_path: Path) -> None:
    from mineral_compliance import read_template, write_template
    from mineral_compliance.consolidation import company_declaration
    from mineral_compliance.findings import Basis
    from mineral_compliance.rules import validate
    from mineral_compliance_oracle import run_checker

    blank = REFERENCE / "cmrt" / "RMI_CMRT_6.5_(Security C) (1).xlsx"
    c = consolidate(sorted((REFERENCE / "cmrt").glob("RMI_*CMRT_6.4_*.xlsx")),
                    executor=ThreadPoolExecutor(2))
    decl = company_declaration(c, template=blank, company={"name": "Our Company Ltd"})
    out = write_template(decl, template=blank, out=tmp_path / "company.xlsx")
    [result] = run_checker([out], python=UNO_PYTHON)
    ours = sorted({f.checker_item for f in validate(read_template(out)).findings
                   if f.basis is Basis.CHECKER and f.checker_item})
    assert result.error is None and ours == result.open_keys()
    # the company block beyond the name is the company's to fill in: those items stay open
    assert "Declaration!D15" in ours and "Smelter List - Tungsten" not in ours


def test_the_same_code_runs_on_a_dask_cluster() -> None:
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    # the scheduler's metrics server on a free loopback port, not 8787 of every interface
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}
                                  ) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = consolidate([DEMO, REFUSED], executor=client.get_executor())
    local = consolidate([DEMO, REFUSED], executor=ThreadPoolExecutor(2))
    assert on_dask == local
    assert on_dask.summary()["files_unreadable"] == len(list(REFUSED.iterdir()))


def test_a_product_level_subset(tmp_path: Path) -> None:
    from mineral_compliance.consolidation import product_subset

    base = DEMO / "cmrt-6.5-product-scope.xlsx"
    other = patch_cells(base, {"Declaration!D8": "Second Example Supplier",
                               "Product List!B6": "OTHER-1"}, tmp_path / "other.xlsx")
    c = consolidate([base, other], executor=ThreadPoolExecutor(1))
    number = next(p.product_number for p in c.products if p.file == str(base))
    assert number and number != "OTHER-1"
    subset = product_subset(c, [number])
    assert {f.file for f in subset.files} == {str(base)}
    assert all(x.file == str(base) for s in subset.smelters for x in s.sources)
    assert subset.summary()["smelter_rows_attributed"] + len(subset.rejected) == \
        subset.rows_read > 0
    assert product_subset(c, ["no-such-product"]).smelters == ()
    # the roll-up speaks for every supplier, so the subset does not claim it
    assert c.answers and subset.answers == () and subset.families == ("CMRT",)


def test_a_smelter_resolved_to_an_id_this_year_is_identified_not_removed_and_added() -> None:
    """Last year's reference list lacked the facility, so it was known by name only; this
    year it resolves by ID. The comparison pairs the two and says so."""
    from lxml import html

    from mineral_compliance import reference_from_template
    from mineral_compliance.consolidation import compare
    from mineral_compliance.review import render_report

    demo = DEMO / "cmrt-6.5-product-scope.xlsx"
    full = reference_from_template(demo)
    older = full.model_copy(update={"entries": tuple(
        e for e in full.entries if e.smelter_id != "CID900001")})
    last_year = consolidate([demo], references=[older], executor=None)
    this_year = consolidate([demo], references=[full], executor=None)
    assert [s.key for s in last_year.smelters] == ["name:tin|ets alias refinery|ID"]
    assert [s.key for s in this_year.smelters] == ["CID900001"]
    forward = compare(last_year, this_year)
    assert [(c.change, c.previous_key, c.key) for c in forward.smelters] == [
        ("identified", "name:tin|ets alias refinery|ID", "CID900001")]
    assert forward.summary()["added"] == forward.summary()["removed"] == 0
    page = html.fromstring(render_report(this_year, comparison=forward))
    assert page.xpath("//*[@data-figure='changes_identified']/text()") == ["1"]
    cells = [str(t) for t in cast(list[str], page.xpath("//table[@id='change-table']//td/text()"))]
    assert cells[:4] == ["identified", "Tin", "Example Tin Smelting Co., Ltd.", "CID900001"]
    backward = compare(this_year, last_year)
    assert [(c.change, c.previous_key, c.key) for c in backward.smelters] == [
        ("unidentified", "CID900001", "name:tin|ets alias refinery|ID")]
    # a different facility under a new ID is still added, and the old name still removed
    other = this_year.model_copy(update={"smelters": tuple(
        s.model_copy(update={"sources": tuple(dataclasses.replace(src, name="Other Works")
                                              for src in s.sources)})
        for s in this_year.smelters)})
    assert {c.change for c in compare(last_year, other).smelters} == {"added", "removed"}


def test_the_rollup_leaves_follow_up_questions_blank_for_a_mineral_nobody_uses(
        tmp_path: Path) -> None:
    """Every supplier says it does not use tantalum and lists no tantalum smelter: question 1
    rolls up to No and the follow-up questions are left blank, not answered Unknown."""
    cmrt = DEMO / "cmrt-6.5-product-scope.xlsx"
    c = consolidate([cmrt], executor=None)
    by = {(a.mineral, a.question): a for a in c.answers if a.family == "CMRT"}
    assert by[("Tantalum", "1")].answer == "No"
    follow_ups = [a for (m, q), a in by.items() if m == "Tantalum" and q not in ("1", "2")]
    assert follow_ups and all(a.answer is None for a in follow_ups)
    assert all(a.rule == "left blank: no supplier uses Tantalum" for a in follow_ups)
    assert by[("Tin", "1")].answer == "Yes" and by[("Tin", "3")].answer is not None


@pytest.mark.parametrize("path", sorted(DEMO.glob("*.xlsx")), ids=lambda p: p.name)
def test_one_opening_reads_the_declaration_and_its_reference(path: Path) -> None:
    """Consolidation reads each file once for both; the result is the two separate reads'."""
    from mineral_compliance import read_template, reference_from_template
    from mineral_compliance.errors import MalformedTemplateError
    from mineral_compliance.templates.reader import read_with_reference

    decl, reference = read_with_reference(path)
    assert decl == read_template(path)
    if reference is None:  # a release without a Smelter Look-up
        with pytest.raises(MalformedTemplateError, match="no Smelter Look-up"):
            reference_from_template(path)
    else:
        assert reference == reference_from_template(path)


def test_a_saved_consolidation_reads_back_as_it_was(demo: Consolidation, tmp_path: Path) -> None:
    from mineral_compliance.consolidation.store import load_consolidation, save_consolidation
    path = save_consolidation(demo, tmp_path)
    assert path == tmp_path / "consolidation.json"
    assert json.loads(path.read_text(encoding="utf-8"))["summary"] == demo.summary()
    assert load_consolidation(tmp_path) == load_consolidation(path) == demo


@pytest.mark.parametrize("content", [
    b"[" * 100_000 + b"]" * 100_000,  # nested past the recursion limit
    b"[1, 2]", b"{", b"\xff\xfe{}", b'{"files": 3}',
])
def test_a_damaged_earlier_consolidation_is_a_typed_error(tmp_path: Path,
                                                          content: bytes) -> None:
    from mineral_compliance.consolidation import load_consolidation
    from mineral_compliance.errors import ReferenceDataError

    (tmp_path / "consolidation.json").write_bytes(content)
    with pytest.raises(ReferenceDataError, match="no readable consolidation here"):
        load_consolidation(tmp_path)


def test_an_earlier_consolidation_that_is_a_fifo_is_refused_unopened(tmp_path: Path) -> None:
    import os

    from mineral_compliance.consolidation import load_consolidation
    from mineral_compliance.errors import ReferenceDataError

    os.mkfifo(tmp_path / "consolidation.json")
    with pytest.raises(ReferenceDataError, match="named pipe"):
        load_consolidation(tmp_path)


def test_one_call_writes_every_file_of_a_consolidation_as_one_run(
        demo: Consolidation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison, a product subset and the company's templates land with the rest, or,
    when one of them fails, nothing of the run does."""
    import mineral_compliance.templates
    from mineral_compliance.consolidation import company_declaration, compare, product_subset
    from mineral_compliance.errors import OutputError

    blank = DEMO / "cmrt-6.6-requester-products.xlsx"
    company = [(company_declaration(demo, template=blank), blank)]
    subset = product_subset(demo, ["REQ-55501"])
    out = tmp_path / "out"
    written = write_consolidation(demo, out, comparison=compare(demo, demo), products=subset,
                                  company=company)
    names = {str(p.relative_to(out)) for p in written}
    assert {"consolidation.json", "comparison.json", "company-cmrt.xlsx",
            "products/consolidation.json", "products/report.html"} <= names
    assert {str(p.relative_to(out)) for p in out.rglob("*")
            if p.is_file() and not p.name.startswith(".mineral-compliance-")} == names
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def failing(*args: object, **kwargs: object) -> None:
        raise OutputError("the disk is full", path=out / "company-cmrt.xlsx")

    monkeypatch.setattr(mineral_compliance.templates, "write_template", failing)
    with pytest.raises(OutputError, match="the disk is full"):
        write_consolidation(demo, out, company=company)  # no comparison this time
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
