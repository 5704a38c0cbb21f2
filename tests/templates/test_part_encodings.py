"""XML parts in UTF-16 or in a declared 8-bit encoding (``_io.encodings``).

ECMA-376 Part 2 lets a package's XML parts be UTF-8 or UTF-16; the official RMI templates
themselves carry UTF-16 parts (their customXml items). A workbook whose every part, or only
some, are UTF-16 must read exactly as its UTF-8 twin, through every path the reader takes
(the whole-part scan, the head of a list sheet, the shared strings, lxml, the writer). A
part declaring another encoding is read in it, as an XML parser reads it; an encoding no
XML part is read in, or bytes that are not in the encoding found, is a typed error naming
the part."""

from __future__ import annotations

import codecs
import contextlib
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from mineral_compliance import read_template, validate_file
from mineral_compliance._io import XmlEncodingError, is_utf8_xml, xml_as_utf8
from mineral_compliance.errors import MalformedTemplateError
from mineral_compliance.templates import _xlsx
from mineral_compliance.templates._xlsx import patch_cells

from ..conftest import FIXTURES, needs_reference, reference_files

DEMO = sorted((FIXTURES / "demo").glob("*.xlsx"))
CMRT = FIXTURES / "demo" / "cmrt-6.22-messy-answers.xlsx"
_DECLARED = re.compile(r"""(<\?xml[^>]*?encoding=)(["'])[^"']*\2""")


def _utf16(codec: str, bom: bool) -> Callable[[str], bytes]:
    """A part's text as a writer in UTF-16 writes it: its declaration naming UTF-16."""
    mark = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF16_BE

    def encode(text: str) -> bytes:
        text = _DECLARED.sub(r'\1"UTF-16"', text, count=1)
        return (mark if bom else b"") + text.encode(codec)
    return encode


def _eight_bit(codec: str, label: str) -> Callable[[str], bytes]:
    """A part's text in ``codec`` under the name ``label``, characters it lacks as
    character references (which XML reads as the characters)."""
    def encode(text: str) -> bytes:
        if _DECLARED.match(text) is not None:
            text = _DECLARED.sub(rf'\1"{label}"', text, count=1)
        else:
            text = f'<?xml version="1.0" encoding="{label}"?>' + text
        return text.encode(codec, "xmlcharrefreplace")
    return encode


