"""``mineral-compliance validate``: every input accounted for, exit codes, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mineral_compliance.cli import main

from ..conftest import FIXTURES

DEMO = FIXTURES / "demo"
REFUSED = FIXTURES / "refused"


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, Any]]]:
    code = main(["validate", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_json_has_one_object_per_file_with_the_contract_keys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run_json(capsys, str(DEMO))
    assert len(out) == len(list(DEMO.glob("*.xlsx")))
    for item in out:
        assert {"file", "template", "valid", "findings"} <= set(item)
        for f in item["findings"]:
            assert {"code", "severity", "message", "sheet", "cell", "subject", "basis",
                    "checker_item"} <= set(f)
            assert (f["checker_item"] is not None) == (f["basis"] == "checker")
    messy = next(i for i in out if str(i["file"]).endswith("cmrt-6.22-messy-answers.xlsx"))
    assert messy["valid"] is False and messy["template"] == {"kind": "CMRT", "version": "6.22"}
    assert code == 1  # a file with error findings


def test_exit_0_when_no_file_has_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_json(capsys, str(DEMO / "cmrt-6.5-product-scope.xlsx"))
    assert code == 0 and out[0]["valid"] is True


def test_unreadable_inputs_are_isolated_and_reported_with_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pattern = str(REFUSED / "*.xls*")
    code, out = run_json(capsys, pattern, str(DEMO / "cmrt-6.5-product-scope.xlsx"),
                         str(FIXTURES / "missing-file.xlsx"))
    by_name = {str(i["file"]).rsplit("/", 1)[-1]: i for i in out}
    assert set(by_name) >= {"legacy.xls", "encrypted.xlsx", "missing-file.xlsx",
                            "cmrt-6.5-product-scope.xlsx"}
    assert by_name["legacy.xls"]["error"]["type"] == "LegacyFormatError"
    assert by_name["cmrt-6.5-product-scope.xlsx"]["valid"] is True
    assert code == 2


def test_csv_has_a_row_per_finding_and_per_unreadable_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["validate", str(DEMO / "cmrt-6.22-messy-answers.xlsx"), str(REFUSED / "legacy.xls"),
          "--csv"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    d47 = next(r for r in rows if r["code"] == "answer-missing" and r["cell"] == "D47")
    assert d47["basis"] == "checker" and d47["checker_item"]  # traceable to the Checker row
    assert all(r["checker_item"] == "" for r in rows if r["basis"] == "consistency")
    assert any(r["code"] == "file-unreadable" and r["file"].endswith("legacy.xls") for r in rows)


def test_select_ignore_and_unknown_codes(capsys: pytest.CaptureFixture[str]) -> None:
    _code, out = run_json(capsys, str(DEMO / "cmrt-6.22-messy-answers.xlsx"),
                          "--select", "answer-missing")
    assert {f["code"] for f in out[0]["findings"]} == {"answer-missing"}
    assert main(["validate", str(DEMO), "--ignore", "no-such-code"]) == 2
    assert "no-such-code" in capsys.readouterr().err


def test_human_table_ends_with_a_summary_and_no_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mineral_compliance", "validate", str(DEMO),
         str(REFUSED / "not-a-workbook.xlsx")],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    total = len(list(DEMO.glob("*.xlsx"))) + 1
    assert f"{total} files:" in proc.stdout and "1 unreadable" in proc.stdout


def test_without_paths_the_demo_templates_are_validated(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run_json(capsys)
    assert sorted(str(i["file"]).rsplit("/", 1)[-1] for i in out) == sorted(
        p.name for p in DEMO.glob("*.xlsx"))
    assert code == 1


def test_summary_counts_the_findings_validate_lists(capsys: pytest.CaptureFixture[str]) -> None:
    """Every demo file, so the checks against the file's own Smelter Look-up count too."""
    assert main(["summary", str(DEMO), "--json"]) == 0  # findings do not fail a summary
    summary = {Path(f["file"]).name: f["findings"]
               for f in json.loads(capsys.readouterr().out)["files"]}
    _code, out = run_json(capsys, str(DEMO))
    assert summary == {Path(r["file"]).name: r["summary"] for r in out}
    assert summary["cmrt-6.22-messy-answers.xlsx"]["error"] > 0
    # smelter-id-unknown, effective-date-before-release and template-outdated (6.6 is out)
    assert summary["cmrt-6.5-product-scope.xlsx"]["warning"] == 3


def test_an_output_that_cannot_be_written_is_a_message_not_a_traceback(
        tmp_path: Path) -> None:
    taken = tmp_path / "a-file"
    taken.write_text("not a folder", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "mineral_compliance", "consolidate",
                           str(DEMO / "cmrt-6.5-product-scope.xlsx"), "-o", str(taken / "out"),
                           "--no-progress"], capture_output=True, text=True, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2 and "error:" in proc.stderr


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    for n in range(4):  # more output than a pipe buffers, so writing really fails
        for p in DEMO.glob("*.xlsx"):
            shutil.copy(p, tmp_path / f"{n}-{p.name}")
    with subprocess.Popen(
        [sys.executable, "-m", "mineral_compliance", "validate", str(tmp_path), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()  # like `| head -1`
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_csv_output_makes_formula_like_supplier_text_inert(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A supplier's file named like a formula, and its content, stay text in the CSV."""
    shutil.copy(DEMO / "cmrt-6.22-messy-answers.xlsx", tmp_path / "=1+1.xlsx")
    (tmp_path / "@SUM(A1).xlsx").write_bytes(b"not a workbook")
    monkeypatch.chdir(tmp_path)
    main(["validate", "=1+1.xlsx", "@SUM(A1).xlsx", "--csv"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["file"] for r in rows} == {"'=1+1.xlsx", "'@SUM(A1).xlsx"}
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())


def test_counts_of_one_take_the_singular(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    one = DEMO / "cmrt-6.5-product-scope.xlsx"
    assert main(["validate", str(one)]) == 0
    assert "\n1 file: 1 valid" in capsys.readouterr().out
    main(["consolidate", str(one), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert out.startswith("1 file: ") and "; 1 supplier\n" in out
    assert "1 files" not in out and "1 suppliers" not in out
