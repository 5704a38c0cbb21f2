"""Every batch command sees the same inputs and follows one exit-code policy; interruptions and
unexpected failures end in one line."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from mineral_compliance.cli import main
from mineral_compliance.cli import validate as validate_command

from ..conftest import FIXTURES

DEMO = FIXTURES / "demo"
CMRT = DEMO / "cmrt-6.5-product-scope.xlsx"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    box = tmp_path / "inbox"
    box.mkdir()
    shutil.copy(CMRT, box / "supplier-a.xlsx")
    shutil.copy(FIXTURES / "refused" / "legacy.xls", box / "old.xls")
    (box / "~$supplier-a.xlsx").write_bytes(b"an Office lock file")
    with zipfile.ZipFile(box / "batch.zip", "w") as z:
        z.write(DEMO / "crt-2.21-cobalt.xlsx", "crt.xlsx")
        z.write(DEMO / "emrt-2.1-selected-minerals.xlsx", "nested/emrt.xlsx")
    return box


def _files(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = main(list(argv))
    out = json.loads(capsys.readouterr().out)
    entries: list[dict[str, Any]] = out["files"] if isinstance(out, dict) else out
    return code, sorted(str(e["file"]) for e in entries)


def test_validate_summary_crosscheck_and_consolidate_see_the_same_inputs(
        inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = sorted([str(inbox / "batch.zip") + "!crt.xlsx",
                       str(inbox / "batch.zip") + "!nested/emrt.xlsx",
                       str(inbox / "old.xls"), str(inbox / "supplier-a.xlsx")])
    for command in ("validate", "summary", "crosscheck"):
        code, files = _files(capsys, command, str(inbox), "--json")
        assert files == expected, command
        assert code == 2, command  # old.xls cannot be read
    code = main(["consolidate", str(inbox), "-o", str(tmp_path / "out")])
    assert code == 2
    capsys.readouterr()
    written = json.loads((tmp_path / "out" / "consolidation.json").read_text())
    assert sorted(f["file"] for f in written["files"]) == expected


def test_crosscheck_json_names_each_unreadable_file_with_its_error(
        inbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["crosscheck", str(inbox), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    legacy = next(o for o in out if o["file"].endswith("old.xls"))
    assert legacy["error"]["type"] == "LegacyFormatError"
    assert "old.xls" in legacy["error"]["message"]
    assert all(o["error"] is None and o["rows"] is not None for o in out if o is not legacy)


@pytest.mark.parametrize("command", ["validate", "summary", "crosscheck", "consolidate"])
def test_no_input_at_all_exits_2_with_a_message_and_writes_nothing(
        command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "x.xlsx"  # a folder with a template's name and nothing in it
    empty.mkdir()
    (empty / "readme.txt").write_text("no templates here")
    out = tmp_path / "out"
    argv = [command, str(empty)] + (["-o", str(out)] if command == "consolidate" else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"no input found in {empty}" in err
    assert not out.exists()


def test_consolidating_a_folder_twice_never_reads_its_own_outputs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(CMRT, tmp_path / "supplier.xlsx")
    out = tmp_path / "consolidation"
    blank = DEMO / "cmrt-6.5-product-scope.xlsx"
    for _ in range(2):
        assert main(["consolidate", str(tmp_path), "-o", str(out), "--template",
                     str(blank)]) == 0
        assert (out / "company-cmrt.xlsx").is_file()
        written = json.loads((out / "consolidation.json").read_text())
        assert [f["file"] for f in written["files"]] == [str(tmp_path / "supplier.xlsx")]
    capsys.readouterr()


def test_an_unexpected_failure_is_one_line_naming_the_input(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def broken(args: object) -> int:
        raise ValueError("something the code did not expect")

    monkeypatch.setattr(validate_command, "run_validate", broken)
    assert main(["validate", str(CMRT)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "unexpected ValueError in 'mineral-compliance validate'" in err
    assert str(CMRT) in err and "--debug" in err and "report it" in err
    for argv in (["--debug", "validate", str(CMRT)], ["validate", str(CMRT), "--debug"]):
        assert main(argv) == 2
        assert "Traceback (most recent call last)" in capsys.readouterr().err


_SLOW_RUN = textwrap.dedent("""
    import sys, time
    from mineral_compliance import cli
    from mineral_compliance.consolidation import loading

    real = loading.load

    def slow(item):
        print("reading", flush=True)
        time.sleep(0.5)
        return real(item)

    loading.load = slow
    sys.exit(cli.main(["consolidate", *sys.argv[1:]]))
""")


def test_ctrl_c_ends_with_one_line_exit_130_and_no_worker_left(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(40):
        shutil.copy(CMRT, inbox / f"s{i:02}.xlsx")
    out = tmp_path / "out"
    def as_in_a_terminal() -> None:
        # a run started in the background inherits SIGINT ignored (and so would the
        # command); in a terminal it is delivered
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    with subprocess.Popen([sys.executable, "-c", _SLOW_RUN, str(inbox), "-o", str(out)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True, preexec_fn=as_in_a_terminal) as proc:
        try:
            # workers print as they start a file (two may print on one line)
            assert proc.stdout is not None and proc.stdout.readline().startswith("reading")
            os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole group
            _out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130
    assert err.strip() == "interrupted"
    assert not (out / "consolidation.json").exists()
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # nothing of the group is left


def test_a_roster_saved_as_utf16_counts_its_suppliers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_bytes("supplier\r\nCathode Example Ltd.\r\nSomeone Who Did Not Answer\r\n"
                       .encode("utf-16"))  # with its byte-order mark, as Excel saves it
    out = tmp_path / "out"
    assert main(["consolidate", str(DEMO / "crt-2.21-cobalt.xlsx"), "-o", str(out),
                 "--roster", str(roster), "--no-progress"]) == 0
    capsys.readouterr()
    data = json.loads((out / "consolidation.json").read_text(encoding="utf-8"))
    rate = next(a for a in data["answers"] if a["question"] == "4")
    assert rate["rule"] == "1 of 2 suppliers on the roster responded"


def test_a_consolidate_that_fails_part_way_leaves_the_previous_outputs_as_they_were(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert main(["consolidate", str(DEMO), "-o", str(out), "--no-progress"]) == 0

    def snapshot() -> dict[str, bytes]:
        return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
                if p.is_file()}

    before = snapshot()
    # a blank template that cannot be used: refused before anything is written
    assert main(["consolidate", str(CMRT), "-o", str(out), "--no-progress",
                 "--template", str(FIXTURES / "refused" / "legacy.xls")]) == 2
    assert snapshot() == before
    # a failure while the company template is written, after the consolidation was staged
    from mineral_compliance.errors import OutputError

    def failing(*args: object, **kwargs: object) -> None:
        raise OutputError("the disk is full", path=out / "company-cmrt.xlsx")

    import mineral_compliance.templates

    monkeypatch.setattr(mineral_compliance.templates, "write_template", failing)
    assert main(["consolidate", str(CMRT), "-o", str(out), "--no-progress",
                 "--template", str(CMRT)]) == 2
    assert "the disk is full" in capsys.readouterr().err
    assert snapshot() == before
    assert not any(p.name.startswith(".mineral-compliance-run-") for p in out.iterdir())
