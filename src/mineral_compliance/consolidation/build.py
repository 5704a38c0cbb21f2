"""The consolidation itself: the inputs read, one file per supplier and family kept, every
Smelter List row resolved and merged or rejected, the answers rolled up (the rules are those
of :mod:`mineral_compliance.consolidation`)."""

from __future__ import annotations

import datetime as dt
import os
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from pathlib import Path

from .._isolation import WorkerLimits
from ..errors import ConsolidationError
from ..inputs import close_archives, collect_inputs
from ..models.consolidation import (
    Consolidation,
    DeclaredMine,
    FileStatus,
    ProductSmelters,
    RejectedRow,
    SmelterSource,
    SupplierFile,
)
from ..models.declaration import TemplateKind
from ..models.findings import Finding, Severity
from ..models.matching import DeclaredSmelter, SmelterMatch
from ..models.reference import SmelterReference
from ..models.shelved import Shelf
from ..names import country_code, metal_key
from ..refdata.legacy import LegacyIds
from ..refdata.matching import currency_findings
from ..refdata.regions import CahraList
from ..refdata.status import StatusList, default_as_of
from ..templates.releases import AcceptPolicy, default_policy
from .loading import Loaded, Progress, load_all
from .references import ReferenceSource, from_inputs, matchers_by_family
from .rollup import roll_up
from .smelters import MergedRows, SourceTable, smelter_key
from .spool import RowSpool
from .suppliers import on_roster, roster_keys, superseded_by, supplier_key

__all__ = ["consolidate", "consolidate_loaded"]

_Resolved = tuple[SmelterMatch, str | None, str, tuple[str | None, ...], int]
"""A distinct row's match, the key it merges under or why it is rejected, its metal, name,
country and ID as the sources of every row like it share them, and its number in the
consolidation's source table."""



def consolidate(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    references: Sequence[SmelterReference] = (),
    legacy: LegacyIds | None = None,
    status_lists: Sequence[StatusList] = (),
    cahra: CahraList | None = None,
    roster: Sequence[str] | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    exclude: Iterable[str | Path] = (),
    limits: WorkerLimits | None = None,
    accept: AcceptPolicy | None = None,
    as_of: dt.date | None = None,
) -> Consolidation:
    """Consolidate supplier templates (see :mod:`mineral_compliance.consolidation` for every
    rule).

    ``references``: reference lists to resolve smelters against, one per family (default: the
    newest template of each family among the inputs). ``legacy``: the translation of legacy
    smelter IDs, ``status_lists`` and ``cahra``: as for
    :class:`~mineral_compliance.refdata.SmelterMatcher`. ``roster``: the suppliers surveyed
    (company names or unique IDs), for the response-rate question. ``executor``: where files
    are read and validated (default: a process pool sized to the machine; any
    ``concurrent.futures.Executor``, a Dask client's included). ``inputs``: one path or
    several (files, folders, globs, zip archives; see :mod:`mineral_compliance.inputs`).
    ``exclude``: folders never read as inputs (the output folder). ``limits``: what one file
    may cost a worker of the default pool (a file over them is listed as unreadable with the
    reason, and the run goes on). ``accept``: the template versions the campaign accepts
    (:class:`~mineral_compliance.AcceptPolicy`; default: the current and the previous release
    of each family); files outside it are consolidated with the finding
    ``template-version-not-accepted``, and the result records the policy. ``as_of``: the
    date statuses are read as of (default: 31 December of last year, the end of the calendar
    year a Form SD filed this year reports on); a row whose smelter's conformance ran out
    before it, or runs out before the following 31 May, gets the finding ``status-expired``
    or ``status-expiring`` in its file's feedback."""
    policy = accept or default_policy()
    items = collect_inputs(inputs, exclude=exclude)
    with RowSpool() as spool:
        try:
            loaded = load_all(items, executor, progress, limits, policy, keep=spool.keep)
        finally:
            close_archives()
        return consolidate_loaded(loaded, from_inputs(items), references=references,
                                  legacy=legacy, status_lists=status_lists, cahra=cahra,
                                  roster=roster, accept=policy, as_of=as_of,
                                  rows_of=spool.rows, shelf=spool.shelf)


