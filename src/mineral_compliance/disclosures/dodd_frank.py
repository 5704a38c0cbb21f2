"""Dodd-Frank Section 1502 (Exchange Act Rule 13p-1, Form SD): what a registrant must
conclude and file for a calendar year, per metal, with the facts behind every conclusion.

The three steps of the rule, as applied here (each rule is a function below):

1. **Applicability.** A metal is in scope when a product category the registrant manufactures
   or contracts to manufacture needs it, and the consolidated supplier answers say it is used
   (question 1 or 2 "Yes"). Minerals outside the supply chain before 31 January 2013 are
   excluded (a profile statement, per metal).
2. **Reasonable country of origin inquiry (RCOI)**, from the consolidated supplier answers to
   question 3 (covered countries) and the consolidated smelters:
   *known covered-country origin* when any supplier answers "Yes" or declares a mine in a
   covered country;
   else *reason to believe* when a consolidated smelter is located in a covered country or
   any supplier answers "Unknown" or not at all (while others answer);
   else *undeterminable* when no supplier answers question 3;
   else *no reason to believe* (every answer "No").
   Country-of-origin data per smelter (:mod:`mineral_compliance.upstream.origin`), when given,
   adds its facts: an identified facility whose data states an origin in a covered country
   gives *reason to believe* at least; data for every identified facility without one is
   stated as such, beside the supplier answers, and does not overturn them.
   Material from recycled or scrap sources only (question 5 "Yes" from every supplier) needs
   no due diligence on its origin.
3. **Due diligence and a Conflict Minerals Report** are required for a metal in scope, not
   excluded, not recycled-only, whose RCOI is not "no reason to believe". One such metal
   requires the report (Form SD Item 1.02, Exhibit 1.01).

The filing is due 31 May of the following year, or the next business day when that is a
Saturday, Sunday or US federal holiday.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import holidays
from pydantic import BaseModel, ConfigDict, ValidationError

from .. import _io
from .._words import counted
from ..errors import ProfileError, ReferenceDataError
from ..models.consolidation import ConsolidatedSmelter, Consolidation
from ..models.declaration import QuestionRole, TemplateKind
from ..models.matching import Flag
from ..models.profile import THREE_TG, CompanyProfile
from ..names import COVERED_COUNTRY_CODES, metal_key
from ..tables import decode_text
from ..upstream.origin import OriginData, OriginLevel, SmelterOrigin, join_origin

__all__ = [
    "Determination",
    "Fact",
    "MetalDetermination",
    "Rcoi",
    "cmrt_role",
    "determine",
    "filing_deadline",
    "identified_facilities",
    "load_profile",
    "origin_source",
]

_USED = (QuestionRole.NECESSARY, QuestionRole.REMAINS)


class Rcoi(StrEnum):
    NO_REASON = "no-reason-to-believe"
    REASON = "reason-to-believe"
    KNOWN = "known-covered-country-origin"
    UNDETERMINABLE = "undeterminable"


class Fact(BaseModel):
    """One fact a conclusion rests on, and where it comes from.

    Facts may name supplier files and cells: they belong to the internal audit trail, never
    to a public document."""

    model_config = ConfigDict(frozen=True)

    statement: str
    source: str
    bears_on: Literal["filing", "scope", "rcoi", "due-diligence"] = "scope"
    """The conclusion the fact supports."""
    locations: tuple[str, ...] = ()
    """Each value read, as ``file [sheet!cell]``."""


class MetalDetermination(BaseModel):
    model_config = ConfigDict(frozen=True)

    metal: str
    in_scope: bool
    excluded_pre_2013: bool
    recycled_only: bool
    rcoi: Rcoi | None
    due_diligence_required: bool
    facts: tuple[Fact, ...]


class Determination(BaseModel):
    model_config = ConfigDict(frozen=True)

    reporting_year: int
    filing_deadline: dt.date
    metals: tuple[MetalDetermination, ...]
    form_sd_required: bool
    report_required: bool
    facts: tuple[Fact, ...]


_MAX_PROFILE_BYTES = 1024 * 1024
"""A profile is a page of facts; a larger file is not one."""


def load_profile(path: str | Path) -> CompanyProfile:
    """Read a company profile from a ``.toml`` or ``.json`` file: a regular file of at most
    1 MB, decoded as every supplied text file is (UTF-8 or UTF-16 as a byte-order mark says,
    UTF-16 without one recognised from its NUL bytes, else UTF-8, else Windows-1252)."""
    source = Path(path)
    try:
        raw = _io.read_capped(source, _MAX_PROFILE_BYTES)
    except _io.TooLargeError as exc:
        raise ProfileError(exc.reason, path=source) from exc
    except _io.FileRefusedError as exc:
        raise ProfileError(f"the profile cannot be read ({exc.reason})", path=source) from exc
    try:
        text = decode_text(raw, source)
    except ReferenceDataError as exc:
        raise ProfileError(exc.message, path=source, hint=exc.hint) from exc
    try:
        data: Any = (tomllib.loads(text) if source.suffix.lower() == ".toml"
                     else json.loads(text))
    except RecursionError as exc:
        raise ProfileError("the profile is nested too deeply to be read", path=source) from exc
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ProfileError(f"the profile cannot be read ({exc})", path=source) from exc
    if not isinstance(data, dict):
        raise ProfileError("the profile is not a table of fields (a JSON object)", path=source,
                           hint="see the CompanyProfile fields in the documentation")
    try:
        return CompanyProfile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in exc.errors())
        raise ProfileError(problems, path=source,
                           hint="see the CompanyProfile fields in the documentation") from exc


def filing_deadline(reporting_year: int) -> dt.date:
    """31 May of the following year, moved to the next business day past weekends and US
    federal holidays (observed dates included)."""
    due = dt.date(reporting_year + 1, 5, 31)
    federal = holidays.country_holidays("US", years=range(due.year, due.year + 1))
    while due.weekday() >= 5 or due in federal:
        due += dt.timedelta(days=1)
    return due


def cmrt_role(question: str) -> QuestionRole | None:
    """The role of a CMRT question number, for a consolidation saved before roll-ups
    carried their role."""
    from ..templates.layouts import LAYOUTS

    cmrt = next(la for la in LAYOUTS if la.kind is TemplateKind.CMRT)
    return cmrt.roles.role_of(question)


def determine(profile: CompanyProfile, consolidation: Consolidation,
              origin: OriginData | None = None) -> Determination:
    """Per metal: scope, RCOI, due diligence; and whether Form SD and a report are due
    (``origin``: country-of-origin data per smelter, joined to the identified facilities)."""
    answers = {(metal_key(a.mineral), role): a for a in consolidation.answers
               if a.family == "CMRT" and (role := a.role or cmrt_role(a.question))}
    metals = []
    for metal in THREE_TG:
        metals.append(_metal(metal, profile, consolidation, answers, origin))
    deadline = filing_deadline(profile.reporting_year)
    in_scope = [m for m in metals if m.in_scope and not m.excluded_pre_2013]
    report = any(m.due_diligence_required for m in metals)
    facts = [Fact(bears_on="filing",
                  statement=f"The report for calendar year {profile.reporting_year} is due "
                            f"{deadline.isoformat()}.",
                  source="Rule 13p-1: 31 May, next business day after weekends and US "
                         "federal holidays")]
    if not in_scope:
        facts.append(Fact(bears_on="filing",
                          statement="No conflict mineral is necessary to products the "
                                    "registrant manufactures or contracts to manufacture, "
                                    "by the profile and supplier answers.",
                          source="company profile; consolidated supplier answers"))
    return Determination(reporting_year=profile.reporting_year, filing_deadline=deadline,
                         metals=tuple(metals), form_sd_required=bool(in_scope),
                         report_required=report, facts=tuple(facts))


def _metal(metal: str, profile: CompanyProfile, consolidation: Consolidation,
           answers: dict[tuple[str | None, QuestionRole], Any],
           origin: OriginData | None = None) -> MetalDetermination:
    key = metal_key(metal)
    facts: list[Fact] = []
    products = [p for p in profile.products if metal in p.metals
                and (p.manufactured or p.contracted)]
    for p in products:
        how = "manufactured" if p.manufactured else "contracted to be manufactured"
        facts.append(Fact(statement=f"{metal} is necessary to {p.name} ({how}).",
                          source="company profile"))
    used_answers = [answers.get((key, role)) for role in _USED]
    used = any(a is not None and a.answer == "Yes" for a in used_answers)
    for a in used_answers:
        if a is not None:
            facts.append(Fact(statement=f"Suppliers' question {a.question} for {metal}: "
                                        f"{_counts(a.counts)}; company answer "
                                        f"{a.answer or 'left to the company'}.",
                              source=f"consolidation, CMRT question {a.question} ({a.rule})",
                              locations=_answer_cells(consolidation, a.question, metal)))
    in_scope = bool(products) and used
    excluded = metal in profile.pre_2013_stock
    if excluded:
        facts.append(Fact(statement=f"All {metal} was outside the supply chain before "
                                    "31 January 2013.", source="company profile"))
    if not in_scope or excluded:
        if not products:
            facts.append(Fact(statement=f"No product category needs {metal}.",
                              source="company profile"))
        elif not used:
            facts.append(Fact(statement=f"No supplier reports {metal} as used.",
                              source="consolidation, CMRT questions 1 and 2"))
        return MetalDetermination(metal=metal, in_scope=in_scope, excluded_pre_2013=excluded,
                                  recycled_only=False, rcoi=None,
                                  due_diligence_required=False, facts=tuple(facts))
    recycled = answers.get((key, QuestionRole.RECYCLED))
    recycled_only = recycled is not None and recycled.answer == "Yes"
    if recycled is not None:
        facts.append(Fact(bears_on="due-diligence",
                          statement=f"Suppliers' question {recycled.question} (100 % recycled "
                                    f"or scrap) for {metal}: {_counts(recycled.counts)}.",
                          source=f"consolidation, CMRT question {recycled.question} "
                                 f"({recycled.rule})",
                          locations=_answer_cells(consolidation, recycled.question, metal)))
    rcoi, rcoi_facts = _rcoi(metal, consolidation,
                             answers.get((key, QuestionRole.COVERED_COUNTRIES)))
    facts.extend(rcoi_facts)
    if origin is not None:
        covered_origin, origin_facts = _origin_facts(metal, consolidation, origin)
        facts.extend(origin_facts)
        if covered_origin and rcoi in (Rcoi.NO_REASON, Rcoi.UNDETERMINABLE):
            rcoi = Rcoi.REASON
    required = not recycled_only and rcoi is not Rcoi.NO_REASON
    return MetalDetermination(metal=metal, in_scope=True, excluded_pre_2013=False,
                              recycled_only=recycled_only, rcoi=rcoi,
                              due_diligence_required=required, facts=tuple(facts))


def _rcoi(metal: str, consolidation: Consolidation, covered: Any) -> tuple[Rcoi, list[Fact]]:
    key = metal_key(metal)
    facts: list[Fact] = []
    counts: dict[str, int] = dict(covered.counts) if covered is not None else {}
    answered = {k: v for k, v in counts.items() if k}
    if covered is not None:
        facts.append(Fact(bears_on="rcoi",
                          statement=f"Suppliers' question {covered.question} (covered "
                                    f"countries) for {metal}: {_counts(counts)}.",
                          source=f"consolidation, CMRT question {covered.question}",
                          locations=_answer_cells(consolidation, covered.question, metal)))
    located = [s for s in consolidation.smelters
               if metal_key(s.metal) == key and Flag.COVERED_COUNTRY in s.flags]
    if located:
        facts.append(Fact(bears_on="rcoi",
                          statement=f"{len(located)} consolidated {metal} smelter(s) are "
                                    "located in a covered country.",
                          source="consolidation, smelter flags: "
                                 + ", ".join(sorted(f"{s.name} ({s.smelter_id or 'no ID'})"
                                                    for s in located)),
                          locations=tuple(sorted({_where(r.file, r.sheet, r.cell)
                                                  for s in located for r in s.sources}))))
    declared = [m for m in consolidation.mines if metal_key(m.metal) == key
                and m.country_code in COVERED_COUNTRY_CODES]
    if declared:
        countries = ", ".join(sorted({m.country or m.country_code or "" for m in declared}))
        facts.append(Fact(bears_on="rcoi",
                          statement=f"Suppliers declare {metal} mines in covered countries: "
                                    f"{countries}.",
                          source="consolidation, declared mine countries",
                          locations=tuple(sorted({_where(m.file, m.sheet, m.cell)
                                                  for m in declared}))))
    if answered.get("Yes") or declared:
        return Rcoi.KNOWN, facts
    if located:
        return Rcoi.REASON, facts
    if not answered:
        return Rcoi.UNDETERMINABLE, facts
    if set(answered) == {"No"} and not counts.get(""):
        return Rcoi.NO_REASON, facts
    # "Unknown", a blank, or an answer that is none of the template's choices: the inquiry
    # did not rule the covered countries out
    unlisted = sorted(k for k in answered if k not in ("Yes", "No", "Unknown"))
    if unlisted:
        facts.append(Fact(bears_on="rcoi",
                          statement=f"Question {covered.question} for {metal} was also "
                                    "answered with text the template does not offer "
                                    f"({', '.join(unlisted)}), which cannot rule the covered "
                                    "countries out.",
                          source=f"consolidation, CMRT question {covered.question}",
                          locations=_answer_cells(consolidation, covered.question, metal)))
    return Rcoi.REASON, facts


def identified_facilities(consolidation: Consolidation, metal: str
                          ) -> list[ConsolidatedSmelter]:
    """The facilities of ``metal`` the documents list: resolved, with a smelter ID."""
    key = metal_key(metal)
    return [s for s in consolidation.smelters
            if metal_key(s.metal) == key and s.smelter_id and not s.needs_review]


def origin_source(origin: OriginData) -> str:
    """The origin data as a fact's source names it: title and date, then the file."""
    return (f"country-of-origin data per smelter: {origin.title}, as of "
            f"{origin.as_of.isoformat() if origin.as_of else 'no date given'} "
            f"({origin.snapshot.source})")


