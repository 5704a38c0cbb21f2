"""The disclosure documents as rendered: golden files for fixed inputs, and escaping that holds
against names written to break it.

The golden files in ``tests/disclosures/golden/`` are the project's own output. After a
deliberate change to a template or to the data, regenerate them and review the diff::

    UPDATE_GOLDEN=1 python -m pytest tests/disclosures/test_disclosure_documents.py

The inputs are fixed (the demo templates, fixed import records, a fixed reporting year), and
the reference-data snapshots, which carry the paths and digests of the files read, are left out
of the data files compared; the audit trails name the supplier files they rest on, whose
folders are written as ``<inputs>`` and ``<root>``, so the golden files hold no path and no
date of the run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lxml import etree, html

from mineral_compliance.consolidation import consolidate
from mineral_compliance.disclosures import edgar_problems
from mineral_compliance.disclosures.data import DoddFrankData, EuData, EuSmelterRow, SmelterRow
from mineral_compliance.disclosures.documents import render_form_sd, report_data
from mineral_compliance.disclosures.eu import scope
from mineral_compliance.disclosures.eu_report import eu_report_data, render_eu_report
from mineral_compliance.models.matching import Flag, StatusKind
from mineral_compliance.models.profile import CompanyProfile
from mineral_compliance.refdata import load_cahra

from ..conftest import FIXTURES, ROOT
from ..disclosures.test_dodd_frank import _base_profile, _report_case
from ..disclosures.test_eu_scope import IMPORTS

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

HOSTILE = "Caf\u00e9 <b>Tin</b> & Gold | \u201cQ\u201d \u4e2d"
"""A company name with markup, an ampersand, a Markdown cell separator and non-ASCII text."""


def _portable(files: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """``files`` with the folders of the run's inputs written as placeholders."""
    out = {}
    for name, text in files.items():
        for folder, mark in ((tmp_path, "<inputs>"), (ROOT, "<root>")):
            for form in (json.dumps(str(folder))[1:-1], str(folder)):
                text = text.replace(form, mark)
        out[name] = text
    return out


def _matches_golden(folder: str, files: dict[str, str], tmp_path: Path) -> None:
    """``files`` equal the golden files of ``folder``, one for one (written instead when
    UPDATE_GOLDEN=1)."""
    where = GOLDEN / folder
    files = _portable(files, tmp_path)
    for name, text in files.items():
        assert str(tmp_path) not in text and str(ROOT) not in text, name
        assert not re.search(r"\d\d:\d\d:\d\d", text), name  # no time of the run
    if UPDATE:
        where.mkdir(parents=True, exist_ok=True)
        for old in where.iterdir():
            old.unlink()
        for name, text in files.items():
            (where / name).write_bytes(text.encode("utf-8"))
        return
    assert sorted(p.name for p in where.iterdir()) == sorted(files), \
        "the set of documents changed; UPDATE_GOLDEN=1 regenerates the golden files"
    for name, text in files.items():
        assert (where / name).read_bytes().decode("utf-8") == text, \
            f"{folder}/{name} differs from its golden file; UPDATE_GOLDEN=1 regenerates it"


def _no_snapshots(data: DoddFrankData) -> DoddFrankData:
    return data.model_copy(update={"internal": data.internal.model_copy(
        update={"snapshots": ()})})


def _form_sd(tmp_path: Path) -> DoddFrankData:
    profile, c = _report_case(tmp_path)
    return _no_snapshots(report_data(profile, c))


