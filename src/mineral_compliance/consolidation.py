"""Many supplier templates in, the company's own view out.

Rules, in the order they apply:

* **Inputs.** Files, folders (searched recursively), glob patterns and zip archives (their
  .xlsx members). Every input is accounted for: read, unreadable (with the reason) or
  superseded.
* **Suppliers.** A supplier is known by its unique ID when the template gives one, else by its
  company name normalised (case, accents, punctuation and legal forms set aside). When one
  supplier sent several files of one template family, the one with the latest effective date
  is consolidated (ties: the later template version, then the file name) and the others are
  listed as superseded by it.
* **Smelters.** Each Smelter List row is resolved (:class:`~.refdata.SmelterMatcher`) against
  the reference list of its family (the newest template of that family among the inputs, or
  one given). Rows are merged by smelter ID, or, for rows the reference does not resolve, by
  metal, normalised name and country; such smelters are marked ``needs_review``. The name and
  country shown are the reference's; for unresolved smelters, the spelling most rows use (ties:
  the first file in path order). Placeholder rows, rows with nothing to resolve, rows whose ID
  belongs to another metal and conflicting rows are rejected with the reason.
* **Nothing lost.** Every row read appears once, in a smelter's sources or among the rejected
  rows; :func:`consolidate` checks this on every run and raises if it does not hold.
* **Answers.** Per family, mineral and question, from the consolidated suppliers that use the
  mineral (question 1 "Yes"): "used" questions are "Yes" if any supplier says so or lists a
  smelter of the mineral (whatever it answered), and when question 1 rolls up to "No" the
  questions after the "used" ones are left blank; covered
  countries and CAHRA sourcing are "Yes" if any supplier says so or any consolidated smelter
  of the metal is flagged, else "Unknown" if any answer is not "No", else "No"; 100 %
  recycled, all smelters identified and all information reported are "Yes" only when every
  supplier says so; the response rate comes from the supplier roster when one is given
  (suppliers on the roster, by unique ID or normalised name, with a consolidated file, over
  the roster), otherwise it is left to the user.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from ._io import FileRefusedError, read_capped
from ._isolation import WorkerLimits, run_isolated
from ._words import counted
from .errors import ConsolidationError, MineralComplianceError
from .inputs import Input, close_archives, collect_inputs, input_stream
from .models.consolidation import (
    AnswerRollup,
    Comparison,
    ConsolidatedSmelter,
    Consolidation,
    DeclaredMine,
    FileStatus,
    ProductSmelters,
    RejectedRow,
    SmelterChange,
    SmelterSource,
    SupplierFile,
)
from .models.declaration import Declaration, TemplateKind
from .models.declaration import QuestionAnswer as QuestionAnswerModel
from .models.declaration import SmelterRow as SmelterRowModel
from .models.findings import Finding, Severity
from .models.matching import (
    ConflictKind,
    DeclaredSmelter,
    Flag,
    MatchGrade,
    SmelterMatch,
    StatusKind,
)
from .models.reference import SmelterReference
from .names import country_code, metal_key, name_key
from .refdata.crosscheck import declared_rows
from .refdata.legacy import LegacyIds
from .refdata.matching import SmelterMatcher
from .refdata.regions import CahraList
from .refdata.status import StatusList
from .rules import validate
from .templates import latest_layout, layout_named, read_template, reference_from_template
from .templates.detect import version_key
from .templates.layouts.base import RESPONSE_RATE, QuestionRoles
from .templates.reader import read_with_reference
from .templates.releases import AcceptPolicy, default_policy

__all__ = [
    "collect_inputs",
    "company_declaration",
    "compare",
    "consolidate",
    "load_consolidation",
    "product_subset",
]

MAX_CONSOLIDATION_BYTES = 2 * 1024**3
"""The largest ``consolidation.json`` read back (about 200,000 supplier files' worth)."""


@dataclass(frozen=True)
class _Digest:
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
    mines: tuple[tuple[str | None, str | None, str | None, str | None, str | None,
                       str | None], ...] = ()
    """(metal, mine name, country, smelter, sheet, cell) of each mine declaration."""

    @classmethod
    def of(cls, decl: Declaration) -> _Digest:
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
            mines=tuple(_mine_declarations(decl)))


