"""The cycle collector while a file is read (``reader._collector_paused``).

Reading makes thousands of objects without cycles: no collection runs while a process reads
alone, it runs again afterwards, and the workbook with its cells is gone by then, so that
the first collection looks only at what the read returned."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mineral_compliance import read_template
from mineral_compliance.errors import MineralComplianceError
from mineral_compliance.templates import reader
from mineral_compliance.templates._xlsx import open_workbook as real_open_workbook

from ..conftest import FIXTURES

DEMO = FIXTURES / "demo" / "cmrt-6.5-product-scope.xlsx"


@pytest.fixture
def watched(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[object]]]:
    """What the collector's state was while the file was read, and whether the workbook
    was still alive when the collector was enabled again."""
    seen: dict[str, list[object]] = {"during": [], "workbook alive at enable": []}
    books: list[weakref.ref[object]] = []

    def open_workbook(source: Path) -> object:
        seen["during"].append(gc.isenabled())
        wb = real_open_workbook(source)
        books.append(weakref.ref(wb))
        return wb
    real_enable = gc.enable

    def enable() -> None:
        seen["workbook alive at enable"].extend(ref() is not None for ref in books)
        real_enable()
    monkeypatch.setattr(reader, "open_workbook", open_workbook)
    monkeypatch.setattr(gc, "enable", enable)
    was = gc.isenabled()
    gc.enable()
    try:
        yield seen
    finally:
        if not was:
            gc.disable()


@pytest.mark.parametrize("read", [
    read_template, reader.read_with_reference, reader.reference_from_template,
], ids=["read_template", "read_with_reference", "reference_from_template"])
def test_no_collection_while_a_file_is_read_alone_and_the_workbook_is_gone_after(
        watched: dict[str, list[object]], read: Callable[[Path], object]) -> None:
    read(DEMO)
    assert watched["during"] == [False]
    assert gc.isenabled()
    assert watched["workbook alive at enable"] == [False]


def test_the_collector_is_left_alone_while_other_threads_run(
        watched: dict[str, list[object]]) -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        read_template(DEMO)
    finally:
        stop.set()
        other.join()
    assert watched["during"] == [True]
    assert watched["workbook alive at enable"] == []  # never paused, never enabled again


def test_the_collector_is_enabled_again_when_the_read_fails(
        watched: dict[str, list[object]], tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(DEMO.read_bytes()[:2000])
    with pytest.raises(MineralComplianceError):
        read_template(broken)
    assert gc.isenabled()
