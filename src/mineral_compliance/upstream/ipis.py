"""IPIS open data on artisanal mine sites (eastern DRC, and the other countries' files), as
typed sites with OECD Annex II risk indicators.

The open data has one row per visit. Visits are grouped by site code (``pcode``); each site
keeps its latest visit and its history. From the latest visit the indicators the OECD
Guidance's Annex II names are derived:

* **non-state armed groups**: a local or foreign armed group is present;
* **public security forces**: army or mining police elements interfere (IPIS records them as
  "Éléments indisciplinés");
* **illegal taxation**: an armed actor taxes production, trade or access;
* **child labour**: children under 15 work at the site;
* and whether the site is covered by a **traceability scheme** (iTSCI, Better Mining...).

Areas (province, territoire) summarise their sites' latest visits. Rows that cannot be read
are reported with their row number, never dropped.

Columns are found by header synonyms (case, spacing and underscores aside), since the
country files and the releases name them differently: the DRC file's ``province`` and
``territoire`` are a region and district, or a préfecture and sous-préfecture, elsewhere (see
:data:`COLUMN_SYNONYMS`). Child labour is read from a yes/no column (``1``/``0``, ``Yes``/``No``,
``Oui``/``Non``...) or a count of children (``0`` is none); an answer that is neither, or a
"no" beside a count above zero, makes the row unreadable, with the reason. Which header each
field was read from is kept (:attr:`IpisData.columns`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ReferenceDataError
from ..models.matching import Snapshot
from ..tables import CellValueError, csv_rows, header_columns, parse_date, read_capped

__all__ = ["CHILD_COUNT_COLUMNS", "COLUMN_SYNONYMS", "AreaRisk", "ArmedActor", "IpisData",
           "MineSite", "MineVisit", "load_ipis", "summarise"]

COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "pcode": ("pcode", "p_code", "site_pcode", "site_code", "code_site", "site_id"),
    "visit_date": ("visit_date", "date_of_visit", "date_visit", "date_visite",
                   "date de visite", "date"),
    "name": ("name", "site_name", "mine_name", "nom", "nom_site", "nom du site"),
    "province": ("province", "region", "région", "prefecture", "préfecture"),
    "territoire": ("territoire", "territory", "district", "sous_prefecture",
                   "sous-prefecture", "sous-préfecture", "sous_préfecture", "subprefecture",
                   "sub_prefecture"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "long", "lng"),
    "workers_numb": ("workers_numb", "workers_number", "number_of_workers", "nb_workers",
                     "workers", "nombre_de_creuseurs", "nombre_creuseurs"),
    "traceability": ("traceability", "tracabilite", "traçabilité"),
    "qualification": ("qualification", "site_qualification"),
    "childunder15": ("childunder15", "child_under_15", "children_under_15", "child_labour",
                     "child_labor", "enfants_moins_15", "enfants_moins_de_15_ans",
                     "presence_enfants"),
}
"""Field -> the headers it is read from, first match first. The first of each is the DRC
file's name; the others are the names the country files and releases use for it."""

CHILD_COUNT_COLUMNS = ("childunder15_numb", "children_numb", "children_number",
                       "number_of_children", "nb_children", "nb_enfants", "nombre_enfants",
                       "nombre_d_enfants")
"""Headers of a count of children under 15 at the site."""

_YES = frozenset({"1", "yes", "y", "oui", "true", "vrai", "present", "présent", "presente",
                  "présente", "présence"})
_NO = frozenset({"0", "no", "n", "non", "false", "faux", "absent", "absente", "aucun",
                 "none"})
_UNKNOWN = frozenset({"na", "n/a", "nan", "unknown", "inconnu", "don't know", "dont know",
                      "ne sait pas", "nsp", "-"})

_MINERALS = {
    "or": "Gold", "cassiterite": "Tin", "cassitérite": "Tin", "coltan": "Tantalum",
    "wolframite": "Tungsten", "cuivre": "Copper", "cobalt": "Cobalt", "diamant": "Diamond",
    "tourmaline": "Tourmaline",
}
_STATE_FORCES = ("fardc", "pmh", "police", "faca", "gendarmerie")
_NON_STATE = ("groupe armé", "groupe arme", "armed group", "rebel", "rebelle", "anti-balaka",
              "antibalaka", "séléka", "seleka")
