"""Every Smelter List row of supplier templates resolved against reference and status lists.

:func:`crosscheck` is what ``mineral-compliance crosscheck`` runs. The inputs are collected by
:func:`~mineral_compliance.inputs.collect_inputs` (files, folders, globs, zip archives) and
read; each file's rows are resolved (:class:`~mineral_compliance.refdata.SmelterMatcher`)
against the reference list given, else against the newest Smelter Look-up of the file's family
among the inputs (ties: the first in input order), with statuses read as of ``as_of``. A row
whose smelter's conformance ran out before that date, or runs out before the following 31 May,
gets the finding ``status-expired`` or ``status-expiring`` (:attr:`Crosschecked.findings`).
A file whose family has no look-up among the inputs is returned with the reason, as is a file
that cannot be read: every input comes back, in input order.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import MineralComplianceError
from .inputs import close_archives, collect_inputs, input_stream
from .models.declaration import Declaration
from .models.findings import Finding
from .models.matching import SmelterMatch
from .models.reference import SmelterReference
from .refdata.crosscheck import (
    declared_rows,
    match_plain,
    newest_per_family,
    snapshots_plain,
)
from .refdata.legacy import LegacyIds
from .refdata.matching import SmelterMatcher, currency_findings
from .refdata.regions import CahraList
from .refdata.status import StatusList
from .templates.reader import read_with_reference

__all__ = ["Crosschecked", "crosscheck", "newest_references"]


@dataclass(frozen=True)
class Crosschecked:
    """One input of a cross-check: its rows resolved, or why they could not be."""

    label: str
    declaration: Declaration | None
    """None when the file could not be read."""
    matcher: SmelterMatcher | None = None
    """What the rows were resolved with; None when there was no reference list."""
    results: tuple[SmelterMatch, ...] = ()
    error_type: str | None = None
    error: str | None = None
    """Why the file could not be read, or why its rows could not be resolved."""

    @property
    def read(self) -> bool:
        return self.declaration is not None

    @property
    def findings(self) -> tuple[Finding, ...]:
        """The status findings of the rows (``status-expired``, ``status-expiring``), each
        naming the row's file, sheet and cell."""
        return tuple(x for r in self.results for x in currency_findings(r, self.label))

    @property
    def needs_reference(self) -> bool:
        """Read, but its rows wait for a reference list (``crosscheck(reference=...)``)."""
        return self.declaration is not None and self.matcher is None

    def to_plain(self) -> dict[str, Any]:
        """The JSON shape of one file of ``crosscheck --json``."""
        error = {"type": self.error_type, "message": self.error}
        if self.declaration is None:
            return {"file": self.label, "template": None, "valid": False, "error": error,
                    "summary": None, "findings": []}
        if self.matcher is None:
            return {"file": self.label, "error": error}
        grades = Counter(r.grade.value for r in self.results)
        return {
            "file": self.label,
            "error": None,
            "template": {"kind": self.declaration.template.kind.value,
                         "version": self.declaration.template.version},
            "summary": {"rows": len(self.results), "grades": dict(grades),
                        "accepted": sum(r.accepted for r in self.results),
                        "flagged": sum(bool(r.flags) for r in self.results)},
            "snapshots": snapshots_plain(self.matcher),
            "as_of": self.matcher.as_of.isoformat(),
            "findings": [x.model_dump(mode="json") for x in self.findings],
            "rows": [match_plain(r) for r in self.results]}


def newest_references(references: Iterable[SmelterReference | None]
                      ) -> dict[str, SmelterReference]:
    """The reference list of the newest template version of each family, by family name
    (ties: the first given)."""
    return newest_per_family((r.kind.value, r.version, r) for r in references if r is not None)


def crosscheck(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    reference: SmelterReference | None = None,
    legacy: LegacyIds | None = None,
    status_lists: Sequence[StatusList] = (),
    cahra: CahraList | None = None,
    exclude: Iterable[str | Path] = (),
    as_of: dt.date | None = None,
) -> list[Crosschecked]:
    """Every input's Smelter List rows resolved, in input order (see the module documentation).

    ``reference``: the list every file is resolved against (default: the newest look-up of
    each file's family among the inputs); ``legacy``, ``status_lists``, ``cahra``: as for
    :class:`~mineral_compliance.refdata.SmelterMatcher`; ``as_of``: the date statuses are read
    as of (default: 31 December of last year). Raises only what cannot be put on
    one input (an unexpected failure); a file's own problem is its :class:`Crosschecked`."""
    read: list[tuple[str, tuple[Declaration, SmelterReference | None] | Exception]] = []
    try:
        for item in collect_inputs(inputs, exclude=exclude):
            try:
                read.append((item.label, read_with_reference(input_stream(item))))
            except MineralComplianceError as exc:
                read.append((item.label, exc))
    finally:
        close_archives()
    newest = {} if reference is not None else newest_references(
        got[1] for _, got in read if isinstance(got, tuple))
    matchers: dict[str, SmelterMatcher] = {}
    out: list[Crosschecked] = []
    for label, got in read:
        if isinstance(got, Exception):
            out.append(Crosschecked(label, None, error_type=type(got).__name__,
                                    error=str(got)))
            continue
        decl = got[0]
        kind = decl.template.kind.value
        ref = reference or newest.get(kind)
        if ref is None:
            out.append(Crosschecked(
                label, decl, error_type="ReferenceDataError",
                error=f"no reference list: none was given and no {kind} template among the "
                      "inputs has a Smelter Look-up"))
            continue
        matcher = matchers.get(ref.sha256)
        if matcher is None:
            matcher = matchers[ref.sha256] = SmelterMatcher(
                ref, legacy=legacy, status_lists=status_lists, cahra=cahra, as_of=as_of)
        out.append(Crosschecked(label, decl, matcher,
                                tuple(matcher.match_all(declared_rows(decl)))))
    return out
