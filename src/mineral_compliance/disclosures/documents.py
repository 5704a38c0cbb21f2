"""Form SD and its Conflict Minerals Report (Exhibit 1.01), drafted from a consolidation.

Every figure and every table row comes from :func:`report_data`, which reads only the company
profile, the consolidation and the determination; the documents are that data laid out as
blocks, written once as EDGAR-acceptable HTML and once as Markdown. What only the company can
state (its narrative, measures it performed, signatures) is a marked slot, never invented, and
every slot is listed in the checklist printed with the draft.
"""

from __future__ import annotations

import html as html_lib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._io.run import output_run, write_atomic
from .._words import counted
from ..models.consolidation import Consolidation
from ..models.declaration import TemplateKind
from ..models.matching import Flag, StatusKind
from ..models.profile import THREE_TG, CompanyProfile
from ..names import metal_key
from ..templates.releases import describe_accepted
from ..upstream.link import screen_mines, upstream_summary
from .dodd_frank import Determination, Rcoi, determine
from .edgar import ascii_entities

__all__ = ["Block", "Slot", "company_statements", "render_dodd_frank", "report_data",
           "smelter_table", "write_dodd_frank"]

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


@dataclass(frozen=True)
class Slot:
    """A statement the company must write itself."""

    key: str
    title: str
    guidance: str


Block = tuple[Any, ...]


def report_data(profile: CompanyProfile, consolidation: Consolidation,
                determination: Determination | None = None) -> dict[str, Any]:
    """Everything the documents state, as plain data (also written as JSON beside them)."""
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
        per_metal.append({
            "metal": metal, "smelters_identified": len(rows),
            "conformant": status[StatusKind.CONFORMANT], "active": status[StatusKind.ACTIVE],
            "non_conformant": status[StatusKind.NON_CONFORMANT],
            "status_unknown": status[StatusKind.UNKNOWN],
            "unconfirmed_facilities": unconfirmed.get(metal, 0),
            "located_in_covered_countries": sum(Flag.COVERED_COUNTRY in s.flags for s in rows),
        })
    surveyed = consolidation.suppliers_surveyed
    return {
        "registrant": profile.model_dump(mode="json"),
        "reporting_year": d.reporting_year,
        "filing_deadline": d.filing_deadline.isoformat(),
        "form_sd_required": d.form_sd_required,
        "report_required": d.report_required,
        "determination": [m.model_dump(mode="json") for m in d.metals],
        "statistics": {
            "suppliers_surveyed": surveyed,
            "suppliers_responded": responded,
            "response_rate": (round(100 * responded / surveyed, 1)
                              if surveyed else None),
            "templates": dict(sorted(Counter(f"{f.kind} {f.version}" for f in current
                                             ).items())),
            "declarations_outside_accepted_versions": outside,
            "per_metal": per_metal,
        },
        "smelters": [{"metal": s.metal, "name": s.name, "country": s.country,
                      "smelter_id": s.smelter_id, "status": s.status.value}
                     for s in smelters],
        "declared_mines": [x.model_dump(mode="json") for x in upstream_summary(
            screen_mines(m for m in consolidation.mines if metal_key(m.metal) in three_tg))],
        "snapshots": [s.model_dump(mode="json") for s in consolidation.snapshots],
        "accepted_versions": consolidation.accepted_versions,
        "accepted_cmrt_versions": describe_accepted(consolidation.accepted_versions,
                                                    TemplateKind.CMRT),
    }


