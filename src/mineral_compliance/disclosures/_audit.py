"""The internal audit trail of a draft: each conclusion and each public figure with the facts
and sources it rests on, down to file, sheet and cell.

The SEC and the EU drafts each carry one (``audit-trail.*`` beside Form SD,
``eu-audit-trail.*`` beside the EU report), built here from the same blocks and laid out by
the same templates: an auditor or counsel reads it before filing. It names suppliers, their
files and cells, so it is marked confidential and is never filed. The HTML form is one
self-contained page (inline CSS, no script, no external resource).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from .._words import counted
from ..models.consolidation import ConsolidatedSmelter, Consolidation, FileStatus, SupplierFile
from ..models.matching import Flag
from ..models.profile import THREE_TG
from ..names import metal_key
from ..upstream.risk import RiskRegister
from ._render import render_markdown
from .data import (
    STATUS_LABELS,
    STATUS_ORDER,
    AuditEntry,
    AuditFile,
    AuditSection,
    AuditTrail,
    FormSdData,
)
from .dodd_frank import Determination, Fact

__all__ = ["audit_files", "dodd_frank_trail", "facility_sections", "file_fact",
           "render_trail", "risk_section"]

CONFIDENTIAL = ("INTERNAL AND CONFIDENTIAL - names suppliers, their files and contacts. "
                "For review before filing; never file or publish it.")
"""The marking at the head of every audit trail."""


def _where(file: str, sheet: str | None, cell: str | None) -> str:
    return f"{file} [{sheet or '?'}!{cell or '?'}]"


def audit_files(c: Consolidation) -> tuple[AuditFile, ...]:
    """Every supplier file read, numbered as the trail refers to them."""
    return tuple(AuditFile(index=i, file=f.file, company=f.company, supplier=f.supplier,
                           kind=f.kind, version=f.version, scope=f.scope,
                           effective_date=f.effective_date, status=f.status.value,
                           on_roster=f.on_roster, errors=f.errors, warnings=f.warnings,
                           superseded_by=f.superseded_by)
                 for i, f in enumerate(c.files, start=1))


def file_fact(f: SupplierFile, why: str) -> Fact:
    """One supplier file as the fact behind a figure: who declared, on what, where."""
    return Fact(statement=f"{f.company or f.supplier or 'unnamed supplier'}: {why}.",
                source=f"{f.kind or 'template'} {f.version or ''}, {f.status.value}"
                       + (f", superseded by {f.superseded_by}" if f.superseded_by else ""),
                locations=(_where(f.file, "Declaration", "D8"),))


def _entry(subject: str, value: object, facts: Iterable[Fact]) -> AuditEntry:
    return AuditEntry(subject=subject, value=str(value), facts=tuple(facts))


def _smelter_fact(s: ConsolidatedSmelter) -> Fact:
    return Fact(statement=f"{s.name} ({s.smelter_id or 'no ID'}, {s.country or 'no country'}),"
                          f" declared by {counted(len(s.suppliers), 'supplier')}: "
                          f"{', '.join(s.suppliers)}.",
                source=f"consolidation, {s.grade.value} match, status {s.status.value}",
                locations=tuple(_where(r.file, r.sheet, r.cell) for r in s.sources))


def facility_sections(c: Consolidation, metals: Sequence[str]) -> tuple[AuditSection, ...]:
    """The facilities behind the public counts: per metal and status, each smelter and the
    rows that declared it; then the facilities not confirmed, with the spellings declared."""
    keys = {metal_key(m) for m in metals}
    confirmed = [s for s in c.smelters
                 if metal_key(s.metal) in keys and not s.needs_review and s.smelter_id]
    entries = []
    for metal in metals:
        rows = [s for s in confirmed if s.metal == metal]
        entries.append(_entry(f"{metal}: facilities identified", len(rows), ()))
        for status in STATUS_ORDER:
            these = [s for s in rows if s.status is status]
            if these:
                entries.append(_entry(f"{metal}: {STATUS_LABELS[status]}", len(these),
                                      (_smelter_fact(s) for s in these)))
        covered = [s for s in rows if Flag.COVERED_COUNTRY in s.flags]
        entries.append(_entry(f"{metal}: located in a Covered Country", len(covered),
                              (_smelter_fact(s) for s in covered)))
    unconfirmed = [s for s in c.smelters if metal_key(s.metal) in keys
                   and (s.needs_review or not s.smelter_id)]
    pending = [_entry(f"{metal}: unconfirmed facilities",
                      sum(s.metal == metal for s in unconfirmed),
                      (_smelter_fact(s) for s in unconfirmed if s.metal == metal))
               for metal in metals]
    return (AuditSection(title="Smelters and refiners by status", entries=tuple(entries)),
            AuditSection(title="Facilities not confirmed (names as declared; never public)",
                         entries=tuple(pending)))


def current_files(c: Consolidation, kinds: Collection[str] = ("CMRT",)) -> list[SupplierFile]:
    """The declarations of ``kinds`` consolidated: neither superseded nor unreadable."""
    return [f for f in c.files if f.kind in kinds
            and f.status not in (FileStatus.SUPERSEDED, FileStatus.UNREADABLE)]


def inquiry_section(c: Consolidation, public: FormSdData) -> AuditSection:
    """The inquiry figures of the public documents and the files behind each."""
    stats = public.statistics
    current = current_files(c)
    outside = [f for f in current
               if any(x.code == "template-version-not-accepted" for x in f.findings)]
    entries = [
        _entry("Suppliers surveyed",
               stats.suppliers_surveyed if stats.suppliers_surveyed is not None
               else "not stated (no roster)",
               () if c.suppliers_surveyed is None else (Fact(
                   statement=f"The roster given names {c.suppliers_surveyed} suppliers.",
                   source="consolidation, supplier roster"),)),
        _entry("Responses received (suppliers with a current CMRT)", stats.suppliers_responded,
               (file_fact(f, "current declaration") for f in current)),
        _entry("Responses from suppliers on the roster",
               stats.responded_on_roster if stats.responded_on_roster is not None else "-",
               (file_fact(f, "on the roster") for f in current if f.on_roster)),
        _entry("Response rate (percent of the roster)",
               stats.response_rate if stats.response_rate is not None else "-",
               () if stats.response_rate is None else (Fact(
                   statement=f"{stats.responded_on_roster} of {stats.suppliers_surveyed} "
                             "suppliers on the roster sent a current CMRT.",
                   source="the two figures above"),)),
    ]
    for version, n in stats.templates.items():
        entries.append(_entry(f"Declarations on {version}", n,
                              (file_fact(f, "declaration") for f in current
                               if f"{f.kind} {f.version}" == version)))
    entries.append(_entry("Declarations outside the accepted versions", len(outside),
                          (file_fact(f, "version not accepted") for f in outside)))
    entries.append(_entry("Resubmissions received (superseded declarations)",
                          stats.resubmissions,
                          (file_fact(f, "superseded") for f in c.files
                           if f.kind == "CMRT" and f.status is FileStatus.SUPERSEDED)))
    for status, label in ((FileStatus.ERRORS, "errors"), (FileStatus.WARNINGS, "warnings")):
        these = [f for f in current if f.status is status]
        entries.append(_entry(f"Declarations with {label} (to follow up)", len(these),
                              (file_fact(f, f"{f.errors} errors, {f.warnings} warnings")
                               for f in these)))
    scope_names = {"A": "company", "B": "product", "C": "user defined"}
    for scope, n in stats.scopes.items():
        entries.append(_entry(f"Declarations of scope {scope}", n, (
            Fact(statement=f"{f.company or f.supplier}: scope {f.scope or 'not stated'}.",
                 source="CMRT Declaration, scope", locations=(_where(f.file, "Declaration",
                                                                     "D9"),))
            for f in current if scope_names.get(f.scope or "", "not stated") == scope)))
    unreadable = [f for f in c.files if f.status is FileStatus.UNREADABLE]
    entries.append(_entry("Files that could not be read (not counted)", len(unreadable), (
        Fact(statement=f"{f.file}: {f.message or 'unreadable'}.", source="consolidation")
        for f in unreadable)))
    return AuditSection(title="Reasonable country of origin inquiry: figures",
                        entries=tuple(entries))


def countries_section(c: Consolidation, metals: Sequence[str]) -> AuditSection:
    """The countries the public documents list, and the declarations behind each."""
    keys = {metal_key(m) for m in metals}
    entries = []
    groups: dict[tuple[str, str], list[str]] = {}
    for m in c.mines:
        if metal_key(m.metal) in keys and m.country_code:
            groups.setdefault((m.metal or "", m.country_code), []).append(
                _where(m.file, m.sheet, m.cell))
    for (metal, code), where in sorted(groups.items()):
        entries.append(AuditEntry(
            subject=f"{metal}: mine country declared", value=code,
            facts=(Fact(statement=f"{counted(len(where), 'declaration')} of a {metal} mine "
                                  f"in {code}.", source="consolidation, declared mines",
                        locations=tuple(sorted(where))),)))
    unresolved = [m for m in c.mines if metal_key(m.metal) in keys and not m.country_code]
    if unresolved:
        entries.append(_entry("Mine countries that name no country (not listed)",
                              len(unresolved), (Fact(
                                  statement=f"{m.metal}: {m.country or 'blank'}.",
                                  source="consolidation, declared mines",
                                  locations=(_where(m.file, m.sheet, m.cell),))
                                  for m in unresolved)))
    return AuditSection(title="Countries", entries=tuple(entries))


def risk_section(register: RiskRegister) -> AuditSection:
    """Every risk of the register behind the public counts, each link a fact: why it was
    made, the upstream record, the file, sheet and cell."""
    entries = []
    for r in register.risks:
        value = (f"Annex II ({r.category.value}){' by default' if r.category_default else ''}, "
                 f"{r.level}, {r.status}, {r.response.value}")
        facts = [Fact(statement=f"{r.record}. Category: {r.category_basis}. Status: "
                                f"{r.status_basis}.", source=r.source.value)]
        facts += [Fact(statement=x.reason + ".", source=x.record or "consolidation",
                       locations=x.locations) for x in r.links]
        entries.append(_entry(f"{r.id}: {r.title}", value, facts))
    entries += [_entry("Upstream row not read", "-", (Fact(statement=x, source="upstream "
                                                          "files"),))
                for x in register.unreadable]
    return AuditSection(title="Risk register (OECD steps 2 and 3)", entries=tuple(entries))


def _determination_section(d: Determination) -> AuditSection:
    entries = [_entry("Filing", "Form SD " + ("required" if d.form_sd_required else
                                              "not required") + "; report "
                      + ("required" if d.report_required else "not required"), d.facts)]
    for m in d.metals:
        facts = m.facts
        entries.append(_entry(f"{m.metal}: in scope",
                              "excluded (pre-2013 stock)" if m.excluded_pre_2013
                              else "yes" if m.in_scope else "no",
                              (f for f in facts if f.bears_on == "scope")))
        if m.in_scope and not m.excluded_pre_2013:
            entries.append(_entry(f"{m.metal}: RCOI result",
                                  m.rcoi.value if m.rcoi else "-",
                                  (f for f in facts if f.bears_on == "rcoi")))
            entries.append(_entry(f"{m.metal}: due diligence",
                                  "required" if m.due_diligence_required else "not required",
                                  (f for f in facts if f.bears_on == "due-diligence")))
    return AuditSection(title="Determination", entries=tuple(entries))


def dodd_frank_trail(public: FormSdData, c: Consolidation, d: Determination,
                     register: RiskRegister | None = None) -> AuditTrail:
    """The audit trail of the SEC draft."""
    return AuditTrail(
        title=f"Audit trail: Form SD and Conflict Minerals Report {d.reporting_year}",
        reporting_year=d.reporting_year, files=audit_files(c),
        sections=(_determination_section(d), inquiry_section(c, public),
                  *facility_sections(c, THREE_TG), countries_section(c, THREE_TG),
                  *((risk_section(register),) if register is not None else ())),
        determination=d.metals,
        snapshots=register.snapshots if register is not None else c.snapshots)


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:80rem;padding:1rem 2rem;
color:#1b1b1b}
.confidential{background:#8b0000;color:#fff;padding:.6rem 1rem;font-weight:600;
border-radius:4px}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.loc{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all;
white-space:pre-line}
h2{border-bottom:2px solid #8b0000;padding-bottom:.2rem;margin-top:2rem}
"""


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("mineral_compliance", "disclosures/templates"),
                       autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True)


def render_trail(trail: AuditTrail, stem: str) -> dict[str, str]:
    """The audit trail as ``<stem>.html`` (self-contained) and ``<stem>.md``."""
    page = _environment().get_template("audit-trail.html.j2").render(
        t=trail, css=_CSS, confidential=CONFIDENTIAL)
    return {f"{stem}.html": page,
            f"{stem}.md": render_markdown("audit-trail.md.j2", t=trail,
                                          confidential=CONFIDENTIAL)}

