"""Killing a consolidation at any moment leaves no file under a final name that is not
complete, and the next run into the folder takes over and finishes cleanly; a single atomic
write that fails leaves the old file and no temporary file."""

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
from mineral_compliance._io.run import LOCK_NAME, MANIFEST_NAME, STAGING_PREFIX, write_atomic
from mineral_compliance.errors import OutputError

from .conftest import FIXTURES


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


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """Enough supplier files for a run of a few seconds, and how long a whole run takes."""
    folder = tmp_path_factory.mktemp("inbox")
    for n in range(25):
        for path in (FIXTURES / "demo").glob("*.xlsx"):
            shutil.copy(path, folder / f"{n:02d}-{path.name}")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mineral_compliance", "consolidate", str(folder),
                    "-o", str(folder.parent / "full"), "--no-progress"],
                   capture_output=True, check=True)
    return folder, time.perf_counter() - start


@pytest.mark.parametrize("fraction", [0.5, 0.8, 0.9, 0.95, 0.98, 1.0])
def test_a_killed_consolidation_leaves_only_complete_files(
        fraction: float, inbox: tuple[Path, float], tmp_path: Path) -> None:
    folder, duration = inbox
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mineral_compliance", "consolidate", str(folder),
         "-o", str(out), "--no-progress"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(duration * fraction)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    finals = [p for p in out.glob("*") if not p.name.startswith(".")] if out.exists() else []
    for path in finals:
        assert _complete(path), path.name
    # the next run takes the dead run's lock over, drops its staging folder, and finishes
    subprocess.run([sys.executable, "-m", "mineral_compliance", "consolidate", str(folder),
                    "-o", str(out), "--no-progress"], capture_output=True, timeout=300)
    assert (out / MANIFEST_NAME).is_file() and not (out / LOCK_NAME).exists()
    assert [p.name for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)] == []
    assert all(_complete(p) for p in out.iterdir() if not p.name.startswith("."))


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