@dataclass(frozen=True)
class _Loaded:
    label: str
    decl: _Digest | None
    reference: str | None
    """The version of the file's own Smelter Look-up (the list itself stays in the worker;
    the parent loads only the one it needs)."""
    message: str | None
    findings: tuple[Finding, ...] = ()
    hint: str | None = None

    @property
    def errors(self) -> int:
        return sum(f.severity is Severity.ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity is Severity.WARNING for f in self.findings)


@dataclass(frozen=True)
class _Job:
    """One input and the policy it is validated under (sent to a worker)."""

    item: Input
    accept: AcceptPolicy

    @property
    def label(self) -> str:
        return self.item.label


def _load(job: _Job) -> _Loaded:
    """Read and validate one template (runs in a worker process)."""
    item = job.item
    try:
        decl, reference = read_with_reference(input_stream(item))
        report = validate(decl, reference=reference, accept=job.accept)
        return _Loaded(item.label, _Digest.of(decl), reference.version if reference else None,
                       None, report.findings)
    except MineralComplianceError as exc:
        return _Loaded(item.label, None, None, str(exc), hint=exc.hint)
    except MemoryError:
        return _Loaded(item.label, None, None, f"{item.label}: reading it needed more memory "
                       "than a worker may use per file",
                       hint="ask the supplier to send the template again, saved from Excel")
    except Exception as exc:  # one broken file must not end the run
        return _Loaded(item.label, None, None,
                       f"{item.label}: unexpected {type(exc).__name__}: {exc}")


def _died(job: _Job, reason: str) -> _Loaded:
    item = job.item
    return _Loaded(item.label, None, None, f"{item.label}: {reason}",
                   hint="the file was not read; ask the supplier to save it again from Excel, "
                   "and report it if it is a real template")


def _failed(job: _Job, exc: BaseException) -> _Loaded:
    item = job.item
    return _Loaded(item.label, None, None,
                   f"{item.label}: the worker could not read it ({type(exc).__name__}: {exc})")


_RECYCLED_WORDS = ("recycl", "scrap")
_SPLIT = re.compile(r"[;,/\n]+")


_MineTuple = tuple[str | None, str | None, str | None, str | None, str | None, str | None]


def _mine_declarations(decl: Declaration) -> Iterator[_MineTuple]:
    """Mine countries (and names) declared in Smelter List columns and the Mine List.
    Recycled or scrap entries are not mines."""
    for s in decl.smelters:
        countries = s.mine_countries.value
        if not countries:
            continue
        names = s.mine_names.value
        parts = [c.strip() for c in _SPLIT.split(countries) if c.strip()]
        # a list of country names is split; free text ("see the RCOI list") and two-letter
        # abbreviations, which suppliers use for other things than ISO codes, stay one entry
        if not all(len(p) > 2 and country_code(p) for p in parts):
            parts = [countries.strip()]
        for country in parts:
            if any(w in country.casefold() for w in _RECYCLED_WORDS):
                continue
            where = s.mine_countries.provenance
            yield (s.metal.value, names, country, s.name, where.sheet, where.cell)
    for m in decl.mines:  # the Mine List's country is a drop-down: any spelling resolves
        if m.mine_name.is_blank and m.country.is_blank:
            continue
        where = m.mine_name.provenance if not m.mine_name.is_blank else m.country.provenance
        yield (m.metal.value, m.mine_name.value, m.country.value, m.smelter_name.value,
               where.sheet, where.cell)


def _reference_of(item: Input) -> SmelterReference:
    return reference_from_template(input_stream(item))


def _supplier_key(decl: _Digest) -> str:
    uid = decl.unique_id
    if uid and uid.strip():
        return f"id:{uid.strip().casefold()}"
    name = decl.company
    return f"name:{name_key(name)}" if name and name_key(name) else f"file:{decl.file}"


