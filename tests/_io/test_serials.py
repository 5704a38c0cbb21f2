"""Spreadsheet date serials: one conversion each way, exact inverses, Excel's phantom day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mineral_compliance._io.serials import date_to_serial, serial_to_date
from mineral_compliance.templates import _xlsx, read_template

from ..conftest import FIXTURES


@pytest.mark.parametrize(("serial", "day"), [
    (1, dt.date(1900, 1, 1)), (59, dt.date(1900, 2, 28)), (61, dt.date(1900, 3, 1)),
    (45658, dt.date(2025, 1, 1)), (2958465, dt.date(9999, 12, 31)),
])
def test_the_1900_system_skips_the_day_that_never_was(serial: int, day: dt.date) -> None:
    assert serial_to_date(serial) == day
    assert date_to_serial(day) == serial


@pytest.mark.parametrize("serial", [0, 60, -1, 2958466, float("nan"), float("inf")])
def test_serials_that_name_no_day(serial: float) -> None:
    assert serial_to_date(serial) is None


def test_the_1904_system_and_the_time_of_day() -> None:
    assert serial_to_date(0, date1904=True) == dt.date(1904, 1, 1)
    assert date_to_serial(dt.date(1904, 1, 2), date1904=True) == 1
    assert date_to_serial(dt.datetime(2025, 1, 1, 18)) == 45658.75
    with pytest.raises(ValueError, match="before the first day"):
        date_to_serial(dt.date(1899, 12, 31))


@given(st.dates(min_value=dt.date(1900, 1, 1)), st.booleans())
def test_every_day_survives_the_round_trip(day: dt.date, date1904: bool) -> None:
    if date1904 and day < dt.date(1904, 1, 1):
        return
    assert serial_to_date(date_to_serial(day, date1904), date1904) == day


@pytest.mark.parametrize("serial", [1.0, 59.0, 61.0])
def test_an_early_serial_read_and_written_back_is_the_same_day(
        tmp_path: Path, serial: float) -> None:
    """The writer once counted every day from 30 December 1899, so a date before March 1900
    came back a day later."""
    from mineral_compliance import write_template

    blank = FIXTURES / "demo" / "amrt-1.3-other-minerals.xlsx"
    filled = _xlsx.patch_cells(blank, {"Declaration!D27": serial}, tmp_path / "filled.xlsx")
    decl = read_template(filled)
    written = write_template(decl, template=blank, out=tmp_path / "written.xlsx")
    day = read_template(written).company.effective_date
    assert day is not None and decl.company.effective_date is not None
    assert day.value == decl.company.effective_date.value == serial_to_date(serial)