def _slots(data: dict[str, Any]) -> list[Slot]:
    reg = data["registrant"]
    slots = [
        Slot("irs-number", "I.R.S. Employer Identification No.",
             "The registrant's IRS employer identification number for the cover page."),
        Slot("signature", "Signature", "Name, title and date of the officer signing the "
                                       "Form SD on the registrant's behalf."),
        Slot("products-description", "Description of products",
             "Describe the products in each category named in the profile, in the "
             "company's own words."),
        Slot("rcoi-narrative", "How the inquiry was carried out",
             "Describe how suppliers were chosen, asked and followed up, in the company's "
             "own words; the figures below come from the data."),
        Slot("oecd-step-1", "OECD step 1: management systems",
             "Policy, internal team, supplier engagement and grievance mechanism in place "
             "during the year."),
        Slot("oecd-step-3", "OECD step 3: response to identified risks",
             "The risk-management plan and the actions taken on the risks found."),
        Slot("countries-of-origin", "Countries of origin",
             "State the countries of origin the company could determine; supplier "
             "templates and smelter locations do not establish the origin of the ore."),
        Slot("mine-origin-efforts", "Efforts to determine the mine or location of origin",
             "Describe the efforts made to determine the mine or location of origin with "
             "the greatest possible specificity."),
        Slot("mitigation-steps", "Steps to mitigate risk",
             "Steps taken or to be taken since the end of the period to mitigate the risk "
             "that the necessary conflict minerals benefit armed groups."),
    ]
    if not reg.get("cik"):
        slots.insert(0, Slot("cik", "Central Index Key", "The registrant's SEC CIK."))
    if not reg.get("commission_file_number"):
        slots.insert(0, Slot("file-number", "Commission File Number",
                             "The registrant's Commission file number for the cover page."))
    if not reg.get("website"):
        slots.append(Slot("website", "Publication address",
                          "The address of the registrant's website where this Form SD and "
                          "the report are published."))
    if data["accepted_cmrt_versions"] is None:
        slots.append(Slot("accepted-versions", "Template versions accepted",
                          "The CMRT versions the company accepted from its suppliers (the "
                          "consolidation did not record them; consolidate again to state "
                          "them from the data)."))
    if data["statistics"]["suppliers_surveyed"] is None:
        slots.append(Slot("suppliers-surveyed", "Suppliers surveyed",
                          "The number of suppliers surveyed (give a supplier roster to "
                          "compute it and the response rate)."))
    return slots


def _form_sd(data: dict[str, Any], slots: dict[str, Slot]) -> list[Block]:
    reg, year = data["registrant"], data["reporting_year"]
    blocks: list[Block] = [
        ("h1", "UNITED STATES SECURITIES AND EXCHANGE COMMISSION"),
        ("p", "Washington, D.C. 20549"),
        ("h1", "FORM SD"),
        ("p", "SPECIALIZED DISCLOSURE REPORT"),
        ("p", f"{reg['registrant_name']} (exact name of the registrant as specified in its "
              "charter)"),
        ("table", ("State of incorporation", "Commission File Number",
                   "I.R.S. Employer Identification No."),
         [(reg["state_of_incorporation"],
           reg.get("commission_file_number") or _marker(slots["file-number"]),
           _marker(slots["irs-number"]))]),
        ("p", f"Principal executive offices: {reg['address']}"),
        ("p", f"Central Index Key: {reg['cik'] or _marker(slots['cik'])}"),
        ("p", f"Contact for this report: {reg['contact_name']}, {reg['contact_phone']}"),
        ("p", "Rule 13p-1 under the Securities Exchange Act (17 CFR 240.13p-1) for the "
              f"reporting period from January 1 to December 31, {year}."),
        ("h2", "Section 1 - Conflict Minerals Disclosure"),
        ("h2", "Item 1.01 Conflict Minerals Disclosure and Report"),
    ]
    in_scope = [m for m in data["determination"] if m["in_scope"]
                and not m["excluded_pre_2013"]]
    if not in_scope:
        blocks.append(("p", "Based on its products and its suppliers' declarations, the "
                            "registrant found no conflict mineral necessary to the "
                            "functionality or production of a product it manufactured or "
                            f"contracted to manufacture in {year}."))
    else:
        blocks.append(("p", "The registrant conducted a reasonable country of origin inquiry "
                            "for the conflict minerals necessary to its products, with these "
                            "results:"))
        blocks.append(("table", ("Metal", "Result of the inquiry", "Due diligence"),
                       [(m["metal"], _RCOI_TEXT[Rcoi(m["rcoi"])] if m["rcoi"] else "-",
                         "required" if m["due_diligence_required"] else
                         ("not required: recycled or scrap sources" if m["recycled_only"]
                          else "not required"))
                        for m in in_scope]))
        blocks.append(("slot", slots["rcoi-narrative"]))
    site = reg.get("website")
    what = "This Form SD and the Conflict Minerals Report are" if data["report_required"] \
        else "This Form SD is"
    if site:
        blocks.append(("p", f"{what} publicly available at {site}."))
    else:
        blocks.append(("p", f"{what} publicly available at the address below."))
        blocks.append(("slot", slots["website"]))
    blocks.append(("h2", "Item 1.02 Exhibit"))
    blocks.append(("p", "The Conflict Minerals Report is filed as Exhibit 1.01 to this Form SD."
                   if data["report_required"] else
                   "No Conflict Minerals Report is required for this period."))
    blocks.append(("h2", "Section 3 - Exhibits"))
    blocks.append(("h2", "Item 3.01 Exhibits"))
    if data["report_required"]:
        blocks.append(("table", ("Exhibit", "Description"),
                       [("1.01", "Conflict Minerals Report as required by Items 1.01 and "
                                 "1.02 of this Form")]))
    else:
        blocks.append(("p", "None."))
    blocks.append(("h2", "Signatures"))
    blocks.append(("slot", slots["signature"]))
    return blocks


