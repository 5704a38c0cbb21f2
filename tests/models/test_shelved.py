"""Shelved sequences: items written to an anonymous file and read back exactly, in order,
whatever their text; a model field that holds one behaves as the tuple of its items when it
is compared, hashed, pickled, validated and serialised; the file goes with the last view."""

from __future__ import annotations

import gc
import os
import pickle
import threading
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError

from mineral_compliance.models.consolidation import (
    FileStatus,
    RejectedRow,
    SmelterSource,
    SupplierFile,
)
from mineral_compliance.models.findings import Basis, Finding, Severity
from mineral_compliance.models.matching import MatchGrade
from mineral_compliance.models.shelved import Deferred, Packed, Rows, Shelf, Shelved


def _finding(i: int, text: str = "") -> Finding:
    return Finding(code=f"rule-{i}", severity=list(Severity)[i % len(Severity)],
                   message=f"message {i} {text}", basis=list(Basis)[i % len(Basis)],
                   file="a.xlsx", sheet="Declaration", cell=f"D{i + 1}",
                   subject=None if i % 2 else text)


class _Holder(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: Rows[Finding] = ()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(), max_size=30))
def test_items_come_back_exactly_and_in_order(texts: list[str]) -> None:
    shelf = Shelf()
    items = [_finding(i, t) for i, t in enumerate(texts)]
    view = shelf.extend(items)
    assert list(view) == items
    assert [view[i] for i in range(len(items))] == items
    assert list(view[::-1]) == items[::-1]
    if items:
        assert view[-1] == items[-1]


def test_items_across_the_write_buffer_and_read_in_chunks_are_all_there() -> None:
    shelf = Shelf()
    big = "x" * 300_000  # a few items fill the megabyte buffer, so some are flushed
    items = [_finding(i, big if i % 3 == 0 else str(i)) for i in range(20)]
    view = shelf.extend(items)
    extra = shelf.add(_finding(99))
    assert list(view) == items  # a range: read a megabyte or so at a time
    assert shelf.get(extra) == _finding(99)
    scattered = shelf.view(array("q", [extra, 3, 0, 3]))
    assert list(scattered) == [_finding(99), items[3], items[0], items[3]]
    with pytest.raises(IndexError):
        shelf.get(-1)
    with pytest.raises(IndexError):
        list(shelf.get_range(range(0, 4, 2)))


def test_a_view_is_the_tuple_of_its_items_to_models_pickle_and_pydantic() -> None:
    items = tuple(_finding(i, "\u00e9\U0001f600") for i in range(5))
    view = Shelf().extend(items)
    assert isinstance(view, Deferred) and isinstance(view, Shelved)
    assert view == items and items == view and view != items[:4] and view != "abc"
    assert hash(view) == hash(items)
    back = pickle.loads(pickle.dumps(view))
    assert type(back) is tuple and back == items  # the data travels, not the file

    held = _Holder(items=view)
    assert held.items is view  # passed on as it is, not read
    assert held == _Holder(items=items) and hash(held) == hash(_Holder(items=items))
    assert held.model_dump() == _Holder(items=items).model_dump()
    assert held.model_dump_json() == _Holder(items=items).model_dump_json()
    copied = pickle.loads(pickle.dumps(held))
    assert copied == held and type(copied.items) is tuple

    validated = _Holder.model_validate({"items": [x.model_dump() for x in items]})
    assert type(validated.items) is tuple and validated.items == items
    with pytest.raises(ValidationError):
        _Holder(items=[{"code": "x"}])  # anything else is validated as before
    assert _Holder.model_json_schema()["properties"]["items"]["type"] == "array"


def test_the_file_goes_with_the_last_view() -> None:
    shelf = Shelf()
    view = shelf.extend([_finding(1)])
    fd = shelf._file.fileno()
    del shelf
    gc.collect()
    assert list(view) == [_finding(1)]  # the view keeps the shelf
    del view  # no cycle holds the shelf: it goes at once, not at the next collection
    with pytest.raises(OSError):
        os.fstat(fd)  # closed: the anonymous file is gone


def test_an_item_keeps_a_view_on_its_own_shelf_as_the_view() -> None:
    shelf, other = Shelf(), Shelf()
    findings = shelf.extend([_finding(i) for i in range(3)])
    file = SupplierFile(file="f.xlsx", status=FileStatus.ERRORS, errors=1, findings=findings)
    back = shelf.get(shelf.add(file))
    assert isinstance(back.findings, Shelved) and back.findings == findings
    stored = shelf._ends[-1] - shelf._ends[-2]
    assert stored < len(pickle.dumps(file)) - 500  # the findings were not written again
    elsewhere = other.get(other.add(file))  # another shelf's view: its items travel
    assert type(elsewhere.findings) is tuple and elsewhere == file
    assert type(pickle.loads(pickle.dumps(back)).findings) is tuple


def test_readers_in_threads_read_while_it_is_written() -> None:
    shelf = Shelf()
    items = [_finding(i, "y" * (i * 997 % 5000)) for i in range(400)]
    ids = [shelf.add(x) for x in items[:200]]
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(3):
                assert [shelf.get(i) for i in ids] == items[:200]
        except BaseException as exc:
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for r in readers:
        r.start()
    more = [shelf.add(x) for x in items[200:]]
    for r in readers:
        r.join()
    assert errors == []
    assert [shelf.get(i) for i in more] == items[200:]


def test_packed_items_are_made_from_their_ids() -> None:
    made: list[int] = []

    def make(i: int) -> str:
        made.append(i)
        return f"item {i}"

    packed = Packed(make, array("I", [4, 1, 4]))
    assert len(packed) == 3 and made == []  # nothing is made before it is read
    assert list(packed) == ["item 4", "item 1", "item 4"] and packed[1:] == ("item 1", "item 4")
    assert pickle.loads(pickle.dumps(packed)) == ("item 4", "item 1", "item 4")


def test_what_a_consolidation_shelves_pickles_back_equal() -> None:
    source = SmelterSource(supplier="s", file="f.xlsx", sheet=None, cell="C5", row=None,
                           metal="Tin", name="Works \u00e9", country=None, smelter_id="CID1",
                           grade=MatchGrade.PLACEHOLDER)
    rejected = RejectedRow(source=source, reason="placeholder", detail="d")
    file = SupplierFile(file="f.xlsx", status=FileStatus.WARNINGS, warnings=1,
                        findings=Shelf().extend([_finding(2)]))
    for value in (source, rejected, file, _finding(3)):
        back = pickle.loads(pickle.dumps(value))
        assert back == value and type(back) is type(value)
    back_file = pickle.loads(pickle.dumps(file))
    assert back_file.status is FileStatus.WARNINGS and type(back_file.findings) is tuple
    assert back_file.findings[0].severity is _finding(2).severity
    assert pickle.loads(pickle.dumps(source)).grade is MatchGrade.PLACEHOLDER
    assert back_file.model_copy(update={"errors": 2}).errors == 2
    assert back_file.model_dump() == file.model_dump()
