"""LibreOffice as the oracle for what an RMI workbook's own Checker says.

The workbook is opened in a headless LibreOffice on loopback, optionally edited, recalculated
in full and its Checker sheet read back: per item, "required?", "missing?" and "open". Used
by the conformance tests and available to users who want the Checker's own verdict beside the
library's findings.

LibreOffice's Python bridge (``uno``) lives in the system interpreter (Debian
``python3-uno``), not in virtual environments, so the work runs in a subprocess of that
interpreter (:mod:`._uno_worker`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mineral_compliance.errors import OracleUnavailableError

__all__ = ["CheckerItem", "CheckerResult", "OracleUnavailableError", "find_uno_python",
           "run_checker"]

_WORKER = Path(__file__).with_name("_uno_worker.py")
_CANDIDATES = ("/usr/bin/python3", "/usr/lib/libreoffice/program/python", "python3")


@dataclass(frozen=True)
class CheckerItem:
    """One row of the Checker sheet after recalculation."""

    row: int
    label: str
    target: str | None
    """The cell the item checks (``Declaration!D8``), when its formula points at one."""
    required: bool
    missing: bool
    open: bool
    counted: bool = True
    """Whether the item lies in the range the Checker's total sums (some templates show
    items below it that never count)."""

    @property
    def key(self) -> str:
        """A stable name for the item: its target cell, else its label normalised
        ('Product List', 'Smelter List - Tin', 'Smelter not listed')."""
        if self.target:
            return self.target
        label = " ".join(self.label.split())
        if "smelter not listed" in label.casefold():
            return "Smelter not listed"
        m = re.match(r"smelter list\s*-\s*(.+)$", label, re.I)
        if m:
            return f"Smelter List - {m.group(1).strip()}"
        return label


@dataclass(frozen=True)
class CheckerResult:
    """The Checker's verdict on one workbook (or one edited variant of it)."""

    source: str
    save_as: str | None = None
    items: tuple[CheckerItem, ...] = ()
    total: float | None = None
    error: str | None = None

    def open_keys(self) -> list[str]:
        """Keys of the items the Checker counts as open."""
        return sorted(item.key for item in self.items if item.open and item.counted)


@dataclass(frozen=True)
class CheckerJob:
    source: str | Path
    edits: Mapping[str, object] = field(default_factory=dict)
    save_as: str | Path | None = None


def find_uno_python() -> str | None:
    """An interpreter that can ``import uno``, or ``None``. ``MC_UNO_PYTHON`` overrides."""
    if shutil.which("soffice") is None and not os.environ.get("MC_SOFFICE"):
        return None
    override = os.environ.get("MC_UNO_PYTHON")
    for candidate in ((override,) if override else _CANDIDATES):
        exe = candidate if Path(candidate).is_absolute() else shutil.which(candidate)
        if not exe or not Path(exe).exists():
            continue
        probe = subprocess.run([exe, "-c", "import uno"], capture_output=True, check=False)
        if probe.returncode == 0:
            return exe
    return None


def run_checker(
    jobs: Sequence[CheckerJob | str | Path],
    *,
    python: str | None = None,
    timeout: float = 1800,
    processes: int = 1,
) -> list[CheckerResult]:
    """Recalculate each workbook in LibreOffice and read its Checker; results in job order.

    A job is a path, or a :class:`CheckerJob` with cell edits (``{"Declaration!D8": None}``
    clears D8) and a path to store the edited workbook at. One unreadable workbook yields a
    result with ``error`` set; it does not stop the batch. ``processes`` LibreOffice
    instances (each with its own profile and port) share the jobs; ``timeout`` bounds each.
    """
    exe = python or find_uno_python()
    if exe is None:
        raise OracleUnavailableError(
            hint="install LibreOffice Calc and its Python bridge "
                 "(Debian: apt-get install libreoffice-calc-nogui python3-uno)")
    payload = []
    for job in jobs:
        j = job if isinstance(job, CheckerJob) else CheckerJob(job)
        payload.append({"source": str(j.source), "edits": dict(j.edits),
                        "save_as": str(j.save_as) if j.save_as else None})
    if not payload:
        return []
    n = max(1, min(processes, len(payload)))
    size = -(-len(payload) // n)
    chunks = [payload[i:i + size] for i in range(0, len(payload), size)]
    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        outputs = list(pool.map(lambda chunk: _run_worker(exe, chunk, timeout), chunks))
    return [result for chunk in outputs for result in chunk]


def _run_worker(exe: str, payload: list[dict[str, object]], timeout: float) -> list[CheckerResult]:
    proc = subprocess.run([exe, str(_WORKER)], input=json.dumps(payload), capture_output=True,
                          text=True, timeout=timeout, check=False)
    lines = proc.stdout.splitlines()
    if proc.returncode != 0 or len(lines) != len(payload):
        raise OracleUnavailableError(
            f"the LibreOffice worker failed after {len(lines)} of {len(payload)} workbooks: "
            f"{proc.stderr.strip()[-500:]}")
    results = []
    for line in lines:
        raw = json.loads(line)
        items = tuple(
            CheckerItem(row=i["row"], label=i["label"], target=i["target"],
                        required=bool(i["required"]), missing=bool(i["missing"]),
                        open=bool(i["open"]), counted=bool(i.get("counted", True)))
            for i in raw.get("items", ())
        )
        results.append(CheckerResult(source=raw["source"], save_as=raw.get("save_as"),
                                     items=items, total=raw.get("total"),
                                     error=raw.get("error")))
    return results
