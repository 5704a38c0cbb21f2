"""Form SD and its Conflict Minerals Report (Exhibit 1.01), drafted from a consolidation.

Every figure and every table row comes from :func:`report_data`, which reads only the company
profile, the consolidation and the determination. Its public part is laid out by the templates
``form-sd.j2`` and ``ex1-01.j2``, rendered once as EDGAR-acceptable HTML and once as Markdown:
it states supplier facts only in aggregate (answers by metal only where at least two suppliers
answered) and names no supplier, file, person or cell. Its internal part, the audit trail,
gives every conclusion and figure with its sources (``audit-trail.html`` and ``.md``).

What only the company can state (its narrative, measures it performed, signatures) is a
marked slot, never invented; what the user should do before filing (give a roster, confirm a
scope) is an action. Both are listed in ``checklist.md``, never in a public document.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from .._io.run import write_documents
from .._words import counted
from ..models.consolidation import (
    AnswerRollup,
    ConsolidatedSmelter,
    Consolidation,
    FileStatus,
)
from ..models.declaration import QuestionRole, TemplateKind
from ..models.matching import Flag, Snapshot, StatusKind
from ..models.profile import THREE_TG, CompanyProfile
from ..names import COVERED_COUNTRY_CODES, country_code, country_name, metal_key
from ..templates.releases import describe_accepted
from ..upstream.link import screen_mines, upstream_summary
from ..upstream.origin import OriginData
from ..upstream.risk import RiskRegister, build_risk_register
from ._audit import current_files, dodd_frank_trail, render_trail
from ._render import render_html, render_markdown
from .data import (
    STATUS_LABELS,
    STATUS_ORDER,
    Action,
    Countries,
    DoddFrankData,
    FormSdData,
    InquiryStatistics,
    ListUsed,
    MetalConclusion,
    MetalFigures,
    MetalOrigin,
    Slot,
    SmelterRow,
)
from .dodd_frank import Determination, MetalDetermination, Rcoi, cmrt_role, determine
from .origin import origin_section, origin_summary
from .risks import risk_figures

__all__ = ["PUBLIC_FILES", "company_statements", "covered_countries", "current_files",
           "lists_used", "render_dodd_frank", "render_form_sd", "report_data",
           "write_dodd_frank"]

_RCOI_TEXT = {
    Rcoi.NO_REASON: "no reason to believe that the metal may have originated in the Covered "
                    "Countries",
    Rcoi.REASON: "reason to believe that the metal may have originated in the Covered "
                 "Countries",
    Rcoi.KNOWN: "supplier information that the metal originated, at least in part, in the "
                "Covered Countries",
    Rcoi.UNDETERMINABLE: "insufficient supplier information to determine whether the metal "
                         "originated in the Covered Countries",
}
"""The outcome of the inquiry, as the documents word it."""

_STATEMENTS = {s.key: s for s in (
    Slot(key="file-number", title="Commission File Number",
         guidance="The registrant's Commission file number for the cover page."),
    Slot(key="cik", title="Central Index Key", guidance="The registrant's SEC CIK."),
    Slot(key="irs-number", title="I.R.S. Employer Identification No.",
         guidance="The registrant's IRS employer identification number for the cover page."),
    Slot(key="signature", title="Signature",
         guidance="Name, title and date of the officer signing the Form SD on the "
                  "registrant's behalf."),
    Slot(key="forward-looking", title="Forward-looking statements",
         guidance="The company's cautionary statement on forward-looking statements, if it "
                  "makes one."),
    Slot(key="products-description", title="Description of products",
         guidance="Describe the products in each category listed above."),
    Slot(key="suppliers-surveyed", title="Suppliers surveyed",
         guidance="The number of suppliers the company surveyed, and the response rate."),
    Slot(key="rcoi-narrative", title="How the inquiry was carried out",
         guidance="How suppliers were chosen and asked to report, in the company's own "
                  "words."),
    Slot(key="follow-up", title="Follow-up with suppliers",
         guidance="The follow-up actions taken on missing, incomplete or inconsistent "
                  "responses and on declarations on an older template."),
    Slot(key="accepted-versions", title="Template versions accepted",
         guidance="The CMRT versions the company accepted from its suppliers."),
    Slot(key="oecd-step-1", title="OECD step 1: management systems",
         guidance="Policy, internal team, supplier engagement and grievance mechanism in "
                  "place during the year."),
    Slot(key="oecd-step-3", title="OECD step 3: response to identified risks",
         guidance="The risk-management plan and the actions taken on the risks found."),
    Slot(key="countries-of-origin", title="Countries of origin",
         guidance="The company's determination of the countries of origin, if it could make "
                  "one."),
    Slot(key="mine-origin-efforts",
         title="Efforts to determine the mine or location of origin",
         guidance="Describe the efforts made to determine the mine or location of origin "
                  "with the greatest possible specificity."),
    Slot(key="conflict-free", title="DRC conflict free",
         guidance="Whether the company describes any product as \"DRC conflict free\"; if it "
                  "does, the independent private-sector audit that statement requires."),
    Slot(key="mitigation-steps", title="Steps to mitigate risk",
         guidance="Steps taken or to be taken since the end of the period to mitigate the "
                  "risk that the necessary conflict minerals benefit armed groups."),
    Slot(key="website", title="Publication address",
         guidance="The address of the registrant's website where this Form SD and the "
                  "report are published."),
)}
"""Every statement the drafts may leave to the company, in the order the checklist lists
them."""


def _statements(profile: CompanyProfile, d: Determination, accepted: str | None,
                surveyed: int | None) -> tuple[Slot, ...]:
    """The statements this draft leaves to the company: those its documents mark, and the
    figures the data could not give."""
    in_scope = any(m.in_scope and not m.excluded_pre_2013 for m in d.metals)
    report = d.report_required
    wanted = {
        "file-number": not profile.commission_file_number,
        "cik": not profile.cik,
        "irs-number": True,
        "signature": True,
        "forward-looking": report,
        "products-description": report,
        "suppliers-surveyed": (in_scope or report) and surveyed is None,
        "rcoi-narrative": in_scope or report,
        "follow-up": report,
        "accepted-versions": report and accepted is None,
        "oecd-step-1": report,
        "oecd-step-3": report,
        "countries-of-origin": report,
        "mine-origin-efforts": report,
        "conflict-free": report,
        "mitigation-steps": report,
        "website": not profile.website,
    }
    return tuple(s for key, s in _STATEMENTS.items() if wanted[key])


def _actions(d: Determination, c: Consolidation, accepted: str | None,
             necessary: dict[str, bool]) -> tuple[Action, ...]:
    """What the user should do or confirm before filing, from what the data lacks."""
    out = []
    if c.suppliers_surveyed is None:
        out.append(Action(key="roster", title="Give a supplier roster",
                          detail="consolidate again with the list of suppliers surveyed "
                                 "(--roster) so that the draft states the number surveyed "
                                 "and the response rate, or write them in the slot."))
    if accepted is None and d.report_required:
        out.append(Action(key="accepted-versions", title="Record the accepted versions",
                          detail="consolidate again (the accepted versions are recorded "
                                 "with --accept) so that the draft states them from the "
                                 "data, or write them in the slot."))
    if not any(s.kind.startswith("status-list") for s in c.snapshots):
        out.append(Action(key="status-list", title="Give an audit-status list",
                          detail="consolidate again with the RMI facilities lists "
                                 "(--status-list, conformant and active) dated to the "
                                 "reporting period; without them every status is unknown."))
    for m in d.metals:
        if necessary[m.metal] and not m.in_scope and not m.excluded_pre_2013:
            out.append(Action(key=f"confirm-{m.metal.lower()}",
                              title=f"Confirm the scope for {m.metal}",
                              detail=f"the profile says {m.metal} is necessary to a product, "
                                     "but no supplier reports it as used: correct the profile "
                                     "or follow up with the suppliers before filing."))
    return tuple(out)


_COVERED_NAMES = {"CD": "the Democratic Republic of the Congo",
                  "CG": "the Republic of the Congo"}


def covered_countries() -> tuple[str, ...]:
    """The Covered Countries by name: the Democratic Republic of the Congo first, then the
    adjoining countries in alphabetical order."""
    names = sorted(_COVERED_NAMES.get(c) or country_name(c) or c
                   for c in COVERED_COUNTRY_CODES if c != "CD")
    return (_COVERED_NAMES["CD"], *sorted(names, key=lambda n: n.removeprefix("the ")))


_TEMPLATE_ANSWERS = ("Yes", "No", "Unknown")


def _public_answers(counts: dict[str, int]) -> dict[str, int]:
    """Supplier answers by kind, blanks left out and any text the template does not offer
    counted as "another answer"."""
    out: Counter[str] = Counter()
    for k, v in counts.items():
        if k:
            out[k if k in _TEMPLATE_ANSWERS else "another answer"] += v
    return dict(sorted(out.items()))


def _conclusion(m: MetalDetermination, necessary: bool, c: Consolidation,
                figures: MetalFigures, answers: dict[tuple[str | None, QuestionRole],
                                                      AnswerRollup],
                origin: MetalOrigin | None = None) -> MetalConclusion:
    """The public statement of one metal's determination."""
    key = metal_key(m.metal)
    used = any(a is not None and a.answer == "Yes"
               for a in (answers.get((key, r)) for r in
                         (QuestionRole.NECESSARY, QuestionRole.REMAINS)))
    covered = answers.get((key, QuestionRole.COVERED_COUNTRIES))
    kinds = _public_answers(dict(covered.counts)) if covered is not None else {}
    respondents = sum(kinds.values())
    shown = kinds if respondents >= 2 else None
    parts: list[str] = []
    if m.excluded_pre_2013:
        parts.append(f"All {m.metal} was outside the supply chain before 31 January 2013.")
    elif not necessary:
        parts.append(f"{m.metal} is not necessary to the products the registrant manufactures "
                     "or contracts to manufacture.")
    elif not m.in_scope:
        parts.append(f"{m.metal} is necessary to the registrant's products; no supplier "
                     "reported it in the products it supplies.")
    else:
        if shown:
            listed = ", ".join(f"{v} {k}" for k, v in shown.items())
            parts.append(f"{counted(respondents, 'supplier')} answered whether their "
                         f"smelters source {m.metal} from the Covered Countries ({listed}).")
        elif respondents == 1:
            parts.append(f"One supplier answered whether its smelters source {m.metal} from "
                         "the Covered Countries; the result above follows from that answer.")
        else:
            parts.append(f"No supplier answered whether its smelters source {m.metal} from "
                         "the Covered Countries.")
        mines = sorted({_country(x.country_code, x.country) for x in c.mines
                        if metal_key(x.metal) == key
                        and x.country_code in COVERED_COUNTRY_CODES})
        if mines:
            parts.append(f"Suppliers declared mines in {_join(mines)}.")
        if figures.located_in_covered_countries:
            n = figures.located_in_covered_countries
            parts.append(f"{counted(n, 'identified facility', 'identified facilities')} "
                         f"{'is' if n == 1 else 'are'} located in a Covered Country.")
        if m.recycled_only:
            parts.append(f"Suppliers reported the {m.metal} as coming from recycled or scrap "
                         "sources only.")
        if origin is not None and origin.basis:
            parts.append(origin.basis)
    return MetalConclusion(
        metal=m.metal, necessary=necessary, reported_used=used, in_scope=m.in_scope,
        excluded_pre_2013=m.excluded_pre_2013, recycled_only=m.recycled_only, rcoi=m.rcoi,
        due_diligence_required=m.due_diligence_required, respondents=respondents,
        answers=shown, basis=" ".join(parts))


