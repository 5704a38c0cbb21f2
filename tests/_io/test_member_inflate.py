"""Zip members inflated straight from the archive's bytes give what zipfile gives.

:func:`~mineral_compliance._io.files.read_member` with ``source`` inflates a sound stored or
deflated member itself (ISA-L) and hands anything else to :mod:`zipfile`. These tests hold
it to that: every part of every demo and reference workbook takes the quick way and comes out
byte for byte as zipfile reads it, and a damaged archive gives the same bytes or the same
error either way."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mineral_compliance._io import (
    ZIP_ERRORS,
    FileRefusedError,
    inflate_pieces,
    read_member,
    stored_body,
)
from mineral_compliance._io.files import _inflate_sound

from ..conftest import FIXTURES, needs_reference, reference_files

_LIMIT = 64 * 1024 * 1024
DEMO = sorted((FIXTURES / "demo").rglob("*.xlsx"))


def _outcome(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: bytes | None
             ) -> tuple[str, object]:
    try:
        return "bytes", read_member(archive, info, _LIMIT, "x.xlsx", source=source)
    except FileRefusedError as exc:
        return type(exc).__name__, str(exc)


def _every_member_reads_the_quick_way(path: Path) -> int:
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            quick = _inflate_sound(data, info)
            assert quick is not None, f"{path.name}!{info.filename} took the slow way"
            assert quick == archive.read(info), f"{path.name}!{info.filename}"
            pieces = inflate_pieces(data, info, 4096)
            assert pieces is not None
            assert b"".join(pieces) == quick, f"{path.name}!{info.filename} in pieces"
        return len(archive.infolist())


def test_every_part_of_every_demo_workbook_inflates_as_zipfile_reads_it() -> None:
    assert DEMO
    assert sum(_every_member_reads_the_quick_way(p) for p in DEMO) > 100


@needs_reference
def test_every_part_of_every_reference_workbook_inflates_as_zipfile_reads_it() -> None:
    files = [p for folder in ("cmrt", "emrt", "crt", "amrt")
             for p in reference_files(folder, "*.xlsx")
             if zipfile.is_zipfile(p)]  # a few are encrypted, or older formats renamed
    assert len(files) > 10
    assert sum(_every_member_reads_the_quick_way(p) for p in files) > 1000


def _archive(method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("xl/a.xml", b"<a>" + b"x" * 5000 + b"</a>", compress_type=method)
        z.writestr("xl/b.xml", b"<b/>" * 100, compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def _central(data: bytes, n: int = 0) -> int:
    at = -1
    for _ in range(n + 1):
        at = data.index(b"PK\x01\x02", at + 1)
    return at


def _patched(data: bytes, at: int, value: bytes) -> bytes:
    return data[:at] + value + data[at + len(value):]


def _damages() -> dict[str, bytes]:
    sound = _archive()
    first_local = sound.index(b"PK\x03\x04")
    central = _central(sound)
    name_at = first_local + 30
    body_at = name_at + len(b"xl/a.xml")
    return {
        "central CRC wrong": _patched(sound, central + 16, b"\0\0\0\0"),
        "local name differs": _patched(sound, name_at, b"xl/c.xml"),
        "declared size too small": _patched(sound, central + 24, struct.pack("<I", 10)),
        "declared size too large": _patched(sound, central + 24, struct.pack("<I", 9000)),
        "compressed size cut": _patched(sound, central + 20, struct.pack("<I", 8)),
        "deflate data damaged": _patched(sound, body_at + 2, b"\xff\xff\xff"),
        "marked encrypted": _patched(sound, central + 8, struct.pack("<H", 0x01)),
        "header elsewhere": _patched(sound, central + 42, struct.pack("<I", 7)),
    }


@pytest.mark.parametrize("damage", sorted(_damages()))
def test_a_damaged_member_is_left_to_zipfile_with_the_same_outcome(damage: str) -> None:
    data = _damages()[damage]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.infolist()[0]
        assert _inflate_sound(data, info) is None
        slow = _outcome(archive, info, None)
        assert _outcome(archive, info, data) == slow
        # zipfile returns what a stream shorter than declared holds when its CRC matches
        assert (slow[0] == "bytes") == (damage == "declared size too large"), slow


def test_a_sound_member_of_another_method_is_read_by_zipfile() -> None:
    data = _archive(zipfile.ZIP_LZMA)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("xl/a.xml")
        assert stored_body(data, info) is not None
        assert _inflate_sound(data, info) is None
        got = read_member(archive, info, _LIMIT, "x.xlsx", source=data)
        assert got == b"<a>" + b"x" * 5000 + b"</a>"


def test_a_sound_stored_member_reads_the_quick_way() -> None:
    data = _archive()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert _inflate_sound(data, archive.getinfo("xl/b.xml")) == b"<b/>" * 100


def _pieces_outcome(data: bytes, info: zipfile.ZipInfo) -> tuple[str, object]:
    pieces = inflate_pieces(data, info, 1000)
    if pieces is None:
        return "left to zipfile", None
    got = []
    try:
        for chunk in pieces:
            assert 0 < len(chunk) <= 1000
            got.append(chunk)
    except FileRefusedError:
        return "refused", None
    return "bytes", b"".join(got)


@pytest.mark.parametrize("damage", sorted(_damages()))
def test_a_damaged_member_read_in_pieces_is_refused_at_its_end(damage: str) -> None:
    data = _damages()[damage]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.infolist()[0]
        kind, _ = _pieces_outcome(data, info)
        assert kind in ("left to zipfile", "refused")


def test_a_sound_member_comes_whole_in_pieces_of_the_size_asked() -> None:
    sound = _archive()
    with zipfile.ZipFile(io.BytesIO(sound)) as archive:
        for info in archive.infolist():
            assert _pieces_outcome(sound, info) == ("bytes", archive.read(info))


@given(st.sampled_from(DEMO), st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)),
                                       min_size=1, max_size=6))
@settings(max_examples=60, deadline=None)
def test_bytes_damaged_anywhere_read_alike_both_ways(
        path: Path, flips: list[tuple[float, int]]) -> None:
    buf = bytearray(path.read_bytes())
    for where, xor in flips:
        buf[min(len(buf) - 1, int(where * len(buf)))] ^= xor
    data = bytes(buf)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS:
        return  # the directory itself is gone: no member is read either way
    with archive:
        for info in archive.infolist():
            slow = _outcome(archive, info, None)
            assert _outcome(archive, info, data) == slow, info.filename
            kind, got = _pieces_outcome(data, info)
            if kind == "bytes":  # in pieces, only ever what zipfile reads, whole
                assert slow == ("bytes", got), info.filename
