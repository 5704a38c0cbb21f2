"""What the writers promise whatever the data and whatever the file system does: every
character written safely in each format, typed errors on write failures, one run's files
all or none, one run per folder at a time, the user's umask, and a workbook whose bytes do
not depend on the clock."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import errno
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import html

from mineral_compliance._io import run as run_module
from mineral_compliance._io.run import (
    LOCK_NAME,
    MANIFEST_NAME,
    STAGING_PREFIX,
    output_run,
    recover,
    write_atomic,
)
from mineral_compliance.disclosures.eu_report import write_eu
from mineral_compliance.errors import OutputError, OutputLockedError
from mineral_compliance.findings import Basis, Finding, Severity
from mineral_compliance.models.consolidation import (
    ConsolidatedSmelter,
    Consolidation,
    FileStatus,
    RejectedRow,
    SmelterSource,
    SupplierFile,
)
from mineral_compliance.models.matching import MatchGrade, StatusKind
from mineral_compliance.outputs import write_consolidation, write_json
from mineral_compliance.review import write_report

ROOT = Path(__file__).resolve().parents[1]


# -- a consolidation carrying given text -----------------------------------------------------

def _consolidation(company: str = "Example Metals Ltd.", smelter: str = "Example Smelter",
                   message: str = "The answer is missing.", *, files: int = 1) -> Consolidation:
    """A consolidation built directly (no supplier workbook), with ``company`` as every
    supplier's company name, ``smelter`` as a smelter's name and ``message`` as a finding's
    message and hint."""
    supplier_files = []
    for n in range(files):
        name = f"inbox/supplier-{n}.xlsx"
        finding = Finding(code="answer-missing", severity=Severity.ERROR, message=message,
                          hint=message, basis=Basis.CHECKER, file=name, sheet="Declaration",
                          cell="D26", subject="Tin")
        supplier_files.append(SupplierFile(
            file=name, status=FileStatus.ERRORS, supplier=f"S{n}",
            company=company if n == 0 else f"{company} {n}", kind="CMRT", version="6.5",
            errors=1, smelter_rows=1, findings=(finding,)))
    source = SmelterSource(supplier="S0", file="inbox/supplier-0.xlsx", sheet="Smelter List",
                           cell="D5", row=5, metal="Tin", name=smelter, country="Indonesia",
                           smelter_id=None, grade=MatchGrade.UNMATCHED)
    rejected = dataclasses.replace(source, cell="D6", row=6)
    return Consolidation(
        families=("CMRT",), files=tuple(supplier_files),
        smelters=(ConsolidatedSmelter(
            key="name:x|ID", metal="Tin", smelter_id=None, name=smelter, country="Indonesia",
            grade=MatchGrade.UNMATCHED, needs_review=True, status=StatusKind.UNKNOWN,
            flags=(), suppliers=("S0",), sources=(source,),
            representative="inbox/supplier-0.xlsx [Smelter List!D5]"),),
        rejected=(RejectedRow(source=rejected, reason="unresolvable", detail=message),),
        answers=(), products=(), snapshots=(), rows_read=2)


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones included) by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _leftovers(folder: Path) -> list[str]:
    """Temporary files and staging folders a writer should never leave behind."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.name.endswith(".part") or p.name.startswith(STAGING_PREFIX))


# -- 1. every character ------------------------------------------------------------------------

ALL_CATEGORIES = ("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd",
                  "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp",
                  "Cc", "Cf", "Cs", "Co", "Cn")
HOSTILE = "\ud800\udfff\x00\x01\x1b\x7f\x85\x9f\u202e\u202d\u2066\u2069\u200e\u200f\u061c" \
          "\u200b\u200c\u200d\u2060\ufeff\U000e0041\ufffe\uffff\ue000\U0010ffff\u2028\r\n\t" \
          "=+-@_x0041_<>&\"'"

text_anywhere = st.text(
    st.one_of(*(st.characters(categories=[c]) for c in ALL_CATEGORIES),  # type: ignore[list-item]
              st.sampled_from(list(HOSTILE))),
    min_size=1, max_size=24)
