"""Every way of writing a package that the packaging rules and XML allow, combined at random.

Each XML part of a workbook gets, on its own, an encoding (UTF-8, UTF-16 in either byte order
with or without a byte order mark, a declared 8-bit encoding), and markup before its root (a
comment, an instruction, a comment longer than 4 KB, one holding a fake cell); each zip entry
its name in any case. Whatever the mix, the workbook must read and check exactly as the one
it was made from."""

from __future__ import annotations

import codecs
import re
import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mineral_compliance import read_template, validate_file

from ..conftest import FIXTURES
from .test_part_encodings import with_shared_strings

CMRT = FIXTURES / "demo" / "cmrt-6.22-messy-answers.xlsx"

_DECLARATION = re.compile(r"""<\?xml[^>]*?\?>""")
_ENCODED = re.compile(r"""(<\?xml[^>]*?encoding=)(["'])[^"']*\2""")
ENCODINGS = ["utf-8", "utf-16-le+bom", "utf-16-be+bom", "utf-16-le", "cp1252"]
PROLOGS = [
    "",
    "<!-- a note -->",
    "<?tool a=1?>\n",
    "<!-- " + "p" * 5000 + " -->",
    '<!-- <worksheet><sheetData><row r="8"><c r="D8" t="inlineStr"><is><t>Fake</t></is></c>'
    '</row></sheetData></worksheet> <sst><si><t>Fake</t></si></sst> -->',
]
CASES = ["as written", "upper", "title"]


def _part(text: str, encoding: str, prolog: str) -> bytes:
    decl = _DECLARATION.match(text)
    at = decl.end() if decl is not None else 0
    text = text[:at] + prolog + text[at:]
    if encoding == "utf-8":
        return text.encode("utf-8")
    if encoding == "cp1252":
        declared = '<?xml version="1.0" encoding="windows-1252" standalone="yes"?>'
        text = (declared + text[at:]) if decl is not None else declared + text
        return text.encode("cp1252", "xmlcharrefreplace")
    codec, bom = encoding.split("+")[0], encoding.endswith("+bom")
    text = _ENCODED.sub(r'\1"UTF-16"', text, count=1)
    mark = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF16_BE
    return (mark if bom else b"") + text.encode(codec)


def _name(name: str, case: str) -> str:
    if case == "upper":
        return name.upper()
    if case == "title":
        return "/".join(p.title() for p in name.split("/"))
    return name


@st.composite
def _package(draw: st.DrawFn, names: list[str]) -> dict[str, tuple[str, str, str]]:
    """For each entry: its encoding, its prolog (XML parts only) and the case of its name."""
    out = {}
    for name in names:
        xml = name.endswith((".xml", ".rels"))
        out[name] = (draw(st.sampled_from(ENCODINGS)) if xml else "utf-8",
                     draw(st.sampled_from(PROLOGS)) if xml else "",
                     draw(st.sampled_from(CASES)))
    return out


def _findings(path: Path) -> list[tuple[str, str | None, str | None, str]]:
    return sorted((f.code, f.sheet, f.cell, f.message.replace(str(path), "<file>"))
                  for f in validate_file(path).findings)


def _read(path: Path) -> str:
    return read_template(path).model_dump_json(exclude={"file", "sha256"}).replace(
        str(path), "<file>")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_mix_of_allowed_package_forms_reads_and_checks_as_the_original(
        data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        source = with_shared_strings(CMRT, base / "source.xlsx")
        with zipfile.ZipFile(source) as z:
            names = z.namelist()
        plan = data.draw(_package(names))
        variant = base / "variant.xlsx"
        with zipfile.ZipFile(source) as zin, zipfile.ZipFile(variant, "w",
                                                              zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                raw = zin.read(info)
                encoding, prolog, case = plan[info.filename]
                if info.filename.endswith((".xml", ".rels")):
                    raw = _part(raw.decode("utf-8"), encoding, prolog)
                zout.writestr(_name(info.filename, case), raw)
        assert _read(variant) == _read(source)
        assert _findings(variant) == _findings(source)
