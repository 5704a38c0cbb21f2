"""Reading the files users supply (reference lists, rows to match, import records,
incidents): bounded in size, read once, columns found by header, errors typed."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import ReferenceDataError

__all__ = [
    "cell",
    "decode_text",
    "header_columns",
    "read_capped",
    "read_table",
    "table_rows",
]


def read_capped(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, refusing files over ``limit`` bytes before reading them."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise ReferenceDataError(f"the file is {size} bytes, over the {limit} byte limit",
                                     path=path)
        return path.read_bytes()
    except OSError as exc:
        raise ReferenceDataError(f"the file cannot be read ({exc.strerror})", path=path) from exc


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 (with or without a byte-order mark), else Windows-1252, as spreadsheet programs
    save CSV."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ReferenceDataError("the file is neither UTF-8 nor Windows-1252 text", path=path)


def _xlsx_rows(data: bytes, path: Path) -> list[list[str]]:
    from openpyxl import load_workbook  # only needed for this format

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise ReferenceDataError(f"the workbook cannot be opened ({exc})", path=path) from exc
    try:
        return [["" if v is None else (v.date().isoformat() if isinstance(v, dt.datetime)
                                        else str(v).strip()) for v in row]
                for row in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def table_rows(data: bytes, path: Path) -> list[list[str]]:
    """The rows of CSV or XLSX bytes as text (the first worksheet of a workbook; dates as ISO
    dates)."""
    if data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data, path)
    return list(csv.reader(io.StringIO(decode_text(data, path))))


def read_table(path: Path, limit: int) -> tuple[bytes, list[list[str]]]:
    """The bytes of a CSV or XLSX file, read once and bounded, and its rows."""
    data = read_capped(path, limit)
    return data, table_rows(data, path)


def _label(text: str) -> str:
    return " ".join(text.casefold().replace("_", " ").split())


def header_columns(header: Sequence[str], synonyms: Mapping[str, Sequence[str]]
                   ) -> dict[str, int]:
    """Field -> column index, for each field whose first matching synonym names a column
    (case, underscores and spacing aside) not already taken by an earlier field."""
    labels = [_label(h) for h in header]
    cols: dict[str, int] = {}
    for fld, names in synonyms.items():
        for name in names:
            label = _label(name)
            if label in labels and labels.index(label) not in cols.values():
                cols[fld] = labels.index(label)
                break
    return cols


def cell(row: Sequence[str], cols: Mapping[str, int], fld: str) -> str | None:
    """The stripped text of ``fld`` in ``row``, or None when absent or empty."""
    i = cols.get(fld)
    return (row[i].strip() or None) if i is not None and i < len(row) else None
