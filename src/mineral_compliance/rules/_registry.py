"""The rule registry: one plain function per invariant, registered with its code and basis."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..models.declaration import Declaration, TemplateKind
from ..models.findings import Basis, Severity
from ..models.reference import LookupEntry, SmelterReference
from ..models.values import Provenance
from ..templates.layouts import Layout
from ..templates.releases import AcceptPolicy, default_policy

__all__ = ["Context", "Hit", "Rule", "registry", "rule"]


@dataclass(frozen=True)
class Context:
    """What a rule may look at: the declaration, its layout table, the template's own smelter
    reference list (when it has one), the date the check runs on and the template versions
    the campaign accepts."""

    decl: Declaration
    layout: Layout
    reference: SmelterReference | None
    today: dt.date
    smelters_by_id: Mapping[str, tuple[LookupEntry, ...]] = field(default_factory=dict)
    """The reference's rows by casefolded smelter ID (built once per validation)."""
    accept: AcceptPolicy = field(default_factory=default_policy)
    """The template versions the campaign accepts (default: the current and the previous
    release of each family)."""
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """What several rules derive from the same declaration (the open Checker items, the rows
    per mineral), computed by the first rule that asks and kept for this validation."""


@dataclass(frozen=True)
class Hit:
    """One place a rule found its invariant broken; the registry turns it into a Finding."""

    message: str
    where: Provenance | None = None
    sheet: str | None = None
    cell: str | None = None
    subject: str | None = None
    hint: str | None = None
    checker_item: str | None = None


SHOWN_CHARS = 200
"""The most characters of a cell's text a finding's message quotes: a supplier's file may
repeat a 4,000 character text in thousands of cells, and each finding holds its message."""


def clipped(text: str) -> str:
    """``text`` as a message quotes it: its first :data:`SHOWN_CHARS` characters, and how
    many more there are."""
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS - 1]}\u2026 ({len(text) - SHOWN_CHARS + 1:,} characters more)"


def shown(value: object) -> str:
    """A cell's value quoted in a message (as ``repr``), its text :func:`clipped`."""
    return repr(clipped(value)) if isinstance(value, str) else repr(value)


RuleFunc = Callable[[Context], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A registered rule."""

    code: str
    severity: Severity
    basis: Basis
    title: str
    description: str
    func: RuleFunc = field(repr=False)
    kinds: frozenset[TemplateKind] = frozenset(TemplateKind)
    tags: frozenset[str] = frozenset()

    def applies_to(self, decl: Declaration) -> bool:
        return decl.template.kind in self.kinds


_RULES: dict[str, Rule] = {}


def rule(
    code: str,
    severity: Severity,
    basis: Basis,
    *,
    kinds: Iterable[TemplateKind] | None = None,
    tags: Iterable[str] = (),
) -> Callable[[RuleFunc], RuleFunc]:
    """Register ``func`` under ``code``. Its docstring's first line is the rule's title, the
    rest its description (both go into ``docs/findings.md``)."""

    def register(func: RuleFunc) -> RuleFunc:
        if code in _RULES:
            raise ValueError(f"rule code {code!r} registered twice")
        doc = inspect.getdoc(func) or ""
        title, _, rest = doc.partition("\n")
        _RULES[code] = Rule(
            code=code,
            severity=severity,
            basis=basis,
            title=title.strip(),
            description=rest.strip(),
            func=func,
            kinds=frozenset(kinds) if kinds else frozenset(TemplateKind),
            tags=frozenset(tags),
        )
        return func

    return register


def registry() -> Mapping[str, Rule]:
    """Every registered rule by code (read-only)."""
    return MappingProxyType(_RULES)
