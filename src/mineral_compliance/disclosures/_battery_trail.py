"""The verification pack's audit trail for battery due diligence: what was checked and on
which data (the checks first), every scope step with the act's values it rests on, the
facilities by status, the declared mines by country, the risks against Annex X point 2 and
the register, each fact down to the supplier file, sheet and cell."""

from __future__ import annotations

from ..models.battery import BatteryRules, BatteryScope
from ..models.consolidation import Consolidation
from ..names import metal_key
from ..upstream.risk import RiskRegister
from ._audit import audit_files, current_files, facility_sections, risk_section
from .battery_rollup import BatteryRollup, mines_by_country
from .data import AuditEntry, AuditSection, AuditTrail
from .dodd_frank import Fact

__all__ = ["battery_trail"]


def _checks_section(c: Consolidation, rollup: BatteryRollup,
                    register: RiskRegister | None) -> AuditSection:
    """What was checked for Articles 49 and 50, on which data, with the result."""
    files = [f for f in c.files if f.kind in ("EMRT", "CRT")]
    current = current_files(c, ("EMRT", "CRT"))
    entries = [
        AuditEntry(subject="Supplier declarations read (EMRT, CRT)", value=str(len(files)),
                   facts=tuple(Fact(statement=f"{f.company or f.supplier or 'unnamed'}: "
                                    f"{f.kind} {f.version or ''}, {f.status.value}, "
                                    f"{f.errors} errors, {f.warnings} warnings.",
                                    source="validation", locations=(f.file,))
                               for f in files)),
        AuditEntry(subject="Declarations consolidated (not superseded or unreadable)",
                   value=str(len(current)), facts=()),
    ]
    for m in rollup.materials:
        review = [p for p in m.processors if p.needs_review]
        entries.append(AuditEntry(
            subject=f"Art. 49(1)(d) {m.material}: processors identified, not resolved "
                    "against the reference list, flagged", value=f"{len(m.processors)}, "
            f"{len(review)}, {m.flagged}", facts=tuple(
                Fact(statement=f"{p.name} ({p.smelter_id or 'no ID'}): not resolved.",
                     source="reference matching") for p in review)))
    states = {s: [x.id for x in rollup.categories if x.state == s]
              for s in ("risks-found", "screened-none-found", "no-data")}
    entries.append(AuditEntry(
        subject="Art. 50(1)(a) Annex X point 2 categories: with risks, screened with none "
                "found, without data", value=", ".join(str(len(v)) for v in states.values()),
        facts=tuple(Fact(statement=f"{state}: {', '.join(ids) or 'none'}.",
                         source="risk register" if register is not None else "no register")
                    for state, ids in states.items())))
    return AuditSection(title="What was checked, on which data", entries=tuple(entries))


def _scope_section(scope: BatteryScope, rules: BatteryRules) -> AuditSection:
    entries = []
    for step in scope.conclusions:
        facts = [Fact(statement=f"{r.id} = {r.value}: {r.source}."
                      + (f" Read as: \u201c{r.wording}\u201d ({r.language})." if r.wording
                         else f" Not yet checked against the act's text: {r.note}"),
                      source="battery due-diligence table")
                 for r in (rules.rule(i) for i in step.rests_on)]
        facts.insert(0, Fact(statement=step.text, source=", ".join(step.articles)))
        entries.append(AuditEntry(subject=f"Scope: {step.question}",
                                  value=step.answer_word,
                                  facts=tuple(facts)))
    return AuditSection(title="Scope of Chapter VII (Art. 47, 48(1), 77(1))",
                        entries=tuple(entries))


def _mines_section(c: Consolidation, rollup: BatteryRollup) -> AuditSection:
    entries = []
    for m in rollup.materials:
        groups = mines_by_country(c, {metal_key(n) for n in m.template_names})
        for country, rows in zip(m.mines, groups.values(), strict=True):
            entries.append(AuditEntry(
                subject=f"{m.material}: mines in {country.country or 'no country named'}",
                value=str(country.mines), facts=tuple(
                    Fact(statement=f"{x.name or 'unnamed mine'} declared by {x.supplier}"
                         + (f" for {x.smelter}" if x.smelter else "") + ".",
                         source="Mine List", locations=(f"{x.file} [{x.sheet}!{x.cell}]",))
                    for x in rows)))
    return AuditSection(title="Declared mines by country", entries=tuple(entries))


def _annex_x_section(rollup: BatteryRollup) -> AuditSection:
    entries = [AuditEntry(subject=f"Annex X {x.id}: {x.label}", value=x.state, facts=tuple(
        [Fact(statement=b, source="risk register") for b in x.basis]
        + [Fact(statement=f"screened by the upstream data read ({k})", source=k)
           for k in x.screened_by])) for x in rollup.categories]
    entries.append(AuditEntry(subject="Annex X 2(b) as a whole", value=str(
        len(rollup.human_rights)), facts=tuple(Fact(statement=r, source="risk register")
                                              for r in rollup.human_rights)))
    entries.append(AuditEntry(subject="Risks outside Annex X point 2", value=str(
        len(rollup.outside)), facts=tuple(Fact(statement=r, source="risk register")
                                         for r in rollup.outside)))
    return AuditSection(title="Risks against Annex X point 2 (Art. 50(1)(a))",
                        entries=tuple(entries))


def battery_trail(year: int, c: Consolidation, scope: BatteryScope, rules: BatteryRules,
                  rollup: BatteryRollup, register: RiskRegister | None) -> AuditTrail:
    names = [n for m in rollup.materials for n in m.template_names]
    return AuditTrail(
        title=f"Verification pack: battery due diligence {year}", reporting_year=year,
        files=audit_files(c),
        sections=(_checks_section(c, rollup, register), _scope_section(scope, rules),
                  *facility_sections(c, names), _mines_section(c, rollup),
                  _annex_x_section(rollup),
                  *((risk_section(register.for_metals(names)),) if register else ())),
        snapshots=(*rollup.snapshots, *(register.snapshots if register else ())))
