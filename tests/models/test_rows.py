"""List rows are stored compactly yet read back exactly: every value, its cell and its flags,
through attribute access, the keyword constructor, pydantic and pickle."""

from __future__ import annotations

import functools
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mineral_compliance import read_template
from mineral_compliance.errors import MineralComplianceError
from mineral_compliance.models import (
    Declaration,
    MineralScopeRow,
    MineRow,
    Origin,
    PlaceholderKind,
    ProductRow,
    Provenance,
    SmelterRow,
    Status,
    TextValue,
    Value,
)
from mineral_compliance.models.rows import Cell, ListRow, RowSheet

from ..conftest import FIXTURES as _FIXTURES
from ..conftest import REFERENCE

FIXTURES = _FIXTURES / "demo"


@functools.cache
def _templates() -> tuple[Declaration, ...]:
    """The demo templates, and every real one at hand that the reader supports (read once for
    the tests that compare them)."""
    paths = sorted(FIXTURES.glob("*.xlsx"))
    if REFERENCE.is_dir():
        paths += sorted(p for p in REFERENCE.rglob("*.xls*") if p.suffix in {".xlsx", ".xlsm"})
    found = []
    for path in paths:
        try:
            found.append(read_template(path))
        except MineralComplianceError:
            continue  # too old, or not a template: nothing to compare
    return tuple(found)


def _rows(decl: Declaration) -> list[ListRow]:
    return [*decl.smelters, *decl.products, *decl.mines, *decl.minerals_scope]


_TEXT = st.text(st.characters(), max_size=12)
_RAW = st.one_of(st.none(), _TEXT, st.floats(allow_nan=False), st.booleans())


@st.composite
def _value(draw: st.DrawFn, row: int, column: str) -> TextValue:
    """Any value a row field can hold: at its own cell or (rarely) anywhere else."""
    if draw(st.integers(0, 9)) == 0:
        where = Provenance(file=draw(st.sampled_from(["a.xlsx", "b.xlsx"])),
                           sheet=draw(st.sampled_from(["Smelter List", "Declaration"])),
                           cell=draw(st.sampled_from(
                               ["A1", f"{column}{row + 1}", "-", "ZZ9", None])))
    else:
        where = Provenance(file="a.xlsx", sheet="Smelter List",
                           cell=None if column == "-" else f"{column}{row}")
    kind = draw(st.sampled_from(["blank", "typed", "any"]))
    if kind == "blank":
        return TextValue(provenance=where)
    if kind == "typed":
        text = draw(_TEXT)
        return TextValue(value=text, raw=text, origin=Origin.INPUT, status=Status.OK,
                         provenance=where)
    return TextValue(value=draw(st.one_of(st.none(), _TEXT)), raw=draw(_RAW),
                     origin=draw(st.sampled_from(Origin)), status=draw(st.sampled_from(Status)),
                     cached=draw(_RAW), formula=draw(st.booleans()), provenance=where)


@st.composite
def _smelter_fields(draw: st.DrawFn) -> dict[str, Any]:
    row = draw(st.integers(1, 1_048_576))
    fields: dict[str, Any] = {"row": row}
    for i, name in enumerate(SmelterRow._value_fields):
        column = "-" if draw(st.integers(0, 7)) == 0 else "ABCDEFGHIJKLMNOPQRSTU"[i]
        fields[name] = draw(_value(row, column))
    if draw(st.booleans()):  # the effective ID is the typed one, cell and all
        fields["smelter_id"] = fields["smelter_id_input"]
    fields["standard_name"] = draw(st.one_of(st.none(), _TEXT))
    fields["placeholder"] = draw(st.one_of(st.none(), st.sampled_from(PlaceholderKind)))
    return fields


@settings(max_examples=300, deadline=None)
@given(_smelter_fields())
def test_a_row_gives_back_every_value_it_was_built_with(fields: dict[str, Any]) -> None:
    row = SmelterRow(**fields)
    assert row.fields() == fields
    for name, value in fields.items():
        got = getattr(row, name)
        assert got == value
        if isinstance(value, Value):
            assert got.provenance == value.provenance
            assert row.value_of(name) == value.value
    assert row == SmelterRow(**fields) and hash(row) == hash(SmelterRow(**fields))
    assert pickle.loads(pickle.dumps(row)) == row
    assert SmelterRow.model_validate(row.model_dump()) == row


@settings(max_examples=100, deadline=None)
@given(_smelter_fields(), st.sampled_from(SmelterRow._value_fields))
def test_rows_that_differ_in_one_value_are_not_equal(fields: dict[str, Any],
                                                     name: str) -> None:
    old: TextValue = fields[name]
    changed = old.model_copy(update={"formula": not old.formula})
    other = SmelterRow(**{**fields, name: changed})
    assert other != SmelterRow(**fields)
    assert getattr(other, name) == changed


