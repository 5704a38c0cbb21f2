"""Regulation (EU) 2023/1542, Chapter VII (battery due diligence): the operator's own facts,
the act's dated values, and what follows from them.

:class:`BatteryProfile` is the ``[battery]`` section of a company profile. :class:`BatteryRules`
is the dated table of the act's values (``data/battery-due-diligence.json``, or a table the user
supplies in the same shape); every value names its article and source, and says whether its
wording was read (``confirmed``). :class:`BatteryScope` is the answer: whether the obligation
applies and from when, each conclusion with the articles and values it rests on.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .matching import Snapshot

__all__ = [
    "BatteryCategory",
    "BatteryProfile",
    "BatteryRules",
    "BatteryScope",
    "Conclusion",
    "FinancialYear",
    "RawMaterial",
    "RiskCategory",
    "Rule",
]


class BatteryCategory(StrEnum):
    """The five categories of Art. 1(3)."""

    PORTABLE = "portable"
    SLI = "sli"
    """Starting, lighting and ignition."""
    LMT = "lmt"
    """Light means of transport."""
    EV = "ev"
    """Electric vehicle."""
    INDUSTRIAL = "industrial"


class FinancialYear(BaseModel):
    """One financial year's figures, named by the calendar year in which it ends."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int = Field(ge=1990, le=2100)
    net_turnover_eur: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    group_turnover_eur: float | None = Field(
        default=None, ge=0, allow_inf_nan=False,
        description="The consolidated net turnover of the group of parent and subsidiary "
                    "undertakings the operator belongs to, if it belongs to one.")


class BatteryProfile(BaseModel):
    """What the operator says of itself for Chapter VII."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    places_on_market: bool = Field(
        description="Places batteries (alone or in products) on the Union market.")
    puts_into_service: bool = Field(default=False,
                                    description="Puts batteries into service in the Union.")
    categories: tuple[BatteryCategory, ...] = Field(
        default=(), description="The categories of the batteries it places on the market or "
                                "puts into service.")
    industrial_over_2kwh: bool | None = Field(
        default=None, description="Among its industrial batteries, some hold more than 2 kWh "
                                  "(asked when it places industrial batteries).")
    second_life_only: bool = Field(
        default=False,
        description="All its batteries were prepared for re-use or repurposing, repurposed or "
                    "remanufactured after having been placed on the market or put into service.")
    in_group: bool = Field(default=False,
                           description="Belongs to a group of parent and subsidiary undertakings.")
    financial_year_end: str = Field(default="12-31", description="Month and day, MM-DD.")
    turnover: tuple[FinancialYear, ...] = ()

    @property
    def operates(self) -> bool:
        """It places batteries on the market or puts them into service (Art. 48(1))."""
        return self.places_on_market or self.puts_into_service

    @field_validator("categories", mode="before")
    @classmethod
    def _categories(cls, value: object) -> object:
        if isinstance(value, (list, tuple)):
            return tuple(v.strip().casefold() if isinstance(v, str) else v for v in value)
        return value

    @field_validator("financial_year_end")
    @classmethod
    def _year_end(cls, value: str) -> str:
        m = re.fullmatch(r"([0-9]{2})-([0-9]{2})", value.strip())
        if m is None:
            raise ValueError("the end of the financial year is MM-DD, for example 12-31")
        try:
            dt.date(2001, int(m.group(1)), int(m.group(2)))  # not a leap year: no 02-29
        except ValueError:
            raise ValueError(f"{value!r} is not a day of the year (MM-DD)") from None
        return m.group(0)

    @model_validator(mode="after")
    def _one_figure_per_year(self) -> BatteryProfile:
        years = [fy.year for fy in self.turnover]
        twice = sorted({y for y in years if years.count(y) > 1})
        if twice:
            raise ValueError(f"financial year {twice[0]} is given more than once")
        grouped = [fy.year for fy in self.turnover if fy.group_turnover_eur is not None]
        if grouped and not self.in_group:
            raise ValueError(f"a group turnover is given for financial year {grouped[0]}, but "
                             "in_group is false: say whether the operator belongs to a group")
        return self

    def year_ending(self, year: int) -> dt.date:
        month, day = (int(p) for p in self.financial_year_end.split("-"))
        return dt.date(year, month, day)

    def figures(self, year: int) -> FinancialYear | None:
        return next((fy for fy in self.turnover if fy.year == year), None)


class Rule(BaseModel):
    """One value of the act: a date, an amount or a count, with where it is written."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    value: bool | int | float | str
    article: str
    source: str
    confirmed: bool = Field(description="The act's wording of this value was read.")
    language: str | None = None
    wording: str | None = Field(default=None,
                                description="The fragment of the act the value was read in.")
    note: str | None = None

    @model_validator(mode="after")
    def _read_somewhere(self) -> Rule:
        if self.confirmed and not self.wording:
            raise ValueError(f"rule {self.id}: a confirmed value needs the wording it was read in")
        return self


class RawMaterial(BaseModel):
    """A raw material of Annex X point 1."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    material: str
    label: str | None = None
    wording: str | None = None


class RiskCategory(BaseModel):
    """A risk category of Annex X point 2."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    group: str
    label: str
    wording: str | None = None


