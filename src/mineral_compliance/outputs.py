"""Files the library writes for people: safe against formula injection, atomic, reproducible.

* Any text from supplier data that a spreadsheet program would run as a formula (starting
  with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading
  apostrophe, in every spreadsheet and CSV.
* Every file is written to a temporary file in the target folder, then renamed over the
  target, so a reader never sees half a file.
* The same inputs give the same bytes: JSON keys in model order, rows in a fixed order, and
  the workbook's zip entries and document properties carry a fixed timestamp.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .models.consolidation import Consolidation

__all__ = ["neutralise", "write_atomic", "write_consolidation"]

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would evaluate, made inert; other values unchanged."""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).replace(path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _tables(c: Consolidation) -> dict[str, tuple[list[str], list[list[Any]]]]:
    summary = c.summary()
    tables: dict[str, tuple[list[str], list[list[Any]]]] = {
        "Summary": (["measure", "value"], [[k, v] for k, v in summary.items()]
                    + [["families", ", ".join(c.families)]]
                    + [[f"snapshot {s.kind}", f"{s.source} | {s.version or '-'} | {s.sha256}"]
                       for s in c.snapshots]),
        "Suppliers": (["file", "status", "supplier", "company", "unique_id", "kind", "version",
                       "effective_date", "errors", "warnings", "smelter_rows", "superseded_by",
                       "message"],
                      [[f.file, f.status.value, f.supplier, f.company, f.unique_id, f.kind,
                        f.version, f.effective_date.isoformat() if f.effective_date else None,
                        f.errors, f.warnings, f.smelter_rows, f.superseded_by, f.message]
                       for f in c.files]),
        "Smelters": (["key", "metal", "smelter_id", "name", "country", "grade", "needs_review",
                      "status", "flags", "suppliers", "rows", "representative", "declared_at"],
                     [[s.key, s.metal, s.smelter_id, s.name, s.country, s.grade.value,
                       s.needs_review, s.status.value, ", ".join(s.flags), len(s.suppliers),
                       len(s.sources), s.representative,
                       "; ".join(f"{x.file} [{x.sheet}!{x.cell}]" for x in s.sources)]
                      for s in c.smelters]),
        "Rejected": (["file", "sheet", "cell", "metal", "name", "country", "smelter_id",
                      "reason", "detail"],
                     [[r.source.file, r.source.sheet, r.source.cell, r.source.metal,
                       r.source.name, r.source.country, r.source.smelter_id, r.reason, r.detail]
                      for r in c.rejected]),
        "Answers": (["family", "mineral", "question", "answer", "rule", "supplier_answers"],
                    [[a.family, a.mineral, a.question, a.answer, a.rule,
                      "; ".join(f"{k or 'blank'}: {v}" for k, v in a.counts.items())]
                     for a in c.answers]),
        "Products": (["supplier", "file", "product_number", "product_name", "smelters"],
                     [[p.supplier, p.file, p.product_number, p.product_name,
                       "; ".join(p.smelters)] for p in c.products]),
    }
    return tables


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def _xlsx(tables: dict[str, tuple[list[str], list[list[Any]]]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    fixed = dt.datetime(2000, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "mineral_compliance"
    for title, (header, rows) in tables.items():
        ws = wb.create_sheet(title)
        ws.append(header)
        for row in rows:
            ws.append([neutralise(v) for v in row])
    raw = io.BytesIO()
    wb.save(raw)
    # same bytes for the same content: fixed entry times, fixed order
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info))
    return out.getvalue()


def write_consolidation(c: Consolidation, outdir: str | Path) -> list[Path]:
    """``consolidation.json``, ``consolidation.xlsx`` (Summary, Suppliers, Smelters, Rejected,
    Answers, Products) and one CSV per table, in ``outdir``."""
    folder = Path(outdir)
    tables = _tables(c)
    written = []
    path = folder / "consolidation.json"
    data = c.model_dump(mode="json")
    data["summary"] = c.summary()
    write_atomic(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    written.append(path)
    path = folder / "consolidation.xlsx"
    write_atomic(path, _xlsx(tables))
    written.append(path)
    for title, (header, rows) in tables.items():
        path = folder / f"{title.lower()}.csv"
        write_atomic(path, _csv(header, rows))
        written.append(path)
    return written
