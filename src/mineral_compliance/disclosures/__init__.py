"""Regulatory disclosures drawn from a consolidation: SEC Form SD and its Conflict Minerals
Report (Dodd-Frank Section 1502)."""

from .documents import company_statements, render_dodd_frank, report_data, write_dodd_frank
from .dodd_frank import (
    Determination,
    Fact,
    MetalDetermination,
    Rcoi,
    determine,
    filing_deadline,
    load_profile,
)
from .edgar import edgar_problems

__all__ = [
    "Determination",
    "Fact",
    "MetalDetermination",
    "Rcoi",
    "company_statements",
    "determine",
    "edgar_problems",
    "filing_deadline",
    "load_profile",
    "render_dodd_frank",
    "report_data",
    "write_dodd_frank",
]
