"""Real-size supplier files made in milliseconds: a file ``bench/make_suppliers.py`` made,
copied under another company name and unique ID. Only the Declaration sheet is rewritten;
every other part of the workbook is copied as it is compressed, so each copy is a distinct
real-size file (about 1.3 MB) instead of the 0.3 s a filled template takes."""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path

__all__ = ["base_name", "copy_name", "make_copy", "unique_id"]


def base_name(i: int) -> str:
    return f"supplier-{i:04d}.xlsx"


def copy_name(i: int) -> str:
    return f"supplier-{i:05d}-copy.xlsx"


def unique_id(i: int) -> str:
    return f"EX-{i:05d}"  # as make_suppliers writes Declaration!D12


_RELS = re.compile(rb'<Relationship [^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"')
_RELS_REVERSED = re.compile(rb'<Relationship [^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"')


def _declaration_part(archive: zipfile.ZipFile) -> str:
    workbook = archive.read("xl/workbook.xml")
    found = re.search(rb'<sheet name="Declaration" [^>]*?r:id="([^"]+)"', workbook)
    assert found, "no Declaration sheet"
    rels = archive.read("xl/_rels/workbook.xml.rels")
    targets = {i: t for i, t in _RELS.findall(rels)}
    targets.update({i: t for t, i in _RELS_REVERSED.findall(rels)})
    target = targets[found.group(1)].decode()
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _dos_time(info: zipfile.ZipInfo) -> tuple[int, int]:
    y, mo, d, h, mi, s = info.date_time
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def _copy_with(source: Path, target: Path, part: str, data: bytes) -> None:
    """``source`` written to ``target`` with the member ``part`` replaced by ``data``; every
    other member is copied as it is stored (no inflating, no deflating)."""
    with zipfile.ZipFile(source) as archive, source.open("rb") as raw, \
            target.open("wb") as out:
        central = []
        for info in archive.infolist():
            assert not info.flag_bits & 0x08 and info.compress_size < 2**32, info.filename
            if info.filename == part:
                packer = zlib.compressobj(6, zlib.DEFLATED, -15)
                body = packer.compress(data) + packer.flush()
                crc, size, method = zlib.crc32(data), len(data), zipfile.ZIP_DEFLATED
            else:
                raw.seek(info.header_offset)
                header = raw.read(30)
                name_len, extra_len = struct.unpack("<HH", header[26:30])
                raw.seek(info.header_offset + 30 + name_len + extra_len)
                body = raw.read(info.compress_size)
                crc, size, method = info.CRC, info.file_size, info.compress_type
            name = info.filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
            dos_time, dos_date = _dos_time(info)
            fields = (info.extract_version, info.flag_bits, method, dos_time, dos_date, crc,
                      len(body), size)
            offset = out.tell()
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, len(name), 0))
            out.write(name)
            out.write(body)
            central.append(struct.pack(
                "<IHHHHHHIIIHHHHHII", 0x02014B50, info.create_version | info.create_system << 8,
                *fields, len(name), 0, 0, 0, info.internal_attr, info.external_attr, offset)
                + name)
        start = out.tell()
        for entry in central:
            out.write(entry)
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                              out.tell() - start, start, 0))


def make_copy(job: tuple[int, int, str]) -> str:
    """Supplier ``i``'s file: supplier ``base``'s with another company name and unique ID."""
    i, base, folder = job
    target = Path(folder) / copy_name(i)
    if target.exists():
        return target.name
    source = Path(folder) / base_name(base)
    with zipfile.ZipFile(source) as archive:
        part = _declaration_part(archive)
        sheet = archive.read(part)
    old_id, new_id = unique_id(base).encode(), unique_id(i).encode()
    assert sheet.count(b"<t>" + old_id + b"</t>") == 1, source
    sheet = sheet.replace(b"<t>" + old_id + b"</t>", b"<t>" + new_id + b"</t>")
    name = re.compile(rb'(<c r="D8"[^>]*><is><t>[^<]*?) ' + f"{base:04d}".encode() + rb" ")
    sheet, n = name.subn(lambda m: m.group(1) + f" {i:05d} ".encode(), sheet)
    assert n == 1, source
    partial = target.with_suffix(".partial")
    _copy_with(source, partial, part, sheet)
    partial.replace(target)
    return target.name
