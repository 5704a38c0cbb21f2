"""Findings: what a rule says about one supplier document, pointing at a cell.

A supplier's wrong or missing answer never raises; it becomes a :class:`Finding` in a
:class:`Report`. Codes are stable kebab-case names (never renamed once released) so users can
select, ignore and count them across thousands of files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .declaration import TemplateIdentity

__all__ = ["Basis", "Finding", "Report", "Severity"]


class Severity(StrEnum):
    """How sure the library is that something must change."""

    ERROR = "error"
    """The template makes the violation unambiguous (the RMI Checker flags it, or the
    template's own data validation would have refused the value)."""
    WARNING = "warning"
    """Plausibly wrong: a contradiction or an odd value a reviewer should look at."""
    INFO = "info"
    """Worth knowing, no action required."""


class Basis(StrEnum):
    """Where the rule comes from."""

    CHECKER = "checker"
    """An item of the RMI workbook's own Checker sheet."""
    INSTRUCTIONS = "instructions"
    """The template's instructions or its data validation."""
    CONSISTENCY = "consistency"
    """A contradiction between answers, lists and reference data the Checker cannot see."""
    POLICY = "policy"
    """The requesting company's stated policy (the template versions its campaign accepts),
    as the RMI asks companies to state it."""


_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class Finding(BaseModel):
    """One problem (or note) about one place in one supplier document."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Stable kebab-case rule code, e.g. 'company-name-missing'.")
    severity: Severity
    message: str = Field(description="What is wrong, in words a supplier understands.")
    hint: str | None = Field(default=None, description="What to do about it.")
    basis: Basis
    file: str
    sheet: str | None = None
    cell: str | None = None
    subject: str | None = Field(
        default=None, description="The mineral, smelter ID or product the finding is about."
    )
    checker_item: str | None = Field(
        default=None,
        description="For Checker findings: the Checker item it answers (the Declaration cell "
        "it points at, 'Product List', 'Smelter List - <mineral>' or 'Smelter not listed').",
    )
    instruction: str | None = Field(
        default=None,
        description="For Checker findings: the RMI's own instruction for the item, as the "
        "supplier's workbook words it in the language its Declaration picks (from the "
        "hidden language sheet), beside the English message and hint. None when the "
        "supplier picked English, or the workbook has no such text for the item.",
    )
    instruction_language: str | None = Field(
        default=None,
        description="ISO 639-1 code of the instruction's language (fr, de, zh, ...).",
    )

    def sort_key(self) -> tuple[int, str, int, str, str]:
        sheet = self.sheet or ""
        col = (self.cell or "").rstrip("0123456789")
        row = int((self.cell or "0")[len(col):] or 0)
        return (_ORDER[self.severity], sheet, row, col, self.code)


class Report(BaseModel):
    """Every finding about one supplier document."""

    model_config = ConfigDict(frozen=True)

    file: str
    template: TemplateIdentity | None = None
    findings: tuple[Finding, ...] = ()

    @property
    def valid(self) -> bool:
        """No error findings."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def by_severity(self, severity: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is severity)

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def flatten(self, fields: Sequence[str] = ("code", "sheet", "cell")) -> list[tuple[Any, ...]]:
        """Findings as tuples of the named fields, in report order (for compact assertions)."""
        return [tuple(getattr(f, name) for name in fields) for f in self.findings]

    def summary(self) -> dict[str, int]:
        counts = Counter(f.severity.value for f in self.findings)
        return {s.value: counts.get(s.value, 0) for s in Severity}

    def to_plain(self) -> dict[str, Any]:
        """The JSON shape of the ``validate --json`` command."""
        return {
            "file": self.file,
            "template": (
                {"kind": self.template.kind.value, "version": self.template.version}
                if self.template else None
            ),
            "valid": self.valid,
            "summary": self.summary(),
            "findings": [
                {"code": f.code, "severity": f.severity.value, "message": f.message,
                 "hint": f.hint, "basis": f.basis.value, "sheet": f.sheet, "cell": f.cell,
                 "subject": f.subject, "checker_item": f.checker_item,
                 "instruction": f.instruction,
                 "instruction_language": f.instruction_language}
                for f in self.findings
            ],
        }

    @classmethod
    def of(cls, file: str, template: TemplateIdentity | None,
           findings: Iterable[Finding]) -> Report:
        return cls(file=file, template=template,
                   findings=tuple(sorted(findings, key=Finding.sort_key)))
