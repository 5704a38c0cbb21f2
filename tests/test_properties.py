"""Property-based tests: damaged workbooks never crash the reader, and any declaration the
reader can produce is written into the official workbook and read back identical.

Examples are derived from a fixed seed (reproducible in CI); set ``HYPOTHESIS_PROFILE=explore``
to search with fresh randomness and twenty times the examples."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mineral_compliance import read_template, write_template
from mineral_compliance.errors import MineralComplianceError
from mineral_compliance.models import Declaration
from mineral_compliance.rules import validate
from mineral_compliance.templates import _xlsx
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
