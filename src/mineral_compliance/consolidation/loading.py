"""The worker side of a consolidation: each input read and validated in a worker process,
and what comes back of it.

A worker returns a :class:`Digest` of the declaration, not the declaration: it is small
enough to send between processes by the thousand. A file that cannot be read comes back as
its reason, and a worker that dies costs only its own input.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from .._isolation import WorkerLimits, run_isolated
from ..errors import ConsolidationError, MineralComplianceError
from ..inputs import Input, input_stream
from ..models.declaration import Declaration, TemplateKind
from ..models.findings import Finding, Severity
from ..models.matching import DeclaredSmelter
from ..models.shelved import Rows
from ..names import country_code, metal_key, name_key
from ..refdata.crosscheck import declared_rows
from ..rules import validate
from ..templates.reader import read_with_reference
from ..templates.releases import AcceptPolicy

__all__ = ["Digest", "Job", "Loaded", "MineEntry", "Progress", "load", "load_all"]


@dataclass(frozen=True)
class MineEntry:
    """One mine (or mine country) a declaration names, and the Smelter List row it is
    declared for."""

    metal: str | None
    name: str | None
    country: str | None
    smelter: str | None
    """The smelter's name as the row gives it."""
    sheet: str | None
    cell: str | None
    comment: str | None
    smelter_row: int | None
    """The Smelter List row the mine belongs to: its own row, or for a Mine List row the
    first Smelter List row of the same metal naming the smelter it gives; None when it names
    none."""


@dataclass(frozen=True)
class Digest:
    """What consolidation needs of one declaration, small enough to send between processes
    by the thousand (the full model stays in the worker)."""

    file: str
    sha256: str
    kind: TemplateKind
    version: str
    layout: str
    company: str | None
    unique_id: str | None
    effective_date: dt.date | None
    scope_code: str | None
    minerals: tuple[str, ...]
    answers: dict[str, dict[str, str | None]]
    rows: tuple[DeclaredSmelter, ...]
    products: tuple[tuple[str | None, str | None, str | None, str | None], ...]
    """(number, name, requester's number, requester's name) of each Product List row."""
    mines: tuple[MineEntry, ...] = ()
    """Each mine declaration, in workbook order."""
    contact: tuple[str | None, str | None, str | None] = (None, None, None)
    """The Declaration's contact person: name, e-mail and telephone (personal data: a
    consolidation never writes it; a campaign store keeps it only when asked)."""
    personal: tuple[str, ...] = ()
    """Every personal value of the Declaration (the contact's and the authorizer's name,
    e-mail and telephone), so that a store can erase them wherever a finding quotes one."""

    @classmethod
    def of(cls, decl: Declaration) -> Digest:
        c = decl.company
        return cls(
            file=decl.file, sha256=decl.sha256, kind=decl.template.kind,
            version=decl.template.version, layout=decl.template.layout,
            company=c.name.value, unique_id=c.unique_id.value,
            effective_date=c.effective_date.value, scope_code=c.scope_code,
            minerals=decl.minerals,
            answers={m: {q: qa.answer.value for q, qa in qs.items()}
                     for m, qs in decl.answers.items()},
            rows=tuple(declared_rows(decl)),
            products=tuple((p.number.value, p.name.value, p.requester_number.value,
                            p.requester_name.value) for p in decl.products),
            mines=tuple(_mine_declarations(decl)),
            contact=(c.contact_name.value, c.contact_email.value, c.contact_phone.value),
            personal=tuple(dict.fromkeys(
                v.value.strip() for v in (c.contact_name, c.contact_email, c.contact_phone,
                                          c.authorizer, c.authorizer_email,
                                          c.authorizer_phone)
                if v.value and v.value.strip())))


@dataclass(frozen=True)
class Loaded:
    """What a worker returns for one input: its digest and findings, or why it could not
    be read."""

    label: str
    decl: Digest | None
    reference: str | None
    """The version of the file's own Smelter Look-up (the list itself stays in the worker;
    the parent loads only the one it needs)."""
    message: str | None
    findings: Rows[Finding] = ()
    hint: str | None = None

    @property
    def errors(self) -> int:
        return sum(f.severity is Severity.ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity is Severity.WARNING for f in self.findings)


@dataclass(frozen=True)
class Job:
    """One input and the policy it is validated under (sent to a worker)."""

    item: Input
    accept: AcceptPolicy

    @property
    def label(self) -> str:
        return self.item.label


Progress = Callable[[Iterator[Loaded], int], Iterator[Loaded]]
"""Wraps the stream of results as they come in (given it and the number of inputs), to
show progress."""


