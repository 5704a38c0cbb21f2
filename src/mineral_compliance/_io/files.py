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
from collections.abc import Iterator
from pathlib import Path
from typing import cast

from isal import isal_zlib

__all__ = ["ZIP_ERRORS", "FileRefusedError", "NotARegularFileError", "TooLargeError",
           "inflate_pieces", "read_capped", "read_member", "regular_file", "stored_body",
           "zip_directory"]

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
        # the size it had, and one byte to see it end, in one read: joined without a copy
        want = max(_CHUNK, opened.st_size + 1)
        while True:
            try:
                chunk = os.read(fd, min(want, limit + 1 - total))
            except OSError as exc:
                raise FileRefusedError(f"cannot be read ({exc.strerror or exc})", path) from exc
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            want = _CHUNK
            if total > limit:
                raise TooLargeError(
                    f"the file grew past the {limit:,} byte limit while it was read", path)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int,
                label: str | Path, *, source: bytes | None = None) -> bytes:
    """One member of an opened zip archive, inflated through a cap of ``limit`` bytes whatever
    its header claims (a compression bomb stops at the limit). Damaged members raise
    :class:`FileRefusedError` naming ``label``.

    ``source``: the archive's own bytes, when the caller holds them. A member stored or
    deflated in the usual way is then inflated straight from them with ISA-L (two to three
    times faster than the zlib :mod:`zipfile` uses, for the same bytes) and returned only if it
    comes out exactly as its directory entry says: its size, its CRC-32 and the end of its
    deflate stream. Anything else is read again through :mod:`zipfile`, which gives the same
    bytes for a sound member and the error it always gave for a damaged one."""
    if info.file_size > limit:
        raise TooLargeError(f"the archive member is {info.file_size:,} bytes uncompressed, over "
                            f"the {limit:,} byte limit", label)
    if source is not None:
        quick = _inflate_sound(source, info)
        if quick is not None:
            return quick
    try:
        with archive.open(info) as stream:
            data = stream.read(limit + 1)
    except ZIP_ERRORS as exc:
        raise FileRefusedError(f"the archive member cannot be extracted ({exc})", label) from exc
    if len(data) > limit:
        raise TooLargeError(f"the archive member inflates past the {limit:,} byte limit", label)
    return data


_INFLATE_ERROR = cast("type[Exception]", isal_zlib.error)
"""ISA-L's error for damaged deflate data (its type stub declares it as an instance)."""
_LOCAL_HEADER = struct.Struct("<4s2xH18xHH")
"""A local file header's signature, flags and the lengths of the name and extra field."""
_UNREADABLE_FLAGS = 0x01 | 0x20 | 0x40
"""Encrypted, patched or strongly encrypted: members :mod:`zipfile` refuses to read plainly."""


def stored_body(source: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """The member's bytes as stored in the archive ``source`` (compressed, as its directory
    entry's method says), found through its local header; None when the member is encrypted,
    or its local header is not where the directory says, names another member (as
    :mod:`zipfile` decodes the two names) or is followed by fewer bytes than the entry's
    compressed size."""
    start = info.header_offset
    if (info.flag_bits & _UNREADABLE_FLAGS or start < 0
            or start + _LOCAL_HEADER.size > len(source)):
        return None
    signature, flags, name_len, extra_len = _LOCAL_HEADER.unpack_from(source, start)
    if signature != b"PK\x03\x04":
        return None
    begin = start + _LOCAL_HEADER.size
    try:
        named = source[begin : begin + name_len].decode("utf-8" if flags & 0x800 else "cp437")
    except UnicodeDecodeError:
        return None
    if named != info.orig_filename:
        return None  # zipfile refuses such a member: so does every reader of it here
    begin += name_len + extra_len
    body = source[begin : begin + info.compress_size]
    return body if len(body) == info.compress_size else None


def _inflate_sound(source: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """A stored or deflated member inflated from ``source`` in one piece, or None unless it
    comes out whole and as declared (see :func:`read_member`)."""
    pieces = inflate_pieces(source, info, info.file_size + 1)
    if pieces is None:
        return None
    try:
        return b"".join(pieces)  # one piece: joined without a copy
    except FileRefusedError:
        return None


def inflate_pieces(source: bytes, info: zipfile.ZipInfo, piece: int) -> Iterator[bytes] | None:
    """The member of the archive ``source`` inflated in pieces of at most ``piece`` bytes, for
    a caller that may stop early (the head of a worksheet); None when it is not stored or
    deflated, or cannot be located (read it through :mod:`zipfile` then). Read to its end,
    a member that is not as its directory entry says (size, CRC-32, a whole deflate stream)
    raises :class:`FileRefusedError` before its last piece is given, as zipfile checks it."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    body = stored_body(source, info)
    if body is None:
        return None
    return _pieces(body, info, piece)


def _pieces(body: bytes, info: zipfile.ZipInfo, piece: int) -> Iterator[bytes]:
    crc = size = 0
    inflater = isal_zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    pending, at = body, 0
    while True:
        if inflater is None:  # stored
            chunk, at = body[at : at + piece], at + piece
            last = at >= len(body)
        else:
            try:
                chunk = inflater.decompress(pending, piece)
            except _INFLATE_ERROR as exc:
                raise FileRefusedError(f"damaged deflate data ({exc})", info.filename) from exc
            pending = inflater.unconsumed_tail
            last = inflater.eof
            if not chunk and not pending and not last:
                raise FileRefusedError("the deflate data ends early", info.filename)
        crc, size = isal_zlib.crc32(chunk, crc), size + len(chunk)
        if size > info.file_size or (last and (size != info.file_size or crc != info.CRC)):
            raise FileRefusedError("the data is not what the directory entry says (size or "
                                   "CRC-32)", info.filename)
        if chunk:
            yield chunk
        if last:
            return


def zip_directory(tail: bytes) -> tuple[int, int] | None:
    """The entry count and central-directory size an archive's end records declare, from
    its last bytes ``tail`` (None when no record is found there: read the last
    65,536 + 78 bytes, the longest end records). zipfile parses as many bytes of
    directory as the size says, whatever the count, so both are bounded."""
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    entries, size = struct.unpack_from("<HI", tail, at + 10)
    if entries == 0xFFFF or size == 0xFFFFFFFF:  # zip64: the figures are in its own record
        z64 = tail.rfind(b"PK\x06\x06", 0, at)
        if z64 >= 0 and len(tail) - z64 >= 56:
            entries, size = struct.unpack_from("<QQ", tail, z64 + 32)
    return int(entries), int(size)
