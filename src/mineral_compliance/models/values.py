"""Single values read from a workbook cell, each with its provenance."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = [
    "DateValue",
    "Origin",
    "Provenance",
    "RawScalar",
    "Status",
    "TextValue",
    "Value",
]

RawScalar = str | float | bool | None
"""A cell's content as stored: text, number, boolean or nothing."""

T = TypeVar("T")


class Provenance(BaseModel):
    """Where a value was read: the file, the worksheet and the cell (A1 notation)."""

    model_config = ConfigDict(frozen=True)

    file: str
    sheet: str
    cell: str

    def __str__(self) -> str:
        return f"{self.file} [{self.sheet}!{self.cell}]"


class Origin(StrEnum):
    """How a value came to be."""

    INPUT = "input"
    """Typed or chosen by the supplier in an input cell."""
    DERIVED = "derived"
    """Re-computed by the reader from the supplier's inputs and the workbook's reference data,
    the way the template's own formula would (never taken from a cached formula result)."""
    BLANK = "blank"
    """Nothing was entered."""


class Status(StrEnum):
    """Whether a value could be normalised."""

    OK = "ok"
    BLANK = "blank"
    UNRECOGNISED = "unrecognised"
    """The cell holds something that is not one of the template's allowed literals (or not a
    date where a date is expected). The raw content is kept in ``raw`` and ``value``."""


class Value(BaseModel, Generic[T]):
    """One value read from a cell.

    ``value`` is the normalised value (a dropdown literal exactly as the English template
    lists it, a stripped text, a date); ``raw`` is the cell content as stored. ``cached`` holds
    the workbook's cached formula result for formula cells: evidence only, never trusted.
    """

    model_config = ConfigDict(frozen=True)

    value: T | None = None
    raw: RawScalar = None
    origin: Origin = Origin.BLANK
    status: Status = Status.BLANK
    cached: RawScalar = None
    formula: bool = False
    """The cell holds a formula (the template's, or one left by a tool): not an input, yet
    not an empty cell either."""
    provenance: Provenance

    @property
    def is_blank(self) -> bool:
        return self.status is Status.BLANK

    @property
    def is_recognised(self) -> bool:
        return self.status is Status.OK


TextValue = Value[str]
DateValue = Value[dt.date]
