"""The parent sets each file's Smelter List rows aside as its result arrives and reads them
back one file at a time: the consolidation is the one computed with every row in memory."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from mineral_compliance.consolidation import build, consolidate
from mineral_compliance.consolidation.loading import Loaded
from mineral_compliance.consolidation.spool import RowSpool
from mineral_compliance.models.matching import DeclaredSmelter

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