def _load_all(items: Sequence[Input], executor: Executor | None,
              progress: Callable[[Iterator[_Loaded], int], Iterator[_Loaded]] | None,
              limits: WorkerLimits | None, accept: AcceptPolicy) -> list[_Loaded]:
    slots: list[_Loaded | None] = [None] * len(items)
    jobs = [_Job(item, accept) for item in items]

    def results() -> Iterator[_Loaded]:
        for i, loaded in run_isolated(_load, jobs, on_death=_died, on_error=_failed,
                                      limits=limits, executor=executor):
            slots[i] = loaded
            yield loaded

    mapped: Iterator[_Loaded] = results()
    if progress is not None:
        mapped = progress(mapped, len(items))
    for _ in mapped:
        pass
    missing = [items[i].label for i, r in enumerate(slots) if r is None]
    if missing:  # the invariant: every input accounted for
        raise ConsolidationError(f"no result for {len(missing)} inputs: {missing[:3]}")
    return [r for r in slots if r is not None]


def consolidate(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    references: Sequence[SmelterReference] = (),
    legacy: LegacyIds | None = None,
    status_lists: Sequence[StatusList] = (),
    cahra: CahraList | None = None,
    roster: Sequence[str] | None = None,
    executor: Executor | None = None,
    progress: Callable[[Iterator[_Loaded], int], Iterator[_Loaded]] | None = None,
    exclude: Iterable[str | Path] = (),
    limits: WorkerLimits | None = None,
    accept: AcceptPolicy | None = None,
) -> Consolidation:
    """Consolidate supplier templates (see the module documentation for every rule).

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
    ``template-version-not-accepted``, and the result records the policy."""
    policy = accept or default_policy()
    items = collect_inputs(inputs, exclude=exclude)
    try:
        loaded = _load_all(items, executor, progress, limits, policy)
    finally:
        close_archives()
    files: list[SupplierFile] = []
    readable: list[_Loaded] = []
    roster_keys = _roster_keys(roster) if roster is not None else None
    for r in loaded:
        if r.decl is None:
            files.append(SupplierFile(file=r.label, status=FileStatus.UNREADABLE,
                                      message=r.message, hint=r.hint,
                                      findings=r.findings))
        else:
            readable.append(r)
    # suppliers: latest declaration per supplier and family
    groups: dict[tuple[str, str], list[_Loaded]] = defaultdict(list)
    for r in readable:
        assert r.decl is not None
        groups[(_supplier_key(r.decl), r.decl.kind.value)].append(r)
    superseded: dict[str, str] = {}
    for members in groups.values():
        ranked = sorted(members, key=lambda r: (
            r.decl.effective_date.isoformat() if r.decl and r.decl.effective_date else "",
            version_key(r.decl.version) if r.decl else (0,), r.label), reverse=True)
        for other in ranked[1:]:
            superseded[other.label] = ranked[0].label
    # reference per family: the given one, else the newest look-up among the inputs
    refs: dict[str, SmelterReference] = {r.kind.value: r for r in references}
    newest: dict[str, _Loaded] = {}
    for r in readable:
        if r.reference is None or r.decl is None:
            continue
        fam = r.decl.kind.value
        best = newest.get(fam)
        if best is None or version_key(r.reference) > version_key(best.reference or ""):
            newest[fam] = r
    for fam, r in newest.items():
        if fam not in refs:
            # changed or removed since its worker read it: the family is matched without a
            # look-up (the snapshots say so, its rows go to review) and the run goes on
            with contextlib.suppress(MineralComplianceError):
                refs[fam] = _reference_of(next(i for i in items if i.label == r.label))
    matchers: dict[str, SmelterMatcher] = {}
    for r in readable:
        assert r.decl is not None
        fam = r.decl.kind.value
        if fam not in matchers:
            ref = refs.get(fam) or SmelterReference(
                kind=r.decl.kind, version="-", file="(none)", sha256="-",
                sheet="-", entries=())
            matchers[fam] = SmelterMatcher(ref, legacy=legacy, status_lists=status_lists,
                                           cahra=cahra)
    smelter_rows: dict[str, list[tuple[SmelterSource, SmelterMatch]]] = defaultdict(list)
    rejected: list[RejectedRow] = []
    rows_read = 0
    products: list[ProductSmelters] = []
    mines: list[DeclaredMine] = []
    for r in sorted(readable, key=lambda r: r.label):
        decl = r.decl
        assert decl is not None
        key = _supplier_key(decl)
        rows = decl.rows
        status = (FileStatus.SUPERSEDED if r.label in superseded else
                  FileStatus.ERRORS if r.errors else
                  FileStatus.WARNINGS if r.warnings else FileStatus.VALID)
        files.append(SupplierFile(
            file=r.label, sha256=decl.sha256, status=status, supplier=key,
            company=decl.company, unique_id=decl.unique_id, scope=decl.scope_code,
            kind=decl.kind.value, on_roster=_on_roster(decl, roster_keys),
            version=decl.version, effective_date=decl.effective_date,
            errors=r.errors, warnings=r.warnings, smelter_rows=len(rows),
            superseded_by=superseded.get(r.label), findings=r.findings))
        if r.label in superseded:
            continue
        for metal, name, country, smelter, sheet, cell in decl.mines:
            code = country_code(country) if country and len(country.strip()) > 2 else None
            mines.append(DeclaredMine(
                supplier=key, file=r.label, sheet=sheet, cell=cell, metal=metal, name=name,
                country=country, country_code=code, smelter=smelter))
        matcher = matchers[decl.kind.value]
        keys_here: list[str] = []
        for row in rows:
            rows_read += 1
            result = matcher.match(row)
            source = SmelterSource(
                supplier=key, file=r.label, sheet=row.sheet, cell=row.cell, row=row.row,
                metal=row.metal, name=row.name, country=row.country,
                smelter_id=row.smelter_id, grade=result.grade)
            smelter_key, reason = _smelter_key(result)
            if smelter_key is None:
                rejected.append(RejectedRow(source=source, reason=reason,
                                            detail="; ".join(result.reasons)))
                continue
            smelter_rows[smelter_key].append((source, result))
            keys_here.append(smelter_key)
        if decl.scope_code == "B":
            for number, name, requester_number, requester_name in decl.products:
                products.append(ProductSmelters(
                    supplier=key, file=r.label, product_number=number, product_name=name,
                    requester_number=requester_number, requester_name=requester_name,
                    smelters=tuple(sorted(set(keys_here)))))
    smelters = tuple(_merge(k, v) for k, v in sorted(smelter_rows.items()))
    attributed = sum(len(s.sources) for s in smelters)
    if attributed + len(rejected) != rows_read:  # the invariant: nothing lost
        raise ConsolidationError(f"{rows_read} smelter rows read but {attributed} attributed and "
                             f"{len(rejected)} rejected")
    consolidated = [r.decl for r in readable if r.label not in superseded and r.decl]
    answers = tuple(_rollup(consolidated, smelters, roster))
    snapshots = []
    seen: set[str] = set()
    for m in matchers.values():
        for s in m.snapshots:
            if s.sha256 not in seen:
                seen.add(s.sha256)
                snapshots.append(s)
    files.sort(key=lambda f: f.file)
    return Consolidation(
        families=tuple(sorted({d.kind.value for d in consolidated})),
        files=tuple(files), smelters=smelters, rejected=tuple(rejected), answers=answers,
        products=tuple(products), snapshots=tuple(snapshots), rows_read=rows_read,
        mines=tuple(mines),
        suppliers_surveyed=len(_roster_keys(roster)) if roster is not None else None,
        accepted_versions=str(policy))