def _country(code: str | None, text: str | None) -> str:
    """A country as the public documents name it: by its ISO name when known."""
    return country_name(code) or (text or "").strip() or "unknown"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _figures(metal: str, rows: list[ConsolidatedSmelter], unconfirmed: int) -> MetalFigures:
    status = Counter(s.status for s in rows)
    conformant = status[StatusKind.CONFORMANT]
    return MetalFigures(
        metal=metal, smelters_identified=len(rows), conformant=conformant,
        active=status[StatusKind.ACTIVE], not_enrolled=status[StatusKind.NOT_ENROLLED],
        non_conformant=status[StatusKind.NON_CONFORMANT],
        status_unknown=status[StatusKind.UNKNOWN],
        percent_conformant=round(100 * conformant / len(rows), 1) if rows else None,
        unconfirmed_facilities=unconfirmed,
        located_in_covered_countries=sum(Flag.COVERED_COUNTRY in s.flags for s in rows))


_LIST_TITLES = {"smelter-reference": "the Smelter Look-up list of the RMI {detail}",
                "legacy-ids": "the RMI legacy smelter identifiers",
                "status-list": "the RMI facilities list ({detail})",
                "cahra": "the EU indicative list of conflict-affected and high-risk areas",
                "eu-annex-i": "Annex I of Regulation (EU) 2017/821",
                "eu-imports": "the company's import records",
                "ipis-mine-sites": "IPIS artisanal mine sites",
                "itsci-incidents": "ITSCI incident records"}


