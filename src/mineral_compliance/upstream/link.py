"""The chain upstream of the smelter: declared mines screened against the CAHRA list and
matched to known mine sites.

A declared mine is screened by its country (and, for a known site, its region) against the
EU indicative CAHRA list. In the DRC, a declared mine name is matched to the IPIS sites by
normalised name: equal names link; close names (RapidFuzz ratio of at least
:data:`SITE_SUGGEST`) are offered as candidates, never linked without review.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz, process

from ..models.consolidation import DeclaredMine
from ..names import COVERED_COUNTRY_CODES, name_key, region_code
from ..refdata.regions import CahraList
from .ipis import MineSite

__all__ = ["SITE_SUGGEST", "MineScreen", "UpstreamSummary", "screen_mines",
           "upstream_summary"]

SITE_SUGGEST = 90.0


class MineScreen(BaseModel):
    model_config = ConfigDict(frozen=True)

    mine: DeclaredMine
    covered_country: bool
    cahra: bool | None
    """True: the country (or the linked site's region) is listed; None: the country has
    listed regions and the mine's region is unknown; False: not listed."""
    site: str | None = None
    """The IPIS site code the mine name links to."""
    candidates: tuple[str, ...] = ()
    site_risks: tuple[str, ...] = ()


class UpstreamSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    metal: str
    country: str
    declarations: int
    covered_country: bool
    cahra: str
    """"listed", "regions listed" or "not listed"."""
    linked_sites: int
    sites_with_armed_groups: int


def screen_mines(mines: Iterable[DeclaredMine], *, cahra: CahraList | None = None,
                 sites: Sequence[MineSite] = ()) -> list[MineScreen]:
    keyed = {name_key(s.latest.name or ""): s for s in sites if s.latest.name}
    choices = list(keyed)
    out = []
    for mine in mines:
        code = mine.country_code
        site = None
        candidates: tuple[str, ...] = ()
        if code == "CD" and mine.name and keyed:
            key = name_key(mine.name)
            site = keyed.get(key)
            if site is None and key:
                found = process.extract(key, choices, scorer=fuzz.ratio, limit=3,
                                        score_cutoff=SITE_SUGGEST)
                candidates = tuple(keyed[c].code for c, _score, _i in found)
        listed: bool | None = False
        if cahra is not None and code:
            region = (region_code(code, site.latest.province) if site is not None else None)
            areas = cahra.lookup(code, region)
            if any(a.region is None for a in areas) or (areas and region):
                listed = True
            elif areas:
                listed = None
        risks: tuple[str, ...] = ()
        if site is not None:
            v = site.latest
            risks = tuple(r for r, on in (("non-state armed groups", v.non_state_armed_groups),
                                          ("public security forces", v.public_security_forces),
                                          ("illegal taxation", v.illegal_taxation),
                                          ("child labour", bool(v.children_under_15))) if on)
        out.append(MineScreen(mine=mine, covered_country=code in COVERED_COUNTRY_CODES,
                              cahra=listed, site=site.code if site else None,
                              candidates=candidates, site_risks=risks))
    return out


def upstream_summary(screens: Iterable[MineScreen]) -> list[UpstreamSummary]:
    """Per metal and declared country: how many declarations, CAHRA listing, linked sites."""
    groups: dict[tuple[str, str], list[MineScreen]] = defaultdict(list)
    for s in screens:
        groups[(s.mine.metal or "unknown", s.mine.country_code or "unresolved")].append(s)
    out = []
    for (metal, country), items in sorted(groups.items()):
        states = {s.cahra for s in items}
        cahra = ("listed" if True in states else "regions listed" if None in states
                 else "not listed")
        out.append(UpstreamSummary(
            metal=metal, country=country, declarations=len(items),
            covered_country=any(s.covered_country for s in items), cahra=cahra,
            linked_sites=len({s.site for s in items if s.site}),
            sites_with_armed_groups=len({s.site for s in items
                                         if s.site and "non-state armed groups" in
                                         s.site_risks})))
    return out
