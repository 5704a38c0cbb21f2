"""LibreOffice as the oracle for what an RMI workbook's own Checker says.

The workbook is opened in a headless LibreOffice on loopback, optionally edited, recalculated
in full and its Checker sheet read back: per item, "required?", "missing?" and "open". Used
by the conformance tests and available to users who want the Checker's own verdict beside the
library's findings.

Many edited variants of one workbook cost little more than the workbook: each LibreOffice
process loads a workbook once, and every job on it edits the loaded document, recalculates,
reads the Checker and puts back exactly what the edited cells held (formulas included, empty
cells emptied again). Jobs are shared among the processes so that no process loads a
workbook twice.

LibreOffice's Python bridge (``uno``) lives in the system interpreter (Debian
``python3-uno``), not in virtual environments, so the work runs in a subprocess of that
interpreter (:mod:`._uno_worker`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from mineral_compliance.errors import OracleUnavailableError

__all__ = ["CellContent", "CellValue", "CheckerItem", "CheckerJob", "CheckerResult",
           "OracleUnavailableError", "find_uno_python", "run_checker"]

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


class CellContent(NamedTuple):
    """What a cell holds in LibreOffice."""

    kind: str
    """``empty``, ``value`` (a number: dates are numbers too), ``text`` or ``formula``."""
    value: str | float | None
    """The number, the text, the formula (``=TRUE()``), or None when empty."""


@dataclass(frozen=True)
class CheckerResult:
    """The Checker's verdict on one workbook (or one edited variant of it)."""

    source: str
    save_as: str | None = None
    items: tuple[CheckerItem, ...] = ()
    total: float | None = None
    error: str | None = None
    cells: Mapping[str, CellContent] = field(default_factory=dict)
    """The content of every edited cell after the edits, and of the job's ``read`` cells,
    as LibreOffice held them when it read the Checker."""

    def open_keys(self) -> list[str]:
        """Keys of the items the Checker counts as open."""
        return sorted(item.key for item in self.items if item.open and item.counted)


CellValue = str | float | int | bool | dt.date | None
"""What an edit puts into a cell, as the library's cell patcher takes it: text, a number, a
boolean, a date (stored as its serial number, a datetime with the time as the fraction) or
``None`` to empty the cell."""


