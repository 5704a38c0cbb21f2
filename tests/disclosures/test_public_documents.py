"""Public documents keep supplier data confidential; the audit trail names it.

Over the real supplier CMRTs in ``../shared/reference/cmrt`` (all consolidated together), every
string a declaration carries that identifies its supplier is computed at run time and looked
for in every public document (Form SD, Exhibit 1.01, the EU annual report, HTML and Markdown).
None may occur. Each supplier name and file name must occur in the audit trail.

The strings scanned, per file: the full path, the file name and its stem; the Declaration's
company fields (name, scope description, unique ID, address, contact name, e-mail and phone,
authorizer, title, e-mail and phone); the answers' comments; the Smelter List's and Mine List's
contact names, e-mails, next steps and comments; the Product List's numbers, names and
comments.

What is excluded, because it is legitimately public or cannot identify anyone:

* strings shorter than four characters after trimming, and strings of digits and punctuation
  shorter than six (``N/A``, ``-``, ``1``);
* country names (``Japan``), metal names and the template's own literals (``Yes``,
  ``Unknown``), placeholders such as ``not applicable``;
* the smelter and refiner names and countries of the public facility table, which are public
  facts about facilities, not supplier identities;
* text that the public documents print whatever the inputs (their boilerplate), found by
  rendering the same documents from a consolidation of no file.

No value is ever printed: an assertion names the field, the file's index and the document.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

from mineral_compliance import read_template
from mineral_compliance.consolidation import consolidate
from mineral_compliance.disclosures import edgar_problems, render_dodd_frank
from mineral_compliance.disclosures.documents import PUBLIC_FILES
from mineral_compliance.disclosures.eu_report import PUBLIC_FILES as EU_PUBLIC_FILES
from mineral_compliance.disclosures.eu_report import render_eu
from mineral_compliance.errors import MineralComplianceError
from mineral_compliance.models.consolidation import Consolidation
from mineral_compliance.models.declaration import Declaration
from mineral_compliance.models.profile import THREE_TG, CompanyProfile
from mineral_compliance.names import country_code

from ..conftest import REFERENCE, needs_reference

pytestmark = needs_reference

_TRIVIAL = {"yes", "no", "unknown", "none", "n/a", "na", "not applicable", "null", "tbd",
            "same as above", "company", "product", "n.a.", "nil", "blank", "other"}
_TRIVIAL.update(m.casefold() for m in THREE_TG)


def _profile() -> CompanyProfile:
    return CompanyProfile.model_validate({
        "registrant_name": "Example Devices Inc.", "state_of_incorporation": "Delaware",
        "address": "1 Example Way", "contact_name": "Compliance Office",
        "contact_phone": "+1 555 0100", "reporting_year": 2025,
        "products": [{"name": "Controllers", "metals": list(THREE_TG),
                      "manufactured": True}]})


@cache
def _inputs() -> tuple[tuple[Path, Declaration | None], ...]:
    out: list[tuple[Path, Declaration | None]] = []
    for path in sorted((REFERENCE / "cmrt").glob("*.xls*")):
        try:
            out.append((path, read_template(path)))
        except MineralComplianceError:
            out.append((path, None))
    return tuple(out)


@cache
def _consolidation() -> Consolidation:
    return consolidate([p for p, _ in _inputs()], executor=ThreadPoolExecutor(1))


def _identifying(decl: Declaration) -> Iterator[tuple[str, str | None]]:
    """(field, value) of every supplier-identifying string of a declaration."""
    c = decl.company
    for name in ("name", "scope_description", "unique_id", "address", "contact_name",
                 "contact_email", "contact_phone", "authorizer", "authorizer_title",
                 "authorizer_email", "authorizer_phone"):
        yield f"company.{name}", getattr(c, name).value
    for metal, questions in decl.answers.items():
        for q, a in questions.items():
            yield f"answer {metal} {q} comment", a.comment.value
    for q, a in decl.company_answers.items():
        yield f"company answer {q} comment", a.comment.value
    for s in decl.smelters:
        for name in ("contact_name", "contact_email", "next_steps", "comments"):
            yield f"smelter row {s.row} {name}", getattr(s, name).value
    for m in decl.mines:
        for name in ("contact_name", "contact_email", "next_steps", "comments"):
            yield f"mine row {m.row} {name}", getattr(m, name).value
    for p in decl.products:
        for name in ("number", "name", "comments"):
            yield f"product row {p.row} {name}", getattr(p, name).value


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _readable(text: str) -> str:
    """A document as a reader sees it: entities resolved, Markdown escapes undone."""
    return _fold(html.unescape(text).replace("\\|", "|"))


def _public_facts(c: Consolidation) -> set[str]:
    """The names and countries of the facilities the public table lists (confirmed ones: the
    spellings of unconfirmed facilities are suppliers' and stay scanned)."""
    return {_fold(x) for s in c.smelters if s.smelter_id and not s.needs_review
            for x in (s.name, s.country or "") if x}


def _excluded(value: str, public: set[str], boilerplate: str) -> bool:
    v = _fold(value)
    return (len(v) < 4 or (len(v) < 6 and not re.search(r"[^\W\d_]", v))
            or v in _TRIVIAL or country_code(value) is not None or v in public
            or v in boilerplate)


def _documents(c: Consolidation) -> dict[str, str]:
    files = {**render_dodd_frank(_profile(), c), **render_eu(_profile(), c)}
    return files


def _scan() -> tuple[list[tuple[int, str, str]], dict[str, str]]:
    """(file index, field, value) of every string scanned, and the documents."""
    c = _consolidation()
    docs = _documents(c)
    empty = c.model_copy(update={"files": (), "smelters": (), "answers": (), "mines": (),
                                 "products": (), "rejected": (), "snapshots": ()})
    blank = _documents(empty)
    boilerplate = " ".join(_readable(blank[n]) for n in PUBLIC_FILES + EU_PUBLIC_FILES
                           if n in blank)
    public = _public_facts(c)
    strings: list[tuple[int, str, str]] = []
    for i, (path, decl) in enumerate(_inputs(), start=1):
        for field, value in (("path", str(path)), ("file name", path.name),
                             ("file stem", path.stem)):
            strings.append((i, field, value))
        if decl is None:
            continue
        for field, text in _identifying(decl):
            if text and text.strip() and not _excluded(text, public, boilerplate):
                strings.append((i, field, text.strip()))
    return strings, docs


def test_the_scan_covers_the_real_supplier_files() -> None:
    strings, _ = _scan()
    readable = [d for _, d in _inputs() if d is not None]
    assert len(readable) >= 8
    assert len({i for i, f, _ in strings if f.startswith("company.")}) >= 4
    assert len(strings) >= 60


def test_no_supplier_string_occurs_in_a_public_document() -> None:
    strings, docs = _scan()
    public = {n: _readable(docs[n]) for n in PUBLIC_FILES + EU_PUBLIC_FILES if n in docs}
    assert set(public) == set(PUBLIC_FILES + EU_PUBLIC_FILES)
    found = [f"{field} of file #{i} in {name}"
             for i, field, value in strings for name, text in public.items()
             if _fold(value) in text]
    assert not found, f"supplier data in public documents: {found}"


def test_public_documents_carry_no_e_mail_path_or_cell() -> None:
    _, docs = _scan()
    for name in ("form-sd.htm", "ex1-01.htm"):
        assert edgar_problems(docs[name]) == [], name
    # what the drafts leave to the company is all on the checklist, and only that
    shown = {m for name in PUBLIC_FILES for m in re.findall(
        r"\[TO BE COMPLETED BY THE COMPANY: ([^\]]+)\]", docs[name])}
    assert shown == set(re.findall(r"\*\*([^*]+)\*\*", docs["checklist.md"]))
    for name in PUBLIC_FILES + EU_PUBLIC_FILES:
        text = html.unescape(docs[name])
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), f"an e-mail in {name}"
        assert not re.search(r"\[[^\]]*![A-Z]{1,3}\d+\]", text), f"a cell reference in {name}"
        assert ".xls" not in text.casefold(), f"a workbook name in {name}"
        assert str(REFERENCE) not in text, f"a path in {name}"
        for instruction in ("--roster", "--cahra", "pass ", "see checklist", "data file",
                            "flagged for resubmission", "left to the company"):
            assert instruction not in text, f"an instruction to the user in {name}"


def test_the_audit_trail_names_every_supplier_and_file() -> None:
    _, docs = _scan()
    for stem in ("audit-trail", "eu-audit-trail"):
        for ext in ("html", "md"):
            text = html.unescape(docs[f"{stem}.{ext}"]).replace("\\|", "|")
            assert "INTERNAL AND CONFIDENTIAL" in text
            for i, (path, decl) in enumerate(_inputs(), start=1):
                assert str(path) in text, f"file #{i} missing from {stem}.{ext}"
                if decl is not None and decl.company.name.value:
                    assert decl.company.name.value in text, \
                        f"company.name of file #{i} missing from {stem}.{ext}"


def test_the_audit_trail_is_self_contained() -> None:
    _, docs = _scan()
    for name in ("audit-trail.html", "eu-audit-trail.html"):
        page = docs[name]
        assert "<style>" in page and "<script" not in page
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page), name
        assert "<link" not in page and "@import" not in page and "url(" not in page


@pytest.mark.parametrize("name", ["checklist.md", "eu-checklist.md"])
def test_instructions_go_to_the_checklist(name: str) -> None:
    _, docs = _scan()
    assert "--roster" in docs[name] or "--cahra" in docs[name]
