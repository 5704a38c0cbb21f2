"""Reference data for smelters and refiners, and resolving declared rows against it."""

from .legacy import LegacyEntry, LegacyIds, load_legacy_ids
from .matching import SUGGEST_THRESHOLD, SmelterMatcher, is_placeholder, metal_key, normalise_id

__all__ = [
    "SUGGEST_THRESHOLD",
    "LegacyEntry",
    "LegacyIds",
    "SmelterMatcher",
    "is_placeholder",
    "load_legacy_ids",
    "metal_key",
    "normalise_id",
]
