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
from typing import Any

from .._io.run import output_run, write_atomic
from .._io.text import neutralise
from .._words import counted
from ..models.consolidation import Consolidation
from ..models.matching import Flag, StatusKind
from ..models.profile import THREE_TG, CompanyProfile
from ..names import metal_key
from ..refdata.regions import CahraList
from ..upstream.ipis import MineSite
from ..upstream.link import screen_mines, upstream_summary
from .documents import Block, Slot, smelter_table
from .documents import _html as render_html
from .documents import _markdown as render_markdown
from .eu import ScopeReport

__all__ = ["render_eu", "write_eu"]

_SLOTS = {
    "policy": Slot("policy", "Supply chain policy (Art. 4(a))",
                   "The policy for minerals and metals potentially from conflict-affected "
                   "and high-risk areas, consistent with Annex II of the OECD Guidance, and "
                   "how it is communicated to suppliers and the public."),
    "management": Slot("management", "Management structure (Art. 4(b))",
                       "Who in senior management is responsible, and the resources given."),
    "contracts": Slot("contracts", "Policy in supplier contracts (Art. 4(d))",
                      "How the policy is written into contracts and agreements with "
                      "suppliers."),
    "grievance": Slot("grievance", "Grievance mechanism (Art. 4(e))",
                      "The early-warning risk-awareness system or grievance mechanism."),
    "risk-response": Slot("risk-response", "Risk management plan and response (Art. 5)",
                          "How identified risks were reported to senior management and the "
                          "strategy adopted: continue trading while mitigating, suspend, or "
                          "disengage."),
    "audit": Slot("audit", "Third-party audit (Art. 6)",
                  "The independent third-party audit carried out: scope, auditor's name, "
                  "date and conclusions (or the exemption relied on)."),
    "downstream": Slot("downstream", "Information to downstream purchasers (Art. 7(2))",
                       "How due-diligence information is made available to immediate "
                       "downstream purchasers."),
}


def _data(profile: CompanyProfile, consolidation: Consolidation, scope: ScopeReport | None,
          cahra: CahraList | None, sites: Sequence[MineSite] = ()) -> dict[str, Any]:
    three = {metal_key(m) for m in THREE_TG}
    smelters = sorted((s for s in consolidation.smelters if metal_key(s.metal) in three
                       and s.smelter_id and not s.needs_review),
                      key=lambda s: (s.metal, s.name))
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
    return {
        "importer": profile.model_dump(mode="json"),
        "reporting_year": year,
        "scope": [x.model_dump(mode="json") for x in lines],
        "in_scope_lines": [x.line for x in lines if x.status == "in-scope"],
        "unconfirmed_lines": [x.line for x in lines if x.status == "threshold-not-confirmed"],
        "import_origins_kg": dict(sorted(origins.items())),
        "import_origins_in_cahra_list": cahra_origins,
        "declared_mines": [x.model_dump(mode="json") for x in upstream_summary(screens)],
        "declared_mines_in_cahra_list": mine_cahra,
        "smelters": [{"metal": s.metal, "name": s.name, "country": s.country,
                      "smelter_id": s.smelter_id, "status": s.status.value,
                      "flags": list(s.flags)} for s in smelters],
        "smelter_status": {k.value: status[k] for k in StatusKind},
        "smelters_flagged": {f: sum(f in s.flags for s in smelters)
                             for f in (Flag.COVERED_COUNTRY, Flag.CAHRA, Flag.CAHRA_REGION)},
        "suppliers_responded": len({f.supplier for f in consolidation.files
                                    if f.kind == "CMRT" and f.status.value not in
                                    ("superseded", "unreadable")}),
        "smelters_screened": any(x.kind == "cahra" for x in consolidation.snapshots),
        "origins_screened": cahra is not None,
        "snapshots": [s.model_dump(mode="json") for s in consolidation.snapshots]
        + ([scope.annex.model_dump(mode="json"), scope.imports.model_dump(mode="json")]
           if scope else [])
        + ([cahra.snapshot.model_dump(mode="json")] if cahra else []),
    }


