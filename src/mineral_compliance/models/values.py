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
    """Where a value was read: the file, the worksheet and the cell (A1 notation). ``cell``
    is None for a value the template has no cell for in this release (a column a later
    release added, a comment box an older one lacks): it is blank, and belongs to the sheet."""

    model_config = ConfigDict(frozen=True)

    file: str
    sheet: str
    cell: str | None = None

    def __str__(self) -> str:
        return f"{self.file} [{self.sheet}!{self.cell}]" if self.cell else (
            f"{self.file} [{self.sheet}]")

    @classmethod
    def at(cls, file: str, sheet: str, cell: str | None) -> Provenance:
        """The provenance of one cell, equal to ``Provenance(file=..., sheet=..., cell=...)``.

        A reader builds one for every cell of every list row; this validates the plain dict
        directly and lets every instance share one record of the fields set, which takes a
        third less memory than a set per instance."""
        made = cls.__pydantic_validator__.validate_python(
            {"file": file, "sheet": sheet, "cell": cell})
        object.__setattr__(made, "__pydantic_fields_set__", _PROVENANCE_FIELDS)
        return made  # type: ignore[no-any-return]


_PROVENANCE_FIELDS = set(Provenance.model_fields)


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

    @classmethod
    def of(
        cls,
        provenance: Provenance,
        value: T | None = None,
        raw: RawScalar = None,
        origin: Origin = Origin.BLANK,
        status: Status = Status.BLANK,
        cached: RawScalar = None,
        formula: bool = False,
    ) -> Value[T]:
        """A value equal to the one the keyword constructor builds, sharing one record of the
        fields set with every other instance (readers build one per cell of every row)."""
        made = cls.__pydantic_validator__.validate_python(
            {"value": value, "raw": raw, "origin": origin, "status": status, "cached": cached,
             "formula": formula, "provenance": provenance})
        fields = _VALUE_FIELDS.get(cls)
        if fields is None:
            fields = _VALUE_FIELDS.setdefault(cls, set(cls.model_fields))
        object.__setattr__(made, "__pydantic_fields_set__", fields)
        return made  # type: ignore[no-any-return]

    @property
    def is_blank(self) -> bool:
        return self.status is Status.BLANK

    @property
    def is_recognised(self) -> bool:
        return self.status is Status.OK


_VALUE_FIELDS: dict[type[BaseModel], set[str]] = {}

TextValue = Value[str]
DateValue = Value[dt.date]
