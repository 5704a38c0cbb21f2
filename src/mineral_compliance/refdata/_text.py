"""Normal forms for smelter names and countries, so that spellings of one facility compare equal.

Names: accents are removed (Unicode decomposition), case is folded, ``&`` reads as "and",
punctuation separates words, and legal-form words (Co., Ltd., GmbH, S.A., PT, Tbk, ...) are
dropped, as are a few spelling variants of the same word. The words keep their order; a second
key sorts them, so "Tin Smelter Thai" and "Thai Tin Smelter" meet.

Countries: resolved to ISO 3166-1 alpha-2 codes with ``pycountry`` (names, official names,
common names, codes), after reordering the "Korea, Republic of" form, plus the short or former
names suppliers use (South Korea, Russia, DRC, Turkey, Swaziland).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import pycountry

__all__ = ["country_code", "file_date", "name_key", "region_code", "sorted_key"]

_LEGAL_FORMS = frozenset({
    "ab", "ag", "as", "asa", "bhd", "bv", "co", "company", "corp", "corporation", "cv", "gmbh",
    "inc", "incorporated", "jsc", "kg", "kk", "llc", "ltd", "ltda", "limited", "nv", "oao",
    "ojsc", "oy", "oyj", "pjsc", "plc", "pt", "pte", "pty", "sa", "sas", "sarl", "sdn", "se",
    "spa", "srl", "tbk", "zao", "the", "of", "and", "kabushiki", "kaisha", "de",
})
"""Words that say what kind of company it is, not which one. "S.A." and "S.p.A." arrive here as
single letters and are joined back first (see ``_join_initials``)."""

_VARIANTS = {
    "metals": "metal", "metallurgical": "metallurgy", "metallurgic": "metallurgy",
    "smelting": "smelter", "smeltery": "smelter", "smelters": "smelter",
    "refining": "refinery", "refineries": "refinery", "refiners": "refiner",
    "mining": "mine", "mines": "mine", "minerals": "mineral",
    "industries": "industry", "industrial": "industry", "technologies": "technology",
    "materials": "material", "chemicals": "chemical", "resources": "resource",
    "centre": "center", "aluminium": "aluminum", "sulphur": "sulfur",
}
"""Spellings and inflections that name the same thing in facility names."""

_NON_WORD = re.compile(r"[^\w]+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().replace("&", " and ").replace("ß", "ss")


def _join_initials(words: list[str]) -> list[str]:
    """Runs of one-letter words (``s a``, ``s p a``, ``c v``) become one word (``sa``)."""
    out: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if run:
            out.append("".join(run))
            run = []
        if word:
            out.append(word)
    return out


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """The comparable form of a facility name ("" when nothing distinctive is left)."""
    words = _join_initials([w for w in _NON_WORD.split(_fold(name).replace("_", " ")) if w])
    kept = [_VARIANTS.get(w, w) for w in words if w not in _LEGAL_FORMS]
    return " ".join(kept)


@lru_cache(maxsize=65536)
def sorted_key(name: str) -> str:
    """``name_key`` with its words sorted, for names whose word order varies."""
    return " ".join(sorted(set(name_key(name).split())))


_COUNTRY_ALIASES = {
    "south korea": "KR", "korea": "KR", "republic of korea": "KR", "korea south": "KR",
    "north korea": "KP", "russia": "RU", "drc": "CD", "dr congo": "CD", "d r congo": "CD",
    "congo kinshasa": "CD", "democratic republic of congo": "CD",
    "democratic republic of the congo": "CD", "prc": "CN", "pr china": "CN", "p r china": "CN",
    "people s republic of china": "CN", "peoples republic of china": "CN",
    "mainland china": "CN",
    "congo brazzaville": "CG", "republic of congo": "CG", "congo republic": "CG",
    "turkey": "TR", "swaziland": "SZ", "macedonia": "MK", "burma": "MM", "ivory coast": "CI",
    "czech republic": "CZ", "uk": "GB", "great britain": "GB", "england": "GB",
    "holland": "NL", "iran": "IR", "syria": "SY", "laos": "LA", "vietnam": "VN",
    "taiwan": "TW", "hong kong": "HK", "macau": "MO", "macao": "MO", "bolivia": "BO",
    "venezuela": "VE", "tanzania": "TZ", "moldova": "MD", "palestine": "PS", "vatican": "VA",
    "cape verde": "CV", "east timor": "TL", "us": "US", "usa": "US", "u s a": "US",
    "united states": "US", "america": "US", "uae": "AE", "brasil": "BR",
}


def _country_form(text: str) -> str:
    return " ".join(w for w in _NON_WORD.split(_fold(text)) if w)


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in pycountry.countries:
        code = str(country.alpha_2)
        for attr in ("name", "official_name", "common_name", "alpha_2", "alpha_3"):
            value = getattr(country, attr, None)
            if not value:
                continue
            forms = {str(value)}
            text = str(value)
            if "," in text:  # "Korea, Republic of" -> "Republic of Korea"
                head, _, tail = text.partition(",")
                forms.add(f"{tail.strip()} {head.strip()}")
            if "(" in text:  # "Bolivia (Plurinational State of)" -> "Bolivia"
                forms.add(text.split("(", 1)[0])
            for form in forms:
                key = _country_form(form)
                index.setdefault(key, code)
                if key.startswith("the "):
                    index.setdefault(key[4:], code)
    for alias, code in _COUNTRY_ALIASES.items():
        index[_country_form(alias)] = code
    return index


@lru_cache(maxsize=4096)
def country_code(text: str | None) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country as written, or ``None`` when it names none
    (blank, "Unknown", a city)."""
    if not text or not text.strip():
        return None
    index = _country_index()
    form = _country_form(text)
    code = index.get(form)
    if code is None and "," in text:
        head, _, tail = text.partition(",")
        code = index.get(_country_form(f"{tail} {head}"))
    if code is None and form.startswith("the "):
        code = index.get(form[4:])
    return code


@lru_cache(maxsize=256)
def _regions(country: str) -> dict[str, str]:
    index: dict[str, str] = {}
    found = pycountry.subdivisions.get(country_code=country)  # type: ignore[no-untyped-call]
    for sub in found or ():
        index.setdefault(_country_form(str(sub.name)), str(sub.code))
        index.setdefault(_country_form(str(sub.code)), str(sub.code))
    return index


@lru_cache(maxsize=4096)
def region_code(country: str | None, region: str | None) -> str | None:
    """The ISO 3166-2 code of a state, province or region of ``country`` (an alpha-2 code),
    by its name as the RMI look-ups spell it ("Nord-Kivu", "Shandong Sheng"), or ``None``."""
    if not country or not region or not region.strip():
        return None
    return _regions(country.upper()).get(_country_form(region))


def file_date(path: Path) -> str | None:
    """"file dated YYYY-MM-DD" from the file's modification time: the version of a list that
    states none itself."""
    try:
        stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    except OSError:
        return None
    return f"file dated {stamp.date().isoformat()}"