"""Text drawn from every Unicode general category, lone surrogates and unassigned code
points included, and from a list of characters known to cause trouble."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_form(text: str) -> str:
    """JSON keeps the exact text, except that a lone surrogate becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _sheet_form(text: str) -> str:
    """In CSV: a formula made inert by a leading apostrophe, C0 controls other than tab,
    newline and carriage return as their control pictures."""
    text = _json_form(text)
    if text.startswith(("=", "+", "-", "@", "\t", "\r")):
        text = "'" + text
    return "".join(chr(0x2400 + ord(ch)) if ord(ch) < 0x20 and ch not in "\t\n\r" else ch
                   for ch in text)


def _as_excel_shows(raw: str) -> str:
    """A worksheet string as Excel displays it: ``_xHHHH_`` is a character."""
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), raw)


def _cell_form(text: str) -> str:
    """In the workbook: as in CSV, and U+FFFE and U+FFFF (which XML cannot carry) as U+FFFD."""
    return re.sub("[\ufffe\uffff]", "\ufffd", _sheet_form(text))


def _page_form(text: str) -> str:
    """In the review report: C0 controls (but tab and newline) as control pictures, DEL as
    U+2421, every other control or format character except the zero-width joiner and
    non-joiner as [U+XXXX]."""
    out = []
    for ch in _json_form(text):
        cp = ord(ch)
        if cp < 0x20 and ch not in "\t\n":
            out.append(chr(0x2400 + cp))
        elif cp == 0x7F:
            out.append("\u2421")
        elif unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\t\n\u200c\u200d":
            out.append(f"[U+{cp:04X}]")
        else:
            out.append(ch)
    return "".join(out)


def _acts_unseen(ch: str) -> bool:
    """A character that would act on the page or hide in it if written as it is."""
    category = unicodedata.category(ch)
    return (category == "Cs" or (category == "Cc" and ch not in "\t\n")
            or (category == "Cf" and ch not in "\u200c\u200d"))


