"""The Checker's own instructions in the language the supplier picked.

On real templates, a Declaration switched to another language gives every Checker finding the
text of that workbook's language sheet for the item's key, read here independently with
openpyxl; English gives none. A generated language sheet full of hostile text (huge, control
characters, bidirectional overrides, missing and repeated keys, formulas) is read without a
traceback, and each text comes out as one bounded plain line.
"""

from __future__ import annotations

import shutil
import warnings
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from mineral_compliance import read_template
from mineral_compliance.rules import validate_file
from mineral_compliance.templates import _instructions
from mineral_compliance.templates._xlsx import CellInput, open_workbook, patch_cells

from .._workbooks import real_template
from ..conftest import FIXTURES, needs_reference
from .test_checker_rows import checker_rows

DEMO = FIXTURES / "demo"

# (kind, version, language as the picker names it): a family and a language each, the
# quirky ones among them (6.01 spells "italiano", EMRT 1.1 repeats keys and lacks some)
REAL_CASES = [
    ("CMRT", "6.5", "Français"),
    ("CMRT", "6.01", "italiano"),
    ("CMRT", "6.31", "Türkçe"),
    ("EMRT", "1.1", "Français"),
    ("EMRT", "2.1", "Deutsch"),
    ("CRT", "2.2", "한국어 Korean"),
    ("AMRT", "1.3", "日本語 Japanese"),
]


