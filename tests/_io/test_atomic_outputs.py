"""Killing a consolidation at any moment over an earlier run's outputs leaves no file under
a final name that is not complete and, once recovered, exactly one run's files; the next
run into the folder takes over and finishes cleanly. A single atomic write that fails
leaves the old file and no temporary file."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from mineral_compliance._io import run as run_module
from mineral_compliance._io.run import (
    LOCK_NAME,
    MANIFEST_NAME,
    STAGING_PREFIX,
    recover,
    write_atomic,
)
from mineral_compliance.errors import OutputError

from ..conftest import FIXTURES


def _complete(path: Path) -> bool:
    if path.is_dir():  # feedback/: every file in it under its final name is complete
        return all(_complete(p) for p in path.iterdir() if not p.name.startswith("."))
    if path.suffix == ".html":
        return path.read_bytes().rstrip().endswith(b"</html>")
    if path.suffix == ".json":
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            return False
        return True
    if path.suffix == ".xlsx":
        try:
            with zipfile.ZipFile(path) as z:
                return z.testzip() is None
        except zipfile.BadZipFile:
            return False
    return path.read_bytes().endswith(b"\n")


def _reader_view(folder: Path) -> dict[str, bytes]:
    """What a reader of ``folder`` finds under final names (hidden files left out)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".")
                                       for part in p.relative_to(folder).parts)}


def _consolidate(inbox: Path, out: Path) -> None:
    subprocess.run([sys.executable, "-m", "mineral_compliance", "consolidate", str(inbox),
                    "-o", str(out), "--no-progress"], capture_output=True, check=True,
                   timeout=300)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, Path, float]:
    """Two inboxes and their consolidations: a small earlier one, and one large enough for a
    run of a few seconds; and how long the large run takes."""
    base = tmp_path_factory.mktemp("runs")
    earlier, inbox = base / "earlier-inbox", base / "inbox"
    earlier.mkdir()
    inbox.mkdir()
    for path in (FIXTURES / "demo").glob("*.xlsx"):
        shutil.copy(path, earlier / path.name)
        for n in range(25):
            shutil.copy(path, inbox / f"{n:02d}-{path.name}")
    _consolidate(earlier, base / "old")
    start = time.perf_counter()
    _consolidate(inbox, base / "new")
    return inbox, base / "old", base / "new", base, time.perf_counter() - start


_DIE_AT_RENAME = """
import os, sys
from pathlib import Path
from mineral_compliance._io.run import STAGING_PREFIX
from mineral_compliance.cli import main

real = Path.replace
moves = []

def replace(self, target):
    if STAGING_PREFIX in str(self) and "/files/" in str(self):
        moves.append(target)
        if len(moves) == int(sys.argv[1]):
            os._exit(9)
    return real(self, target)

Path.replace = replace
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("when", [0.5, 0.8, 0.9, 0.95, 0.98, 1.0, "rename 1", "rename 6",
                                  "rename 15"])
def test_a_killed_consolidation_leaves_one_runs_files(
        when: float | str, runs: tuple[Path, Path, Path, Path, float], tmp_path: Path) -> None:
    """Killed at any moment over the previous run's outputs (at a fraction of the time a
    run takes, or between two renames into the folder), a consolidation leaves, once the
    folder is recovered (as any later run does first), exactly the previous run's files or
    exactly its own, byte for byte; and the next run completes."""
    inbox, old, new, _, duration = runs
    old_files, new_files = _reader_view(old), _reader_view(new)
    assert old_files.keys() <= new_files.keys()
    differ = [k for k in old_files if old_files[k] != new_files[k]]
    assert {"consolidation.json", "consolidation.xlsx", "report.html",
            "feedback/index.csv"} <= set(differ)  # so a mix would show
    out = tmp_path / "out"
    shutil.copytree(old, out)
    command = ["consolidate", str(inbox), "-o", str(out), "--no-progress"]
    if isinstance(when, str):
        died = subprocess.run(
            [sys.executable, "-c", _DIE_AT_RENAME, when.split()[1], *command],
            capture_output=True, timeout=300, cwd=FIXTURES.parent)
        assert died.returncode == 9, died.stderr.decode()
        if when != "rename 1":
            assert _reader_view(out) not in (old_files, new_files)  # a mix, until recovered
    else:
        proc = subprocess.Popen([sys.executable, "-m", "mineral_compliance", *command],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * when)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    for path in out.iterdir():
        if not path.name.startswith("."):
            assert _complete(path), path.name
    recover(out)
    after = _reader_view(out)
    assert after in (old_files, new_files), sorted(
        k for k in after.keys() | new_files.keys() if after.get(k) != new_files.get(k))
    assert [p.name for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)] == []
    # the next run starts on a clean folder and finishes
    _consolidate(inbox, out)
    assert _reader_view(out) == new_files
    assert (out / MANIFEST_NAME).is_file() and not (out / LOCK_NAME).exists()
    assert [p.name for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)] == []


@pytest.mark.parametrize("fails_after", [0, 1, 5])
def test_a_failing_write_leaves_the_old_file_and_no_part_file(
        fails_after: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "consolidation.json"
    target.write_bytes(b'{"old": true}\n')

    def write_all(path: Path, data: bytes) -> None:
        with path.open("wb") as handle:
            handle.write(data[:fails_after])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(run_module, "_write_all", write_all)
    with pytest.raises(OutputError, match="the disk is full") as caught:
        write_atomic(target, b'{"new": true}\n')
    assert caught.value.path == str(target)
    assert [p.name for p in tmp_path.iterdir()] == ["consolidation.json"]
    assert target.read_bytes() == b'{"old": true}\n'
