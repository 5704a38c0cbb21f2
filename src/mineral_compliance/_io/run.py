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

* The lock file ``.mineral-compliance.lock`` in the output folder is held with an exclusive
  ``flock`` for the whole run. A second run (another process, or another thread of this one)
  is refused with :class:`~mineral_compliance.errors.OutputLockedError`. The kernel releases
  the lock when its process ends, however it ends, so a killed run never blocks the next one
  and nothing is guessed from process ids or host names. The file records the holder's pid,
  host and start time (only to name it in the error) and which staging folder its run uses.
  Locks are tested on Linux and macOS (``flock``, also over NFS on Linux); on Windows a byte
  range lock (``msvcrt.locking``) stands in.
* Files are written into a staging folder inside the output folder
  (``.mineral-compliance-run-XXXXXXXX/``, so a rename is never a copy across file systems).
* On success the destinations are checked first (a folder where a file should go fails the
  run before anything moves). The new manifest ``.mineral-compliance-manifest.json`` (every
  file with its sha256 and the kind of run that wrote it) is staged with the files, and a
  journal is written: each file's sha256 and what its destination held, and the sha256 of
  each file to be removed. Then each file is renamed into place (what it replaces is kept
  aside in the staging folder), the manifest last: that rename is the moment the run is
  done. Only then are the files this kind of run wrote last time and not this time removed.
* Until the manifest is in place, any exception (a full disk, ``KeyboardInterrupt``, ...)
  moves everything back: the folder is as it was and the staging folder is removed. If even
  that cannot finish, the staging folder and its journal are kept, and the next run into the
  folder (or :func:`recover`) completes the run before it starts.
* A stale file that cannot be removed after the run is done does not fail the run: the
  manifest keeps it under ``"stale"``, so it is never read back as an input and the next run
  of the same kind tries again.
* Recovery acts only on the staging folder the lock file names, and only if that folder is
  the very one the run created (its inode number, which no archive or copy can reproduce in
  advance, is recorded with it); any other staging folder holding a journal is left as it
  is. Even then a file is replaced only while it holds what the journal says it held, a
  staged file moves in only with the bytes the journal records, and a stale file is removed
  only with the bytes recorded for it: a journal can never destroy bytes its writer did not
  know. Staging folders without a journal (runs that never got to their renames) are
  removed.
* Only files the manifest names, and only while they still hold the bytes it records, are
  ever removed: ``-o .`` never loses a user's own file. Manifest and journal are read
  through a cap (256 MiB, room for far more than 100,000 files); a damaged one is an
  :class:`~mineral_compliance.errors.OutputError` naming it, never taken as empty.
* A file that replaces another keeps the permissions of the one it replaces; a new file gets
  the permissions a plain ``open()`` would (``0o666`` less the umask).

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
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import OutputError, OutputLockedError
from .files import FileRefusedError, TooLargeError, read_capped
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
    "write_atomic_chunks",
    "write_documents",
    "written_files",
]

MANIFEST_NAME = ".mineral-compliance-manifest.json"
LOCK_NAME = ".mineral-compliance.lock"
STAGING_PREFIX = ".mineral-compliance-run-"
_JOURNAL = ".commit.json"
_ASIDE = ".replaced"
_STAGED_MANIFEST = "manifest.json"
_FORMAT = 1
"""The manifest's format (``"stale"`` is an optional addition to it)."""
_JOURNAL_FORMAT = 2
_MAX_RECORD = 256 << 20
"""The most bytes a manifest or journal may have (a run of 100,000 files needs ~30 MiB)."""
_MAX_LOCK = 1 << 16
_WINDOWS_LOCK_OFFSET = 1 << 30
"""Where the Windows byte range lock sits: past the record, which others may then read."""

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


def _is_sha256(value: object) -> bool:
    return (isinstance(value, str) and len(value) == 64
            and all(ch in "0123456789abcdef" for ch in value))