def _eu(tmp_path: Path) -> EuData:
    c = consolidate([FIXTURES / "demo"], executor=ThreadPoolExecutor(2))
    imports = tmp_path / "imports.csv"
    imports.write_text(IMPORTS + "2025-10-01,8001 10 00,,10,Example,Myanmar,no,no,\n",
                       encoding="utf-8")
    cahra = tmp_path / "cahra.json"
    cahra.write_text(json.dumps({"meta": {}, "entries": [
        {"iso2": "MM", "countryName": "Myanmar", "regions": [
            {"name": "Example", "code": "MM-11", "conflictAffected": True,
             "highRisk": True}]}]}), encoding="utf-8")
    # a list without a date of its own is dated by its file: fixed, so the golden files hold
    noon = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC).timestamp()
    os.utime(cahra, (noon, noon))
    profile = CompanyProfile.model_validate({
        "registrant_name": "Example Importer GmbH", "state_of_incorporation": "Hamburg",
        "address": "Example Street 1", "contact_name": "Compliance", "contact_phone": "+49 1",
        "reporting_year": 2025, "products": [],
        "memberships": ["Responsible Minerals Initiative"]})
    data = eu_report_data(profile, c, scope(imports), load_cahra(cahra))
    return data.model_copy(update={"internal": data.internal.model_copy(
        update={"snapshots": ()})})


# -- golden files -----------------------------------------------------------------------------

def test_form_sd_and_the_report_match_their_golden_files(tmp_path: Path) -> None:
    files = render_form_sd(_form_sd(tmp_path))
    assert set(files) == {"form-sd.htm", "form-sd.md", "ex1-01.htm", "ex1-01.md",
                          "checklist.md", "audit-trail.html", "audit-trail.md",
                          "report-data.json"}
    _matches_golden("sec-report", files, tmp_path)


def test_form_sd_without_a_report_matches_its_golden_files(tmp_path: Path) -> None:
    _, c = _report_case(tmp_path)
    bare = CompanyProfile.model_validate({**_base_profile(), "cik": None, "products": []})
    data = _no_snapshots(report_data(bare, c))
    files = render_form_sd(data)
    assert set(files) == {"form-sd.htm", "form-sd.md", "checklist.md", "audit-trail.html",
                          "audit-trail.md", "report-data.json"}
    _matches_golden("sec-no-report", files, tmp_path)


def test_the_eu_documents_match_their_golden_files(tmp_path: Path) -> None:
    files = render_eu_report(_eu(tmp_path))
    _matches_golden("eu", files, tmp_path)


def test_the_data_files_are_the_models_dumped(tmp_path: Path) -> None:
    sec = _form_sd(tmp_path)
    dumped = json.loads(render_form_sd(sec)["report-data.json"])
    assert set(dumped) == {"public", "internal"}
    assert DoddFrankData.model_validate(dumped) == sec
    eu = _eu(tmp_path)
    dumped = json.loads(render_eu_report(eu)["eu-report-data.json"])
    assert set(dumped) == {"public", "internal"}
    assert EuData.model_validate(dumped) == eu


# -- escaping ---------------------------------------------------------------------------------

def _text(element: etree._Element) -> str:
    return "".join(str(t) for t in element.itertext())


def _hostile_sec(tmp_path: Path) -> DoddFrankData:
    full = _form_sd(tmp_path)
    data = full.public
    products = ({"name": "Boards | Cables", "metals": ["Tin"], "manufactured": True},)
    profile = CompanyProfile.model_validate({
        **data.registrant.model_dump(), "registrant_name": HOSTILE, "products": products,
        "address": "1 Rue <i>de</i> l'\u00c9glise\nCedex", "memberships": ["A & B <x>"],
        "website": 'https://example.com/?a=1&b="2"'})
    smelter = SmelterRow(metal="Tin", name="<script>alert(1)</script> | \u00d6 Smelter",
                         country="Ivory\nCoast", smelter_id="CID000001",
                         status=StatusKind.CONFORMANT)
    return full.model_copy(update={"public": data.model_copy(
        update={"registrant": profile, "smelters": (smelter,)})})


@pytest.mark.parametrize("name", ["form-sd.htm", "ex1-01.htm"])
def test_edgar_html_escapes_every_value_and_stays_ascii(tmp_path: Path, name: str) -> None:
    text = render_form_sd(_hostile_sec(tmp_path))[name]
    assert edgar_problems(text) == []
    assert text.isascii()
    assert "<b>Tin" not in text and "<script>" not in text and "<x>" not in text
    assert "Caf&#233; &lt;b&gt;Tin&lt;/b&gt; &amp; Gold | &#8220;Q&#8221; &#20013;" in text
    # what a browser (and EDGAR) reads back is the name as given, character for character
    doc = html.document_fromstring(text)
    shown = " ".join(_text(t) for t in doc.iter("h1", "p"))
    assert HOSTILE in shown


