"""The ``campaign`` commands end to end on a SQLite store: what each prints, writes and
keeps, checked against what plain ``consolidate`` makes of the same files, and every bad
input ending in one line and exit code 2."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mineral_compliance import consolidate
from mineral_compliance.cli import main
from mineral_compliance.cli._parser import DEFAULT_STORE
from mineral_compliance.models.consolidation import Consolidation, FileStatus
from mineral_compliance.refdata import load_roster
from mineral_compliance.store import DEFAULT_URL, open_engine
from mineral_compliance.store.schema import RequestRow

from ..conftest import FIXTURES

DEMO = FIXTURES / "demo"
DUE, LATE = "2027-03-31", "2027-04-02"

ROSTER = """Supplier,Unique ID,E-mail,Aliases
Acme Widgets Example Ltd.,,acme@example.com,
Power Modules Example Inc.,EBR-400066,power@example.com,
Cathode Example AB,,,
Never Answers Example GmbH,,never@example.com,
"""
"""Three suppliers of the demo files (one found by its unique ID, one without an address)
and one that never answers."""

ANSWERED = ["Acme Widgets Example Ltd.", "Power Modules Example Inc.", "Cathode Example AB"]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """The demo templates and a file no one can read."""
    box = tmp_path / "inbox"
    box.mkdir()
    for f in DEMO.glob("*.xlsx"):
        shutil.copy(f, box / f.name)
    shutil.copy(FIXTURES / "refused" / "legacy.xls", box / "old.xls")
    return box


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    path = tmp_path / "suppliers.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'campaign.db'}"


def _init(capsys: pytest.CaptureFixture[str], db: str, roster: Path, name: str = "RY2026",
          year: str = "2026") -> None:
    code, out, err = _run(capsys, "campaign", "init", "--db", db, "--name", name, "--year",
                          year, "--roster", str(roster), "--due", DUE, "--families",
                          "CMRT,EMRT")
    assert (code, err) == (0, "")
    assert f"created campaign {name} (reporting year {year}, due {DUE})" in out
    assert "4 suppliers on the roster" in out


def _ingested(capsys: pytest.CaptureFixture[str], db: str, roster: Path, inbox: Path,
              *extra: str) -> None:
    _init(capsys, db, roster)
    code, _, _ = _run(capsys, "campaign", "ingest", "--db", db, str(inbox), *extra)
    assert code == 2  # old.xls


def _plain(inbox: Path, roster: Path) -> Consolidation:
    return consolidate([inbox], roster=load_roster(roster))


def test_the_default_store_is_the_one_the_library_opens() -> None:
    assert DEFAULT_STORE == DEFAULT_URL


def test_ingest_says_what_each_file_is_and_a_second_ingest_finds_every_file_unchanged(
        capsys: pytest.CaptureFixture[str], db: str, roster: Path, inbox: Path) -> None:
    _init(capsys, db, roster)
    code, out, err = _run(capsys, "campaign", "ingest", "--db", db, str(inbox))
    assert code == 2  # one file could not be read: named, the others stored
    assert "RY2026: 13 files: 10 new, 2 resubmitted, 0 unchanged, 1 unreadable" in out
    lines = [line.split() for line in out.splitlines() if line.startswith("  ")]
    assert Counter(words[0] for words in lines) == {"new": 10, "resubmitted": 2}
    # Acme's three CMRTs: the first is new, the other two resubmissions of it
    assert sorted(Path(w[1]).name for w in lines if w[0] == "resubmitted") == [
        "cmrt-6.22-messy-answers.xlsx", "cmrt-6.5-product-scope.xlsx"]
    assert "unreadable" in err and "old.xls" in err
    assert "personal data kept" not in out

    code, out, err = _run(capsys, "campaign", "ingest", "--db", db, str(inbox))
    assert (code, err) == (0, "")
    assert out == "RY2026: 13 files: 0 new, 0 resubmitted, 13 unchanged, 0 unreadable\n"


def test_status_json_counts_what_the_files_are(
        capsys: pytest.CaptureFixture[str], db: str, roster: Path, inbox: Path) -> None:
    _ingested(capsys, db, roster, inbox)
    code, out, err = _run(capsys, "campaign", "status", "--db", db, "--json", "--today", LATE)
    assert (code, err) == (0, "")
    got = json.loads(out)
    plain = _plain(inbox, roster)
    assert got["submissions"] == {s.value: sum(f.status is s for f in plain.files)
                                  for s in FileStatus}
    assert got["submissions"] == {"valid": 3, "warnings": 1, "errors": 6, "unreadable": 1,
                                  "superseded": 2}
    assert (got["roster"], got["responded"], got["response_rate"]) == (4, 3, 0.75)
    assert (got["due"], got["today"], got["overdue"]) == (DUE, LATE, True)
    current = {f.company: f for f in plain.files
               if f.status is FileStatus.ERRORS and f.company in ANSWERED}
    assert [(o["supplier"], o["reason"], o["errors"], [Path(n).name for n in o["files"]])
            for o in got["outstanding"]] == [
        ("Acme Widgets Example Ltd.", "errors", current["Acme Widgets Example Ltd."].errors,
         ["cmrt-6.22-messy-answers.xlsx"]),
        ("Cathode Example AB", "errors", current["Cathode Example AB"].errors,
         ["crt-2.21-cobalt.xlsx"]),
        ("Never Answers Example GmbH", "no-answer", 0, [])]
    assert got["off_roster"] == sum(
        1 for f in plain.files if f.on_roster is False
        and f.status not in (FileStatus.SUPERSEDED, FileStatus.UNREADABLE))
    assert (got["consolidated"], got["smelters_to_resolve"]) == (None, None)  # not yet

    # the same in words, before the due date
    code, out, _ = _run(capsys, "campaign", "status", "--db", db, "--today", "2027-03-01")
    assert code == 0
    assert out.splitlines()[:4] == [
        f"campaign RY2026 (reporting year 2026): due {DUE}, in 30 days",
        "responses: 3 of 4 suppliers on the roster (75%)",
        f"  and {got['off_roster']} files from suppliers the roster does not name",
        "submissions: 3 valid, 1 with warnings, 6 with errors, 1 unreadable, 2 superseded"]
    assert "outstanding: 3 suppliers" in out
    assert "  Never Answers Example GmbH <never@example.com>: no answer" in out
    assert "smelters to resolve: not consolidated yet" in out
    code, out, _ = _run(capsys, "campaign", "status", "--db", db, "--today", LATE)
    assert "overdue by 2 days" in out and "overdue: 3 suppliers" in out

    # after a consolidation, the smelters it could not settle
    assert _run(capsys, "campaign", "consolidate", "--db", db, "-o",
                str(inbox.parent / "out"))[0] == 2
    code, out, _ = _run(capsys, "campaign", "status", "--db", db, "--json")
    s = plain.summary()
    assert json.loads(out)["smelters_to_resolve"] == (s["smelters_needing_review"]
                                                      + s["rows_rejected"])


def _eml(path: Path) -> EmailMessage:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_remind_drafts_one_text_and_one_eml_per_outstanding_supplier_with_its_findings(
        capsys: pytest.CaptureFixture[str], db: str, roster: Path, inbox: Path,
        tmp_path: Path) -> None:
    _ingested(capsys, db, roster, inbox)
    out_dir = tmp_path / "reminders"
    code, out, err = _run(capsys, "campaign", "remind", "--db", db, "-o", str(out_dir),
                          "--today", LATE, "--from", "Buyer Compliance <buyer@example.com>")
    assert code == 0
    assert out.splitlines() == [
        f"3 reminders drafted in {out_dir} (nothing was sent): 1 not answered, 1 to correct, "
        "1 on a version not accepted",
        "  Acme Widgets Example Ltd. (to resend on an accepted template version): "
        "acme@example.com",
        "  Cathode Example AB (to correct its file): no address known",
        "  Never Answers Example GmbH (has not answered): never@example.com"]
    assert "old.xls" in err  # read by no one, so reminded to no one: said
    assert sorted(p.name for p in out_dir.iterdir() if not p.name.startswith(".")) == sorted(
        [f"{s}.{ext}" for s in ("Acme Widgets Example Ltd", "Cathode Example AB",
                                "Never Answers Example GmbH") for ext in ("txt", "eml")]
        + ["index.csv"])

    plain = {Path(f.file).name: f for f in _plain(inbox, roster).files}
    for supplier, to, file in (("Acme Widgets Example Ltd.", "acme@example.com",
                                "cmrt-6.22-messy-answers.xlsx"),
                               ("Cathode Example AB", None, "crt-2.21-cobalt.xlsx"),
                               ("Never Answers Example GmbH", "never@example.com", None)):
        stem = supplier.rstrip(".")  # a file name ends in no dot
        msg = _eml(out_dir / f"{stem}.eml")
        text = (out_dir / f"{stem}.txt").read_text(encoding="utf-8")
        assert msg["To"] == to
        assert msg["From"] == "Buyer Compliance <buyer@example.com>"
        assert msg["X-Unsent"] == "1"
        subject = str(msg["Subject"])
        assert subject.startswith("RY2026, reporting year 2026: ") and f"due {DUE}" in subject
        assert f"({supplier})" in subject
        body = msg.get_body(("plain",))
        assert body is not None
        assert body.get_content().replace("\r\n", "\n") == text
        flat = " ".join(text.split())  # the text, unwrapped
        if file is None:
            assert "We have not received it yet" in flat and f"due on {DUE}" in flat
            assert "CMRT (Conflict Minerals Reporting Template): CMRT 6.5 or later" in flat
            assert "EMRT (Extended Minerals Reporting Template): EMRT 2.1 or later" in flat
            continue
        findings = plain[file].findings
        assert f"File: {file} ({plain[file].kind} {plain[file].version})" in text
        # every finding, at its cell, with its message and what to do
        for f in findings:
            assert f"- {f.sheet}!{f.cell}" in flat, f
            assert " ".join(f.message.split()) in flat, f
        assert flat.count(" - ") == len(findings)
        errors = sum(f.severity.value == "error" for f in findings)
        warnings = sum(f.severity.value == "warning" for f in findings)
        assert f"Errors ({errors}): must be corrected" in text
        assert text.index("Errors (") < text.index(f"Warnings ({warnings})")
        assert "What to do:" in text and "as soon as possible" in flat
    acme = " ".join((out_dir / "Acme Widgets Example Ltd.txt").read_text(
        encoding="utf-8").split())
    assert "This template version is not one we accept (we accept CMRT 6.5 or later)" in acme
    assert "ask the supplier" not in acme  # hints written for the requester, turned round

    engine = open_engine(db)
    with Session(engine) as session:
        rows = session.scalars(select(RequestRow).order_by(RequestRow.id)).all()
        assert [(r.kind, r.reason, Path(r.file or "").name) for r in rows] == [
            ("reminder", "version", "Acme Widgets Example Ltd.eml"),
            ("reminder", "errors", "Cathode Example AB.eml"),
            ("reminder", "no-answer", "Never Answers Example GmbH.eml")]
    engine.dispose()


def test_campaign_consolidate_writes_what_consolidate_writes_from_the_same_files(
        capsys: pytest.CaptureFixture[str], db: str, roster: Path, inbox: Path,
        tmp_path: Path) -> None:
    _ingested(capsys, db, roster, inbox)
    stored, plain = tmp_path / "stored", tmp_path / "plain"
    code, out, err = _run(capsys, "campaign", "consolidate", "--db", db, "-o", str(stored))
    plain_code, plain_out, plain_err = _run(capsys, "consolidate", str(inbox), "--roster",
                                            str(roster), "-o", str(plain), "--no-progress")
    assert code == plain_code == 2  # old.xls, named on stderr by both
    assert err == plain_err and "old.xls" in err
    assert out.replace(str(stored), "OUT") == plain_out.replace(str(plain), "OUT")
    # consolidation.json carries no timestamp: the whole of it compares
    assert (json.loads((stored / "consolidation.json").read_text(encoding="utf-8"))
            == json.loads((plain / "consolidation.json").read_text(encoding="utf-8")))
    for name in ("suppliers.csv", "smelters.csv", "answers.csv", "consolidation.xlsx",
                 "feedback/index.csv"):
        assert (stored / name).read_bytes() == (plain / name).read_bytes(), name


def test_previous_campaign_compares_with_its_latest_consolidation_as_previous_does(
        capsys: pytest.CaptureFixture[str], db: str, roster: Path, inbox: Path,
        tmp_path: Path) -> None:
    last_year = tmp_path / "inbox-2025"
    last_year.mkdir()
    for name in ("cmrt-6.5-product-scope.xlsx", "crt-2.21-complete.xlsx",
                 "emrt-2.11-complete.xlsx"):
        shutil.copy(DEMO / name, last_year / name)
    _init(capsys, db, roster, name="RY2025", year="2025")
    assert _run(capsys, "campaign", "ingest", "--db", db, "--campaign", "RY2025",
                str(last_year))[0] == 0
    _init(capsys, db, roster)
    code, out, err = _run(capsys, "campaign", "ingest", "--db", db, str(inbox))
    assert code == 2 and "several campaigns: RY2025, RY2026" in err  # not guessed
    assert _run(capsys, "campaign", "ingest", "--db", db, "--campaign", "RY2026",
                str(inbox))[0] == 2
    code, out, err = _run(capsys, "campaign", "consolidate", "--db", db, "--campaign",
                          "RY2026", "--previous-campaign", "RY2025", "-o",
                          str(tmp_path / "x"))
    assert code == 2 and err == ("error: the campaign 'RY2025' has no consolidation to compare "
                                 "with (run 'campaign consolidate --campaign RY2025' first)\n")
    assert _run(capsys, "campaign", "consolidate", "--db", db, "--campaign", "RY2025",
                "-o", str(tmp_path / "2025"))[0] == 0
    code, out, _ = _run(capsys, "campaign", "consolidate", "--db", db, "--campaign", "RY2026",
                        "--previous-campaign", "RY2025", "-o", str(tmp_path / "2026"))
    assert code == 2
    assert "since campaign RY2025: " in out

    # as plain consolidate --previous computes it from the same files
    assert main(["consolidate", str(last_year), "--roster", str(roster), "-o",
                 str(tmp_path / "plain-2025"), "--no-progress"]) == 0
    assert main(["consolidate", str(inbox), "--roster", str(roster), "-o",
                 str(tmp_path / "plain-2026"), "--previous", str(tmp_path / "plain-2025"),
                 "--no-progress"]) == 2
    capsys.readouterr()
    stored = json.loads((tmp_path / "2026" / "comparison.json").read_text(encoding="utf-8"))
    plain = json.loads((tmp_path / "plain-2026" / "comparison.json").read_text(
        encoding="utf-8"))
    assert stored == plain
    assert len(stored["suppliers_new"]) == 7 and stored["smelters"]


def test_personal_data_is_kept_only_when_asked_and_forget_says_what_it_removed(
        capsys: pytest.CaptureFixture[str], db: str, roster: Path, inbox: Path,
        tmp_path: Path) -> None:
    _ingested(capsys, db, roster, inbox)
    assert _run(capsys, "campaign", "remind", "--db", db, "-o", str(tmp_path / "a"))[0] == 0
    cathode = (tmp_path / "a" / "Cathode Example AB.txt").read_text(encoding="utf-8")
    assert cathode.startswith("Dear colleagues at Cathode Example AB,\n")
    assert "cobalt@example.com" not in cathode and "Cobalt Desk" not in cathode
    assert _eml(tmp_path / "a" / "Cathode Example AB.eml")["To"] is None

    kept = f"sqlite:///{tmp_path / 'kept.db'}"
    _init(capsys, kept, roster)
    code, out, _ = _run(capsys, "campaign", "ingest", "--db", kept, str(inbox),
                        "--keep-personal")
    assert code == 2 and "personal data kept" in out
    assert _run(capsys, "campaign", "remind", "--db", kept, "-o", str(tmp_path / "b"))[0] == 0
    cathode = (tmp_path / "b" / "Cathode Example AB.txt").read_text(encoding="utf-8")
    assert cathode.startswith("Dear Cobalt Desk,\n")  # the file's contact, kept when asked
    assert _eml(tmp_path / "b" / "Cathode Example AB.eml")["To"] == "cobalt@example.com"
    # the roster's address comes first
    assert _eml(tmp_path / "b" / "Acme Widgets Example Ltd.eml")["To"] == "acme@example.com"

    code, out, err = _run(capsys, "campaign", "forget", "--db", kept, "Cathode Example AB")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "erased the personal data RY2026 held of Cathode Example AB (1 submission looked at):",
        "  contact records removed (name, e-mail, telephone): 1",
        "  findings that quoted them, now reading '[personal data not kept]': 0",
        "  roster e-mail address: none was held"]
    code, out, _ = _run(capsys, "campaign", "forget", "--db", kept, "acme widgets example",
                        "--json")
    assert code == 0
    assert json.loads(out) == {"supplier": "Acme Widgets Example Ltd.", "submissions": 3,
                               "contacts_removed": 3, "findings_scrubbed": 0,
                               "roster_email_removed": True}
    assert _run(capsys, "campaign", "remind", "--db", kept, "-o", str(tmp_path / "b"))[0] == 0
    for stem in ("Cathode Example AB", "Acme Widgets Example Ltd"):
        assert _eml(tmp_path / "b" / f"{stem}.eml")["To"] is None
        text = (tmp_path / "b" / f"{stem}.txt").read_text(encoding="utf-8")
        assert "Desk" not in text and "@example.com" not in text
    code, out, err = _run(capsys, "campaign", "forget", "--db", kept, "Nobody Example")
    assert code == 2 and err.startswith("error: the campaign 'RY2026' has no supplier")


def _one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("error: ")
    return err


def test_bad_stores_and_campaigns_end_in_one_line_and_exit_2(
        capsys: pytest.CaptureFixture[str], db: str, roster: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    err = _one_line_error(*_run(capsys, "campaign", "status", "--db", f"sqlite:///{missing}"))
    assert f"there is no store at {missing}" in err
    assert not missing.exists()  # a command that reads a store never creates one
    err = _one_line_error(*_run(capsys, "campaign", "status", "--db", "not a url"))
    assert "cannot open the store" in err
    err = _one_line_error(*_run(capsys, "campaign", "init", "--db",
                                f"sqlite:///{tmp_path / 'no' / 'such' / 'x.db'}",
                                "--name", "A", "--year", "2026"))
    assert "does not exist" in err
    err = _one_line_error(*_run(capsys, "campaign", "status", "--db", f"sqlite:///{roster}"))
    assert "file is not a database" in err  # SQLAlchemy's several lines, cut to the first
    err = _one_line_error(*_run(capsys, "campaign", "status", "--db",
                                "postgresql+psycopg://someone:s3cret@127.0.0.1:1/none"))
    assert "s3cret" not in err

    _init(capsys, db, roster)
    err = _one_line_error(*_run(capsys, "campaign", "status", "--db", db, "--campaign",
                                "RY2099"))
    assert "no campaign named 'RY2099'" in err
    err = _one_line_error(*_run(capsys, "campaign", "init", "--db", db, "--name", "RY2026",
                                "--year", "2026"))
    assert "already holds a campaign named 'RY2026'" in err
    _init(capsys, db, roster, name="RY2025", year="2025")
    for command in (("status",), ("remind", "-o", str(tmp_path / "r")),
                    ("consolidate", "-o", str(tmp_path / "c")), ("forget", "Acme"),
                    ("ingest", str(DEMO / "crt-2.21-complete.xlsx"))):
        err = _one_line_error(*_run(capsys, "campaign", *command, "--db", db))
        assert err == ("error: the store holds several campaigns: RY2026, RY2025 (name one "
                       "with --campaign)\n"), command
    assert not (tmp_path / "r").exists() and not (tmp_path / "c").exists()

    twice = tmp_path / "twice.csv"
    twice.write_text(ROSTER + "ACME Widgets Example Ltd,,other@example.com,\n",
                     encoding="utf-8")
    err = _one_line_error(*_run(capsys, "campaign", "init", "--db", db, "--name", "RY2027",
                                "--year", "2027", "--roster", str(twice)))
    assert "listed twice (entries 1 and 5)" in err
    err = _one_line_error(*_run(capsys, "campaign", "status", "--db", db, "--campaign",
                                "RY2027"))
    assert "no campaign named 'RY2027'" in err  # nothing was created


@pytest.mark.parametrize("argv", [
    ["init", "--name", "A", "--year", "2026", "--families", "CMRT,PRT"],
    ["init", "--name", "A", "--year", "2026", "--due", "31/03/2027"],
    ["init", "--name", "A", "--year", "2026", "--accept", "CMRT>>6"],
    ["remind", "--from", "not an address"],
    ["ingest"],
])
def test_a_wrong_command_line_is_refused_by_the_parser_with_exit_2(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["campaign", *argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "error:" in err.splitlines()[-1]
