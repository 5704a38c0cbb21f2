"""Reading untrusted files: regular files only, bounded while reading.

A name given by a user, found by a glob or reached through a symbolic link may be a FIFO (a
read blocks forever), a device (``/dev/zero`` never ends) or a socket. :func:`regular_file`
decides from ``stat`` alone, before anything is opened, and :func:`read_capped` opens without
blocking and checks the opened descriptor again, so a file swapped for a FIFO between the two
is refused too. Bytes are read in chunks up to one past the limit: a file that grows while it
is read, or whose size the file system misreports, still cannot make us hold more than the
limit.

Errors are :class:`FileRefusedError` subclasses carrying the path and a short reason; callers turn
them into their own typed error (a template, a status list, a profile) with
``raise TheirError(str(exc), path=exc.path) from exc``.
"""

from __future__ import annotations

import os
import stat
import struct
import zipfile
import zlib
from pathlib import Path

__all__ = ["ZIP_ERRORS", "FileRefusedError", "NotARegularFileError", "TooLargeError",
           "read_capped", "read_member", "regular_file"]

_CHUNK = 1 << 20

ZIP_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
    NotImplementedError, RuntimeError, struct.error, zlib.error)
"""What :mod:`zipfile` raises on a damaged or unusual archive: besides its own errors, an
unsupported version or compression (NotImplementedError), an encrypted member
(RuntimeError), a truncated header (struct.error) and damaged deflate data (zlib.error)."""


class FileRefusedError(Exception):
    """A file that is not read, with the reason (``str(exc)``) and its ``path``."""

    def __init__(self, reason: str, path: str | Path) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = str(path)


class NotARegularFileError(FileRefusedError):
    """A FIFO, device, socket, folder or missing file."""


class TooLargeError(FileRefusedError):
    """More bytes than the caller's limit."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def regular_file(path: str | Path) -> os.stat_result:
    """The ``stat`` of ``path`` (following symbolic links) if it is a regular file; otherwise
    :class:`NotARegularFileError`, decided without opening it."""
    try:
        st = Path(path).stat()
    except FileNotFoundError as exc:
        raise NotARegularFileError("no such file", path) from exc
    except OSError as exc:
        raise NotARegularFileError(f"cannot be read ({exc.strerror or exc})", path) from exc
    if not stat.S_ISREG(st.st_mode):
        raise NotARegularFileError(f"this is {_kind(st.st_mode)}, not a file; only regular files "
                              "are read", path)
    return st


def read_capped(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``: :class:`TooLargeError` past ``limit`` bytes (known
    from its size before reading, or found while reading), :class:`NotARegularFileError` for
    anything that is not a regular file."""
    st = regular_file(path)
    if st.st_size > limit:
        raise TooLargeError(f"the file is {st.st_size:,} bytes, over the {limit:,} byte limit",
                            path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:  # permissions, or it vanished since the stat
        raise FileRefusedError(f"cannot be read ({exc.strerror or exc})", path) from exc
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):  # swapped between the stat and the open
            raise NotARegularFileError(f"this is {_kind(opened.st_mode)}, not a file", path)
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            except OSError as exc:
                raise FileRefusedError(f"cannot be read ({exc.strerror or exc})", path) from exc
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise TooLargeError(
                    f"the file grew past the {limit:,} byte limit while it was read", path)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int,
                label: str | Path) -> bytes:
    """One member of an opened zip archive, inflated through a cap of ``limit`` bytes whatever
    its header claims (a compression bomb stops at the limit). Damaged members raise
    :class:`FileRefusedError` naming ``label``."""
    if info.file_size > limit:
        raise TooLargeError(f"the archive member is {info.file_size:,} bytes uncompressed, over "
                            f"the {limit:,} byte limit", label)
    try:
        with archive.open(info) as stream:
            data = stream.read(limit + 1)
    except ZIP_ERRORS as exc:
        raise FileRefusedError(f"the archive member cannot be extracted ({exc})", label) from exc
    if len(data) > limit:
        raise TooLargeError(f"the archive member inflates past the {limit:,} byte limit", label)
    return data
