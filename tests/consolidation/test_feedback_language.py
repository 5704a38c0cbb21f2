"""The feedback files show the RMI's own Checker instruction in the supplier's language.

Beside the English message and what to do, each Checker row of a supplier's feedback gives
the instruction its workbook's language sheet holds for the item in the language its
Declaration picks, and the language's code; other rows, and suppliers writing in English,
leave both blank. ``consolidation.json`` keeps them.
"""

from __future__ import annotations

import csv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mineral_compliance.consolidation import consolidate
from mineral_compliance.consolidation.store import load_consolidation
from mineral_compliance.outputs import write_consolidation
from mineral_compliance.templates._xlsx import patch_cells

from .._workbooks import real_template
from ..conftest import FIXTURES, needs_reference
from ..templates.test_instructions import expected_instructions, hostile

DEMO = FIXTURES / "demo"


HEADER = ["severity", "sheet", "cell", "code", "message", "what_to_do", "instruction",
          "instruction_language", "checker_item", "subject"]


def _feedback(out: Path) -> dict[str, list[dict[str, str]]]:
    """Feedback rows by supplier company, read through the index; every file has the
    feedback columns."""
    folder = out / "feedback"
    with (folder / "index.csv").open(encoding="utf-8", newline="") as handle:
        index = list(csv.DictReader(handle))
    rows = {}
    for entry in index:
        with (folder / entry["feedback"]).open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            rows[entry["company"]] = list(reader)
            assert reader.fieldnames == HEADER
    return rows


def test_feedback_puts_the_instruction_beside_the_message(tmp_path: Path) -> None:
    french = patch_cells(hostile(tmp_path), {"Declaration!D8": "Exemple SA"},
                         tmp_path / "exemple.xlsx")
    english = patch_cells(DEMO / "cmrt-6.22-messy-answers.xlsx",
                          {"Declaration!D8": "Example Ltd", "Declaration!D15": None},
                          tmp_path / "example.xlsx")
    c = consolidate([french, english], executor=ThreadPoolExecutor(1))
    write_consolidation(c, tmp_path / "out")
    rows = _feedback(tmp_path / "out")
    scope = next(r for r in rows["Exemple SA"] if r["checker_item"] == "Declaration!D9")
    assert (scope["code"], scope["instruction"], scope["instruction_language"]) == (
        "company-field-missing", "Sélectionnez le champ (D9)", "fr")
    assert scope["message"] == "The declaration scope is required."
    phone = next(r for r in rows["Exemple SA"] if r["checker_item"] == "Declaration!D17")
    assert (phone["instruction"], phone["instruction_language"]) == ("", "")
    assert rows["Example Ltd"]
    assert all(r["instruction"] == r["instruction_language"] == ""
               for r in rows["Example Ltd"])
    # consolidation.json keeps them: a later run reads the same findings back
    again = load_consolidation(tmp_path / "out")
    assert again.files == c.files


@needs_reference
def test_a_real_french_cmrt_gets_its_own_french_text_in_its_feedback(tmp_path: Path) -> None:
    blank = real_template("6.5", "CMRT")
    assert blank is not None
    copy = patch_cells(blank, {"Declaration!D3": "Français", "Declaration!D8": "Exemple SA"},
                       tmp_path / "exemple.xlsx")
    expected = expected_instructions(copy, "Français")
    c = consolidate([copy], executor=ThreadPoolExecutor(1))
    write_consolidation(c, tmp_path / "out")
    rows = [r for r in _feedback(tmp_path / "out")["Exemple SA"] if r["checker_item"]]
    assert rows
    assert [(r["checker_item"], r["instruction"] or None) for r in rows] == [
        (r["checker_item"], expected[r["checker_item"]]) for r in rows]
    assert {r["instruction_language"] for r in rows if r["instruction"]} == {"fr"}
