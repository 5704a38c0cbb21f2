"""Who sent what: each file's supplier, the one file per supplier and family that is
consolidated, and the suppliers a roster names."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from ..names import name_key
from ..templates.detect import version_key
from .loading import Digest, Loaded

__all__ = ["on_roster", "rank", "roster_keys", "roster_matches", "roster_responses",
           "superseded_by", "supplier_key"]


def supplier_key(decl: Digest) -> str:
    """The supplier of a file: its unique ID when it gives one, else its normalised company
    name, else the file itself."""
    uid = decl.unique_id
    if uid and uid.strip():
        return f"id:{uid.strip().casefold()}"
    name = decl.company
    return f"name:{name_key(name)}" if name and name_key(name) else f"file:{decl.file}"


def superseded_by(readable: Iterable[Loaded]) -> dict[str, str]:
    """File label -> the label of the file superseding it: of one supplier's files of one
    family, the one with the latest effective date is consolidated (ties: the later template
    version, then the file name)."""
    groups: dict[tuple[str, str], list[Loaded]] = defaultdict(list)
    for r in readable:
        assert r.decl is not None
        groups[(supplier_key(r.decl), r.decl.kind.value)].append(r)
    replaced: dict[str, str] = {}
    for members in groups.values():
        ranked = sorted(members, key=lambda r: rank(
            r.decl.effective_date if r.decl else None, r.decl.version if r.decl else None,
            r.label), reverse=True)
        for other in ranked[1:]:
            replaced[other.label] = ranked[0].label
    return replaced


def rank(effective_date: dt.date | None, version: str | None,
         label: str) -> tuple[str, tuple[int, ...], str]:
    """How one supplier's files of one family are ordered, the consolidated one highest: the
    latest effective date, then the later template version, then the file name."""
    return (effective_date.isoformat() if effective_date else "",
            version_key(version) if version else (0,), label)


def _roster_key(text: str) -> str:
    """A roster entry or a supplier's name or ID as compared: the normalised company name
    (legal forms, case, accents and punctuation aside), else the text itself."""
    return name_key(text) or text.strip().casefold()


def roster_keys(roster: Sequence[str]) -> set[str]:
    """The suppliers a roster names, each once however it is spelt."""
    return {_roster_key(r) for r in roster if r.strip()}


def roster_responses(roster: Sequence[str], members: Iterable[Digest]) -> tuple[int, int]:
    """How many suppliers on the roster sent one of ``members`` (by unique ID or normalised
    name), and how many suppliers the roster names."""
    surveyed = roster_keys(roster)
    responded = {k for d in members for k in roster_matches(d, surveyed)}
    return len(responded), len(surveyed)


def roster_matches(decl: Digest, surveyed: set[str]) -> set[str]:
    """The roster entries a declaration answers for: its unique ID's and its company name's."""
    keys = {_roster_key(text) for text in (decl.unique_id, decl.company) if text}
    return keys & surveyed


def on_roster(decl: Digest, surveyed: set[str] | None) -> bool | None:
    """Whether the declaration's supplier is on the roster; None without a roster."""
    return None if surveyed is None else bool(roster_matches(decl, surveyed))
