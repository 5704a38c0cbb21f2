"""Batch inputs: which files a command reads, found the same way by every command.

``validate``, ``summary``, ``crosscheck`` and ``consolidate`` all take files, folders
(searched recursively), glob patterns and zip archives, and all call :func:`collect_inputs`,
so ``validate inbox/`` and ``consolidate inbox/`` see the same files. The rules:

* **Templates** are ``.xlsx``, ``.xlsm``, ``.xltx`` and ``.xltm`` files, and ``.xls``,
  ``.xlsb`` and ``.ods`` files, collected so that each is reported as the format it is (a
  legacy or binary workbook, an OpenDocument spreadsheet), not skipped. Office lock files
  (``~$name.xlsx``), macOS resource forks (``__MACOSX/``, ``._name``) and hidden run folders
  of our own outputs are not inputs.
* **Only regular files.** A FIFO, device or socket, named directly, matched by a glob, found
  in a folder or reached through a symbolic link, is listed as refused, decided from its
  ``stat`` without opening it.
* **Archives** are opened once, when they are collected. Each template member is an input
  labelled ``archive.zip!member``; members with the same name are all kept (the second is
  ``archive.zip!member#2``); symbolic-link members are refused; ``.xls`` members are reported
  like ``.xls`` files; zip archives inside archives are opened in turn, to a depth of
  :data:`MAX_ARCHIVE_DEPTH`. An archive with more than :data:`MAX_ARCHIVE_MEMBERS` entries is
  refused before its directory is parsed.
* **The output folder** of the running command, and every file its earlier runs wrote (named
  in the folder's manifest), are never read as inputs.
* **Nothing dropped.** A name that matches nothing, an unreadable folder, a damaged archive:
  each becomes an :class:`Input` with its ``problem``, which the command reports as an
  unreadable input. An empty collection is the caller's to report ("no input found").
"""

from __future__ import annotations

import collections
import dataclasses
import fnmatch
import glob
import io
import os
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ._io import (
    ZIP_ERRORS,
    FileRefusedError,
    read_capped,
    read_member,
    regular_file,
    zip_directory,
)
from ._io.run import MANIFEST_NAME, STAGING_PREFIX, written_files
from .errors import NotAWorkbookError

__all__ = [
    "MANIFEST_NAME",
    "MAX_ARCHIVE_DEPTH",
    "MAX_ARCHIVE_MEMBERS",
    "MAX_TEMPLATE_BYTES",
    "Input",
    "close_archives",
    "collect_inputs",
    "input_stream",
    "read_input",
]

TEMPLATE_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods")
"""Names collected as templates: the Excel workbooks and templates in XML, and the formats a
supplier may send a template in by mistake (.xls, .xlsb, .ods), collected so that each is
reported with what to do about it rather than passed over."""
MAX_TEMPLATE_BYTES = 100 * 1024 * 1024
"""The largest template file (or archive member, uncompressed) that is read. Real filled
templates are 1 to 5 MB."""
MAX_ARCHIVE_MEMBERS = 100_000
"""Archives with more entries are refused before Python parses their central directory
(which costs about a kilobyte of memory per entry)."""
MAX_DIRECTORY_BYTES = 64 * 1024 * 1024
"""The largest central directory parsed (100,000 entries with names of 600 characters)."""
MAX_ARCHIVE_DEPTH = 3
"""Zip archives inside zip archives are opened to this depth (the outermost is depth 1)."""


@dataclass(frozen=True)
class Input:
    """One input of a batch: a file, or a member of a (possibly nested) zip archive."""

    label: str
    """How the input is named in every output: the path, or ``archive.zip!member``."""
    path: str
    """The file on disk (for a member, the outermost archive)."""
    members: tuple[int, ...] = ()
    """For a member, its index in each archive's entry list, outermost first."""
    problem: str | None = None
    """Why the input cannot be read, when that is known without reading it."""
    hint: str | None = None

    @property
    def member(self) -> str | None:
        """The member's name inside its archive, for a member."""
        return self.label.rsplit("!", 1)[1] if self.members else None


def _refused(label: str, path: str, problem: str, hint: str | None = None) -> Input:
    return Input(label, path, problem=problem, hint=hint)


def _is_template_name(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return (base.lower().endswith(TEMPLATE_SUFFIXES) and not base.startswith(("~$", "._"))
            and not name.startswith("__MACOSX/") and "/__MACOSX/" not in name)


def _check_entry_count(stream: io.BufferedIOBase | io.BytesIO, label: str) -> None:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - (1 << 16) - 22 - 56))
    declared = zip_directory(stream.read())
    stream.seek(0)
    if declared is None:
        return
    count, directory = declared
    if count > MAX_ARCHIVE_MEMBERS:
        raise FileRefusedError(f"the archive declares {count:,} entries, over the "
                               f"{MAX_ARCHIVE_MEMBERS:,} limit", label)
    if directory > MAX_DIRECTORY_BYTES:
        raise FileRefusedError(f"the archive's directory is {directory:,} bytes, over the "
                               f"{MAX_DIRECTORY_BYTES:,} byte limit", label)