def _exists(path: Path) -> bool:
    """True when anything (a dangling symbolic link included) is at ``path``."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    return True


def _mode_for(dest: Path, default: int) -> int:
    """The permissions a file written to ``dest`` gets: those of the regular file it
    replaces, or ``default`` for a new one."""
    try:
        st = os.lstat(dest)
    except OSError:
        return default
    return stat.S_IMODE(st.st_mode) & 0o777 if stat.S_ISREG(st.st_mode) else default


def _state(path: Path) -> str | None:
    """What is at ``path``, as a journal records it: None for nothing, ``sha256:...`` for a
    regular file, ``symlink:...`` for a symbolic link, ``other`` for anything else."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return "symlink:" + str(path.readlink())
    if stat.S_ISREG(st.st_mode):
        return "sha256:" + _sha256(path)
    return "other"


def _ours(path: Path, sha256: str) -> bool:
    """Still the regular file with these bytes."""
    try:
        st = os.lstat(path)
        return stat.S_ISREG(st.st_mode) and _sha256(path) == sha256
    except OSError:
        return False


def _publish(tmp: Path, target: Path, mode: int) -> None:
    """Give ``tmp`` its final permissions and rename it over ``target``."""
    tmp.chmod(mode)
    if target.is_dir() and not target.is_symlink():
        raise IsADirectoryError(errno.EISDIR, "a folder is in the way", str(target))
    tmp.replace(target)


def _write_all(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Create or truncate ``path`` and write all of ``data`` (bytes, or chunks of them, written
    as they come) to it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0),
                 0o600)
    try:
        for chunk in (data,) if isinstance(data, bytes) else data:
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _load(path: Path, what: str, hint: str) -> Any:
    """The JSON in ``path`` (None when nothing is there), read through the cap; anything
    else there, or text that is not JSON, is an :class:`OutputError` naming it."""
    if not _exists(path):
        return None
    try:
        raw = read_capped(path, _MAX_RECORD)
    except TooLargeError as exc:
        raise OutputError(f"the {what} is too large ({exc.reason})", path=path,
                          hint=hint) from exc
    except FileRefusedError as exc:
        raise OutputError(f"the {what} cannot be read ({exc.reason})", path=path,
                          hint=hint) from exc
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _damaged(path, what, hint) from exc


def _damaged(path: Path, what: str, hint: str) -> OutputError:
    return OutputError(f"the {what} is damaged", path=path, hint=hint)


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
        _recover(target, lock)
        try:
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=target))
        except OSError as exc:
            raise _failed(target, exc, "cannot write into the output folder") from exc
        run_id = staging.name.removeprefix(STAGING_PREFIX)
        try:
            _record(lock, run_id, staging)
        except BaseException:
            _discard(staging)
            raise
        run = OutputRun(folder=target, staging=staging, name=name, run_id=run_id,
                        started=_now(), mode=0o666 & ~current_umask())
        token = _ACTIVE.set(run)
        try:
            yield run
        except BaseException:
            _ACTIVE.reset(token)
            _discard(staging)
            raise
        _ACTIVE.reset(token)
        _commit(run)
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
        _recover(target, lock)
    finally:
        _release(lock)


# -- writing one file ----------------------------------------------------------------------------

