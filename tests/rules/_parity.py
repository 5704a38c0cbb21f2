"""What the two Checker-parity modules share: judging each case in LibreOffice and by our
rules, and the checks that both judge the same content.

Our rules read each variant as a supplier would send it: the file the library's cell patcher
writes (or, for the variants LibreOffice stores itself, the file it stored). LibreOffice does
not load those files one by one, which would cost most of the suite's time: each of its
processes loads a base workbook once and makes every variant's edits in the loaded document,
undoing them after its Checker is read (:func:`mineral_compliance_oracle.run_checker`). Three
checks hold the two sides to the same content:

* every case: what LibreOffice holds in each edited cell when it reads the Checker (text,
  number, a date as its serial number, formula or nothing) is what our reader reads in that
  cell of the file our rules judge;
* a sample of each base's variants (:func:`cross_checked`: the first, which in the families
  is the complete fill, the middle one, the last one, and every variant whose own edits put
  a number, a date or a boolean; the families add those emptying the blank template's own
  content, :func:`empty_what_the_base_holds`): LibreOffice also loads the file our rules
  judge, as a supplier would send it, and its Checker items (row, label, target, required,
  missing, open, counted), total and the edited cells' content must be those of the
  in-place evaluation;
* every base: it is evaluated without edits before its variants and again after them,
  reading every cell a variant edits; the two must be equal, so undoing leaves nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mineral_compliance.templates._xlsx import CellInput, CellPatcher, open_workbook
from mineral_compliance_oracle import CellContent, CheckerJob, CheckerResult, run_checker

from ..conftest import UNO_PYTHON


@dataclass(frozen=True)
class Case:
    """A workbook to judge: a base, and the cells a variant changes in it."""

    name: str
    base: Path
    fill: Mapping[str, CellInput] = field(default_factory=dict)
    """Edits every variant of the base shares (the complete fill)."""
    own: Mapping[str, CellInput] = field(default_factory=dict)
    """The variant's own edits, on top of the fill."""
    stored_by_libreoffice: bool = False
    """Our rules read the workbook LibreOffice stored after editing, not a patched copy."""

    @property
    def edits(self) -> dict[str, CellInput]:
        return {**self.fill, **self.own}


@dataclass(frozen=True)
class Verdict:
    case: Case
    path: Path
    """The file our rules judge."""
    result: CheckerResult
    """LibreOffice's Checker on the base with the edits made in place."""
    loaded: CheckerResult | None = None
    """LibreOffice's Checker on :attr:`path` loaded itself (the cross-checked cases)."""


@dataclass(frozen=True)
class Judged:
    verdicts: dict[str, Verdict]
    undone: dict[str, tuple[CheckerResult, CheckerResult]]
    """Per base (file name): the base without edits before its variants, and after them."""


def _puts_non_text(edits: Mapping[str, CellInput]) -> bool:
    return any(isinstance(v, (bool, int, float, dt.date)) for v in edits.values())


