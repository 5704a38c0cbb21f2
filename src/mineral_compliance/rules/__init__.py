"""Validation rules: RMI Checker parity, template instructions and consistency checks.

``validate(declaration)`` runs every registered rule (or a selection) and returns a
:class:`~mineral_compliance.findings.Report`. A rule that crashes becomes a ``rule-failed``
finding; it never hides the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import IO

from ..findings import Basis, Finding, Report, Severity
from ..models.declaration import Declaration
from ..models.reference import LookupEntry, SmelterReference
from ..templates.layouts import LAYOUTS, Layout
from ..templates.reader import read_with_reference
from ..templates.releases import AcceptPolicy, default_policy
from . import checker, consistency  # noqa: F401  (registers the rules)
from ._registry import Context, Hit, Rule, registry

__all__ = ["Rule", "registry", "validate", "validate_file"]

_BY_NAME: dict[str, Layout] = {layout.name: layout for layout in LAYOUTS}


def _selected(select: Collection[str] | None, ignore: Collection[str] | None) -> list[Rule]:
    rules = registry()
    unknown = sorted(set(select or ()) | set(ignore or ()) - set(rules))
    unknown = [code for code in unknown if code not in rules]
    if unknown:
        raise ValueError(f"unknown rule code(s): {', '.join(unknown)}")
    chosen = [r for code, r in rules.items() if select is None or code in select]
    return [r for r in chosen if not ignore or r.code not in ignore]


def _finding(rule: Rule, file: str, hit: Hit) -> Finding:
    sheet, cell = hit.sheet, hit.cell
    if hit.where is not None:
        sheet, cell = sheet or hit.where.sheet, cell or hit.where.cell
    if cell in ("-", ""):
        cell = None
    return Finding(code=rule.code, severity=rule.severity, basis=rule.basis,
                   message=hit.message, hint=hit.hint, file=file, sheet=sheet, cell=cell,
                   subject=hit.subject, checker_item=hit.checker_item)


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
    rule codes to run or skip. ``today``: the date future-date checks compare with.
    ``accept``: the template versions the campaign accepts (:class:`AcceptPolicy`; default:
    the current and the previous release of each family).
    """
    layout = _BY_NAME[decl.template.layout]
    by_id: dict[str, list[LookupEntry]] = {}
    for entry in reference.entries if reference is not None else ():
        if entry.smelter_id:
            by_id.setdefault(entry.smelter_id.casefold(), []).append(entry)
    ctx = Context(decl=decl, layout=layout, reference=reference,
                  today=today or dt.date.today(),
                  smelters_by_id={k: tuple(v) for k, v in by_id.items()},
                  accept=accept or default_policy())
    findings: list[Finding] = []
    for r in _selected(select, ignore):
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
        findings.extend(_finding(r, decl.file, hit) for hit in hits)
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
