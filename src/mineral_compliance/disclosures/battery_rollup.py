"""The battery due-diligence view of a consolidation: per Annex X raw material, what the
suppliers answered, the processors and smelters declared with their status and flags, the
declared mines by country and the upstream risks touching them; and every risk of the register
placed against the Annex X point 2 risk categories, with the categories no data speaks to
marked as gaps to close.

The EMRT (and before it the CRT, for cobalt) is where these answers come from; the EMRT names
natural graphite "Graphite". Supplier names stay out: the roll-up counts suppliers.

Placing a risk in a category is the library's reading, given with its basis: a risk's record
naming child labour is in 2(b)(ii), and so on (:data:`_CUES`); a serious abuse of OECD Annex II
(a) that names none of them is in the human-rights group (b) as a whole. Conflict and
governance risks of OECD Annex II (b) to (f), CAHRA origins and expired audits have no Annex X
point 2 category: they are listed apart, as risks the policy still has to address.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..models.battery import BatteryRules, RiskCategory
from ..models.consolidation import AnswerRollup, Consolidation, DeclaredMine
from ..models.declaration import QuestionRole
from ..models.matching import Flag, Snapshot, StatusKind
from ..names import metal_key
from ..upstream.risk import AnnexII, Risk, RiskRegister

__all__ = ["BatteryRollup", "CategoryCoverage", "MaterialRollup", "MineCountry", "Processor",
           "battery_rollup", "mines_by_country"]

_TEMPLATE_NAMES = {"1(a)": ("Cobalt",), "1(b)": ("Graphite", "Natural graphite"),
                   "1(c)": ("Lithium",), "1(d)": ("Nickel",)}
"""The names the templates give each raw material of Annex X point 1."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Processor(_Frozen):
    """A smelter, refiner or processor declared for the material."""

    key: str
    name: str
    smelter_id: str | None
    country: str | None
    status: StatusKind
    flags: tuple[Flag, ...]
    suppliers: int = Field(description="How many suppliers declared it.")
    needs_review: bool


class MineCountry(_Frozen):
    """The mines declared for the material in one country."""

    country: str | None
    country_code: str | None
    mines: int
    suppliers: int


class MaterialRollup(_Frozen):
    annex: str = Field(description="Its point in Annex X, e.g. 1(a).")
    material: str
    template_names: tuple[str, ...]
    answers: tuple[AnswerRollup, ...]
    declaring: int = Field(description="Supplier answers that the material is necessary to "
                                       "their products (question 1, 'Yes').")
    processors: tuple[Processor, ...]
    statuses: dict[str, int] = Field(description="Processors per audit status.")
    flagged: int = Field(description="Processors with a country or CAHRA flag.")
    mines: tuple[MineCountry, ...]
    risks: tuple[str, ...] = Field(description="Ids of the register's risks that bear on it.")


class CategoryCoverage(_Frozen):
    """One risk category of Annex X point 2: the risks placed in it, and why."""

    id: str
    group: str
    label: str
    risks: tuple[str, ...]
    basis: tuple[str, ...] = Field(description="Why each risk is placed here, in order.")
    screened_by: tuple[str, ...] = Field(
        description="The upstream data read that can show risks of this category.")
    state: Literal["risks-found", "screened-none-found", "no-data"]


class BatteryRollup(_Frozen):
    as_of: dt.date | None
    materials: tuple[MaterialRollup, ...]
    categories: tuple[CategoryCoverage, ...]
    human_rights: tuple[str, ...] = Field(
        description="Serious abuses (OECD Annex II (a)) naming no narrower category: Annex X "
                    "point 2(b) as a whole.")
    outside: tuple[str, ...] = Field(
        description="Risks with no Annex X point 2 category (conflict, governance, CAHRA "
                    "origin, audit), still to be addressed by the policy.")
    gaps: tuple[str, ...] = Field(description="Categories no data speaks to.")
    snapshots: tuple[Snapshot, ...]


_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("2(b)(ii)", ("child labour", "child-labour", "children", "child labor")),
    ("2(b)(iii)", ("forced labour", "forced-labour", "forced labor", "debt bondage")),
    ("2(b)(i)", ("health and safety", "accident", "fatal", "injur", "collapse")),
    ("2(b)(iv)", ("discriminat",)),
    ("2(b)(v)", ("trade union", "freedom of association", "collective bargaining")),
    ("2(c)", ("indigenous", "resettle", "displace", "communit")),
    ("2(a)(ii)", ("water pollution", "river", "water use", "contaminated water")),
    ("2(a)(iii)", ("soil", "erosion", "land degradation")),
    ("2(a)(iv)", ("deforest", "biodiversity", "habitat")),
    ("2(a)(v)", ("mercury", "cyanide", "hazardous substance")),
    ("2(a)(ix)", ("tailings", "waste")),
    ("2(a)(i)", ("air pollution", "emission", "dust")),
)
"""Words in a risk's title or record that place it in a category of Annex X point 2 (each
from the start of a word: "emission" is not found in "submission")."""
_SCREENS = {"itsci-incidents": ("2(b)(i)", "2(b)(ii)", "2(b)(iii)"),
            "ipis-mine-sites": ("2(b)(ii)", "2(b)(iii)")}
"""The upstream data that reports risks of these categories (its snapshot kind)."""