@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A path to write the whole of ``target`` to. Inside a run covering it, the file is
    staged; otherwise it is a temporary file in the target's folder, renamed over the target
    when the block ends (keeping the permissions of the file it replaces). An exception
    leaves no temporary file; an ``OSError`` becomes an :class:`OutputError` naming
    ``target``."""
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
            _publish(tmp, final, _mode_for(final, 0o666 & ~current_umask()))
        except OSError as exc:
            raise _failed(final, exc) from exc
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic_chunks(path: str | Path, chunks: Iterable[bytes]) -> None:
    """:func:`write_atomic` of the bytes ``chunks`` give, written as they come."""
    with atomic_path(path) as tmp:
        _write_all(tmp, chunks)


def write_atomic(path: str | Path, data: bytes | str) -> None:
    """Write ``data`` (text is written as UTF-8, lone surrogates replaced) as the whole of
    ``path``: staged in the enclosing run, or through a temporary file renamed into place."""
    payload = scrub(data).encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        _write_all(tmp, payload)


def write_documents(folder: str | Path, documents: dict[str, str], *, name: str) -> list[Path]:
    """``documents`` (file name: text) written into ``folder`` as one run named ``name``: all
    of them or none, and a file an earlier run of it wrote that this one does not, removed."""
    target = Path(folder)
    written = []
    with output_run(target, name=name):
        for file_name, text in documents.items():
            write_atomic(target / file_name, text)
            written.append(target / file_name)
    return written


# -- the lock ----------------------------------------------------------------------------------

@dataclass
class _Lock:
    """The open, locked lock file. ``prior`` is what it said when this run took it (the run
    before, perhaps killed); ``says`` is what it says now."""

    path: Path
    fd: int
    prior: dict[str, Any] | None
    says: dict[str, Any] | None


def _try_lock(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` without waiting: False if another holds it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_lock(fd: int) -> dict[str, Any] | None:
    """The record in the lock file open as ``fd``, if it is one."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        raw = os.read(fd, _MAX_LOCK)
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _acquire(folder: Path) -> _Lock:
    lock = folder / LOCK_NAME
    flags = (os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    for _ in range(20):
        try:
            fd = os.open(lock, flags, 0o666)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OutputError("the lock file is a symbolic link", path=lock,
                                  hint="remove it: the library makes its own") from exc
            raise _failed(folder, exc, "cannot write into the output folder") from exc
        try:
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):
                raise OutputError("the lock file is not a regular file", path=lock,
                                  hint="remove it: the library makes its own")
            try:
                locked = _try_lock(fd)
            except OSError as exc:
                raise _failed(lock, exc, "the output folder cannot be locked") from exc
            if not locked:
                holder = _read_lock(fd)
                who = (f"process {holder.get('pid')} on {holder.get('host')}, started "
                       f"{holder.get('started')}" if holder is not None else "another run")
                raise OutputLockedError(
                    f"another run is writing into this folder ({who})", path=folder,
                    hint="wait for it to finish", holder=holder)
            # the file may have been removed (by the run releasing it) since it was opened
            try:
                now = os.lstat(lock)
            except FileNotFoundError:
                now = None
            if now is None or (now.st_dev, now.st_ino) != (opened.st_dev, opened.st_ino):
                os.close(fd)
                continue
            prior = _read_lock(fd)
            held = _Lock(lock, fd, prior, prior)
            info: dict[str, Any] = {"pid": os.getpid(), "host": socket.gethostname(),
                                    "started": _now()}
            if prior is not None and "run" in prior:  # until it is recovered, still named
                info.update(run=prior.get("run"), staging=prior.get("staging"))
            _write_lock(held, info)
            return held
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
    raise OutputLockedError("another run keeps taking the folder's lock", path=folder)


def _write_lock(lock: _Lock, info: dict[str, Any]) -> None:
    """Rewrite the lock file's record in one write of at least its present size (padded
    with spaces, which JSON ignores): a process killed while doing so leaves the old record
    or the new one, never a record cut short that would hide an interrupted run."""
    data = json.dumps(info).encode("utf-8")
    try:
        size = os.fstat(lock.fd).st_size
        if size > _MAX_LOCK:  # not a record this library wrote
            os.ftruncate(lock.fd, 0)
            size = 0
        data = data.ljust(size)
        os.lseek(lock.fd, 0, os.SEEK_SET)
        view = memoryview(data)
        while view:
            view = view[os.write(lock.fd, view):]
    except OSError as exc:
        raise _failed(lock.path, exc, "cannot write into the output folder") from exc
    lock.says = info


def _record(lock: _Lock, run_id: str, staging: Path) -> None:
    """Name this run's staging folder in the lock file (by name and inode number): the only
    journal a later recovery will act on."""
    try:
        inode = os.lstat(staging).st_ino
    except OSError as exc:
        raise _failed(staging, exc, "cannot write into the output folder") from exc
    _write_lock(lock, {**(lock.says or {}), "run": run_id, "staging": inode})


def _named_staging(folder: Path, record: dict[str, Any] | None) -> Path | None:
    """The staging folder a lock record names, if the record is well formed."""
    if record is None:
        return None
    run = record.get("run")
    if (not isinstance(run, str) or not run or "/" in run or "\\" in run or "\0" in run
            or run in (".", "..")):
        return None
    return folder / f"{STAGING_PREFIX}{run}"


