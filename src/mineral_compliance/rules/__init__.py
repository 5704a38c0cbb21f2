"""Validation rules: RMI Checker parity, template instructions and consistency checks.

``validate(declaration)`` runs every registered rule (or a selection) and returns a
:class:`~mineral_compliance.findings.Report`. A rule that crashes becomes a ``rule-failed``
finding; it never hides the others.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import IO

from ..models.declaration import Declaration
from ..models.findings import Basis, Finding, Report, Severity
from ..models.reference import LookupEntry, SmelterReference
from ..templates import layout_named
from ..templates.reader import read_with_reference
from ..templates.releases import AcceptPolicy, default_policy
from . import checker, consistency  # noqa: F401  (registers the rules)
from ._registry import Context, Hit, Rule, registry

__all__ = ["Rule", "registry", "select_rules", "validate", "validate_file"]



def select_rules(select: Collection[str] | None = None,
                 ignore: Collection[str] | None = None) -> list[Rule]:
    """The registered rules to run: those ``select`` names (every rule when ``None``), minus
    those ``ignore`` names. Each name is a rule code or a tag (``smelters``, ``checker``,
    ``dates``...: the tags the catalogue lists), which stands for every rule it is on.
    Raises ``ValueError`` naming what is neither."""
    rules = registry()
    tags: dict[str, set[str]] = {}
    for r in rules.values():
        for tag in r.tags:
            tags.setdefault(tag, set()).add(r.code)

    def codes(names: Collection[str]) -> set[str]:
        out: set[str] = set()
        for name in names:
            out |= {name} if name in rules else tags.get(name, set())
        return out

    unknown = sorted({*(select or ()), *(ignore or ())} - set(rules) - set(tags))
    if unknown:
        raise ValueError(f"unknown rule code(s) or tag(s): {', '.join(unknown)} (codes are in "
                         f"docs/findings.md; tags: {', '.join(sorted(tags))})")
    chosen = set(rules) if select is None else codes(select)
    chosen -= codes(ignore or ())
    return [r for code, r in rules.items() if code in chosen]


def _finding(rule: Rule, decl: Declaration, hit: Hit) -> Finding:
    sheet, cell = hit.sheet, hit.cell
    if hit.where is not None:
        sheet, cell = sheet or hit.where.sheet, cell or hit.where.cell
    if not cell:
        cell = None
    # the RMI's own wording of the Checker item, in the supplier's language, when it has one
    local = decl.checker_instructions
    said = local.items.get(hit.checker_item) if local and hit.checker_item else None
    return Finding(code=rule.code, severity=rule.severity, basis=rule.basis,
                   message=hit.message, hint=hit.hint, file=decl.file, sheet=sheet, cell=cell,
                   subject=hit.subject, checker_item=hit.checker_item,
                   instruction=said.text if said else None,
                   instruction_language=local.language if local and said else None)


_BY_ID: list[tuple[tuple[LookupEntry, ...], Mapping[str, tuple[LookupEntry, ...]]]] = []
"""The Look-up's rows by smelter ID, for the last few lists of rows: every file of a
release shares its rows (the same models), so they are indexed once per release."""
_BY_ID_KEPT = 4
_BY_ID_LOCK = threading.Lock()


def _by_id(entries: tuple[LookupEntry, ...]) -> Mapping[str, tuple[LookupEntry, ...]]:
    """The rows of ``entries`` by their smelter ID (case folded)."""
    with _BY_ID_LOCK:
        for kept, index in _BY_ID:
            if len(kept) == len(entries) and all(
                    a is b for a, b in zip(kept, entries, strict=True)):
                return index
    by_id: dict[str, list[LookupEntry]] = {}
    for entry in entries:
        if entry.smelter_id:
            by_id.setdefault(entry.smelter_id.casefold(), []).append(entry)
    index = MappingProxyType({k: tuple(v) for k, v in by_id.items()})
    with _BY_ID_LOCK:
        _BY_ID.insert(0, (entries, index))
        del _BY_ID[_BY_ID_KEPT:]
    return index


def validate(
    decl: Declaration,
    *,
    reference: SmelterReference | None = None,
    select: Collection[str] | None = None,
    ignore: Collection[str] | None = None,
    today: dt.date | None = None,
    accept: AcceptPolicy | None = None,
) -> Report:
    """Every finding the registered rules make about ``decl``.

    ``reference``: the template's own Smelter Look-up (``reference_from_template``), for the
    rules that check smelter IDs; those rules stay silent without it. ``select`` / ``ignore``:
    rule codes or tags to run or skip (:func:`select_rules`). ``today``: the date future-date
    checks compare with.
    ``accept``: the template versions the campaign accepts (:class:`AcceptPolicy`; default:
    the current and the previous release of each family).
    """
    layout = layout_named(decl.template.layout)
    ctx = Context(decl=decl, layout=layout, reference=reference,
                  today=today or dt.date.today(),
                  smelters_by_id=_by_id(reference.entries if reference is not None else ()),
                  accept=accept or default_policy())
    findings: list[Finding] = []
    for r in select_rules(select, ignore):
        if not r.applies_to(decl):
            continue
        try:
            hits: Iterable[Hit] = list(r.func(ctx))
        except Exception as exc:  # a crashing rule must not hide the others
            findings.append(Finding(
                code="rule-failed", severity=Severity.ERROR, basis=Basis.CONSISTENCY,
                message=f"The check {r.code!r} could not run: {type(exc).__name__}: {exc}",
                hint="report this with the file; the other checks ran", file=decl.file,
                subject=r.code,
            ))
            continue
        findings.extend(_finding(r, decl, hit) for hit in hits)
    return Report.of(decl.file, decl.template, findings)


def validate_file(
    source: str | Path | IO[bytes],
    *,
    select: Collection[str] | None = None,
    ignore: Collection[str] | None = None,
    today: dt.date | None = None,
    accept: AcceptPolicy | None = None,
) -> Report:
    """Read a supplier template and validate it against its own Smelter Look-up (the other
    arguments as for :func:`validate`).

    Raises a :class:`~mineral_compliance.errors.TemplateError` when the file cannot be read.
    """
    decl, reference = read_with_reference(source)
    return validate(decl, reference=reference, select=select, ignore=ignore, today=today,
                    accept=accept)