def expected_instructions(path: Path, language: str) -> dict[str, str | None]:
    """Checker item key -> the language sheet's text for the item's row, found the way the
    Checker's formulas find it (first key matching ``CheckerJ<row>``, header matching the
    picked language, both without regard to case), with openpyxl."""
    rows = checker_rows(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = load_workbook(path, read_only=True, data_only=False)
    sheet = list(wb["L"].iter_rows(values_only=True))
    header = [str(v).casefold() if v else "" for v in sheet[0]]
    col, english = header.index(language.casefold()), header.index("english")
    texts: dict[str, tuple[object, object]] = {}
    for r in sheet[1:]:
        a = r[0] if r else None
        key = f"{r[1]}{r[2]}" if isinstance(a, str) and a.startswith("=") else a
        if isinstance(key, str):
            texts.setdefault(key.casefold(), (r[col] if len(r) > col else None, r[english]))
    out: dict[str, str | None] = {}
    for key, row in rows.items():
        text, in_english = (_plain(t) for t in texts.get(f"checkerj{row}", (None, None)))
        out[key] = text if text != in_english else None
    return out


def _plain(text: object) -> str | None:
    """The real sheets' texts hold no control characters, only line breaks and no-break
    spaces: as one line."""
    return " ".join(text.split()) or None if isinstance(text, str) else None


@needs_reference
@pytest.mark.parametrize(("kind", "version", "language"), REAL_CASES,
                         ids=[f"{k}-{v}-{lang}" for k, v, lang in REAL_CASES])
def test_checker_findings_carry_the_workbooks_own_text_in_the_picked_language(
        kind: str, version: str, language: str, tmp_path: Path) -> None:
    blank = real_template(version, kind)
    if blank is None:
        pytest.skip(f"no blank {kind} {version} under ../shared/reference")
    copy = patch_cells(blank, {"Declaration!D3": language}, tmp_path / "picked.xlsx")
    expected = expected_instructions(copy, language)
    code = _instructions.LANGUAGES[" ".join(language.split()).casefold()]
    report = validate_file(copy)
    checker = [f for f in report.findings if f.checker_item]
    assert checker, "a blank template leaves Checker items open"
    assert [(f.checker_item, f.instruction) for f in checker] == [
        (f.checker_item, expected[f.checker_item or ""]) for f in checker]
    assert {f.instruction_language for f in checker if f.instruction} == {code}
    assert sum(f.instruction is not None for f in checker) >= len(checker) // 2
    assert all(f.instruction is None for f in report.findings if not f.checker_item)


@needs_reference
@pytest.mark.parametrize(("kind", "version"), [("CMRT", "6.5"), ("CMRT", "6.31")])
def test_english_gives_no_instruction(kind: str, version: str, tmp_path: Path) -> None:
    """6.5 is English as released; the 6.31 copy (re-saved in Chinese) is switched back."""
    blank = real_template(version, kind)
    if blank is None:
        pytest.skip(f"no blank {kind} {version} under ../shared/reference")
    copy = patch_cells(blank, {"Declaration!D3": "English"}, tmp_path / "english.xlsx")
    assert read_template(copy).checker_instructions is None
    report = validate_file(copy)
    assert any(f.checker_item for f in report.findings)
    assert all(f.instruction is None and f.instruction_language is None
               for f in report.findings)


@needs_reference
def test_a_language_the_sheet_does_not_carry_gives_none(tmp_path: Path) -> None:
    """EMRT 1.x carries five languages: Spanish is picked but has no column."""
    blank = real_template("1.2", "EMRT")
    if blank is None:
        pytest.skip("no blank EMRT 1.2 under ../shared/reference")
    copy = patch_cells(blank, {"Declaration!D3": "Español"}, tmp_path / "es.xlsx")
    assert read_template(copy).checker_instructions is None


# -- a generated, hostile language sheet ---------------------------------------------------

BASE = DEMO / "cmrt-6.5-product-scope.xlsx"
"""A demo CMRT whose language sheet is empty (the fixtures carry no RMI text)."""


def hostile(tmp_path: Path, extra: dict[str, CellInput] | None = None,
            picked: str = "  FRANÇAIS ") -> Path:
    """The demo CMRT with the company block emptied (Checker rows 4 to 12 open) and a language
    sheet of hostile texts for some of those rows."""
    huge = "Indiquez " + "très " * 40_000  # 200,000 characters
    edits: dict[str, CellInput] = {
        "Declaration!D3": picked,
        **{f"Declaration!D{r}": None for r in (8, 9, 15, 16, 17, 18, 20, 22)},
        "L!D1": "English", "L!H1": "Français", "L!Z1": "Français",
        # row 4, company name: huge
        "L!A2": "CheckerJ4", "L!D2": "Provide your company name", "L!H2": huge,
        # row 5, scope: control characters, a bell, NUL, bidirectional override, line breaks
        "L!A3": "checkerj5", "L!D3": "Select the scope",
        "L!H3": "Sélectionnez\x00 le\x07 champ\n\n\u202e(D9)\u202c\u200b\ufeff  ",
        # row 5 again: a later row of the same key is not the one the Checker finds
        "L!A4": "CheckerJ5", "L!H4": "second text, never shown",
        # row 7 (contact name): the key built from B and C, as the RMI's formula does
        "L!B5": "Checker", "L!C5": "J7", "L!H5": "Saisissez le nom de contact",
        # row 8 (contact e-mail): the French text equals the English one
        "L!A6": "CheckerJ8", "L!D6": "Same text", "L!H6": "Same text",
        # row 9 (contact phone): only white space
        "L!A7": "CheckerJ9", "L!H7": " \t\n ",
        # rows 10 to 12 (authorizer, e-mail, date): no key at all; a key of no item
        "L!A8": "CheckerJ999", "L!H8": "Not a Checker item of this template",
        "L!A9": "=CheckerJ10", "L!H9": "a key that is text starting with '='",
        **(extra or {}),
    }
    return patch_cells(BASE, edits, tmp_path / "hostile.xlsx")


def test_a_hostile_language_sheet_gives_bounded_plain_text(tmp_path: Path) -> None:
    report = validate_file(hostile(tmp_path))
    by_item = {f.checker_item: f for f in report.findings if f.checker_item}
    name = by_item["Declaration!D8"].instruction
    assert name is not None and len(name) == _instructions.MAX_INSTRUCTION_CHARS
    assert name.startswith("Indiquez très très") and name.endswith("\u2026")
    assert by_item["Declaration!D9"].instruction == "Sélectionnez le champ (D9)"
    assert by_item["Declaration!D15"].instruction == "Saisissez le nom de contact"
    assert by_item["Declaration!D9"].instruction_language == "fr"
    for key in ("Declaration!D16", "Declaration!D17", "Declaration!D18", "Declaration!D20",
                "Declaration!D22"):
        assert by_item[key].instruction is None, key
        assert by_item[key].instruction_language is None, key


def test_the_first_language_column_of_a_name_is_read(tmp_path: Path) -> None:
    decl = read_template(hostile(tmp_path))
    assert decl.checker_instructions is not None
    where = decl.checker_instructions.items["Declaration!D8"].provenance
    assert (where.sheet, where.cell) == ("L", "H2")


def test_rows_past_the_cap_are_not_read(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_instructions, "MAX_LANGUAGE_ROWS", 3)
    decl = read_template(hostile(tmp_path))
    assert decl.checker_instructions is not None
    assert set(decl.checker_instructions.items) == {"Declaration!D8", "Declaration!D9"}


def test_formulas_in_the_language_column_are_not_taken(tmp_path: Path) -> None:
    path = hostile(tmp_path)
    with zipfile.ZipFile(path) as z:
        sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/") and
                     b"Saisissez le nom" in z.read(n))
    # the same text, stored as the cached result of a formula
    _rewrite(path, sheet, lambda xml: xml.replace(
        b'<c r="H5" t="inlineStr"><is><t>Saisissez le nom de contact</t></is></c>',
        b'<c r="H5" t="str"><f>"Saisissez le nom de contact"</f>'
        b'<v>Saisissez le nom de contact</v></c>'))
    decl = read_template(path)
    assert decl.checker_instructions is not None
    assert "Declaration!D15" not in decl.checker_instructions.items


