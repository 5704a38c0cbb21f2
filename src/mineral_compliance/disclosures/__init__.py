"""Regulatory disclosures drawn from a consolidation: SEC Form SD and its Conflict Minerals
Report (Dodd-Frank Section 1502)."""

from .dodd_frank import (
    Determination,
    Fact,
    MetalDetermination,
    Rcoi,
    determine,
    filing_deadline,
    load_profile,
)

__all__ = [
    "Determination",
    "Fact",
    "MetalDetermination",
    "Rcoi",
    "determine",
    "filing_deadline",
    "load_profile",
]
