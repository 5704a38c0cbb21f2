"""Where sourcing is sensitive: the SEC's covered countries and the EU's indicative CAHRA list.

* The **covered countries** of SEC Rule 13p-1 (Form SD): the Democratic Republic of the Congo
  and the nine countries sharing a border with it.
* The **CAHRA list**: the indicative, non-exhaustive list of conflict-affected and high-risk
  areas kept for the European Commission under Regulation (EU) 2017/821. A country is listed
  whole, or by ISO 3166-2 regions each marked conflict-affected and/or high-risk. The loader
  reads the list's JSON form (``meta`` plus one entry per country); :func:`fetch_cahra`
  downloads a fresh copy, only when called.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import requests

from ..errors import ReferenceDataError
from ..models.matching import Snapshot
from ._files import read_capped
from ._text import file_date
from .fetch import fetch

__all__ = ["CAHRA_API_URL", "COVERED_COUNTRY_CODES", "CahraArea", "CahraList", "fetch_cahra",
           "load_cahra"]

CAHRA_API_URL = "https://cahra-api.cahraslist.net/api/v1/cahras"
"""The public API behind cahraslist.net, the source the stored JSON form names."""

COVERED_COUNTRY_CODES = frozenset({"CD", "AO", "BI", "CF", "CG", "RW", "SS", "TZ", "UG", "ZM"})
"""ISO 3166-1 alpha-2 codes of the DRC and its nine neighbours (Angola, Burundi, Central
African Republic, Republic of the Congo, Rwanda, South Sudan, Tanzania, Uganda, Zambia)."""

_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class CahraArea:
    """A listed country, or one listed region of a country."""

    country: str
    """ISO 3166-1 alpha-2."""
    region: str | None
    """ISO 3166-2 code (``CD-NK``), or ``None`` when the whole country is listed."""
    name: str
    conflict_affected: bool | None
    high_risk: bool | None
    """``None`` where the list names the whole country without saying which."""


@dataclass(frozen=True)
class CahraList:
    areas: tuple[CahraArea, ...]
    snapshot: Snapshot

    def lookup(self, country: str | None, region: str | None = None) -> list[CahraArea]:
        """Listed areas that cover the place: the whole country, or the given region; with
        no region known, every listed region of the country (the place may lie in one)."""
        if not country:
            return []
        code = country.upper()
        hits = [a for a in self.areas if a.country == code]
        if region:
            return [a for a in hits if a.region is None or a.region == region.upper()]
        return hits

    def countries(self) -> frozenset[str]:
        return frozenset(a.country for a in self.areas)


def load_cahra(path: str | Path) -> CahraList:
    """Read the CAHRA list's JSON form (``{"meta": {...}, "entries": [...]}``)."""
    path = Path(path)
    data = read_capped(path, _MAX_BYTES)
    try:
        doc = json.loads(data)
        if isinstance(doc, list):  # a bare list of country entries
            meta, entries = {}, doc
        else:
            meta = doc.get("meta", {})
            entries = next(doc[k] for k in ("entries", "data", "cahras", "items") if k in doc)
        areas: list[CahraArea] = []
        for entry in entries:
            iso2 = str(entry["iso2"]).upper()
            regions = entry.get("regions") or []
            if entry.get("wholeCountry") or not regions:
                areas.append(CahraArea(iso2, None, str(entry.get("countryName", iso2)),
                                       entry.get("conflictAffected"), entry.get("highRisk")))
            for r in regions:
                areas.append(CahraArea(iso2, str(r["code"]).upper(), str(r["name"]),
                                       bool(r.get("conflictAffected")),
                                       bool(r.get("highRisk"))))
    except (ValueError, KeyError, TypeError, AttributeError, StopIteration) as exc:
        raise ReferenceDataError(f"the file is not the CAHRA list's JSON form ({exc})",
                                 path=path) from exc
    version = (meta.get("version") or meta.get("dataUpdated") or meta.get("retrieved")
               or file_date(path))
    snapshot = Snapshot(kind="cahra", source=str(meta.get("source") or path),
                        version=str(version) if version else None,
                        sha256=hashlib.sha256(data).hexdigest(), rows=len(areas))
    return CahraList(tuple(areas), snapshot)


def fetch_cahra(cache_dir: str | Path, *, url: str = CAHRA_API_URL,
                session: requests.Session | None = None, timeout: float = 30.0) -> CahraList:
    """Download the CAHRA list (explicitly; cached, revalidated with the server) and load it.

    The loader takes the stored JSON form, a bare list of country entries, or an object
    holding them under ``entries``, ``data``, ``cahras`` or ``items``; a response in another
    shape is refused with a :class:`ReferenceDataError`, never half-read."""
    got = fetch(url, cache_dir, session=session, timeout=timeout)
    return load_cahra(got.path)
