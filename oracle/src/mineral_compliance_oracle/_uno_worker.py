"""Recalculate RMI workbooks in LibreOffice and read their Checker sheet.

Runs under the interpreter that has LibreOffice's ``uno`` module (on Debian the system
``python3`` with ``python3-uno``), as a subprocess of :mod:`mineral_compliance_oracle`.
It imports nothing from the package. Protocol: a JSON list of jobs on stdin, one JSON result
per job on stdout, one per line.

A job: ``{"source": path, "load": path or null, "edits": {"Sheet!A1": value}, "read":
["Sheet!A1", ...], "save_as": path or null}``, where ``load`` is the file to open in place
of ``source`` (a copy of it without sheet protection). A value is text (``setString``), a
number (``setValue``), a boolean (the ``=TRUE()`` / ``=FALSE()`` formula a loaded boolean
cell holds), ``{"serial": n}`` for a date as its serial in the 1900 date system (moved to
the 1904 system when the document counts from 1904), or null (or empty text) to empty the
cell, its format and note kept. The edits are applied in LibreOffice and each cell written
is read back (LibreOffice ignores some changes without a word), the document is
recalculated in full (``calculateAll``), the Checker is read, as are the content of every
edited cell and of the ``read`` cells, and the edited document is optionally stored as
.xlsx so other readers see exactly the input the Checker judged.

Consecutive jobs on the same source share one loaded document (loading costs more than
editing, recalculating and reading together). The worker remembers what every cell it edits
held when the document was loaded (formula, number, text or nothing); before a job it puts
exactly that back into each cell an earlier job edited and this one does not, checks that it
took, and makes the job's edits, leaving a cell that already holds its edit. Every job so
sees the document as loaded with its own edits and nothing else, and only what differs from
the job before is written. A job that fails has its document loaded again for the next. A
cell inside an array formula is refused, as the library's cell patcher refuses it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

_REF = re.compile(r"\$?'?([A-Za-z][A-Za-z ]*?)'?\.\$?([A-Z]{1,3})\$?(\d+)")


def _prop(name: str, value: Any) -> Any:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Misc">
  <prop oor:name="UseLocking" oor:op="fuse"><value>false</value></prop>
</item>
</oor:items>
"""
"""The private profile's settings: no lock files. LibreOffice never writes a source back, and
a lock left beside a workbook by another instance (one that was killed, or one that has the
same reference workbook open) would otherwise make it refuse to load that workbook."""


