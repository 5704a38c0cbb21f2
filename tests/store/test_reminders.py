"""Reminder drafts as a library: headers no roster text can break, wording by due date,
file names made safe, the RMI's own instruction where a finding carries one, and a run
written and recorded all or nothing."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mineral_compliance.errors import OutputError
from mineral_compliance.store import Campaign, RosterEntry, draft_reminders, write_reminders
from mineral_compliance.store.reminders import address_problem, rmi_instruction
from mineral_compliance.store.schema import RequestRow
from mineral_compliance.templates._xlsx import patch_cells

from ..conftest import FIXTURES

DEMO = FIXTURES / "demo"
DUE = dt.date(2027, 3, 31)
NOW = dt.datetime(2027, 2, 1, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'campaign.db'}"


@pytest.fixture
def campaign(url: str) -> Iterator[Campaign]:
    c = Campaign.create(url, name="RY2026", year=2026, due=DUE, families=("CMRT",), roster=[
        RosterEntry("Acme Widgets Example Ltd.", email="acme@example.com"),
        RosterEntry("Never Answers Example GmbH", email="never@example.com")])
    yield c
    c.close()


def _parsed(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_no_roster_text_adds_a_header_or_a_recipient(url: str) -> None:
    c = Campaign.create(url, name="RY2026\r\nBcc: spy@example.com", year=2026, due=DUE,
                        roster=[
                            RosterEntry("Evil Corp\r\nBcc: spy@example.com",
                                        email="ok@example.com"),
                            RosterEntry("Second Ltd", email="victim@example.com\r\nBcc: "
                                                            "spy@example.com"),
                            RosterEntry("Grouped Ltd", email="list: a@example.com;"),
                            RosterEntry("Twice Inc", email="a@example.com; b@example.com"),
                            RosterEntry("No Domain Ltd", email="someone"),
                            RosterEntry("Z\u00fcrich M\u00e9taux S.A.\u202e",
                                        email="zurich@example.com")])
    try:
        drafts = {d.supplier.split("\r")[0]: d for d in draft_reminders(
            c.engine, c.info, today=dt.date(2027, 1, 1), now=NOW)}
    finally:
        c.close()
    assert len(drafts) == 6
    for d in drafts.values():
        raw = d.eml()
        assert b"\nBcc:" not in raw and b"\rBcc:" not in raw
        msg = _parsed(raw)
        assert msg["Bcc"] is None
        assert "\n" not in str(msg["Subject"]) and "\r" not in str(msg["Subject"])
        assert str(msg["Subject"]).startswith("RY2026 Bcc: spy@example.com, reporting year "
                                              "2026: ")
    assert drafts["Evil Corp"].to == "ok@example.com"
    assert "(Evil Corp Bcc: spy@example.com)" in str(_parsed(drafts["Evil Corp"].eml())[
        "Subject"])
    for name in ("Second Ltd", "Grouped Ltd", "No Domain Ltd"):
        assert drafts[name].to is None and _parsed(drafts[name].eml())["To"] is None
        assert drafts[name].address_problem is not None
    assert "line break" in (drafts["Second Ltd"].address_problem or "")
    assert _parsed(drafts["Twice Inc"].eml())["To"] == "a@example.com, b@example.com"
    # non-ASCII survives the encoded header; the bidirectional override does not
    subject = str(_parsed(drafts["Z\u00fcrich M\u00e9taux S.A.\u202e"].eml())["Subject"])
    assert subject.endswith("(Z\u00fcrich M\u00e9taux S.A.)")


def test_a_sender_must_be_an_address() -> None:
    assert address_problem("Buyer <buyer@example.com>") is None
    assert address_problem("buyer@example.com\nBcc: x@example.com") is not None
    assert address_problem("buyer") is not None


def test_the_wording_follows_the_due_date(url: str) -> None:
    c = Campaign.create(url, name="RY2026", year=2026, due=DUE,
                        roster=[RosterEntry("Quiet Ltd")])
    other = Campaign.create(url, name="open", year=2026, roster=[RosterEntry("Quiet Ltd")])
    try:
        (before,) = draft_reminders(c.engine, c.info, today=dt.date(2027, 3, 1))
        (after,) = draft_reminders(c.engine, c.info, today=dt.date(2027, 4, 1))
        (undated,) = draft_reminders(other.engine, other.info)
    finally:
        c.close()
        other.close()
    flat = {k: " ".join(d.text.split()) for k, d in
            (("before", before), ("after", after), ("undated", undated))}
    assert "It is due on 2027-03-31." in flat["before"]
    assert "Send it back to us as an .xlsx file by 2027-03-31." in flat["before"]
    assert "It was due on 2027-03-31." in flat["after"]
    assert "as soon as possible" in flat["after"]
    assert "due" not in undated.subject and "as soon as you can" in flat["undated"]
    assert before.subject == after.subject == (
        "RY2026, reporting year 2026: your responsible-minerals reporting template due "
        "2027-03-31 (Quiet Ltd)")
    assert before.to is None and before.address_problem is None  # none known: none said
    assert before.text.startswith("Dear colleagues at Quiet Ltd,\n")


def test_a_supplier_writing_in_french_gets_the_rmi_instruction_in_french(
        campaign: Campaign, tmp_path: Path) -> None:
    from ..templates.test_instructions import hostile

    french = patch_cells(hostile(tmp_path), {"Declaration!D8": "Acme Widgets Example Ltd."},
                         tmp_path / "acme-fr.xlsx")
    campaign.ingest([french])
    acme = next(r for r in draft_reminders(campaign.engine, campaign.info)
                if r.supplier == "Acme Widgets Example Ltd.")
    findings = [f for x in acme.files for f in x.findings]
    scope = next(f for f in findings if f.checker_item == "Declaration!D9")
    assert (scope.instruction, scope.instruction_language) == (
        "Sélectionnez le champ (D9)", "fr")
    assert "RMI instruction: [fr] Sélectionnez le champ (D9)" in acme.text
    # one line per finding that carries one, none for the others
    carried = [rmi_instruction(f) for f in findings]
    assert acme.text.count("RMI instruction: ") == sum(c is not None for c in carried) >= 1
    assert rmi_instruction(scope.model_copy(update={"instruction": None})) is None


def test_file_names_are_safe_and_unique_and_the_run_is_recorded(
        url: str, tmp_path: Path) -> None:
    c = Campaign.create(url, name="RY2026", year=2026, due=DUE, roster=[
        RosterEntry("A/B Ltd"), RosterEntry("A_B Ltd"), RosterEntry("../../escape"),
        RosterEntry("index"), RosterEntry("CON")])
    out = tmp_path / "drafts"
    try:
        report = write_reminders(c.engine, c.info, out, now=NOW)
        with Session(c.engine) as session:
            rows = session.scalars(select(RequestRow).order_by(RequestRow.id)).all()
            recorded = [(r.kind, r.reason, r.drafted.replace(tzinfo=dt.UTC), r.file)
                        for r in rows]
    finally:
        c.close()
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert all(p.parent == out for p in report.written)
    assert {p.name for p in report.written} == set(names)
    # in name order: the second A_B numbered, "index" kept clear of index.csv, a device
    # name and a path made plain names
    assert names == sorted(["index.csv"] + [f"{stem}.{ext}" for stem in (
        "A_B Ltd", "A_B Ltd (2)", "escape", "index (2)", "CON_") for ext in ("txt", "eml")])
    assert recorded == [("reminder", "no-answer", NOW, str(p.resolve()))
                        for p in report.written if p.suffix == ".eml"]


def test_a_run_that_cannot_be_written_writes_and_records_nothing(
        campaign: Campaign, tmp_path: Path) -> None:
    out = tmp_path / "drafts"
    (out / "Never Answers Example GmbH.eml").mkdir(parents=True)  # a folder in the way
    with pytest.raises(OutputError):
        campaign.remind(out)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "Never Answers Example GmbH.eml"]
    with Session(campaign.engine) as session:
        assert session.scalars(select(RequestRow)).all() == []


def test_a_second_run_removes_the_drafts_no_longer_due(url: str, tmp_path: Path) -> None:
    c = Campaign.create(url, name="RY2026", year=2026, due=DUE, roster=[
        RosterEntry("Power Modules Example Inc.", unique_id="EBR-400066"),
        RosterEntry("Never Answers Example GmbH")])
    out = tmp_path / "drafts"
    try:
        first = c.remind(out)
        assert [r.supplier for r in first.reminders] == ["Never Answers Example GmbH",
                                                         "Power Modules Example Inc."]
        (out / "notes.txt").write_text("the user's own file", encoding="utf-8")
        c.ingest([DEMO / "cmrt-6.6-requester-products.xlsx"])  # Power Modules, valid
        second = c.remind(out)
    finally:
        c.close()
    assert [r.supplier for r in second.reminders] == ["Never Answers Example GmbH"]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "Never Answers Example GmbH.eml", "Never Answers Example GmbH.txt", "index.csv",
        "notes.txt"]
