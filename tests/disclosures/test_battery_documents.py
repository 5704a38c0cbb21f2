"""The battery due-diligence documents, end to end from the demo EMRTs and CRTs: the public
report draft and passport fields carry aggregates only, the verification pack names every
file behind them, the HTML is self-contained and escaped, and the command fails cleanly."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import pytest

from mineral_compliance.cli import main
from mineral_compliance.consolidation import load_consolidation
from mineral_compliance.disclosures.battery import battery_scope, load_battery_rules
from mineral_compliance.disclosures.battery_report import PUBLIC_FILES, SLOTS, render_battery
from mineral_compliance.disclosures.battery_rollup import battery_rollup
from mineral_compliance.disclosures.dodd_frank import load_profile
from mineral_compliance.models.consolidation import Consolidation
from mineral_compliance.upstream.risk import build_risk_register

from ..conftest import ROOT

PROFILE = ROOT / "fixtures" / "demo" / "company-profile.toml"
AS_OF = "2026-12-02"
FILES = {"battery-due-diligence-report.htm", "battery-due-diligence-report.md",
         "battery-passport-due-diligence.json", "battery-verification-pack.html",
         "battery-verification-pack.md", "battery-verification-pack.json",
         "battery-checklist.md"}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Consolidation, Path]:
    root = tmp_path_factory.mktemp("battery")
    assert main(["consolidate", "-o", str(root / "cons"), "--no-progress"]) == 0
    out = root / "out"
    assert main(["report", "battery", "--consolidation", str(root / "cons"), "-o", str(out),
                 "--as-of", AS_OF]) == 0
    return load_consolidation(root / "cons"), out


def _identities(c: Consolidation) -> set[str]:
    """What names a supplier or its files: company names, supplier keys, file paths and
    names, and the names of the mines they declare."""
    out: set[str] = set()
    for f in c.files:
        path = f.file.split("!")[0]
        out.update(x for x in (f.company, f.supplier, path, Path(path).name, Path(path).stem)
                   if x)
    out.update(m.name for m in c.mines if m.name)
    out.update(m.supplier for m in c.mines)
    return {x for x in out if len(x.strip()) >= 4}


def test_every_document_is_written(run: tuple[Consolidation, Path]) -> None:
    _, out = run
    assert {p.name for p in out.iterdir() if p.name != ".mineral-compliance-manifest.json"} == FILES
    assert set(PUBLIC_FILES) < FILES


def test_public_documents_name_no_supplier_and_the_pack_names_every_file(
        run: tuple[Consolidation, Path]) -> None:
    c, out = run
    names = _identities(c)
    assert names
    for doc in PUBLIC_FILES:
        text = html.unescape((out / doc).read_text(encoding="utf-8"))
        for i, name in enumerate(sorted(names)):
            assert name not in text, f"identity #{i} found in {doc}"
    for doc in ("battery-verification-pack.html", "battery-verification-pack.md"):
        text = html.unescape((out / doc).read_text(encoding="utf-8")).replace("\\|", "|")
        assert "INTERNAL AND CONFIDENTIAL" in text
        for f in c.files:
            assert f.file.split("!")[0] in text, doc
            if f.company:
                assert f.company in text, doc
        for m in c.mines:
            if m.metal in ("Cobalt", "Lithium", "Nickel", "Graphite"):
                assert f"{m.file} [{m.sheet}!{m.cell}]" in text, doc


def test_the_figures_are_the_rollups(run: tuple[Consolidation, Path]) -> None:
    c, out = run
    rules = load_battery_rules()
    rollup = battery_rollup(c, rules, build_risk_register(c))
    lines = (out / "battery-due-diligence-report.md").read_text(encoding="utf-8").splitlines()
    for m in rollup.materials:
        row = next(x for x in lines if x.startswith(f"| {m.annex} {m.material} |"))
        cells = [x.strip() for x in row.strip("|").split("|")]
        assert int(cells[1]) == m.declaring and int(cells[2]) == len(m.processors)
        assert sum(int(x) for x in cells[3:8]) == len(m.processors)
        assert int(cells[8]) == m.flagged
    cobalt = next(m for m in rollup.materials if m.material == "Cobalt")
    assert cobalt.processors and cobalt.mines  # the demo exercises every column
    passport = json.loads((out / "battery-passport-due-diligence.json").read_text("utf-8"))
    scope = battery_scope(load_profile(PROFILE), dt.date.fromisoformat(AS_OF), rules)
    assert passport["passport_required"] is scope.passport is True
    assert passport["due_diligence_obligation"] == scope.status == "applies-from"
    assert passport["annex_xiii_confirmed"] is False
    assert [m["processors"] for m in passport["raw_materials"]] == [
        len(m.processors) for m in rollup.materials]
    pack = json.loads((out / "battery-verification-pack.json").read_text("utf-8"))
    assert pack["rollup"]["gaps"] == list(rollup.gaps)
    checks = pack["trail"]["sections"][0]
    assert checks["title"] == "What was checked, on which data"
    read = [f for f in c.files if f.kind in ("EMRT", "CRT")]
    assert checks["entries"][0]["value"] == str(len(read)) and len(read) >= 4
    assert [x["locations"][0] for x in checks["entries"][0]["facts"]] == [f.file for f in read]
    checklist = (out / "battery-checklist.md").read_text(encoding="utf-8")
    assert all(s.title in checklist for s in SLOTS)
    report = (out / "battery-due-diligence-report.md").read_text(encoding="utf-8")
    assert all(s.marker in report for s in SLOTS)


def test_html_is_self_contained(run: tuple[Consolidation, Path]) -> None:
    _, out = run
    for name in ("battery-due-diligence-report.htm", "battery-verification-pack.html"):
        page = (out / name).read_text(encoding="utf-8")
        assert "<script" not in page and "<link" not in page and "@import" not in page
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page), name
        assert "url(" not in page, name
    report = (out / "battery-due-diligence-report.htm").read_bytes()
    assert report.isascii()  # as the EDGAR documents: other characters as entities


def test_text_from_the_profile_cannot_become_markup(run: tuple[Consolidation, Path]) -> None:
    c, _ = run
    profile = load_profile(PROFILE).model_copy(
        update={"registrant_name": "<script>alert(1)</script> Gr\u00fcn & Co"})
    docs = render_battery(profile, c, dt.date.fromisoformat(AS_OF))
    page = docs["battery-due-diligence-report.htm"]
    assert "<script>" not in page and "&lt;script&gt;" in page and "&amp; Co" in page
    assert "Gr&#252;n" in page
    assert "<script>alert(1)</script> Gr\u00fcn & Co" in docs["battery-due-diligence-report.md"]


def test_the_command_fails_cleanly(run: tuple[Consolidation, Path], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run
    cons = out.parent / "cons"
    bad = tmp_path / "rules.json"
    bad.write_text("{", encoding="utf-8")
    assert main(["report", "battery", "--consolidation", str(cons), "-o",
                 str(tmp_path / "a"), "--rules", str(bad)]) == 2
    assert "not a battery due-diligence table" in capsys.readouterr().err
    plain = tmp_path / "plain.toml"
    plain.write_text(PROFILE.read_text(encoding="utf-8").split("\n[battery]")[0] + "\n",
                     encoding="utf-8")
    assert main(["report", "battery", "--consolidation", str(cons), "--profile", str(plain),
                 "-o", str(tmp_path / "b")]) == 2
    assert "no [battery] section" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    with pytest.raises(SystemExit):
        main(["report", "battery", "--consolidation", str(cons), "--as-of", "2026-13-01"])
    assert "is not a date" in capsys.readouterr().err



def test_no_field_a_supplier_declared_occurs_in_a_public_document(
        run: tuple[Consolidation, Path]) -> None:
    """As the SEC and EU documents are checked over real files (test_public_documents): every
    identifying field of every EMRT and CRT consolidated (company, contacts, authorizer,
    comments, Smelter and Mine List contacts and notes, products) is looked for in the public
    battery documents. (The EMRTs and CRTs among the reference files are blank templates, so
    the demo's declarations, which fill these fields, are the ones scanned.) No value is
    printed."""
    from mineral_compliance import read_template

    from .test_public_documents import _excluded, _fold, _identifying, _public_facts, _readable

    c, out = run
    profile = load_profile(PROFILE)
    empty = c.model_copy(update={"files": (), "smelters": (), "answers": (), "mines": (),
                                 "products": (), "rejected": (), "snapshots": ()})
    blank = render_battery(profile, empty, dt.date.fromisoformat(AS_OF))
    boilerplate = " ".join(_readable(blank[n]) for n in PUBLIC_FILES)
    public = _public_facts(c)
    paths = sorted({Path(f.file.split("!")[0]) for f in c.files if f.kind in ("EMRT", "CRT")})
    strings = [(i, field, text.strip()) for i, path in enumerate(paths, start=1)
               for field, text in _identifying(read_template(path))
               if text and text.strip() and not _excluded(text, public, boilerplate)]
    assert len(paths) >= 4 and len({i for i, f, _ in strings if f.startswith("company.")}) >= 4
    assert any(f.startswith(("product row", "answer")) for _, f, _ in strings)
    texts = {n: _readable((out / n).read_text(encoding="utf-8")) for n in PUBLIC_FILES}
    found = [f"{field} of file #{i} in {name}" for i, field, value in strings
             for name, text in texts.items() if _fold(value) in text]
    assert not found, f"supplier data in public battery documents: {found}"
    pack = _readable((out / "battery-verification-pack.md").read_text(encoding="utf-8"))
    assert any(_fold(v) in pack for _, f, v in strings if f == "company.name")


def test_mines_unnamed_or_in_a_country_not_resolved(run: tuple[Consolidation, Path]) -> None:
    """Each unnamed mine counts as one; a country the supplier wrote that resolves to none is
    counted, and its text stays out of the public documents."""
    c, _ = run
    seed = next(m for m in c.mines if m.metal == "Cobalt")
    odd = "Acme Cobalt Ltd, Kolwezi pit 3"
    extra = [seed.model_copy(update={"name": None, "cell": f"C{9 + i}", "country": odd,
                                     "country_code": None}) for i in range(3)]
    extra.append(seed.model_copy(update={"name": None, "cell": "C20"}))
    more = c.model_copy(update={"mines": (*c.mines, *extra)})
    rollup = battery_rollup(more, load_battery_rules())
    cobalt = next(m for m in rollup.materials if m.material == "Cobalt")
    assert [(x.country_code, x.mines) for x in cobalt.mines] == [("FI", 2), (None, 3)]
    docs = render_battery(load_profile(PROFILE), more, dt.date.fromisoformat(AS_OF))
    for name in PUBLIC_FILES:
        assert "Kolwezi" not in docs[name], name
    assert "a country not resolved" in docs["battery-due-diligence-report.md"]
    assert "Kolwezi" in docs["battery-verification-pack.md"]