def cross_checked(cases: Iterable[Case]) -> set[str]:
    """The cases LibreOffice also judges by loading the file our rules read (see the module
    docstring): per base, the first, the middle and the last variant, and every variant
    whose own edits put a number, a date or a boolean; variants LibreOffice stores are left
    out (it would load a file it is writing in the same run)."""
    by_base: dict[Path, list[Case]] = {}
    for case in cases:
        if case.edits and not case.stored_by_libreoffice:  # that file is LibreOffice's own
            by_base.setdefault(case.base, []).append(case)
    out: set[str] = set()
    for variants in by_base.values():
        out.update(variants[i].name for i in (0, len(variants) // 2, -1))
        out.update(c.name for c in variants if _puts_non_text(c.own))
    return out


def empty_what_the_base_holds(cases: Iterable[Case]) -> set[str]:
    """The variants whose own edits empty a cell the base holds a value in and the fill
    leaves alone: in a blank template, its own content (the "No" of a hidden row, in a cell
    its sheet protection locks, which LibreOffice edits only in an unprotected copy)."""
    out: set[str] = set()
    for case in cases:
        cleared = [ref for ref, value in case.own.items()
                   if value is None and ref not in case.fill]
        if cleared and any(c.kind != "empty" for c in read_cells(case.base, cleared).values()):
            out.add(case.name)
    return out


def judge(cases: Sequence[Case], out: Path, *, processes: int,
          cross_check: Iterable[str]) -> Judged:
    """Write each variant our rules will read and have LibreOffice judge every case (in place),
    the ``cross_check`` cases' files as loaded, and each base before and after its variants,
    in one run. LibreOffice starts once the files it loads are written and works while the
    rest are. One cell patcher per base writes its variants: each writes what
    :func:`patch_cells` writes, and a sheet only the fill edits (the smelter list, in most
    variants) is edited once per base, not once per variant."""
    paths: list[Path] = []
    jobs: list[CheckerJob] = []
    touched: dict[Path, set[str]] = {}
    to_patch: list[tuple[Case, Path]] = []
    for i, case in enumerate(cases):
        edits = case.edits
        if not edits:
            paths.append(case.base)
            jobs.append(CheckerJob(case.base))
            continue
        touched.setdefault(case.base, set()).update(edits)
        path = out / f"{i:03d}.xlsx"
        if case.stored_by_libreoffice:
            jobs.append(CheckerJob(case.base, edits, save_as=path))
        else:
            to_patch.append((case, path))
            jobs.append(CheckerJob(case.base, edits))
        paths.append(path)
    before = [CheckerJob(base, read=sorted(refs)) for base, refs in touched.items()]
    after = [CheckerJob(base, read=sorted(refs)) for base, refs in touched.items()]
    sample = set(cross_check)
    loaded_of = [i for i, case in enumerate(cases) if case.name in sample]
    assert not any(cases[i].stored_by_libreoffice for i in loaded_of)
    loaded = [CheckerJob(paths[i], read=list(cases[i].edits)) for i in loaded_of]
    patchers: dict[Path, CellPatcher] = {}

    def patch(case: Case, path: Path) -> None:
        patcher = patchers.get(case.base)
        if patcher is None:
            patcher = patchers[case.base] = CellPatcher(case.base)
        patcher.write(case.edits, path)

    for case, path in to_patch:
        if case.name in sample:
            patch(case, path)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # job order matters: the plain bases come first and last among each base's jobs
        running = pool.submit(run_checker, [*before, *jobs, *after, *loaded],
                              python=UNO_PYTHON, processes=processes)
        for case, path in to_patch:
            if case.name not in sample:
                patch(case, path)
        results = running.result()
    assert len(results) == len(before) + len(jobs) + len(after) + len(loaded)
    r_before = results[:len(before)]
    r_jobs = results[len(before):len(before) + len(jobs)]
    r_after = results[len(before) + len(jobs):len(before) + len(jobs) + len(after)]
    r_loaded = dict(zip(loaded_of, results[len(before) + len(jobs) + len(after):],
                        strict=True))
    verdicts = {case.name: Verdict(case, path, result, r_loaded.get(i))
                for i, (case, path, result) in enumerate(zip(cases, paths, r_jobs,
                                                             strict=True))}
    undone = {base.name: (b, a)
              for base, b, a in zip(touched, r_before, r_after, strict=True)}
    return Judged(verdicts, undone)


def read_cells(path: Path, refs: Iterable[str]) -> dict[str, CellContent]:
    """What our reader finds in each cell, in the oracle's terms (a boolean as the formula
    LibreOffice makes of a stored boolean)."""
    wb = open_workbook(path)
    out: dict[str, CellContent] = {}
    for ref in refs:
        sheet, _, address = ref.rpartition("!")
        col = address.rstrip("0123456789")
        cell = wb.cells(sheet).get((int(address[len(col):]), col))
        if cell is None:
            out[ref] = CellContent("empty", None)
        elif cell.formula:
            out[ref] = CellContent("formula", f"cached {cell.value!r}")
        elif cell.kind == "b":
            out[ref] = CellContent("formula", "=TRUE()" if cell.value else "=FALSE()")
        elif cell.kind == "n":
            out[ref] = CellContent("value", float(cell.value))
        else:
            out[ref] = CellContent("text", str(cell.value))
    return out


def assert_same_content(verdict: Verdict) -> None:
    """The in-place evaluation held, in every edited cell, what our reader reads there."""
    assert verdict.result.cells == read_cells(verdict.path, verdict.case.edits)


def assert_in_place_is_loaded(verdict: Verdict) -> None:
    """LibreOffice judges the file our rules read as it judged the edits made in place."""
    loaded, result = verdict.loaded, verdict.result
    assert loaded is not None
    assert loaded.error is None, loaded.error
    assert loaded.items == result.items
    assert loaded.total == result.total
    assert loaded.cells == result.cells


def assert_undone(before: CheckerResult, after: CheckerResult) -> None:
    assert before.error is None, before.error
    assert after.error is None, after.error
    assert after.items == before.items
    assert after.total == before.total
    assert after.cells == before.cells
