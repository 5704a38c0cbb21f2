"""Form SD and its Conflict Minerals Report (Exhibit 1.01), drafted from a consolidation.

Every figure and every table row comes from :func:`report_data`, which reads only the company
profile, the consolidation and the determination; the documents are that data laid out by the
templates ``form-sd.j2`` and ``ex1-01.j2``, rendered once as EDGAR-acceptable HTML and once as
Markdown. What only the company can state (its narrative, measures it performed, signatures)
is a marked slot, never invented, and every slot is listed in the checklist printed with the
draft.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from .._io.run import output_run, write_atomic
from ..models.consolidation import Consolidation
from ..models.declaration import TemplateKind
from ..models.matching import Flag, StatusKind
from ..models.profile import THREE_TG, CompanyProfile
from ..names import metal_key
from ..templates.releases import describe_accepted
from ..upstream.link import screen_mines, upstream_summary
from ._render import render_html, render_markdown
from .data import FormSdData, InquiryStatistics, MetalFigures, Slot, SmelterRow
from .dodd_frank import Determination, Rcoi, determine

__all__ = ["company_statements", "render_dodd_frank", "render_form_sd", "report_data",
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
    Slot(key="products-description", title="Description of products",
         guidance="Describe the products in each category named in the profile, in the "
                  "company's own words."),
    Slot(key="rcoi-narrative", title="How the inquiry was carried out",
         guidance="Describe how suppliers were chosen, asked and followed up, in the "
                  "company's own words; the figures below come from the data."),
    Slot(key="oecd-step-1", title="OECD step 1: management systems",
         guidance="Policy, internal team, supplier engagement and grievance mechanism in "
                  "place during the year."),
    Slot(key="oecd-step-3", title="OECD step 3: response to identified risks",
         guidance="The risk-management plan and the actions taken on the risks found."),
    Slot(key="countries-of-origin", title="Countries of origin",
         guidance="State the countries of origin the company could determine; supplier "
                  "templates and smelter locations do not establish the origin of the ore."),
    Slot(key="mine-origin-efforts",
         title="Efforts to determine the mine or location of origin",
         guidance="Describe the efforts made to determine the mine or location of origin "
                  "with the greatest possible specificity."),
    Slot(key="mitigation-steps", title="Steps to mitigate risk",
         guidance="Steps taken or to be taken since the end of the period to mitigate the "
                  "risk that the necessary conflict minerals benefit armed groups."),
    Slot(key="website", title="Publication address",
         guidance="The address of the registrant's website where this Form SD and the "
                  "report are published."),
    Slot(key="accepted-versions", title="Template versions accepted",
         guidance="The CMRT versions the company accepted from its suppliers (the "
                  "consolidation did not record them; consolidate again to state them from "
                  "the data)."),
    Slot(key="suppliers-surveyed", title="Suppliers surveyed",
         guidance="The number of suppliers surveyed (give a supplier roster to compute it "
                  "and the response rate)."),
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
        "products-description": report,
        "rcoi-narrative": in_scope or report,
        "oecd-step-1": report,
        "oecd-step-3": report,
        "countries-of-origin": report,
        "mine-origin-efforts": report,
        "mitigation-steps": report,
        "website": not profile.website,
        "accepted-versions": report and accepted is None,
        "suppliers-surveyed": surveyed is None,
    }
    return tuple(s for key, s in _STATEMENTS.items() if wanted[key])


def report_data(profile: CompanyProfile, consolidation: Consolidation,
                determination: Determination | None = None) -> FormSdData:
    """Everything the documents state (written as ``report-data.json`` beside them)."""
    d = determination or determine(profile, consolidation)
    three_tg = {metal_key(m) for m in THREE_TG}
    smelters = sorted(
        (s for s in consolidation.smelters
         if metal_key(s.metal) in three_tg and not s.needs_review and s.smelter_id),
        key=lambda s: (THREE_TG.index(s.metal) if s.metal in THREE_TG else 9, s.name,
                       s.smelter_id or ""))
    unconfirmed = Counter(s.metal for s in consolidation.smelters
                          if metal_key(s.metal) in three_tg and s.needs_review)
    current = [f for f in consolidation.files if f.kind == "CMRT"
               and f.status.value not in ("superseded", "unreadable")]
    responded = len({f.supplier for f in current})
    outside = sum(any(x.code == "template-version-not-accepted" for x in f.findings)
                  for f in current)
    per_metal = []
    for metal in THREE_TG:
        rows = [s for s in smelters if s.metal == metal]
        status = Counter(s.status for s in rows)
        per_metal.append(MetalFigures(
            metal=metal, smelters_identified=len(rows),
            conformant=status[StatusKind.CONFORMANT], active=status[StatusKind.ACTIVE],
            non_conformant=status[StatusKind.NON_CONFORMANT],
            status_unknown=status[StatusKind.UNKNOWN],
            unconfirmed_facilities=unconfirmed.get(metal, 0),
            located_in_covered_countries=sum(Flag.COVERED_COUNTRY in s.flags for s in rows)))
    surveyed = consolidation.suppliers_surveyed
    accepted = describe_accepted(consolidation.accepted_versions, TemplateKind.CMRT)
    return FormSdData(
        registrant=profile, reporting_year=d.reporting_year,
        filing_deadline=d.filing_deadline, form_sd_required=d.form_sd_required,
        report_required=d.report_required, determination=d.metals,
        statistics=InquiryStatistics(
            suppliers_surveyed=surveyed, suppliers_responded=responded,
            response_rate=round(100 * responded / surveyed, 1) if surveyed else None,
            templates=dict(sorted(Counter(f"{f.kind} {f.version}" for f in current).items())),
            declarations_outside_accepted_versions=outside, per_metal=tuple(per_metal)),
        smelters=tuple(SmelterRow(metal=s.metal, name=s.name, country=s.country,
                                  smelter_id=s.smelter_id or "", status=s.status)
                       for s in smelters),
        declared_mines=tuple(upstream_summary(screen_mines(
            m for m in consolidation.mines if metal_key(m.metal) in three_tg))),
        snapshots=consolidation.snapshots, accepted_versions=consolidation.accepted_versions,
        accepted_cmrt_versions=accepted,
        checklist=_statements(profile, d, accepted, surveyed))


def company_statements(profile: CompanyProfile, consolidation: Consolidation) -> list[Slot]:
    """The statements the company must still write into the draft itself, as
    ``checklist.md`` lists them."""
    return list(report_data(profile, consolidation).checklist)


def render_dodd_frank(profile: CompanyProfile, consolidation: Consolidation
                      ) -> dict[str, str]:
    """The draft documents by file name: Form SD and Exhibit 1.01 as EDGAR HTML and as
    Markdown, the data behind them as JSON, and the checklist of the company's statements."""
    return render_form_sd(report_data(profile, consolidation))


