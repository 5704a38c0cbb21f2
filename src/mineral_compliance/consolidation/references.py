"""What each family's rows are resolved against: the reference list given for it, else the
Smelter Look-up of the newest template of the family among the inputs."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Sequence

from ..errors import MineralComplianceError
from ..inputs import Input, input_stream
from ..models.reference import SmelterReference
from ..refdata.crosscheck import newest_per_family
from ..refdata.legacy import LegacyIds
from ..refdata.matching import SmelterMatcher
from ..refdata.regions import CahraList
from ..refdata.status import StatusList
from ..templates import reference_from_template
from .loading import Loaded

__all__ = ["ReferenceSource", "from_inputs", "matchers_by_family"]

ReferenceSource = Callable[[str], SmelterReference]
"""The Smelter Look-up of the input labelled so (raises a
:class:`~mineral_compliance.errors.MineralComplianceError` when it cannot be had)."""


def from_inputs(items: Sequence[Input]) -> ReferenceSource:
    """Look-ups read again from the inputs themselves."""
    by_label = {i.label: i for i in items}

    def reference_of(label: str) -> SmelterReference:
        return reference_from_template(input_stream(by_label[label]))

    return reference_of


def matchers_by_family(
    readable: Sequence[Loaded],
    reference_of: ReferenceSource,
    *,
    references: Sequence[SmelterReference],
    legacy: LegacyIds | None,
    status_lists: Sequence[StatusList],
    cahra: CahraList | None,
    as_of: dt.date | None = None,
) -> dict[str, SmelterMatcher]:
    """A matcher for each family among ``readable``, by family name. A family with no list
    (none given, none among its files, or its newest file changed since it was read) gets a
    matcher with an empty list: its rows go to review and the snapshots say so."""
    refs: dict[str, SmelterReference] = {r.kind.value: r for r in references}
    newest = newest_per_family((r.decl.kind.value, r.reference, r) for r in readable
                               if r.reference is not None and r.decl is not None)
    for fam, r in newest.items():
        if fam not in refs:
            # changed or removed since its worker read it: the family is matched without a
            # look-up (the snapshots say so, its rows go to review) and the run goes on
            with contextlib.suppress(MineralComplianceError):
                refs[fam] = reference_of(r.label)
    matchers: dict[str, SmelterMatcher] = {}
    for r in readable:
        assert r.decl is not None
        fam = r.decl.kind.value
        if fam not in matchers:
            ref = refs.get(fam) or SmelterReference(
                kind=r.decl.kind, version="-", file="(none)", sha256="-",
                sheet="-", entries=())
            matchers[fam] = SmelterMatcher(ref, legacy=legacy, status_lists=status_lists,
                                           cahra=cahra, as_of=as_of)
    return matchers