def _origin_facts(metal: str, consolidation: Consolidation, origin: OriginData
                  ) -> tuple[bool, list[Fact]]:
    """Whether the origin data states a covered-country origin for an identified facility of
    ``metal``, and the facts it gives, each with the rows read."""
    facilities = identified_facilities(consolidation, metal)
    if not facilities:
        return False, []
    joined = join_origin(origin, facilities)
    source = origin_source(origin)
    file = origin.snapshot.source
    identified = counted(len(facilities), f"identified {metal} facility",
                         f"identified {metal} facilities")

    def rows(these: list[SmelterOrigin]) -> tuple[str, ...]:
        return tuple(f"{file} [row {r.row}]" for s in these for r in s.rows)

    facts: list[Fact] = []
    covered = [s for s in joined.matched if s.covered]
    if covered:
        named = "; ".join(f"{s.name} ({s.smelter_id}): "
                          + ", ".join([*s.countries, *(x.value for x in s.levels)])
                          for s in covered)
        facts.append(Fact(bears_on="rcoi",
                          statement=f"Origin data states an origin in the covered countries "
                                    f"for {len(covered)} of {identified} ({named}).",
                          source=source, locations=rows(covered)))
    open_ = [s for s in joined.matched
             if not s.covered and (s.incomplete or OriginLevel.UNKNOWN in s.levels)]
    clear = [s for s in joined.matched if not s.covered and s not in open_]
    if clear and not covered and not joined.without_data and not open_:
        facts.append(Fact(bears_on="rcoi",
                          statement=f"Origin data for every identified {metal} facility "
                                    f"({len(facilities)}) states no origin in the covered "
                                    "countries.",
                          source=source, locations=rows(clear)))
    elif clear:
        facts.append(Fact(bears_on="rcoi",
                          statement=f"Origin data states no origin in the covered countries "
                                    f"for {len(clear)} of {identified}.",
                          source=source, locations=rows(clear)))
    if joined.without_data:
        facts.append(Fact(bears_on="rcoi",
                          statement=f"The origin data names no row for {metal} facilities "
                                    f"{', '.join(joined.without_data)}.", source=source))
    for s in open_:
        why = ("a row naming it could not be read" if s.incomplete
               else "its data states the origin as not determined")
        facts.append(Fact(bears_on="rcoi",
                          statement=f"The origin data of {s.name} ({s.smelter_id}) does not "
                                    f"rule the covered countries out: {why}.",
                          source=source,
                          locations=(*rows([s]), *(f"{file} [row {p.row}]"
                                                   for p in origin.problems
                                                   if p.smelter_id == s.smelter_id))))
    return bool(covered), facts