class Office:
    """One headless soffice on loopback with a private profile."""

    def __init__(self, binary: str = "soffice", timeout: float = 90.0) -> None:
        self.profile = tempfile.mkdtemp(prefix="mc-lo-profile-")
        user = Path(self.profile, "user")
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_SETTINGS, encoding="utf-8")
        self.port = _free_port()
        url = f"socket,host=127.0.0.1,port={self.port};urp;StarOffice.ComponentContext"
        self.proc = subprocess.Popen(
            [binary, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
             "--nolockcheck", f"-env:UserInstallation=file://{self.profile}", f"--accept={url}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.ctx = resolver.resolve(f"uno:{url}")
                break
            except Exception:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise RuntimeError("LibreOffice did not start") from None
                time.sleep(0.25)
        self.desktop = self.ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", self.ctx)
        self.loaded: Loaded | str | None = None
        self.loaded_path: str | None = None

    def close(self) -> None:
        try:
            if getattr(self, "loaded", None) is not None:
                self.drop()
        except Exception:
            pass
        try:
            if hasattr(self, "desktop"):
                self.desktop.terminate()
        except Exception:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        loaded = self.document(job.get("load") or job["source"])
        if isinstance(loaded, str):
            return {"source": job["source"], "error": loaded}
        edits: dict[str, Any] = job.get("edits") or {}
        try:
            loaded.edit(edits)
            doc = loaded.doc
            doc.calculateAll()
            result = {"source": job["source"], "save_as": job.get("save_as"),
                      **_read_checker(doc)}
            result["cells"] = {ref: _content(loaded.cell(ref))
                               for ref in (*edits, *(job.get("read") or ()))}
            if job.get("save_as"):
                doc.enableAutomaticCalculation(True)  # stored calculating as it was loaded
                doc.storeToURL(uno.systemPathToFileUrl(str(Path(job["save_as"]).resolve())),
                               (_prop("FilterName", "Calc MS Excel 2007 XML"),))
                doc.enableAutomaticCalculation(False)
            return result
        except Exception:  # the document may hold edits it cannot undo: load it again
            self.drop()
            raise

    def document(self, source: str) -> Loaded | str:
        """The loaded document of ``source`` (the one already open when it is the same file),
        or the reason LibreOffice could not open it."""
        path = str(Path(source).resolve())
        if self.loaded is not None and self.loaded_path == path:
            return self.loaded
        self.drop()
        doc = self.desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(path), "_blank", 0, (_prop("Hidden", True),))
        self.loaded = "LibreOffice could not open the file" if doc is None else Loaded(doc)
        self.loaded_path = path
        return self.loaded

    def drop(self) -> None:
        """Close the loaded document, if any."""
        loaded, self.loaded, self.loaded_path = self.loaded, None, None
        if isinstance(loaded, Loaded):
            loaded.doc.close(True)


class Loaded:
    """A loaded document, and what the cells edits changed held when it was loaded."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        # each edit would recalculate what depends on it; calculateAll does it once
        doc.enableAutomaticCalculation(False)
        self.date_offset = 1462 if doc.NullDate.Year == 1904 else 0
        """The 1904 date system counts 1462 days less than the 1900 system."""
        self.cells: dict[str, Any] = {}
        self.original: dict[str, list[Any]] = {}
        """What each cell an edit changed held when the document was loaded."""
        self.applied: dict[str, Any] = {}
        """The edit each changed cell holds now."""

    def cell(self, ref: str) -> Any:
        key = _key(ref)
        cell = self.cells.get(key)
        if cell is None:
            sheet, _, address = key.rpartition("!")
            cell = self.doc.Sheets.getByName(sheet).getCellRangeByName(address)
            self.cells[key] = cell
        return cell

    def edit(self, edits: dict[str, Any]) -> None:
        """Make the document what it was when loaded with ``edits`` on top. Only cells whose
        content changes are written: a cell an earlier job edited gets back exactly what it
        held, a cell already holding its edit is left; every cell written is read back."""
        wanted = {_key(ref): value for ref, value in edits.items()}  # the last spelling wins
        for key in [k for k in self.applied if k not in wanted]:
            self.put(key, self.original[key])
            del self.applied[key]
        for key, value in wanted.items():
            if key in self.applied and _same(self.applied[key], value):
                continue
            if key not in self.original:
                before = _content(self.cell(key))
                if before[0] == "formula" and str(before[1]).startswith("{"):
                    raise ValueError(f"{key} is part of an array formula")
                self.original[key] = before
            self.applied.pop(key, None)
            self.put(key, _intended(value, self.date_offset))
            self.applied[key] = value

    def put(self, key: str, content: list[Any]) -> None:
        """Give a cell ``content`` and read it back: LibreOffice silently ignores some
        changes (emptying a locked cell of a protected sheet, any change to a read-only
        document)."""
        cell = self.cell(key)
        _put(cell, content)
        if _content(cell) != content:
            raise RuntimeError(f"LibreOffice did not put {content} into {key}: it holds "
                               f"{_content(cell)}")


def _key(ref: str) -> str:
    """``Sheet!A1`` whatever the spelling (``'Sheet'!$a$1``)."""
    sheet, _, address = ref.rpartition("!")
    if not sheet or not address:
        raise ValueError(f"{ref!r} is not a 'Sheet!A1' cell reference")
    return sheet.strip("'") + "!" + address.replace("$", "").upper()


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


_CLEAR = 1 | 2 | 4 | 16
"""``CellFlags`` VALUE, DATETIME, STRING and FORMULA: the content, not formats or notes."""


def _content(cell: Any) -> list[Any]:
    """What a cell holds: ``[kind, value]`` with kind empty, value (a number), text or
    formula (its formula text, which ``setFormula`` takes back)."""
    kind = cell.getType().value
    if kind == "EMPTY":
        return ["empty", None]
    if kind == "VALUE":
        return ["value", cell.getValue()]
    if kind == "TEXT":
        return ["text", cell.getString()]
    return ["formula", cell.getFormula()]


def _put(cell: Any, content: list[Any]) -> None:
    kind, value = content
    if kind == "empty":
        cell.clearContents(_CLEAR)
    elif kind == "value":
        cell.setValue(value)
    elif kind == "text":
        cell.setString(value)
    else:
        cell.setFormula(value)


def _intended(value: Any, date_offset: int) -> list[Any]:
    """The content an edit's value gives a cell (see the module docstring)."""
    if value is None or value == "":
        return ["empty", None]
    if isinstance(value, bool):
        return ["formula", "=TRUE()" if value else "=FALSE()"]
    if isinstance(value, (int, float)):
        return ["value", float(value)]
    if isinstance(value, dict) and set(value) == {"serial"}:
        serial = float(value["serial"]) - date_offset
        if serial < 0:
            raise ValueError("the date is before the document's first day (1 January 1904)")
        return ["value", serial]
    if isinstance(value, str):
        return ["text", value]
    raise TypeError(f"cannot put {value!r} into a cell")


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


def _read_checker(doc: Any) -> dict[str, Any]:
    """Items and total of the Checker sheet, read in two range calls (cell by cell over the
    bridge costs more than the recalculation)."""
    sheet = doc.Sheets.getByName("Checker")
    first, last = 4, 400
    block = sheet.getCellRangeByName(f"A{first}:H{last}")
    formulas, values = block.getFormulaArray(), block.getDataArray()
    items: list[dict[str, Any]] = []
    total: float | None = None
    for offset, (f_row, v_row) in enumerate(zip(formulas, values, strict=True)):
        row = first + offset
        formula = f_row[7].upper()
        if "SUM(" in formula:
            total = _number(v_row[7])
            spans = [(int(a), int(b)) for a, b in
                     re.findall(r"\$?H\$?(\d+):\$?H\$?(\d+)", formula)]
            if spans:  # items outside the total's ranges are shown but not counted
                for item in items:
                    item["counted"] = any(a <= item["row"] <= b for a, b in spans)
            break
        if not formula or not f_row[5]:
            continue
        refs: list[tuple[str, str]] = []
        for col in (1, 0):  # the checked cell (B), else the cell the item's label (A) shows
            found = _REF.findall(f_row[col])
            refs = [(s, c + r) for s, c, r in found if s != "Checker"]
            if refs:
                break
        items.append({
            "row": row,
            "label": str(v_row[0]),
            "target": f"{refs[0][0]}!{refs[0][1]}" if refs else None,
            "required": _number(v_row[5]),
            "missing": _number(v_row[6]),
            "open": _number(v_row[7]),
            "counted": True,
        })
    return {"items": items, "total": total}


def main() -> int:
    jobs = json.load(sys.stdin)
    office = Office(os.environ.get("MC_SOFFICE", "soffice"))
    try:
        for job in jobs:
            try:
                out = office.run(job)
            except Exception as exc:  # one bad workbook must not end the batch
                out = {"source": job.get("source"), "error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(out), flush=True)
    finally:
        office.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