def _smelter_key(result: SmelterMatch) -> tuple[str | None, str]:
    d = result.declared
    if result.accepted and result.smelter_id:
        return result.smelter_id, ""
    if result.grade is MatchGrade.PLACEHOLDER:
        return None, "placeholder"
    if result.grade is MatchGrade.CONFLICTING:
        wrong_metal = result.conflict is ConflictKind.WRONG_METAL
        return None, "wrong-metal" if wrong_metal else "conflicting"
    key = _name_key(d.metal, d.name, d.country)
    return (key, "") if key else (None, "unresolvable")


def _name_key(metal: str | None, name: str | None, country: str | None) -> str | None:
    """The key of a smelter no reference list resolved: metal, normalised name, country."""
    mk, nk = metal_key(metal), name_key(name or "")
    return f"name:{mk}|{nk}|{country_code(country) or '-'}" if mk and nk else None


def _merge(key: str, rows: list[tuple[SmelterSource, SmelterMatch]]) -> ConsolidatedSmelter:
    order = {g: i for i, g in enumerate(MatchGrade)}
    best_source, best = min(rows, key=lambda sr: (order[sr[1].grade], sr[0].file,
                                                  sr[0].row or 0))
    statuses = [r.status for _, r in rows if r.status is not StatusKind.UNKNOWN]
    flags = sorted({f for _, r in rows for f in r.flags if f is not Flag.RECYCLED_CLAIM})
    if best.accepted and best.smelter_id:
        name, country = best.standard_name or "", best.country
        representative = f"reference list ({best.smelter_id})"
    else:
        spellings = Counter((s.name or "", s.country) for s, _ in rows)
        # most_common keeps first-seen order among equal counts: ties go to the first file
        (name, country), count = spellings.most_common(1)[0]
        representative = (f"the spelling {count} of {counted(len(rows), 'row')} "
                          f"{'uses' if count == 1 else 'use'}")
    return ConsolidatedSmelter(
        key=key, metal=best.metal or best_source.metal or "", smelter_id=best.smelter_id,
        name=name, country=country, grade=best.grade, needs_review=not best.accepted,
        status=statuses[0] if statuses else StatusKind.UNKNOWN, flags=tuple(flags),
        suppliers=tuple(sorted({s.supplier for s, _ in rows})),
        sources=tuple(s for s, _ in rows), representative=representative,
        candidates=best.candidates)