_NOT_SCREENED_SMELTERS = ("not screened (the consolidation was made without a CAHRA list; "
                         "run consolidate with --cahra)")
_NOT_SCREENED_ORIGINS = "not screened (no CAHRA list given; pass --cahra)"


def _smelters_in_cahras(d: dict[str, Any]) -> str:
    return str(d["smelters_flagged"]["cahra"]) if d["smelters_screened"] \
        else _NOT_SCREENED_SMELTERS


def _listed(d: dict[str, Any], key: str) -> str:
    if not d["origins_screened"]:
        return _NOT_SCREENED_ORIGINS
    return ", ".join(d[key]) or "none"


def _checklist(d: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(article, obligation, what the data shows)."""
    st = d["smelter_status"]
    n = len(d["smelters"])
    return [
        ("Art. 1(3)", "Importer in scope (Annex I thresholds)",
         f"In scope for {', '.join(d['in_scope_lines']) or 'no line'}; thresholds not "
         f"confirmed for {', '.join(d['unconfirmed_lines']) or 'no line imported'}."),
        ("Art. 4(a)", "Supply chain policy", "Company statement required."),
        ("Art. 4(b)", "Management structure", "Company statement required."),
        ("Art. 4(c)", "Chain of custody / traceability",
         f"{len(d['scope'])} Annex I lines with import records by supplier, origin and "
         f"quantity; {d['suppliers_responded']} supplier declarations consolidated "
         "(records written as chain-of-custody.csv)."),
        ("Art. 4(d)", "Policy in supplier contracts", "Company statement required."),
        ("Art. 4(e)", "Grievance mechanism", "Company statement required."),
        ("Art. 4(f)", "Smelters and refiners in the supply chain",
         f"{n} identified: {st['conformant']} conformant, {st['active']} active, "
         f"{st['non-conformant']} non-conformant, {st['unknown']} status unknown."),
        ("Art. 5", "Risk identification and response",
         f"{counted(d['smelters_flagged']['covered-country'], 'smelter')} in the DRC or a "
         "neighbour; "
         + (f"{d['smelters_flagged']['cahra']} in a CAHRA-listed area, "
            f"{d['smelters_flagged']['cahra-region']} in a country with listed regions"
            if d["smelters_screened"] else f"CAHRA location {_NOT_SCREENED_SMELTERS}")
         + f"; import origins on the CAHRA list: {_listed(d, 'import_origins_in_cahra_list')}"
         ". Response: company statement required."),
        ("Art. 6", "Independent third-party audit",
         f"{counted(st['conformant'], 'smelter')} holding RMAP conformance; the importer's "
         "own audit: company statement required."),
        ("Art. 7(1)", "Information for the competent authority", "Written as "
         "competent-authority-pack.json (audit reports to be added by the company)."),
        ("Art. 7(2)", "Information to downstream purchasers", "Company statement required."),
        ("Art. 7(3)", "Annual public report", "Drafted as eu-annual-report (HTML, Markdown)."),
    ]


def _report_blocks(d: dict[str, Any]) -> list[Block]:
    imp, year = d["importer"], d["reporting_year"]
    s = _SLOTS
    blocks: list[Block] = [
        ("h1", f"{imp['registrant_name']} - Supply chain due diligence report {year} "
               "(Regulation (EU) 2017/821, Article 7(3))"),
        ("h2", "1. Due diligence policy and practice"),
        ("slot", s["policy"]), ("slot", s["management"]), ("slot", s["contracts"]),
        ("slot", s["grievance"]),
        ("p", f"Due diligence follows the {imp['framework']}"
              + (f"; the company is a member of {', '.join(imp['memberships'])}."
                 if imp["memberships"] else ".")),
        ("h2", "2. Imports in scope"),
        ("table", ("Annex I line", "Description", "Counted kg", "Threshold kg", "Status"),
         [(x["line"], x["description"], f"{x['counted_kg']:,.1f}",
           f"{x['threshold_kg']:,}" if x["threshold_kg"] is not None else "not confirmed",
           x["status"]) for x in d["scope"]]),
        ("h2", "3. Risks identified and the response"),
        ("p", f"Smelters and refiners in the supply chain located in the DRC or a neighbouring "
              f"country: {d['smelters_flagged']['covered-country']}; in an area on the EU "
              f"indicative CAHRA list: {_smelters_in_cahras(d)}. Import origins on the "
              f"CAHRA list: {_listed(d, 'import_origins_in_cahra_list')}. Mine "
              "countries declared by suppliers on the CAHRA list (country, or a country "
              "with listed regions): "
              f"{_listed(d, 'declared_mines_in_cahra_list')}."),
        ("slot", s["risk-response"]),
        ("h2", "4. Audit summary"),
        ("slot", s["audit"]),
        ("h2", "5. Smelters and refiners"),
        smelter_table(d["smelters"]),
        ("h2", "6. Information to downstream purchasers"),
        ("slot", s["downstream"]),
    ]
    return blocks


def render_eu(profile: CompanyProfile, consolidation: Consolidation,
              scope: ScopeReport | None = None, cahra: CahraList | None = None,
              sites: Sequence[MineSite] = ()) -> dict[str, str]:
    """The EU documents by file name (``sites``: known mine sites, to link declared mines)."""
    d = _data(profile, consolidation, scope, cahra, sites)
    checklist = _checklist(d)
    blocks = _report_blocks(d)
    check_blocks: list[Block] = [
        ("h1", f"Obligations checklist {d['reporting_year']} (Articles 4 to 7)"),
        ("table", ("Article", "Obligation", "What the data shows"), checklist)]
    d["obligations"] = [{"article": a, "obligation": o, "data": w} for a, o, w in checklist]
    d["slots"] = [{"key": x.key, "title": x.title, "guidance": x.guidance}
                  for x in _SLOTS.values()]
    records = io.StringIO()
    writer = csv.writer(records, lineterminator="\n")
    writer.writerow(["row", "date", "cn_code", "taric", "annex_line", "description",
                     "supplier", "country_of_origin", "quantity_kg", "recycled", "pre_2013"])
    descriptions = {x["line"]: x["description"] for x in d["scope"]}
    for rec in scope.records if scope else ():
        if rec.date.year != d["reporting_year"]:
            continue
        line = scope.assignments.get(rec.row) if scope else None
        writer.writerow([neutralise(v) for v in (
            rec.row, rec.date.isoformat(), rec.cn, rec.taric or "", line or "not in Annex I",
            descriptions.get(line or "", ""), rec.supplier or "", rec.origin or "",
            rec.quantity_kg, "yes" if rec.recycled else "no",
            "yes" if rec.pre_2013 else "no")])
    pack = {k: d[k] for k in ("importer", "reporting_year", "scope", "smelters",
                              "smelter_status", "snapshots")}
    return {
        "eu-annual-report.htm": render_html("Supply chain due diligence report", blocks),
        "eu-annual-report.md": render_markdown(blocks),
        "eu-obligations.md": render_markdown(check_blocks),
        "chain-of-custody.csv": records.getvalue(),
        "competent-authority-pack.json": json.dumps(pack, indent=2, ensure_ascii=False)
        + "\n",
        "eu-report-data.json": json.dumps(d, indent=2, ensure_ascii=False) + "\n",
        "eu-checklist.md": "# Statements the company must write\n\n" + "\n".join(
            f"- [ ] **{x.title}**: {x.guidance}" for x in _SLOTS.values()) + "\n",
    }


def write_eu(profile: CompanyProfile, consolidation: Consolidation, outdir: str | Path,
             scope: ScopeReport | None = None, cahra: CahraList | None = None,
             sites: Sequence[MineSite] = ()) -> list[Path]:
    """Write the EU documents (see :func:`render_eu`) into ``outdir`` as one run: all of
    them or none."""
    folder = Path(outdir)
    written = []
    files = render_eu(profile, consolidation, scope, cahra, sites)
    with output_run(folder, name="eu"):
        for name, text in files.items():
            write_atomic(folder / name, text)
            written.append(folder / name)
    return written