def lists_used(snapshots: tuple[Snapshot, ...]) -> tuple[ListUsed, ...]:
    """The reference data as a public document names it: what each list is and its date or
    version, never the path it was read from."""
    out = []
    for s in snapshots:
        kind, _, detail = s.kind.partition(":")
        title = _LIST_TITLES.get(kind, kind).format(detail=detail or kind)
        if kind == "status-list" and detail in ("", "rmi"):
            title = "the RMI facilities list"
        out.append(ListUsed(kind=s.kind, title=title, version=s.version))
    return tuple(out)


_SCOPES = {"A": "company", "B": "product", "C": "user defined"}


def report_data(profile: CompanyProfile, consolidation: Consolidation,
                determination: Determination | None = None,
                origin: OriginData | None = None,
                register: RiskRegister | None = None) -> DoddFrankData:
    """Everything the draft states (written as ``report-data.json`` beside it): the public
    part the documents are drawn from, and the internal audit trail. ``origin``:
    country-of-origin data per smelter, for the countries of origin and the inquiry.
    ``register``: the risk register (built from the consolidation alone when not given); its
    3TG risks are counted in the report and listed in the audit trail."""
    c = consolidation
    d = determination or determine(profile, c, origin)
    summary = origin_summary(c, origin, THREE_TG) if origin is not None else None
    by_metal = {m.metal: m for m in summary.metals} if summary else {}
    risks = (register or build_risk_register(c)).for_metals(THREE_TG)
    three_tg = {metal_key(m) for m in THREE_TG}
    smelters = sorted(
        (s for s in c.smelters
         if metal_key(s.metal) in three_tg and not s.needs_review and s.smelter_id),
        key=lambda s: (STATUS_ORDER.index(s.status),
                       THREE_TG.index(s.metal) if s.metal in THREE_TG else 9, s.name,
                       s.smelter_id or ""))
    unconfirmed = [s for s in c.smelters if metal_key(s.metal) in three_tg and s.needs_review]
    current = current_files(c)
    responded = len({f.supplier for f in current})
    on_roster = (len({f.supplier for f in current if f.on_roster})
                 if c.suppliers_surveyed is not None else None)
    outside = sum(any(x.code == "template-version-not-accepted" for x in f.findings)
                  for f in current)
    per_metal = [_figures(metal, [s for s in smelters if s.metal == metal],
                          sum(s.metal == metal for s in unconfirmed)) for metal in THREE_TG]
    total = _figures("Total", smelters, len(unconfirmed))
    surveyed = c.suppliers_surveyed
    accepted = describe_accepted(c.accepted_versions, TemplateKind.CMRT)
    answers = {(metal_key(a.mineral), role): a for a in c.answers
               if a.family == "CMRT" and (role := a.role or cmrt_role(a.question))}
    necessary = {m: any(m in p.metals and (p.manufactured or p.contracted)
                        for p in profile.products) for m in THREE_TG}
    figures = {f.metal: f for f in per_metal}
    scopes = Counter(_SCOPES.get(f.scope or "", "not stated") for f in current)
    statistics = InquiryStatistics(
        suppliers_surveyed=surveyed, suppliers_responded=responded,
        responded_on_roster=on_roster,
        response_rate=round(100 * on_roster / surveyed, 1)
        if surveyed and on_roster is not None else None,
        templates=dict(sorted(Counter(f"{f.kind} {f.version}" for f in current).items())),
        declarations_outside_accepted_versions=outside,
        resubmissions=sum(f.kind == "CMRT" and f.status is FileStatus.SUPERSEDED
                          for f in c.files),
        declarations_with_errors=sum(f.status is FileStatus.ERRORS for f in current),
        declarations_with_warnings=sum(f.status is FileStatus.WARNINGS for f in current),
        scopes={k: scopes[k] for k in (*_SCOPES.values(), "not stated") if scopes[k]},
        per_metal=tuple(per_metal), total=total)
    status_lists = [s for s in lists_used(c.snapshots) if s.kind.startswith("status-list")]
    public = FormSdData(
        registrant=profile, reporting_year=d.reporting_year,
        filing_deadline=d.filing_deadline, form_sd_required=d.form_sd_required,
        report_required=d.report_required, covered_countries=covered_countries(),
        determination=tuple(_conclusion(m, necessary[m.metal], c, figures[m.metal], answers,
                                        by_metal.get(m.metal))
                            for m in d.metals),
        statistics=statistics,
        smelters=tuple(SmelterRow(metal=s.metal, name=s.name, country=s.country,
                                  smelter_id=s.smelter_id or "", status=s.status)
                       for s in smelters),
        declared_mines=tuple(upstream_summary(screen_mines(
            m for m in c.mines if metal_key(m.metal) in three_tg))),
        countries=Countries(
            declared_mines=_by_metal((m.metal, _country(m.country_code, m.country))
                                     for m in c.mines if m.country_code
                                     and metal_key(m.metal) in three_tg),
            facilities=_by_metal((s.metal, _country(country_code(s.country), s.country))
                                 for s in smelters if s.country),
            inquiry={m.metal: m.countries for m in by_metal.values() if m.countries}),
        origin=summary,
        lists_used=lists_used(c.snapshots),
        status_list=ListUsed(kind="status-list",
                             title="; ".join(s.title for s in status_lists),
                             version="; ".join(s.version or "undated" for s in status_lists))
        if status_lists else None,
        accepted_versions=c.accepted_versions, accepted_cmrt_versions=accepted,
        checklist=_statements(profile, d, accepted, surveyed),
        actions=_actions(d, c, accepted, necessary), risks=risk_figures(risks))
    trail = dodd_frank_trail(public, c, d, risks)
    if origin is not None:
        trail = trail.model_copy(update={
            "sections": (*trail.sections, origin_section(c, origin, THREE_TG)),
            "snapshots": (*trail.snapshots, origin.snapshot)})
    return DoddFrankData(public=public, internal=trail)


