"""Property-based tests: damaged workbooks never crash the reader, and any declaration the
reader can produce is written into the official workbook and read back identical.

Examples are derived from a fixed seed (reproducible in CI); set ``HYPOTHESIS_PROFILE=explore``
to search with fresh randomness and twenty times the examples."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import struct
import warnings
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mineral_compliance import read_template, write_template
from mineral_compliance._io import MAX_TEXT_CHARS, cap_text
from mineral_compliance.errors import MineralComplianceError
from mineral_compliance.models import Declaration
from mineral_compliance.rules import validate
from mineral_compliance.templates import _xlsx
from mineral_compliance.templates._normalise import clean_text
from mineral_compliance.templates.detect import detect
from mineral_compliance.templates.layouts.base import Layout

from .conftest import FIXTURES, REFERENCE, needs_reference

settings.register_profile("default", deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)


def _examples(n: int) -> int:
    return n * 20 if PROFILE == "explore" else n

DEMO = sorted((FIXTURES / "demo").glob("*.xlsx"))
FILLED = [REFERENCE / "cmrt" / n for n in (
    "RMI_CMRT_6.5_(Security C) (1).xlsx", "RMI_CMRT_6.4_JX Advanced Metals Corporation.xlsx")
] + [REFERENCE / "emrt" / n for n in ("RMI_EMRT_2.0_(Security C) (1).xlsx",
                                      "RMI_AMRT_1.2.1_(Security C) (1).xlsx")]
BLANKS = [REFERENCE / "cmrt" / "RMI_CMRT_6.5_(Security C) (1).xlsx"] + [
    REFERENCE / "emrt" / n for n in ("RMI_EMRT_2.1.xlsx", "RMI_CRT_2.21.xlsx",
                                     "RMI_AMRT_1.3.xlsx", "RMI_EMRT_1.3.xlsx")]


@cache
def _parts(path: Path) -> tuple[tuple[zipfile.ZipInfo, bytes], ...]:
    with zipfile.ZipFile(path) as z:
        return tuple((info, z.read(info)) for info in z.infolist())


def _reads_or_refuses(data: bytes, name: str) -> None:
    """The property: a declaration whose rules all run, or a typed error naming the file."""
    stream = io.BytesIO(data)
    stream.name = name
    try:
        decl = read_template(stream)
    except MineralComplianceError as exc:
        assert name in str(exc) and exc.message
        return
    decl.model_dump_json()
    report = validate(decl)
    crashed = [f for f in report.findings if f.code == "rule-failed"]
    assert not crashed, crashed


_XML_TEXT = re.compile(rb"<(?:v|t|f)(?: [^>]*)?>([^<]*)</(?:v|t|f)>")
_ATTRIBUTE = re.compile(rb'\b(r|t|s|ref|si|sheetId|r:id|Id|Target)="([^"]*)"')


@dataclass(frozen=True)
class _Damaged:
    what: str
    data: bytes

    def __repr__(self) -> str:  # a failing example names the damage, not megabytes of bytes
        return f"_Damaged({self.what!r}, {len(self.data)} bytes)"


@st.composite
def _mutation(draw: st.DrawFn, sources: list[Path]) -> _Damaged:
    """A workbook with one part damaged the way real tools and transfers damage them."""
    source = draw(st.sampled_from(sources))
    entries = _parts(source)
    xml = [i for i, (info, _) in enumerate(entries) if info.filename.endswith((".xml", ".rels"))]
    target = draw(st.sampled_from(xml))
    data = entries[target][1]
    kind = draw(st.sampled_from(["truncate", "delete", "insert", "text", "attribute",
                                 "duplicate", "raw"]))
    if kind == "truncate":
        data = data[:draw(st.integers(0, len(data)))]
    elif kind == "delete":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + data[at + draw(st.integers(1, 4096)):]
    elif kind == "insert":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    elif kind in ("text", "attribute"):
        pattern = _XML_TEXT if kind == "text" else _ATTRIBUTE
        found = list(pattern.finditer(data))
        if found:
            m = found[draw(st.integers(0, len(found) - 1))]
            group = 1 if kind == "text" else 2
            new = draw(st.one_of(
                st.text(max_size=40).map(lambda s: s.encode("utf-8", "surrogatepass")),
                st.sampled_from([b"", b"-1", b"1E+308", b"NaN", b"XFD1048577", b"999999999",
                                 b"&amp;", b"&bogus;", b"<", b"A0", b"0", b"1.5"])))
            data = data[:m.start(group)] + new + data[m.end(group):]
    elif kind == "duplicate":
        at, size = draw(st.integers(0, len(data))), draw(st.integers(1, 2048))
        data = data[:at] + data[at:at + size] * draw(st.integers(2, 50)) + data[at:]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for i, (info, body) in enumerate(entries):
            z.writestr(info.filename, data if i == target else body)
    raw = out.getvalue()
    if kind == "raw":  # bytes flipped anywhere in the file, as a bad transfer does
        buf = bytearray(raw)
        for _ in range(draw(st.integers(1, 8))):
            buf[draw(st.integers(0, len(buf) - 1))] ^= draw(st.integers(1, 255))
        raw = bytes(buf)
    return _Damaged(f"{source.name}:{entries[target][0].filename}:{kind}", raw)


@given(_mutation(DEMO))
@settings(max_examples=_examples(300))
def test_damaged_demo_workbooks_never_crash_the_reader(case: _Damaged) -> None:
    _reads_or_refuses(case.data, "damaged.xlsx")


@needs_reference
@given(_mutation([p for p in FILLED if p.is_file()] or DEMO))
@settings(max_examples=_examples(60))
def test_damaged_real_templates_never_crash_the_reader(case: _Damaged) -> None:
    _reads_or_refuses(case.data, "damaged.xlsx")


# -- generated declarations ------------------------------------------------------------------

_TEXT = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60)
_CELL_VALUES = st.one_of(
    _TEXT, st.integers(-10**6, 10**9), st.floats(allow_nan=False, allow_infinity=False,
                                                 min_value=-1e12, max_value=1e12),
    st.booleans(), st.dates(dt.date(1950, 1, 1), dt.date(2099, 12, 31)),
    st.sampled_from(["=SUM(A1)", "+1", "-", "@x", "00123", " padded ", "1/2/2025",
                     "2025-03-31", "_x0041_", "Yes", "No", "Unknown", "CID000001", "cid 2"]))


@st.composite
def _declaration_cells(draw: st.DrawFn, layout: Layout) -> dict[str, _xlsx.CellInput]:
    """Input cells of a layout filled with anything a supplier or a tool might put there:
    allowed literals mostly, and text, numbers, dates and booleans where they do not belong."""
    sheet = layout.declaration_sheet
    cells: dict[str, _xlsx.CellInput] = {}
    for field in draw(st.lists(st.sampled_from(sorted(layout.company_cells)), unique=True,
                               max_size=len(layout.company_cells))):
        if field == "scope" and layout.scope_choices:
            value: _xlsx.CellInput = draw(st.one_of(st.sampled_from(layout.scope_choices),
                                                    _CELL_VALUES))
        elif field == "effective_date":
            value = draw(st.one_of(st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31)),
                                   _CELL_VALUES))
        else:
            value = draw(_CELL_VALUES)
        cells[f"{sheet}!{layout.company_cells[field]}"] = value
    for q in draw(st.lists(st.sampled_from(layout.questions), max_size=4)):
        row = draw(st.sampled_from(q.rows))
        cells[f"{sheet}!{q.answer_col}{row}"] = draw(
            st.one_of(st.sampled_from(q.choices), _CELL_VALUES) if q.choices else _CELL_VALUES)
        if draw(st.booleans()):
            cells[f"{sheet}!{q.comment_col}{row}"] = draw(_TEXT)
    for spec, choices in ((layout.smelter_list, {"metal": layout.metal_choices}),
                          (layout.product_list, {}), (layout.mine_list, {})):
        if spec is None:
            continue
        for row in draw(st.lists(st.integers(spec.first_row, spec.first_row + 30), unique=True,
                                 max_size=4)):
            for key in draw(st.lists(st.sampled_from(sorted(spec.columns)), unique=True,
                                     min_size=1)):
                options = choices.get(key)
                cells[f"{spec.sheet}!{spec.columns[key]}{row}"] = draw(
                    st.one_of(st.sampled_from(options), _CELL_VALUES) if options
                    else _CELL_VALUES)
    return cells


def _plain(decl: Declaration) -> dict[str, Any]:
    plain = decl.to_plain()
    del plain["file"], plain["sha256"]
    return plain


@cache
def _layout(path: Path) -> Layout:
    return detect(_xlsx.open_workbook(path)).layout


def _round_trip(blank: Path, cells: dict[str, _xlsx.CellInput], folder: Path) -> None:
    """Fill ``blank`` with ``cells``, read the declaration, write it into the untouched
    ``blank``, read it again: the two declarations are the same."""
    filled = _xlsx.patch_cells(blank, cells, folder / "filled.xlsx")
    decl = read_template(filled)
    written = write_template(decl, template=blank, out=folder / "written.xlsx")
    assert _plain(read_template(written)) == _plain(decl)


@pytest.mark.parametrize("blank", DEMO, ids=lambda p: p.name)
def test_any_declaration_reads_back_identical_from_the_demo_workbooks(
        blank: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    @given(_declaration_cells(_layout(blank)))
    @settings(max_examples=_examples(25))
    def check(cells: dict[str, _xlsx.CellInput]) -> None:
        _round_trip(blank, cells, tmp_path_factory.mktemp("trip"))

    check()


def test_a_date_cell_holding_only_spaces_reads_back_the_same(tmp_path: Path) -> None:
    """Found by the search above: a blank date cell with a space in it."""
    blank = FIXTURES / "demo" / "amrt-1.3-other-minerals.xlsx"
    cell = _layout(blank).company_cells["effective_date"]
    _round_trip(blank, {f"Declaration!{cell}": " "}, tmp_path)


def test_a_typed_smelter_id_stays_in_the_input_column(tmp_path: Path) -> None:
    """Found by the search above: an ID typed in the input column beside a look-up choice was
    also written into the template's own ID column, which then hid the look-up's facts."""
    blank = FIXTURES / "demo" / "cmrt-6.01-numeric-response-rate.xlsx"
    spec = _layout(blank).smelter_list
    row = spec.first_row + 1
    _round_trip(blank, {f"{spec.sheet}!{spec.columns['smelter_id_input']}{row}": "0",
                        f"{spec.sheet}!{spec.columns['country']}{row}": "0"}, tmp_path)
    written = _xlsx.open_workbook(tmp_path / "written.xlsx").cells(spec.sheet)
    assert written[(row, spec.columns["smelter_id_input"])].value == "0"
    assert (row, spec.columns["smelter_id"]) not in written  # the template's own column


@needs_reference
@pytest.mark.parametrize("blank", BLANKS, ids=lambda p: p.name)
def test_any_declaration_reads_back_identical_from_the_official_workbooks(
        blank: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    @given(_declaration_cells(_layout(blank)))
    @settings(max_examples=_examples(12))
    def check(cells: dict[str, _xlsx.CellInput]) -> None:
        _round_trip(blank, cells, tmp_path_factory.mktemp("trip"))

    check()


# -- any text, from every Unicode category ---------------------------------------------------

_ANY_CHAR = st.characters(categories=(  # every category: surrogates, controls, format
    "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe",
    "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"))
"""Any code point: letters to symbols, and surrogates (Cs), controls and NUL (Cc), bidi and
other format controls (Cf), private use (Co) and unassigned ones (Cn)."""
_ANY_TEXT = st.one_of(
    st.text(_ANY_CHAR, min_size=1, max_size=40),
    st.text(st.sampled_from("\x00\x1f\x7f\u202e\u200f\ufeff\ud800\udfff\ud83d\ude00\ue000"
                            "\ufffe\uffff\U0010ffff_x"), min_size=1, max_size=20),
    # around the cap: just under, at and just over it, in characters after decoding
    st.builds(lambda unit, n: unit * n, st.text(_ANY_CHAR, min_size=1, max_size=2),
              st.integers(MAX_TEXT_CHARS // 2 - 2, MAX_TEXT_CHARS + 4)),
)


def _as_read(text: str) -> str | None:
    """What the reader makes of ``text`` typed in a cell: adjacent high and low surrogates
    joined into their character and every other surrogate replaced by U+FFFD (the OOXML file
    stores text as UTF-16 code units), cut to the cap, surrounding blanks removed."""
    units = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return clean_text(cap_text(units)[0])


@given(_ANY_TEXT)
@settings(max_examples=_examples(40))
def test_any_text_reads_back_safe_and_capped_and_then_round_trips(
        tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    """The reader's view of any text is safe to encode, capped and marked where it differs
    from what was typed; written back, it reads back identical and without notes."""
    blank = FIXTURES / "demo" / "cmrt-6.5-product-scope.xlsx"
    layout = _layout(blank)
    name = layout.company_cells["name"]
    spec = layout.smelter_list
    comment = f"{spec.columns['comments']}{spec.first_row}"  # a filled row of the demo
    folder = tmp_path_factory.mktemp("text")
    filled = _xlsx.patch_cells(blank, {f"Declaration!{name}": text,
                                       f"{spec.sheet}!{comment}": text}, folder / "filled.xlsx")
    decl = read_template(filled)
    expected = _as_read(text)
    assert decl.company.name.value == expected
    assert decl.smelters[0].comments.value == expected
    decl.model_dump_json().encode("utf-8")

    units = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    codes = set()
    if units.count("\ufffd") > text.count("\ufffd"):
        codes.add("text-replaced")
    if len(units) > MAX_TEXT_CHARS:
        codes.add("text-truncated")
    for cell in (name, comment):
        assert {n.code.value for n in decl.notes if n.provenance.cell == cell} == codes

    written = write_template(decl, template=blank, out=folder / "written.xlsx")
    again = read_template(written)
    assert _plain(again) == _plain(decl) and again.notes == ()


# -- damaged zip containers ------------------------------------------------------------------

_CENTRAL, _LOCAL = b"PK\x01\x02", b"PK\x03\x04"


def _headers(data: bytes, signature: bytes) -> list[int]:
    found, at = [], data.find(signature)
    while at >= 0:
        found.append(at)
        at = data.find(signature, at + 1)
    return found


@st.composite
def _damaged_container(draw: st.DrawFn) -> _Damaged:
    """A workbook whose zip structure, not its XML, is damaged."""
    source = draw(st.sampled_from(DEMO))
    raw = source.read_bytes()
    kind = draw(st.sampled_from(["truncate", "flip central", "flip local", "duplicate",
                                 "size lies"]))
    if kind == "truncate":
        return _Damaged(f"{source.name}:{kind}", raw[:draw(st.integers(0, len(raw) - 1))])
    if kind in ("flip central", "flip local", "size lies"):
        signature = _LOCAL if kind == "flip local" else _CENTRAL
        starts = _headers(raw, signature)
        start = draw(st.sampled_from(starts))
        buf = bytearray(raw)
        if kind == "size lies":
            # compressed and uncompressed sizes sit at 20 and 24 in a central entry
            field = start + draw(st.sampled_from([20, 24]))
            buf[field:field + 4] = struct.pack("<I", draw(st.sampled_from(
                [0, 1, 100, 2**31 - 1, 2**32 - 1, 64 * 1024 * 1024 + 1])))
            if draw(st.booleans()):  # and the local header says the same, at 18 and 22
                local = draw(st.sampled_from(_headers(raw, _LOCAL)))
                at = local + draw(st.sampled_from([18, 22]))
                buf[at:at + 4] = struct.pack("<I", draw(st.integers(0, 2**32 - 1)))
        else:
            size = 46 if signature == _CENTRAL else 30
            for _ in range(draw(st.integers(1, 4))):
                at = start + draw(st.integers(0, size - 1))
                buf[at] ^= draw(st.integers(1, 255))
        return _Damaged(f"{source.name}:{kind}", bytes(buf))
    entries = _parts(source)
    twin = draw(st.integers(0, len(entries) - 1))
    body = draw(st.sampled_from([b"", b"<worksheet/>", entries[twin][1][:100],
                                 entries[draw(st.integers(0, len(entries) - 1))][1]]))
    before = draw(st.booleans())
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for i, (info, data) in enumerate(entries):
                if i == twin and before:
                    z.writestr(info.filename, body)
                z.writestr(info.filename, data)
                if i == twin and not before:
                    z.writestr(info.filename, body)
    return _Damaged(f"{source.name}:{entries[twin][0].filename}:{kind}", out.getvalue())


@given(_damaged_container())
@settings(max_examples=_examples(150))
def test_damaged_zip_containers_never_crash_the_reader(case: _Damaged) -> None:
    _reads_or_refuses(case.data, "damaged.xlsx")
