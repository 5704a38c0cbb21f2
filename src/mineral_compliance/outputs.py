"""Files the library writes for people: safe against formula injection, atomic, reproducible.

* Any text from supplier data that a spreadsheet program would run as a formula (starting
  with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading
  apostrophe, in every spreadsheet and CSV.
* Any character a value can hold is written: lone surrogates become U+FFFD everywhere (no
  encoder accepts them); the JSON keeps every other character exactly; in the workbook and
  the CSV files, C0 control characters other than tab, newline and carriage return are shown
  as their control pictures (a worksheet cannot hold them, and spreadsheet programs mangle
  them in CSV); the workbook also replaces U+FFFE and U+FFFF, which XML cannot carry, and
  escapes literal ``_xHHHH_`` text, which Excel would otherwise decode. The review report
  isolates and shows them (see :mod:`mineral_compliance.review`).
* The files of one call are written as one run (:mod:`mineral_compliance._io.run`): staged
  inside the output folder, then renamed into place together, so the folder never holds
  some new and some old outputs, and a second run into the same folder at the same time is
  refused. Every failure is an :class:`~mineral_compliance.errors.OutputError` naming the
  path.
* The same inputs give the same bytes: JSON keys in model order, rows in a fixed order, and
  the workbook's zip entries and document properties carry a fixed timestamp.
* A file name taken from supplier data (a company name in the per-supplier feedback) is made
  safe on every platform (``pathvalidate``, then leading dots, control, bidirectional and
  zero-width characters and reserved device names dealt with: :mod:`mineral_compliance._io.paths`,
  shared with the campaign store's reminder drafts), made unique, and checked to resolve
  inside the output folder before anything is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ._io.paths import path_inside, safe_file_name
from ._io.run import output_run, write_atomic, write_atomic_chunks
from ._io.text import json_bytes, neutralise, scrub
from .models.consolidation import Comparison, Consolidation, FileStatus, SupplierFile
from .models.declaration import Declaration

__all__ = ["feedback_names", "neutralise", "output_run", "safe_file_name", "spreadsheet_text",
           "write_atomic", "write_consolidation", "write_feedback", "write_json"]

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_XML_NONCHARACTERS = re.compile("[\ufffe\uffff]")
_LOOKS_ESCAPED = re.compile("(_x[0-9A-Fa-f]{4}_)")
_CELL_LIMIT = 32767
"""The most characters an Excel cell holds."""


def spreadsheet_text(value: Any) -> Any:
    """Text as a spreadsheet (a CSV file opened in one, or a worksheet) can carry it: formula
    made inert, lone surrogates replaced by U+FFFD, C0 control characters other than tab,
    newline and carriage return shown as their Unicode control pictures (U+2400 to U+241F),
    so the text stays visible; other values unchanged."""
    value = neutralise(value)
    if not isinstance(value, str):
        return value
    value = scrub(value)
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub(lambda m: chr(0x2400 + ord(m.group())), value)
    return value


def _cell_text(value: Any) -> Any:
    """:func:`spreadsheet_text`, and what a worksheet's XML cannot carry: U+FFFE and U+FFFF
    replaced by U+FFFD, literal ``_xHHHH_`` escaped (Excel reads it as a character), and text
    cut to the 32,767 characters of a cell."""
    value = spreadsheet_text(value)
    if not isinstance(value, str):
        return value
    value = _XML_NONCHARACTERS.sub("\ufffd", value)
    if "_x" in value:
        value = _LOOKS_ESCAPED.sub(r"_x005F\1", value)
    if len(value) > _CELL_LIMIT:
        value = value[: _CELL_LIMIT - 1] + "\u2026"
    return value


def write_json(path: str | Path, data: Any) -> Path:
    """Write a model (pydantic) or plain JSON data to ``path`` as indented UTF-8 JSON, inside
    the enclosing run if any. Unlike ``model_dump_json``, text with a lone surrogate is
    written (as U+FFFD) rather than refused."""
    if hasattr(data, "model_dump"):
        data = data.model_dump(mode="json")
    target = Path(path)
    write_atomic(target, json_bytes(data))
    return target


_Table = tuple[list[str], Callable[[], Iterable[list[Any]]]]
"""A table's header, and what gives its rows: anew for each file written from it, so that
no table is ever held whole (a consolidation's rows are read from its shelf as they are
written)."""


def _tables(c: Consolidation) -> dict[str, _Table]:
    summary = c.summary()
    tables: dict[str, _Table] = {
        "Summary": (["measure", "value"], lambda: [[k, v] for k, v in summary.items()]
                    + [["families", ", ".join(c.families)],
                       ["accepted_versions", c.accepted_versions or "-"],
                       ["statuses_as_of", c.as_of.isoformat() if c.as_of else "-"]]
                    + [[f"snapshot {s.kind}", f"{s.source} | {s.version or '-'} | {s.sha256}"]
                       for s in c.snapshots]),
        "Suppliers": (["file", "status", "supplier", "company", "unique_id", "kind", "version",
                       "effective_date", "errors", "warnings", "smelter_rows", "superseded_by",
                       "message"],
                      lambda: ([f.file, f.status.value, f.supplier, f.company, f.unique_id,
                                f.kind, f.version,
                                f.effective_date.isoformat() if f.effective_date else None,
                                f.errors, f.warnings, f.smelter_rows, f.superseded_by,
                                f.message] for f in c.files)),
        "Smelters": (["key", "metal", "smelter_id", "name", "country", "grade", "needs_review",
                      "status", "flags", "suppliers", "rows", "representative", "declared_at",
                      "valid_until", "status_history"],
                     lambda: ([s.key, s.metal, s.smelter_id, s.name, s.country, s.grade.value,
                       s.needs_review, s.status.value, ", ".join(s.flags), len(s.suppliers),
                       len(s.sources), s.representative,
                       "; ".join(f"{x.file} [{x.sheet}!{x.cell}]" for x in s.sources),
                       s.valid_until.isoformat() if s.valid_until else None,
                       " -> ".join(f"{p.state.value} ({p.date.isoformat() if p.date else '-'})"
                                   for p in s.history) or None]
                      for s in c.smelters)),
        "Rejected": (["file", "sheet", "cell", "metal", "name", "country", "smelter_id",
                      "reason", "detail"],
                     lambda: ([r.source.file, r.source.sheet, r.source.cell, r.source.metal,
                               r.source.name, r.source.country, r.source.smelter_id, r.reason,
                               r.detail] for r in c.rejected)),
        "Answers": (["family", "mineral", "question", "answer", "rule", "supplier_answers"],
                    lambda: ([a.family, a.mineral, a.question, a.answer, a.rule,
                              "; ".join(f"{k or 'blank'}: {v}" for k, v in a.counts.items())]
                             for a in c.answers)),
        "Products": (["supplier", "file", "product_number", "product_name",
                      "requester_number", "requester_name", "smelters"],
                     lambda: ([p.supplier, p.file, p.product_number, p.product_name,
                               p.requester_number, p.requester_name, "; ".join(p.smelters)]
                              for p in c.products)),
        "Mines": (_MINE_HEADER, lambda: _mine_rows(c)),
    }
    return tables


_MINE_HEADER = ["smelter_key", "metal", "smelter_id", "smelter", "mine", "country",
                "country_code", "suppliers", "supplier", "file", "sheet", "cell",
                "declared_name", "declared_country", "declared_smelter", "comment"]


def _mine_rows(c: Consolidation) -> Iterator[list[Any]]:
    """One row per mine declaration: first those of each consolidated smelter, grouped by
    mine (name and country as first declared, and the number of suppliers declaring it),
    then the declarations of no consolidated smelter (a rejected row's, or a Mine List
    row's naming no smelter of its file)."""
    for s in c.smelters:
        for mine in s.mines:
            yield from ([s.key, s.metal, s.smelter_id, s.name, mine.name, mine.country,
                         mine.country_code, len(mine.suppliers), x.supplier, x.file, x.sheet,
                         x.cell, x.name, x.country, x.smelter, x.comment]
                        for x in mine.sources)
    yield from ([None, x.metal, None, None, x.name, x.country, x.country_code, 1, x.supplier,
                 x.file, x.sheet, x.cell, x.name, x.country, x.smelter, x.comment]
                for x in c.mines if x.smelter_key is None)


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    return b"".join(_csv_chunks(header, rows))


_CSV_CHUNK = 256 * 1024
"""Characters of CSV gathered before they are handed on to be written."""


def _csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """Comma-separated UTF-8 with newline line ends, a quarter of a megabyte or so at a
    time. The writer is told the line end is a carriage return and a newline so that it
    quotes fields holding either (it quotes only the characters of its line terminator): an
    unquoted carriage return ends the record for Python's reader and for spreadsheet
    programs."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    out: list[str] = []
    size = 0
    for row in itertools.chain([list(header)], (
            ["" if v is None else spreadsheet_text(v) for v in r] for r in rows)):
        writer.writerow(row)
        line = buffer.getvalue()[:-2] + "\n"
        out.append(line)
        size += len(line)
        buffer.seek(0)
        buffer.truncate()
        if size >= _CSV_CHUNK:
            yield "".join(out).encode("utf-8")
            out, size = [], 0
    yield "".join(out).encode("utf-8")


def _xlsx(tables: dict[str, _Table]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    fixed = dt.datetime(2000, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "mineral_compliance"
    for title, (header, rows) in tables.items():
        ws = wb.create_sheet(title)
        ws.append(header)
        for row in rows():
            ws.append([_cell_text(v) for v in row])
    raw = io.BytesIO()
    wb.save(raw)  # stamps the time of saving as the modified date: fixed again below
    # same bytes for the same content: fixed entry times, fixed order
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, as the mode bits below are; Windows would say 0
            entry.external_attr = 0o644 << 16
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = _CORE_MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            dst.writestr(entry, data)
    return out.getvalue()


_CORE_MODIFIED = re.compile(rb"(<dcterms:modified\b[^>]*>)[^<]*(</dcterms:modified>)")


def write_consolidation(c: Consolidation, outdir: str | Path, *,
                        comparison: Comparison | None = None,
                        products: Consolidation | None = None,
                        company: Sequence[tuple[Declaration, str | Path]] = ()) -> list[Path]:
    """Every file of a consolidation, written as one run in ``outdir``: all land together or,
    on any error, none does.

    ``consolidation.json``, ``consolidation.xlsx`` (Summary, Suppliers, Smelters, Rejected,
    Answers, Products, Mines), one CSV per table, the per-supplier ``feedback/`` folder and the
    review report ``report.html``; with ``comparison``, the changes since the previous
    consolidation (in the report and ``comparison.json``); with ``products``, a product
    subset's own files in ``products/``; per ``(declaration, blank workbook)`` in
    ``company``, the company's template ``company-<family>.xlsx``."""
    from .consolidation.store import save_consolidation
    from .review import write_report
    from .templates import write_template

    folder = Path(outdir)
    tables = _tables(c)
    written = []
    with output_run(folder, name="consolidation"):
        written.append(save_consolidation(c, folder))
        path = folder / "consolidation.xlsx"
        write_atomic(path, _xlsx(tables))
        written.append(path)
        for title, (header, rows) in tables.items():
            path = folder / f"{title.lower()}.csv"
            write_atomic_chunks(path, _csv_chunks(header, rows()))
            written.append(path)
        written += write_feedback(c, folder / "feedback")
        written.append(write_report(c, folder / "report.html", comparison=comparison))
        if comparison is not None:
            written.append(write_json(folder / "comparison.json", comparison))
        if products is not None:
            written += write_consolidation(products, folder / "products")
        for decl, blank in company:
            target = folder / f"company-{decl.template.kind.value.lower()}.xlsx"
            write_template(decl, template=blank, out=target)
            written.append(target)
    return written


_FEEDBACK_HEADER = ["severity", "sheet", "cell", "code", "message", "what_to_do",
                    "instruction", "instruction_language", "checker_item", "subject"]
"""The columns of a feedback file. ``instruction`` is the RMI's own wording of a Checker
item in the language the supplier's Declaration picks (``instruction_language``: its ISO
639-1 code), beside the English message and what to do; blank for English and other
findings."""


def feedback_names(c: Consolidation) -> dict[str, str]:
    """File label -> feedback file name, for every file that is not superseded: the supplier's
    company name made safe (the file's own name when it gives none), unique within the run."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    # per stem (ignoring case), the number it last got: every smaller one is taken, and
    # stays taken, so the search for a free number resumes there (linear, not quadratic,
    # when thousands of files share one company name)
    last: dict[str, int] = {}
    for f in sorted(c.files, key=lambda f: f.file):
        if f.status is FileStatus.SUPERSEDED:
            continue
        stem = safe_file_name(f.company or Path(f.file.split("!")[-1]).stem,
                              fallback="supplier")
        n = last.get(stem.casefold(), 1)
        name = f"{stem}.csv" if n == 1 else f"{stem} ({n}).csv"
        while name.casefold() in taken or name.casefold() == "index.csv":
            n += 1
            name = f"{stem} ({n}).csv"
        last[stem.casefold()] = n
        taken.add(name.casefold())
        names[f.file] = name
    return names


_RESEND = "send the file again as an unprotected .xlsx saved from the RMI template"


def _feedback_rows(f: SupplierFile) -> list[list[Any]]:
    if f.status is FileStatus.UNREADABLE:
        return [["error", None, None, "unreadable", f.message, f.hint or _RESEND, None, None,
                 None, None]]
    return [[x.severity.value, x.sheet, x.cell, x.code, x.message, x.hint, x.instruction,
             x.instruction_language, x.checker_item, x.subject] for x in f.findings]


def write_feedback(c: Consolidation, outdir: str | Path) -> list[Path]:
    """One CSV per supplier file (not superseded) listing what the supplier should fix, cell by
    cell, in ``outdir``, and ``index.csv`` naming the feedback file of every input (superseded
    files included, pointing at the file that replaced them). Feedback files an earlier run
    wrote in ``outdir`` for suppliers no longer in this one are removed (those named in the
    run manifest that still hold what was written), so the folder never holds stale advice."""
    folder = Path(outdir)
    names = feedback_names(c)
    written = []
    with output_run(folder, name="feedback"):
        for f in c.files:
            name = names.get(f.file)
            if name is None:
                continue
            path = path_inside(folder, name)
            write_atomic(path, _csv(_FEEDBACK_HEADER, _feedback_rows(f)))
            written.append(path)
        index = folder / "index.csv"
        write_atomic(index, _csv(
            ["file", "status", "company", "errors", "warnings", "feedback", "superseded_by"],
            [[f.file, f.status.value, f.company, f.errors, f.warnings, names.get(f.file),
              f.superseded_by] for f in sorted(c.files, key=lambda f: f.file)]))
        written.append(index)
    return written