def _bucket(rate: float) -> str:
    if rate >= 1:
        return RESPONSE_RATE[0]
    for threshold, literal in ((0.9, RESPONSE_RATE[1]), (0.75, RESPONSE_RATE[2]),
                               (0.5, RESPONSE_RATE[3])):
        if rate > threshold:
            return literal
    return RESPONSE_RATE[4] if rate > 0 else RESPONSE_RATE[5]


def _rollup(decls: Sequence[_Digest], smelters: Sequence[ConsolidatedSmelter],
            roster: Sequence[str] | None) -> Iterator[AnswerRollup]:
    by_family: dict[TemplateKind, list[_Digest]] = defaultdict(list)
    for d in decls:
        by_family[d.kind].append(d)
    for family, members in sorted(by_family.items()):
        layout = latest_layout(d.layout for d in members)
        roles = layout.roles
        minerals = sorted({m for d in members for m in d.minerals})
        for mineral in minerals:
            flagged = {f for s in smelters if metal_key(s.metal) == metal_key(mineral)
                       and not s.needs_review for f in s.flags}
            listed = any(metal_key(row.metal) == metal_key(mineral)
                         and (row.name or row.smelter_id) for d in members for row in d.rows)
            unused = False
            for q in layout.questions:
                got = _answers(members, roles, mineral, q.key,
                               only_users=q.key not in roles.used)
                counts = dict(sorted(Counter(got).items()))
                if unused and q.key not in roles.used:
                    answer: str | None = None
                    rule = f"left blank: no supplier uses {mineral}"
                else:
                    answer, rule = _rule(q.key, roles, got, q.choices_for(0), flagged, roster,
                                         members, listed=listed)
                if q.key == roles.used[0]:
                    unused = answer == "No"
                yield AnswerRollup(family=family.value, mineral=mineral, question=q.key,
                                   role=roles.role_of(q.key), answer=answer, rule=rule,
                                   counts=counts)


def _answers(members: Sequence[_Digest], roles: QuestionRoles, mineral: str, q: str, *,
             only_users: bool) -> list[str]:
    """Each consolidated supplier's answer ('' for none); with ``only_users``, only from the
    suppliers that say they use the mineral."""
    out = []
    for d in members:
        if mineral not in d.minerals:
            continue
        qa = d.answers.get(mineral, {})
        if only_users and qa.get(roles.used[0]) != "Yes":
            continue
        out.append(qa.get(q) or "")
    return out


