"""Resolve declared smelters against a reference list, step by step, saying how sure and why.

The cascade, first hit wins:

1. **exact-id**: the row's smelter ID (``CID002030``; ``cid 2030`` is read the same) is in
   the reference list, and the reference gives it the row's metal. An ID of another metal, or
   an ID whose facility differs from the one the row's name identifies exactly, is
   **conflicting**.
2. **legacy-id**: an old-style ID (``1DEU001``) that the legacy translation table maps to a
   reference ID, checked the same way.
3. **alias**: the typed name is, ignoring case and surrounding spaces, one of the reference
   list's names (standard name or alias) for a facility of that metal.
4. **normalised**: the names are equal once accents, punctuation, legal forms (Co., Ltd.,
   GmbH, S.A., PT, Tbk, ...) and spelling variants are set aside (word order too, as a second
   try).

   In both, where one name belongs to several facilities the country decides, and a country
   that contradicts the facility's turns the match into a suggestion: the same name in
   another country is often another plant, or a sales office.
5. **suggested**: facilities of that metal whose names score at least
   :data:`SUGGEST_THRESHOLD` are offered as ``candidates``, best first. The score is the mean
   of RapidFuzz's token-set and token-sort ratios on the normalised names: the first rewards
   one name containing the other, the second counts the words they do not share. A fuzzy
   candidate is never accepted automatically: someone must confirm it.
6. **unmatched** otherwise, and **placeholder** for rows that name no facility ("Smelter not
   yet identified", "Unknown", "N/A", "0", an empty name).

An accepted facility is then assessed **as of a date** (``as_of``; default
:func:`~mineral_compliance.refdata.status.default_as_of`, 31 December of last year). Status
lists of one date are one snapshot (a conformant list and an active list exported together);
the snapshot that decides is the newest dated on or before the as-of date, else the oldest
after it. Of its lists the best status wins. A conformance whose valid-until date is before
the as-of date is flagged ``status-expired`` and does not count as conformant: the facility is
``active`` when the list says a re-audit is in progress, else ``non-conformant``. One that
runs out within the filing window (the as-of date to the following 31 May) is flagged
``status-expiring`` and stays conformant. With snapshots of more than one date, each result
carries the facility's ``history`` across them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from ..models.findings import Basis, Finding, Severity
from ..models.matching import (
    Candidate,
    ConflictKind,
    DeclaredSmelter,
    Flag,
    HistoryState,
    MatchGrade,
    SmelterMatch,
    Snapshot,
    StatusKind,
    StatusPoint,
)
from ..models.reference import SmelterReference
from ..names import (
    COVERED_COUNTRY_CODES,
    country_code,
    is_placeholder,
    metal_key,
    name_key,
    normalise_id,
    region_code,
    sorted_key,
)
from .legacy import LegacyIds
from .status import StatusEntry, StatusList, default_as_of, filing_window_end

if TYPE_CHECKING:
    from .regions import CahraList

__all__ = ["CURRENCY_FINDINGS", "SUGGEST_THRESHOLD", "SmelterMatcher", "cahra_flags",
           "currency_findings"]

_LEGACY = re.compile(r"^\d?[A-Z]{3}\d{3}$")

SUGGEST_THRESHOLD = 70.0
"""Lowest similarity (0-100) at which a reference facility is offered as a candidate."""
MAX_CANDIDATES = 5


CURRENCY_FINDINGS: dict[str, tuple[Severity, str, str]] = {
    "status-expired": (
        Severity.ERROR, "A declared smelter's conformance ran out before the as-of date.",
        "The status list calls the facility conformant, but its valid-until date (or its last "
        "audit date plus its audit cycle) is before the date the consolidation or cross-check "
        "reads statuses as of (`--as-of`, default 31 December of last year). It is not "
        "counted as conformant: it is `active` when the list says a re-audit is in progress, "
        "else `non-conformant`. The finding points at the Smelter List row that declares it."),
    "status-expiring": (
        Severity.WARNING, "A declared smelter's conformance runs out within the filing window.",
        "The facility is conformant on the as-of date, but its conformance runs out before "
        "the following 31 May, the Form SD deadline: check its re-audit before filing."),
}
"""The findings the status assessment puts on a declared row: code -> severity, title and
description (they go into ``docs/findings.md``)."""


def currency_findings(result: SmelterMatch, file: str, row: DeclaredSmelter | None = None
                      ) -> tuple[Finding, ...]:
    """The ``status-expired`` and ``status-expiring`` findings of one resolved row, pointing
    at the row's file, sheet and cell (those of ``row`` when given: the row a result of the
    same content was resolved for, else the result's own)."""
    if not result.flags:
        return ()
    out = []
    for flag in (Flag.STATUS_EXPIRED, Flag.STATUS_EXPIRING):
        if flag not in result.flags:
            continue
        severity = CURRENCY_FINDINGS[flag.value][0]
        until = result.valid_until.isoformat() if result.valid_until else "an earlier date"
        as_of = result.status_as_of.isoformat() if result.status_as_of else "the as-of date"
        what = (f"ran out on {until}, before {as_of}; it is not counted as conformant"
                if flag is Flag.STATUS_EXPIRED else
                f"runs out on {until}, within the filing window after {as_of}")
        d = row or result.declared
        where = f" (row {d.row})" if d.row and not d.cell else ""
        out.append(Finding(
            code=flag.value, severity=severity, basis=Basis.CONSISTENCY, file=file,
            sheet=d.sheet, cell=d.cell, subject=result.smelter_id,
            message=f"The RMAP conformance of {result.standard_name} ({result.smelter_id})"
                    f"{where} {what}.",
            hint="ask the supplier whether the smelter is still used, and check its status on "
                 "the RMI facility list" if flag is Flag.STATUS_EXPIRED else
                 "check the smelter's re-audit before filing"))
    return tuple(out)


