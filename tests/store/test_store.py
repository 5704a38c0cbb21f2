"""The campaign store on SQLite and on PostgreSQL: migrations, idempotent ingest,
resubmissions, the consolidation from the store, status, personal data and erasure."""

from __future__ import annotations

import datetime as dt
import gc
import os
import shutil
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.orm import Session

from mineral_compliance import consolidate
from mineral_compliance.errors import StoreError
from mineral_compliance.models.consolidation import SmelterSource, SupplierFile
from mineral_compliance.models.findings import Finding
from mineral_compliance.store import (
    Campaign,
    RosterEntry,
    head_revision,
    migrate,
    open_engine,
    revision_of,
)
from mineral_compliance.store.codec import ERASED, decode_loaded
from mineral_compliance.store.schema import Base, Contact, Submission
from mineral_compliance.templates._xlsx import patch_cells

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
CMRT = ["cmrt-6.01-numeric-response-rate.xlsx", "cmrt-6.22-messy-answers.xlsx",
        "cmrt-6.5-product-scope.xlsx", "cmrt-6.6-requester-products.xlsx"]
ROSTER = [RosterEntry("Acme Widgets Example Ltd.", email="orders@acme.example"),
          RosterEntry("Power Modules Example Inc.", unique_id="EBR-400066"),
          RosterEntry("Silent Supplier Example GmbH", email="info@silent.example")]


def _inbox(tmp_path: Path, names: Iterable[str] = CMRT, folder: str = "inbox") -> Path:
    inbox = tmp_path / folder
    inbox.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(DEMO / name, inbox / name)
    return inbox