def _release(lock: _Lock) -> None:
    """Unlock, and remove the lock file unless it names a run whose journal is still there
    (the record a later recovery trusts)."""
    named = _named_staging(lock.path.parent, lock.says)
    pending = named is not None and _exists(named / _JOURNAL)
    if not pending and sys.platform != "win32":
        lock.path.unlink(missing_ok=True)  # while still held: see _acquire
    with contextlib.suppress(OSError):
        os.close(lock.fd)
    if not pending and sys.platform == "win32":
        with contextlib.suppress(OSError):
            lock.path.unlink(missing_ok=True)


# -- the manifest ------------------------------------------------------------------------------

_MANIFEST_HINT = ("remove it to go on; the files it listed are then treated as your own "
                  "(never removed, and read as inputs)")


def _read_manifest(folder: Path) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """The files the manifest lists, and the stale files the run that wrote it could not
    remove, each as path -> {"sha256", "run"}; both empty when there is no manifest."""
    path = folder / MANIFEST_NAME
    data = _load(path, "manifest of earlier runs", _MANIFEST_HINT)
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise _damaged(path, "manifest of earlier runs", _MANIFEST_HINT)
    sections = []
    for key, default in (("files", None), ("stale", {})):
        section = data.get(key, default)
        if not isinstance(section, dict):
            raise _damaged(path, "manifest of earlier runs", _MANIFEST_HINT)
        kept: dict[str, dict[str, str]] = {}
        for rel, entry in section.items():
            sha = entry.get("sha256") if isinstance(entry, dict) else None
            by = entry.get("run") if isinstance(entry, dict) else None
            if _safe_rel(rel) is None or not isinstance(sha, str) or not isinstance(by, str):
                raise _damaged(path, "manifest of earlier runs", _MANIFEST_HINT)
            kept[rel] = {"sha256": sha, "run": by}
        sections.append(kept)
    return sections[0], sections[1]


def written_files(folder: str | Path) -> set[Path]:
    """The files earlier runs wrote into ``folder``, as its manifest names them (empty when
    there is no manifest; a damaged one is an :class:`OutputError`): what a command must
    never read back as input."""
    base = _absolute(folder)
    files, stale = _read_manifest(base)
    # the stale files are those the last run meant to remove: only the ones still there
    return {base / rel for rel in files} | {base / rel for rel in stale
                                             if _exists(base / rel)}


# -- committing --------------------------------------------------------------------------------

def _staged_path(staging: Path, rel: str) -> Path:
    return staging / _STAGED_MANIFEST if rel == MANIFEST_NAME else staging / "files" / rel


def _discard(staging: Path) -> None:
    """Remove a staging folder, its journal first (a staging folder without one is never
    acted on, whatever else of it is left)."""
    with contextlib.suppress(OSError):
        (staging / _JOURNAL).unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)


def _commit(run: OutputRun) -> None:
    """Move the run's files into place (see the module docstring); the staging folder is
    removed, unless an interrupted commit could not be undone."""
    folder, staging = run.folder, run.staging
    try:
        entries, stale = _prepare(run)
        journal = {"format": _JOURNAL_FORMAT, "run": run.run_id, "files": entries,
                   "stale": stale}
        write_atomic(staging / _JOURNAL,
                     json.dumps(journal, ensure_ascii=False, indent=1).encode("utf-8"))
    except BaseException:
        _discard(staging)
        raise
    try:
        _move_in(folder, staging, entries)
    except BaseException as exc:
        undone = False
        try:
            _undo(folder, staging, entries)
            undone = True
        except BaseException:  # a second interrupt, or a rename that fails: recovery's turn
            pass
        if undone:
            _discard(staging)
        if isinstance(exc, OSError):
            where = Path(exc.filename) if exc.filename else folder
            error = _failed(where, exc)
            if not undone:
                error = OutputError(
                    f"{error.message}; the folder holds part of this run", path=where,
                    hint="the next run into this folder completes it (or call recover())")
            raise error from exc
        raise
    # done: the manifest names the new files
    _remove_stale(folder, stale)
    _discard(staging)