def _open_zip(stream: io.BufferedIOBase | io.BytesIO, label: str) -> zipfile.ZipFile:
    _check_entry_count(stream, label)
    try:
        return zipfile.ZipFile(stream)
    except ZIP_ERRORS as exc:
        raise FileRefusedError(f"the archive is damaged ({exc})", label) from exc


class _OpenArchives:
    """Archives opened once per process (a worker reads many members of one archive), the
    least recently used closed when more than a few are open."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self.pid = os.getpid()
        self.open: collections.OrderedDict[tuple[str, int, int], zipfile.ZipFile] = \
            collections.OrderedDict()

    def get(self, path: str, mtime_ns: int, size: int) -> zipfile.ZipFile:
        if self.pid != os.getpid():
            # a forked worker: its inherited descriptors share their file offsets with the
            # parent's, so reading through them would race; open its own
            self.close()
            self.pid = os.getpid()
        key = (path, mtime_ns, size)
        hit = self.open.get(key)
        if hit is not None:
            self.open.move_to_end(key)
            return hit
        handle = _open_regular(path)
        try:
            archive = _open_zip(handle, path)
        except BaseException:
            handle.close()
            raise
        self.open[key] = archive
        while len(self.open) > self.size:
            _key, old = self.open.popitem(last=False)
            _close(old)
        return archive

    def close(self) -> None:
        while self.open:
            _key, old = self.open.popitem()
            _close(old)


def _close(archive: zipfile.ZipFile) -> None:
    handle = archive.fp
    archive.close()
    if handle is not None:
        handle.close()


def _open_regular(path: str) -> io.BufferedReader:
    """``path`` opened for reading without blocking, checked again once open: a FIFO put in
    place of the archive since its ``stat`` is refused, never waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise FileRefusedError(f"cannot be read ({exc.strerror or exc})", path) from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileRefusedError("this is not a regular file; only regular files are read",
                                   path)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


_ARCHIVES = _OpenArchives()


def close_archives() -> None:
    """Close the archives this process keeps open for reading their members."""
    _ARCHIVES.close()


def _outer_archive(path: str) -> zipfile.ZipFile:
    st = regular_file(path)
    return _ARCHIVES.get(path, st.st_mtime_ns, st.st_size)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def _members(archive: zipfile.ZipFile, label: str, path: str, chain: tuple[int, ...],
             depth: int) -> list[Input]:
    out: list[Input] = []
    seen: dict[str, int] = {}
    for index, info in enumerate(archive.infolist()):
        name = info.filename
        if info.is_dir():
            continue
        lowered = name.lower()
        is_zip = lowered.endswith(".zip") and not name.startswith("__MACOSX/")
        if not is_zip and not _is_template_name(name):
            continue
        seen[name] = seen.get(name, 0) + 1
        member_label = f"{label}!{name}" + (f"#{seen[name]}" if seen[name] > 1 else "")
        here = (*chain, index)
        if _is_symlink(info):
            out.append(Input(member_label, path, here,
                             problem="a symbolic link inside the archive, not a file"))
        elif is_zip:
            out.extend(_nested(archive, info, member_label, path, here, depth + 1))
        else:
            out.append(Input(member_label, path, here))
    return out


def _nested(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, path: str,
            chain: tuple[int, ...], depth: int) -> list[Input]:
    if depth > MAX_ARCHIVE_DEPTH:
        return [Input(label, path, chain, problem=f"an archive nested more than "
                      f"{MAX_ARCHIVE_DEPTH} deep; extract it and give its files")]
    try:
        inner = _open_zip(io.BytesIO(read_member(archive, info, MAX_TEMPLATE_BYTES, label)),
                          label)
    except FileRefusedError as exc:
        return [Input(label, path, chain, problem=exc.reason)]
    with inner:
        found = _members(inner, label, path, chain, depth)
    return found or [Input(label, path, chain,
                           problem="the archive holds no .xlsx, .xlsm or .xls file")]


def _archive_inputs(path: Path) -> list[Input]:
    label = str(path)
    try:
        archive = _outer_archive(label)
    except FileRefusedError as exc:
        return [_refused(label, label, exc.reason)]
    found = _members(archive, label, label, (), 1)
    return found or [_refused(label, label,
                              "the archive holds no .xlsx, .xlsm or .xls file")]


