"""The output run under interruption, damage and hostile folders: an interrupt while files
move in leaves one run's files (never a mix), manifests of any size are read, a run that
reports failure has changed nothing, a journal the library did not leave is never acted on,
permissions of replaced files are kept, and the folder lock is the kernel's."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from mineral_compliance._io import run as run_module
from mineral_compliance._io.run import (
    LOCK_NAME,
    MANIFEST_NAME,
    STAGING_PREFIX,
    output_run,
    recover,
    write_atomic,
    written_files,
)
from mineral_compliance.errors import OutputError, OutputLockedError
from mineral_compliance.models.consolidation import Consolidation, FileStatus
from mineral_compliance.outputs import feedback_names, safe_file_name, write_consolidation
from mineral_compliance.review import write_report

from ..conftest import ROOT
from ..test_output_safety import _consolidation


def _visible(folder: Path) -> dict[str, bytes]:
    """The files a reader of ``folder`` sees (hidden names left out), with their bytes."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            out[rel.as_posix()] = path.read_bytes()
    return out


def _staging(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(STAGING_PREFIX))


def _run(folder: Path, files: dict[str, str], name: str = "test") -> None:
    with output_run(folder, name=name):
        for rel, text in files.items():
            write_atomic(folder / rel, text)


OLD = {"a.txt": "old a\n", "b.txt": "old b\n", "sub/c.txt": "old c\n", "d.txt": "old d\n"}
NEW = {"a.txt": "new a\n", "b.txt": "new b\n", "sub/c.txt": "new c\n", "e.txt": "new e\n"}


def _as_bytes(files: dict[str, str]) -> dict[str, bytes]:
    return {k: v.encode() for k, v in files.items()}


def _interrupt_rename(monkeypatch: pytest.MonkeyPatch, at: int,
                      then_fail_back: bool = False) -> list[Path]:
    """Path.replace raises KeyboardInterrupt on the ``at``-th rename of a staged file into
    the folder; with ``then_fail_back``, every later rename back into the staging folder
    fails, so the run cannot undo what it moved."""
    real = Path.replace
    moves: list[Path] = []
    state = {"interrupted": False}

    def replace(self: Path, target: Any) -> Path:
        if STAGING_PREFIX in str(self) and "/files/" in str(self):
            moves.append(Path(target))
            if len(moves) == at:
                state["interrupted"] = True
                raise KeyboardInterrupt
        elif then_fail_back and state["interrupted"] and STAGING_PREFIX in str(target):
            raise OSError(errno.EIO, "input/output error", str(target))
        return real(self, target)

    monkeypatch.setattr(Path, "replace", replace)
    return moves


# -- 1. interrupted while renaming -------------------------------------------------------------

@pytest.mark.parametrize("at", [1, 2, 4])
def test_an_interrupt_while_files_move_in_leaves_exactly_the_old_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: int) -> None:
    out = tmp_path / "out"
    _run(out, OLD)
    manifest = (out / MANIFEST_NAME).read_bytes()
    moves = _interrupt_rename(monkeypatch, at)
    with pytest.raises(KeyboardInterrupt):
        _run(out, NEW)
    assert len(moves) == at
    assert _visible(out) == _as_bytes(OLD)
    assert (out / MANIFEST_NAME).read_bytes() == manifest
    assert _staging(out) == [] and not (out / LOCK_NAME).exists()