def repack(src: Path, dest: Path, encode: Callable[[str], bytes],
           parts: Callable[[str], bool] = lambda name: True) -> Path:
    """A copy of ``src`` whose UTF-8 XML parts chosen by ``parts`` are written by ``encode``
    (every other part byte for byte)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith((".xml", ".rels")) and parts(info.filename):
                with contextlib.suppress(UnicodeDecodeError):  # (one in another stays)
                    data = encode(data.decode("utf-8"))
            zout.writestr(info, data)
    return dest


def with_shared_strings(src: Path, dest: Path) -> Path:
    """A copy of ``src`` whose inline text, in every worksheet, is moved into a
    shared-strings part, as Excel stores text."""
    strings: dict[str, int] = {}

    def shared(m: re.Match[str]) -> str:
        index = strings.setdefault(m.group(3), len(strings))
        return f'<c r="{m.group(1)}"{m.group(2)} t="s"><v>{index}</v></c>'

    cell = re.compile(r'<c r="([A-Z]+[0-9]+)"((?: s="[0-9]+")?) t="inlineStr"><is>'
                      r'<t(?: xml:space="preserve")?>([^<]*)</t></is></c>')
    rel = ('<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/'
           '2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    override = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = cell.sub(shared, data.decode("utf-8")).encode("utf-8")
                assert b"inlineStr" not in data  # (every inline text moved)
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", rel.encode())
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", override.encode())
            zout.writestr(info, data)
        items = "".join(f'<si><t xml:space="preserve">{s}</t></si>' for s in strings)
        zout.writestr("xl/sharedStrings.xml", '<?xml version="1.0" encoding="UTF-8"?>'
                      '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
                      f' count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>')
    assert len(strings) > 50
    return dest


def _read(path: Path) -> str:
    """What the reader makes of ``path``, its name left out: the template, or the error."""
    try:
        found = read_template(path).model_dump_json(exclude={"file", "sha256"})
    except MalformedTemplateError as exc:
        found = f"{type(exc).__name__}: {exc}"
    return found.replace(str(path), "<file>")


VARIANTS = {
    "UTF-16 LE with a byte order mark": _utf16("utf-16-le", bom=True),
    "UTF-16 BE with a byte order mark": _utf16("utf-16-be", bom=True),
    "UTF-16 LE without one": _utf16("utf-16-le", bom=False),
    "Windows-1252": _eight_bit("cp1252", "windows-1252"),
    "ISO-8859-1": _eight_bit("latin-1", "ISO-8859-1"),
    "Shift_JIS": _eight_bit("shift_jis", "Shift_JIS"),
}
SOME_PARTS = {
    "every part": lambda name: True,
    "the worksheets only": lambda name: name.startswith("xl/worksheets/"),
    "the workbook and its relationships only": lambda name: name.startswith(
        ("xl/workbook.xml", "xl/_rels/", "_rels/", "[Content_Types]")),
    "the shared strings only": lambda name: name == "xl/sharedStrings.xml",
}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("path", DEMO, ids=[p.name for p in DEMO])
def test_a_workbook_in_another_encoding_reads_as_in_utf8(
        path: Path, variant: str, tmp_path: Path) -> None:
    twin = repack(path, tmp_path / path.name, VARIANTS[variant])
    assert _read(twin) == _read(path)
    assert not _read(path).startswith("MalformedTemplateError")


@pytest.mark.parametrize("parts", SOME_PARTS)
def test_a_workbook_with_some_parts_in_utf16_reads_as_in_utf8(
        parts: str, tmp_path: Path) -> None:
    shared = with_shared_strings(CMRT, tmp_path / "shared.xlsx")
    assert _read(shared) == _read(CMRT).replace(str(CMRT), "<file>")
    twin = repack(shared, tmp_path / "t.xlsx", VARIANTS["UTF-16 LE with a byte order mark"],
                  SOME_PARTS[parts])
    with zipfile.ZipFile(twin) as z:  # (the variant did change the parts it names)
        assert sum(z.read(n)[:2] == codecs.BOM_UTF16_LE for n in z.namelist()) >= 1
    assert _read(twin) == _read(shared)


def test_the_checks_of_a_workbook_in_utf16_are_those_of_its_utf8_twin(tmp_path: Path) -> None:
    twin = repack(CMRT, tmp_path / "t.xlsx", VARIANTS["UTF-16 BE with a byte order mark"])
    ours, theirs = validate_file(CMRT), validate_file(twin)
    assert ours.findings  # (the messy-answers fixture has findings to compare)
    assert ([(f.code, f.message, f.sheet, f.cell) for f in theirs.findings]
            == [(f.code, f.message, f.sheet, f.cell) for f in ours.findings])


def test_the_head_of_a_list_sheet_in_utf16_is_read_as_in_utf8(tmp_path: Path) -> None:
    twin = repack(CMRT, tmp_path / "t.xlsx", VARIANTS["UTF-16 LE without one"])
    got = _xlsx.open_workbook(twin).top_cells("Smelter List", 6, first=4)
    want = _xlsx.open_workbook(CMRT).top_cells("Smelter List", 6, first=4)
    assert got and got == want


def test_the_head_of_a_list_sheet_in_an_8_bit_encoding_is_not_read_as_utf8(
        tmp_path: Path) -> None:
    # "Ã©" in Windows-1252 is the bytes C3 A9, which UTF-8 would read as "é"
    text = "Ã© SociÃ©tÃ©"
    filled = patch_cells(CMRT, {"Smelter List!D5": text}, tmp_path / "filled.xlsx")
    twin = repack(filled, tmp_path / "t.xlsx", _eight_bit("cp1252", "windows-1252"),
                  lambda n: n.startswith("xl/worksheets/"))
    wb = _xlsx.open_workbook(twin)
    assert wb.top_cells("Smelter List", 6, first=5)[(5, "D")].value == text
    assert wb.cells("Smelter List")[(5, "D")].value == text


def test_a_text_with_characters_an_8_bit_encoding_has_reads_them(tmp_path: Path) -> None:
    name = "Société Générale des Métaux Müller & Söhne, Œuvre"
    filled = patch_cells(CMRT, {"Declaration!D8": name}, tmp_path / "filled.xlsx")
    for label, codec in (("windows-1252", "cp1252"), ("ISO-8859-15", "iso8859-15")):
        twin = repack(filled, tmp_path / f"{label}.xlsx", _eight_bit(codec, label),
                      lambda n: n.startswith("xl/worksheets/"))
        with zipfile.ZipFile(twin) as z:  # stored in the 8-bit encoding, not as references
            assert name.encode(codec).replace(b"&", b"&amp;") in b"".join(
                z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
        assert read_template(twin).company.name.value == name


@pytest.mark.parametrize(("label", "why"), [
    ("bogus-8", "'bogus-8'"),
    ("unicode_escape", "'unicode_escape'"),
    ("rot13", "'rot13'"),
    ("UTF-32", "'UTF-32'"),
    ("UTF-16", "not UTF-16"),
])
def test_an_encoding_no_xml_part_is_read_in_is_refused_naming_the_part(
        label: str, why: str, tmp_path: Path) -> None:
    twin = repack(CMRT, tmp_path / "t.xlsx", _eight_bit("utf-8", label),
                  lambda n: n == "xl/workbook.xml")
    with pytest.raises(MalformedTemplateError) as caught:
        read_template(twin)
    assert "xl/workbook.xml" in str(caught.value)
    assert why in str(caught.value)
    assert caught.value.path == str(twin)


@pytest.mark.parametrize("damage", [
    pytest.param(lambda b: b[:-1], id="odd length"),
    pytest.param(lambda b: b.replace("Smelter".encode("utf-16-le"), b"\x00\xd8S\x00", 1),
                 id="unpaired surrogate"),
])
def test_utf16_that_does_not_decode_is_refused_naming_the_part(
        damage: Callable[[bytes], bytes], tmp_path: Path) -> None:
    encode = VARIANTS["UTF-16 LE with a byte order mark"]
    twin = repack(CMRT, tmp_path / "t.xlsx", lambda text: damage(encode(text)),
                  lambda n: n == "xl/workbook.xml")
    with pytest.raises(MalformedTemplateError, match=r"xl/workbook\.xml.*not valid UTF-16"):
        read_template(twin)


def test_a_workbook_in_utf16_is_written_back_and_reads_its_edits(tmp_path: Path) -> None:
    twin = repack(CMRT, tmp_path / "t.xlsx", VARIANTS["UTF-16 LE with a byte order mark"])
    out = patch_cells(twin, {"Declaration!D8": "Édition 中文"}, tmp_path / "out.xlsx")
    assert read_template(out).company.name.value == "Édition 中文"
    with zipfile.ZipFile(twin) as before, zipfile.ZipFile(out) as after:
        # the parts edited are written in UTF-8, every other one is copied as it was
        assert after.read("xl/workbook.xml").startswith(b"<?xml")
        assert is_utf8_xml(after.read("xl/workbook.xml")[:512])
        assert after.read("xl/styles.xml") == before.read("xl/styles.xml")
        assert after.read("xl/styles.xml")[:2] == codecs.BOM_UTF16_LE
    assert openpyxl.load_workbook(out)["Declaration"]["D8"].value == "Édition 中文"


@needs_reference
@pytest.mark.parametrize("path", reference_files("cmrt", "RMI_CMRT_6.4_*.xlsx")[:1],
                         ids=lambda p: p.name)
def test_a_real_supplier_file_in_utf16_reads_as_in_utf8(path: Path, tmp_path: Path) -> None:
    twin = repack(path, tmp_path / "t.xlsx", VARIANTS["UTF-16 LE with a byte order mark"])
    assert _read(twin) == _read(path)


@needs_reference
def test_the_official_templates_carry_utf16_parts() -> None:
    """(Why this matters: Microsoft's tools write UTF-16 parts into the RMI's own files.)"""
    found = []
    for path in reference_files("cmrt", "RMI_*.xlsx") + reference_files("emrt", "RMI_*.xlsx"):
        with zipfile.ZipFile(path) as z:
            found += [n for n in z.namelist() if not is_utf8_xml(z.read(n)[:512])
                      and n.endswith(".xml")]
    assert found


# -- the conversion itself --------------------------------------------------------------

_XML_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]).filter(
    lambda c: c in "\t\n\r" or (c >= " " and c not in "\ufffe\uffff")), max_size=200)
_AS_LXML = ["UTF-8", "UTF-16", "ISO-8859-1", "windows-1252", "KOI8-R", "ISO-8859-7",
            "windows-1251", "ISO-8859-2"]
"""Encodings libxml2 reads as Python does, every character of them."""
_EAST_ASIAN = ["Shift_JIS", "EUC-JP", "GB18030", "GBK", "Big5", "EUC-KR"]
"""Encodings whose tables differ between libxml2 (through iconv) and Python in a few places:
Shift_JIS's 0x5C and 0x7E, read as Windows reads them (backslash and tilde) here, as yen and
overline there; a few private-use code points of GB18030. A part in one of them is read as
Python's codec reads it."""