def consolidate_loaded(
    loaded: Sequence[Loaded],
    reference_of: ReferenceSource,
    *,
    references: Sequence[SmelterReference] = (),
    legacy: LegacyIds | None = None,
    status_lists: Sequence[StatusList] = (),
    cahra: CahraList | None = None,
    roster: Sequence[str] | None = None,
    accept: AcceptPolicy | None = None,
    as_of: dt.date | None = None,
    rows_of: Callable[[str], tuple[DeclaredSmelter, ...]] | None = None,
    shelf: Shelf | None = None,
) -> Consolidation:
    """The consolidation of inputs already read and validated (what :func:`consolidate`
    does once its workers are done; a campaign store calls it with the submissions it keeps).
    ``reference_of`` gives the Smelter Look-up of an input by its label, for the family whose
    newest file it is when ``references`` gives none. ``rows_of``: where an input's
    Smelter List rows come from, by label, when its result does not carry them (so that a
    caller need not hold every file's rows at once; each is asked for once). ``shelf``:
    where the consolidation keeps what grows with the files (its files and their findings,
    the rows' sources, the rejected rows, products and mines; default: a shelf of its own).
    """
    policy = accept or default_policy()
    shelf = shelf if shelf is not None else Shelf()
    readable = [r for r in loaded if r.decl is not None]
    superseded = superseded_by(readable)
    surveyed = roster_keys(roster) if roster is not None else None
    matchers = matchers_by_family(readable, reference_of, references=references, legacy=legacy,
                                  status_lists=status_lists, cahra=cahra, as_of=as_of)
    # what grows with the files goes on the shelf as it is made; these arrays say where
    files: array[int] = array("q")
    rejected: array[int] = array("q")
    products: array[int] = array("q")
    mines: array[int] = array("q")
    merged: dict[str, tuple[MergedRows, array[int]]] = {}
    sources = SourceTable()
    mines_of: dict[str, list[DeclaredMine]] = defaultdict(list)
    rows_read = 0
    listed: set[tuple[TemplateKind, str]] = set()
    resolved_by_family: dict[str, dict[tuple[str | None, ...], _Resolved]] = defaultdict(dict)
    shared: dict[str, str] = {}
    # in the order of the files' labels (an unreadable file before a readable one of the
    # same label), the order the consolidation lists them in
    for r in sorted(loaded, key=lambda r: (r.label, r.decl is not None)):
        decl = r.decl
        if decl is None:
            files.append(shelf.add(SupplierFile(
                file=r.label, status=FileStatus.UNREADABLE, message=r.message, hint=r.hint,
                findings=r.findings)))
            continue
        key = supplier_key(decl)
        rows = decl.rows or (rows_of(r.label) if rows_of is not None else ())
        severities = Counter(x.severity for x in r.findings)
        errors, warnings = severities[Severity.ERROR], severities[Severity.WARNING]
        status = (FileStatus.SUPERSEDED if r.label in superseded else
                  FileStatus.ERRORS if errors else
                  FileStatus.WARNINGS if warnings else FileStatus.VALID)
        file = SupplierFile(
            file=r.label, sha256=decl.sha256, status=status, supplier=key,
            company=decl.company, unique_id=decl.unique_id, scope=decl.scope_code,
            kind=decl.kind.value, on_roster=on_roster(decl, surveyed),
            version=decl.version, effective_date=decl.effective_date,
            errors=errors, warnings=warnings, smelter_rows=len(rows),
            superseded_by=superseded.get(r.label), findings=r.findings)
        if r.label in superseded:
            files.append(shelf.add(file))
            continue
        matcher = matchers[decl.kind.value]
        file_no = sources.file(key, r.label)
        listed.update((decl.kind, metal_key(row.metal) or "") for row in rows
                      if row.name or row.smelter_id)
        resolved = resolved_by_family[decl.kind.value]
        keys_here: list[str] = []
        key_of_row: dict[int, str] = {}
        currency: list[Finding] = []
        for row in rows:
            rows_read += 1
            # rows of the same content resolve alike (the cell they sit in is no input to
            # the match): each distinct row is resolved once per family, and its result,
            # key and text are shared by every row like it
            content = (row.metal, row.name, row.country, row.smelter_id, row.recycled_scrap)
            hit = resolved.get(content)
            if hit is None:
                result = matcher.match(row)
                same = (_one(shared, content[0]), _one(shared, content[1]),
                        _one(shared, content[2]), _one(shared, content[3]))
                hit = resolved[content] = (result, *smelter_key(result), same,
                                           sources.content(*same, result.grade))
            result, merged_under, reason, (metal, name, country, smelter_id), content_no = hit
            if result.flags:
                currency.extend(currency_findings(result, r.label, row))
            if merged_under is None:
                source = SmelterSource(
                    supplier=key, file=r.label, sheet=row.sheet, cell=row.cell, row=row.row,
                    metal=metal, name=name, country=country, smelter_id=smelter_id,
                    grade=result.grade)
                rejected.append(shelf.add(RejectedRow(source=source, reason=reason,
                                                      detail="; ".join(result.reasons))))
                continue
            group = merged.get(merged_under)
            if group is None:
                group = merged[merged_under] = (MergedRows(), array("I"))
            group[0].add(result, key, r.label, row.row, metal, name, country)
            group[1].append(sources.add(file_no, content_no, row.sheet, row.cell, row.row))
            keys_here.append(merged_under)
            if row.row is not None:
                key_of_row.setdefault(row.row, merged_under)
        for mine in decl.mines:
            text = mine.country
            code = country_code(text) if text and len(text.strip()) > 2 else None
            at = mine.smelter_row
            declared = DeclaredMine(
                supplier=key, file=r.label, sheet=mine.sheet, cell=mine.cell,
                metal=mine.metal, name=mine.name, country=text, country_code=code,
                smelter=mine.smelter, comment=mine.comment,
                smelter_key=None if at is None else key_of_row.get(at))
            mines.append(shelf.add(declared))
            if declared.smelter_key is not None:
                mines_of[declared.smelter_key].append(declared)
        files.append(shelf.add(_with_findings(file, currency)))
        if decl.scope_code == "B":
            for number, name, requester_number, requester_name in decl.products:
                products.append(shelf.add(ProductSmelters(
                    supplier=key, file=r.label, product_number=number, product_name=name,
                    requester_number=requester_number, requester_name=requester_name,
                    smelters=tuple(sorted(set(keys_here))))))
    smelters = tuple(group.smelter(k, sources.view(indexes), mines_of.get(k, ()))
                     for k, (group, indexes) in sorted(merged.items()))
    attributed = sum(len(s.sources) for s in smelters)
    if attributed + len(rejected) != rows_read:  # the invariant: nothing lost
        raise ConsolidationError(f"{rows_read} smelter rows read but {attributed} attributed and "
                             f"{len(rejected)} rejected")
    carried = sum(len(x.sources) for s in smelters for x in s.mines)
    linked = sum(len(v) for v in mines_of.values())
    if carried != linked:  # every mine declared for a smelter is among its mines
        raise ConsolidationError(f"{linked} mines declared for smelters but {carried} carried "
                                 "by them")
    consolidated = [r.decl for r in readable if r.label not in superseded and r.decl]
    answers = tuple(roll_up(consolidated, smelters, roster, listed))
    snapshots = []
    seen: set[str] = set()
    for m in matchers.values():
        for s in m.snapshots:
            if s.sha256 not in seen:
                seen.add(s.sha256)
                snapshots.append(s)
    # the date statuses were read as of, recorded when there were statuses to read
    as_of_used = (as_of or default_as_of()) if status_lists else as_of
    return Consolidation(
        families=tuple(sorted({d.kind.value for d in consolidated})),
        files=shelf.view(files), smelters=smelters, rejected=shelf.view(rejected),
        answers=answers, products=shelf.view(products), snapshots=tuple(snapshots),
        rows_read=rows_read, mines=shelf.view(mines),
        suppliers_surveyed=len(roster_keys(roster)) if roster is not None else None,
        accepted_versions=str(policy), as_of=as_of_used)


def _one(shared: dict[str, str], text: str | None) -> str | None:
    """``text`` as the one object ``shared`` holds for it (a text that many of a
    consolidation's sources repeat is kept once)."""
    return text if text is None else shared.setdefault(text, text)


def _with_findings(file: SupplierFile, extra: list[Finding]) -> SupplierFile:
    """``file`` with the status findings of its rows added, its counts and status to match."""
    if not extra:
        return file
    errors = file.errors + sum(x.severity is Severity.ERROR for x in extra)
    warnings = file.warnings + sum(x.severity is Severity.WARNING for x in extra)
    status = (FileStatus.ERRORS if errors else FileStatus.WARNINGS if warnings
              else FileStatus.VALID)
    return file.model_copy(update={
        "errors": errors, "warnings": warnings, "status": status,
        "findings": tuple(sorted((*file.findings, *extra), key=Finding.sort_key))})
