"""Small helpers for reference-data files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

__all__ = ["file_date"]


def file_date(path: Path) -> str | None:
    """"file dated YYYY-MM-DD" from the file's modification time: the version of a list that
    states none itself."""
    try:
        stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    except OSError:
        return None
    return f"file dated {stamp.date().isoformat()}"
