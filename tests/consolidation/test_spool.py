"""The parent sets each file's Smelter List rows aside as its result arrives and reads them
back one file at a time, and keeps findings, files and sources off the heap: the
consolidation is the one computed with every row in memory."""

from __future__ import annotations

import dataclasses
import gc
import pickle
from array import array
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mineral_compliance.consolidation import build, consolidate
from mineral_compliance.consolidation.loading import Loaded
from mineral_compliance.consolidation.spool import RowSpool
from mineral_compliance.consolidation.store import load_consolidation, save_consolidation
from mineral_compliance.models.consolidation import SmelterSource, SupplierFile
from mineral_compliance.models.findings import Finding, Severity
from mineral_compliance.models.matching import DeclaredSmelter
from mineral_compliance.models.shelved import Deferred

from ..conftest import FIXTURES

DEMO = FIXTURES / "demo"


def _loaded(label: str, rows: tuple[DeclaredSmelter, ...]) -> Loaded:
    with ThreadPoolExecutor(1) as pool:
        seen: list[Loaded] = []
        real = build.consolidate_loaded

        def capture(loaded: list[Loaded], *args: Any, **kwargs: Any) -> Any:
            seen.extend(loaded)
            return real(loaded, *args, **kwargs)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(build, "consolidate_loaded", capture)
            consolidate([next(DEMO.glob("cmrt-*.xlsx"))], executor=pool)
    first = seen[0]
    assert first.decl is not None
    return dataclasses.replace(first, label=label, decl=dataclasses.replace(first.decl,
                                                                            rows=rows))


def test_rows_go_to_disk_and_come_back_as_they_were() -> None:
    rows = tuple(DeclaredSmelter(metal="Tin", name=f"Works {i} \u00e9\U0001f600", row=5 + i,
                                 sheet="Smelter List", cell=f"C{5 + i}") for i in range(40))
    with RowSpool() as spool:
        kept = [spool.keep(_loaded(f"file-{i}.xlsx", rows[i:])) for i in range(3)]
        assert all(k.decl is not None and k.decl.rows == () for k in kept)
        # a label seen before keeps its rows: two inputs are never mixed up
        again = spool.keep(_loaded("file-1.xlsx", rows[:2]))
        assert again.decl is not None and again.decl.rows == rows[:2]
        assert [spool.rows(f"file-{i}.xlsx") for i in (2, 0, 1)] == [rows[2:], rows, rows[1:]]
        assert spool.rows("never-seen.xlsx") == ()
    with pytest.raises(ValueError):  # closed: the temporary file is gone
        spool.rows("file-0.xlsx")


def test_the_consolidation_never_holds_every_files_rows_and_loses_none() -> None:
    seen: list[Loaded] = []
    real = build.consolidate_loaded

    def capture(loaded: list[Loaded], reference_of: Any, **kwargs: Any) -> Any:
        seen.extend(loaded)
        rows_of = kwargs["rows_of"]
        spooled = real(loaded, reference_of, **kwargs)
        # the same inputs with their rows back in memory give the same consolidation
        in_memory = [dataclasses.replace(x, decl=dataclasses.replace(
            x.decl, rows=rows_of(x.label))) if x.decl is not None else x for x in loaded]
        assert real(in_memory, reference_of, **{**kwargs, "rows_of": None}) == spooled
        return spooled

    with ThreadPoolExecutor(2) as pool, pytest.MonkeyPatch.context() as patch:
        patch.setattr(build, "consolidate_loaded", capture)
        result = consolidate([DEMO], executor=pool)
    readable = [x for x in seen if x.decl is not None]
    assert len(readable) >= 5
    assert all(x.decl is not None and x.decl.rows == () for x in readable)
    assert result.rows_read > 0
    assert result.rows_read == sum(len(s.sources) for s in result.smelters) + len(
        result.rejected)


def _alive(kind: type) -> int:
    gc.collect()
    return sum(type(o) is kind for o in gc.get_objects())


def test_the_consolidation_keeps_its_files_findings_and_sources_on_the_shelf(
        tmp_path: Path) -> None:
    """What grows with the files is not in memory once the consolidation is made, yet every
    item is there when read, and equal to the consolidation read back from its file."""
    with ThreadPoolExecutor(2) as pool:
        before = _alive(Finding), _alive(SmelterSource), _alive(SupplierFile)
        result = consolidate([DEMO], executor=pool)
        after = _alive(Finding), _alive(SmelterSource), _alive(SupplierFile)
    assert after == before  # none held by the result
    assert isinstance(result.files, Deferred) and isinstance(result.rejected, Deferred)
    assert all(isinstance(s.sources, Deferred) for s in result.smelters)
    findings = [x for f in result.files for x in f.findings]
    assert len(findings) > 20 and sum(len(s.sources) for s in result.smelters) > 10
    assert sum(f.errors + f.warnings for f in result.files) == sum(
        x.severity in (Severity.ERROR, Severity.WARNING) for x in findings)
    save_consolidation(result, tmp_path)
    back = load_consolidation(tmp_path)
    assert type(back.files) is tuple and back == result
    assert pickle.loads(pickle.dumps(result)) == result


def test_sources_packed_as_numbers_come_back_as_they_were() -> None:
    from mineral_compliance.consolidation.smelters import SourceTable
    from mineral_compliance.errors import ConsolidationError
    from mineral_compliance.models.matching import MatchGrade

    table = SourceTable()
    files = [table.file(f"supplier {i}", f"file {i} \u00e9.xlsx") for i in range(3)]
    contents = [table.content("Tin", "Works \U0001f600", None, None, MatchGrade.UNMATCHED),
                table.content(None, None, "China", "CID1", MatchGrade.PLACEHOLDER)]
    wanted = []
    ids = array("I")
    for i in range(12):
        f, c = files[i % 3], contents[i % 2]
        sheet, cell, row = ("Smelter List", f"C{i}", i) if i % 4 else (None, None, None)
        ids.append(table.add(f, c, sheet, cell, row))
        wanted.append(SmelterSource(f"supplier {f}", f"file {f} \u00e9.xlsx", sheet, cell, row,
                                    *[("Tin", "Works \U0001f600", None, None),
                                      (None, None, "China", "CID1")][i % 2],
                                    [MatchGrade.UNMATCHED, MatchGrade.PLACEHOLDER][i % 2]))
    assert list(table.view(ids)) == wanted and len(table) == 12
    assert list(table.view(array("I", ids[::-1]))) == wanted[::-1]
    with pytest.raises(ConsolidationError, match="out of range"):
        table.add(0, 0, None, None, 2**31)