def _document(text: str, label: str) -> bytes:
    body = text.replace("&", "&amp;").replace("<", "&lt;").replace("\r", "&#13;")
    doc = f'<?xml version="1.0" encoding="{label}"?><a>{body}</a>'
    if label == "UTF-16":
        return doc.encode("utf-16")  # (with the byte order mark of this machine's order)
    return doc.encode(codecs.lookup(label).name, "xmlcharrefreplace")


_PARSER = etree.XMLParser(resolve_entities=False)


@settings(max_examples=300, deadline=None)
@given(text=_XML_TEXT, label=st.sampled_from(_AS_LXML))
def test_a_part_reads_in_utf8_as_lxml_reads_it_as_declared(text: str, label: str) -> None:
    doc = _document(text, label)
    converted = xml_as_utf8(doc, 1 << 20)
    assert etree.fromstring(converted, _PARSER).text == etree.fromstring(doc, _PARSER).text
    assert is_utf8_xml(converted[:512])
    assert (converted is doc) == (label == "UTF-8")


@settings(max_examples=200, deadline=None)
@given(text=_XML_TEXT, label=st.sampled_from(_EAST_ASIAN))
def test_a_part_in_an_east_asian_encoding_reads_its_text(text: str, label: str) -> None:
    codec = codecs.lookup(label).name

    def kept(c: str) -> bool:  # (characters the codec writes and reads back as they were)
        try:
            return c.encode(codec).decode(codec) == c
        except UnicodeError:
            return True  # written as a character reference
    text = "".join(filter(kept, text))
    converted = xml_as_utf8(_document(text, label), 1 << 20)
    assert (etree.fromstring(converted, _PARSER).text or "") == text


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300), head=st.sampled_from(
    [b"", b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<", b'<?xml version="1.0" encoding="',
     b"\xef\xbb\xbf<?xml version='1.0' encoding='"]))
def test_any_bytes_give_utf8_or_the_typed_error(data: bytes, head: bytes) -> None:
    doc = head + data
    try:
        out = xml_as_utf8(doc, 1 << 20)
    except XmlEncodingError as exc:
        assert str(exc)
    else:  # as it was, or text now in UTF-8
        if out is not doc:
            out.decode("utf-8")  # (raises when it is not)


def test_a_part_longer_than_the_limit_in_utf8_is_refused() -> None:
    doc = ("<a>" + "中" * 100 + "</a>").encode("utf-16")  # 216 bytes, 307 in UTF-8
    assert len(doc) == 216
    assert len(xml_as_utf8(doc, 307)) == 307
    with pytest.raises(XmlEncodingError, match="more than 306"):
        xml_as_utf8(doc, 306)


def test_the_declaration_names_utf8_once_converted() -> None:
    doc = "<?xml version='1.0' encoding = 'UTF-16' standalone='yes'?><a>é</a>".encode("utf-16")
    assert xml_as_utf8(doc, 1000) == (
        "<?xml version='1.0' encoding = 'UTF-8' standalone='yes'?><a>é</a>".encode())