def _rule(key: str, roles: QuestionRoles, got: list[str], choices: tuple[str, ...],
          flagged: set[Flag], roster: Sequence[str] | None,
          members: Sequence[_Digest], *, listed: bool) -> tuple[str | None, str]:

    def literal(text: str) -> str | None:
        return text if text in choices else None

    if key in roles.used:
        if "Yes" in got:
            return "Yes", "Yes if any supplier says Yes"
        if listed:
            return "Yes", "Yes: a supplier lists a smelter for it, whatever its answer"
        if got and all(a == "No" for a in got):
            return "No", "No when every supplier says No"
        return literal("Unknown"), "Unknown otherwise (left blank where not a choice)"
    if key in (roles.covered_countries, roles.cahra):
        flag = Flag.COVERED_COUNTRY if key == roles.covered_countries else Flag.CAHRA
        if "Yes" in got or any(a.startswith(("DRC", "India")) for a in got) or flag in flagged:
            return "Yes", f"Yes if any supplier says so or any smelter is flagged {flag}"
        if got and all(a == "No" for a in got):
            return "No", "No when every supplier says No and no smelter is flagged"
        return literal("Unknown"), "Unknown when any supplier does not say No"
    if key in (roles.recycled, roles.identified, roles.reported):
        if got and all(a == "Yes" for a in got):
            return "Yes", "Yes only when every supplier says Yes"
        if "No" in got or "Unknown" not in choices:
            return "No", "No when any supplier does not say Yes"
        return "Unknown", "Unknown when answers are missing or unknown"
    if key == roles.response_rate:
        if roster is None:
            return None, "left to the user (no supplier roster given)"
        surveyed = _roster_keys(roster)
        responded = {k for d in members for k in _roster_matches(d, surveyed)}
        rate = len(responded) / len(surveyed) if surveyed else 0.0
        return _bucket(rate), (f"{len(responded)} of {len(surveyed)} suppliers on the roster "
                               "responded")
    return None, "no roll-up rule for this question: left to the user"


def _roster_key(text: str) -> str:
    """A roster entry or a supplier's name or ID as compared: the normalised company name
    (legal forms, case, accents and punctuation aside), else the text itself."""
    return name_key(text) or text.strip().casefold()


def _roster_matches(decl: _Digest, surveyed: set[str]) -> set[str]:
    """The roster entries a declaration answers for: its unique ID's and its company name's."""
    keys = {_roster_key(text) for text in (decl.unique_id, decl.company) if text}
    return keys & surveyed


def _on_roster(decl: _Digest, surveyed: set[str] | None) -> bool | None:
    return None if surveyed is None else bool(_roster_matches(decl, surveyed))


def _roster_keys(roster: Sequence[str]) -> set[str]:
    """The suppliers a roster names, each once however it is spelt."""
    return {_roster_key(r) for r in roster if r.strip()}


