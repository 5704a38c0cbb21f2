"""Reference data for smelters and refiners, and resolving declared rows against it."""

from ..names import COVERED_COUNTRY_CODES, is_placeholder, metal_key, normalise_id
from .cahra_changes import CahraChanges, CahraStep, cahra_changes
from .fetch import FetchedFile, fetch
from .legacy import LegacyEntry, LegacyIds, load_legacy_ids
from .matching import SUGGEST_THRESHOLD, SmelterMatcher, cahra_flags
from .regions import (
    CAHRA_API_URL,
    CahraArea,
    CahraList,
    fetch_cahra,
    load_cahra,
)
from .roster import ROSTER_HEADERS, load_roster
from .status import StatusEntry, StatusList, load_status_list

__all__ = [
    "CAHRA_API_URL",
    "COVERED_COUNTRY_CODES",
    "ROSTER_HEADERS",
    "SUGGEST_THRESHOLD",
    "CahraArea",
    "CahraChanges",
    "CahraList",
    "CahraStep",
    "FetchedFile",
    "LegacyEntry",
    "LegacyIds",
    "SmelterMatcher",
    "StatusEntry",
    "StatusList",
    "cahra_changes",
    "cahra_flags",
    "fetch",
    "fetch_cahra",
    "is_placeholder",
    "load_cahra",
    "load_legacy_ids",
    "load_roster",
    "load_status_list",
    "metal_key",
    "normalise_id",
]