def render_form_sd(data: FormSdData) -> dict[str, str]:
    """The draft documents of ``data`` by file name (see :func:`render_dodd_frank`); the
    Exhibit only when a report is required."""
    files = {"form-sd.htm": render_html("form-sd.j2", d=data, rcoi_text=_RCOI_TEXT),
             "form-sd.md": render_markdown("form-sd.j2", d=data, rcoi_text=_RCOI_TEXT)}
    if data.report_required:
        files["ex1-01.htm"] = render_html("ex1-01.j2", d=data, rcoi_text=_RCOI_TEXT)
        files["ex1-01.md"] = render_markdown("ex1-01.j2", d=data, rcoi_text=_RCOI_TEXT)
    files["checklist.md"] = render_markdown("checklist.md.j2", slots=data.checklist)
    files["report-data.json"] = json.dumps(data.model_dump(mode="json"), indent=2,
                                           ensure_ascii=False) + "\n"
    return files


def write_dodd_frank(profile: CompanyProfile, consolidation: Consolidation,
                     outdir: str | Path) -> list[Path]:
    """Write the draft (see :func:`render_dodd_frank`) into ``outdir`` as one run: every
    document or none, and a document an earlier draft had and this one has not (the
    Exhibit when no report is required any more) removed."""
    folder = Path(outdir)
    written = []
    files = render_dodd_frank(profile, consolidation)
    with output_run(folder, name="dodd-frank"):
        for name, text in files.items():
            write_atomic(folder / name, text)
            written.append(folder / name)
    return written
