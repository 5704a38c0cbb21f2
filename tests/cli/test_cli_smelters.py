"""``smelters reference``, ``smelters match`` and ``crosscheck`` on the project's own fixtures."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from mineral_compliance.cli import main

from ..conftest import FIXTURES

DEMO = FIXTURES / "demo"
CMRT = DEMO / "cmrt-6.5-product-scope.xlsx"


def test_reference_export_as_csv_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["smelters", "reference", str(CMRT), "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and {"metal", "lookup_name", "standard_name", "smelter_id"} <= set(rows[0])
    assert main(["smelters", "reference", str(CMRT), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["snapshot"]["version"] == "6.5" and len(out["snapshot"]["sha256"]) == 64
    assert len(out["entries"]) == len(rows)


def test_match_csv_rows_with_status_lists(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    main(["smelters", "reference", str(CMRT), "--json"])
    entries = json.loads(capsys.readouterr().out)["entries"]
    known = next(e for e in entries if e["smelter_id"] and e["lookup_name"] == e["standard_name"])
    rows = tmp_path / "rows.csv"
    with rows.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([
            ["Metal", "Smelter Name", "Country", "Smelter ID"],
            [known["metal"], known["standard_name"].upper(), "", ""],  # names hold commas
            [known["metal"], "", "", known["smelter_id"]],
            ["Gold", "Smelter not yet identified", "", ""],
            ["Tin", "Nothing Like Any Reference Works", "", ""],
        ])
    status = tmp_path / "conformant.csv"
    status.write_text(f"Smelter ID,Standard Smelter Name,Status\n{known['smelter_id']},x,"
                      "Conformant\n", encoding="utf-8")
    assert main(["smelters", "match", str(rows), "--reference", str(CMRT), "--status-list",
                 str(status), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    got = [(r["row"], r["match"], r["smelter_id"], r["status"]) for r in out["rows"]]
    assert got == [
        (2, "alias", known["smelter_id"], "conformant"),
        (3, "exact-id", known["smelter_id"], "conformant"),
        (4, "placeholder", None, "unknown"),
        (5, "unmatched", None, "unknown"),
    ]
    assert [s["kind"] for s in out["snapshots"]] == ["smelter-reference:CMRT",
                                                     "status-list:rmi"]
    for r in out["rows"]:
        assert {"score", "candidates", "flags", "reasons"} <= set(r) and r["reasons"]


def test_match_refuses_a_csv_without_name_or_id(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["smelters", "match", str(rows), "--reference", str(CMRT)]) == 2
    err = capsys.readouterr().err
    assert "rows.csv" in err and "Traceback" not in err


def test_crosscheck_reports_every_row_with_its_cell(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["crosscheck", str(DEMO), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out) == len(list(DEMO.glob("*.xlsx")))  # every demo file is cross-checked
    cmrt = next(f for f in out if f["file"].endswith("cmrt-6.5-product-scope.xlsx"))
    cells = [(r["sheet"], r["cell"], r["match"]) for r in cmrt["rows"]]
    assert ("Smelter List", "C6", "placeholder") in cells
    assert all(r["sheet"] == "Smelter List" and r["cell"] for f in out for r in f["rows"])
    for f in out:
        assert f["summary"]["rows"] == len(f["rows"]) == sum(f["summary"]["grades"].values())
    crt = next(f for f in out if f["file"].endswith("crt-2.21-cobalt.xlsx"))
    assert "covered-country" in crt["rows"][0]["flags"]  # a refinery in Zambia


def test_the_crosscheck_verb_resolves_against_the_newest_look_up_of_each_family(
        tmp_path: Path) -> None:
    from mineral_compliance.crosschecking import crosscheck, newest_references
    from mineral_compliance.templates import reference_from_template

    older = reference_from_template(DEMO / "cmrt-6.01-numeric-response-rate.xlsx")
    newer = reference_from_template(DEMO / "cmrt-6.6-requester-products.xlsx")
    assert newest_references([older, None, newer, older]) == {"CMRT": newer}
    inputs = [DEMO / "cmrt-6.01-numeric-response-rate.xlsx", FIXTURES / "refused" /
              "legacy.xls", DEMO / "cmrt-6.6-requester-products.xlsx"]
    done = crosscheck(inputs)
    assert [Path(d.label).name for d in done] == [p.name for p in inputs]
    assert [d.read for d in done] == [True, False, True]
    assert done[1].error_type == "LegacyFormatError" and done[1].to_plain()["findings"] == []
    assert {d.matcher.reference.version for d in done if d.matcher} == {newer.version}
    assert all(len(d.results) == len(d.declaration.smelters) for d in done if d.declaration)
    # a family with no look-up among the inputs is named, not guessed
    amrt = crosscheck(DEMO / "amrt-1.21-free-text-minerals.xlsx")[0]
    assert amrt.read and amrt.needs_reference and amrt.matcher is None and amrt.results == ()
    assert not done[1].needs_reference and not done[0].needs_reference
    assert amrt.to_plain() == {"file": amrt.label, "error": {
        "type": "ReferenceDataError", "message": "no reference list: none was given and no "
        "AMRT template among the inputs has a Smelter Look-up"}}
    alone = crosscheck(DEMO / "crt-2.21-cobalt.xlsx", reference=newer)[0]
    assert alone.matcher is not None and alone.matcher.reference is newer


def test_the_command_says_which_option_gives_the_missing_reference(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The library's message names no option; the command adds the one that helps."""
    assert main(["crosscheck", str(DEMO / "amrt-1.21-free-text-minerals.xlsx")]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == ("  no reference list: none was given and no AMRT template "
                                    "among the inputs has a Smelter Look-up; give one with "
                                    "--reference")


def test_a_status_list_given_as_url_is_downloaded_then_reused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    served = tmp_path / "site"
    served.mkdir()
    main(["smelters", "reference", str(CMRT), "--json"])
    entry = next(e for e in json.loads(capsys.readouterr().out)["entries"] if e["smelter_id"])
    (served / "conformant.csv").write_text(
        f"Smelter ID,Status\n{entry['smelter_id']},Conformant\n", encoding="utf-8")
    rows = tmp_path / "rows.csv"
    rows.write_text(f"metal,smelter_id\n{entry['metal']},{entry['smelter_id']}\n",
                    encoding="utf-8")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0),
                                functools.partial(Quiet, directory=str(served)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/conformant.csv"
    try:
        args = ["smelters", "match", str(rows), "--reference", str(CMRT), "--status-list", url,
                "--cache-dir", str(tmp_path / "cache"), "--json"]
        assert main(args) == 0
        first = capsys.readouterr()
        assert "downloaded" in first.err
        assert json.loads(first.out)["rows"][0]["status"] == "conformant"
        assert main(args) == 0
        assert "unchanged, cached copy" in capsys.readouterr().err  # answered 304
    finally:
        httpd.shutdown()
        httpd.server_close()
