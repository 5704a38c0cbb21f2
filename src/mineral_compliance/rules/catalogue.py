"""Render the registry as the findings catalogue (``docs/findings.md``)."""

from __future__ import annotations

from ..models.declaration import TemplateKind
from ..models.findings import Basis
from ..refdata.matching import CURRENCY_FINDINGS
from ..refdata.status import BAD_DATE
from ._registry import registry

__all__ = ["render_catalogue"]

_BASIS = {
    Basis.CHECKER: "RMI Checker item",
    Basis.INSTRUCTIONS: "template instructions / data validation",
    Basis.CONSISTENCY: "consistency",
    Basis.POLICY: "the campaign's stated policy",
}


def render_catalogue() -> str:
    """The Markdown text of ``docs/findings.md``."""
    rules = sorted(registry().values(), key=lambda r: (list(Basis).index(r.basis), r.code))
    lines = [
        "# Findings catalogue",
        "",
        "Generated from the rule registry (`python scripts/export_docs.py`); do not edit by",
        "hand. Codes are stable. Select or skip rules, by code or by tag, with",
        "`validate(..., select=..., ignore=...)` or",
        "`mineral-compliance validate --select/--ignore` (`--select smelters --ignore",
        "duplicate-smelter-row`). A rule that crashes is reported as `rule-failed` and never",
        "hides the others.",
        "",
        "| code | severity | basis | templates | tags | what it means |",
        "|---|---|---|---|---|---|",
    ]
    for r in rules:
        kinds = ("all" if r.kinds == frozenset(TemplateKind)
                 else ", ".join(k.value for k in TemplateKind if k in r.kinds))
        tags = ", ".join(sorted(r.tags)) or "-"
        lines.append(f"| `{r.code}` | {r.severity.value} | {_BASIS[r.basis]} | {kinds} | "
                     f"{tags} | {r.title} |")
    lines.append("")
    for r in rules:
        lines += [f"## `{r.code}`", "", f"**{r.title}**", ""]
        if r.description:
            lines += [r.description, ""]
        tagged = f" Tags: {', '.join(sorted(r.tags))}." if r.tags else ""
        lines += [f"Severity: {r.severity.value}. Basis: {_BASIS[r.basis]}.{tagged}", ""]
    lines += [
        "## Findings of the status assessment", "",
        "Not rules of one template: a consolidation (`consolidate`) and a cross-check",
        "(`crosscheck`) put these on a Smelter List row once its smelter is resolved and read",
        "against the status lists given (`--status-list`), as of a date (`--as-of`). They go",
        "into the file's feedback and count among its errors and warnings.", "",
        "| code | severity | what it means |", "|---|---|---|",
    ]
    for code, (severity, title, _) in CURRENCY_FINDINGS.items():
        lines.append(f"| `{code}` | {severity.value} | {title} |")
    lines.append("")
    for code, (severity, title, description) in CURRENCY_FINDINGS.items():
        lines += [f"### `{code}`", "", f"**{title}**", "", description, "",
                  f"Severity: {severity.value}. Basis: {_BASIS[Basis.CONSISTENCY]}.", ""]
    lines += [
        f"### `{BAD_DATE}`", "",
        "**A date or audit cycle in a status list cannot be read.**", "",
        "Reported by `load_status_list` (`StatusList.problems`; the commands print it as a",
        "warning) with the row and cell of the list. The row is read without that date: its",
        "conformance is then read from its status word alone.", "",
        "Severity: warning. Basis: consistency.", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