class Recording(Executor):
    """A thread pool that remembers every input it was asked to read."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(2)
        self.read: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.read.append(args[0].label)
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait, cancel_futures=cancel_futures)


def test_migrations_from_an_empty_database_and_from_the_previous_revision(
        store_url: str) -> None:
    engine = open_engine(store_url)
    assert revision_of(engine) is None
    migrate(engine, "0001")
    assert revision_of(engine) == "0001"
    with engine.connect() as conn:
        tables = set(Base.metadata.tables) - {"requests", "files_seen"}
        assert tables <= set(conn.dialect.get_table_names(conn))
        assert "files_seen" not in conn.dialect.get_table_names(conn)
    migrate(engine, "0002")
    with engine.connect() as conn:
        assert "files_seen" in conn.dialect.get_table_names(conn)
        assert "ix_submissions_group" not in {
            i["name"] for i in conn.dialect.get_indexes(conn, "submissions")}
    migrate(engine)  # from the previous revision to the newest
    assert revision_of(engine) == head_revision() == "0003"
    # the migrated schema is the mapping's, column for column and index for index
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert "ix_submissions_group" in {
            i["name"] for i in conn.dialect.get_indexes(conn, "submissions")}
    # and back down to the previous revision and up again
    from alembic import command

    from mineral_compliance.store.engine import _config

    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    assert revision_of(engine) == "0002"
    migrate(engine)
    assert revision_of(engine) == "0003"
    engine.dispose()


def test_a_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    Campaign.create(url, name="RY2026", year=2026).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match="revision 9999, which this version"):
        Campaign.open(url)


def test_ingest_is_idempotent_and_a_changed_file_is_a_resubmission(
        store_url: str, tmp_path: Path) -> None:
    campaign = Campaign.create(store_url, name="RY2025", year=2025, roster=ROSTER,
                               due=dt.date(2026, 3, 31))
    inbox = _inbox(tmp_path)
    first = Recording()
    report = campaign.ingest([inbox], executor=first)
    assert sorted(Path(p).name for p in first.read) == sorted(CMRT)
    # Acme sent three CMRTs: the first read is new, the two others resubmissions
    assert report.summary() == {"new": 2, "resubmitted": 2, "unchanged": 0, "unreadable": 0}
    again = Recording()
    assert campaign.ingest([inbox], executor=again).summary() == {
        "new": 0, "resubmitted": 0, "unchanged": 4, "unreadable": 0}
    assert again.read == []  # nothing read again
    # the same content under another name, and from inside an archive, is the same file
    shutil.make_archive(str(tmp_path / "mail"), "zip", inbox)
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(inbox / CMRT[0], copy / "renamed.xlsx")
    assert campaign.ingest([copy, tmp_path / "mail.zip"]).summary()["unchanged"] == 5
    with Session(campaign.engine) as s:
        rows = s.execute(select(Submission.original_name, Submission.status,
                                Submission.superseded_by, Submission.id)).all()
    assert len(rows) == 4
    status = {Path(n).name: st for n, st, _, _ in rows}
    assert status == {CMRT[0]: "superseded", CMRT[1]: "errors", CMRT[2]: "superseded",
                      CMRT[3]: "valid"}
    # Acme fixes its file: the later effective date makes the new one current
    fixed = patch_cells(inbox / CMRT[2], {"Declaration!D22": dt.date(2025, 6, 30)},
                        tmp_path / "acme-fixed.xlsx")
    report = campaign.ingest([fixed])
    assert [(f.outcome, f.supplier) for f in report.files] == [
        ("resubmitted", "name:acme widgets example")]
    with Session(campaign.engine) as s:
        current = {Path(n).name: st for n, st in s.execute(
            select(Submission.original_name, Submission.status))}
    assert current[CMRT[1]] == "superseded" and current["acme-fixed.xlsx"] != "superseded"
    campaign.close()


def _alive(kind: type) -> int:
    gc.collect()
    return sum(type(o) is kind for o in gc.get_objects())


def test_the_consolidation_from_the_store_is_that_of_the_files(
        store_url: str, tmp_path: Path) -> None:
    inbox = _inbox(tmp_path, [p.name for p in sorted(DEMO.glob("*.xlsx"))])
    campaign = Campaign.create(store_url, name="RY2025", year=2025, roster=ROSTER,
                               families=("CMRT", "EMRT", "CRT", "AMRT"))
    campaign.ingest([inbox])
    before = _alive(Finding), _alive(SmelterSource), _alive(SupplierFile)
    stored, comparison = campaign.consolidate()
    # what grows with the submissions stays on the consolidation's shelf, not in memory
    assert (_alive(Finding), _alive(SmelterSource), _alive(SupplierFile)) == before
    assert any(f.findings for f in stored.files)
    assert comparison is None
    direct = consolidate(inbox, roster=[e.name for e in ROSTER])
    assert stored.model_dump(mode="json") == direct.model_dump(mode="json")
    assert campaign.latest_consolidation() == stored
    # next year's campaign compares with this one's latest consolidation
    later = Campaign.create(store_url, name="RY2026", year=2026, roster=ROSTER[:2])
    later.ingest([_inbox(tmp_path, CMRT[3:], "next-year")])
    current, versus = later.consolidate(previous="RY2025")
    assert versus is not None
    assert versus.suppliers_missing and "name:acme widgets example" in {
        s for s in versus.suppliers_missing}
    assert len(current.files) == 1
    with pytest.raises(StoreError, match="has no consolidation to compare with"):
        Campaign.create(store_url, name="Empty", year=2024).close()
        later.consolidate(previous="Empty")
    campaign.close()
    later.close()


def test_status_response_rate_outstanding_and_overdue(store_url: str, tmp_path: Path) -> None:
    campaign = Campaign.create(store_url, name="RY2025", year=2025, roster=ROSTER,
                               due=dt.date(2026, 3, 31))
    before = campaign.status(today=dt.date(2026, 3, 1))
    assert (before.roster, before.responded, before.response_rate, before.overdue) == (
        3, 0, 0.0, False)
    assert [o.reason for o in before.outstanding] == ["no-answer"] * 3
    campaign.ingest([_inbox(tmp_path)])
    after = campaign.status(today=dt.date(2026, 4, 1))
    assert after.overdue and after.responded == 2
    assert after.response_rate == pytest.approx(2 / 3)
    assert [(o.supplier, o.reason, [Path(f).name for f in o.files], o.email)
            for o in after.outstanding] == [
        ("Acme Widgets Example Ltd.", "errors", [CMRT[1]], "orders@acme.example"),
        ("Silent Supplier Example GmbH", "no-answer", [], "info@silent.example")]
    assert after.outstanding[0].errors > 0
    assert after.submissions == {"valid": 1, "warnings": 0, "errors": 1, "unreadable": 0,
                                 "superseded": 2}
    assert after.smelters_to_resolve is None and after.consolidated is None
    result, _ = campaign.consolidate()
    summary = result.summary()
    done = campaign.status()
    assert done.smelters_to_resolve == (summary["smelters_needing_review"]
                                        + summary["rows_rejected"])
    assert done.consolidated is not None
    campaign.close()


def _personal_file(tmp_path: Path) -> Path:
    return patch_cells(DEMO / CMRT[3], {
        "Declaration!D15": "Jane Q. Example", "Declaration!D16": "jane.q@example.org",
        "Declaration!D17": "+99 123 4567", "Declaration!D18": "John R. Example",
        "Declaration!D20": "john r@example org"}, tmp_path / "with-contact.xlsx")


def _stored_text(campaign: Campaign) -> str:
    with Session(campaign.engine) as s:
        blobs = s.scalars(select(Submission.loaded)).all()
    return " ".join(repr(decode_loaded(b)) for b in blobs)


def test_personal_data_is_kept_only_when_asked_and_forget_erases_it(
        store_url: str, tmp_path: Path) -> None:
    path = _personal_file(tmp_path)
    plain = Campaign.create(store_url, name="Plain", year=2026, roster=ROSTER)
    plain.ingest([path])
    stored = _stored_text(plain)
    for value in ("Jane Q. Example", "jane.q@example.org", "+99 123 4567", "John R. Example",
                  "john r@example org"):
        assert value not in stored
    assert ERASED in stored  # the finding on the malformed address quoted it
    with Session(plain.engine) as s:
        assert s.scalars(select(Contact)).all() == []

    kept = Campaign.create(store_url, name="Kept", year=2026, roster=ROSTER)
    kept.ingest([path], keep_personal=True)
    with Session(kept.engine) as s:
        (contact,) = s.scalars(select(Contact)).all()
        assert (contact.name, contact.email, contact.phone) == (
            "Jane Q. Example", "jane.q@example.org", "+99 123 4567")
    assert "john r@example org" in _stored_text(kept)
    report = kept.forget("EBR-400066")
    assert report.supplier == "Power Modules Example Inc."
    assert (report.submissions, report.contacts_removed, report.roster_email_removed) == (
        1, 1, False)
    assert report.findings_scrubbed >= 1
    with Session(kept.engine) as s:
        assert s.scalars(select(Contact)).all() == []
    assert "john r@example org" not in _stored_text(kept)
    assert kept.forget("Acme Widgets Example Ltd").roster_email_removed is True
    with pytest.raises(StoreError, match="no supplier 'Nobody'"):
        kept.forget("Nobody")
    plain.close()
    kept.close()


def test_clear_errors_for_what_a_store_cannot_do(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with pytest.raises(StoreError, match="the store holds no campaign"):
        Campaign.open(url)
    Campaign.create(url, name="A", year=2025).close()
    Campaign.create(url, name="B", year=2026).close()
    with pytest.raises(StoreError, match="several campaigns: A, B"):
        Campaign.open(url)
    with pytest.raises(StoreError, match="no campaign named 'C'"):
        Campaign.open(url, "C")
    with pytest.raises(StoreError, match="already holds a campaign named 'A'"):
        Campaign.create(url, name="A", year=2025)
    with pytest.raises(StoreError, match="cannot open the store"):
        open_engine("nosuchdb://x")
    with pytest.raises(StoreError, match="does not exist"):
        open_engine(f"sqlite:///{tmp_path / 'missing' / 'c.db'}")
    roster = tmp_path / "roster.csv"
    roster.write_text("Supplier,E-mail\nAcme Ltd,a@x.example\nACME LTD.,b@x.example\n",
                      encoding="utf-8")
    with pytest.raises(StoreError, match="listed twice"):
        Campaign.create(url, name="D", year=2026, roster=roster)
    # a damaged stored value is an error naming it, not a traceback
    c = Campaign.open(url, "A")
    c.ingest([DEMO / CMRT[3]])
    with Session(c.engine) as s, s.begin():
        s.execute(update(Submission).values(loaded=b"not zlib"))
    with pytest.raises(StoreError, match="stored submission is damaged"):
        c.consolidate()
    c.close()


def test_the_roster_file_with_ids_addresses_and_aliases(tmp_path: Path) -> None:
    from mineral_compliance.store import load_campaign_roster

    path = tmp_path / "roster.csv"
    path.write_text("Company name,Unique ID,Contact e-mail,Aliases\n"
                    "Acme Widgets Example Ltd.,,orders@acme.example,Acme; Acme Widgets\n"
                    ",EBR-400066,,\n\n", encoding="utf-8")
    assert load_campaign_roster(path) == [
        RosterEntry("Acme Widgets Example Ltd.", None, "orders@acme.example",
                    ("Acme", "Acme Widgets")),
        RosterEntry("EBR-400066", "EBR-400066", None, ())]
    plain = tmp_path / "plain.csv"
    plain.write_text("Acme Widgets Example Ltd.\nPower Modules Example Inc.\n", "utf-8")
    assert [e.name for e in load_campaign_roster(plain)] == [
        "Acme Widgets Example Ltd.", "Power Modules Example Inc."]
    empty = tmp_path / "empty.csv"
    empty.write_text("Supplier,E-mail\n,x@y.example\n", "utf-8")
    with pytest.raises(StoreError, match="line 2 names no supplier"):
        load_campaign_roster(empty)


_INGEST = """
import json, sys, time
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from mineral_compliance.store import Campaign
url, go, *inputs = sys.argv[1:]
campaign = Campaign.open(url, "RY2025")
while not Path(go).exists():
    time.sleep(0.005)