def _report(data: dict[str, Any], slots: dict[str, Slot]) -> list[Block]:
    reg, year, stats = data["registrant"], data["reporting_year"], data["statistics"]
    surveyed = stats["suppliers_surveyed"]
    blocks: list[Block] = [
        ("h1", f"{reg['registrant_name']} - Conflict Minerals Report for the year ended "
               f"December 31, {year}"),
        ("p", "This report is filed as Exhibit 1.01 to Form SD under Rule 13p-1 of the "
              "Securities Exchange Act of 1934."),
        ("h2", "1. The company and its products"),
        ("table", ("Product category", "Conflict minerals necessary", "Manufactured or "
                   "contracted"),
         [(p["name"], ", ".join(p["metals"]),
           "manufactured" if p["manufactured"] else "contracted to manufacture")
          for p in reg["products"]]),
        ("slot", slots["products-description"]),
        ("h2", "2. Reasonable country of origin inquiry"),
        ("p", "The registrant surveyed "
              + (counted(surveyed, "supplier") if surveyed is not None
                 else "[see checklist] suppliers")
              + f" and received {counted(stats['suppliers_responded'], 'response')}"
              + (f" ({stats['response_rate']}%)" if stats["response_rate"] is not None
                 else "") + ", on "
              + ", ".join(f"{v} {k}" for k, v in stats["templates"].items()) + "."),
        _accepted(data, slots),
        ("slot", slots["rcoi-narrative"]),
        ("table", ("Metal", "Result", "Facts relied on"),
         [(m["metal"], _RCOI_TEXT[Rcoi(m["rcoi"])] if m["rcoi"] else "not in scope",
           " ".join(f["statement"] for f in m["facts"]))
          for m in data["determination"]]),
        ("h2", "3. Due diligence"),
        ("p", f"The registrant designed its due diligence to conform, in all material "
              f"respects, with the {reg['framework']}."
              + (f" It is a member of {', '.join(reg['memberships'])}."
                 if reg["memberships"] else "")),
        ("slot", slots["oecd-step-1"]),
        ("p", "OECD step 2, identifying and assessing risk: suppliers' templates were "
              "validated, and every declared smelter or refiner was resolved against the "
              "reference list and audit-status lists named in the data file."),
        ("slot", slots["oecd-step-3"]),
        ("p", "OECD step 4, independent third-party audit of smelters and refiners: the "
              "registrant relies on the audit status each facility holds, shown in the "
              "table below."),
        ("p", "OECD step 5, annual reporting: this report and the Form SD."),
        ("h2", "4. Smelters and refiners"),
        smelter_table(data["smelters"]),
        ("h2", "5. Countries of origin"),
        ("slot", slots["countries-of-origin"]),
        ("h2", "6. Efforts to determine the mine or location of origin"),
        ("p", "Mine countries declared by suppliers (Smelter List and Mine List), per metal:"
         if data["declared_mines"] else "No supplier declared mine countries."),
        *([("table", ("Metal", "Declared country", "Declarations", "Covered Country"),
            [(m["metal"], m["country"], m["declarations"],
              "yes" if m["covered_country"] else "no") for m in data["declared_mines"]])]
          if data["declared_mines"] else []),
        ("slot", slots["mine-origin-efforts"]),
        ("h2", "7. Steps to mitigate risk"),
        ("slot", slots["mitigation-steps"]),
        ("h2", "8. Statistics"),
        ("table", ("Metal", "Smelters identified", "Conformant", "Active", "Non-conformant",
                   "Status unknown", "Located in a Covered Country",
                   "Unconfirmed facilities"),
         [(m["metal"], m["smelters_identified"], m["conformant"], m["active"],
           m["non_conformant"], m["status_unknown"], m["located_in_covered_countries"],
           m["unconfirmed_facilities"]) for m in stats["per_metal"]]),
        ("h2", "9. Independent private-sector audit"),
        ("p", "An independent private-sector audit of this report was obtained."
         if reg["independent_audit"] else
         "No independent private-sector audit of this report was obtained."),
    ]
    return blocks


