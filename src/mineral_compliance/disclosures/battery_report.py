"""Regulation (EU) 2023/1542, Chapter VII: the documents of a battery due-diligence year, from
a consolidation, the company profile and (optionally) a risk register.

* ``battery-due-diligence-report.htm`` and ``.md``: a draft of the public report of Art. 52(3),
  with the operator's own statements as marked slots; aggregates only (counts, statuses,
  countries), never a supplier's name or a mine's;
* ``battery-passport-due-diligence.json``: the due-diligence fields of the battery passport
  (Art. 77, Annex XIII point 1), drawn from the same figures;
* ``battery-verification-pack.html``, ``.md`` and ``.json``: for the notified body (Art. 51):
  every conclusion and figure with what it rests on, down to the supplier file, sheet and
  cell, the Annex X mapping with its basis, and the data read (confidential);
* ``battery-checklist.md``: the statements the company must still write.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .._io.run import write_documents
from ..models.battery import BatteryRules, BatteryScope
from ..models.consolidation import Consolidation
from ..models.profile import CompanyProfile
from ..names import country_name
from ..upstream.risk import RiskRegister
from ._audit import current_files, render_trail
from ._battery_trail import battery_trail
from ._render import render_html, render_markdown
from .battery import battery_scope, load_battery_rules
from .battery_rollup import BatteryRollup, battery_rollup
from .data import STATUS_LABELS, STATUS_ORDER, AuditTrail, Slot

__all__ = ["PUBLIC_FILES", "SLOTS", "BatteryPack", "BatteryReportData", "render_battery",
           "write_battery"]

SLOTS = (
    Slot(key="batteries", title="Batteries concerned (Art. 52(3))",
         guidance="Identify the batteries the report covers: their categories, models or "
                  "ranges, so that an end-user can tell which batteries it is about."),
    Slot(key="policy", title="Due diligence policy (Art. 49(1)(a) and (b))",
         guidance="The policy for cobalt, natural graphite, lithium and nickel and the Annex X "
                  "risk categories, the standards of the Annex X point 4 instruments it follows, "
                  "and how it is made known to suppliers and the public."),
    Slot(key="management", title="Management system (Art. 49(1)(c))",
         guidance="The members of top management overseeing due diligence, and how the "
                  "system's records are kept (at least ten years)."),
    Slot(key="traceability", title="Controls and traceability (Art. 49(1)(d))",
         guidance="The chain-of-custody or traceability system and how it identifies upstream "
                  "actors, beside the supplier survey figures below."),
    Slot(key="contracts", title="Policy in supplier contracts (Art. 49(1)(e))",
         guidance="How the policy and its risk management are written into contracts and "
                  "agreements with suppliers."),
    Slot(key="grievance", title="Grievance mechanism (Art. 49(1)(f))",
         guidance="The grievance mechanism, early-warning system and remediation, and how "
                  "they follow the UN Guiding Principles on Business and Human Rights."),
    Slot(key="impacts", title="Adverse impacts and the response (Art. 50, Art. 52(3))",
         guidance="The significant adverse impacts found in the Annex X point 2 categories, "
                  "how each was addressed, and how the gaps listed below will be closed."),
    Slot(key="verification", title="Third-party verification (Art. 51)",
         guidance="A summary of the notified body's verification, with the body's name, and "
                  "its approval if issued."),
    Slot(key="downstream", title="Information to downstream purchasers (Art. 52(2))",
         guidance="How the information the policy gathers is made available to immediate "
                  "downstream purchasers."),
)
"""The statements only the operator can make, in the order of the report."""

PUBLIC_FILES = ("battery-due-diligence-report.htm", "battery-due-diligence-report.md",
                "battery-passport-due-diligence.json")
"""What may be published; every other file names suppliers."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class MaterialFigures(_Frozen):
    annex: str
    material: str
    declaring: int
    processors: int
    statuses: dict[str, int]
    flagged: int
    mine_countries: tuple[str, ...]
    risks: int


class CategoryFigures(_Frozen):
    id: str
    group: str
    label: str
    risks: int
    state: str


class BatteryReportData(_Frozen):
    """What the public documents state, all of it aggregates."""

    operator: str
    reporting_year: int
    scope: BatteryScope
    declarations: int
    suppliers_surveyed: int | None
    materials: tuple[MaterialFigures, ...]
    categories: tuple[CategoryFigures, ...]
    human_rights: int
    outside: int
    gaps: tuple[str, ...]
    slots: tuple[Slot, ...]

    def slot(self, key: str) -> Slot:
        return next(s for s in self.slots if s.key == key)


class BatteryPack(_Frozen):
    """Everything the documents rest on (``battery-verification-pack.json``)."""

    public: BatteryReportData
    rollup: BatteryRollup
    trail: AuditTrail


