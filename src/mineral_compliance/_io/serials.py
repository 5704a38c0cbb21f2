"""Spreadsheet date serials, both ways, in the 1900 and the 1904 date systems.

In the 1900 system serial 1 is 1 January 1900 and serial 60 is 29 February 1900, a day that
never was (kept for compatibility with an old spreadsheet program): serials from 61 on count
from 30 December 1899, those below 60 from 31 December 1899. In the 1904 system serial 0 is
1 January 1904. Every reader and writer of the package converts through these two functions,
so that a date read and written back is the same day.
"""

from __future__ import annotations

import datetime as dt
import math

__all__ = ["date_to_serial", "serial_to_date"]

_EPOCH_1900 = dt.date(1899, 12, 30)
_EPOCH_1904 = dt.date(1904, 1, 1)
_PHANTOM = 60
"""The serial of 29 February 1900."""


def serial_to_date(serial: float, date1904: bool = False) -> dt.date | None:
    """The calendar day of a serial (its fraction, the time of day, aside); None for one that
    names no day: NaN, infinite, before the epoch, after 9999-12-31, or the phantom
    29 February 1900."""
    if not math.isfinite(serial):
        return None
    days = math.floor(serial)
    if date1904:
        if days < 0:
            return None
        epoch = _EPOCH_1904
    elif days < 1 or days == _PHANTOM:
        return None
    else:
        epoch = _EPOCH_1900 if days > _PHANTOM else _EPOCH_1900 + dt.timedelta(days=1)
    try:
        return epoch + dt.timedelta(days=days)
    except OverflowError:  # past 9999-12-31
        return None


def date_to_serial(value: dt.date, date1904: bool = False) -> float:
    """The serial of a day, or of a moment (the time of day as the fraction); the inverse of
    :func:`serial_to_date` for every day it returns. Days before the epoch have no serial."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if date1904:
        days = (day - _EPOCH_1904).days
        first = _EPOCH_1904
    else:
        days = (day - _EPOCH_1900).days
        if days <= _PHANTOM:  # before 1 March 1900: no phantom day to step over
            days -= 1
        first = dt.date(1900, 1, 1)
    if day < first:
        raise ValueError(f"{day.isoformat()} is before the first day a serial can name "
                         f"({first.isoformat()})")
    serial = float(days)
    if isinstance(value, dt.datetime):
        midnight = dt.datetime.combine(day, dt.time(), value.tzinfo)
        serial += (value - midnight).total_seconds() / 86400
    return serial