def _x(doc: Any, path: str) -> list[Any]:
    return cast(list[Any], doc.xpath(path))


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(company=text_anywhere, smelter=text_anywhere, message=text_anywhere)
@example(company="Acme\ud800 Ltd", smelter="=HYPERLINK(\"x\")", message="\x00\x1b[31m")
@example(company="\u202eLTD emca", smelter="Tin\u2066 \u2069\u200b", message="_x0041_\r\n")
@example(company="\ufffe\uffff", smelter=" \t", message="\U000e0041\U000e007f")
def test_any_character_is_written_safely_in_every_format(
        company: str, smelter: str, message: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = tmp_path_factory.mktemp("out")
    c = _consolidation(company, smelter, message)
    written = write_consolidation(c, out)
    assert all(p.is_file() for p in written)

    # JSON: exact text, lone surrogates as U+FFFD
    data = json.loads((out / "consolidation.json").read_bytes().decode("utf-8"))
    assert data["files"][0]["company"] == _json_form(company)
    assert data["smelters"][0]["name"] == _json_form(smelter)
    assert data["files"][0]["findings"][0]["message"] == _json_form(message)

    # CSV: Python's reader gets one record per row back, each field as specified
    (supplier,) = _csv_rows(out / "suppliers.csv")
    assert supplier["company"] == _sheet_form(company)
    (row,) = _csv_rows(out / "smelters.csv")
    assert row["name"] == _sheet_form(smelter)
    (rejected,) = _csv_rows(out / "rejected.csv")
    assert rejected["detail"] == _sheet_form(message)
    feedback = [p for p in (out / "feedback").glob("*.csv") if p.name != "index.csv"]
    (advice,) = [r for p in feedback for r in _csv_rows(p)]
    assert advice["message"] == advice["what_to_do"] == _sheet_form(message)

    # XLSX: openpyxl reads the cells, shown as Excel would show them
    book = openpyxl.load_workbook(out / "consolidation.xlsx")
    header = [cell.value for cell in book["Suppliers"][1]]
    cells = [cell.value for cell in book["Suppliers"][2]]
    assert _as_excel_shows(str(cells[header.index("company")])) == _cell_form(company)
    header = [cell.value for cell in book["Smelters"][1]]
    cells = [cell.value for cell in book["Smelters"][2]]
    assert _as_excel_shows(str(cells[header.index("name")])) == _cell_form(smelter)

    # HTML: shown, escaped, isolated; nothing in the page acts unseen
    page = html.document_fromstring((out / "report.html").read_bytes().decode("utf-8"))
    (company_cell,) = _x(page, "//table[@id='supplier-table']/tbody/tr/td[2]")
    assert company_cell[0].tag == "bdi" and company_cell[0].text_content() == _page_form(
        company)
    smelter_cells = _x(page, "//table[@id='smelter-table']/tbody/tr/td[3]")
    assert [td.text_content() for td in smelter_cells] == [_page_form(smelter)]
    messages = _x(page, "//ul[@class='findings']/li/bdi | //ul[@class='findings']/li/em/bdi")
    assert [b.text_content() for b in messages] == [_page_form(message)] * 2  # message, hint
    css = "".join(_x(page, "//style/text()"))
    assert re.search(r"bdi, td, th, li, dd[^{]*\{\s*unicode-bidi: isolate", css)
    body_text = str(page.xpath("string(//body)")) + "".join(_x(page, "//body//@*"))
    assert [ch for ch in body_text if _acts_unseen(ch)] == []
    assert _x(page, "//script") == _x(page, "//body/script")  # the page's own, only


def test_hidden_characters_in_the_page_are_every_control_and_format_character() -> None:
    """The report's pattern of characters to show is checked against the Unicode database
    of this Python, so a new format character cannot slip through unseen."""
    from mineral_compliance.review import visible

    hidden = [chr(cp) for cp in range(sys.maxunicode + 1)
              if not 0xD800 <= cp <= 0xDFFF and _acts_unseen(chr(cp))]
    assert len(hidden) > 200
    assert [ch for ch in hidden if visible(ch) == ch] == []
    assert visible("\u200c\u200d") == "\u200c\u200d"


def test_json_written_for_a_model_survives_a_lone_surrogate(tmp_path: Path) -> None:
    c = _consolidation(company="Bad\udc80Name")
    with pytest.raises(ValueError, match="surrogates"):
        c.model_dump_json()  # what the model alone does
    write_json(tmp_path / "c.json", c)
    data = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert data["files"][0]["company"] == "Bad\ufffdName"


def test_csv_fields_with_a_lone_carriage_return_are_quoted(tmp_path: Path) -> None:
    write_consolidation(_consolidation(smelter="first\rsecond"), tmp_path)
    raw = (tmp_path / "smelters.csv").read_bytes()
    assert b'"first\rsecond"' in raw and raw.count(b"\n") == 2
    assert [r["name"] for r in _csv_rows(tmp_path / "smelters.csv")] == ["first\rsecond"]


# -- 2. typed errors ---------------------------------------------------------------------------

def _disk_fills_after(monkeypatch: pytest.MonkeyPatch, writes: int) -> list[Path]:
    """Every file write after the first ``writes`` writes half its bytes and then fails as a
    full disk does; returns the list of paths written to."""
    real = run_module._write_all
    seen: list[Path] = []

    def write_all(path: Path, data: bytes | Iterable[bytes]) -> None:
        seen.append(path)
        if len(seen) > writes:
            data = data if isinstance(data, bytes) else b"".join(data)
            real(path, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, data)

    monkeypatch.setattr(run_module, "_write_all", write_all)
    return seen


def test_a_full_disk_is_an_output_error_naming_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _disk_fills_after(monkeypatch, 3)
    with pytest.raises(OutputError) as caught:
        write_consolidation(_consolidation(), tmp_path / "out")
    assert "the disk is full" in str(caught.value)
    assert caught.value.path is not None and caught.value.path.endswith(".csv")
    assert len(seen) == 4
    assert not (tmp_path / "out").exists()  # created by the run, and nothing in it


def test_write_atomic_on_its_own_leaves_the_old_file_and_no_part_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "data.json"
    target.write_bytes(b"old\n")
    _disk_fills_after(monkeypatch, 0)
    with pytest.raises(OutputError, match="the disk is full") as caught:
        write_atomic(target, b"new contents\n")
    assert caught.value.path == str(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.json"]
    assert target.read_bytes() == b"old\n"


def test_a_folder_where_an_output_file_goes_fails_before_anything_moves(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_consolidation(_consolidation(company="First"), out)
    (out / "report.html").unlink()
    (out / "report.html").mkdir()
    before = _tree(out)
    with pytest.raises(OutputError, match="a folder is in the way") as caught:
        write_consolidation(_consolidation(company="Second"), out)
    assert caught.value.path == str(out / "report.html")
    assert _tree(out) == before and _leftovers(out) == []


def test_a_folder_named_like_the_file_fails_write_atomic_cleanly(tmp_path: Path) -> None:
    (tmp_path / "consolidation.json").mkdir()
    with pytest.raises(OutputError, match="a folder is in the way"):
        write_atomic(tmp_path / "consolidation.json", b"{}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["consolidation.json"]


def test_an_output_folder_that_is_a_file_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("mine\n")
    with pytest.raises(OutputError, match="not a folder"):
        write_consolidation(_consolidation(), tmp_path / "out")
    assert (tmp_path / "out").read_text() == "mine\n"


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs Linux's read-only /sys")
@pytest.mark.parametrize("where", ["/sys", "/sys/mineral-compliance-out"])
def test_a_folder_nobody_may_write_is_an_output_error(where: str) -> None:
    with pytest.raises(OutputError) as caught:
        write_consolidation(_consolidation(), where)
    assert caught.value.path == where


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="permissions do not bind the superuser")
def test_a_read_only_folder_is_an_output_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="permission denied"):
            write_consolidation(_consolidation(), out)
    finally:
        out.chmod(0o755)
    assert list(out.iterdir()) == []


def test_other_writers_turn_write_failures_into_output_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mineral_compliance.disclosures.documents import write_dodd_frank
    from mineral_compliance.models.profile import CompanyProfile

    profile = CompanyProfile.model_validate({
        "registrant_name": "Example Devices Inc.", "cik": "1234567",
        "state_of_incorporation": "Delaware", "address": "1 Example Way",
        "contact_name": "Compliance Office", "contact_phone": "+1 555 0100",
        "reporting_year": 2025,
        "products": [{"name": "Controllers", "metals": ["Tin"], "manufactured": True}]})
    _disk_fills_after(monkeypatch, 1)
    for write in (lambda: write_report(_consolidation(), tmp_path / "r" / "report.html"),
                  lambda: write_dodd_frank(profile, _consolidation(), tmp_path / "sd"),
                  lambda: write_eu(profile, _consolidation(), tmp_path / "eu")):
        with pytest.raises(OutputError, match="the disk is full"):
            write()
    assert list(tmp_path.iterdir()) == []


# -- 3. all or nothing -------------------------------------------------------------------------

def test_a_run_failing_midway_leaves_the_previous_run_byte_for_byte(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write_consolidation(_consolidation(company="Last Year", files=3), out)
    (out / "notes.txt").write_text("the user's own file\n")
    before = _tree(out)
    seen = _disk_fills_after(monkeypatch, 9)
    with pytest.raises(OutputError):
        write_consolidation(_consolidation(company="This Year", files=1), out)
    assert len(seen) == 10  # the tenth file failed: nine were staged already
    assert _tree(out) == before and _leftovers(out) == []


def test_a_rename_failing_while_committing_puts_everything_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write_consolidation(_consolidation(company="Last Year"), out)
    before = _tree(out)
    real = Path.replace
    moves: list[Path] = []

    def replace(self: Path, target: Any) -> Path:
        if STAGING_PREFIX in str(self) and "/files/" in str(self):
            moves.append(Path(target))
            if len(moves) == 6:
                raise OSError(errno.EIO, "input/output error", str(target))
        return real(self, target)

    monkeypatch.setattr(Path, "replace", replace)
    with pytest.raises(OutputError, match="input/output error"):
        write_consolidation(_consolidation(company="This Year"), out)
    assert len(moves) == 6
    assert _tree(out) == before and _leftovers(out) == []


def test_files_the_previous_run_wrote_and_this_one_did_not_are_removed_and_no_others(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_consolidation(_consolidation(company="Supplier", files=3), out)
    (out / "notes.txt").write_text("mine\n")
    (out / "feedback" / "my-list.csv").write_text("mine\n")
    edited = out / "feedback" / "Supplier 2.csv"
    edited.write_text("edited by hand\n")
    assert (out / "feedback" / "Supplier 1.csv").is_file()
    write_consolidation(_consolidation(company="Supplier", files=1), out)
    names = sorted(p.name for p in (out / "feedback").iterdir())
    # gone: the file this run no longer writes; kept: the user's, and the one they edited
    assert names == ["Supplier 2.csv", "Supplier.csv", "index.csv", "my-list.csv"]
    assert (out / "notes.txt").read_text() == "mine\n"
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["run"]["name"] == "consolidation"
    assert "feedback/Supplier 2.csv" not in manifest["files"]
    for rel, entry in manifest["files"].items():
        import hashlib

        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == entry["sha256"]


def test_one_outer_run_holds_every_writer_and_fails_as_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    c = _consolidation(files=2)
    with pytest.raises(RuntimeError), output_run(out, name="consolidation"):
        write_consolidation(c, out)
        write_json(out / "comparison.json", {"smelters": []})
        write_consolidation(c, out / "products")
        assert list(out.iterdir()) != [] and not (out / "consolidation.json").exists()
        raise RuntimeError("stopped before the end")
    assert not out.exists()
    with output_run(out, name="consolidation") as run:
        write_consolidation(c, out)
        write_json(out / "comparison.json", {"smelters": []})
        write_consolidation(c, out / "products")
        write_report(c, out / "report.html")
    assert (out / "products" / "report.html").is_file() and (out / "comparison.json").is_file()
    assert not (out / "products" / MANIFEST_NAME).exists()  # one run, one manifest
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert set(manifest["files"]) == {p.relative_to(out).as_posix() for p in run.files}
    assert _leftovers(out) == [] and not (out / LOCK_NAME).exists()


def test_a_report_written_on_its_own_leaves_the_consolidation_beside_it(tmp_path: Path) -> None:
    write_consolidation(_consolidation(), tmp_path)
    before = _tree(tmp_path)
    write_report(_consolidation(company="Other"), tmp_path / "report.html")
    after = _tree(tmp_path)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {"report.html", MANIFEST_NAME}


_KILL_WHILE_RENAMING = """
import os, sys
from pathlib import Path
from mineral_compliance._io.run import STAGING_PREFIX
import tests.test_output_safety as t

real = Path.replace
moves = []

def replace(self, target):
    if STAGING_PREFIX in str(self) and "/files/" in str(self):
        moves.append(target)
        if len(moves) == 4:
            os._exit(9)  # the process dies between two renames
    return real(self, target)

Path.replace = replace
t.write_consolidation(t._consolidation(company="This Year"), sys.argv[1])
"""


def test_a_run_killed_while_renaming_is_finished_by_the_next_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_consolidation(_consolidation(company="Last Year"), out)
    expected = tmp_path / "expected"
    write_consolidation(_consolidation(company="This Year"), expected)
    proc = subprocess.run([sys.executable, "-c", _KILL_WHILE_RENAMING, str(out)], cwd=ROOT,
                          timeout=120, capture_output=True)
    assert proc.returncode == 9, proc.stderr.decode()
    assert len(_leftovers(out)) == 1  # the staging folder, with its journal
    recover(out)
    after, wanted = _tree(out), _tree(expected)
    assert {k: v for k, v in after.items() if k != MANIFEST_NAME} == {
        k: v for k, v in wanted.items() if k != MANIFEST_NAME}
    assert _leftovers(out) == [] and not (out / LOCK_NAME).exists()


# -- 4. one run at a time ----------------------------------------------------------------------

_HOLD = """
import sys
from mineral_compliance._io.run import output_run, write_atomic
from pathlib import Path
with output_run(sys.argv[1], name="holder"):
    write_atomic(Path(sys.argv[1]) / "held.txt", b"held\\n")
    print("ready", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process inside a run on ``tmp_path / 'out'`` until its stdin is closed."""
    with subprocess.Popen([sys.executable, "-c", _HOLD, str(tmp_path / "out")],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                          cwd=ROOT) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
            yield proc
        finally:
            proc.kill()
            proc.wait(timeout=30)


def test_a_second_run_into_the_same_folder_is_refused(
        tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    out = tmp_path / "out"
    lock = json.loads((out / LOCK_NAME).read_text())
    assert lock["pid"] == holder.pid and lock["host"] and lock["started"]
    with pytest.raises(OutputLockedError, match=f"process {holder.pid}") as caught:
        write_consolidation(_consolidation(), out)
    assert caught.value.path == str(out) and caught.value.holder == lock
    # nothing of either run is in place yet: the holder's file is still staged
    assert [p.name for p in out.iterdir() if not p.name.startswith(STAGING_PREFIX)] == [
        LOCK_NAME]
    assert holder.stdin is not None
    holder.stdin.close()
    assert holder.wait(timeout=60) == 0
    assert (out / "held.txt").read_bytes() == b"held\n"  # the first run was not disturbed
    write_consolidation(_consolidation(), out)  # and now the folder is free
    assert (out / "held.txt").is_file() and (out / "consolidation.json").is_file()


def test_the_lock_of_a_process_that_died_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "out"
    script = textwrap.dedent("""
        import os, sys
        from mineral_compliance._io.run import output_run
        with output_run(sys.argv[1]):
            os._exit(3)
    """)
    dead = subprocess.Popen([sys.executable, "-c", script, str(out)], cwd=ROOT)
    assert dead.wait(timeout=60) == 3
    assert json.loads((out / LOCK_NAME).read_text())["pid"] == dead.pid
    assert len(_leftovers(out)) == 1  # its staging folder
    write_consolidation(_consolidation(), out)
    assert not (out / LOCK_NAME).exists() and _leftovers(out) == []
    assert (out / "consolidation.json").is_file()


# -- 5. umask ----------------------------------------------------------------------------------

@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_output_files_take_the_users_umask(tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        write_consolidation(_consolidation(), tmp_path / "out")
        write_atomic(tmp_path / "alone.txt", b"x\n")
    finally:
        os.umask(previous)
    modes = {p.relative_to(tmp_path).as_posix(): p.stat().st_mode & 0o777
             for p in tmp_path.rglob("*") if p.is_file()}
    assert len(modes) > 10
    assert set(modes.values()) == {0o666 & ~umask}, modes


# -- 6. a workbook whose bytes do not depend on the clock -------------------------------------

def _clock_at(monkeypatch: pytest.MonkeyPatch, when: dt.datetime) -> None:
    """openpyxl's idea of now (it stamps the save time into docProps/core.xml)."""
    import openpyxl.packaging.core
    import openpyxl.writer.excel

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Clock:
            return cls.fromtimestamp(when.timestamp(), tz)

        @classmethod
        def utcnow(cls) -> Clock:
            return cls.fromtimestamp(when.timestamp())

    class Module:
        datetime = Clock
        timezone = dt.timezone

    for module in (openpyxl.writer.excel, openpyxl.packaging.core):
        monkeypatch.setattr(module, "datetime", Module)


def test_the_workbook_is_the_same_bytes_whatever_the_clock(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = _consolidation()
    stamps = []
    for n, when in enumerate([dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC),
                              dt.datetime(2031, 12, 31, 23, 59, 58, tzinfo=dt.UTC)]):
        _clock_at(monkeypatch, when)
        # the clock reaches openpyxl: a plain save carries it
        plain = io.BytesIO()
        openpyxl.Workbook().save(plain)
        stamps.append(zipfile.ZipFile(plain).read("docProps/core.xml"))
        write_consolidation(c, tmp_path / str(n))
    assert b"2024-03-01T08:00:00Z" in stamps[0] and b"2031-12-31T23:59:58Z" in stamps[1]
    first, second = ((tmp_path / n / "consolidation.xlsx").read_bytes() for n in "01")
    assert first == second
    core = zipfile.ZipFile(io.BytesIO(first)).read("docProps/core.xml")
    assert b"2000-01-01T00:00:00Z</dcterms:modified>" in core
