"""Writing a set of outputs into one folder: all of them or none, one run at a time.

A consolidation is many files (JSON, a workbook, CSV tables, a feedback file per supplier,
the review report). A reader must never find some of them from this run and some from the
previous one, and two runs into the same folder must not interleave. :func:`output_run` gives
both guarantees::

    with output_run("out", name="consolidation") as run:
        write_atomic(Path("out/consolidation.json"), data)   # staged, not yet in out/
        ...
    # here every staged file is in out/, or (after an exception) out/ is as it was

How it works:

* A lock file, ``.mineral-compliance.lock``, is created with ``O_EXCL`` in the output folder
  and holds the pid, host and start time of its run. A second run is refused with
  :class:`~mineral_compliance.errors.OutputLockedError`; a lock whose process is dead on this
  host is taken over.
* Files are written into a staging folder inside the output folder
  (``.mineral-compliance-run-XXXXXXXX/``, so a rename is never a copy across file systems).
* On success the destinations are checked first (a folder where a file should go fails the
  run before anything moves), then a journal is written, then each file is renamed into place
  (the file it replaces kept aside until all are in), files this kind of run wrote last time
  and not this time are removed, and the manifest ``.mineral-compliance-manifest.json`` is
  rewritten: the run, and every file with its sha256 and the kind of run that wrote it.
* On an exception the staging folder is removed; if a rename fails part-way, the files moved
  are put back. A run killed while renaming leaves its journal; the next run into the folder
  finishes the renames before it starts (staging folders without a journal are removed).
* Only files the manifest names, and only while they still hold the bytes it records, are
  ever removed: ``-o .`` never loses a user's own file.
* Every file is given the permissions a plain ``open()`` would (``0o666`` less the umask).

A writer that opens a run on a folder an enclosing run already covers joins that run, so the
command line can put a consolidation, its comparison, a product subset, the company
templates and the review report into one run. A single :func:`write_atomic` outside any run
is written through a temporary file and renamed, on its own.

Every failure is an :class:`~mineral_compliance.errors.OutputError` naming the path.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import socket
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import OutputError, OutputLockedError
from .text import scrub

__all__ = [
    "LOCK_NAME",
    "MANIFEST_NAME",
    "STAGING_PREFIX",
    "OutputRun",
    "active_run",
    "atomic_path",
    "current_umask",
    "output_run",
    "recover",
    "write_atomic",
    "written_files",
]

MANIFEST_NAME = ".mineral-compliance-manifest.json"
LOCK_NAME = ".mineral-compliance.lock"
STAGING_PREFIX = ".mineral-compliance-run-"
_JOURNAL = ".commit.json"
_ASIDE = ".replaced"
_FORMAT = 1
_FRESH_LOCK_SECONDS = 10.0
"""A lock file that cannot be parsed is taken to be one being written for this long."""

_ACTIVE: contextvars.ContextVar[OutputRun | None] = contextvars.ContextVar(
    "mineral_compliance_output_run", default=None)
_UMASK_LOCK = threading.Lock()


# -- small helpers -----------------------------------------------------------------------------

def current_umask() -> int:
    """The process umask, read without changing it where the system allows (Linux exposes it
    in ``/proc/self/status``); elsewhere set and restored under a lock."""
    try:
        with Path("/proc/self/status").open(encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EDQUOT:
        return "the disk quota is exhausted"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno == errno.EISDIR:
        return "a folder is in the way"
    return exc.strerror or str(exc)


def _failed(path: Path, exc: OSError, doing: str = "cannot be written") -> OutputError:
    return OutputError(f"{doing} ({_why(exc)})", path=path,
                       hint="free some space or choose an output folder you can write to")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _absolute(path: str | Path) -> Path:
    return Path(os.path.normpath(Path(path).absolute()))


def _relative(folder: Path, target: Path) -> str | None:
    """``target`` as a POSIX path relative to ``folder``, or None if it is not inside."""
    try:
        rel = _absolute(target).relative_to(folder)
    except ValueError:
        return None
    if not rel.parts or any(p in ("", ".", "..") for p in rel.parts):
        return None
    return rel.as_posix()


def _safe_rel(rel: object) -> str | None:
    """A manifest or journal entry that names a file inside the folder, or None."""
    if not isinstance(rel, str) or not rel or "\\" in rel or "\0" in rel:
        return None
    parts = rel.split("/")
    if rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return None
    if parts[0].startswith(STAGING_PREFIX) or rel in (MANIFEST_NAME, LOCK_NAME):
        return None
    return rel


def _publish(tmp: Path, target: Path, mode: int) -> None:
    """Give ``tmp`` its final permissions and rename it over ``target``."""
    tmp.chmod(mode)
    if target.is_dir() and not target.is_symlink():
        raise IsADirectoryError(errno.EISDIR, "a folder is in the way", str(target))
    tmp.replace(target)


def _write_all(path: Path, data: bytes) -> None:
    """Create or truncate ``path`` and write all of ``data`` to it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0),
                 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


