"""The template releases this library reads, and the versions a campaign accepts.

The RMI asks a company to use the newest template releases when it launches its survey and to
state which versions it accepted. :class:`AcceptPolicy` is that statement: parsed from a short
text such as ``CMRT>=6.5,EMRT>=2.1,AMRT>=1.3``, checked against each file by the rule
``template-version-not-accepted``, and written into the consolidation and the Conflict
Minerals Report.

Every release fact comes from the layout registry (:data:`~.layouts.LAYOUTS`): the current and
previous release of a family are the two newest releases its tables list, so a new table moves
the default policy and the "use the current release" advice with no other change. An
unbranded re-issue (``6.6.1`` of ``6.6``) is the same release as the one it re-issues.

Versions compare as the RMI numbers them, with :func:`~.detect.version_key`: the digits after
the dot are a decimal fraction, so 6.01 < 6.1 = 6.10 < 6.22 < 6.3 < 6.31 < 6.5.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from ..errors import PolicyError
from ..models.declaration import TemplateKind
from .detect import release_of, version_key
from .layouts import LAYOUTS, Layout

__all__ = [
    "AcceptPolicy",
    "Clause",
    "current_release",
    "default_policy",
    "describe_accepted",
    "previous_release",
    "release_of",
    "releases",
]


def releases(kind: TemplateKind, layouts: Iterable[Layout] = LAYOUTS) -> tuple[str, ...]:
    """Every release of ``kind`` the layout tables read, oldest first."""
    if layouts is LAYOUTS:
        return _known_releases(kind)
    found = {release_of(v) for la in layouts if la.kind is kind for v in la.versions}
    return tuple(sorted(found, key=version_key))


@cache
def _known_releases(kind: TemplateKind) -> tuple[str, ...]:
    """:func:`releases` of the tables the library ships, found once per family."""
    return releases(kind, list(LAYOUTS))


def current_release(kind: TemplateKind, layouts: Iterable[Layout] = LAYOUTS) -> str | None:
    """The newest release of ``kind`` the layout tables read (None for a family without)."""
    known = releases(kind, layouts)
    return known[-1] if known else None


def previous_release(kind: TemplateKind, layouts: Iterable[Layout] = LAYOUTS) -> str | None:
    """The release before the current one (None when the tables know only one)."""
    known = releases(kind, layouts)
    return known[-2] if len(known) > 1 else None


_OPS: dict[str, tuple[Callable[[tuple[int, ...], tuple[int, ...]], bool], str]] = {
    ">=": (operator.ge, "{v} or later"),
    ">": (operator.gt, "later than {v}"),
    "<=": (operator.le, "{v} or earlier"),
    "<": (operator.lt, "earlier than {v}"),
    "==": (operator.eq, "{v}"),
}
_CLAUSE = re.compile(r"([A-Za-z]+)\s*(?:(>=|<=|==|=|>|<)\s*(\S*))?")
"""A clause with the space around it trimmed (a trailing repetition of spaces beside the one
before the comparison would try every way to share a long run between the two)."""
_VERSION = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,4}){0,2}")
_FAMILIES = ", ".join(k.value for k in TemplateKind)
_HINT = (f"write comma-separated clauses such as CMRT>=6.4 (families: {_FAMILIES}; "
         "comparisons: >=, >, <=, <, ==; a family alone accepts every version of it)")


@dataclass(frozen=True)
class Clause:
    """One condition on the versions of one family: ``CMRT>=6.4``. Without ``op`` the clause
    accepts every version of the family."""

    kind: TemplateKind
    op: str | None = None
    version: str | None = None

    def holds(self, version: str) -> bool:
        if self.op is None or self.version is None:
            return True
        compare = _OPS[self.op][0]
        return compare(version_key(release_of(version)), version_key(release_of(self.version)))

    def describe(self) -> str:
        if self.op is None or self.version is None:
            return f"any {self.kind.value}"
        return f"{self.kind.value} " + _OPS[self.op][1].format(v=self.version)

    def __str__(self) -> str:
        return self.kind.value if self.op is None else f"{self.kind.value}{self.op}{self.version}"


@dataclass(frozen=True)
class AcceptPolicy:
    """Which template versions a campaign accepts: a file is accepted when its family has
    clauses and every one of them holds for its version (a family the policy does not name is
    not accepted). Build one with :meth:`parse` or :meth:`default`."""

    clauses: tuple[Clause, ...]

    @classmethod
    def parse(cls, spec: str) -> AcceptPolicy:
        """The policy ``spec`` states, e.g. ``"CMRT>=6.5,EMRT>=2.1,AMRT>=1.3"``.

        Family names are case-insensitive; ``=`` is read as ``==``. Raises
        :class:`~mineral_compliance.errors.PolicyError` naming the part that cannot be read."""
        if not isinstance(spec, str):
            raise TypeError(f"a policy is text, not {type(spec).__name__}")
        if not spec.strip():
            raise PolicyError("the policy is empty", spec=spec, part="", hint=_HINT)
        clauses: list[Clause] = []
        for part in spec.split(","):
            clauses.append(_clause(spec, part))
        return cls(tuple(clauses))

    @classmethod
    def default(cls, layouts: Iterable[Layout] = LAYOUTS) -> AcceptPolicy:
        """The current and the previous release of every family the tables read (and any
        later release): ``CMRT>=<previous>``, and so on per family."""
        tables = tuple(layouts)
        clauses = []
        for kind in TemplateKind:
            floor = previous_release(kind, tables) or current_release(kind, tables)
            if floor is not None:
                clauses.append(Clause(kind, ">=", floor))
        return cls(tuple(clauses))

    def families(self) -> tuple[TemplateKind, ...]:
        """The families the policy names, in the order it names them."""
        return tuple(dict.fromkeys(c.kind for c in self.clauses))

    def accepts(self, kind: TemplateKind, version: str) -> bool:
        """Whether a file of ``kind`` in ``version`` is within the policy."""
        mine = [c for c in self.clauses if c.kind is kind]
        return bool(mine) and all(c.holds(version) for c in mine)

    def describe(self, kind: TemplateKind | None = None) -> str:
        """The accepted versions in words: of one family ("CMRT 6.4 or later"), or of all
        ("CMRT 6.4 or later; EMRT 2.0 or later")."""
        if kind is not None:
            mine = [c.describe() for c in self.clauses if c.kind is kind]
            return " and ".join(mine) if mine else f"no {kind.value} version"
        return "; ".join(self.describe(k) for k in self.families())

    def __str__(self) -> str:
        return ",".join(str(c) for c in self.clauses)


def _clause(spec: str, part: str) -> Clause:
    m = _CLAUSE.fullmatch(part.strip())
    if m is None or not part.strip():
        if not part.strip():
            raise PolicyError("a clause is empty (two commas in a row, or one at an end)",
                              spec=spec, part="", hint=_HINT)
        raise PolicyError(f"{part.strip()!r} is not a clause like CMRT>=6.4", spec=spec,
                          part=part.strip(), hint=_HINT)
    name, op, version = m.groups()
    kind = next((k for k in TemplateKind if k.value == name.upper()), None)
    if kind is None:
        raise PolicyError(f"{name!r} is not a template family", spec=spec, part=part.strip(),
                          hint=_HINT)
    if op is None:
        return Clause(kind)
    if version and version[0] in "<>=!":
        written = op + re.match(r"[<>=!]+", version).group()  # type: ignore[union-attr]
        raise PolicyError(f"{written!r} in {part.strip()!r} is not a comparison (use >=, >, "
                          "<=, < or ==)", spec=spec, part=part.strip(), hint=_HINT)
    if not version or _VERSION.fullmatch(version) is None:
        raise PolicyError(f"{version!r} in {part.strip()!r} is not a version number",
                          spec=spec, part=part.strip(), hint=_HINT)
    return Clause(kind, "==" if op == "=" else op, version)


def describe_accepted(text: str | None, kind: TemplateKind | None = None) -> str | None:
    """A recorded policy text in words (of one family, if given): the text as it is when it
    cannot be read back, None when nothing was recorded."""
    if not text:
        return None
    try:
        return AcceptPolicy.parse(text).describe(kind)
    except PolicyError:
        return text


@lru_cache(maxsize=1)
def default_policy() -> AcceptPolicy:
    """:meth:`AcceptPolicy.default` over the registry, built once."""
    return AcceptPolicy.default()