_DATES = ("application_date", "application_date_original", "guidelines_date", "passport_date")
_AMOUNTS = ("turnover_threshold_eur", "records_years", "management_records_years",
            "passport_industrial_kwh", "report_interval_years")
_MATERIALS = ("1(a)", "1(b)", "1(c)", "1(d)")
"""Annex X point 1: cobalt, natural graphite, lithium, nickel (the roll-up's rows)."""
_ISO_DAY = re.compile(r"(20[0-9]{2})-[0-9]{2}-[0-9]{2}")
_FLAGS = ("second_life_excluded",)


class BatteryRules(BaseModel):
    """The act's values, raw materials and risk categories, as of a date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    act: str
    amended_by: tuple[str, ...] = ()
    as_of: dt.date
    labels: str | None = None
    rules: tuple[Rule, ...]
    raw_materials: tuple[RawMaterial, ...] = Field(min_length=1)
    risk_categories: tuple[RiskCategory, ...] = Field(min_length=1)
    snapshot: Snapshot | None = None

    @model_validator(mode="after")
    def _complete(self) -> BatteryRules:
        ids = [r.id for r in self.rules]
        for wanted in (*_DATES, *_AMOUNTS, *_FLAGS):
            if wanted not in ids:
                raise ValueError(f"the table has no rule {wanted!r}")
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"rule {twice[0]!r} is given more than once")
        for wanted in _DATES:
            value = self.rule(wanted).value
            try:
                if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
                    raise ValueError
                dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"rule {wanted!r}: {str(value)[:40]!r} is not a date "
                                 "(YYYY-MM-DD, 2000 to 2099)") from None
        for wanted in _AMOUNTS:
            value = self.rule(wanted).value
            try:
                number = float(value) if not isinstance(value, (str, bool)) else math.nan
            except OverflowError:
                number = math.inf
            if not 0 <= number < math.inf:
                raise ValueError(f"rule {wanted!r}: {str(value)[:40]!r} is not a non-negative "
                                 "number")
        for wanted in _FLAGS:
            if not isinstance(self.rule(wanted).value, bool):
                raise ValueError(f"rule {wanted!r}: {self.rule(wanted).value!r} is not true or "
                                 "false")
        for kind, items in (("raw material", self.raw_materials),
                            ("risk category", self.risk_categories)):
            seen = [i.id for i in items]
            again = sorted({i for i in seen if seen.count(i) > 1})
            if again:
                raise ValueError(f"{kind} {again[0]!r} is given more than once")
        absent = [m for m in _MATERIALS if m not in {x.id for x in self.raw_materials}]
        if absent:
            raise ValueError(f"raw material {absent[0]!r} of Annex X point 1 is missing")
        return self

    def rule(self, rule_id: str) -> Rule:
        found = next((r for r in self.rules if r.id == rule_id), None)
        if found is None:
            raise KeyError(rule_id)
        return found

    def date(self, rule_id: str) -> dt.date:
        return dt.date.fromisoformat(str(self.rule(rule_id).value))

    def amount(self, rule_id: str) -> float:
        value = self.rule(rule_id).value
        assert not isinstance(value, (str, bool))  # checked when the table was read
        return float(value)

    def flag(self, rule_id: str) -> bool:
        return self.rule(rule_id).value is True


class Conclusion(BaseModel):
    """One step of the answer: a question, its answer (None: cannot be decided from what
    was given), in words, and what it rests on."""

    model_config = ConfigDict(frozen=True)

    question: str
    answer: bool | None
    text: str
    articles: tuple[str, ...]
    rests_on: tuple[str, ...] = Field(default=(), description="The rules' ids.")
    confirmed: bool = Field(description="Every value it rests on was read in the act.")

    @property
    def answer_word(self) -> str:
        """The answer as it is printed: yes, no or undecided."""
        return {True: "yes", False: "no", None: "undecided"}[self.answer]


class BatteryScope(BaseModel):
    """Whether Chapter VII applies to the operator, from when, and the battery passport."""

    model_config = ConfigDict(frozen=True)

    as_of: dt.date
    status: Literal["applies", "applies-from", "does-not-apply", "undecided"] = Field(
        description="applies on the as-of date; applies from a later date (applies_from); "
                    "does not apply; cannot be decided from the profile (needed).")
    applies: bool | None = Field(description="On the as-of date; None: cannot be decided.")
    applies_from: dt.date | None = Field(
        description="The first day the obligation applies to the operator: the date of "
                    "application when the operator was within it on that day, else the as-of "
                    "date (the latest it can be; the first day depends on the financial years "
                    "in between).")
    confirmed: bool = Field(description="The answer rests only on values read in the act.")
    needed: tuple[str, ...] = Field(default=(),
                                    description="What the profile must add to decide.")
    passport: bool | None
    passport_from: dt.date | None
    conclusions: tuple[Conclusion, ...]
    raw_materials: tuple[RawMaterial, ...]
    rules: Snapshot | None = None

    def conclusion(self, question: str) -> Conclusion | None:
        return next((c for c in self.conclusions if c.question == question), None)