def _public(profile: CompanyProfile, c: Consolidation, scope: BatteryScope,
            rollup: BatteryRollup) -> BatteryReportData:
    current = current_files(c, ("EMRT", "CRT"))
    materials = tuple(MaterialFigures(
        annex=m.annex, material=m.material, declaring=m.declaring, processors=len(m.processors),
        statuses={STATUS_LABELS[s]: m.statuses[s.value] for s in STATUS_ORDER},
        flagged=m.flagged, risks=len(m.risks),
        # a country is printed only as resolved: the text of one that is not is the supplier's
        mine_countries=tuple(sorted({country_name(x.country_code) or "a country not resolved"
                                     for x in m.mines})))
        for m in rollup.materials)
    return BatteryReportData(
        operator=profile.registrant_name, reporting_year=profile.reporting_year, scope=scope,
        declarations=len(current), suppliers_surveyed=c.suppliers_surveyed, materials=materials,
        categories=tuple(CategoryFigures(id=x.id, group=x.group, label=x.label,
                                         risks=len(x.risks), state=x.state)
                         for x in rollup.categories),
        human_rights=len(rollup.human_rights), outside=len(rollup.outside), gaps=rollup.gaps,
        slots=SLOTS)


_MATERIAL_HEADER = ("Raw material (Annex X)", "Suppliers: necessary to products",
                    "Processors and refiners identified", *(STATUS_LABELS[s] for s in STATUS_ORDER),
                    "In a flagged area", "Countries of the mines declared")
_REPORT_URL = Slot(key="report-url", title="the address of the published report (Art. 52(3))",
                   guidance="")


def _passport(d: BatteryReportData) -> dict[str, object]:
    scope = d.scope
    return {
        "basis": "Regulation (EU) 2023/1542, Art. 77(1) and Annex XIII point 1 (responsible "
                 "sourcing information from the report of Art. 52(3))",
        "annex_xiii_confirmed": False,
        "operator": d.operator, "reporting_year": d.reporting_year,
        "passport_required": scope.passport,
        "passport_from": scope.passport_from.isoformat() if scope.passport_from else None,
        "due_diligence_obligation": scope.status,
        "due_diligence_from": scope.applies_from.isoformat() if scope.applies_from else None,
        "due_diligence_report": {"url": _REPORT_URL.marker},
        "third_party_verification": {"notified_body": d.slot("verification").marker},
        "raw_materials": [m.model_dump(mode="json") for m in d.materials],
        "risk_categories": [x.model_dump(mode="json") for x in d.categories],
    }


def render_battery(profile: CompanyProfile, consolidation: Consolidation, as_of: dt.date,
                   rules: BatteryRules | None = None,
                   register: RiskRegister | None = None, *,
                   scope: BatteryScope | None = None) -> dict[str, str]:
    """Every battery document by file name (see the module docstring). ``scope``: what
    :func:`~.battery.battery_scope` gave for the same profile, date and rules, when the
    caller has it already."""
    rules = rules if rules is not None else load_battery_rules()
    scope = scope if scope is not None else battery_scope(profile, as_of, rules)
    rollup = battery_rollup(consolidation, rules, register)
    public = _public(profile, consolidation, scope, rollup)
    trail = battery_trail(profile.reporting_year, consolidation, scope, rules, rollup,
                          register)
    pack = BatteryPack(public=public, rollup=rollup, trail=trail)
    ctx = {"d": public, "material_header": _MATERIAL_HEADER, "material_rows": [
        (f"{m.annex} {m.material}", m.declaring, m.processors, *m.statuses.values(), m.flagged,
         ", ".join(m.mine_countries) or "none declared") for m in public.materials]}
    return {
        "battery-due-diligence-report.htm": render_html("battery-report.j2", **ctx),
        "battery-due-diligence-report.md": render_markdown("battery-report.j2", **ctx),
        "battery-passport-due-diligence.json": json.dumps(_passport(public), indent=2,
                                                          ensure_ascii=False) + "\n",
        **render_trail(trail, "battery-verification-pack"),
        "battery-verification-pack.json": pack.model_dump_json(indent=2) + "\n",
        "battery-checklist.md": render_markdown("checklist.md.j2", slots=SLOTS, actions=()),
    }


def write_battery(profile: CompanyProfile, consolidation: Consolidation, outdir: str | Path,
                  as_of: dt.date, rules: BatteryRules | None = None,
                  register: RiskRegister | None = None) -> list[Path]:
    """Write the battery documents into ``outdir`` as one run: all of them or none."""
    return write_documents(outdir, render_battery(profile, consolidation, as_of, rules,
                                                  register), name="battery")
