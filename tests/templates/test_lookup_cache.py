"""The Smelter Look-up parsed once per process is never one file's for another: its cells
are what the sheet's bytes and the file's shared strings make together, and files read in
threads side by side share the cache safely."""

from __future__ import annotations

import re
import threading
import zipfile
from pathlib import Path

from mineral_compliance.templates import reader
from mineral_compliance.templates.reader import read_with_reference

from ..conftest import FIXTURES

DEMO = FIXTURES / "demo" / "cmrt-6.22-messy-answers.xlsx"
LOOKUP = "xl/worksheets/sheet8.xml"


def _with_shared_strings(out: Path, swap: dict[str, str]) -> Path:
    """The demo file with its Look-up's inline text moved into a shared-strings part (the
    sheet's bytes the same for every ``swap``), the strings in ``swap`` replaced there."""
    source = zipfile.ZipFile(DEMO)
    sheet = source.read(LOOKUP).decode("utf-8")
    strings: list[str] = []

    def shared(m: re.Match[str]) -> str:
        if m.group(2) not in strings:
            strings.append(m.group(2))
        return f'<c r="{m.group(1)}" t="s"><v>{strings.index(m.group(2))}</v></c>'

    sheet = re.sub(r'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is><t>([^<]*)</t></is></c>',
                   shared, sheet)
    assert "INDONESIA" in strings and "CID900001" in strings
    items = "".join(f"<si><t>{swap.get(s, s)}</t></si>" for s in strings)
    sst = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>')
    rel = ('<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/'
           '2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    override = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == LOOKUP:
                data = sheet.encode("utf-8")
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", rel.encode())
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", override.encode())
            z.writestr(info, data)
        z.writestr("xl/sharedStrings.xml", sst)
    return out


def _lookup(path: Path) -> set[tuple[str | None, str | None]]:
    ref = read_with_reference(path)[1]
    assert ref is not None
    return {(e.smelter_id, e.country) for e in ref.entries}


def test_a_lookup_with_the_same_sheet_bytes_and_other_strings_is_read_anew(
        tmp_path: Path) -> None:
    honest = _with_shared_strings(tmp_path / "a.xlsx", {})
    hostile = _with_shared_strings(tmp_path / "b.xlsx", {"INDONESIA": "HOSTILE-COUNTRY",
                                                         "CID900001": "CID666666"})
    with zipfile.ZipFile(honest) as a, zipfile.ZipFile(hostile) as b:
        assert a.read(LOOKUP) == b.read(LOOKUP)  # the same sheet, other strings
    for cache in (reader._TABLES, reader._BY_SIGNATURE, reader._BY_CONTENT, reader._BY_ROWS):
        cache.clear()
    poisoned = _lookup(hostile)
    assert ("CID666666", "HOSTILE-COUNTRY") in poisoned
    clean = _lookup(honest)
    assert ("CID900001", "INDONESIA") in clean
    assert not {x for pair in clean for x in pair} & {"CID666666", "HOSTILE-COUNTRY"}


def test_threads_reading_side_by_side_share_the_caches_within_their_bounds(
        tmp_path: Path) -> None:
    files = [_with_shared_strings(tmp_path / f"{i}.xlsx", {"INDONESIA": f"COUNTRY {i}"})
             for i in range(reader._TABLES_KEPT + 4)]
    errors: list[BaseException] = []

    def read_all(order: list[Path]) -> None:
        try:
            for path in order:
                name = path.stem
                assert (("CID900001", f"COUNTRY {name}") in _lookup(path))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read_all, args=(files[i:] + files[:i],))
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert max(len(reader._TABLES), len(reader._BY_SIGNATURE), len(reader._BY_CONTENT),
               len(reader._BY_ROWS)) <= reader._TABLES_KEPT
    assert reader._BY_ROWS  # these files' Look-ups were kept by their rows too