def load(job: Job) -> Loaded:
    """Read and validate one template (runs in a worker process)."""
    item = job.item
    try:
        decl, reference = read_with_reference(input_stream(item))
        report = validate(decl, reference=reference, accept=job.accept)
        return Loaded(item.label, Digest.of(decl), reference.version if reference else None,
                      None, report.findings)
    except MineralComplianceError as exc:
        return Loaded(item.label, None, None, str(exc), hint=exc.hint)
    except MemoryError:
        return Loaded(item.label, None, None, f"{item.label}: reading it needed more memory "
                      "than a worker may use per file",
                      hint="ask the supplier to send the template again, saved from Excel")
    except Exception as exc:  # one broken file must not end the run
        return Loaded(item.label, None, None,
                      f"{item.label}: unexpected {type(exc).__name__}: {exc}")


def _died(job: Job, reason: str) -> Loaded:
    item = job.item
    return Loaded(item.label, None, None, f"{item.label}: {reason}",
                  hint="the file was not read; ask the supplier to save it again from Excel, "
                  "and report it if it is a real template")


def _failed(job: Job, exc: BaseException) -> Loaded:
    item = job.item
    return Loaded(item.label, None, None,
                  f"{item.label}: the worker could not read it ({type(exc).__name__}: {exc})")


_RECYCLED_WORDS = ("recycl", "scrap")
_SPLIT = re.compile(r"[;,/\n]+")


def _recycled(text: str | None) -> bool:
    return any(w in (text or "").casefold() for w in _RECYCLED_WORDS)


def _mine_declarations(decl: Declaration) -> Iterator[MineEntry]:
    """Mines (names and countries) declared in Smelter List columns N/O and the Mine List.

    Recycled or scrap entries are not mines: a country saying so declares none, unless the
    row also names mines (then kept with the country as written). A Mine List row belongs to
    the first Smelter List row of its metal whose name is the smelter it names (the template
    offers those names in its drop-down)."""
    for s in decl.smelters:
        countries, names = s.mine_countries.value, s.mine_names.value
        if not countries and not names:
            continue
        where = s.mine_countries.provenance if countries else s.mine_names.provenance
        if not countries:
            if not _recycled(names):
                yield MineEntry(s.metal.value, names, None, s.name, where.sheet, where.cell,
                                s.comments.value, s.row)
            continue
        parts = [c.strip() for c in _SPLIT.split(countries) if c.strip()]
        # a list of country names is split; free text ("see the RCOI list") and two-letter
        # abbreviations, which suppliers use for other things than ISO codes, stay one entry
        if not all(len(p) > 2 and country_code(p) for p in parts):
            parts = [countries.strip()]
        for country in parts:
            if _recycled(country) and (not names or _recycled(names)):
                continue
            yield MineEntry(s.metal.value, names, country, s.name, where.sheet, where.cell,
                            s.comments.value, s.row)
    for m in decl.mines:  # the Mine List's country is a drop-down: any spelling resolves
        if m.mine_name.is_blank and m.country.is_blank:
            continue
        where = m.mine_name.provenance if not m.mine_name.is_blank else m.country.provenance
        yield MineEntry(m.metal.value, m.mine_name.value, m.country.value,
                        m.smelter_name.value, where.sheet, where.cell, m.comments.value,
                        _smelter_row(decl, m.metal.value, m.smelter_name.value))


def _smelter_row(decl: Declaration, metal: str | None, smelter: str | None) -> int | None:
    """The first Smelter List row of ``metal`` (any, when blank) named ``smelter``."""
    key = name_key(smelter or "")
    if not key:
        return None
    for s in decl.smelters:
        if metal_key(metal) and metal_key(s.value_of("metal")) != metal_key(metal):
            continue
        if key in {name_key(n or "") for n in (s.name, s.value_of("lookup_name"),
                                                s.standard_name)}:
            return s.row
    return None


def load_all(items: Sequence[Input], executor: Executor | None, progress: Progress | None,
             limits: WorkerLimits | None, accept: AcceptPolicy,
             keep: Callable[[Loaded], Loaded] | None = None) -> list[Loaded]:
    """Every input read in the workers of ``executor`` (default: a process pool within
    ``limits``), in input order; raises if one is not accounted for. Workers are sent each
    file's absolute path (its label stays as it was named): a worker of a cluster does not
    run in this process's folder. ``keep``: what is kept of each result, applied as it
    arrives (to set its rows aside, say)."""
    slots: list[Loaded | None] = [None] * len(items)
    jobs = [Job(dataclasses.replace(item, path=str(Path(item.path).absolute())), accept)
            for item in items]

    def results() -> Iterator[Loaded]:
        for i, loaded in run_isolated(load, jobs, on_death=_died, on_error=_failed,
                                      limits=limits, executor=executor):
            slots[i] = loaded if keep is None else keep(loaded)
            yield loaded

    mapped: Iterator[Loaded] = results()
    if progress is not None:
        mapped = progress(mapped, len(items))
    for _ in mapped:
        pass
    missing = [items[i].label for i, r in enumerate(slots) if r is None]
    if missing:  # the invariant: every input accounted for
        raise ConsolidationError(f"no result for {len(missing)} inputs: {missing[:3]}")
    return [r for r in slots if r is not None]