def _placed(risk: Risk) -> list[tuple[str, str]]:
    """The categories of ``risk`` and the basis of each; none when Annex X has none for it."""
    text = f"{risk.title} {risk.record} {risk.category_basis}".casefold()
    found = []
    for cid, cues in _CUES:
        cue = next((c for c in cues if re.search(r"\b" + re.escape(c), text)), None)
        if cue is not None:
            found.append((cid, f"{risk.id}: its record names {cue!r}"))
    if not found and risk.category is AnnexII.A and not risk.category_default:
        found = [(_HUMAN_RIGHTS, f"{risk.id}: a serious abuse of OECD Annex II (a), a "
                                 "human-rights risk naming no narrower category")]
    return found


_HUMAN_RIGHTS = "2(b)"
"""Annex X point 2(b) as a whole: human rights, labour rights and labour relations."""


def _processors(c: Consolidation, names: set[str | None]) -> tuple[Processor, ...]:
    return tuple(
        Processor(key=s.key, name=s.name, smelter_id=s.smelter_id, country=s.country,
                  status=s.status, flags=s.flags, suppliers=len(s.suppliers),
                  needs_review=s.needs_review)
        for s in c.smelters if metal_key(s.metal) in names)


def mines_by_country(c: Consolidation,
                     names: set[str | None]) -> dict[str | None, list[DeclaredMine]]:
    """The mines declared for the metals ``names``, by country: its code, else the text the
    supplier wrote (folded), else None; in the order the roll-up lists them."""
    groups: dict[str | None, list[DeclaredMine]] = defaultdict(list)
    for m in c.mines:
        if metal_key(m.metal) in names:
            groups[m.country_code or (m.country or "").strip().casefold() or None].append(m)
    return {k: groups[k] for k in sorted(groups, key=lambda k: (k is None, k or ""))}


def _mines(c: Consolidation, names: set[str | None]) -> tuple[MineCountry, ...]:
    return tuple(MineCountry(
        country=rows[0].country, country_code=rows[0].country_code,
        # an unnamed mine is a mine of its own
        mines=len({(m.name or "").strip().casefold() or f"unnamed: {m.file} {m.sheet} {m.cell}"
                   for m in rows}),
        suppliers=len({m.supplier for m in rows}))
        for rows in mines_by_country(c, names).values())


def _material(c: Consolidation, annex: str, material: str,
              register: RiskRegister | None) -> MaterialRollup:
    template_names = _TEMPLATE_NAMES.get(annex, (material,))
    names = {metal_key(n) for n in template_names}
    answers = tuple(a for a in c.answers if metal_key(a.mineral) in names)
    processors = _processors(c, names)
    statuses = Counter(p.status.value for p in processors)
    risks = register.for_metals(template_names).risks if register is not None else ()
    return MaterialRollup(
        annex=annex, material=material, template_names=template_names, answers=answers,
        declaring=sum(a.counts.get("Yes", 0) for a in answers
                      if a.role is QuestionRole.NECESSARY),
        processors=processors, statuses={s.value: statuses[s.value] for s in StatusKind},
        flagged=sum(bool(p.flags) for p in processors), mines=_mines(c, names),
        risks=tuple(r.id for r in risks))


def _coverage(category: RiskCategory, placed: list[tuple[str, str, str]],
              kinds: set[str]) -> CategoryCoverage:
    mine = [(rid, basis) for cid, rid, basis in placed if cid == category.id]
    screened = tuple(k for k in sorted(kinds) if category.id in _SCREENS.get(k, ()))
    state: Literal["risks-found", "screened-none-found", "no-data"] = (
        "risks-found" if mine else "screened-none-found" if screened else "no-data")
    return CategoryCoverage(id=category.id, group=category.group, label=category.label,
                            risks=tuple(r for r, _ in mine), basis=tuple(b for _, b in mine),
                            screened_by=screened, state=state)


def battery_rollup(c: Consolidation, rules: BatteryRules,
                   register: RiskRegister | None = None) -> BatteryRollup:
    """The roll-up of ``c`` per Annex X raw material (the four named ones; compounds are
    declared under their material), and ``register`` against Annex X point 2."""
    materials = tuple(_material(c, m.id, m.material, register) for m in rules.raw_materials
                      if m.id in _TEMPLATE_NAMES)
    touching = {rid for m in materials for rid in m.risks}
    risks = [r for r in (register.risks if register is not None else ()) if r.id in touching]
    placed: list[tuple[str, str, str]] = []
    outside = []
    for risk in risks:
        where = _placed(risk)
        if not where:
            outside.append(risk.id)
        placed.extend((cid, risk.id, basis) for cid, basis in where)
    kinds = {s.kind for s in register.snapshots} if register is not None else set()
    categories = tuple(_coverage(cat, placed, kinds) for cat in rules.risk_categories)
    return BatteryRollup(
        as_of=c.as_of, materials=materials, categories=categories,
        human_rights=tuple(dict.fromkeys(r for cid, r, _ in placed if cid == _HUMAN_RIGHTS)),
        outside=tuple(outside),
        gaps=tuple(cat.id for cat in categories if cat.state == "no-data"),
        snapshots=(*c.snapshots, *((rules.snapshot,) if rules.snapshot else ())))