_FLAG_PREFIX = "minerals_"
"""The Central African Republic file gives one 0/1 column per mineral (``minerals_or``,
``minerals_diamant``) where the DRC file names them in ``mineral1`` to ``mineral3``."""
_ACTOR_FORMS = {"tax": "taxation", "pillage": "pillaging", "taxation": "taxation",
                "pillaging": "pillaging", "forced_labour": "forced labour",
                "monopoly": "monopoly", "digging": "digging"}
"""Suffixes of the CAR file's ``actor1name_tax``-style columns and the form they record."""


class ArmedActor(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    kind: str | None
    frequency: str | None
    interference: tuple[str, ...] = Field(
        description="Forms recorded: taxation, commerce taxation, entrance taxation, "
                    "monopoly, buying minerals, digging, forced labour, pillaging, pit "
                    "ownership.")

    @property
    def state_force(self) -> bool:
        return any(w in f"{self.name} {self.kind or ''}".casefold() for w in _STATE_FORCES)

    @property
    def non_state(self) -> bool:
        return any(w in (self.kind or "").casefold() for w in _NON_STATE)


class MineVisit(BaseModel):
    model_config = ConfigDict(frozen=True)

    row: int
    site: str
    name: str | None
    date: dt.date
    province: str | None
    territoire: str | None
    latitude: float | None
    longitude: float | None
    workers: int | None
    minerals: tuple[str, ...]
    actors: tuple[ArmedActor, ...]
    traceability: str | None
    state_services: tuple[str, ...]
    children_under_15: bool | None
    qualification: str | None
    children_count: int | None = Field(
        default=None, description="Children under 15 counted at the site, where the file "
        "gives a count (or a yes/no column holds one).")

    @property
    def non_state_armed_groups(self) -> bool:
        return any(a.non_state for a in self.actors)

    @property
    def public_security_forces(self) -> bool:
        return any(a.state_force and "indiscipl" in (a.kind or "").casefold()
                   for a in self.actors)

    @property
    def illegal_taxation(self) -> bool:
        return any(any("taxation" in f for f in a.interference) for a in self.actors)


class MineSite(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    latest: MineVisit
    history: tuple[MineVisit, ...] = Field(description="Every visit, oldest first.")


class AreaRisk(BaseModel):
    model_config = ConfigDict(frozen=True)

    province: str
    territoire: str | None
    sites: int
    non_state_armed_groups: int
    public_security_forces: int
    illegal_taxation: int
    child_labour: int
    traceability: int
    minerals: dict[str, int]

    @property
    def traceability_share(self) -> float:
        return self.traceability / self.sites if self.sites else 0.0


@dataclass(frozen=True)
class IpisData:
    sites: tuple[MineSite, ...]
    invalid: tuple[tuple[int, str], ...]
    snapshot: Snapshot
    columns: Mapping[str, str] = field(default_factory=dict)
    """Field -> the file's header it was read from (the synonyms used)."""


def _yes(text: str | None) -> bool:
    return (text or "").strip().casefold() in _YES


def _whole(text: str) -> int | None:
    """A whole number of at least zero (``3``, ``3.0``), else None."""
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0 or value != int(value):
        return None
    return int(value)


def _children(flag_text: str, count_text: str) -> tuple[bool | None, int | None]:
    """Child labour from a yes/no answer and a count (either may be blank): whether children
    under 15 work at the site, and how many when counted."""
    flag: bool | None = None
    count: int | None = None
    answer = flag_text.strip().casefold()
    if answer in _YES:
        flag = True
    elif answer in _NO:
        flag = False
    elif answer and answer not in _UNKNOWN:
        count = _whole(answer)
        if count is None:
            raise CellValueError(f"the child labour answer {flag_text.strip()[:40]!r} is "
                                 "neither yes/no nor a count")
        flag = count > 0
    number = count_text.strip().casefold()
    if number and number not in _UNKNOWN:
        counted = _whole(number)
        if counted is None:
            raise CellValueError(f"the count of children {count_text.strip()[:40]!r} is not "
                                 "a whole number")
        if flag is False and counted > 0:
            raise CellValueError(f"child labour is answered no, but {counted} children are "
                                 "counted")
        count = counted
        flag = True if counted > 0 else (flag if flag is not None else False)
    return flag, count


def _number(row: dict[str, str], column: str, low: float, high: float) -> float | None:
    """The number in ``column``, None when blank; text, ``nan``, infinities and values
    outside ``low`` to ``high`` raise :class:`CellValueError`."""
    text = (row.get(column) or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise CellValueError(f"the {column} {text[:40]!r} is not a number from {low:g} to "
                             f"{high:g}")
    return value


_FORMS = ("taxation", "commerce_taxation", "entrance_taxation", "monopoly",
          "buying_minerals", "digging", "forced_labour", "pillaging", "pit_ownership")


def _absent(text: str) -> bool:
    """A blank actor cell, or one saying there is none (``0``, ``aucun``, ``no``)."""
    return text.casefold() in {"", "aucun", "aucune", *_NO}


def _actors(row: dict[str, str]) -> tuple[ArmedActor, ...]:
    """The armed actors of a visit: the DRC file's ``armed_group1`` to ``3`` with their type
    and forms of interference, or the CAR file's ``actor1name`` to ``3`` with the visit's
    ``actor_type`` (an ``actor_type`` with no name is one unnamed actor)."""
    out = []
    for i in (1, 2, 3):
        name = (row.get(f"armed_group{i}") or "").strip()
        if _absent(name):
            continue
        forms = tuple(f.replace("_", " ") for f in _FORMS
                      if _yes(row.get(f"{f}_armed_group{i}")))
        out.append(ArmedActor(name=name, kind=(row.get(f"type_armed_group{i}") or None),
                              frequency=(row.get(f"frequency_armed_group{i}") or None),
                              interference=forms))
    kind = (row.get("actor_type") or "").strip()
    names = [(i, n) for i in (1, 2, 3)
             if not _absent(n := (row.get(f"actor{i}name") or "").strip())]
    if not names and not _absent(kind):
        names = [(1, kind)]
    for i, name in names:
        forms = tuple(dict.fromkeys(
            form for suffix, form in _ACTOR_FORMS.items()
            if _yes(row.get(f"actor{i}name_{suffix}"))))
        out.append(ArmedActor(name=name, kind=None if _absent(kind) else kind,
                              frequency=None, interference=forms))
    return tuple(out)


def _minerals(row: dict[str, str]) -> tuple[str, ...]:
    """``mineral1`` to ``mineral3``, then every ``minerals_<name>`` column answered yes
    (``1``, ``1.0``, ``yes``, ``oui``)."""
    named = [m.strip() for m in (row.get(f"mineral{i}") or "" for i in (1, 2, 3)) if m.strip()]
    flagged = [column[len(_FLAG_PREFIX):].replace("_", " ") for column, value in row.items()
               if column.startswith(_FLAG_PREFIX) and _yes(_one(value))]
    return tuple(dict.fromkeys(_MINERALS.get(m.casefold(), m) for m in (*named, *flagged)))


def _one(text: str | None) -> str:
    """``1.0`` (a flag a spreadsheet stored as a number) as ``1``."""
    value = (text or "").strip()
    return "1" if value in ("1.0", "1.00") else value


def _visits(rows: Iterable[tuple[int, dict[str, str]]]
            ) -> tuple[list[MineVisit], list[tuple[int, str]]]:
    visits, invalid = [], []
    for number, row in rows:
        site = (row.get("pcode") or "").strip()
        if not site:
            invalid.append((number, "no site code (pcode)"))
            continue
        try:
            date = parse_date(row.get("visit_date"))
        except CellValueError as exc:
            invalid.append((number, f"visit_date: {exc}"))
            continue
        minerals = _minerals(row)
        services = tuple(s.strip() for s in (row.get(f"state_service{i}") or ""
                                             for i in (1, 2, 3, 4)) if s.strip())
        try:
            lat = _number(row, "latitude", -90, 90)
            lon = _number(row, "longitude", -180, 180)
            workers = _number(row, "workers_numb", 0, 10_000_000)
            children, counted = _children(row.get("childunder15", ""),
                                          row.get("children_count", ""))
        except CellValueError as exc:
            invalid.append((number, str(exc)))
            continue
        visits.append(MineVisit(
            row=number, site=site, name=(row.get("name") or None), date=date,
            province=(row.get("province") or None), territoire=(row.get("territoire") or None),
            latitude=lat, longitude=lon,
            workers=int(workers) if workers is not None else None, minerals=minerals,
            actors=_actors(row), traceability=(row.get("traceability") or None),
            state_services=services, children_under_15=children, children_count=counted,
            qualification=(row.get("qualification") or None)))
    return visits, invalid


def load_ipis(path: str | Path) -> IpisData:
    """Read the IPIS mine-site open data (CSV), grouped into sites."""
    source = Path(path)
    data = read_capped(source, 500 * 1024 * 1024)
    rows = csv_rows(data, source)
    given = [h.strip() for h in rows[0]] if rows else []
    header = [" ".join(h.casefold().split()).replace(" ", "_") for h in given]
    found = header_columns(given, {**COLUMN_SYNONYMS, "children_count": CHILD_COUNT_COLUMNS})
    if "pcode" not in found or "visit_date" not in found:
        raise ReferenceDataError(
            "not the IPIS mine-site data: no site code (pcode) and visit date (visit_date) "
            "columns", path=source,
            hint="the site code is read from " + ", ".join(COLUMN_SYNONYMS["pcode"])
                 + "; the visit date from " + ", ".join(COLUMN_SYNONYMS["visit_date"]))
    for name, index in found.items():
        header[index] = name
    records = ((n, {name: (r[i] if i < len(r) else "") for i, name in enumerate(header)})
               for n, r in enumerate(rows[1:], start=2) if any(c.strip() for c in r))
    visits, invalid = _visits(records)
    by_site: dict[str, list[MineVisit]] = defaultdict(list)
    for v in visits:
        by_site[v.site].append(v)
    sites = []
    for code in sorted(by_site):
        history = sorted(by_site[code], key=lambda v: (v.date, v.row))
        sites.append(MineSite(code=code, latest=history[-1], history=tuple(history)))
    latest = max((v.date for v in visits), default=None)
    snapshot = Snapshot(kind="ipis-mine-sites", source=str(source),
                        version=f"visits to {latest.isoformat()}" if latest else None,
                        sha256=hashlib.sha256(data).hexdigest(), rows=len(visits))
    columns = {name: given[index] for name, index in sorted(found.items(),
                                                            key=lambda kv: kv[1])}
    return IpisData(tuple(sites), tuple(invalid), snapshot, columns)


def summarise(sites: Iterable[MineSite], *, by_territoire: bool = True) -> list[AreaRisk]:
    """Annex II indicators per area, from each site's latest visit."""
    groups: dict[tuple[str, str | None], list[MineVisit]] = defaultdict(list)
    for s in sites:
        v = s.latest
        groups[(v.province or "unknown", v.territoire if by_territoire else None)].append(v)
    out = []
    for (province, territoire), visits in sorted(groups.items(),
                                                 key=lambda kv: (kv[0][0], kv[0][1] or "")):
        minerals: dict[str, int] = defaultdict(int)
        for v in visits:
            for m in v.minerals:
                minerals[m] += 1
        out.append(AreaRisk(
            province=province, territoire=territoire, sites=len(visits),
            non_state_armed_groups=sum(v.non_state_armed_groups for v in visits),
            public_security_forces=sum(v.public_security_forces for v in visits),
            illegal_taxation=sum(v.illegal_taxation for v in visits),
            child_labour=sum(bool(v.children_under_15) for v in visits),
            traceability=sum(bool(v.traceability) for v in visits),
            minerals=dict(sorted(minerals.items()))))
    return out
