"""Regulation (EU) 2017/821 for a Union importer: the obligations checklist (Articles 4 to 7)
with what the data shows, the Article 7(3) annual public report, the Article 7(1) pack for
the competent authority and the Article 4 chain-of-custody records, from a consolidation,
the import records and the company profile.

As for the SEC report, every figure comes from the data, written beside the documents as
JSON, and what only the company can state is a marked slot listed in the checklist.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .._io.run import write_documents
from .._io.text import neutralise
from .._words import counted
from ..models.consolidation import Consolidation
from ..models.matching import Flag, Snapshot, StatusKind
from ..models.profile import THREE_TG, CompanyProfile
from ..names import metal_key
from ..refdata.regions import CahraList
from ..upstream.ipis import MineSite
from ..upstream.link import screen_mines, upstream_summary
from ..upstream.origin import OriginData
from ..upstream.risk import RiskRegister, build_risk_register
from ._audit import audit_files, facility_sections, file_fact, render_trail, risk_section
from ._render import render_html, render_markdown
from .data import (
    STATUS_ORDER,
    Action,
    AuditEntry,
    AuditSection,
    AuditTrail,
    EuData,
    EuReportData,
    EuSmelterRow,
    Obligation,
    Slot,
)
from .documents import current_files, lists_used
from .dodd_frank import Fact
from .eu import ScopeReport
from .origin import origin_section, origin_summary
from .risks import risk_figures

__all__ = ["PUBLIC_FILES", "eu_report_data", "render_eu", "render_eu_report", "write_eu"]

_SLOTS = (
    Slot(key="policy", title="Supply chain policy (Art. 4(a))",
         guidance="The policy for minerals and metals potentially from conflict-affected and "
                  "high-risk areas, consistent with Annex II of the OECD Guidance, and how it "
                  "is communicated to suppliers and the public."),
    Slot(key="management", title="Management structure (Art. 4(b))",
         guidance="Who in senior management is responsible, and the resources given."),
    Slot(key="contracts", title="Policy in supplier contracts (Art. 4(d))",
         guidance="How the policy is written into contracts and agreements with suppliers."),
    Slot(key="grievance", title="Grievance mechanism (Art. 4(e))",
         guidance="The early-warning risk-awareness system or grievance mechanism."),
    Slot(key="risk-response", title="Risk management plan and response (Art. 5)",
         guidance="How identified risks were reported to senior management and the strategy "
                  "adopted: continue trading while mitigating, suspend, or disengage."),
    Slot(key="audit", title="Third-party audit (Art. 6)",
         guidance="The independent third-party audit carried out: scope, auditor's name, "
                  "date and conclusions (or the exemption relied on)."),
    Slot(key="downstream", title="Information to downstream purchasers (Art. 7(2))",
         guidance="How due-diligence information is made available to immediate downstream "
                  "purchasers."),
)
"""The statements the company must write, in the order the checklist lists them."""

_FILES = ("eu-annual-report.htm", "eu-annual-report.md", "eu-obligations.md",
          "chain-of-custody.csv", "competent-authority-pack.json", "eu-audit-trail.html",
          "eu-audit-trail.md", "eu-report-data.json", "eu-checklist.md")
"""The EU documents, in the order they are written and listed."""

PUBLIC_FILES = ("eu-annual-report.htm", "eu-annual-report.md")
"""The EU documents that are published (Article 7(3)); the others are internal, or (the
competent-authority pack, the chain-of-custody records) given to the authority on request."""

_PACK = {"importer", "reporting_year", "scope", "smelters", "smelter_status"}
"""What the Article 7(1) pack for the competent authority holds of the public data (with the
snapshots of the reference data, from the internal part)."""


def eu_report_data(profile: CompanyProfile, consolidation: Consolidation,
                   scope: ScopeReport | None = None, cahra: CahraList | None = None,
                   sites: Sequence[MineSite] = (), origin: OriginData | None = None,
                   register: RiskRegister | None = None) -> EuData:
    """Everything the EU documents state (written as ``eu-report-data.json`` beside them):
    the public part the annual report is drawn from, and the internal audit trail.
    ``origin``: country-of-origin data per smelter, stated per metal (Article 4 data on the
    origin of the metals) and screened against ``cahra`` when given. ``register``: the risk
    register (built from the consolidation, ``cahra`` and ``sites`` when not given); its 3TG
    risks make the Article 5 risk-management plan."""
    risks = (register or build_risk_register(consolidation, sites=sites, cahra=cahra)
             ).for_metals(THREE_TG)
    three = {metal_key(m) for m in THREE_TG}
    smelters = sorted((s for s in consolidation.smelters if metal_key(s.metal) in three
                       and s.smelter_id and not s.needs_review),
                      key=lambda s: (STATUS_ORDER.index(s.status), s.metal, s.name))
    status = Counter(s.status for s in smelters)
    year = profile.reporting_year
    lines = [x for x in (scope.lines if scope else ()) if x.year == year]
    origins: dict[str, float] = {}
    for x in lines:
        for k, v in x.origins.items():
            origins[k] = origins.get(k, 0.0) + v
    cahra_origins = sorted(k for k in origins if cahra is not None and cahra.lookup(k))
    screens = screen_mines((m for m in consolidation.mines if metal_key(m.metal) in three),
                           cahra=cahra, sites=sites)
    mine_cahra = sorted({f"{s.mine.metal} {s.mine.country_code}" for s in screens
                         if s.cahra is not False and cahra is not None})
    snapshots = (*consolidation.snapshots, *((scope.annex, scope.imports) if scope else ()),
                 *((cahra.snapshot,) if cahra else ()),
                 *((origin.snapshot,) if origin else ()))
    data = EuReportData(
        importer=profile, reporting_year=year, scope=tuple(lines),
        imports_assessed=scope is not None,
        in_scope_lines=tuple(x.line for x in lines if x.status == "in-scope"),
        unconfirmed_lines=tuple(x.line for x in lines
                                if x.status == "threshold-not-confirmed"),
        import_origins_kg=dict(sorted(origins.items())),
        import_origins_in_cahra_list=tuple(cahra_origins),
        declared_mines=tuple(upstream_summary(screens)),
        declared_mines_in_cahra_list=tuple(mine_cahra),
        smelters=tuple(EuSmelterRow(metal=s.metal, name=s.name, country=s.country,
                                    smelter_id=s.smelter_id or "", status=s.status,
                                    flags=s.flags) for s in smelters),
        smelter_status={k: status[k] for k in StatusKind},
        smelters_flagged={f: sum(f in s.flags for s in smelters)
                          for f in (Flag.COVERED_COUNTRY, Flag.CAHRA, Flag.CAHRA_REGION)},
        suppliers_responded=len({f.supplier for f in consolidation.files
                                 if f.kind == "CMRT" and f.status.value not in
                                 ("superseded", "unreadable")}),
        smelters_screened=any(x.kind == "cahra" for x in consolidation.snapshots),
        origins_screened=cahra is not None,
        origin=origin_summary(consolidation, origin, THREE_TG, cahra, screen=True)
        if origin is not None else None,
        lists_used=lists_used(snapshots), obligations=(), slots=_SLOTS, actions=(),
        risks=risk_figures(risks))
    public = data.model_copy(update={"obligations": _obligations(data),
                                     "actions": _actions(data)})
    trail = _trail(public, consolidation, scope, snapshots)
    trail = trail.model_copy(update={
        "sections": (*trail.sections, risk_section(risks)),
        "snapshots": (*snapshots, *(x for x in risks.snapshots if x not in snapshots))})
    if origin is not None:
        trail = trail.model_copy(update={
            "sections": (*trail.sections, origin_section(consolidation, origin, THREE_TG))})
    return EuData(public=public, internal=trail)


def _actions(d: EuReportData) -> tuple[Action, ...]:
    """What the user should do before publishing, from what the data lacks."""
    out = []
    if not d.smelters_screened:
        out.append(Action(key="cahra-smelters", title="Screen the smelters",
                          detail="consolidate again with the EU indicative CAHRA list "
                                 "(--cahra) to screen the smelter and refiner locations."))
    if not d.origins_screened:
        out.append(Action(key="cahra-origins", title="Screen the origins",
                          detail="run report eu with the CAHRA list (--cahra) to screen the "
                                 "import origins and the declared mine countries."))
    if not d.scope:
        out.append(Action(key="imports", title="Give the import records",
                          detail="run report eu with the import records (--imports) to "
                                 "state the Annex I lines in scope."))
    return tuple(out)


def _trail(d: EuReportData, c: Consolidation, scope: ScopeReport | None,
           snapshots: tuple[Snapshot, ...]) -> AuditTrail:
    """The audit trail of the EU draft: the files, the facility counts, the flags, the
    import origins and the records behind them."""
    flagged = []
    for flag in (Flag.COVERED_COUNTRY, Flag.CAHRA, Flag.CAHRA_REGION):
        these = [s for s in c.smelters if flag in s.flags and not s.needs_review
                 and s.smelter_id and s.metal in THREE_TG]
        flagged.append(AuditEntry(subject=f"Smelters flagged {flag.value}", value=str(len(these)),
                                  facts=tuple(Fact(statement=f"{s.name} ({s.smelter_id}, "
                                                             f"{s.country or '-'})",
                                                   source="consolidation, smelter flags",
                                                   locations=tuple(f"{r.file} [{r.sheet}!"
                                                                   f"{r.cell}]"
                                                                   for r in s.sources))
                                              for s in these)))
    source = scope.imports.source if scope else ""
    origins = []
    year = d.reporting_year
    for country, kg in d.import_origins_kg.items():
        records = [r for r in (scope.records if scope else ())
                   if r.date.year == year
                   and (r.origin_code or r.origin or "unknown") == country]
        origins.append(AuditEntry(
            subject=f"Imports from {country}", value=f"{kg:,.1f} kg",
            facts=tuple(Fact(statement=f"{r.quantity_kg} kg of {r.cn} from "
                                       f"{r.supplier or 'unnamed supplier'}",
                             source="import records",
                             locations=(f"{source} [row {r.row}]",)) for r in records)))
    responded = current_files(c)
    lines = tuple(AuditEntry(
        subject=f"Annex I line {x.line}: {x.status}", value=f"{x.counted_kg:,.1f} kg counted",
        facts=(Fact(statement=x.explanation, source="import records, Annex I",
                    locations=tuple(f"{source} [row {r}]" for r in x.rows)),))
        for x in d.scope)
    return AuditTrail(
        title=f"Audit trail: EU supply chain due diligence report {year}",
        reporting_year=year, files=audit_files(c),
        sections=(AuditSection(title="Supplier declarations", entries=(AuditEntry(
                      subject="Supplier declarations consolidated (CMRT)",
                      value=str(d.suppliers_responded),
                      facts=tuple(file_fact(f, "current declaration") for f in responded)),)),
                  *facility_sections(c, THREE_TG),
                  AuditSection(title="Imports in scope", entries=lines),
                  AuditSection(title="Risk flags", entries=tuple(flagged)),
                  AuditSection(title="Import origins", entries=tuple(origins))),
        snapshots=snapshots)


_NOT_SCREENED_SMELTERS = ("not screened (the consolidation was made without a CAHRA list; "
                          "run consolidate with --cahra)")
_NOT_SCREENED_ORIGINS = "not screened (no CAHRA list given; pass --cahra)"
"""How the internal obligations checklist says a screen was not made."""

_PUBLIC_NOT_SCREENED = "not assessed against the EU indicative list for this report"
"""How the public report says it."""


def _smelters_in_cahras(d: EuReportData, public: bool = False) -> str:
    if d.smelters_screened:
        return str(d.smelters_flagged[Flag.CAHRA])
    return _PUBLIC_NOT_SCREENED if public else _NOT_SCREENED_SMELTERS


def _listed(d: EuReportData, listed: tuple[str, ...], public: bool = False) -> str:
    if not d.origins_screened:
        return _PUBLIC_NOT_SCREENED if public else _NOT_SCREENED_ORIGINS
    return ", ".join(listed) or "none"


def _obligations(d: EuReportData) -> tuple[Obligation, ...]:
    """Articles 4 to 7, each with what the data shows."""
    st = d.smelter_status
    flagged = d.smelters_flagged
    statement = "Company statement required."
    rows = [
        ("Art. 1(3)", "Importer in scope (Annex I thresholds)",
         f"In scope for {', '.join(d.in_scope_lines) or 'no line'}; thresholds not "
         f"confirmed for {', '.join(d.unconfirmed_lines) or 'no line imported'}."),
        ("Art. 4(a)", "Supply chain policy", statement),
        ("Art. 4(b)", "Management structure", statement),
        ("Art. 4(c)", "Chain of custody / traceability",
         f"{len(d.scope)} Annex I lines with import records by supplier, origin and "
         f"quantity; {d.suppliers_responded} supplier declarations consolidated "
         "(records written as chain-of-custody.csv)."),
        ("Art. 4(d)", "Policy in supplier contracts", statement),
        ("Art. 4(e)", "Grievance mechanism", statement),
        ("Art. 4(f)", "Smelters and refiners in the supply chain",
         f"{len(d.smelters)} identified: {st[StatusKind.CONFORMANT]} conformant, "
         f"{st[StatusKind.ACTIVE]} active, {st[StatusKind.NON_CONFORMANT]} non-conformant, "
         f"{st[StatusKind.UNKNOWN]} status unknown."
         + (" Country-of-origin data per smelter: "
            + "; ".join(f"{m.metal} {m.with_data} of {m.facilities}" for m in d.origin.metals)
            + "." if d.origin else "")),
        ("Art. 5", "Risk identification and response",
         f"{counted(flagged[Flag.COVERED_COUNTRY], 'smelter')} in the DRC or a neighbour; "
         + (f"{flagged[Flag.CAHRA]} in a CAHRA-listed area, "
            f"{flagged[Flag.CAHRA_REGION]} in a country with listed regions"
            if d.smelters_screened else f"CAHRA location {_NOT_SCREENED_SMELTERS}")
         + "; import origins on the CAHRA list: "
         f"{_listed(d, d.import_origins_in_cahra_list)}. Response: company statement "
         "required."),
        ("Art. 6", "Independent third-party audit",
         f"{counted(st[StatusKind.CONFORMANT], 'smelter')} holding RMAP conformance; the "
         "importer's own audit: company statement required."),
        ("Art. 7(1)", "Information for the competent authority", "Written as "
         "competent-authority-pack.json (audit reports to be added by the company)."),
        ("Art. 7(2)", "Information to downstream purchasers", statement),
        ("Art. 7(3)", "Annual public report", "Drafted as eu-annual-report (HTML, Markdown)."),
    ]
    return tuple(Obligation(article=a, obligation=o, data=w) for a, o, w in rows)


def _custody(d: EuData, scope: ScopeReport | None) -> str:
    """The Article 4 chain-of-custody records of the reporting year, as CSV."""
    records = io.StringIO()
    writer = csv.writer(records, lineterminator="\n")
    writer.writerow(["row", "date", "cn_code", "taric", "annex_line", "description",
                     "supplier", "country_of_origin", "quantity_kg", "recycled", "pre_2013"])
    descriptions = {x.line: x.description for x in d.public.scope}
    for rec in scope.records if scope else ():
        if rec.date.year != d.public.reporting_year:
            continue
        line = scope.assignments.get(rec.row) if scope else None
        writer.writerow([neutralise(v) for v in (
            rec.row, rec.date.isoformat(), rec.cn, rec.taric or "", line or "not in Annex I",
            descriptions.get(line or "", ""), rec.supplier or "", rec.origin or "",
            rec.quantity_kg, "yes" if rec.recycled else "no",
            "yes" if rec.pre_2013 else "no")])
    return records.getvalue()


def render_eu_report(data: EuData) -> dict[str, str]:
    """The EU documents drawn from ``data`` alone, by file name: the annual report (HTML and
    Markdown, from the public part only), and the internal ones: the obligations checklist,
    the competent-authority pack, the audit trail, the data and the company's checklist."""
    d = data.public
    context = {"d": d, "smelters_in_cahras": _smelters_in_cahras(d, public=True),
               "import_origins_listed": _listed(d, d.import_origins_in_cahra_list, True),
               "mines_listed": _listed(d, d.declared_mines_in_cahra_list, True)}
    pack = {**d.model_dump(mode="json", include=_PACK),
            "snapshots": [s.model_dump(mode="json") for s in data.internal.snapshots]}
    return {
        "eu-annual-report.htm": render_html("eu-annual-report.j2", **context),
        "eu-annual-report.md": render_markdown("eu-annual-report.j2", **context),
        "eu-obligations.md": render_markdown("eu-obligations.j2", d=d),
        "competent-authority-pack.json": _json(pack),
        **render_trail(data.internal, "eu-audit-trail"),
        "eu-report-data.json": _json(data.model_dump(mode="json")),
        "eu-checklist.md": render_markdown("checklist.md.j2", slots=d.slots,
                                           actions=d.actions),
    }


def render_eu(profile: CompanyProfile, consolidation: Consolidation,
              scope: ScopeReport | None = None, cahra: CahraList | None = None,
              sites: Sequence[MineSite] = (), origin: OriginData | None = None,
              register: RiskRegister | None = None) -> dict[str, str]:
    """The EU documents by file name (``sites``: known mine sites, to link declared mines;
    ``origin``: country-of-origin data per smelter; ``register``: the risk register)."""
    data = eu_report_data(profile, consolidation, scope, cahra, sites, origin, register)
    files = {**render_eu_report(data), "chain-of-custody.csv": _custody(data, scope)}
    return {name: files[name] for name in _FILES}


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def write_eu(profile: CompanyProfile, consolidation: Consolidation, outdir: str | Path,
             scope: ScopeReport | None = None, cahra: CahraList | None = None,
             sites: Sequence[MineSite] = (), origin: OriginData | None = None,
             register: RiskRegister | None = None) -> list[Path]:
    """Write the EU documents (see :func:`render_eu`) into ``outdir`` as one run: all of
    them or none."""
    return write_documents(outdir, render_eu(profile, consolidation, scope, cahra, sites,
                                             origin, register), name="eu")