report = campaign.ingest(inputs, executor=ThreadPoolExecutor(2))
print(json.dumps([[Path(f.label).name, f.outcome] for f in report.files]))
"""


def test_two_ingests_at_once_never_store_a_file_twice_or_lose_one(
        store_url: str, tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    Campaign.create(store_url, name="RY2025", year=2025, roster=ROSTER).close()
    shared = _inbox(tmp_path)
    own = []
    for n, day in enumerate((dt.date(2026, 6, 1), dt.date(2026, 7, 1))):
        own.append(patch_cells(DEMO / CMRT[3], {"Declaration!D22": day},
                               tmp_path / f"power-modules-{n}.xlsx"))
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", _INGEST, store_url, str(go), str(shared),
                               str(mine)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for mine in own]
    go.touch()
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        reports.append(dict(json.loads(out)))
    for mine, report in zip(own, reports, strict=True):
        assert set(report) == {*CMRT, mine.name}  # every input accounted for
    # each shared file was stored by exactly one of the two, the other found it unchanged
    for name in CMRT:
        assert sorted(r[name] for r in reports)[1] == "unchanged"
        assert sorted(r[name] for r in reports)[0] in ("new", "resubmitted")
    campaign = Campaign.open(store_url, "RY2025")
    with Session(campaign.engine) as s:
        rows = {Path(n).name: st for n, st in s.execute(
            select(Submission.original_name, Submission.status))}
    assert len(rows) == 6
    # Power Modules' three files: the one dated latest is current, whichever came first
    assert (rows[CMRT[3]], rows["power-modules-0.xlsx"], rows["power-modules-1.xlsx"]) == (
        "superseded", "superseded", "valid")
    assert sum(st != "superseded" for st in rows.values()) == 2
    campaign.close()


def test_a_file_name_that_is_not_utf8_is_stored_and_consolidated(
        store_url: str, tmp_path: Path) -> None:
    """A name with bytes that are no UTF-8 (as some archivers and old systems write) reaches
    Python as lone surrogates, which no JSON encoder writes: the store keeps it as U+FFFD,
    as every output does, instead of failing."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    odd = os.fsdecode(b"caf\xe9 supplier.xlsx")
    shutil.copy(DEMO / CMRT[3], inbox / odd)
    campaign = Campaign.create(store_url, name="RY2025", year=2025)
    report = campaign.ingest([inbox])
    assert [f.outcome for f in report.files] == ["new"]
    stored, _ = campaign.consolidate()
    assert [Path(f.file).name for f in stored.files] == ["caf\ufffd supplier.xlsx"]
    assert stored.rows_read > 0 and all(
        "\ufffd" in s.file for x in stored.smelters for s in x.sources)
    assert campaign.latest_consolidation() == stored
    campaign.close()