def load_consolidation(path: str | Path) -> Consolidation:
    """A consolidation written by :func:`~.outputs.write_consolidation` (its folder or its
    ``consolidation.json``)."""
    import json

    from .errors import ReferenceDataError

    target = Path(path)
    if target.is_dir():
        target = target / "consolidation.json"
    try:
        data = json.loads(read_capped(target, MAX_CONSOLIDATION_BYTES).decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("the file holds no consolidation object")
        data.pop("summary", None)
        return Consolidation.model_validate(data)
    except (FileRefusedError, ValueError, RecursionError) as exc:
        # ValueError covers bad UTF-8, bad JSON and pydantic's validation errors
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ReferenceDataError(f"no readable consolidation here ({reason})", path=target,
                                 hint="point at the output folder of an earlier run") from exc


def compare(previous: Consolidation, current: Consolidation) -> Comparison:
    """Smelters added, removed or whose status changed, and suppliers new or missing.

    A smelter known by name only in one run and resolved to an ID in the other (a newer
    reference list, a supplier adding the ID) is the same smelter, listed once as
    ``identified`` (or ``unidentified`` the other way round), not as removed and added."""
    before = {s.key: s for s in previous.smelters}
    after = {s.key: s for s in current.smelters}
    added, removed = after.keys() - before.keys(), before.keys() - after.keys()
    identified = _spelled_by(added, removed, after)  # new ID key -> last run's name key
    removed -= set(identified.values())
    added -= identified.keys()
    unidentified = _spelled_by(removed, added, before)  # last run's ID key -> new name key
    added -= set(unidentified.values())
    removed -= unidentified.keys()
    pairs = [(was, k, "identified") for k, was in identified.items()]
    pairs += [(k, now, "unidentified") for k, now in unidentified.items()]
    changes = [SmelterChange(key=k, metal=after[k].metal, name=after[k].name, change="added",
                             after=after[k].status.value)
               for k in sorted(added)]
    changes += [SmelterChange(key=k, metal=before[k].metal, name=before[k].name,
                              change="removed", before=before[k].status.value)
                for k in sorted(removed)]
    changes += [SmelterChange(key=k, previous_key=was, metal=after[k].metal,
                              name=after[k].name, change=change,
                              before=before[was].status.value, after=after[k].status.value)
                for was, k, change in sorted(pairs, key=lambda p: p[1])]
    changes += [SmelterChange(key=k, metal=after[k].metal, name=after[k].name,
                              change="status-changed", before=before[k].status.value,
                              after=after[k].status.value)
                for k in sorted(before.keys() & after.keys())
                if before[k].status is not after[k].status]

    def suppliers(c: Consolidation) -> set[str]:
        return {f.supplier for f in c.files
                if f.supplier and f.status is not FileStatus.UNREADABLE}

    old, new = suppliers(previous), suppliers(current)
    return Comparison(smelters=tuple(changes), suppliers_new=tuple(sorted(new - old)),
                      suppliers_missing=tuple(sorted(old - new)))


def _spelled_by(keys: Iterable[str], pool: set[str],
                smelters: dict[str, ConsolidatedSmelter]) -> dict[str, str]:
    """Each ID key among ``keys`` -> the name-only key in ``pool`` that one of its rows spells
    (metal, normalised name and country alike), each name-only key paired at most once."""
    found: dict[str, str] = {}
    for k in sorted(keys):
        if k.startswith("name:"):
            continue
        spelled = {_name_key(src.metal or smelters[k].metal, src.name, src.country)
                   for src in smelters[k].sources}
        match = min((n for n in pool & spelled if n and n not in found.values()
                     and n.startswith("name:")), default=None)
        if match is not None:
            found[k] = match
    return found


def company_declaration(
    result: Consolidation,
    *,
    template: str | Path,
    company: dict[str, str] | None = None,
) -> Declaration:
    """The company's own declaration for the family of ``template`` (a blank RMI workbook):
    the rolled-up answers, and every consolidated smelter of the family's minerals (resolved
    ones by their look-up name, the others as "Smelter not listed" with name and country).
    ``company`` fills the company block (field name -> text, e.g. ``{"name": ...}``); the
    rest is left for the company to complete in the workbook."""
    from .models.values import Origin, Provenance, Status, TextValue

    blank = read_template(template)
    layout = layout_named(blank.template.layout)
    family = blank.template.kind.value

    def text(value: str | None, where: Provenance) -> TextValue:
        if not value:
            return TextValue(provenance=where)
        return TextValue(value=value, raw=value, origin=Origin.INPUT, status=Status.OK,
                         provenance=where)

    rollup = {(a.mineral, a.question): a.answer for a in result.answers if a.family == family}
    in_family = {m for m, _ in rollup}
    minerals = blank.minerals if layout.minerals.fixed else tuple(
        sorted(in_family, key=lambda n: (n.casefold(), n))[:len(layout.minerals.selector_cells)])
    answers = {}
    for mineral in minerals:
        qas = {}
        for q in layout.questions:
            old = blank.answers.get(mineral, {}).get(q.key)
            slot = minerals.index(mineral)
            where = Provenance(file=blank.file, sheet=layout.declaration_sheet,
                               cell=f"{q.answer_col}{q.rows[slot]}")
            base = old or _blank_answer(q.key, where, q.choices_for(slot))
            qas[q.key] = base.model_copy(update={
                "answer": text(rollup.get((mineral, q.key)), where)})
        answers[mineral] = qas
    sheet = layout.smelter_list.sheet
    keys = {metal_key(m) for m in minerals}
    rows = []
    for i, s in enumerate(x for x in result.smelters if metal_key(x.metal) in keys):
        row = layout.smelter_list.first_row + i

        def at(col: str | None, row: int = row) -> Provenance:
            return Provenance(file=blank.file, sheet=sheet,
                              cell=f"{col}{row}" if col else None)

        cols = layout.smelter_list.columns
        resolved = s.smelter_id is not None and not s.needs_review
        fields = {f: TextValue(provenance=at(cols.get(f))) for f in (
            "smelter_id_input", "metal", "lookup_name", "name_input", "country", "smelter_id",
            "id_source", "street", "city", "state_province", "contact_name", "contact_email",
            "next_steps", "mine_names", "mine_countries", "recycled_scrap", "comments")}
        fields["metal"] = text(s.metal, at(cols["metal"]))
        if resolved and "smelter_id_input" in cols:
            fields["smelter_id_input"] = text(s.smelter_id, at(cols["smelter_id_input"]))
        if "lookup_name" in cols:
            fields["lookup_name"] = text(s.name if resolved else layout.not_listed,
                                         at(cols["lookup_name"]))
        if not resolved or "lookup_name" not in cols:
            fields["name_input"] = text(s.name, at(cols["name_input"]))
            fields["country"] = text(s.country, at(cols["country"]))
        rows.append(SmelterRowModel(row=row, **fields))
    updates: dict[str, object] = {
        "answers": answers, "smelters": tuple(rows), "products": (), "mines": ()}
    if not layout.minerals.fixed:
        cells = layout.minerals.selector_cells
        updates["minerals"] = minerals
        updates["minerals_selected"] = tuple(
            text(m, Provenance(file=blank.file, sheet=layout.declaration_sheet, cell=cells[i]))
            for i, m in enumerate(minerals))
    if company:
        values = {}
        for fld, value in company.items():
            ref = layout.company_cells.get(fld)
            if ref is None or fld == "effective_date":
                continue
            values[fld] = text(value, Provenance(file=blank.file,
                                                 sheet=layout.declaration_sheet, cell=ref))
        updates["company"] = blank.company.model_copy(update=values)
    return blank.model_copy(update=updates)


def _blank_answer(key: str, where: object, choices: tuple[str, ...]) -> QuestionAnswerModel:
    from .models.values import Provenance, TextValue

    assert isinstance(where, Provenance)
    return QuestionAnswerModel(question=key, answer=TextValue(provenance=where),
                               comment=TextValue(provenance=where), choices=choices)


def product_subset(result: Consolidation, numbers: Iterable[str]) -> Consolidation:
    """The part of a consolidation that concerns some products: the product-scope (B)
    declarations listing one of ``numbers`` (as the supplier's product number or the
    requester's), their smelters, rejected rows and mines. The row invariant holds for the
    subset. The answer roll-up is not carried over: it speaks for every consolidated
    supplier, not for these products."""
    wanted = {n.strip().casefold() for n in numbers if n.strip()}

    def hit(p: ProductSmelters) -> bool:
        return any((v or "").strip().casefold() in wanted
                   for v in (p.product_number, p.requester_number))

    files = {p.file for p in result.products if hit(p)}
    smelters = []
    for s in result.smelters:
        sources = tuple(x for x in s.sources if x.file in files)
        if sources:
            smelters.append(s.model_copy(update={
                "sources": sources, "suppliers": tuple(sorted({x.supplier for x in sources}))}))
    rejected = tuple(r for r in result.rejected if r.source.file in files)
    kept = tuple(f for f in result.files if f.file in files)
    return result.model_copy(update={
        "files": kept, "families": tuple(sorted({f.kind for f in kept if f.kind})),
        "answers": (), "mines": tuple(m for m in result.mines if m.file in files),
        "smelters": tuple(smelters), "rejected": rejected,
        "products": tuple(p for p in result.products if hit(p)),
        "rows_read": sum(len(s.sources) for s in smelters) + len(rejected)})
