"""The exported JSON Schemas match the code, and the CLI keeps its JSON contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mineral_compliance.cli import main
from mineral_compliance.schema import SCHEMAS, render_schema
from mineral_compliance.templates.layouts.describe import render_layouts

from .conftest import FIXTURES, ROOT


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_file_is_current(name: str) -> None:
    on_disk = (ROOT / "schemas" / name).read_text(encoding="utf-8")
    assert on_disk == render_schema(name), "run: python scripts/export_schemas.py"


def test_layout_reference_page_is_current() -> None:
    on_disk = (ROOT / "docs" / "layouts.md").read_text(encoding="utf-8")
    assert on_disk == render_layouts(), "run: python scripts/export_docs.py"
    assert "| 1 | D31:D40 | G | Yes; No; Unknown; Not declaring |" in on_disk  # AMRT 1.3


def test_read_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read", str(FIXTURES / "demo" / "cmrt-6.5-product-scope.xlsx"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["template"]["kind"], out["template"]["version"]) == ("CMRT", "6.5")
    assert (out["company"]["name"], out["company"]["scope"]) == ("Acme Widgets Example Ltd.", "B")
    assert out["company"]["effective_date"] == "2025-03-31"
    assert out["answers"]["Tin"]["1"] == "Yes" and out["answers"]["Tantalum"]["2"] is None
    assert out["company_answers"]["H"] == "Yes, with the SEC"
    assert out["smelters"][0] == {**out["smelters"][0], "row": 5, "metal": "Tin",
                                  "smelter_id": "CID900001", "name": "ETS Alias Refinery",
                                  "country": "INDONESIA"}
    assert [(p["row"], p["number"], p["name"]) for p in out["products"]] == [
        (6, "EX-1001", "Example controller board"), (7, "1002", "Example sensor")]


def test_full_json_carries_provenance(capsys: pytest.CaptureFixture[str]) -> None:
    main(["read", str(FIXTURES / "demo" / "cmrt-6.5-product-scope.xlsx"), "--json", "--full"])
    out = json.loads(capsys.readouterr().out)
    assert out["company"]["name"]["provenance"]["cell"] == "D8"
    assert out["smelters"][0]["metal"]["provenance"] == {
        "file": str(FIXTURES / "demo" / "cmrt-6.5-product-scope.xlsx"),
        "sheet": "Smelter List", "cell": "B5"}


def test_unreadable_file_is_a_message_and_exit_code_not_a_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mineral_compliance", "read",
         str(FIXTURES / "refused" / "encrypted.xlsx")],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2  # as validate: an input could not be read
    assert "Traceback" not in proc.stderr
    assert "password-protected" in proc.stderr and "encrypted.xlsx" in proc.stderr


def test_summary_accounts_for_every_input(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["summary", str(FIXTURES / "demo"), str(FIXTURES / "refused"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 2
    assert out["total"] == len(out["files"]) == out["read"] + out["unreadable"]
    manifest = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
    assert (out["read"], out["unreadable"]) == (len(manifest["demo"]), len(manifest["refused"]))
