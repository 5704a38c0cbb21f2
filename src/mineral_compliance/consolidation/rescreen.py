"""A stored consolidation screened again against another CAHRA list, without reading the
supplier files again.

Each consolidated smelter is screened as :func:`consolidate` screens it
(:func:`~mineral_compliance.refdata.cahra_flags`): a smelter the reference resolves by the
facility's country and region (:attr:`ConsolidatedSmelter.region`), one it does not by the
country its rows declare. Its ``cahra`` and ``cahra-region`` flags are replaced, every other
flag kept. The CAHRA question of each family and mineral is rolled up again from the
suppliers' answers the consolidation kept and the new flags, and the consolidation's CAHRA
snapshot is replaced by the new list's. Everything else (files, rows, statuses, mines) is
as stored.
"""

from __future__ import annotations

from collections import Counter

from ..models.consolidation import AnswerRollup, ConsolidatedSmelter, Consolidation, FileStatus
from ..models.declaration import QuestionRole
from ..models.matching import Flag, Snapshot
from ..names import country_code, metal_key
from ..refdata.matching import cahra_flags
from ..refdata.regions import CahraList
from ..templates import latest_layout
from ..templates.layouts import LAYOUTS, Layout
from .rollup import rolled_up_answer

__all__ = ["rescreen"]

_CAHRA_FLAGS = frozenset({Flag.CAHRA, Flag.CAHRA_REGION})


def _smelter(s: ConsolidatedSmelter, cahra: CahraList) -> ConsolidatedSmelter:
    flags, _why = cahra_flags(cahra, s.country, country_code(s.country), s.region)
    kept = {f for f in s.flags if f not in _CAHRA_FLAGS}
    return s.model_copy(update={"flags": tuple(sorted(kept | set(flags)))})


def _layout(c: Consolidation, family: str) -> Layout | None:
    """The newest layout among the family's consolidated files, as :func:`consolidate` rolls
    the family's answers up with."""
    names = {la.name for f in c.files
             if f.kind == family and f.status not in (FileStatus.UNREADABLE,
                                                      FileStatus.SUPERSEDED)
             for la in LAYOUTS
             if la.kind.value == family and (f.version in la.versions
                                             or f.version in la.reissues)}
    return latest_layout(names) if names else None


def _answer(a: AnswerRollup, layout: Layout | None,
            smelters: tuple[ConsolidatedSmelter, ...]) -> AnswerRollup:
    if a.role is not QuestionRole.CAHRA or layout is None or a.rule.startswith("left blank"):
        return a
    question = next((q for q in layout.questions if q.key == a.question), None)
    if question is None:
        return a
    flagged = {f for s in smelters if metal_key(s.metal) == metal_key(a.mineral)
               and not s.needs_review for f in s.flags}
    got = list(Counter(a.counts).elements())
    answer, rule = rolled_up_answer(a.question, layout.roles, got, question.choices_for(0),
                                    flagged, None, (), listed=False)
    return a.model_copy(update={"answer": answer, "rule": rule})


def _snapshots(old: tuple[Snapshot, ...], new: Snapshot) -> tuple[Snapshot, ...]:
    """``old`` with its CAHRA snapshot replaced by ``new``; with none, ``new`` goes where a
    consolidation with the list records it (after the first family's lists)."""
    out = [s for s in old if s.kind != "cahra"]
    at = next((i for i, s in enumerate(old) if s.kind == "cahra"), None)
    if at is None:
        refs = [i for i, s in enumerate(out) if s.kind.startswith("smelter-reference:")]
        at = refs[1] if len(refs) > 1 else len(out)
    else:
        at = sum(1 for s in old[:at] if s.kind != "cahra")
    if any(s.sha256 == new.sha256 for s in out):
        return tuple(out)
    return (*out[:at], new, *out[at:])


def rescreen(c: Consolidation, cahra: CahraList) -> Consolidation:
    """``c`` screened against ``cahra`` (see the module docstring): what :func:`consolidate`
    with that list would give for the same files."""
    smelters = tuple(_smelter(s, cahra) for s in c.smelters)
    layouts = {family: _layout(c, family) for family in c.families}
    answers = tuple(_answer(a, layouts.get(a.family), smelters) for a in c.answers)
    return c.model_copy(update={"smelters": smelters, "answers": answers,
                                "snapshots": _snapshots(c.snapshots, cahra.snapshot)})