# -- the run -----------------------------------------------------------------------------------

@dataclass
class OutputRun:
    """One run of writers into ``folder``; files are staged in ``staging`` until it ends."""

    folder: Path
    staging: Path
    name: str
    run_id: str
    started: str
    mode: int
    staged: dict[str, Path] = field(default_factory=dict)

    def covers(self, target: str | Path) -> bool:
        """True when ``target`` lies inside this run's output folder."""
        return _relative(self.folder, Path(target)) is not None

    @property
    def files(self) -> list[Path]:
        """The final paths of the files staged so far, in the order they were staged."""
        return [self.folder / rel for rel in self.staged]

    def reserve(self, target: str | Path) -> Path:
        """The staging path for ``target`` (inside the output folder): the caller writes the
        whole file there; it moves into place when the run ends."""
        rel = _relative(self.folder, Path(target))
        if rel is None or _safe_rel(rel) is None:
            raise OutputError("this path is not inside the run's output folder", path=target,
                              hint=f"the run writes into {self.folder}")
        staged = self.staging / "files" / rel
        try:
            staged.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _failed(_absolute(target), exc) from exc
        self.staged.pop(rel, None)
        self.staged[rel] = staged
        return staged

    def discard(self, target: str | Path) -> None:
        """Forget the file staged for ``target``, if any."""
        rel = _relative(self.folder, Path(target))
        staged = self.staged.pop(rel, None) if rel is not None else None
        if staged is not None:
            staged.unlink(missing_ok=True)

    def write(self, target: str | Path, data: bytes) -> Path:
        """Stage ``data`` as ``target``; returns the final path."""
        staged = self.reserve(target)
        try:
            _write_all(staged, data)
        except OSError as exc:
            self.discard(target)
            raise _failed(_absolute(target), exc) from exc
        return _absolute(target)


def active_run() -> OutputRun | None:
    """The run the current code is inside, if any."""
    return _ACTIVE.get()


@contextlib.contextmanager
def output_run(folder: str | Path, *, name: str = "outputs") -> Iterator[OutputRun]:
    """Write every file of one run into ``folder`` together (see the module docstring).

    ``name`` says what kind of run this is (``"consolidation"``, ``"report"``, ...): files an
    earlier run of the same name wrote and this one does not are removed when it succeeds;
    files of other kinds of run are left alone. Inside a run that already covers ``folder``,
    this joins the enclosing run instead."""
    outer = _ACTIVE.get()
    if outer is not None and (_absolute(folder) == outer.folder or outer.covers(folder)):
        yield outer
        return
    target = _absolute(folder)
    created = not target.exists()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise OutputError("this is a file, not a folder", path=target,
                          hint="choose a folder for the outputs") from exc
    except OSError as exc:
        raise _failed(target, exc, "the output folder cannot be created") from exc
    lock = _acquire(target)
    try:
        _recover(target)
        try:
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=target))
        except OSError as exc:
            raise _failed(target, exc, "cannot write into the output folder") from exc
        run = OutputRun(folder=target, staging=staging, name=name,
                        run_id=staging.name.removeprefix(STAGING_PREFIX), started=_now(),
                        mode=0o666 & ~current_umask())
        token = _ACTIVE.set(run)
        try:
            yield run
        except BaseException:
            _ACTIVE.reset(token)
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _ACTIVE.reset(token)
        try:
            _commit(run)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        _release(lock)
        if created:
            with contextlib.suppress(OSError):
                target.rmdir()  # only if nothing else was put there
        raise
    _release(lock)


def recover(folder: str | Path) -> None:
    """Finish what a run killed while renaming its files into ``folder`` left undone (and
    remove staging folders of runs that never got that far). Every run does this first."""
    target = _absolute(folder)
    if not target.is_dir():
        return
    lock = _acquire(target)
    try:
        _recover(target)
    finally:
        _release(lock)


# -- writing one file ----------------------------------------------------------------------------

