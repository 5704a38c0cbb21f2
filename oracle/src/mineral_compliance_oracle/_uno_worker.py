"""Recalculate RMI workbooks in LibreOffice and read their Checker sheet.

Runs under the interpreter that has LibreOffice's ``uno`` module (on Debian the system
``python3`` with ``python3-uno``), as a subprocess of :mod:`mineral_compliance_oracle`.
It imports nothing from the package. Protocol: a JSON list of jobs on stdin, one JSON result
per job on stdout, one per line.

A job: ``{"source": path, "edits": {"Sheet!A1": value or null}, "save_as": path or null}``.
Edits are applied in LibreOffice (null clears the cell), the document is recalculated in full
(``calculateAll``), the Checker is read, and the edited document is optionally stored as .xlsx
so other readers see exactly the input the Checker judged.
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

    def close(self) -> None:
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
        path = str(Path(job["source"]).resolve())
        doc = self.desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(path), "_blank", 0, (_prop("Hidden", True),))
        if doc is None:
            return {"source": job["source"], "error": "LibreOffice could not open the file"}
        try:
            for ref, value in (job.get("edits") or {}).items():
                sheet_name, cell_ref = ref.split("!")
                cell = doc.Sheets.getByName(sheet_name).getCellRangeByName(cell_ref)
                if value is None:
                    cell.setString("")
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    cell.setValue(value)
                else:
                    cell.setString(str(value))
            doc.calculateAll()
            result = {"source": job["source"], "save_as": job.get("save_as"),
                      **_read_checker(doc)}
            if job.get("save_as"):
                doc.storeToURL(uno.systemPathToFileUrl(str(Path(job["save_as"]).resolve())),
                               (_prop("FilterName", "Calc MS Excel 2007 XML"),))
            return result
        finally:
            doc.close(True)


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
