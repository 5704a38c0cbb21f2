"""Render the registry as the findings catalogue (``docs/findings.md``)."""

from __future__ import annotations

from ..models.declaration import TemplateKind
from ..models.findings import Basis
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
    return "\n".join(lines).rstrip("\n") + "\n"
