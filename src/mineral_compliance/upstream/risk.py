"""The risk register of a consolidation: every risk the data shows, with its OECD Annex II
category, where it comes from, the smelters and suppliers it touches and why, its level and
status, and the response the OECD Guidance expects.

Five sources feed it:

* **ITSCI incidents** (:mod:`.itsci`), each one risk, open or closed as recorded;
* **IPIS visits**: each Annex II indicator seen at the latest visit of a mine site a declared
  mine links to (see :func:`~.link.screen_mines`): non-state armed groups, public security
  forces, illegal taxation, children under 15 at work;
* **locations**: each country or CAHRA region where a consolidated smelter is located or a
  declared mine lies, when it is a covered country (SEC Rule 13p-1) or on the EU indicative
  CAHRA list;
* **supplier answers**: each question on covered-country or CAHRA sourcing (CMRT questions 3
  and 4, the EMRT and CRT CAHRA question) that a consolidated supplier answered other than
  "No", per family and mineral;
* **expired audits**: each smelter whose conformance ran out before the as-of date (the flag
  ``status-expired``).

**Category.** An incident's category is read from its ``annex_ii_category`` text (a letter,
"Annex II (b)", or the words of the Annex); an IPIS indicator has the category the Annex
gives it (children under 15 at a mine site count as the worst forms of child labour of (a):
mining is hazardous work). Where the data gives no category (a location, a supplier answer,
an expired audit, an incident whose category text is blank or not recognised), the risk is
put in :data:`DEFAULT_CATEGORY`, Annex II (b), and marked ``category_default``: these red
flags are the ones the SEC rule and the EU list tie to the financing of armed groups, and (b)
carries the stricter response, so a risk whose category is unknown is never under-treated.
No risk is dropped.

**Response.** Annex II (a) and (b): suspend or disengage from the supplier at once; (c) to
(f): continue trading while mitigating, suspending if mitigation fails within about six
months (OECD Guidance, Annex II paragraphs 2, 4, 6 and Annex III).

**Links.** Every link names its reason and, where it rests on a supplier declaration, the
file, sheet and cell; where it rests on an upstream record, the record (incident ID, IPIS
site code and visit date, CAHRA area code and list date). The consolidation keeps supplier
answers as counts per answer, not per file: a supplier-answer risk links every declaration
of the family, each with the cell that holds its answer.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .._io.text import neutralise
from .._words import counted
from ..models.consolidation import Consolidation, DeclaredMine, FileStatus, SupplierFile
from ..models.declaration import QuestionRole
from ..models.matching import Flag, Snapshot
from ..names import COVERED_COUNTRY_CODES, country_code, country_name, name_key
from ..refdata.regions import CahraList
from .ipis import MineSite
from .itsci import Incident, ProvinceSummary, province_summary
from .link import MineScreen, screen_mines

__all__ = ["CATEGORY_TITLES", "DEFAULT_CATEGORY", "AnnexII", "Response", "Risk", "RiskLink",
           "RiskRegister", "RiskSource", "build_risk_register", "expected_response",
           "register_csv"]


class AnnexII(StrEnum):
    """The risk categories of Annex II of the OECD Due Diligence Guidance."""

    A = "a"
    """Serious abuses: torture, forced labour, worst forms of child labour, gross human-rights
    violations, war crimes, crimes against humanity, genocide."""
    B = "b"
    """Direct or indirect support to non-state armed groups."""
    C = "c"
    """Public or private security forces: illegal control, taxation or extortion."""
    D = "d"
    """Bribery and fraudulent misrepresentation of the origin of minerals."""
    E = "e"
    """Money laundering."""
    F = "f"
    """Non-payment of taxes, fees and royalties due to governments."""


CATEGORY_TITLES = {
    AnnexII.A: "serious abuses",
    AnnexII.B: "support to non-state armed groups",
    AnnexII.C: "public or private security forces",
    AnnexII.D: "bribery and fraudulent misrepresentation of origin",
    AnnexII.E: "money laundering",
    AnnexII.F: "taxes, fees and royalties",
}
"""Each category in the words the documents use."""

DEFAULT_CATEGORY = AnnexII.B
"""The category of a risk whose data gives none (see the module docstring)."""


class Response(StrEnum):
    """What the OECD Guidance expects of the company for a risk of a category."""

    SUSPEND_OR_DISENGAGE = "suspend-or-disengage"
    MITIGATE = "mitigate-while-trading"


def expected_response(category: AnnexII) -> Response:
    """Suspend or disengage for Annex II (a) and (b); mitigation while trading for (c)-(f)."""
    return (Response.SUSPEND_OR_DISENGAGE if category in (AnnexII.A, AnnexII.B)
            else Response.MITIGATE)


class RiskSource(StrEnum):
    INCIDENT = "itsci-incident"
    IPIS_VISIT = "ipis-visit"
    CAHRA_AREA = "cahra-area"
    """A country or region on the CAHRA list (covered or not)."""
    COVERED_COUNTRY = "covered-country"
    """A covered country the CAHRA list given does not name (or no list was given)."""
    SUPPLIER_ANSWER = "supplier-answer"
    EXPIRED_AUDIT = "expired-audit"


class RiskLink(BaseModel):
    """Why a risk touches a smelter or a supplier (or both, through a declared mine)."""

    model_config = ConfigDict(frozen=True)

    smelter: str | None = Field(default=None, description="Consolidated smelter key.")
    supplier: str | None = Field(default=None, description="Supplier key.")
    metal: str | None = Field(default=None, description="The metal of the declaration or "
                              "smelter the link goes through.")
    reason: str
    locations: tuple[str, ...] = Field(
        default=(), description="The supplier declarations it rests on, as file [sheet!cell].")
    record: str | None = Field(
        default=None, description="The upstream record it rests on (incident ID, IPIS site "
        "code and visit date, CAHRA area and list date).")


class Risk(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Stable within a register: source and what it is about.")
    source: RiskSource
    title: str
    metal: str | None = None
    category: AnnexII
    category_default: bool = Field(
        description="The data gives no category: the risk is in DEFAULT_CATEGORY.")
    category_basis: str
    level: str = Field(description="ITSCI level 1-3 ('level 1') or 'level unstated' for an "
                       "incident; 'observed' for an IPIS visit; 'red flag' otherwise.")
    status: Literal["open", "closed"]
    status_basis: str
    response: Response
    record: str = Field(description="What the risk rests on, in one line.")
    links: tuple[RiskLink, ...] = ()

    @property
    def smelters(self) -> tuple[str, ...]:
        return tuple(sorted({x.smelter for x in self.links if x.smelter}))

    @property
    def suppliers(self) -> tuple[str, ...]:
        return tuple(sorted({x.supplier for x in self.links if x.supplier}))


class RiskRegister(BaseModel):
    """Every risk of one consolidation, and the data it was built from."""

    model_config = ConfigDict(frozen=True)

    risks: tuple[Risk, ...]
    snapshots: tuple[Snapshot, ...] = Field(
        description="The consolidation's reference data and the upstream files read.")
    unreadable: tuple[str, ...] = Field(
        default=(), description="Rows of the upstream files that could not be read, each "
        "with its file, row and reason (not in the register).")
    provinces: tuple[ProvinceSummary, ...] = Field(
        default=(), description="Per province: the IPIS mine-site indicators beside the "
        "incidents recorded there, whether or not the consolidation reaches them (the "
        "aggregate view of the upstream data).")

    def for_metals(self, metals: Iterable[str]) -> RiskRegister:
        """The risks that bear on ``metals``: of one of them, or linked through one of them,
        or linked to nothing (an incident the consolidation does not reach)."""
        keys = {name_key(m) for m in metals}
        kept = tuple(r for r in self.risks
                     if (r.metal and name_key(r.metal) in keys) or (r.metal is None and (
                         not r.links or any(x.metal and name_key(x.metal) in keys
                                            for x in r.links))))
        return self.model_copy(update={"risks": kept})

    def counts(self) -> dict[tuple[AnnexII, Response], int]:
        """Risks per Annex II category and expected response, every category listed."""
        out = {(c, expected_response(c)): 0 for c in AnnexII}
        for r in self.risks:
            out[(r.category, r.response)] += 1
        return out

    def summary(self) -> dict[str, int]:
        return {"risks": len(self.risks),
                "open": sum(r.status == "open" for r in self.risks),
                "category_default": sum(r.category_default for r in self.risks),
                **{f"source_{s.value}": sum(r.source is s for r in self.risks)
                   for s in RiskSource},
                **{f"category_{c.value}": n for (c, _), n in self.counts().items()}}


def _where(file: str, sheet: str | None, cell: str | None) -> str:
    return f"{file} [{sheet or '?'}!{cell or '?'}]"


_CATEGORY_WORDS: tuple[tuple[AnnexII, tuple[str, ...]], ...] = (
    (AnnexII.A, ("serious abuse", "torture", "cruel", "inhuman", "degrading", "forced labour",
                 "forced labor", "child labour", "child labor", "worst form", "human right",
                 "sexual violence", "war crime", "crimes against humanity", "genocide")),
    (AnnexII.C, ("security force", "public security", "private security", "army", "police",
                 "military", "fardc", "rogue state")),
    (AnnexII.B, ("non-state", "armed group", "rebel", "militia", "illegal taxation",
                 "extortion", "illegal tax")),
    (AnnexII.D, ("bribe", "bribery", "fraud", "misrepresent", "smuggl", "origin")),
    (AnnexII.E, ("money laundering", "laundering")),
    (AnnexII.F, ("royalt", "fees", "tax", "levies")),
)


def _letter(text: str) -> AnnexII | None:
    t = text.strip().casefold()
    for prefix in ("annex ii", "annex 2", "category", "cat."):
        t = t.removeprefix(prefix).strip()
    t = t.strip("()[]. ")
    return AnnexII(t) if t in {c.value for c in AnnexII} else None


def incident_category(text: str | None) -> tuple[AnnexII, bool, str]:
    """The Annex II category of an incident's category text, whether it is the default, and
    why. Words are tried in the order (a), (c), (b), (d), (e), (f): illegal taxation by
    security forces is (c), by anyone else (b); plain taxes unpaid are (f)."""
    if not text or not text.strip():
        return DEFAULT_CATEGORY, True, ("the incident gives no Annex II category: Annex II "
                                        f"({DEFAULT_CATEGORY.value}) by default")
    found = _letter(text)
    if found is not None:
        return found, False, f"the incident's category {text.strip()!r}"
    low = text.casefold()
    for category, words in _CATEGORY_WORDS:
        word = next((w for w in words if w in low), None)
        if word is not None:
            return category, False, (f"the incident's category {text.strip()!r} (the words "
                                     f"{word!r} are Annex II ({category.value}))")
    return DEFAULT_CATEGORY, True, (f"the incident's category {text.strip()!r} names no Annex "
                                    f"II category: Annex II ({DEFAULT_CATEGORY.value}) by "
                                    "default")


def _default(why: str) -> tuple[AnnexII, bool, str]:
    return DEFAULT_CATEGORY, True, (f"{why}; the data gives no Annex II category: Annex II "
                                    f"({DEFAULT_CATEGORY.value}) by default")


def _risk(rid: str, source: RiskSource, title: str, category: tuple[AnnexII, bool, str], *,
          level: str, status: Literal["open", "closed"], status_basis: str, record: str,
          links: Iterable[RiskLink], metal: str | None = None) -> Risk:
    cat, default, basis = category
    return Risk(id=rid, source=source, title=title, metal=metal, category=cat,
                category_default=default, category_basis=basis, level=level, status=status,
                status_basis=status_basis, response=expected_response(cat), record=record,
                links=tuple(links))


def _mine_link(m: DeclaredMine, reason: str, record: str | None = None) -> RiskLink:
    return RiskLink(smelter=m.smelter_key, supplier=m.supplier, metal=m.metal,
                    reason=f"declared mine {m.name or '(no name)'!r} "
                           f"({_where(m.file, m.sheet, m.cell)}) {reason}",
                    locations=(_where(m.file, m.sheet, m.cell),), record=record)


def _visit_record(site: MineSite) -> str:
    v = site.latest
    return f"IPIS site pcode {site.code}, visit {v.date.isoformat()}"


def _incident_risks(incidents: Sequence[Incident], c: Consolidation,
                    screens: Sequence[MineScreen], sites: dict[str, MineSite]) -> list[Risk]:
    out = []
    for inc in incidents:
        record = f"ITSCI incident {inc.incident_id} of {inc.date.isoformat()}"
        links: list[RiskLink] = []
        site_key = name_key(inc.site or "")
        province_key = name_key(inc.province or "")
        for s in screens:
            m = s.mine
            if inc.country_code and m.country_code and inc.country_code != m.country_code:
                continue
            if site_key and m.name and name_key(m.name) == site_key:
                links.append(_mine_link(m, f"has the name of the incident site {inc.site!r}",
                                        record))
            elif province_key and s.site and s.site in sites:
                linked = sites[s.site]
                if name_key(linked.latest.province or "") == province_key:
                    scheme = linked.latest.traceability
                    links.append(_mine_link(
                        m, f"matched IPIS site pcode {s.site} by name, in the province "
                           f"{inc.province!r} where the incident was recorded"
                           + (f" (traceability: {scheme})" if scheme else ""),
                        f"{record}; {_visit_record(linked)}"))
        if inc.country_code:
            for sm in c.smelters:
                if country_code(sm.country) == inc.country_code:
                    links.append(RiskLink(
                        smelter=sm.key, metal=sm.metal, reason=f"smelter {sm.name!r} "
                        f"({sm.smelter_id or 'no ID'}) is located in {inc.country_code}, the "
                        "incident's country", record=record,
                        locations=tuple(_where(r.file, r.sheet, r.cell) for r in sm.sources)))
        where = ", ".join(x for x in (inc.site, inc.province, inc.country) if x)
        out.append(_risk(
            f"itsci:{inc.incident_id}", RiskSource.INCIDENT,
            f"ITSCI incident {inc.incident_id}" + (f" at {where}" if where else ""),
            incident_category(inc.annex_ii_category),
            level=f"level {inc.level}" if inc.level else "level unstated",
            status="open" if inc.open else "closed",
            status_basis=f"{'open' if inc.open else 'closed'} in the incident record",
            record=record + (f"; mitigation: {inc.mitigation}" if inc.mitigation else ""),
            links=links))
    return out


_INDICATORS: tuple[tuple[str, str, AnnexII, str], ...] = (
    ("non-state armed groups", "armed-groups", AnnexII.B,
     "a non-state armed group present at the site is Annex II (b)"),
    ("public security forces", "security-forces", AnnexII.C,
     "public security forces interfering at the site are Annex II (c)"),
    ("illegal taxation", "illegal-taxation", AnnexII.B,
     "illegal taxation at the site is Annex II (b), or (c) when only security forces tax"),
    ("child labour", "child-labour", AnnexII.A,
     "children under 15 at work at a mine site are the worst forms of child labour of "
     "Annex II (a)"),
)


def _ipis_risks(screens: Sequence[MineScreen], sites: dict[str, MineSite]) -> list[Risk]:
    by_site: dict[str, list[MineScreen]] = defaultdict(list)
    for s in screens:
        if s.site:
            by_site[s.site].append(s)
    out = []
    for code in sorted(by_site):
        site = sites[code]
        v = site.latest
        record = _visit_record(site)
        for label, slug, category, basis in _INDICATORS:
            if label not in by_site[code][0].site_risks:
                continue
            if slug == "illegal-taxation" and not v.non_state_armed_groups and any(
                    a.state_force for a in v.actors):
                category = AnnexII.C
            scheme = f"; traceability: {v.traceability}" if v.traceability else ""
            out.append(_risk(
                f"ipis:{code}:{slug}", RiskSource.IPIS_VISIT,
                f"{label} at IPIS site {code} ({v.name or 'unnamed'}, "
                f"{v.province or 'province unknown'})",
                (category, False, basis), level="observed", status="open",
                status_basis=f"seen at the latest visit ({v.date.isoformat()})",
                record=record + scheme,
                links=(_mine_link(s.mine, f"matched IPIS site pcode {code} by name"
                                  f" (visit {v.date.isoformat()}{scheme})", record)
                       for s in by_site[code])))
    return out


def _cahra_version(c: Consolidation, cahra: CahraList | None) -> str:
    snap = cahra.snapshot if cahra else next((s for s in c.snapshots if s.kind == "cahra"),
                                             None)
    return f"CAHRA list of {snap.version or 'undated'}" if snap else "no CAHRA list"


def _location_risks(c: Consolidation, screens: Sequence[MineScreen],
                    cahra: CahraList | None) -> list[Risk]:
    listed_by = _cahra_version(c, cahra)
    areas: dict[str, list[RiskLink]] = defaultdict(list)
    listed: dict[str, bool] = {}
    for sm in c.smelters:
        code = country_code(sm.country)
        if not code:
            continue
        rows = tuple(_where(r.file, r.sheet, r.cell) for r in sm.sources)
        name = f"smelter {sm.name!r} ({sm.smelter_id or 'no ID'})"
        on_list = Flag.CAHRA in sm.flags or Flag.CAHRA_REGION in sm.flags or bool(
            cahra and cahra.lookup(code))
        if on_list:
            how = ("is located in a country with CAHRA-listed regions, its own region not "
                   "known" if Flag.CAHRA_REGION in sm.flags or (
                       cahra and all(a.region for a in cahra.lookup(code)))
                   else "is located in an area on the CAHRA list")
            areas[code].append(RiskLink(smelter=sm.key, metal=sm.metal,
                                        reason=f"{name} {how} ({code}, "
                                        f"{listed_by})", locations=rows,
                                        record=f"{listed_by}: {code}"))
            listed[code] = True
        elif code in COVERED_COUNTRY_CODES:
            areas[code].append(RiskLink(smelter=sm.key, metal=sm.metal,
                                        reason=f"{name}: smelter country "
                                        f"{code} is a covered country", locations=rows))
            listed.setdefault(code, False)
    for s in screens:
        code = s.mine.country_code
        if not code:
            continue
        if cahra is not None and s.cahra is not False:
            why = ("lies in an area on the CAHRA list" if s.cahra
                   else "lies in a country with CAHRA-listed regions, its own region not "
                        "known")
            areas[code].append(_mine_link(s.mine, f"{why} ({code}, {listed_by})",
                                          f"{listed_by}: {code}"))
            listed[code] = True
        elif code in COVERED_COUNTRY_CODES:
            areas[code].append(_mine_link(s.mine, f"lies in {code}, a covered country"))
            listed.setdefault(code, False)
    out = []
    for code in sorted(areas):
        name = country_name(code) or code
        on_list = listed[code]
        covered = code in COVERED_COUNTRY_CODES
        facts = [f"{name} ({code})"] + (["on the " + listed_by] if on_list else []) + (
            ["a covered country (SEC Rule 13p-1)"] if covered else [])
        out.append(_risk(
            f"area:{code}", RiskSource.CAHRA_AREA if on_list else RiskSource.COVERED_COUNTRY,
            f"sourcing location {name} ({code})",
            _default("a location is a red flag, not a risk of a kind"), level="red flag",
            status="open", status_basis=(f"open while the area is on the {listed_by}"
                                         if on_list else "open while smelters or mines in "
                                         "the covered country are declared"),
            record="; ".join(facts), links=areas[code]))
    return out


def _answer_cell(f: SupplierFile, question: str, mineral: str) -> str:
    """Where ``f`` holds its answer to ``question`` for ``mineral``."""
    from ..templates.layouts import LAYOUTS

    layout = next((la for la in LAYOUTS if la.kind.value == f.kind
                   and f.version in la.versions), None)
    q = next((x for x in layout.questions if x.key == question), None) if layout else None
    fixed = [name_key(m) for m in layout.minerals.fixed] if layout else []
    if layout is None or q is None:
        return _where(f.file, "Declaration", None)
    if name_key(mineral) in fixed and len(q.rows) == len(fixed):
        return _where(f.file, layout.declaration_sheet,
                      f"{q.answer_col}{q.rows[fixed.index(name_key(mineral))]}")
    return _where(f.file, layout.declaration_sheet,
                  f"{q.answer_col}{q.rows[0]}:{q.answer_col}{q.rows[-1]}")


_ROLE_WORDS = {QuestionRole.COVERED_COUNTRIES: "the covered countries",
               QuestionRole.CAHRA: "conflict-affected and high-risk areas"}


def _answer_risks(c: Consolidation) -> list[Risk]:
    out = []
    for a in c.answers:
        role = a.role or ({"3": QuestionRole.COVERED_COUNTRIES, "4": QuestionRole.CAHRA}.get(
            a.question) if a.family == "CMRT" else None)
        if role not in _ROLE_WORDS:
            continue
        flagged = {k: n for k, n in a.counts.items() if k and k.casefold() != "no" and n}
        if not flagged:
            continue
        files = [f for f in c.files if f.kind == a.family
                 and f.status not in (FileStatus.SUPERSEDED, FileStatus.UNREADABLE)]
        answered = ", ".join(f"{n} {k!r}" for k, n in sorted(flagged.items()))
        total = sum(a.counts.values())
        assert role is not None
        out.append(_risk(
            f"answer:{a.family}:{a.mineral}:{role.value}", RiskSource.SUPPLIER_ANSWER,
            f"{a.family} question {a.question} ({a.mineral}): sourcing from {_ROLE_WORDS[role]}",
            _default(f"suppliers answered {answered} of {total}"), metal=a.mineral,
            level="red flag", status="open",
            status_basis="open until the answers are followed up with the suppliers",
            record=f"consolidated {a.family} answers to question {a.question} for "
                   f"{a.mineral}: {answered} of {total}",
            links=(RiskLink(supplier=f.supplier, metal=a.mineral,
                            reason=f"{f.company or f.supplier}: its "
                            f"{a.family} {f.version or ''} answer to question {a.question} for "
                            f"{a.mineral} is among the {counted(total, 'answer')} counted "
                            f"({answered} not 'No')",
                            locations=(_answer_cell(f, a.question, a.mineral),))
                   for f in files if f.supplier)))
    return out


def _audit_risks(c: Consolidation) -> list[Risk]:
    out = []
    for sm in c.smelters:
        if Flag.STATUS_EXPIRED not in sm.flags:
            continue
        ran_out = sm.valid_until.isoformat() if sm.valid_until else "a date not given"
        as_of = c.as_of.isoformat() if c.as_of else "the as-of date"
        status = next((s for s in c.snapshots if s.kind.startswith("status-list")), None)
        record = (f"conformance until {ran_out}, before {as_of}"
                  + (f" ({status.kind} {status.version or 'undated'})" if status else ""))
        out.append(_risk(
            f"audit:{sm.key}", RiskSource.EXPIRED_AUDIT,
            f"audit expired: {sm.name} ({sm.smelter_id or 'no ID'})",
            _default("an expired audit is a red flag, not a risk of a kind"), metal=sm.metal,
            level="red flag", status="open",
            status_basis="open until the smelter's conformance is renewed", record=record,
            links=(RiskLink(smelter=sm.key, supplier=r.supplier, metal=sm.metal,
                            reason=f"smelter {sm.name!r} ({sm.smelter_id or 'no ID'}), whose "
                                   f"conformance ran out on {ran_out}, is declared by "
                                   f"{r.supplier} ({_where(r.file, r.sheet, r.cell)})",
                            locations=(_where(r.file, r.sheet, r.cell),), record=record)
                   for r in sm.sources)))
    return out


def build_risk_register(c: Consolidation, *, incidents: Sequence[Incident] = (),
                        sites: Sequence[MineSite] = (), cahra: CahraList | None = None,
                        snapshots: Sequence[Snapshot] = (),
                        unreadable: Sequence[str] = ()) -> RiskRegister:
    """The register of ``c``: incidents, IPIS visits at linked sites, locations, supplier
    answers and expired audits, in that order (``snapshots``, ``unreadable``: what the
    upstream files read were, and their rows that could not be read)."""
    screens = screen_mines(c.mines, cahra=cahra, sites=sites)
    by_code = {s.code: s for s in sites}
    risks = [*_incident_risks(incidents, c, screens, by_code), *_ipis_risks(screens, by_code),
             *_location_risks(c, screens, cahra), *_answer_risks(c), *_audit_risks(c)]
    provinces = province_summary(sites, incidents) if sites or incidents else []
    return RiskRegister(risks=tuple(risks), provinces=tuple(provinces),
                        snapshots=(*c.snapshots, *snapshots,
                                   *((cahra.snapshot,) if cahra else ())),
                        unreadable=tuple(unreadable))


CSV_COLUMNS = ("risk", "source", "title", "metal", "annex_ii_category", "category_default",
               "category_basis", "level", "status", "status_basis", "response", "record",
               "smelter", "supplier", "link_reason", "locations", "link_record")
"""``risk-register.csv``: one row per link (a risk without links has one row, link columns
blank)."""


def register_csv(register: RiskRegister) -> str:
    """The register as CSV text, cells that a spreadsheet would evaluate made inert."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in register.risks:
        head = [r.id, r.source.value, r.title, r.metal or "", r.category.value,
                "yes" if r.category_default else "no", r.category_basis, r.level, r.status,
                r.status_basis, r.response.value, r.record]
        for link in r.links or (None,):
            tail = (["", "", "", "", ""] if link is None else
                    [link.smelter or "", link.supplier or "", link.reason,
                     "; ".join(link.locations), link.record or ""])
            writer.writerow([neutralise(v) for v in head + tail])
    return buffer.getvalue()