def test_edgar_html_escapes_table_cells_and_lists(tmp_path: Path) -> None:
    text = render_form_sd(_hostile_sec(tmp_path))["ex1-01.htm"]
    doc = html.document_fromstring(text)
    cells = [_text(c) for c in doc.iter("td")]
    assert "<script>alert(1)</script> | \u00d6 Smelter" in cells
    assert "Boards | Cables" in cells
    assert "It is a member of A & B <x>." in _text(doc)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | &#214; Smelter" in text


def test_markdown_escapes_table_cells(tmp_path: Path) -> None:
    report = render_form_sd(_hostile_sec(tmp_path))["ex1-01.md"]
    assert "| Boards \\| Cables | Tin | manufactured |" in report
    assert ("| Conformant | Tin | <script>alert(1)</script> \\| \u00d6 Smelter | Ivory Coast "
            "| CID000001 |") in report
    table_rows = [line for line in report.splitlines()
                  if line.startswith("| Conformant | Tin | <script>")]
    assert len(table_rows) == 1  # a line break in a value does not end the row


def test_a_line_break_in_a_value_does_not_break_a_heading_or_paragraph(
        tmp_path: Path) -> None:
    full = _hostile_sec(tmp_path)
    data = full.public
    named = full.model_copy(update={"public": data.model_copy(update={
        "registrant": data.registrant.model_copy(
            update={"registrant_name": "Example\nDevices"})})})
    files = render_form_sd(named)
    assert "# Example Devices - Conflict Minerals Report" in files["ex1-01.md"]
    assert "Principal executive offices: 1 Rue <i>de</i> l'\u00c9glise Cedex\n" in \
        files["form-sd.md"]
    assert "<p>Principal executive offices: 1 Rue &lt;i&gt;de&lt;/i&gt; l&#x27;&#201;glise " \
           "Cedex</p>" in files["form-sd.htm"]


def test_the_eu_report_escapes_every_value(tmp_path: Path) -> None:
    full = _eu(tmp_path)
    data = full.public
    importer = data.importer.model_copy(update={"registrant_name": HOSTILE})
    smelter = EuSmelterRow(metal="Tin", name="A | <b>B</b> \u00e9", country=None,
                           smelter_id="CID000002", status=StatusKind.UNKNOWN,
                           flags=(Flag.CAHRA,))
    files = render_eu_report(full.model_copy(update={"public": data.model_copy(
        update={"importer": importer, "smelters": (smelter,)})}))
    page = files["eu-annual-report.htm"]
    assert edgar_problems(page) == [] and page.isascii()
    doc = html.document_fromstring(page)
    assert HOSTILE in doc.findtext(".//h1", "")
    assert [_text(c) for c in doc.iter("td")][-5:] == [
        "Status unknown", "Tin", "A | <b>B</b> \u00e9", "-", "CID000002"]
    assert "| Status unknown | Tin | A \\| <b>B</b> \u00e9 | - | CID000002 |" in \
        files["eu-annual-report.md"]


def test_every_statement_the_templates_mark_is_on_the_checklist(tmp_path: Path) -> None:
    """The templates ask the data for each slot by key; every slot they show is listed, and
    nothing the checklist lists is missing from the documents."""
    def marked(files: dict[str, str], checklist: str) -> tuple[set[str], set[str]]:
        shown = {m for name, text in files.items() if name != checklist
                 for m in re.findall(r"\[TO BE COMPLETED BY THE COMPANY: ([^\]]+)\]", text)}
        listed = set(re.findall(r"\*\*([^*]+)\*\*", files[checklist]))
        return shown, listed

    sec = _form_sd(tmp_path)
    shown, listed = marked(render_form_sd(sec), "checklist.md")
    assert shown == listed == {s.title for s in sec.public.checklist}
    eu = _eu(tmp_path)
    shown, listed = marked(render_eu_report(eu), "eu-checklist.md")
    assert shown == listed == {s.title for s in eu.public.slots}