def _by_metal(pairs: Iterable[tuple[str | None, str]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, set[str]] = {}
    for metal, country in pairs:
        if metal and country != "unknown":
            out.setdefault(metal, set()).add(country)
    return {m: tuple(sorted(out[m])) for m in THREE_TG if m in out}


def company_statements(profile: CompanyProfile, consolidation: Consolidation) -> list[Slot]:
    """The statements the company must still write for this draft, in the order the
    checklist lists them."""
    return list(report_data(profile, consolidation).public.checklist)


def render_dodd_frank(profile: CompanyProfile, consolidation: Consolidation,
                      origin: OriginData | None = None,
                      register: RiskRegister | None = None) -> dict[str, str]:
    """The draft by file name: the public documents (Form SD and Exhibit 1.01 as EDGAR HTML
    and as Markdown), and the internal ones (the checklist, the audit trail, the data)."""
    return render_form_sd(report_data(profile, consolidation, origin=origin, register=register))


PUBLIC_FILES = ("form-sd.htm", "form-sd.md", "ex1-01.htm", "ex1-01.md")
"""The SEC documents that may be filed and published; every other file is internal."""


def render_form_sd(data: DoddFrankData) -> dict[str, str]:
    """The draft of ``data`` by file name (see :func:`render_dodd_frank`); the Exhibit only
    when a report is required. The public documents see only ``data.public``."""
    d = data.public
    files = {"form-sd.htm": render_html("form-sd.j2", d=d, rcoi_text=_RCOI_TEXT),
             "form-sd.md": render_markdown("form-sd.j2", d=d, rcoi_text=_RCOI_TEXT)}
    if d.report_required:
        files["ex1-01.htm"] = render_html("ex1-01.j2", d=d, rcoi_text=_RCOI_TEXT,
                                          labels=STATUS_LABELS, order=STATUS_ORDER)
        files["ex1-01.md"] = render_markdown("ex1-01.j2", d=d, rcoi_text=_RCOI_TEXT,
                                             labels=STATUS_LABELS, order=STATUS_ORDER)
    files["checklist.md"] = render_markdown("checklist.md.j2", slots=d.checklist,
                                            actions=d.actions)
    files.update(render_trail(data.internal, "audit-trail"))
    files["report-data.json"] = json.dumps(data.model_dump(mode="json"), indent=2,
                                           ensure_ascii=False) + "\n"
    return files


def write_dodd_frank(profile: CompanyProfile, consolidation: Consolidation,
                     outdir: str | Path, origin: OriginData | None = None,
                     register: RiskRegister | None = None) -> list[Path]:
    """Write the draft (see :func:`render_dodd_frank`) into ``outdir`` as one run: every
    document or none, and a document an earlier draft had and this one has not (the
    Exhibit when no report is required any more) removed."""
    return write_documents(outdir, render_dodd_frank(profile, consolidation, origin, register),
                           name="dodd-frank")