@dataclass
class _Facility:
    smelter_id: str
    metal: str
    metal_key: str
    standard_name: str
    country: str | None
    country_code: str | None
    region: str | None = None
    """ISO 3166-2 code of the facility's state or province, when the reference names one."""
    names: set[str] = field(default_factory=set)


_STATUS_RANK = (StatusKind.CONFORMANT, StatusKind.ACTIVE, StatusKind.NON_CONFORMANT,
                StatusKind.NOT_ENROLLED, StatusKind.UNKNOWN)


def cahra_flags(cahra: CahraList, country: str | None, code: str | None,
                region: str | None) -> tuple[list[Flag], list[str]]:
    """The CAHRA flags of a facility in ``country`` (ISO ``code``, ISO 3166-2 ``region`` when
    known) and why: ``cahra`` when the country is listed whole or the region is listed,
    ``cahra-region`` when the country has listed regions and the region is not known."""
    flags: list[Flag] = []
    reasons: list[str] = []
    if not code:
        return flags, reasons
    areas = cahra.lookup(code, region)
    if any(a.region is None for a in areas):
        flags.append(Flag.CAHRA)
        reasons.append(f"{country} is listed as a CAHRA as a whole")
    elif areas and region:
        flags.append(Flag.CAHRA)
        kinds = [k for k, on in (("conflict-affected", areas[0].conflict_affected),
                                 ("high-risk", areas[0].high_risk)) if on]
        reasons.append(f"the facility's region {areas[0].name} ({region}) is listed "
                       f"as a CAHRA ({', '.join(kinds) or 'listed'})")
    elif areas:
        flags.append(Flag.CAHRA_REGION)
        reasons.append(f"{country} has {len(areas)} CAHRA-listed regions and the "
                       "facility's region is not known; it decides")
    elif region and cahra.lookup(code):
        reasons.append(f"the facility's region ({region}) is not among {country}'s "
                       "CAHRA-listed regions")
    return flags, reasons


