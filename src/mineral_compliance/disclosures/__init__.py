"""Regulatory disclosures drawn from a consolidation: SEC Form SD and its Conflict Minerals
Report (Dodd-Frank Section 1502), and the Regulation (EU) 2017/821 reports."""

from .data import AuditTrail, DoddFrankData, EuData, EuReportData, FormSdData, Slot
from .documents import (
    company_statements,
    render_dodd_frank,
    render_form_sd,
    report_data,
    write_dodd_frank,
)
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
    "AuditTrail",
    "Determination",
    "DoddFrankData",
    "EuData",
    "EuReportData",
    "Fact",
    "FormSdData",
    "MetalDetermination",
    "Rcoi",
    "Slot",
    "company_statements",
    "determine",
    "edgar_problems",
    "filing_deadline",
    "load_profile",
    "render_dodd_frank",
    "render_form_sd",
    "report_data",
    "write_dodd_frank",
]