def test_an_interrupt_that_cannot_be_undone_is_completed_by_recovery(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    _run(out, OLD)
    _interrupt_rename(monkeypatch, 2, then_fail_back=True)
    with pytest.raises(KeyboardInterrupt):
        _run(out, NEW)
    monkeypatch.undo()
    (kept,) = _staging(out)  # the journal and what it needs survive
    assert (kept / ".commit.json").is_file()
    recover(out)
    assert _visible(out) == _as_bytes(NEW)
    assert set(written_files(out)) == {out / rel for rel in NEW}
    assert _staging(out) == [] and not (out / LOCK_NAME).exists()


def test_a_run_started_on_an_interrupted_folder_completes_it_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    _run(out, OLD)
    _interrupt_rename(monkeypatch, 3, then_fail_back=True)
    with pytest.raises(KeyboardInterrupt):
        _run(out, NEW)
    monkeypatch.undo()
    _run(out, {"a.txt": "third a\n"}, name="other")
    assert _visible(out) == {**_as_bytes(NEW), "a.txt": b"third a\n"}
    assert _staging(out) == []


# -- 2. manifests of any size, damage reported -------------------------------------------------

def test_a_run_of_thousands_of_files_removes_its_stale_files_next_time(tmp_path: Path) -> None:
    out = tmp_path / "out"
    names = [f"feedback/Supplier company number {n:04d} Limited.csv" for n in range(2000)]
    _run(out, {rel: f"{rel}\n" for rel in names}, name="consolidation")
    assert (out / MANIFEST_NAME).stat().st_size > 1 << 16
    assert written_files(out) == {out / rel for rel in names}
    _run(out, {rel: f"{rel}\n" for rel in names[:10]}, name="consolidation")
    assert sorted(p.name for p in (out / "feedback").iterdir()) == [
        Path(rel).name for rel in names[:10]]


def test_inputs_never_include_the_outputs_of_a_large_run(tmp_path: Path) -> None:
    from mineral_compliance.inputs import collect_inputs

    demo = ROOT / "fixtures" / "demo"
    workbook = next(demo.glob("*.xlsx")).read_bytes()
    names = [f"feedback/{n:04d}.csv" for n in range(1500)]
    with output_run(tmp_path, name="consolidation"):
        for rel in names:
            write_atomic(tmp_path / rel, f"a long line of feedback for file {rel}\n")
        write_atomic(tmp_path / "company-cmrt.xlsx", workbook)
    (tmp_path / "supplier.xlsx").write_bytes(workbook)
    labels = [Path(i.label).name for i in collect_inputs(tmp_path, exclude=[tmp_path])]
    assert labels == ["supplier.xlsx"]


@pytest.mark.parametrize("damage", [b"{not json", b"[]", b'{"files": []}', b"\xff\xfe",
                                    b'{"files": {"../x": {"sha256": "0", "run": "r"}}}'])
def test_a_damaged_manifest_is_an_output_error_naming_it(tmp_path: Path, damage: bytes) -> None:
    _run(tmp_path, {"a.txt": "a\n"})
    (tmp_path / MANIFEST_NAME).write_bytes(damage)
    with pytest.raises(OutputError, match="manifest") as caught:
        written_files(tmp_path)
    assert caught.value.path == str(tmp_path / MANIFEST_NAME)
    with pytest.raises(OutputError, match="manifest"):
        _run(tmp_path, {"b.txt": "b\n"})
    assert _visible(tmp_path) == {"a.txt": b"a\n"} and _staging(tmp_path) == []


def test_an_oversized_manifest_is_an_output_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run(tmp_path, {f"{n}.txt": "x\n" for n in range(50)})
    monkeypatch.setattr(run_module, "_MAX_RECORD", 1000)
    with pytest.raises(OutputError, match=r"manifest.*limit") as caught:
        written_files(tmp_path)
    assert caught.value.path == str(tmp_path / MANIFEST_NAME)


def test_a_manifest_that_is_not_a_file_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_NAME).mkdir()
    with pytest.raises(OutputError, match="manifest"):
        written_files(tmp_path)


def test_a_damaged_journal_is_an_output_error_naming_it(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    _run(out, OLD)
    _interrupt_rename(monkeypatch, 2, then_fail_back=True)
    with pytest.raises(KeyboardInterrupt):
        _run(out, NEW)
    monkeypatch.undo()
    (kept,) = _staging(out)
    (kept / ".commit.json").write_bytes(b'{"format": 2, "run": ')
    with pytest.raises(OutputError, match="journal") as caught:
        recover(out)
    assert caught.value.path == str(kept / ".commit.json")
    assert _staging(out) == [kept]  # left for the user: it holds files of both runs


# -- 3. failure reported means nothing changed -------------------------------------------------

def test_a_manifest_that_cannot_be_written_leaves_the_previous_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    _run(out, OLD)
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real = run_module._write_all

    def write_all(path: Path, data: bytes) -> None:
        if "manifest" in Path(path).name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, data)

    monkeypatch.setattr(run_module, "_write_all", write_all)
    with pytest.raises(OutputError, match="the disk is full"):
        _run(out, NEW)
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert _staging(out) == []


def test_a_manifest_that_cannot_be_renamed_puts_every_file_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    _run(out, OLD)
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
              if p.is_file()}
    real = Path.replace

    def replace(self: Path, target: Any) -> Path:
        if STAGING_PREFIX in str(self) and self.name == "manifest.json":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        return real(self, target)

    monkeypatch.setattr(Path, "replace", replace)
    with pytest.raises(OutputError, match="the disk is full"):
        _run(out, NEW)
    assert {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
            if p.is_file()} == before
    assert _staging(out) == []