def _prepare(run: OutputRun) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Give the staged files their permissions, check their destinations, stage the new
    manifest, and return the journal's entries (the manifest last) and stale files."""
    folder, staging = run.folder, run.staging
    files: dict[str, dict[str, str]] = {}
    for rel, staged in run.staged.items():
        try:
            staged.chmod(_mode_for(folder / rel, run.mode))
            files[rel] = {"sha256": _sha256(staged), "run": run.name}
        except OSError as exc:
            raise _failed(folder / rel, exc) from exc
    for rel in files:  # nothing moves unless every file can
        _check_destination(folder, rel)
    listed, unremoved = _read_manifest(folder)
    # a file changed since it was written is the user's now: neither removed nor listed
    ours = {rel: e for rel, e in {**listed, **unremoved}.items()
            if rel not in files and _ours(folder / rel, e["sha256"])}
    stale = {rel: e for rel, e in ours.items() if e["run"] == run.name}
    still = {rel: e for rel, e in ours.items() if rel in unremoved and rel not in stale}
    kept = {rel: e for rel, e in ours.items() if rel not in stale and rel not in still}
    manifest = {"format": _FORMAT,
                "run": {"id": run.run_id, "name": run.name, "started": run.started,
                        "finished": _now()},
                "files": dict(sorted({**kept, **files}.items()))}
    if stale or still:
        manifest["stale"] = dict(sorted({**still, **stale}.items()))
    staged_manifest = staging / _STAGED_MANIFEST
    dest_manifest = folder / MANIFEST_NAME
    data = (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    try:
        _write_all(staged_manifest, data)
        staged_manifest.chmod(_mode_for(dest_manifest, run.mode))
        entries = [{"path": rel, "sha256": e["sha256"], "previous": _state(folder / rel)}
                   for rel, e in files.items()]
        entries.append({"path": MANIFEST_NAME, "sha256": hashlib.sha256(data).hexdigest(),
                        "previous": _state(dest_manifest)})
    except OSError as exc:
        raise _failed(Path(exc.filename) if exc.filename else dest_manifest, exc) from exc
    return entries, {rel: e["sha256"] for rel, e in sorted(stale.items())}


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


def _paths(folder: Path, staging: Path, rel: str) -> tuple[Path, Path, Path]:
    """Where a journal entry's file goes, where it is staged, where what it replaces is
    kept."""
    return folder / rel, _staged_path(staging, rel), staging / _ASIDE / rel


def _move_in(folder: Path, staging: Path, entries: list[dict[str, Any]]) -> None:
    """Rename each staged file into place, what it replaces kept aside."""
    for entry in entries:
        dest, staged, aside = _paths(folder, staging, entry["path"])
        dest.parent.mkdir(parents=True, exist_ok=True)
        if _exists(dest):
            if dest.is_dir() and not dest.is_symlink():
                raise IsADirectoryError(errno.EISDIR, "a folder is in the way", str(dest))
            aside.parent.mkdir(parents=True, exist_ok=True)
            dest.replace(aside)
        staged.replace(dest)


def _undo(folder: Path, staging: Path, entries: list[dict[str, Any]]) -> None:
    """Put back what :func:`_move_in` moved, judging from what is where (an interrupt may
    have come between any two steps): a file no longer staged is back in staging (so that a
    recovery can still move it in), then what it replaced is back in its place."""
    for entry in reversed(entries):
        dest, staged, aside = _paths(folder, staging, entry["path"])
        if not _exists(staged) and _exists(dest):
            dest.replace(staged)
        if _exists(aside):
            aside.replace(dest)
    _remove_empty_parents(folder, [folder / e["path"] for e in entries])


def _remove_stale(folder: Path, stale: dict[str, str]) -> None:
    """Remove the files of the previous run of this kind that this run did not write, each
    only while it holds the bytes recorded for it. One that cannot be removed is left (the
    manifest keeps it as stale)."""
    for rel, sha in stale.items():
        path = folder / rel
        if _ours(path, sha):
            with contextlib.suppress(OSError):
                path.unlink()
    _remove_empty_parents(folder, [folder / rel for rel in stale])


def _remove_empty_parents(folder: Path, paths: list[Path]) -> None:
    for path in paths:
        parent = path.parent
        while parent != folder and folder in parent.parents:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent


# -- recovery ------------------------------------------------------------------------------------

_JOURNAL_HINT = ("remove that staging folder to go on; its files/ are the interrupted run's "
                 "outputs and its .replaced/ the versions they replaced")


def _read_journal(staging: Path, run_id: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    path = staging / _JOURNAL
    data = _load(path, "journal of an interrupted run", _JOURNAL_HINT)
    if not isinstance(data, dict) or data.get("format") != _JOURNAL_FORMAT \
            or data.get("run") != run_id:
        raise _damaged(path, "journal of an interrupted run", _JOURNAL_HINT)
    files, stale = data.get("files"), data.get("stale")
    if not isinstance(files, list) or not files or not isinstance(stale, dict):
        raise _damaged(path, "journal of an interrupted run", _JOURNAL_HINT)
    entries: list[dict[str, Any]] = []
    for n, entry in enumerate(files):
        last = n == len(files) - 1
        rel = entry.get("path") if isinstance(entry, dict) else None
        previous = entry.get("previous") if isinstance(entry, dict) else None
        if (not isinstance(entry, dict) or not _is_sha256(entry.get("sha256"))
                or (rel != MANIFEST_NAME if last else _safe_rel(rel) is None)
                or not (previous is None or isinstance(previous, str))):
            raise _damaged(path, "journal of an interrupted run", _JOURNAL_HINT)
        entries.append({"path": rel, "sha256": entry["sha256"], "previous": previous})
    for rel, sha in stale.items():
        if _safe_rel(rel) is None or not _is_sha256(sha):
            raise _damaged(path, "journal of an interrupted run", _JOURNAL_HINT)
    return entries, dict(stale)


def _trusted(folder: Path, lock: _Lock) -> Path | None:
    """The staging folder the interrupted run recorded in the lock file, if it is still that
    very folder (same inode number)."""
    staging = _named_staging(folder, lock.prior)
    inode = lock.prior.get("staging") if lock.prior is not None else None
    if staging is None or not isinstance(inode, int) or isinstance(inode, bool):
        return None
    try:
        st = os.lstat(staging)
    except OSError:
        return None
    return staging if stat.S_ISDIR(st.st_mode) and st.st_ino == inode else None


def _recover(folder: Path, lock: _Lock) -> None:
    """With the lock held: complete the run the lock file names, if its journal is there;
    remove staging folders without a journal; leave every other one untouched."""
    try:
        leftovers = sorted(p for p in folder.iterdir()
                           if p.name.startswith(STAGING_PREFIX) and p.is_dir()
                           and not p.is_symlink())
    except OSError as exc:
        raise _failed(folder, exc, "the output folder cannot be read") from exc
    trusted = _trusted(folder, lock)
    for staging in leftovers:
        if not _exists(staging / _JOURNAL):
            shutil.rmtree(staging, ignore_errors=True)
        elif staging == trusted:
            run_id = staging.name.removeprefix(STAGING_PREFIX)
            entries, stale = _read_journal(staging, run_id)
            try:
                _complete(folder, staging, entries, stale)
            except OSError as exc:
                raise OutputError(
                    f"an interrupted run cannot be completed ({_why(exc)})",
                    path=Path(exc.filename) if exc.filename else folder,
                    hint="free some space or fix the permissions, then run again") from exc
            _discard(staging)
    if lock.says is not None and "run" in lock.says:
        _write_lock(lock, {k: v for k, v in lock.says.items() if k not in ("run", "staging")})


def _complete(folder: Path, staging: Path, entries: list[dict[str, Any]],
              stale: dict[str, str]) -> None:
    """Finish an interrupted run's renames. A file moves in only with the bytes the journal
    records for it, and only over what its destination held when the run began (or over
    nothing); whatever changed since is left as it is."""
    for entry in entries:
        dest, staged, aside = _paths(folder, staging, entry["path"])
        now = _state(dest)
        if now == "sha256:" + entry["sha256"]:
            continue  # moved before the run was stopped
        if not _ours(staged, entry["sha256"]):
            continue
        if now is not None and now != entry["previous"]:
            continue  # changed since: the user's
        dest.parent.mkdir(parents=True, exist_ok=True)
        if now is not None:
            aside.parent.mkdir(parents=True, exist_ok=True)
            dest.replace(aside)
        staged.replace(dest)
    if _ours(folder / MANIFEST_NAME, entries[-1]["sha256"]):
        _remove_stale(folder, stale)