class _Collector:
    def __init__(self, exclude: Iterable[str | Path]) -> None:
        self.out: list[Input] = []
        self.excluded = [Path(p).resolve() for p in exclude]
        self.ours: set[Path] = set()
        self.visited: set[tuple[int, int]] = set()
        for folder in self.excluded:
            self.ours |= {p.resolve() for p in written_files(folder)}

    def _is_excluded(self, path: Path) -> bool:
        resolved = path.resolve()
        if resolved in self.ours:
            return True
        return any(part.startswith(STAGING_PREFIX) for part in resolved.parts)

    def _inside_output(self, folder: Path) -> bool:
        return folder.resolve() in self.excluded

    def add_file(self, path: Path, *, named: bool) -> None:
        label = str(path)
        try:
            st = path.stat()
        except FileNotFoundError:
            kind = "no such file or folder" if not path.is_symlink() else \
                "a symbolic link to nothing"
            self.out.append(_refused(label, label, kind))
            return
        except OSError as exc:
            self.out.append(_refused(label, label, f"cannot be read ({exc.strerror or exc})"))
            return
        if stat.S_ISDIR(st.st_mode):
            self.add_folder(path, named=named)
            return
        if not named and self._is_excluded(path):
            return
        try:
            regular_file(path)
        except FileRefusedError as exc:
            self.out.append(_refused(label, label, exc.reason))
            return
        if path.suffix.lower() == ".zip":
            self.out.extend(_archive_inputs(path))
        else:
            self.out.append(Input(label, label))

    def add_folder(self, folder: Path, *, named: bool = False) -> None:
        if not named and self._inside_output(folder):
            return  # found while walking; an output folder named as input is walked
        try:
            st = folder.stat()
        except OSError:
            st = None
        if st is not None:  # a symbolic link back to a parent must not loop forever
            if (st.st_dev, st.st_ino) in self.visited:
                return
            self.visited.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(folder.iterdir())
        except OSError as exc:
            self.out.append(_refused(str(folder), str(folder),
                                     f"the folder cannot be read ({exc.strerror or exc})"))
            return
        for entry in entries:
            name = entry.name
            if name.startswith(STAGING_PREFIX):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                self.add_folder(entry)
            elif name.lower().endswith((*TEMPLATE_SUFFIXES, ".zip")) and not \
                    fnmatch.fnmatch(name, "~$*") and not name.startswith("._"):
                self.add_file(entry, named=False)

    def add(self, given: str | Path) -> None:
        text = str(given)
        path = Path(given)
        if not os.path.lexists(path) and glob.has_magic(text):
            matches = sorted(glob.glob(text, recursive=True))  # noqa: PTH207
            if not matches:
                self.out.append(_refused(text, text, "the pattern matches no file"))
            for m in matches:
                self.add_file(Path(m), named=False)
            return
        self.add_file(path, named=True)


def collect_inputs(inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *,
                   exclude: Iterable[str | Path] = ()) -> list[Input]:
    """Every input named by ``inputs`` (one path, or several), in order, each once.

    ``exclude``: output folders whose contents (and the files their manifests name) are never
    inputs. A folder given explicitly that holds no template gives an empty list for that
    folder; see the module documentation for every rule."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    collector = _Collector(exclude)
    for given in inputs:
        if not isinstance(given, (str, os.PathLike)):
            raise TypeError(f"an input is a path (str or os.PathLike), not "
                            f"{type(given).__name__}")
        collector.add(os.fspath(given))
    # one input named twice (a file and a glob matching it) is kept once; two inputs that
    # happen to share a label (a file named "a.zip!b.xlsx" beside a.zip holding b.xlsx)
    # are both kept, the later one labelled apart
    seen: set[tuple[str, tuple[int, ...], str | None]] = set()
    labels: set[str] = set()
    unique: list[Input] = []
    for item in collector.out:
        identity = (_identity(item.path), item.members, item.problem)
        if identity in seen:
            continue
        seen.add(identity)
        label, n = item.label, 1
        while label in labels:
            n += 1
            label = f"{item.label}#{n}"
        labels.add(label)
        unique.append(item if label == item.label else dataclasses.replace(item, label=label))
    return unique


def _identity(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError):
        return path


def read_input(item: Input) -> bytes:
    """The bytes of one input, capped at :data:`MAX_TEMPLATE_BYTES` while reading. Raises
    :class:`~mineral_compliance.errors.NotAWorkbookError` naming the input when it cannot be
    read (including the ``problem`` found when it was collected)."""
    if item.problem is not None:
        raise NotAWorkbookError(item.problem, path=item.label, hint=item.hint)
    try:
        if not item.members:
            return read_capped(item.path, MAX_TEMPLATE_BYTES)
        archive = _outer_archive(item.path)
        data = b""
        for depth, index in enumerate(item.members):
            infos = archive.infolist()
            if index >= len(infos):
                raise FileRefusedError("the archive changed since it was listed", item.label)
            data = read_member(archive, infos[index], MAX_TEMPLATE_BYTES, item.label)
            if depth < len(item.members) - 1:
                archive = _open_zip(io.BytesIO(data), item.label)
        return data
    except FileRefusedError as exc:
        raise NotAWorkbookError(exc.reason, path=item.label) from exc


def input_stream(item: Input) -> io.BytesIO:
    """:func:`read_input` as a named binary stream, ready for the template reader."""
    stream = io.BytesIO(read_input(item))
    stream.name = item.label
    return stream
