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

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import requests

from ..errors import ReferenceDataError
from ..models.matching import Snapshot
from ..tables import read_capped
from ._text import file_date
from .fetch import fetch

__all__ = ["CAHRA_API_URL", "CahraArea", "CahraList", "fetch_cahra", "load_cahra"]

CAHRA_API_URL = "https://cahra-api.cahraslist.net/api/v1/cahras"
"""The public API behind cahraslist.net, the source the stored JSON form names."""

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
    date: dt.date | None = None
    """The day the list is as of: from its own ``meta`` (``dataUpdated``, else
    ``reportsUpdated``, else ``retrieved``), else the file's modification date."""
    dated_by: str = "none"
    """Where :attr:`date` comes from: ``meta: dataUpdated`` (and so on), ``file date`` or
    ``none``."""

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


def _flag(value: object, where: str, path: Path) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ReferenceDataError(f"{where} is {value!r}, not true, false or null", path=path)


def _text(value: object, where: str, path: Path) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ReferenceDataError(f"{where} is {repr(value)[:40]}, not a text", path=path)


def _optional_text(value: object, where: str, path: Path) -> str | None:
    """Text, or None when the field is null or blank; any other value raises."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _text(value, where, path)


_DAY = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})")
_DATE_KEYS = ("dataUpdated", "reportsUpdated", "retrieved")
"""The ``meta`` fields a list's date is read from, in order: when its data last changed,
when its reports did, when it was downloaded."""


def _list_date(stated: dict[str, str | None], path: Path) -> tuple[dt.date | None, str]:
    for key in _DATE_KEYS:
        found = _DAY.match(stated.get(key) or "")
        if found:
            try:
                return dt.date(*(int(g) for g in found.groups())), f"meta: {key}"
            except ValueError:
                raise ReferenceDataError(f"meta: {key} is {stated[key]!r}, not a date",
                                         path=path) from None
    try:
        stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    except OSError:
        return None, "none"
    return stamp.date(), "file date"


def load_cahra(path: str | Path) -> CahraList:
    """Read the CAHRA list's JSON form (``{"meta": {...}, "entries": [...]}``)."""
    path = Path(path)
    data = read_capped(path, _MAX_BYTES)
    try:
        doc = json.loads(data)
    except RecursionError as exc:
        raise ReferenceDataError("the JSON is nested too deeply to be the CAHRA list",
                                 path=path) from exc
    except ValueError as exc:  # not JSON, or not UTF-8/16/32 text
        raise ReferenceDataError(f"the file is not the CAHRA list's JSON form ({exc})",
                                 path=path) from exc
    meta: object = {}
    if isinstance(doc, list):  # a bare list of country entries
        entries: object = doc
    elif isinstance(doc, dict):
        meta = doc.get("meta") or {}
        key = next((k for k in ("entries", "data", "cahras", "items") if k in doc), None)
        if key is None:
            raise ReferenceDataError("the file is not the CAHRA list's JSON form (no entries, "
                                     "data, cahras or items)", path=path)
        entries = doc[key]
    else:
        raise ReferenceDataError("the file is not the CAHRA list's JSON form (neither an "
                                 "object nor a list)", path=path)
    if not isinstance(meta, dict) or not isinstance(entries, list):
        raise ReferenceDataError("the file is not the CAHRA list's JSON form (meta must be an "
                                 "object and the entries a list)", path=path)
    areas: list[CahraArea] = []
    for number, entry in enumerate(entries, start=1):
        where = f"entry {number}"
        if not isinstance(entry, dict):
            raise ReferenceDataError(f"{where} is not an object", path=path)
        iso2 = _text(entry.get("iso2"), f"{where}: iso2", path).upper()
        regions = entry.get("regions") or []
        if not isinstance(regions, list):
            raise ReferenceDataError(f"{where}: regions is not a list", path=path)
        whole = _flag(entry.get("wholeCountry"), f"{where}: wholeCountry", path)
        name = _optional_text(entry.get("countryName"), f"{where}: countryName", path)
        if whole or not regions:
            areas.append(CahraArea(iso2, None, name or iso2,
                                   _flag(entry.get("conflictAffected"),
                                         f"{where}: conflictAffected", path),
                                   _flag(entry.get("highRisk"), f"{where}: highRisk", path)))
        for r_number, r in enumerate(regions, start=1):
            r_where = f"{where}, region {r_number}"
            if not isinstance(r, dict):
                raise ReferenceDataError(f"{r_where} is not an object", path=path)
            areas.append(CahraArea(iso2, _text(r.get("code"), f"{r_where}: code", path).upper(),
                                   _text(r.get("name"), f"{r_where}: name", path),
                                   bool(_flag(r.get("conflictAffected"),
                                              f"{r_where}: conflictAffected", path)),
                                   bool(_flag(r.get("highRisk"), f"{r_where}: highRisk",
                                              path))))
    stated = {key: _optional_text(meta.get(key), f"meta: {key}", path)
              for key in ("version", "source", *_DATE_KEYS)}
    version = (stated["version"] or stated["dataUpdated"] or stated["retrieved"]
               or file_date(path))
    snapshot = Snapshot(kind="cahra", source=stated["source"] or str(path),
                        version=version or None,
                        sha256=hashlib.sha256(data).hexdigest(), rows=len(areas))
    day, dated_by = _list_date(stated, path)
    return CahraList(tuple(areas), snapshot, day, dated_by)


def fetch_cahra(cache_dir: str | Path, *, url: str = CAHRA_API_URL,
                session: requests.Session | None = None, timeout: float = 30.0) -> CahraList:
    """Download the CAHRA list (explicitly; cached, revalidated with the server) and load it.

    The loader takes the stored JSON form, a bare list of country entries, or an object
    holding them under ``entries``, ``data``, ``cahras`` or ``items``; a response in another
    shape is refused with a :class:`ReferenceDataError`, never half-read."""
    got = fetch(url, cache_dir, session=session, timeout=timeout)
    return load_cahra(got.path)