@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A path to write the whole of ``target`` to. Inside a run covering it, the file is
    staged; otherwise it is a temporary file in the target's folder, renamed over the target
    when the block ends. An exception leaves no temporary file; an ``OSError`` becomes an
    :class:`OutputError` naming ``target``."""
    final = _absolute(target)
    run = _ACTIVE.get()
    if run is not None and run.covers(final):
        staged = run.reserve(final)
        try:
            yield staged
        except BaseException as exc:
            run.discard(final)  # a caller that goes on must not publish half a file
            if isinstance(exc, OSError):
                raise _failed(final, exc) from exc
            raise
        return
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{final.name[:60]}.", suffix=".part",
                                    dir=final.parent)
        os.close(fd)
    except OSError as exc:
        raise _failed(final, exc, "cannot write here") from exc
    tmp = Path(name)
    try:
        try:
            yield tmp
            _publish(tmp, final, 0o666 & ~current_umask())
        except OSError as exc:
            raise _failed(final, exc) from exc
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | Path, data: bytes | str) -> None:
    """Write ``data`` (text is written as UTF-8, lone surrogates replaced) as the whole of
    ``path``: staged in the enclosing run, or through a temporary file renamed into place."""
    payload = scrub(data).encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        _write_all(tmp, payload)


# -- the lock ----------------------------------------------------------------------------------

def _lock_info() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "started": _now()}


def _read_json(path: Path) -> Any:
    try:
        with path.open("rb") as handle:
            return json.loads(handle.read(1 << 16).decode("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    return True


def _stale(lock: Path, holder: Any) -> bool:
    """A lock left by a process that is gone: its pid is dead on this host, or it was never
    completed (unparseable) and is older than a run takes to write one."""
    if not isinstance(holder, dict):
        try:
            age = time.time() - lock.stat().st_mtime
        except OSError:
            return False
        return age > _FRESH_LOCK_SECONDS
    pid = holder.get("pid")
    if holder.get("host") != socket.gethostname() or not isinstance(pid, int):
        return False
    return pid != os.getpid() and not _alive(pid)


def _acquire(folder: Path) -> Path:
    lock = folder / LOCK_NAME
    info = _lock_info()
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = _read_json(lock)
            if _stale(lock, holder):
                _break(lock, holder)
                continue
            who = (f"process {holder.get('pid')} on {holder.get('host')}, started "
                   f"{holder.get('started')}" if isinstance(holder, dict) else "another run")
            raise OutputLockedError(
                f"another run is writing into this folder ({who})", path=folder,
                hint=f"wait for it to finish; if it is gone, remove {LOCK_NAME}",
                holder=holder if isinstance(holder, dict) else None) from None
        except OSError as exc:
            raise _failed(folder, exc, "cannot write into the output folder") from exc
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(info, handle)
        except OSError as exc:
            lock.unlink(missing_ok=True)
            raise _failed(folder, exc, "cannot write into the output folder") from exc
        return lock
    raise OutputLockedError("another run keeps taking the folder's lock", path=folder)


def _break(lock: Path, holder: Any) -> None:
    """Move a stale lock aside, checking it is still the one judged stale."""
    aside = lock.with_name(f"{LOCK_NAME}.stale-{os.getpid()}-{time.monotonic_ns()}")
    try:
        lock.rename(aside)
    except FileNotFoundError:
        return  # someone else broke it
    except OSError as exc:
        raise _failed(lock, exc, "a stale lock cannot be removed") from exc
    if _read_json(aside) != holder:  # a new run locked between our read and the rename
        with contextlib.suppress(OSError):
            os.link(aside, lock)
    aside.unlink(missing_ok=True)


def _release(lock: Path) -> None:
    holder = _read_json(lock)
    if isinstance(holder, dict) and holder.get("pid") == os.getpid():
        lock.unlink(missing_ok=True)


# -- committing --------------------------------------------------------------------------------

def _read_manifest(folder: Path) -> dict[str, dict[str, str]]:
    data = _read_json(folder / MANIFEST_NAME)
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    kept: dict[str, dict[str, str]] = {}
    for rel, entry in files.items():
        if _safe_rel(rel) is None or not isinstance(entry, dict):
            continue
        sha, by = entry.get("sha256"), entry.get("run")
        if isinstance(sha, str) and isinstance(by, str):
            kept[rel] = {"sha256": sha, "run": by}
    return kept


def written_files(folder: str | Path) -> set[Path]:
    """The files earlier runs wrote into ``folder``, as its manifest names them (empty when
    there is no readable manifest): what a command must never read back as input."""
    base = _absolute(folder)
    return {base / rel for rel in _read_manifest(base)}


def _ours(path: Path, sha256: str) -> bool:
    """Still the regular file the manifest describes (same bytes)."""
    try:
        st = os.lstat(path)
        return stat.S_ISREG(st.st_mode) and _sha256(path) == sha256
    except OSError:
        return False


def _commit(run: OutputRun) -> None:
    folder = run.folder
    entries: dict[str, dict[str, str]] = {}
    for rel, staged in run.staged.items():
        try:
            staged.chmod(run.mode)
            entries[rel] = {"sha256": _sha256(staged), "run": run.name}
        except OSError as exc:
            raise _failed(folder / rel, exc) from exc
    for rel in entries:  # nothing moves unless every file can
        _check_destination(folder, rel)
    previous = _read_manifest(folder)
    # a file changed since it was written is the user's now: neither removed nor listed
    ours = {rel: e for rel, e in previous.items()
            if rel not in entries and _ours(folder / rel, e["sha256"])}
    stale = sorted(rel for rel, e in ours.items() if e["run"] == run.name)
    kept = {rel: e for rel, e in ours.items() if rel not in stale}
    manifest = {"format": _FORMAT,
                "run": {"id": run.run_id, "name": run.name, "started": run.started,
                        "finished": _now()},
                "files": dict(sorted({**kept, **entries}.items()))}
    journal = {"format": _FORMAT, "files": list(entries), "stale": stale,
               "manifest": manifest}
    write_atomic(run.staging / _JOURNAL,
                 json.dumps(journal, ensure_ascii=False, indent=1).encode("utf-8"))
    _apply(folder, run.staging, journal, rollback=True)


def _check_destination(folder: Path, rel: str) -> None:
    dest = folder / rel
    parent = folder
    for part in rel.split("/")[:-1]:
        parent = parent / part
        if parent.exists() and not parent.is_dir():
            raise OutputError("a file is in the way of this folder", path=parent,
                              hint="move it, or choose another output folder")
    if dest.is_dir() and not dest.is_symlink():
        raise OutputError("a folder is in the way of this output file", path=dest,
                          hint="move the folder, or choose another output folder")


def _apply(folder: Path, staging: Path, journal: dict[str, Any], *, rollback: bool) -> None:
    """Move a run's staged files into place, remove its stale files, write the manifest.
    With ``rollback``, a failure puts back what was moved; without (finishing a killed run),
    a failure leaves the journal for the next attempt."""
    moved: list[tuple[Path, Path | None]] = []
    aside_root = staging / _ASIDE
    try:
        for rel in journal["files"]:
            if _safe_rel(rel) is None:
                continue
            staged = staging / "files" / rel
            dest = folder / rel
            if not staged.exists():
                continue  # moved before the process was stopped
            dest.parent.mkdir(parents=True, exist_ok=True)
            aside: Path | None = None
            if dest.is_symlink() or dest.exists():
                if dest.is_dir() and not dest.is_symlink():
                    raise IsADirectoryError(errno.EISDIR, "a folder is in the way", str(dest))
                aside = aside_root / rel
                aside.parent.mkdir(parents=True, exist_ok=True)
                dest.replace(aside)
            try:
                staged.replace(dest)
            except OSError:
                if aside is not None:
                    aside.replace(dest)
                raise
            moved.append((dest, aside))
    except OSError as exc:
        where = moved[-1][0] if moved else folder
        if rollback:
            for dest, aside in reversed(moved):
                with contextlib.suppress(OSError):
                    if aside is not None:
                        aside.replace(dest)
                    else:
                        dest.unlink()
            _remove_empty_parents(folder, [d for d, _ in moved])
        raise _failed(Path(exc.filename) if exc.filename else where, exc) from exc
    for rel in journal.get("stale", []):
        if _safe_rel(rel) is None:
            continue
        with contextlib.suppress(OSError):
            (folder / rel).unlink()
    _remove_empty_parents(folder, [folder / r for r in journal.get("stale", [])
                                   if _safe_rel(r) is not None])
    write_atomic(folder / MANIFEST_NAME,
                 (json.dumps(journal["manifest"], ensure_ascii=False, indent=1) + "\n")
                 .encode("utf-8"))


def _remove_empty_parents(folder: Path, paths: list[Path]) -> None:
    for path in paths:
        parent = path.parent
        while parent != folder and folder in parent.parents:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent


def _recover(folder: Path) -> None:
    """With the lock held: finish journaled runs, drop unfinished staging folders."""
    try:
        leftovers = sorted(p for p in folder.iterdir()
                           if p.name.startswith(STAGING_PREFIX) and p.is_dir()
                           and not p.is_symlink())
    except OSError as exc:
        raise _failed(folder, exc, "the output folder cannot be read") from exc
    for staging in leftovers:
        journal = _read_json(staging / _JOURNAL)
        if (isinstance(journal, dict) and isinstance(journal.get("files"), list)
                and isinstance(journal.get("manifest"), dict)):
            _apply(folder, staging, journal, rollback=False)
        shutil.rmtree(staging, ignore_errors=True)