@dataclass(frozen=True)
class CheckerJob:
    """A workbook to recalculate, with cell edits (``{"Declaration!D8": None}`` empties D8)
    made in LibreOffice first, the cells whose content to report besides the edited ones, and
    a path to store the edited workbook at (without sheet protection when it has edits, see
    :func:`run_checker`)."""

    source: str | Path
    edits: Mapping[str, CellValue] = field(default_factory=dict)
    save_as: str | Path | None = None
    read: Sequence[str] = ()


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

    A job is a path, or a :class:`CheckerJob`. One unreadable workbook yields a result with
    ``error`` set; it does not stop the batch. ``processes`` LibreOffice instances (each with
    its own profile and port) share the jobs, a workbook's jobs kept together so that each
    instance loads each workbook at most once; ``timeout`` bounds each instance.

    Edits are made in the loaded document and undone after its Checker is read, so the jobs
    on one workbook cost one load: text is set as text, numbers as numbers, a date as the
    serial number the cell patcher writes (in the workbook's date system), a boolean as the
    ``=TRUE()`` or ``=FALSE()`` LibreOffice makes of a stored boolean, and ``None`` empties
    the cell keeping its format. That is the content LibreOffice sees when it opens a copy
    patched with the same edits (the parity tests compare the two). LibreOffice will not
    empty a locked cell of a protected sheet, while the patcher writes any cell, so a
    workbook that jobs edit is loaded from a copy without sheet protection (which no
    formula sees); a change LibreOffice still ignores fails the job.
    """
    exe = python or find_uno_python()
    if exe is None:
        raise OracleUnavailableError(
            hint="install LibreOffice Calc and its Python bridge "
                 "(Debian: apt-get install libreoffice-calc-nogui python3-uno)")
    prepared = [job if isinstance(job, CheckerJob) else CheckerJob(job) for job in jobs]
    payload = [_payload(job) for job in prepared]
    if not payload:
        return []
    with tempfile.TemporaryDirectory(prefix="mc-oracle-") as scratch:
        # LibreOffice opens copies only, never a source in place: a plain copy for a job
        # without edits, one without sheet protection for a job with edits
        copies: dict[tuple[Path, bool], Path] = {}
        for job, entry in zip(prepared, payload, strict=True):
            key = (Path(job.source).resolve(), bool(job.edits))
            if key not in copies:
                folder = Path(scratch) / f"{len(copies)}"
                copies[key] = (_unprotected if key[1] else _copied)(key[0], folder)
            entry["load"] = str(copies[key])
        plan = _plan([str(entry["load"]) for entry in payload], processes)
        with ThreadPoolExecutor(max_workers=len(plan)) as pool:
            outputs = list(pool.map(
                lambda chunk: _run_worker(exe, [payload[i] for i in chunk], timeout), plan))
    results: list[CheckerResult | None] = [None] * len(payload)
    for chunk, output in zip(plan, outputs, strict=True):
        for i, result in zip(chunk, output, strict=True):
            results[i] = result
    return [r for r in results if r is not None]


_PROTECTION = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?sheetProtection\b[^>]*?(?:/>|>.*?</(?:[A-Za-z_][\w.-]*:)?"
    rb"sheetProtection\s*>)", re.S)


def _copied(source: Path, folder: Path) -> Path:
    """A plain copy of ``source`` in ``folder``, under the same name; ``source`` itself when
    it cannot be read (LibreOffice then reports what it makes of it)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return Path(shutil.copy2(source, folder / source.name))
    except OSError:
        return source


def _unprotected(source: Path, folder: Path) -> Path:
    """A copy of the workbook ``source`` without sheet protection (in ``folder``, under the
    same name), or a plain copy when it has none or is no OOXML package (a legacy .xls is
    loaded as it is)."""
    try:
        with zipfile.ZipFile(source) as z:
            infos = z.infolist()
            parts = {info.filename: z.read(info) for info in infos}
    except (OSError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile,
            zlib.error):
        return _copied(source, folder)
    changed = {name: _PROTECTION.sub(b"", data) for name, data in parts.items()
               if name.endswith(".xml") and b"sheetProtection" in data}
    if not changed:
        return _copied(source, folder)
    folder.mkdir(parents=True)
    copy = folder / source.name
    with zipfile.ZipFile(copy, "w") as z:
        for info in infos:
            z.writestr(info, changed.get(info.filename, parts[info.filename]),
                       compress_type=info.compress_type)
    return copy


def _payload(job: CheckerJob) -> dict[str, object]:
    return {"source": str(job.source),
            "edits": {ref: _encode(ref, value) for ref, value in job.edits.items()},
            "read": list(job.read),
            "save_as": str(job.save_as) if job.save_as else None}


_EPOCH_1900 = dt.date(1899, 12, 30)


def _encode(ref: str, value: CellValue) -> object:
    """An edit's value as the worker takes it: JSON has no dates, so a date travels as its
    serial in the 1900 date system (the worker moves it when the workbook counts from 1904),
    computed as the cell patcher computes it."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"{ref}: {value!r} cannot be stored in a cell")
        return value
    if isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        if day < dt.date(1900, 1, 1):
            raise ValueError(f"{ref}: {day.isoformat()} is before the first day a serial can "
                             "name (1900-01-01)")
        days = (day - _EPOCH_1900).days
        if days <= 60:  # before 1 March 1900: no phantom 29 February to step over
            days -= 1
        serial = float(days)
        if isinstance(value, dt.datetime):
            midnight = dt.datetime.combine(day, dt.time(), value.tzinfo)
            serial += (value - midnight).total_seconds() / 86400
        return {"serial": serial}
    raise TypeError(f"{ref}: cannot put {value!r} into a cell")


_LOAD_COST = 2.0
"""What loading a workbook costs, counted in jobs (editing, recalculating and reading one
variant): about 1.9 s against 0.9 s."""


def _plan(sources: Sequence[str], processes: int) -> list[list[int]]:
    """Job indices per LibreOffice process: the jobs grouped by workbook (largest groups
    first, each in job order), then cut into at most ``processes`` runs whose largest cost
    is as small as it gets, so that a process loads each workbook once and only the
    workbooks a cut falls in are loaded by two processes."""
    groups: dict[str, list[int]] = {}
    for i, source in enumerate(sources):
        groups.setdefault(str(Path(source).resolve()), []).append(i)
    ordered = sorted(groups.values(), key=len, reverse=True)
    n = max(1, min(processes, len(sources)))
    low = max(_LOAD_COST + 1.0, sum(_LOAD_COST + len(g) for g in ordered) / n)
    high = low + n * _LOAD_COST + 1.0
    while high - low > 0.25:  # the smallest budget per process that n processes meet
        middle = (low + high) / 2
        if len(_cut(ordered, middle)) <= n:
            high = middle
        else:
            low = middle
    return _cut(ordered, high)


def _cut(groups: list[list[int]], budget: float) -> list[list[int]]:
    runs: list[list[int]] = [[]]
    spent = 0.0
    for group in groups:
        loaded = False
        for i in group:
            cost = 1.0 if loaded else _LOAD_COST + 1.0
            if runs[-1] and spent + cost > budget:
                runs.append([])
                spent, cost = 0.0, _LOAD_COST + 1.0
            runs[-1].append(i)
            spent += cost
            loaded = True
    return runs


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
        cells = {ref: CellContent(kind, value)
                 for ref, (kind, value) in (raw.get("cells") or {}).items()}
        results.append(CheckerResult(source=raw["source"], save_as=raw.get("save_as"),
                                     items=items, total=raw.get("total"),
                                     error=raw.get("error"), cells=cells))
    return results