class SmelterMatcher:
    """Resolves declared rows against one reference list, and assesses what it resolves.

    ``legacy`` translates old IDs; ``status_lists`` give RMAP status (``rmi`` lists) and gold
    cross-recognition (``lbma``, ``rjc``); ``cahra`` flags facilities in listed areas;
    ``as_of`` is the date statuses are read as of (default: 31 December of last year)."""

    def __init__(self, reference: SmelterReference, *, legacy: LegacyIds | None = None,
                 status_lists: Sequence[StatusList] = (), cahra: CahraList | None = None,
                 as_of: dt.date | None = None) -> None:
        self.reference = reference
        self.legacy = legacy
        self.status_lists = tuple(status_lists)
        self.cahra = cahra
        self.as_of = as_of or default_as_of()
        self.window_end = filing_window_end(self.as_of)
        by_date: dict[dt.date | None, list[StatusList]] = defaultdict(list)
        for lst in self.status_lists:
            if lst.kind not in ("lbma", "rjc"):
                by_date[lst.date].append(lst)
        self._snapshots = sorted(by_date.items(), key=lambda kv: kv[0] or dt.date.min)
        """The RMAP lists, one group per date, oldest first."""
        before = [g for g in self._snapshots if g[0] is None or g[0] <= self.as_of]
        after = [g for g in self._snapshots if g not in before]
        self._deciding = (before[-1] if before else after[0])[1] if self._snapshots else []
        self.facilities: dict[str, _Facility] = {}
        for e in reference.entries:
            sid = normalise_id(e.smelter_id)
            mk = metal_key(e.metal)
            if not sid or mk is None or is_placeholder(e.lookup_name):
                continue
            fac = self.facilities.get(sid)
            if fac is None:
                code = country_code(e.country)
                fac = _Facility(sid, e.metal, mk, e.standard_name or e.lookup_name, e.country,
                                code, region_code(code, e.state_province))
                self.facilities[sid] = fac
            fac.names.add(e.lookup_name)
            if e.standard_name:
                fac.names.add(e.standard_name)
        self._exact: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._key: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._sorted: dict[tuple[str, str], set[str]] = defaultdict(set)
        choices: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for fac in self.facilities.values():
            for name in fac.names:
                self._exact[(fac.metal_key, name.strip().casefold())].add(fac.smelter_id)
                key = name_key(name)
                if key:
                    self._key[(fac.metal_key, key)].add(fac.smelter_id)
                    self._sorted[(fac.metal_key, sorted_key(name))].add(fac.smelter_id)
                    choices[fac.metal_key].append((key, fac.smelter_id))
        self._choices = {m: ([k for k, _ in pairs], [i for _, i in pairs])
                         for m, pairs in choices.items()}
        self._cache: dict[tuple[str | None, str, str | None], SmelterMatch] = {}

    # -- public ------------------------------------------------------------------------------

    @property
    def snapshots(self) -> list[Snapshot]:
        """Every data set the results rest on."""
        ref = self.reference
        out = [Snapshot(kind=f"smelter-reference:{ref.kind.value}", source=ref.file,
                        version=ref.version, sha256=ref.sha256, rows=len(ref.entries))]
        if self.legacy is not None:
            out.append(self.legacy.snapshot)
        out.extend(s.snapshot for s in self.status_lists)
        if self.cahra is not None:
            out.append(self.cahra.snapshot)
        return out

    def match(self, row: DeclaredSmelter) -> SmelterMatch:
        """The resolution of one declared row, with status and flags."""
        return self._assess(self._resolve(row))

    def _resolve(self, row: DeclaredSmelter) -> SmelterMatch:
        metal = metal_key(row.metal)
        sid = normalise_id(row.smelter_id)
        name = (row.name or "").strip()
        if is_placeholder(name) and (sid is None or is_placeholder(sid)):
            return SmelterMatch(declared=row, grade=MatchGrade.PLACEHOLDER,
                                reasons=(f"the row names no facility ({name or 'blank'})",))
        reasons: list[str] = []
        if sid and not is_placeholder(sid):
            by_id = self._by_id(row, sid, metal, name, reasons)
            if by_id is not None:
                return by_id
        if is_placeholder(name):
            return SmelterMatch(declared=row, grade=MatchGrade.UNMATCHED, reasons=(
                *reasons, "no name to look for"))
        key = (metal, name, row.country)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._by_name(row.model_copy(update={"row": None, "sheet": None,
                                                        "cell": None, "smelter_id": None}),
                                metal, name)
            self._cache[key] = hit
        return hit.model_copy(update={"declared": row,
                                      "reasons": (*reasons, *hit.reasons)})

    def match_all(self, rows: Iterable[DeclaredSmelter]) -> list[SmelterMatch]:
        return [self.match(r) for r in rows]

    # -- by ID -----------------------------------------------------------------------------

    def _by_id(self, row: DeclaredSmelter, sid: str, metal: str | None, name: str,
               reasons: list[str]) -> SmelterMatch | None:
        grade = MatchGrade.EXACT_ID
        fac = self.facilities.get(sid)
        if fac is None and self.legacy is not None and _LEGACY.match(sid):
            target = self.legacy.translate(sid)
            if target is not None and normalise_id(target) in self.facilities:
                fac = self.facilities[normalise_id(target) or ""]
                grade = MatchGrade.LEGACY_ID
                reasons.append(f"the old ID {sid} translates to {fac.smelter_id}")
        if fac is None:
            reasons.append(f"the ID {sid} is not in the reference list "
                           f"({self.reference.kind.value} {self.reference.version})")
            return None
        if metal is not None and fac.metal_key != metal:
            return self._result(row, MatchGrade.CONFLICTING, fac, None, (
                *reasons, f"{fac.smelter_id} is a {fac.metal} facility but the row says "
                          f"{row.metal}"), candidates=(self._candidate(fac, None),),
                conflict=ConflictKind.WRONG_METAL)
        if name and not is_placeholder(name):
            named = self._named(fac.metal_key, name, country_code(row.country))
            if named and fac.smelter_id not in named:
                others = [self.facilities[i] for i in sorted(named)]
                return self._result(row, MatchGrade.CONFLICTING, fac, None, (
                    *reasons, f"the ID names {fac.standard_name} ({fac.smelter_id}) but the "
                              f"name '{name}' is {others[0].standard_name} "
                              f"({others[0].smelter_id})"),
                    candidates=tuple(self._candidate(f, None) for f in [fac, *others]),
                    conflict=ConflictKind.OTHER_FACILITY)
            if not named:
                score = self._similarity(fac, name)
                if score < SUGGEST_THRESHOLD:
                    reasons.append(f"the typed name '{name}' does not resemble "
                                   f"{fac.standard_name} (similarity {score:.0f})")
        reasons.append(f"{fac.smelter_id} is in the reference list for {fac.metal}")
        code = country_code(row.country)
        if code and fac.country_code and code != fac.country_code:
            reasons.append(f"the row's country {row.country} differs from the reference's "
                           f"{fac.country}")
        return self._result(row, grade, fac, 100.0, tuple(reasons))

    # -- by name ---------------------------------------------------------------------------

    def _named(self, metal: str, name: str, code: str | None) -> set[str]:
        """IDs whose names equal ``name`` exactly or normalised, narrowed by country."""
        ids = set(self._exact.get((metal, name.casefold()), ()))
        if not ids:
            ids = set(self._key.get((metal, name_key(name)), ()))
        if len(ids) > 1 and code:
            narrowed = {i for i in ids if self.facilities[i].country_code == code}
            ids = narrowed or ids
        return ids

    def _by_name(self, row: DeclaredSmelter, metal: str | None, name: str) -> SmelterMatch:
        code = country_code(row.country)
        metals = [metal] if metal is not None else sorted(self._choices)
        for grade, table, form, how in (
            (MatchGrade.ALIAS, self._exact, name.casefold(), "is a reference name"),
            (MatchGrade.NORMALISED, self._key, name_key(name),
             "equals a reference name once case, accents, punctuation and legal forms are "
             "set aside"),
            (MatchGrade.NORMALISED, self._sorted, sorted_key(name),
             "has the words of a reference name in another order"),
        ):
            if not form:
                continue
            ids: set[str] = set()
            for m in metals:
                ids |= table.get((m, form), set())
            if not ids:
                continue
            facs = [self.facilities[i] for i in sorted(ids)]
            if len(facs) > 1 and code:
                same = [f for f in facs if f.country_code == code]
                facs = same or facs
            if len(facs) == 1:
                fac = facs[0]
                if code is not None and fac.country_code not in (None, code):
                    return self._suggest(row, metals, name, (
                        f"'{name}' {how} of {fac.smelter_id} ({fac.standard_name}), but the "
                        f"row's country {row.country} is not the facility's ({fac.country})",),
                        prefer=[fac.smelter_id])
                return self._result(row, grade, fac, 100.0, (
                    f"'{name}' {how} of {fac.smelter_id} ({fac.metal})",))
            return self._suggest(row, metals, name, (
                f"'{name}' {how} of {len(facs)} facilities; the country does not tell them "
                "apart",), prefer=[f.smelter_id for f in facs])
        return self._suggest(row, metals, name, ())

    def _suggest(self, row: DeclaredSmelter, metals: Sequence[str], name: str,
                 reasons: tuple[str, ...], prefer: Sequence[str] = ()) -> SmelterMatch:
        key = name_key(name)
        code = country_code(row.country)
        scores: dict[str, float] = {i: 100.0 for i in prefer}
        for m in metals:
            names, ids = self._choices.get(m, ([], []))
            if not key or not names:
                continue
            for choice, overlap, index in process.extract(
                    key, names, scorer=fuzz.token_set_ratio, limit=MAX_CANDIDATES * 3,
                    score_cutoff=SUGGEST_THRESHOLD):
                # the word-set overlap finds names that contain each other; the reported score
                # also weighs what the two names do not share
                score = (float(overlap) + fuzz.token_sort_ratio(key, choice)) / 2
                if score < SUGGEST_THRESHOLD:
                    continue
                sid = ids[index]
                scores[sid] = max(scores.get(sid, 0.0), score)
        ranked = sorted(scores.items(), key=lambda kv: (
            -kv[1], self.facilities[kv[0]].country_code != code, kv[0]))[:MAX_CANDIDATES]
        candidates = tuple(self._candidate(self.facilities[i], s) for i, s in ranked)
        if not candidates:
            return SmelterMatch(declared=row, grade=MatchGrade.UNMATCHED, reasons=(
                *reasons, f"no reference facility of this metal resembles '{name}' "
                          f"(threshold {SUGGEST_THRESHOLD:.0f})"))
        best = candidates[0]
        return SmelterMatch(declared=row, grade=MatchGrade.SUGGESTED, score=best.score,
                            candidates=candidates, reasons=(
                                *reasons, f"closest: {best.standard_name} ({best.smelter_id}),"
                                          f" similarity {best.score:.0f}; needs review"))

    # -- assessment ------------------------------------------------------------------------

    def _assess(self, result: SmelterMatch) -> SmelterMatch:
        flags: list[Flag] = []
        reasons: list[str] = []
        fac = self.facilities.get(result.smelter_id or "") if result.accepted else None
        country = fac.country if fac is not None else result.declared.country
        code = fac.country_code if fac is not None else country_code(country)
        if code in COVERED_COUNTRY_CODES:
            flags.append(Flag.COVERED_COUNTRY)
        if self.cahra is not None:
            listed, why = cahra_flags(self.cahra, country, code,
                                      fac.region if fac is not None else None)
            flags.extend(listed)
            reasons.extend(why)
        if (result.declared.recycled_scrap or "").strip().casefold() == "yes":
            flags.append(Flag.RECYCLED_CLAIM)
        status, sources = StatusKind.UNKNOWN, []
        valid_until: dt.date | None = None
        history: tuple[StatusPoint, ...] = ()
        if fac is not None:
            for lst in self.status_lists:
                if lst.kind not in ("lbma", "rjc") or fac.metal_key != "gold":
                    continue
                entry = lst.by_id(fac.smelter_id) or lst.by_name(
                    fac.metal, sorted(fac.names), fac.country)
                if entry is None:
                    continue
                sources.append(lst.snapshot.source)
                if self._recognition_current(lst.kind, entry, reasons):
                    flags.append(Flag(lst.kind))
            found = [(e, lst) for lst in self._deciding
                     if (e := lst.by_id(fac.smelter_id)) is not None]
            if found:
                best, _ = min(found, key=lambda el: _STATUS_RANK.index(el[0].status))
                sources.extend(lst.snapshot.source for _, lst in found)
                status, valid_until = best.status, best.valid_until
                for other in (Flag.LBMA, Flag.RJC):
                    if (other.value in (best.cross_recognition or "").casefold()
                            and fac.metal_key == "gold" and other not in flags):
                        flags.append(other)
                if status is StatusKind.CONFORMANT and valid_until is not None:
                    status = self._currency(best, valid_until, flags, reasons)
            if len(self._snapshots) > 1:
                history = self._history(fac.smelter_id)
        if not flags and not sources and not history and status is StatusKind.UNKNOWN:
            return result
        return result.model_copy(update={
            "status": status, "status_sources": tuple(sources), "flags": tuple(flags),
            "reasons": (*result.reasons, *reasons),
            "status_as_of": self.as_of if sources else None, "valid_until": valid_until,
            "history": history})

    def _recognition_current(self, kind: str, entry: StatusEntry, reasons: list[str]) -> bool:
        """Whether an LBMA or RJC listing still stands on :attr:`as_of`.

        A listing whose certificate ran out before that day gives no cross-recognition (the
        reason says so); one running out before the filing deadline keeps it, with a reason.
        """
        until, name = entry.valid_until, kind.upper()
        if until is None:
            return True
        if until < self.as_of:
            reasons.append(f"the {name} listing ran out on {until.isoformat()}, before "
                           f"{self.as_of.isoformat()}: no {name} cross-recognition")
            return False
        if until <= self.window_end:
            reasons.append(f"the {name} listing runs out on {until.isoformat()}, before the "
                           f"filing deadline {self.window_end.isoformat()}")
        return True

    def _currency(self, entry: StatusEntry, valid_until: dt.date, flags: list[Flag],
                  reasons: list[str]) -> StatusKind:
        """The status of a listed conformance read as of :attr:`as_of`."""
        if valid_until < self.as_of:
            flags.append(Flag.STATUS_EXPIRED)
            if entry.reaudit_in_progress:
                reasons.append(f"the conformance ran out on {valid_until.isoformat()}, before "
                               f"{self.as_of.isoformat()}; a re-audit is in progress")
                return StatusKind.ACTIVE
            reasons.append(f"the conformance ran out on {valid_until.isoformat()}, before "
                           f"{self.as_of.isoformat()}")
            return StatusKind.NON_CONFORMANT
        if valid_until <= self.window_end:
            flags.append(Flag.STATUS_EXPIRING)
            reasons.append(f"the conformance runs out on {valid_until.isoformat()}, before the "
                           f"filing deadline {self.window_end.isoformat()}")
        return StatusKind.CONFORMANT

    def _history(self, smelter_id: str) -> tuple[StatusPoint, ...]:
        """The facility in each snapshot of the RMAP lists, oldest first."""
        points: list[StatusPoint] = []
        seen = was_conformant = False
        for day, lists in self._snapshots:
            found = [e for lst in lists if (e := lst.by_id(smelter_id)) is not None]
            sources = tuple(lst.snapshot.source for lst in lists)
            if not found:
                state = HistoryState.REMOVED if seen else HistoryState.NOT_LISTED
                points.append(StatusPoint(date=day, sources=sources, state=state))
                continue
            seen = True
            best = min(found, key=lambda e: _STATUS_RANK.index(e.status))
            until = best.valid_until
            expired = until is not None and day is not None and until < day
            if best.status is StatusKind.CONFORMANT and not expired:
                state, was_conformant = HistoryState.CONFORMANT, True
            elif was_conformant or best.status is StatusKind.CONFORMANT:
                state = HistoryState.LAPSED
            elif best.status is StatusKind.ACTIVE:
                state = HistoryState.ENROLLED
            else:
                state = HistoryState.NON_CONFORMANT
            points.append(StatusPoint(date=day, sources=sources, state=state,
                                      status=best.status, valid_until=until))
        return tuple(points)

    # -- helpers ---------------------------------------------------------------------------

    def _similarity(self, fac: _Facility, name: str) -> float:
        key = name_key(name)
        return max((fuzz.token_set_ratio(key, name_key(n)) for n in fac.names), default=0.0)

    @staticmethod
    def _candidate(fac: _Facility, score: float | None) -> Candidate:
        return Candidate(smelter_id=fac.smelter_id, standard_name=fac.standard_name,
                         country=fac.country, score=100.0 if score is None else score)

    @staticmethod
    def _result(row: DeclaredSmelter, grade: MatchGrade, fac: _Facility, score: float | None,
                reasons: tuple[str, ...], candidates: tuple[Candidate, ...] = (),
                conflict: ConflictKind | None = None) -> SmelterMatch:
        accepted = grade.accepted
        return SmelterMatch(
            declared=row, grade=grade,
            smelter_id=fac.smelter_id if accepted else None,
            standard_name=fac.standard_name if accepted else None,
            metal=fac.metal if accepted else None,
            country=fac.country if accepted else None,
            region=fac.region if accepted else None,
            score=score, candidates=candidates, reasons=reasons, conflict=conflict)
