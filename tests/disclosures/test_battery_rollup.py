"""The battery due-diligence roll-up of a consolidation, and the register's risks placed
against the Annex X point 2 risk categories."""

from __future__ import annotations

import pytest

from mineral_compliance.consolidation import consolidate
from mineral_compliance.disclosures.battery import load_battery_rules
from mineral_compliance.disclosures.battery_rollup import battery_rollup
from mineral_compliance.models.consolidation import Consolidation
from mineral_compliance.models.matching import Snapshot
from mineral_compliance.upstream.risk import (
    AnnexII,
    Risk,
    RiskRegister,
    RiskSource,
    build_risk_register,
    expected_response,
)

from ..conftest import ROOT

DEMO = ROOT / "fixtures" / "demo"


@pytest.fixture(scope="module")
def battery_demo() -> Consolidation:
    return consolidate(sorted([*DEMO.glob("emrt*.xlsx"), *DEMO.glob("crt*.xlsx")]))


def _risk(rid: str, title: str, category: AnnexII = AnnexII.A, metal: str = "Cobalt",
          record: str = "a record", default: bool = False) -> Risk:
    return Risk(id=rid, source=RiskSource.INCIDENT, title=title, metal=metal,
                category=category, category_default=default, category_basis="given",
                level="level 2", status="open", status_basis="open in the record",
                response=expected_response(category), record=record)


def test_each_raw_material_rolls_up_its_answers_processors_and_mines(
        battery_demo: Consolidation) -> None:
    c = battery_demo
    rollup = battery_rollup(c, load_battery_rules(), build_risk_register(c))
    by = {m.material: m for m in rollup.materials}
    assert list(by) == ["Cobalt", "Natural graphite", "Lithium", "Nickel"]
    for m in rollup.materials:
        names = {n.casefold() for n in m.template_names}
        expected = [s for s in c.smelters if s.metal.casefold() in names]
        assert [p.key for p in m.processors] == [s.key for s in expected]
        assert sum(m.statuses.values()) == len(expected)
        assert m.flagged == sum(bool(s.flags) for s in expected)
        assert all(a.mineral.casefold() in names for a in m.answers)
        necessary = [a for a in c.answers if a.mineral.casefold() in names
                     and a.role is not None and a.role.value == "necessary"]
        assert m.declaring == sum(a.counts.get("Yes", 0) for a in necessary)
        mines = [x for x in c.mines if (x.metal or "").casefold() in names]
        assert sum(country.mines for country in m.mines) == len(
            {((x.country_code or ""), (x.name or "").casefold()) for x in mines})
    cobalt = by["Cobalt"]
    # the CRT and the EMRT both ask about cobalt; the EMRT calls natural graphite "Graphite"
    assert {a.family for a in cobalt.answers} == {"CRT", "EMRT"}
    assert by["Natural graphite"].answers and all(
        a.mineral == "Graphite" for a in by["Natural graphite"].answers)
    assert [(x.country_code, x.mines) for x in cobalt.mines] == [("FI", 1)]
    assert "answer:EMRT:Cobalt:cahra" in cobalt.risks
    # mica is in the consolidation but is no raw material of Annex X
    assert all("answer:EMRT:Mica:cahra" not in m.risks for m in rollup.materials)
    assert "answer:EMRT:Mica:cahra" not in rollup.outside


def test_risks_are_placed_in_annex_x_categories_with_their_basis(
        battery_demo: Consolidation) -> None:
    c = battery_demo
    register = RiskRegister(risks=(
        _risk("r1", "children under 15 working at the site"),
        _risk("r2", "a collapse at a pit", record="fatal accident"),
        _risk("r3", "gross human-rights abuse by guards"),
        _risk("r4", "tailings dam overflow into a river", category=AnnexII.D,
              record="contaminated water downstream"),
        _risk("r5", "armed group taxes the trade", category=AnnexII.B),
        _risk("r6", "a late submission of the audit report", category=AnnexII.F),
        _risk("r7", "child labour at a lithium brine site", metal="Lithium"),
        _risk("r8", "child labour at a tin mine", metal="Tin"),
    ), snapshots=(Snapshot(kind="itsci-incidents", source="incidents.csv", version="2026",
                           sha256="0" * 64, rows=8),))
    rollup = battery_rollup(c, load_battery_rules(), register)
    cat = {x.id: x for x in rollup.categories}
    assert cat["2(b)(ii)"].risks == ("r1", "r7") and cat["2(b)(ii)"].state == "risks-found"
    assert "'children'" in cat["2(b)(ii)"].basis[0]
    assert cat["2(b)(i)"].risks == ("r2",)
    assert set(cat["2(a)(ix)"].risks) == {"r4"} and cat["2(a)(ii)"].risks == ("r4",)
    assert rollup.human_rights == ("r3",)
    # conflict and governance risks have no category here; "submission" holds no "emission"
    assert rollup.outside == ("r5", "r6")
    assert cat["2(a)(i)"].risks == ()
    # the incidents read can show forced labour: screened, none found; noise has no data
    assert cat["2(b)(iii)"].state == "screened-none-found"
    assert cat["2(b)(iii)"].screened_by == ("itsci-incidents",)
    assert cat["2(a)(vi)"].state == "no-data" and "2(a)(vi)" in rollup.gaps
    assert "2(b)(ii)" not in rollup.gaps and "2(b)(iii)" not in rollup.gaps
    # a tin risk bears on no battery material
    assert all("r8" not in x.risks for x in rollup.categories)


def test_without_a_register_every_category_is_a_gap(battery_demo: Consolidation) -> None:
    rollup = battery_rollup(battery_demo, load_battery_rules())
    assert rollup.gaps == tuple(x.id for x in load_battery_rules().risk_categories)
    assert all(not m.risks for m in rollup.materials)
    assert rollup.snapshots[-1].kind == "battery-due-diligence"


def test_a_consolidation_without_battery_materials() -> None:
    cmrt = consolidate(sorted(DEMO.glob("cmrt*.xlsx")))
    rollup = battery_rollup(cmrt, load_battery_rules(), build_risk_register(cmrt))
    assert all(not m.answers and not m.processors and not m.mines for m in rollup.materials)
    assert not rollup.outside
