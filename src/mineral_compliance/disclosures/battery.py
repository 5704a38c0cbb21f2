"""Regulation (EU) 2023/1542, Chapter VII: is an economic operator within the battery
due-diligence obligation, and from when?

The act's values (the date the obligation applies from, the net-turnover threshold, the
battery passport's date) ship as dated data with their Official Journal sources
(``data/battery-due-diligence.json``); a user can pass a table in the same shape, for example
once a pending amendment is adopted. A value whose wording was not read is marked
``confirmed: false``: every conclusion resting on it says so, and so does the answer.

The answer is built step by step, each step a :class:`~mineral_compliance.models.battery.Conclusion`
naming its articles:

1. the operator places batteries on the market or puts them into service (Art. 48(1));
2. its batteries are not all second-life batteries already placed on the market (Art. 47);
3. its net turnover in the financial year before the last one reaches the threshold, or its
   group's consolidated turnover exceeds it (Art. 47(1)), measured on the as-of date or, before
   the obligation applies, on the day it applies;
4. the as-of date is on or after the date of application (Art. 48(1));
5. separately, a battery passport is due for LMT, electric-vehicle and industrial batteries
   over 2 kWh (Art. 77(1)), whatever the operator's turnover.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from ..errors import ProfileError
from ..models.battery import (
    BatteryCategory,
    BatteryProfile,
    BatteryRules,
    BatteryScope,
    Conclusion,
)
from ..models.matching import Snapshot
from ..models.profile import CompanyProfile
from ._shipped import load_table

__all__ = ["battery_scope", "load_battery_rules"]

_SHIPPED = "data/battery-due-diligence.json"
_MAX_RULES_BYTES = 1024 * 1024


def load_battery_rules(path: str | Path | None = None) -> BatteryRules:
    """The table shipped with the library, or one the user supplies (same JSON)."""
    rules, data, source = load_table(
        BatteryRules, _SHIPPED, path, max_bytes=_MAX_RULES_BYTES,
        what="a battery due-diligence table", hint=f"see {_SHIPPED} for the shape")
    snap = Snapshot(kind="battery-due-diligence", source=source, version=rules.as_of.isoformat(),
                    sha256=hashlib.sha256(data).hexdigest(), rows=len(rules.rules))
    return rules.model_copy(update={"snapshot": snap})


def _eur(amount: float) -> str:
    return f"EUR {amount:,.0f}"


class _Steps:
    """The conclusions so far, and what the profile must add to decide."""

    def __init__(self, rules: BatteryRules) -> None:
        self.rules = rules
        self.out: list[Conclusion] = []
        self.needed: list[str] = []

    def add(self, question: str, answer: bool | None, text: str, articles: tuple[str, ...],
            rests_on: tuple[str, ...] = ()) -> bool | None:
        confirmed = all(self.rules.rule(r).confirmed for r in rests_on)
        if not confirmed:
            unread = ", ".join(f"{self.rules.rule(r).article} ({r})" for r in rests_on
                               if not self.rules.rule(r).confirmed)
            text += (" This rests on a value not yet checked against the act's text: "
                     f"{unread}.")
        self.out.append(Conclusion(question=question, answer=answer, text=text,
                                   articles=articles, rests_on=rests_on, confirmed=confirmed))
        return answer


def _turnover(profile: BatteryProfile, rules: BatteryRules,
              on: dt.date) -> tuple[bool | None, str, str | None]:
    """Whether the operator is within Chapter VII by turnover on ``on``: the answer, its
    words, and what the profile must add when it cannot be decided."""
    threshold = rules.amount("turnover_threshold_eur")
    last = max(y for y in range(on.year - 2, on.year + 1) if profile.year_ending(y) < on)
    year = last - 1
    ends = profile.year_ending(year).isoformat()
    figures = profile.figures(year)
    basis = (f"On {on.isoformat()} the financial year before the last one is the one ending "
             f"{ends}; the threshold is {_eur(threshold)}.")
    net = figures.net_turnover_eur if figures is not None else None
    group = figures.group_turnover_eur if figures is not None else None
    if profile.in_group and group is not None and group > threshold:
        return True, (f"{basis} The group's consolidated turnover, {_eur(group)}, exceeds it, "
                      "whatever the operator's own."), None
    if net is None:
        return None, f"{basis} The profile gives no net turnover for it.", (
            f"the net turnover of the financial year ending {ends} (turnover, year {year})")
    if net >= threshold:
        return True, f"{basis} The net turnover, {_eur(net)}, is not below it.", None
    if not profile.in_group:
        return False, (f"{basis} The net turnover, {_eur(net)}, is below it and the operator "
                       "belongs to no group: Chapter VII does not apply."), None
    if group is None:
        return None, (f"{basis} The net turnover, {_eur(net)}, is below it, and the profile "
                      "gives no consolidated turnover for the operator's group."), (
            f"the group's consolidated net turnover of the financial year ending {ends} "
            f"(turnover, year {year}, group_turnover_eur)")
    return False, (f"{basis} The net turnover, {_eur(net)}, and the group's consolidated "
                   f"turnover, {_eur(group)}, do not exceed it: Chapter VII does not "
                   "apply."), None


_CATEGORY_WORDS = {
    BatteryCategory.PORTABLE: "portable", BatteryCategory.SLI: "SLI", BatteryCategory.LMT: "LMT",
    BatteryCategory.EV: "electric-vehicle", BatteryCategory.INDUSTRIAL: "industrial",
}


def _passport(profile: BatteryProfile, rules: BatteryRules, steps: _Steps) -> bool | None:
    kwh = rules.amount("passport_industrial_kwh")
    rests = ("passport_date", "passport_industrial_kwh")
    if not profile.operates:
        return steps.add("passport", False, "The operator places no batteries on the market and "
                         "puts none into service: it owes no battery passport.",
                         ("Art. 77(1)",), rests)
    if not profile.categories:
        steps.needed.append("the battery categories placed on the market (categories)")
        return steps.add("passport", None, "The profile names no battery categories.",
                         ("Art. 77(1)",), rests)
    due: list[BatteryCategory] = [
        c for c in profile.categories if c in (BatteryCategory.LMT, BatteryCategory.EV)]
    industrial = BatteryCategory.INDUSTRIAL in profile.categories
    if industrial and profile.industrial_over_2kwh:
        due.append(BatteryCategory.INDUSTRIAL)
    elif industrial and profile.industrial_over_2kwh is None and not due:
        steps.needed.append(f"whether any industrial battery holds more than {kwh:g} kWh "
                            "(industrial_over_2kwh)")
        return steps.add("passport", None, "The profile lists industrial batteries without "
                         f"saying whether any holds more than {kwh:g} kWh.", ("Art. 77(1)",),
                         rests)
    when = rules.date("passport_date").isoformat()
    if due:
        names = ", ".join(_CATEGORY_WORDS[c] for c in due)
        return steps.add("passport", True, f"Each {names} battery placed on the market or put "
                         f"into service from {when} needs a battery passport (industrial "
                         f"batteries when over {kwh:g} kWh).", ("Art. 77(1)",), rests)
    return steps.add("passport", False, f"None of its categories needs a battery passport "
                     f"(LMT, electric-vehicle, and industrial batteries over {kwh:g} kWh do).",
                     ("Art. 77(1)",), rests)


def battery_scope(profile: CompanyProfile | BatteryProfile, as_of: dt.date,
                  rules: BatteryRules | None = None) -> BatteryScope:
    """Whether Chapter VII applies to the operator on ``as_of``, from when, and whether its
    batteries need a passport."""
    if isinstance(profile, CompanyProfile):
        if profile.battery is None:
            raise ProfileError("the profile has no [battery] section",
                               hint="add the operator's battery facts (BatteryProfile fields)")
        profile = profile.battery
    rules = rules if rules is not None else load_battery_rules()
    steps = _Steps(rules)
    starts = rules.date("application_date")
    operator = steps.add(
        "operator", profile.operates,
        "The operator places batteries on the market or puts them into service."
        if profile.operates else
        "The operator neither places batteries on the market nor puts them into service: the "
        "obligation is not its own (it may still be asked for data by its customers).",
        ("Art. 48(1)",))
    excluded = profile.second_life_only and rules.flag("second_life_excluded")
    second_life = steps.add(
        "second_life", not excluded,
        "All its batteries were prepared for re-use or repurposing, repurposed or "
        "remanufactured after being placed on the market: Chapter VII does not apply to them."
        if excluded else "Its batteries are not all second-life batteries already placed on "
        "the market.", ("Art. 47",), ("second_life_excluded",) if profile.second_life_only else ())
    on = max(as_of, starts)
    within, words, need = _turnover(profile, rules, on)
    from_start = within
    if as_of > starts and within:  # within now: was it so on the day the obligation began?
        from_start, _, _ = _turnover(profile, rules, starts)
        if not from_start:
            words += (f" On {starts.isoformat()}, when the obligation began to apply, it was "
                      "not (or cannot be told): it applies from the end of a later financial "
                      "year, on the as-of date at the latest.")
    steps.add("turnover", within, words, ("Art. 47(1)",), ("turnover_threshold_eur",))
    started = steps.add(
        "date", as_of >= starts,
        f"The obligation applies from {starts.isoformat()}; the as-of date is "
        f"{as_of.isoformat()}.", ("Art. 48(1)",), ("application_date",))
    decisive = (operator, second_life, within)
    if need is not None and False not in decisive:  # asked only when it would decide
        steps.needed.append(need)
    passport = _passport(profile, rules, steps)
    if False in decisive or not started:
        applies: bool | None = False  # before the date of application, nothing applies yet
    elif None in decisive:
        applies = None
    else:
        applies = True
    leading = [c for c in steps.out if c.question != "passport"]
    if False in decisive:  # rests on the first step that said no
        leading = [next(c for c in leading if c.answer is False)]
    status = ("does-not-apply" if False in decisive else "undecided" if None in decisive
              else "applies" if started else "applies-from")
    return BatteryScope(
        as_of=as_of, status=status, applies=applies,
        applies_from=(starts if from_start else as_of) if status in ("applies", "applies-from")
        else None,
        confirmed=all(c.confirmed for c in leading),
        needed=tuple(steps.needed), passport=passport,
        passport_from=rules.date("passport_date") if passport else None,
        conclusions=tuple(steps.out), raw_materials=rules.raw_materials,
        rules=rules.snapshot)