def test_an_unreadable_language_sheet_leaves_the_declaration_whole(tmp_path: Path) -> None:
    path = hostile(tmp_path)
    with zipfile.ZipFile(path) as z:
        sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/") and
                     b"Saisissez le nom" in z.read(n))
    _rewrite(path, sheet, lambda xml: b"<not a worksheet")
    decl = read_template(path)
    assert decl.checker_instructions is None
    assert decl.company.contact_name.is_blank


def test_nothing_is_read_for_english_or_no_pick(tmp_path: Path) -> None:
    for picked in ("English", "ENGLISH", ""):
        decl = read_template(hostile(tmp_path, picked=picked))
        assert decl.checker_instructions is None, picked


def test_a_language_sheet_read_before_gives_each_file_its_own_cells(tmp_path: Path) -> None:
    """A worker reads a release's language sheet once: a copy of a file read before gets the
    same texts, each at its own file's cells; a file whose sheet says otherwise gets its own
    texts, read before or after."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = hostile(tmp_path / "a")
    copy = tmp_path / "copy.xlsx"
    shutil.copy(first, copy)
    other = hostile(tmp_path / "b", extra={"L!H5": "Indiquez la personne à contacter"})
    read = {path: read_template(path).checker_instructions for path in (first, copy, other)}
    read_again = {path: read_template(path).checker_instructions for path in (other, first)}
    for path, instructions in [*read.items(), *read_again.items()]:
        assert instructions is not None
        assert {i.provenance.file for i in instructions.items.values()} == {str(path)}
    assert read[first] is not None and read[copy] is not None and read[other] is not None
    texts = {path: {k: i.text for k, i in got.items.items()}
             for path, got in read.items() if got is not None}
    assert texts[first] == texts[copy]
    assert texts[first]["Declaration!D15"] == "Saisissez le nom de contact"
    assert texts[other]["Declaration!D15"] == "Indiquez la personne à contacter"
    assert read_again[other] == read[other] and read_again[first] == read[first]


@needs_reference
def test_a_language_sheet_stored_otherwise_with_the_same_cells_gives_the_same_texts(
        tmp_path: Path) -> None:
    """The real sheets hold shared strings: a file whose language sheet is stored in other
    bytes with the same cells gets the texts of the one read before; one whose shared string
    behind a text was changed gets the changed text."""
    blank = real_template("6.5", "CMRT")
    if blank is None:
        pytest.skip("no blank CMRT 6.5 under ../shared/reference")
    first = patch_cells(blank, {"Declaration!D3": "Français"}, tmp_path / "first.xlsx")
    expected = expected_instructions(first, "Français")
    sheet = next(s.part for s in open_workbook(first).sheets if s.name == "L")
    with zipfile.ZipFile(first) as z:
        strings = z.read("xl/sharedStrings.xml")
    restyled = tmp_path / "restyled.xlsx"
    shutil.copy(first, restyled)
    _rewrite(restyled, sheet, lambda xml: xml.replace(b"</row><row ", b"</row>\n<row "))
    key, text = next((k, t) for k, t in expected.items()
                     if t and strings.count(f"<t>{t}</t>".encode()) == 1)
    reworded = tmp_path / "reworded.xlsx"
    shutil.copy(first, reworded)
    _rewrite(reworded, "xl/sharedStrings.xml", lambda xml: xml.replace(
        f"<t>{text}</t>".encode(), b"<t>Texte revu par le fournisseur</t>"))
    for path in (first, restyled, reworded):
        got = read_template(path).checker_instructions
        assert got is not None
        assert {i.provenance.file for i in got.items.values()} == {str(path)}
        texts = {k: i.text for k, i in got.items.items()}
        if path == reworded:
            assert texts.pop(key) == "Texte revu par le fournisseur"
        assert texts == {k: t for k, t in expected.items()
                         if t is not None and (path != reworded or k != key)}


def _rewrite(path: Path, member: str, change: object) -> None:
    """Replace one zip member of ``path`` by ``change(bytes)``."""
    assert callable(change)
    copy = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, change(data) if info.filename == member else data)
    shutil.move(copy, path)


# -- the demo fixtures ------------------------------------------------------------------------

WITH_L = [p for p in sorted(DEMO.glob("*.xlsx"))
          if 'name="L"' in zipfile.ZipFile(p).read("xl/workbook.xml").decode()]


@pytest.mark.parametrize("path", WITH_L, ids=[p.name for p in WITH_L])
def test_demo_fixtures_have_an_empty_language_sheet_and_so_no_instruction(
        path: Path, tmp_path: Path) -> None:
    """The project's fixtures carry no RMI text: a language picked on them invents none."""
    copy = patch_cells(path, {"Declaration!D3": "Français", "Declaration!D8": None},
                       tmp_path / path.name)
    report = validate_file(copy)
    assert any(f.checker_item for f in report.findings)
    assert all(f.instruction is None for f in report.findings)