def test_the_reader_packs_what_the_keyword_constructor_packs() -> None:
    """Rows from the reader equal rows rebuilt from their values, for every demo and real
    template at hand; the values read back carry their own cells."""
    seen = 0
    for decl in _templates():
        for r in _rows(decl):
            rebuilt = type(r)(**r.fields())
            assert rebuilt == r, (decl.file, r.row)
            for value in r.values():
                assert value.provenance.file == decl.file
                cell = value.provenance.cell
                assert cell is None or cell.endswith(str(r.row)), (decl.file, cell)
            seen += 1
    assert seen > 20


def test_a_declaration_survives_json_and_pickle_unchanged() -> None:
    for decl in _templates():
        assert Declaration.model_validate_json(decl.model_dump_json()) == decl, decl.file
        assert pickle.loads(pickle.dumps(decl)) == decl, decl.file


def test_json_of_a_row_is_the_shape_of_its_fields() -> None:
    decl = read_template(FIXTURES / "cmrt-6.5-product-scope.xlsx")
    row = decl.smelters[0]
    dumped = decl.model_dump(mode="json")["smelters"][0]
    assert set(dumped) == set(SmelterRow.model_fields)
    assert dumped["metal"] == row.metal.model_dump(mode="json")
    assert dumped["metal"]["provenance"]["cell"] == f"B{row.row}"


def test_rows_are_frozen() -> None:
    row = read_template(FIXTURES / "cmrt-6.5-product-scope.xlsx").smelters[0]
    with pytest.raises(AttributeError, match="frozen"):
        row.row = 9
    with pytest.raises(AttributeError, match="frozen"):
        row.metal = row.country
    with pytest.raises(AttributeError):
        row.anything = 1


def test_the_keyword_constructor_validates() -> None:
    where = Provenance(file="a.xlsx", sheet="Mine List", cell="B5")
    with pytest.raises(ValueError, match="mine_name"):
        MineRow(row=5, metal=TextValue(provenance=where))
    with pytest.raises(ValueError, match="row"):
        MineralScopeRow(row="five", mineral=TextValue(provenance=where),
                        reason=TextValue(provenance=where))


def test_product_rows_keep_their_further_columns() -> None:
    def at(col: str) -> Provenance:
        return Provenance(file="p.xlsx", sheet="Product List", cell=f"{col}7")

    typed = TextValue(value="R-1", raw="R-1", origin=Origin.INPUT, status=Status.OK,
                      provenance=at("D"))
    extra = {"plant": TextValue(value="Plant 4", raw=" Plant 4", origin=Origin.INPUT,
                                status=Status.OK, provenance=at("G")),
             "line": TextValue(provenance=at("H"))}
    row = ProductRow(row=7, number=TextValue(provenance=at("B")),
                     name=TextValue(provenance=at("C")), requester_number=typed,
                     requester_name=TextValue(provenance=at("E")),
                     comments=TextValue(provenance=at("F")), extra=extra)
    assert row.extra == extra and row.requester_number == typed
    assert row.model_dump()["extra"]["plant"]["raw"] == " Plant 4"
    assert ProductRow(**row.fields()) == row


def test_pack_refuses_cells_that_do_not_fit_the_sheet() -> None:
    at = RowSheet.of("a.xlsx", "Minerals Scope", ["B", "C"])
    with pytest.raises(ValueError, match="2 columns"):
        MineralScopeRow.pack(at, 5, [Cell()])
    with pytest.raises(ValueError, match="earlier"):
        MineralScopeRow.pack(at, 5, [1, Cell()])
    with pytest.raises(ValueError, match="reason"):
        MineralScopeRow.pack(at, 5, {"mineral": Cell()})
    row = MineralScopeRow.pack(at, 5, [Cell("Cobalt", " cobalt ", Origin.INPUT, Status.OK), 0])
    assert row.reason == row.mineral and row.reason.provenance.cell == "B5"
    assert row.mineral.raw == " cobalt "
    assert MineralScopeRow.pack(at, 5, {"reason": "mineral", "mineral": Cell(
        "Cobalt", " cobalt ", Origin.INPUT, Status.OK)}) == row


def test_rows_of_one_sheet_share_what_they_have_in_common() -> None:
    decl = read_template(FIXTURES / "cmrt-6.5-product-scope.xlsx")
    assert len({id(s._at) for s in decl.smelters}) == 1
    rebuilt = [SmelterRow(**s.fields()) for s in decl.smelters * 50]
    assert rebuilt == list(decl.smelters * 50)
    # rows built apart share one record for each way their columns fall
    assert len({id(s._at) for s in rebuilt}) <= len(decl.smelters)
    assert len({id(s._at) for s in rebuilt}) == len({s._at for s in rebuilt})
