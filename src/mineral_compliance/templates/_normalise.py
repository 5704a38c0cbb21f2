"""Turning raw cells into normalised values with provenance."""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Mapping

from dateutil import parser as date_parser

from .._io.serials import serial_to_date
from ..models.rows import BLANK, Cell
from ..models.values import DateValue, Origin, Provenance, Status, TextValue
from ._xlsx import RawCell

__all__ = [
    "answer_cell",
    "clean_text",
    "excel_serial_to_date",
    "text_cell",
    "to_answer",
    "to_date",
    "to_text",
]

_WS = re.compile(r"\s+")


def clean_text(value: str | float | bool) -> str | None:
    """Text of a cell with surrounding whitespace (spaces, tabs, line breaks) removed."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = value.strip().replace("\u00a0", " ").strip()
    if text is not value:
        # the text of many cells (one shared string) is trimmed into one string, not one
        # copy per cell: a sheet's texts cost what its distinct texts do
        text = sys.intern(text)
    return text or None


def _raw(cell: RawCell | None) -> str | float | bool | None:
    return None if cell is None else cell.value


def text_cell(cell: RawCell | None) -> Cell:
    """A free-text input. Formula cells are not inputs: their cached result is kept as evidence."""
    if cell is None:
        return BLANK
    if cell.formula:
        return Cell(cached=cell.value, formula=True)
    text = clean_text(cell.value) if cell.kind != "e" else None
    if text is None:
        return Cell(raw=cell.value)
    return Cell(text, cell.value, Origin.INPUT, Status.OK)


def to_text(cell: RawCell | None, where: Provenance) -> TextValue:
    """:func:`text_cell` as a value at ``where``."""
    return TextValue.of(where, *text_cell(cell))


def _fold(text: str) -> str:
    return _WS.sub(" ", text).casefold()


def answer_cell(
    cell: RawCell | None,
    choices: tuple[str, ...],
    numeric: Mapping[float, str] | None = None,
) -> Cell:
    """A dropdown answer normalised to the template's English literal.

    Surrounding whitespace is removed and case is folded to the listed literal. A value that
    matches no literal is kept (stripped) with status ``unrecognised``.
    """
    if cell is None:
        return BLANK
    if cell.formula:
        return Cell(cached=cell.value, formula=True)
    if isinstance(cell.value, float) and numeric and cell.value in numeric:
        return Cell(numeric[cell.value], cell.value, Origin.INPUT, Status.OK)
    text = clean_text(cell.value) if cell.kind != "e" else str(cell.value)
    if text is None:
        return Cell(raw=cell.value)
    folded = _fold(text)
    for choice in choices:
        if _fold(choice) == folded:
            return Cell(choice, cell.value, Origin.INPUT, Status.OK)
    return Cell(text, cell.value, Origin.INPUT, Status.UNRECOGNISED)


def to_answer(
    cell: RawCell | None,
    where: Provenance,
    choices: tuple[str, ...],
    numeric: Mapping[float, str] | None = None,
) -> TextValue:
    """:func:`answer_cell` as a value at ``where``."""
    return TextValue.of(where, *answer_cell(cell, choices, numeric))


def excel_serial_to_date(serial: float, date1904: bool = False) -> dt.date | None:
    """The calendar date of an Excel date serial (1900 or 1904 system); None for a serial
    that names no date (see :func:`mineral_compliance._io.serials.serial_to_date`)."""
    return serial_to_date(serial, date1904)


_TEXT_SERIAL = re.compile(r"[1-9][0-9]{4}(?:\.0+)?")
"""Five digits: the serials of 1927 to 2173 (eight digits are read as YYYYMMDD instead)."""


def _parse_text_date(text: str) -> dt.date | None:
    """A date typed as text. Ambiguous day/month orders (05/10/2024) are not guessed."""
    try:
        month_first = date_parser.parse(text, dayfirst=False, default=dt.datetime(1, 1, 1))
        day_first = date_parser.parse(text, dayfirst=True, default=dt.datetime(1, 1, 1))
    except (ValueError, OverflowError):
        return None
    if month_first.date() != day_first.date() or month_first.year < 1900:
        return None
    return month_first.date()


def to_date(cell: RawCell | None, where: Provenance, date1904: bool) -> DateValue:
    """A date input: an Excel serial (a number, or five digits stored as text), an ISO cell
    value, or unambiguous text."""
    if cell is None:
        return DateValue(provenance=where)
    if cell.formula:
        return DateValue(provenance=where, cached=cell.value, formula=True)
    value: dt.date | None = None
    if cell.kind == "n" and isinstance(cell.value, float):
        value = excel_serial_to_date(cell.value, date1904)
    elif cell.kind == "d" and isinstance(cell.value, str):
        try:
            value = dt.datetime.fromisoformat(cell.value).date()
        except ValueError:
            value = None
    elif isinstance(cell.value, str):
        text = clean_text(cell.value)
        if text is None:
            return DateValue(raw=cell.value, provenance=where)
        # a serial stored as text by a tool that dropped the cell's number format
        serial = _TEXT_SERIAL.fullmatch(text)
        value = (excel_serial_to_date(float(text), date1904) if serial
                 else _parse_text_date(text))
    if value is None:
        return DateValue(raw=cell.value, origin=Origin.INPUT, status=Status.UNRECOGNISED,
                         provenance=where)
    return DateValue(value=value, raw=cell.value, origin=Origin.INPUT, status=Status.OK,
                     provenance=where)
