"""The one place for how names compare: facility names, countries and regions, metals,
smelter IDs, placeholders and the SEC's covered countries. The rules, the matcher, the
upstream links and the disclosures all ask here, so one spelling gets one answer everywhere.

Names: accents are removed (Unicode decomposition), case is folded, ``&`` reads as "and",
punctuation separates words, and legal-form words (Co., Ltd., GmbH, S.A., PT, Tbk, ...) are
dropped, as are a few spelling variants of the same word. The words keep their order; a second
key sorts them, so "Tin Smelter Thai" and "Thai Tin Smelter" meet.

Countries: resolved to ISO 3166-1 alpha-2 codes with ``pycountry`` (names, official names,
common names, codes), after reordering the "Korea, Republic of" form, plus the short or former
names suppliers use (South Korea, Russia, DRC, Turkey, Swaziland).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "COVERED_COUNTRY_CODES",
    "country_code",
    "country_name",
    "in_covered_country",
    "is_placeholder",
    "metal_key",
    "name_key",
    "normalise_id",
    "region_code",
    "same_name",
    "sorted_key",
]

COVERED_COUNTRY_CODES = frozenset({"CD", "AO", "BI", "CF", "CG", "RW", "SS", "TZ", "UG", "ZM"})
"""ISO 3166-1 alpha-2 codes of the DRC and its nine neighbours (Angola, Burundi, Central
African Republic, Republic of the Congo, Rwanda, South Sudan, Tanzania, Uganda, Zambia): the
"covered countries" of SEC Rule 13p-1."""

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
    import pycountry  # loaded when a country is first looked up

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


@lru_cache(maxsize=512)
def country_name(code: str | None) -> str | None:
    """The common English name of an ISO 3166-1 alpha-2 code ("CD" -> "Congo, The
    Democratic Republic of the"), or ``None`` for no known code."""
    if not code:
        return None
    import pycountry

    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return None
    return str(getattr(country, "common_name", None) or country.name)


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
    import pycountry

    index: dict[str, str] = {}
    found = pycountry.subdivisions.get(country_code=country)  # type: ignore[no-untyped-call]
    # pycountry gives a set, in an order that differs from process to process; where two
    # subdivisions share a name (Toshkent, the city UZ-TK and the region UZ-TO) the first
    # would win, so they are taken in code order: the same answer in every process
    for sub in sorted(found or (), key=lambda sub: str(sub.code)):
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


_PLACEHOLDERS = frozenset({
    "smelter not listed", "smelter not yet identified", "not yet identified", "unidentified",
    "unknown", "not known", "n a", "na", "0", "none", "nil", "not supplied",
    "not applicable", "not available", "tbd", "tba", "to be determined", "",
})
_METALS = {
    "sn": "tin", "tin sn": "tin", "ta": "tantalum", "tantalum ta": "tantalum",
    "w": "tungsten", "tungsten w": "tungsten", "wolfram": "tungsten", "au": "gold",
    "gold au": "gold", "co": "cobalt", "cobalt co": "cobalt", "natural mica": "mica",
    "natural graphite": "graphite", "cu": "copper", "li": "lithium", "ni": "nickel",
}
_CID = re.compile(r"^CID0*(\d{1,6})$")
_WORDS = re.compile(r"[^\w]+")


def metal_key(metal: str | None) -> str | None:
    """The metal in a comparable form (``"Tin (Sn)"`` and ``"TIN"`` give ``"tin"``)."""
    if not metal or not metal.strip():
        return None
    form = " ".join(w for w in _WORDS.split(metal.casefold()) if w)
    return _METALS.get(form, form)


def normalise_id(smelter_id: str | None) -> str | None:
    """A smelter ID in the reference list's form: ``CID`` and six digits, upper case; other
    IDs upper-cased with spaces removed; ``None`` when blank."""
    if smelter_id is None:
        return None
    text = re.sub(r"[\s\-_]", "", str(smelter_id)).upper()
    if not text:
        return None
    m = _CID.match(text)
    return f"CID{int(m.group(1)):06d}" if m else text


def is_placeholder(text: str | None) -> bool:
    """The value names no facility: blank, "Smelter not yet identified", "Unknown", "N/A"..."""
    if text is None:
        return True
    return " ".join(w for w in _WORDS.split(text.casefold()) if w) in _PLACEHOLDERS


def same_name(a: str | None, b: str | None) -> bool:
    """Whether two facility names are the same name once compared as :func:`name_key` does
    (two names with nothing distinctive left are not the same)."""
    ka, kb = name_key(a or ""), name_key(b or "")
    return bool(ka) and ka == kb


def in_covered_country(country: str | None) -> bool:
    """Whether a country as written (a name in any common spelling, or a code) is the DRC or
    one of its nine neighbours."""
    return country_code(country) in COVERED_COUNTRY_CODES
