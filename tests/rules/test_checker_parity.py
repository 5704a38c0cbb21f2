"""Checker parity: our Checker-basis findings against the workbook's own Checker sheet.

LibreOffice recalculates each real CMRT 6.x template (the families' test also fills a real
blank CMRT 6.6 when one is at hand), and edited variants of a complete
supplier file (each required answer removed in turn, each conditional branch taken), and the
open items it reads from the Checker sheet must equal, item for item, the ``checker_item`` of
our findings on the very same bytes. Variants are written with the library's cell patcher;
a few are instead edited inside LibreOffice and stored by it, so files LibreOffice wrote are
read back too.

LibreOffice evaluates the variants in the workbook it has loaded, making each variant's
edits and undoing them after reading the Checker (one load per workbook and process, not
one per variant); our rules read the patched (or stored) file. The checks of ``_parity``
hold the two to the same content: every edited cell holds in LibreOffice what our reader
reads in that file; for each supplier file the first, the middle and the last variant (and
any variant putting a number, a date or a boolean) are also judged by LibreOffice loading
that file itself, and must come out item for item as in place; and each supplier file,
judged before and after its variants, shows nothing of them left.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mineral_compliance.findings import Basis
from mineral_compliance.rules import validate_file
from mineral_compliance.templates._xlsx import CellInput

from .._workbooks import reference_templates
from ..conftest import REFERENCE, needs_libreoffice, needs_reference
from ._parity import (
    Case,
    Judged,
    assert_in_place_is_loaded,
    assert_same_content,
    assert_undone,
    cross_checked,
    judge,
)

pytestmark = [needs_reference, needs_libreoffice]

CMRT = REFERENCE / "cmrt"
REAL = [f.path for f in reference_templates() if f.kind == "CMRT"]
"""Every real CMRT 6.x under ../shared/reference, found by content: a new release placed
there (RMI_CMRT_6.6.xlsx, CMRT_6.6.1.xlsx or any other name) is recalculated too."""
JX = CMRT / "RMI_CMRT_6.4_JX Advanced Metals Corporation.xlsx"
CG = CMRT / "RMI_CMRT_6.4_20240426_CG20240510_基佳giga.xlsx"
SCOPE_A = "A. Company"
SCOPE_B = "B. Product (or List of Products)"
SCOPE_C = "C. User defined [Specify in 'Description of scope']"

# Variants of a complete supplier file (JX: scope B, tantalum and tungsten in scope, tin and
# gold answered "No", three products, B "Yes" with a URL). Each name says what it exercises.
JX_VARIANTS: dict[str, dict[str, CellInput]] = {
    **{f"clear-{cell}": {f"Declaration!{cell}": None}
       for cell in ("D8", "D9", "D15", "D16", "D17", "D18", "D20", "D22")},
    "contact-email-without-at": {"Declaration!D16": "compliance.example.com"},
    "authorizer-email-without-at": {"Declaration!D20": "authorizer at example"},
    "scope-c-without-description": {"Declaration!D9": SCOPE_C, "Declaration!D10": None},
    "scope-c-with-description": {"Declaration!D9": SCOPE_C, "Declaration!D10": "Parts"},
    "scope-b-first-product-row-empty": {"Product List!B6": None},
    "scope-b-no-products": {f"Product List!B{r}": None for r in (6, 7, 8)},
    "scope-a-no-products": {"Declaration!D9": SCOPE_A,
                            **{f"Product List!B{r}": None for r in (6, 7, 8)}},
    "unrecognised-scope-text": {"Declaration!D9": "Whole company"},
    "q1-tantalum-blank": {"Declaration!D26": None},
    "q1-tantalum-unrecognised": {"Declaration!D26": "Maybe"},
    "q2-tantalum-blank": {"Declaration!D32": None},
    "q2-tantalum-no": {"Declaration!D32": "No"},
    "q1-tin-yes-rest-blank": {"Declaration!D27": "Yes"},
    "q1-q2-gold-yes-no-smelters": {"Declaration!D28": "Yes", "Declaration!D34": "Yes"},
    **{f"q{q}-tungsten-blank": {f"Declaration!D{row}": None}
       for q, row in ((3, 41), (4, 47), (5, 53), (6, 59), (7, 65), (8, 71))},
    **{f"company-{letter}-blank": {f"Declaration!D{row}": None}
       for letter, row in zip("ABCDEFGH", range(75, 90, 2), strict=True)},
    "policy-public-without-url": {"Declaration!G77": None},
    "policy-public-one-character-url": {"Declaration!G77": "x"},
    "policy-not-public-without-url": {"Declaration!D77": "No", "Declaration!G77": None},
    "no-metal-in-scope": {f"Declaration!D{r}": "No" for r in (26, 29)},
    "no-metal-in-scope-company-blank": {"Declaration!D26": "No", "Declaration!D29": "No",
                                        "Declaration!D75": None, "Declaration!D89": None},
    "unlisted-smelter-without-country": {
        "Smelter List!B40": "Tantalum", "Smelter List!C40": "Smelter not listed",
        "Smelter List!D40": "Example Unlisted Works", "Smelter List!E40": None},
    "unlisted-smelter-without-name": {
        "Smelter List!B40": "Tungsten", "Smelter List!C40": "Smelter not listed",
        "Smelter List!D40": None, "Smelter List!E40": "PERU"},
    "unlisted-smelter-complete": {
        "Smelter List!B40": "Tungsten", "Smelter List!C40": "Smelter not listed",
        "Smelter List!D40": "Example Unlisted Works", "Smelter List!E40": "PERU"},
}
COMPLETE = {"scope-c-with-description", "q2-tantalum-no", "scope-a-no-products",
            "policy-not-public-without-url",
            "no-metal-in-scope", "no-metal-in-scope-company-blank",
            "unlisted-smelter-complete"}
STORED_BY_LIBREOFFICE = {"clear-D15", "q2-tantalum-no", "unlisted-smelter-without-name"}
CG_VARIANTS: dict[str, dict[str, CellInput]] = {
    "cg-scope-b-without-products": {"Declaration!D9": SCOPE_B},
    "cg-q1-tungsten-blank": {"Declaration!D29": None},
}


def _ours(path: Path | str) -> list[str]:
    report = validate_file(path)
    return sorted({f.checker_item for f in report.findings
                   if f.basis is Basis.CHECKER and f.checker_item})


CASES = [
    *(Case(p.name, p) for p in REAL),
    *(Case(name, base, own=edits, stored_by_libreoffice=name in STORED_BY_LIBREOFFICE)
      for base, variants in ((JX, JX_VARIANTS), (CG, CG_VARIANTS))
      for name, edits in variants.items()),
]
CROSS_CHECKED = cross_checked(CASES)


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Judged:
    """Run LibreOffice once over every real template and every variant."""
    return judge(CASES, tmp_path_factory.mktemp("variants"),
                 processes=min(4, os.cpu_count() or 1), cross_check=CROSS_CHECKED)


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_checker_items_agree(name: str, oracle: Judged) -> None:
    verdict = oracle.verdicts[name]
    result = verdict.result
    assert result.error is None, result.error
    assert result.total == len(result.open_keys())  # the sheet's own total agrees
    assert _ours(verdict.path) == result.open_keys()
    assert_same_content(verdict)
    if name in JX_VARIANTS or name in CG_VARIANTS:
        # every variant really takes its branch: incomplete ones open an item
        assert bool(result.open_keys()) == (name not in COMPLETE), result.open_keys()


@pytest.mark.parametrize("name", sorted(CROSS_CHECKED))
def test_the_variant_file_loaded_is_judged_as_in_place(name: str, oracle: Judged) -> None:
    assert_in_place_is_loaded(oracle.verdicts[name])


@pytest.mark.parametrize("base", [JX.name, CG.name])
def test_edits_in_place_leave_the_supplier_file_as_loaded(base: str, oracle: Judged) -> None:
    assert_undone(*oracle.undone[base])


def test_blank_template_opens_every_required_item(oracle: Judged) -> None:
    result = oracle.verdicts["RMI_CMRT_6.5_(Security C) (1).xlsx"].result
    assert result.total == 52
    assert "Smelter List - Gold" in result.open_keys()