def test_a_stale_file_that_cannot_be_removed_does_not_fail_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    _run(out, OLD)
    real = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.name == "d.txt":
            raise PermissionError(errno.EACCES, "permission denied", str(self))
        real(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    _run(out, NEW)  # no error: the run's files are all in place
    monkeypatch.undo()
    assert _visible(out) == {**_as_bytes(NEW), "d.txt": b"old d\n"}
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert set(manifest["files"]) == set(NEW)
    assert set(manifest["stale"]) == {"d.txt"}
    assert out / "d.txt" in written_files(out)  # still never read back as an input
    _run(out, NEW)  # the next run of the same kind removes it
    assert _visible(out) == _as_bytes(NEW) and out / "d.txt" not in written_files(out)


# -- 4. journals the library did not leave -----------------------------------------------------

def _plant(folder: Path, run: str, files: dict[str, bytes], stale: list[str]) -> Path:
    """A staging folder and journal made by someone else (say, extracted from an archive)."""
    staging = folder / f"{STAGING_PREFIX}{run}"
    (staging / "files").mkdir(parents=True)
    entries = []
    for rel, data in files.items():
        (staging / "files" / rel).write_bytes(data)
        entries.append({"path": rel, "sha256": hashlib.sha256(data).hexdigest(),
                        "previous": None})
    manifest = json.dumps({"format": 1, "files": {}}).encode()
    (staging / "manifest.json").write_bytes(manifest)
    entries.append({"path": MANIFEST_NAME, "sha256": hashlib.sha256(manifest).hexdigest(),
                    "previous": None})
    (staging / ".commit.json").write_text(json.dumps({
        "format": 2, "run": run, "files": entries,
        "stale": {rel: hashlib.sha256(b"guess").hexdigest() for rel in stale}}))
    return staging


def test_a_planted_journal_neither_replaces_nor_deletes_anything(tmp_path: Path) -> None:
    (tmp_path / "precious.xlsx").write_bytes(b"user data")
    (tmp_path / "notes.docx").write_bytes(b"user notes")
    staging = _plant(tmp_path, "evil", {"notes.docx": b"attacker bytes",
                                        "new.txt": b"attacker file"}, ["precious.xlsx"])
    with (staging / ".commit.json").open("r+") as handle:  # the earlier journal's shape
        journal = json.load(handle)
        journal.update(format=1, files=["notes.docx", "new.txt"], stale=["precious.xlsx"],
                       manifest={"files": {}})
        handle.seek(0)
        handle.truncate()
        json.dump(journal, handle)
    _run(tmp_path, {"report.html": "hi\n"}, name="report")
    recover(tmp_path)
    assert (tmp_path / "precious.xlsx").read_bytes() == b"user data"
    assert (tmp_path / "notes.docx").read_bytes() == b"user notes"
    assert not (tmp_path / "new.txt").exists()


def test_a_planted_journal_and_lock_naming_it_are_not_trusted(tmp_path: Path) -> None:
    (tmp_path / "precious.xlsx").write_bytes(b"user data")
    (tmp_path / "notes.docx").write_bytes(b"user notes")
    _plant(tmp_path, "evil", {"notes.docx": b"attacker bytes", "new.txt": b"x"},
           ["precious.xlsx"])
    (tmp_path / LOCK_NAME).write_text(json.dumps(
        {"pid": 1, "host": "h", "started": "2026-01-01T00:00:00+00:00", "run": "evil",
         "staging": 12345}))
    recover(tmp_path)
    assert (tmp_path / "precious.xlsx").read_bytes() == b"user data"
    assert (tmp_path / "notes.docx").read_bytes() == b"user notes"
    assert not (tmp_path / "new.txt").exists()


def test_even_a_journal_the_lock_vouches_for_touches_only_bytes_it_recorded(
        tmp_path: Path) -> None:
    """Were the lock's record forged exactly (the staging folder's inode guessed), the
    journal's hashes still protect every file whose bytes its author did not know."""
    (tmp_path / "precious.xlsx").write_bytes(b"user data")
    (tmp_path / "notes.docx").write_bytes(b"user notes")
    staging = _plant(tmp_path, "evil", {"notes.docx": b"attacker bytes"}, ["precious.xlsx"])
    (tmp_path / LOCK_NAME).write_text(json.dumps(
        {"pid": 1, "host": "h", "started": "2026-01-01T00:00:00+00:00", "run": "evil",
         "staging": staging.stat().st_ino}))
    recover(tmp_path)
    assert (tmp_path / "precious.xlsx").read_bytes() == b"user data"
    assert (tmp_path / "notes.docx").read_bytes() == b"user notes"


_KILL_AT_FIRST_RENAME = """
import os, sys
from pathlib import Path
from mineral_compliance._io.run import STAGING_PREFIX, output_run, write_atomic

real = Path.replace

def replace(self, target):
    if STAGING_PREFIX in str(self) and self.parent.name == "files":
        os._exit(9)
    return real(self, target)

Path.replace = replace
out = Path(sys.argv[1])
with output_run(out, name="test"):
    write_atomic(out / "a.txt", "new a\\n")
    write_atomic(out / "b.txt", "new b\\n")
"""


def test_recovery_leaves_files_changed_since_the_run_was_killed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(out, {"a.txt": "old a\n", "b.txt": "old b\n", "c.txt": "old c\n"})
    proc = subprocess.run([sys.executable, "-c", _KILL_AT_FIRST_RENAME, str(out)], cwd=ROOT,
                          timeout=120, capture_output=True)
    assert proc.returncode == 9, proc.stderr.decode()
    assert len(_staging(out)) == 1
    (out / "b.txt").write_text("edited b\n")  # the user edits a file the run would replace
    (out / "c.txt").write_text("edited c\n")  # and one it would remove
    recover(out)
    assert _visible(out) == {"a.txt": b"new a\n", "b.txt": b"edited b\n", "c.txt": b"edited c\n"}
    assert _staging(out) == []


# -- 5. one report beside another --------------------------------------------------------------

def test_reports_written_on_their_own_into_one_folder_keep_each_other(tmp_path: Path) -> None:
    write_report(_consolidation(company="First"), tmp_path / "q1.html")
    write_report(_consolidation(company="Second"), tmp_path / "q2.html")
    write_report(_consolidation(company="Second again"), tmp_path / "q2.html")
    assert sorted(_visible(tmp_path)) == ["q1.html", "q2.html"]
    assert b"Second again" in (tmp_path / "q2.html").read_bytes()
    assert b"First" in (tmp_path / "q1.html").read_bytes()


# -- 6. permissions -----------------------------------------------------------------------------

def test_replacing_a_file_keeps_its_permissions(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        (tmp_path / "alone.json").write_text("x")
        (tmp_path / "alone.json").chmod(0o600)
        write_atomic(tmp_path / "alone.json", "y")
        out = tmp_path / "out"
        _run(out, OLD)
        (out / "a.txt").chmod(0o600)
        (out / "b.txt").chmod(0o640)
        _run(out, NEW)
    finally:
        os.umask(previous)
    assert (tmp_path / "alone.json").stat().st_mode & 0o777 == 0o600
    modes = {rel: (out / rel).stat().st_mode & 0o777 for rel in NEW}
    assert modes == {"a.txt": 0o600, "b.txt": 0o640, "sub/c.txt": 0o644, "e.txt": 0o644}


# -- 7. the lock --------------------------------------------------------------------------------

_HOLD = """
import sys
from pathlib import Path
from mineral_compliance._io.run import output_run, write_atomic
with output_run(sys.argv[1], name="holder"):
    write_atomic(Path(sys.argv[1]) / "held.txt", "held\\n")
    print("ready", flush=True)
    sys.stdin.readline()
"""

_TRY = """
import sys
from pathlib import Path
from mineral_compliance._io.run import output_run, write_atomic
from mineral_compliance.errors import OutputLockedError
try:
    with output_run(sys.argv[1], name="second"):
        write_atomic(Path(sys.argv[1]) / "second.txt", "second\\n")
except OutputLockedError as exc:
    print(exc, flush=True)
    sys.exit(7)
"""


def _holder(out: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(out)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _try(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _TRY, str(out)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_a_second_process_is_refused_and_a_killed_holder_frees_the_folder_at_once(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    with _holder(out) as proc:
        try:
            refused = _try(out)
            assert refused.returncode == 7, refused.stderr
            assert f"process {proc.pid}" in refused.stdout
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=60) == -signal.SIGKILL
        finally:
            proc.kill()
            proc.wait(timeout=60)
    assert (out / LOCK_NAME).exists()  # the file is left, but nothing holds it
    start = time.monotonic()
    done = _try(out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - start < 60
    assert _visible(out) == {"second.txt": b"second\n"}  # the killed run's file never landed
    assert _staging(out) == [] and not (out / LOCK_NAME).exists()


@pytest.mark.parametrize("holder", [
    {"pid": 1, "host": "some-other-machine.invalid", "started": "2026-01-01T00:00:00"},
    "same pid",
    "not json at all"])
def test_a_lock_file_nobody_holds_does_not_stop_a_run(tmp_path: Path, holder: object) -> None:
    """Left by a process on another host, by one whose pid this process now has (as in a
    container, where every run may be pid 1), or half written: none of them is running."""
    if holder == "same pid":
        holder = {"pid": os.getpid(), "host": os.uname().nodename, "started": "2026"}
    text = holder if isinstance(holder, str) else json.dumps(holder)
    (tmp_path / LOCK_NAME).write_text(text)
    _run(tmp_path, {"a.txt": "a\n"})
    assert _visible(tmp_path) == {"a.txt": b"a\n"} and not (tmp_path / LOCK_NAME).exists()


def test_a_second_run_in_the_same_process_is_refused(tmp_path: Path) -> None:
    import threading

    entered, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with output_run(tmp_path, name="first"):
            entered.set()
            leave.wait(60)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert entered.wait(60)
        with pytest.raises(OutputLockedError, match=f"process {os.getpid()}"):
            _run(tmp_path, {"a.txt": "a\n"})
    finally:
        leave.set()
        thread.join(60)
    _run(tmp_path, {"a.txt": "a\n"})


def test_a_lock_that_is_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("not a lock\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).symlink_to(elsewhere)
    with pytest.raises(OutputError, match="lock"):
        _run(out, {"a.txt": "a\n"})
    assert elsewhere.read_text() == "not a lock\n"


# -- 8. feedback names ---------------------------------------------------------------------------

def _names_one_by_one(c: Any) -> dict[str, str]:
    """The naming rule spelled out plainly: the first free of ``stem.csv``, ``stem (2).csv``,
    ... (ignoring case, and never ``index.csv``), files taken in label order."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for f in sorted(c.files, key=lambda f: f.file):
        if f.status is FileStatus.SUPERSEDED:
            continue
        stem = safe_file_name(f.company or Path(f.file.split("!")[-1]).stem)
        n = 1
        while True:
            name = f"{stem}.csv" if n == 1 else f"{stem} ({n}).csv"
            if name.casefold() not in used and name.casefold() != "index.csv":
                break
            n += 1
        used.add(name.casefold())
        names[f.file] = name
    return names


def _files(companies: list[str | None]) -> Consolidation:
    return cast(Consolidation, SimpleNamespace(files=[
        SimpleNamespace(file=f"inbox/{n:05d}-x.xlsx", status=FileStatus.VALID, company=company)
        for n, company in enumerate(companies)]))


def test_feedback_names_follow_the_rule_when_names_collide() -> None:
    companies: list[str | None] = [
        "Acme", "Acme (2)", "ACME", "acme", "Acme (3)", "index", "Index", None, None,
        "Acme (2)", "Acme (2) (2)", "Ünïcode", "ünïcode", "Acme", "index (2)", "INDEX"]
    c = _files(companies)
    names = feedback_names(c)
    assert names == _names_one_by_one(c)
    assert [names[f"inbox/{n:05d}-x.xlsx"] for n in range(5)] == [
        "Acme.csv", "Acme (2).csv", "ACME (3).csv", "acme (4).csv", "Acme (3) (2).csv"]
    assert len({n.casefold() for n in names.values()}) == len(names)


def test_feedback_names_for_many_files_of_one_company_take_linear_time() -> None:
    c = _files(["Acme Metals"] * 20000)
    start = time.perf_counter()
    names = feedback_names(c)
    elapsed = time.perf_counter() - start
    assert names["inbox/19999-x.xlsx"] == "Acme Metals (20000).csv"
    assert elapsed < 15, elapsed  # one by one this takes minutes


# -- 10. the workbook's zip --------------------------------------------------------------------

def test_the_workbook_zip_is_the_same_bytes_on_every_platform(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = _consolidation()
    write_consolidation(c, tmp_path / "here")
    monkeypatch.setattr(zipfile, "sys", SimpleNamespace(platform="win32", flags=sys.flags))
    write_consolidation(c, tmp_path / "windows")
    monkeypatch.undo()
    here = (tmp_path / "here" / "consolidation.xlsx").read_bytes()
    assert (tmp_path / "windows" / "consolidation.xlsx").read_bytes() == here
    with zipfile.ZipFile(tmp_path / "here" / "consolidation.xlsx") as book:
        assert {info.create_system for info in book.infolist()} == {3}
