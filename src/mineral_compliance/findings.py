"""Findings and reports: :mod:`mineral_compliance.models.findings`, under the name they have
always been imported by."""

from .models.findings import Basis, Finding, Report, Severity

__all__ = ["Basis", "Finding", "Report", "Severity"]