def _where(file: str, sheet: str | None, cell: str | None) -> str:
    return f"{file} [{sheet or '?'}!{cell or '?'}]"


def _answer_cells(consolidation: Consolidation, question: str, metal: str
                  ) -> tuple[str, ...]:
    """Where each current CMRT declaration holds its answer to ``question`` for ``metal``."""
    from ..templates.layouts import LAYOUTS

    out = []
    for f in consolidation.files:
        if f.kind != "CMRT" or f.status.value in ("superseded", "unreadable"):
            continue
        layout = next((la for la in LAYOUTS if la.kind is TemplateKind.CMRT
                       and f.version in la.versions), None)
        q = next((x for x in layout.questions if x.key == question), None) if layout else None
        fixed = [metal_key(m) for m in layout.minerals.fixed] if layout else []
        if layout is None or q is None or metal_key(metal) not in fixed:
            out.append(_where(f.file, "Declaration", None))
            continue
        row = q.rows[fixed.index(metal_key(metal))]
        out.append(_where(f.file, layout.declaration_sheet, f"{q.answer_col}{row}"))
    return tuple(out)


def _counts(counts: dict[str, int]) -> str:
    if not counts:
        return "no answers"
    return ", ".join(f"{v} {k or 'blank'}" for k, v in sorted(counts.items()))
