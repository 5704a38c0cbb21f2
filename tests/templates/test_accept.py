"""The template versions a campaign accepts: the policy text, the releases the layout
registry knows, the finding for files outside the policy and the advice to use the current
release."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mineral_compliance import AcceptPolicy, PolicyError, validate_file
from mineral_compliance.findings import Basis, Severity
from mineral_compliance.models.consolidation import Consolidation
from mineral_compliance.models.declaration import TemplateKind
from mineral_compliance.rules import consistency
from mineral_compliance.templates import releases
from mineral_compliance.templates._xlsx import patch_cells
from mineral_compliance.templates.layouts import LAYOUTS

from ..conftest import FIXTURES

DEMO = FIXTURES / "demo"
CMRT_501 = DEMO / "cmrt-6.01-numeric-response-rate.xlsx"
CMRT_65 = DEMO / "cmrt-6.5-product-scope.xlsx"
CRT = DEMO / "crt-2.21-cobalt.xlsx"
TODAY = dt.date(2026, 5, 4)
CMRT, EMRT, CRT_KIND, AMRT = (TemplateKind.CMRT, TemplateKind.EMRT, TemplateKind.CRT,
                              TemplateKind.AMRT)

LAYOUTS_2025 = tuple(la for la in LAYOUTS
                     if la.name not in {"cmrt-6.6", "emrt-2.11", "amrt-1.31"})
"""The registry as it stood before the tables of the 2026 releases."""


# -- the policy text ------------------------------------------------------------------------


def test_a_policy_reads_back_as_it_was_written() -> None:
    policy = AcceptPolicy.parse(" cmrt >= 6.5 , EMRT>=2.1,AMRT = 1.3, CRT")
    assert str(policy) == "CMRT>=6.5,EMRT>=2.1,AMRT==1.3,CRT"
    assert policy.families() == (CMRT, EMRT, AMRT, CRT_KIND)
    assert policy.describe() == ("CMRT 6.5 or later; EMRT 2.1 or later; AMRT 1.3; any CRT")
    assert AcceptPolicy.parse(str(policy)) == policy


@pytest.mark.parametrize(("version", "accepted"), [
    ("6.01", False), ("6.1", False), ("6.10", False), ("6.22", False), ("6.31", True),
    ("6.4", True), ("6.5", True), ("6.6", True), ("6.6.1", True), ("7.0", False),
])
def test_versions_compare_as_rmi_numbers_them(version: str, accepted: bool) -> None:
    # the digits after the dot are a decimal fraction: 6.10 is 6.1, before 6.22 and 6.3
    policy = AcceptPolicy.parse("CMRT>=6.3,CMRT<7")
    assert policy.accepts(CMRT, version) is accepted


def test_an_unbranded_reissue_is_the_release_it_reissues() -> None:
    assert releases.release_of("6.6.1") == "6.6"
    assert releases.release_of("2.11") == "2.11"
    assert AcceptPolicy.parse("CMRT==6.6").accepts(CMRT, "6.6.1")
    assert not AcceptPolicy.parse("CMRT>6.6").accepts(CMRT, "6.6.1")
    assert AcceptPolicy.parse("EMRT>=2.11.1").accepts(EMRT, "2.11")


def test_a_family_the_policy_does_not_name_is_not_accepted() -> None:
    policy = AcceptPolicy.parse("CMRT>=6.4")
    assert not policy.accepts(EMRT, "2.1")
    assert policy.accepts(CMRT, "6.4")
    assert AcceptPolicy.parse("EMRT").accepts(EMRT, "1.0")


@pytest.mark.parametrize(("spec", "part", "says"), [
    ("", "", "empty"),
    ("CMRT>=6.5,", "", "a clause is empty"),
    ("CMRT>=6.5,,EMRT", "", "a clause is empty"),
    ("XMRT>=1.0", "XMRT>=1.0", "'XMRT' is not a template family"),
    ("CMRT>=", "CMRT>=", "is not a version number"),
    ("CMRT>=six", "CMRT>=six", "'six' in 'CMRT>=six' is not a version number"),
    ("CMRT=>6.5", "CMRT=>6.5", "'=>' in 'CMRT=>6.5' is not a comparison"),
    ("CMRT!=6.5", "CMRT!=6.5", "not a clause like"),
    ("CMRT>=6.5;EMRT>=2.1", "CMRT>=6.5;EMRT>=2.1", "is not a version number"),
])
def test_a_bad_policy_is_a_typed_error_naming_its_part(spec: str, part: str, says: str) -> None:
    with pytest.raises(PolicyError) as caught:
        AcceptPolicy.parse(spec)
    assert caught.value.part == part
    assert caught.value.spec == spec
    assert says in caught.value.message
    assert caught.value.hint and "CMRT>=6.4" in caught.value.hint


# -- releases from the registry --------------------------------------------------------------


def test_current_and_previous_releases_come_from_the_layout_tables() -> None:
    assert releases.current_release(CMRT) == "6.6"  # 6.6.1 is the same release
    assert releases.previous_release(CMRT) == "6.5"
    assert releases.current_release(EMRT) == "2.11"
    assert releases.previous_release(EMRT) == "2.1"
    assert releases.current_release(AMRT) == "1.31"
    assert str(AcceptPolicy.default()) == "CMRT>=6.5,EMRT>=2.1,CRT>=2.2,AMRT>=1.3"


def test_the_default_moved_when_the_tables_of_the_2026_releases_were_added() -> None:
    assert len(LAYOUTS_2025) == len(LAYOUTS) - 3
    assert releases.current_release(CMRT, LAYOUTS_2025) == "6.5"
    assert releases.previous_release(CMRT, LAYOUTS_2025) == "6.4"
    assert str(AcceptPolicy.default(LAYOUTS_2025)) == "CMRT>=6.4,EMRT>=2.0,CRT>=2.2,AMRT>=1.21"
    assert str(AcceptPolicy.default()) != str(AcceptPolicy.default(LAYOUTS_2025))


# -- the finding ------------------------------------------------------------------------------


def test_a_file_outside_the_default_policy_is_told_to_use_the_current_release() -> None:
    report = validate_file(CMRT_501, today=TODAY)  # CMRT 6.01: default accepts 6.5 and later
    hits = [f for f in report.findings if f.code == "template-version-not-accepted"]
    assert [(f.sheet, f.cell, f.severity, f.basis) for f in hits] == [
        ("Declaration", "J3", Severity.ERROR, Basis.POLICY)]
    assert "CMRT 6.01 is not among the versions this campaign accepts (CMRT 6.5 or later)" \
        in hits[0].message
    assert hits[0].hint == ("ask the supplier to fill in the current release CMRT 6.6 and send "
                            "it again")
    assert not [f for f in validate_file(CMRT_65, today=TODAY).findings
                if f.code == "template-version-not-accepted"]


def test_a_stated_policy_replaces_the_default() -> None:
    wide = AcceptPolicy.parse("CMRT>=6.0")
    assert "template-version-not-accepted" not in validate_file(
        CMRT_501, today=TODAY, accept=wide).codes()
    narrow = AcceptPolicy.parse("CMRT==6.4")
    hit = next(f for f in validate_file(CMRT_65, today=TODAY, accept=narrow).findings
               if f.code == "template-version-not-accepted")
    assert "(CMRT 6.4)" in hit.message
    # the newest release the policy accepts, which is not the current one
    assert hit.hint == "ask the supplier to fill in release CMRT 6.4 and send it again"


def test_a_family_outside_the_policy_is_pointed_at_its_successor() -> None:
    policy = AcceptPolicy.parse("CMRT>=6.4,EMRT>=2.0")
    hit = next(f for f in validate_file(CRT, today=TODAY, accept=policy).findings
               if f.code == "template-version-not-accepted")
    assert hit.message == ("This campaign does not accept the CRT (it accepts CMRT 6.4 or "
                           "later; EMRT 2.0 or later).")
    assert hit.hint == ("ask the supplier to fill in the current release EMRT 2.11 and send it "
                        "again")


# -- the effective date and the current release ---------------------------------------------


def _late(tmp_path: Path) -> Path:
    return patch_cells(CMRT_501, {"Declaration!D22": dt.datetime(2026, 4, 30)},
                       tmp_path / "late.xlsx")


def test_a_date_past_the_old_cap_names_the_current_release(tmp_path: Path) -> None:
    hit = next(f for f in validate_file(_late(tmp_path), today=TODAY).findings
               if f.code == "effective-date-invalid")
    assert "between 31 Dec 2006 and 31 Mar 2026" in hit.message
    assert hit.hint == ("check the date; if it is right, fill in the current release, CMRT 6.6 "
                        "or 6.6.1, rather than back-dating the declaration")


def test_the_named_release_follows_the_registry(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consistency, "current_release",
                        lambda kind: releases.current_release(kind, LAYOUTS_2025))
    hit = next(f for f in validate_file(_late(tmp_path), today=TODAY).findings
               if f.code == "effective-date-invalid")
    assert "the current release, CMRT 6.5," in (hit.hint or "")


def test_a_date_too_early_is_only_checked(tmp_path: Path) -> None:
    early = patch_cells(CMRT_65, {"Declaration!D22": dt.datetime(2006, 12, 31)},
                        tmp_path / "early.xlsx")
    hit = next(f for f in validate_file(early, today=TODAY).findings
               if f.code == "effective-date-invalid")
    assert hit.hint == "check the date"  # no release accepts a date before 2007


# -- the command line and the outputs state the policy -----------------------------------------


def test_validate_takes_a_policy_and_refuses_a_bad_one_naming_its_part(
        capsys: pytest.CaptureFixture[str]) -> None:
    from mineral_compliance.cli import main

    assert main(["validate", str(CMRT_501), "--json", "--accept", "CMRT>=6.0"]) == 0
    assert "template-version-not-accepted" not in capsys.readouterr().out
    assert main(["validate", str(CMRT_501), "--json"]) == 1
    found = json.loads(capsys.readouterr().out)[0]["findings"]
    assert [f["basis"] for f in found if f["code"] == "template-version-not-accepted"] == [
        "policy"]
    with pytest.raises(SystemExit) as exit_:
        main(["validate", str(CMRT_501), "--accept", "CMRT>=6.5,XMRT>=1"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "'XMRT' is not a template family" in err and "--accept" in err
    assert "Traceback" not in err


def _consolidated(tmp_path: Path, accept: AcceptPolicy | None = None) -> Consolidation:
    from concurrent.futures import ThreadPoolExecutor

    from mineral_compliance import consolidate

    inbox = tmp_path / "inbox"
    inbox.mkdir(parents=True)
    (inbox / CMRT_65.name).write_bytes(CMRT_65.read_bytes())
    # another supplier, on CMRT 6.01
    patch_cells(CMRT_501, {"Declaration!D8": "Older Supplier Ltd", "Declaration!D12": "OS-1"},
                inbox / CMRT_501.name)
    return consolidate(inbox, executor=ThreadPoolExecutor(1), accept=accept)


def test_the_consolidation_records_the_policy_in_every_output(tmp_path: Path) -> None:
    import csv

    from mineral_compliance.outputs import write_consolidation

    result = _consolidated(tmp_path)
    assert result.accepted_versions == "CMRT>=6.5,EMRT>=2.1,CRT>=2.2,AMRT>=1.3"
    by_file = {Path(f.file).name: f for f in result.files}
    assert "template-version-not-accepted" in {x.code for x in by_file[CMRT_501.name].findings}
    assert "template-version-not-accepted" not in {x.code for x in by_file[CMRT_65.name].findings}
    assert [Path(f.file).name for f in result.not_accepted()] == [CMRT_501.name]
    out = tmp_path / "out"
    write_consolidation(result, out)
    with (out / "summary.csv").open(encoding="utf-8") as summary:
        rows = dict(csv.reader(summary))
    assert rows["accepted_versions"] == result.accepted_versions
    assert "Template versions accepted: <span id=\"accepted-versions\">CMRT 6.5 or later; " \
        in (out / "report.html").read_text(encoding="utf-8")
    stated = _consolidated(tmp_path / "b", AcceptPolicy.parse("CMRT>=6.0"))
    assert stated.accepted_versions == "CMRT>=6.0"


def test_the_conflict_minerals_report_states_the_accepted_versions(tmp_path: Path) -> None:
    from mineral_compliance.disclosures.documents import render_dodd_frank
    from mineral_compliance.models.profile import CompanyProfile

    profile = CompanyProfile.model_validate({
        "registrant_name": "Example Devices Inc.", "cik": "1234567",
        "state_of_incorporation": "Delaware", "address": "1 Example Way",
        "contact_name": "Compliance Office", "contact_phone": "+1 555 0100",
        "reporting_year": 2025, "website": "https://www.example.com/cm",
        "products": [{"name": "Controllers", "metals": ["Tin", "Gold"], "manufactured": True}]})
    result = _consolidated(tmp_path)
    files = render_dodd_frank(profile, result)
    report = files["ex1-01.md"]
    assert ("The registrant accepted CMRT 6.5 or later; 1 declaration on an earlier version "
            "is included in the figures of this report.") in " ".join(report.split())
    data = json.loads(files["report-data.json"])
    assert data["public"]["accepted_versions"] == result.accepted_versions
    # a consolidation that did not record the policy leaves the statement to the company
    older = result.model_copy(update={"accepted_versions": None})
    files = render_dodd_frank(profile, older)
    assert "[TO BE COMPLETED BY THE COMPANY: Template versions accepted]" in files["ex1-01.md"]
    assert "Template versions accepted" in files["checklist.md"]
