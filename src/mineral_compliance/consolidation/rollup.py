"""The company's answers rolled up from the consolidated suppliers', per family, mineral and
question: each answer with the rule that gave it and the supplier answers it counted (the
rules are those of :mod:`mineral_compliance.consolidation`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet

from ..models.consolidation import AnswerRollup, ConsolidatedSmelter
from ..models.declaration import TemplateKind
from ..models.matching import Flag
from ..names import metal_key
from ..templates import latest_layout
from ..templates.layouts.base import RESPONSE_RATE, QuestionRoles
from .loading import Digest
from .suppliers import roster_responses

__all__ = ["response_rate_answer", "roll_up", "rolled_up_answer"]


def response_rate_answer(rate: float) -> str:
    """The response-rate literal for a share of suppliers that responded (0 to 1)."""
    if rate >= 1:
        return RESPONSE_RATE[0]
    for threshold, literal in ((0.9, RESPONSE_RATE[1]), (0.75, RESPONSE_RATE[2]),
                               (0.5, RESPONSE_RATE[3])):
        if rate > threshold:
            return literal
    return RESPONSE_RATE[4] if rate > 0 else RESPONSE_RATE[5]


def roll_up(decls: Sequence[Digest], smelters: Sequence[ConsolidatedSmelter],
            roster: Sequence[str] | None,
            listed: AbstractSet[tuple[TemplateKind, str]] | None = None
            ) -> Iterator[AnswerRollup]:
    """Every question of the newest layout of each family, for every mineral the family's
    consolidated suppliers declare. ``listed``: the (family, metal key) pairs of which some
    consolidated file lists a smelter row with a name or ID, when ``decls`` do not carry
    their rows."""
    by_family: dict[TemplateKind, list[Digest]] = defaultdict(list)
    for d in decls:
        by_family[d.kind].append(d)
    for family, members in sorted(by_family.items()):
        layout = latest_layout(d.layout for d in members)
        roles = layout.roles
        minerals = sorted({m for d in members for m in d.minerals})
        for mineral in minerals:
            flagged = {f for s in smelters if metal_key(s.metal) == metal_key(mineral)
                       and not s.needs_review for f in s.flags}
            if listed is None:
                any_listed = any(metal_key(row.metal) == metal_key(mineral)
                                 and (row.name or row.smelter_id)
                                 for d in members for row in d.rows)
            else:
                any_listed = (family, metal_key(mineral) or "") in listed
            unused = False
            for q in layout.questions:
                got = _answers(members, roles, mineral, q.key,
                               only_users=q.key not in roles.used)
                counts = dict(sorted(Counter(got).items()))
                if unused and q.key not in roles.used:
                    answer: str | None = None
                    rule = f"left blank: no supplier uses {mineral}"
                else:
                    answer, rule = rolled_up_answer(q.key, roles, got, q.choices_for(0),
                                                    flagged, roster, members, listed=any_listed)
                if q.key == roles.used[0]:
                    unused = answer == "No"
                yield AnswerRollup(family=family.value, mineral=mineral, question=q.key,
                                   role=roles.role_of(q.key), answer=answer, rule=rule,
                                   counts=counts)


def _answers(members: Sequence[Digest], roles: QuestionRoles, mineral: str, q: str, *,
             only_users: bool) -> list[str]:
    """Each consolidated supplier's answer ('' for none); with ``only_users``, only from the
    suppliers that say they use the mineral."""
    out = []
    for d in members:
        if mineral not in d.minerals:
            continue
        qa = d.answers.get(mineral, {})
        if only_users and qa.get(roles.used[0]) != "Yes":
            continue
        out.append(qa.get(q) or "")
    return out


def rolled_up_answer(key: str, roles: QuestionRoles, got: list[str], choices: tuple[str, ...],
                     flagged: set[Flag], roster: Sequence[str] | None,
                     members: Sequence[Digest], *, listed: bool) -> tuple[str | None, str]:
    """The company's answer to question ``key`` from the suppliers' answers ``got`` (and the
    flags of the mineral's smelters, the roster, whether a supplier lists a smelter of it),
    and the rule that gave it. An answer is one of ``choices`` or None (left blank)."""

    def literal(text: str) -> str | None:
        return text if text in choices else None

    if key in roles.used:
        if "Yes" in got:
            return "Yes", "Yes if any supplier says Yes"
        if listed:
            return "Yes", "Yes: a supplier lists a smelter for it, whatever its answer"
        if got and all(a == "No" for a in got):
            return "No", "No when every supplier says No"
        return literal("Unknown"), "Unknown otherwise (left blank where not a choice)"
    if key in (roles.covered_countries, roles.cahra):
        flag = Flag.COVERED_COUNTRY if key == roles.covered_countries else Flag.CAHRA
        if "Yes" in got or any(a.startswith(("DRC", "India")) for a in got) or flag in flagged:
            return "Yes", f"Yes if any supplier says so or any smelter is flagged {flag}"
        if got and all(a == "No" for a in got):
            return "No", "No when every supplier says No and no smelter is flagged"
        return literal("Unknown"), "Unknown when any supplier does not say No"
    if key in (roles.recycled, roles.identified, roles.reported):
        if got and all(a == "Yes" for a in got):
            return "Yes", "Yes only when every supplier says Yes"
        if "No" in got or "Unknown" not in choices:
            return "No", "No when any supplier does not say Yes"
        return "Unknown", "Unknown when answers are missing or unknown"
    if key == roles.response_rate:
        if roster is None:
            return None, "left to the user (no supplier roster given)"
        responded, surveyed = roster_responses(roster, members)
        rate = responded / surveyed if surveyed else 0.0
        return (response_rate_answer(rate),
                f"{responded} of {surveyed} suppliers on the roster responded")
    return None, "no roll-up rule for this question: left to the user"