def _accepted(data: dict[str, Any], slots: dict[str, Slot]) -> Block:
    """The template versions accepted, as the RMI asks a company to state them."""
    words = data["accepted_cmrt_versions"]
    if words is None:
        return ("slot", slots["accepted-versions"])
    outside = data["statistics"]["declarations_outside_accepted_versions"]
    text = f"Template versions accepted from suppliers: {words}."
    if outside:
        text += (f" {counted(outside, 'declaration')} received on another version "
                 f"{'is' if outside == 1 else 'are'} counted above and "
                 f"{'was' if outside == 1 else 'were'} flagged for resubmission on the "
                 "current release.")
    return ("p", text)


def smelter_table(smelters: list[dict[str, Any]]) -> Block:
    """The table of smelters and refiners with their audit status, as both reports show it
    (rows as the report data files hold them)."""
    return ("table", ("Metal", "Smelter or refiner", "Country", "Smelter ID", "Audit status"),
            [(x["metal"], x["name"], x["country"] or "-", x["smelter_id"], x["status"])
             for x in smelters])


def _marker(slot: Slot) -> str:
    return f"[TO BE COMPLETED BY THE COMPANY: {slot.title}]"


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind == "h1":
            out.append(f"# {block[1]}\n")
        elif kind == "h2":
            out.append(f"## {block[1]}\n")
        elif kind == "p":
            out.append(f"{block[1]}\n")
        elif kind == "slot":
            slot: Slot = block[1]
            out.append(f"> **{_marker(slot)}** {slot.guidance}\n")
        elif kind == "table":
            header, rows = block[1], block[2]
            out.append("| " + " | ".join(header) + " |")
            out.append("|" + "---|" * len(header))
            out.extend("| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows)
            out.append("")
    return "\n".join(out)


def _h(text: Any) -> str:
    return ascii_entities(html_lib.escape(str(text), quote=True))


def _html(title: str, blocks: list[Block]) -> str:
    out = ["<html>", "<head>", f"<title>{_h(title)}</title>", "</head>", "<body>"]
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "p"):
            out.append(f"<{kind}>{_h(block[1])}</{kind}>")
        elif kind == "slot":
            slot: Slot = block[1]
            out.append(f"<p><b>{_h(_marker(slot))}</b> <i>{_h(slot.guidance)}</i></p>")
        elif kind == "table":
            header, rows = block[1], block[2]
            out.append('<table border="1" cellpadding="3" cellspacing="0">')
            out.append("<tr>" + "".join(f"<th>{_h(v)}</th>" for v in header) + "</tr>")
            out.extend("<tr>" + "".join(f"<td>{_h(v)}</td>" for v in row) + "</tr>"
                       for row in rows)
            out.append("</table>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def _draft(profile: CompanyProfile, consolidation: Consolidation
           ) -> tuple[dict[str, Any], list[Block], list[Block] | None, list[Slot]]:
    """The report data, Form SD, the Exhibit (None when no report is required) and the
    statements the company must write, in the order the checklist lists them."""
    data = report_data(profile, consolidation)
    slot_list = _slots(data)
    slots = {s.key: s for s in slot_list}
    for key in ("file-number", "website", "cik", "accepted-versions"):
        slots.setdefault(key, Slot(key, "", ""))
    form = _form_sd(data, slots)
    report = _report(data, slots) if data["report_required"] else None
    used = {b[1].key for doc in (form, report or []) for b in doc if b[0] == "slot"}
    used |= {k for k in ("file-number", "irs-number", "cik") if slots[k].title}
    checklist = [s for s in slot_list if s.key in used or s.key == "suppliers-surveyed"]
    return data, form, report, checklist


def company_statements(profile: CompanyProfile, consolidation: Consolidation) -> list[Slot]:
    """The statements the company must still write into the draft itself, as
    ``checklist.md`` lists them."""
    return _draft(profile, consolidation)[3]


def render_dodd_frank(profile: CompanyProfile, consolidation: Consolidation
                      ) -> dict[str, str]:
    """The draft documents by file name: Form SD and Exhibit 1.01 as EDGAR HTML and as
    Markdown, the data behind them as JSON, and the checklist of the company's statements."""
    data, form, report, checklist = _draft(profile, consolidation)
    files = {
        "form-sd.htm": _html(f"Form SD - {data['registrant']['registrant_name']}", form),
        "form-sd.md": _markdown(form),
    }
    if report is not None:
        files["ex1-01.htm"] = _html("Exhibit 1.01 - Conflict Minerals Report", report)
        files["ex1-01.md"] = _markdown(report)
    data["checklist"] = [{"key": s.key, "title": s.title, "guidance": s.guidance}
                         for s in checklist]
    files["checklist.md"] = "# Statements the company must write\n\n" + "\n".join(
        f"- [ ] **{s.title}**: {s.guidance}" for s in checklist) + "\n"
    files["report-data.json"] = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
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
