"""Read-time benchmark: the inflate floor, mineral_compliance, python-calamine and openpyxl.

Everything is measured side by side in one run, on the same real CMRT 6.x files in
../shared/reference, with the runs of the readers interleaved so that load from other jobs on
the machine falls on all of them alike:

* ``inflate floor``: only inflating (zlib via :mod:`zipfile`) the parts any reader of a
  supplier's answers must inflate: the package and workbook rels, ``xl/workbook.xml``, the
  shared strings and the Declaration, Smelter List and Product List sheets. Nothing is parsed.
* ``inflate floor, ISA-L``: the same parts inflated from the file's bytes with ISA-L, as
  the reader itself inflates them, their CRC-32 checked: the floor for a reader that inflates
  this way.
* ``mineral_compliance read``: :func:`~mineral_compliance.templates.read_template` (the file
  read before, as for the read+validate below).
* ``mineral_compliance read+validate``: what a consolidation worker does per file
  (:func:`mineral_compliance.consolidation.loading.load`: read the file with its own Smelter
  Look-up, run every rule, digest the declaration). Three times: with what the worker kept
  from reading the same file before (as for copies of one file); as for the same release
  saved again by another supplier (``file saved again``: the worker read another supplier's
  file of the release before, or where the reference files hold no other, this file with
  what it kept by stored bytes forgotten); and as for the first file of its release
  (``release not seen before``).
* ``python-calamine`` and ``openpyxl read-only``: the same three sheets as Python values.

Prints the median time per file for each, the ratios to the floor and to calamine, and
whether read+validate meets the targets (at most 1.5x the floor, at least 2x faster than
calamine). Run: ``python bench/bench_read.py [--repeat N]`` (needs ``pip install -e .[bench]``).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import io
import posixpath
import re
import statistics
import sys
import time
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from isal import isal_zlib

from mineral_compliance._io import stored_body
from mineral_compliance.consolidation.loading import Job, load
from mineral_compliance.inputs import Input
from mineral_compliance.templates import _instructions, _xlsx, read_template, reader
from mineral_compliance.templates.releases import default_policy

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference" / "cmrt"
SHEETS = ("Declaration", "Smelter List", "Product List")
FLOOR_TARGET = 1.5
"""read+validate at most this many times the inflate floor."""
CALAMINE_TARGET = 2.0
"""read+validate at least this many times faster than python-calamine."""


def floor_members(path: Path) -> list[str]:
    """The parts the floor inflates, found once per file (outside the timing)."""
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode("utf-8")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {}
    for rel in re.findall(r"<Relationship\b[^>]*>", rels):
        rid = re.search(r'\bId="([^"]*)"', rel)
        target = re.search(r'\bTarget="([^"]*)"', rel)
        if rid and target:
            targets[rid.group(1)] = posixpath.normpath(posixpath.join("xl", target.group(1)))
    parts = ["_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
             "xl/sharedStrings.xml"]
    for sheet in re.findall(r"<sheet\b[^>]*>", workbook):
        name = re.search(r'\bname="([^"]*)"', sheet)
        rid = re.search(r'\br:id="([^"]*)"', sheet)
        if name and rid and name.group(1) in SHEETS:
            parts.append(targets[rid.group(1)])
    return parts


def make_floor_ng(path: Path) -> Callable[[Path], Any]:
    members = floor_members(path)

    def with_floor_ng(path: Path) -> Any:
        data = path.read_bytes()
        sizes = []
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for name in members:
                info = z.getinfo(name)
                body = stored_body(data, info)
                if body is None:
                    raise RuntimeError(f"{path.name}!{name}: not located")
                out = (body if info.compress_type == zipfile.ZIP_STORED
                       else isal_zlib.decompressobj(-15).decompress(body))
                if isal_zlib.crc32(out) != info.CRC:
                    raise RuntimeError(f"{path.name}!{name}: CRC")
                sizes.append(len(out))
        return sizes

    return with_floor_ng


def make_floor(path: Path) -> Callable[[Path], Any]:
    members = floor_members(path)

    def with_floor(path: Path) -> Any:
        with zipfile.ZipFile(path) as z:
            return [len(z.read(name)) for name in members]

    return with_floor


def _forget(release: bool = False) -> None:
    """Drop what the reader keeps per process between files: the parsed Smelter Look-up and
    the Checker instructions of the language sheet by the stored bytes of their sheets (a
    file its supplier saved again has bytes of its own) and, with ``release``, by their
    cells and by the rows those were read from, and the shapes of list rows known to hold
    nothing to read (the first file of a release a worker reads). The five CMRT 6.4 files
    among the reference files, from five sources, share their Look-up's cells."""
    reader._TABLES.clear()
    getattr(_instructions, "_BY_STORED", {}).clear()
    if release:  # (caches absent from earlier checkouts are skipped)
        getattr(reader, "_BY_SIGNATURE", {}).clear()
        getattr(reader, "_BY_CONTENT", {}).clear()
        getattr(reader, "_BY_ROWS", {}).clear()
        getattr(_instructions, "_BY_CELLS", {}).clear()
        getattr(_instructions, "_BY_ROWS", {}).clear()
        getattr(_xlsx, "_KNOWN_SHAPES", {}).clear()


def with_read(path: Path) -> Any:
    return read_template(path)


def with_read_validate(path: Path) -> Any:
    loaded = load(Job(Input(str(path), str(path)), default_policy()))
    if loaded.decl is None:
        raise RuntimeError(f"{path.name}: {loaded.message}")
    return loaded


def seen_file(path: Path) -> None:
    """The worker read this very file before."""
    with_read_validate(path)


SAME_RELEASE: dict[Path, Path] = {}
"""Each file's neighbour: another supplier's file of the same template release."""


def neighbours(files: list[Path]) -> dict[Path, Path]:
    """For each file, the next of ``files`` (in a ring) of the same template release."""
    by_version: dict[str, list[Path]] = {}
    for path in files:
        by_version.setdefault(read_template(path).template.version or "", []).append(path)
    return {path: group[(i + 1) % len(group)]
            for group in by_version.values() for i, path in enumerate(group)}


def seen_release(path: Path) -> None:
    """The worker read this release before, in a file saved otherwise: another supplier's
    file of the release, or this one with what was kept by its stored bytes forgotten."""
    _forget(release=True)
    with_read_validate(SAME_RELEASE.get(path, path))
    _forget()


def unseen_release(_path: Path) -> None:
    """The worker reads the file's release for the first time."""
    _forget(release=True)


def with_openpyxl(path: Path) -> Any:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        return {name: list(wb[name].iter_rows(values_only=True)) for name in SHEETS}
    finally:
        wb.close()


def with_calamine(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in SHEETS}


FLOOR = "inflate floor"
FLOOR_NG = "inflate floor, ISA-L"
READ = "mineral_compliance read"
OURS = "mineral_compliance read+validate"
RESAVED = "read+validate, file saved again"
COLD = "read+validate, release not seen before"
CALAMINE = "python-calamine"
OPENPYXL = "openpyxl read-only"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-openpyxl", action="store_true", help="skip the slowest reader")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", module="openpyxl")
    files = sorted(REFERENCE.glob("RMI_*CMRT_6*.xlsx"))
    if not files:
        print(f"no CMRT 6.x files under {REFERENCE}", file=sys.stderr)
        return 1
    SAME_RELEASE.update(neighbours(files))
    readers: dict[str, Callable[[Path], Any]] = {
        READ: with_read, OURS: with_read_validate, RESAVED: with_read_validate,
        COLD: with_read_validate, CALAMINE: with_calamine}
    prepare: dict[str, Callable[[Path], None]] = {
        READ: seen_file, OURS: seen_file, RESAVED: seen_release, COLD: unseen_release}
    if not args.no_openpyxl:
        readers[OPENPYXL] = with_openpyxl
    for name, run in list(readers.items()):
        try:
            run(files[0])  # warm imports and per-process caches
        except ImportError as exc:
            print(f"{name}: not installed ({exc})")
            del readers[name]
    # per file: reader -> median seconds
    table: dict[Path, dict[str, float]] = {}
    for path in files:
        these = {FLOOR: make_floor(path), FLOOR_NG: make_floor_ng(path), **readers}
        times: dict[str, list[float]] = {name: [] for name in these}
        for i in range(args.repeat):
            for name, run in these.items():  # interleaved: noise falls on all alike
                if name == OPENPYXL and i >= max(1, args.repeat // 3):
                    continue
                if name in prepare:  # the worker's state before this file, not timed
                    prepare[name](path)
                start = time.perf_counter()
                run(path)
                times[name].append(time.perf_counter() - start)
        table[path] = {name: statistics.median(t) for name, t in times.items()}
    names = [FLOOR, FLOOR_NG, *readers]
    print(f"{len(files)} real CMRT 6.x files, median ms per file ({args.repeat} runs each, "
          f"openpyxl {max(1, args.repeat // 3)})\n")
    print("| file | " + " | ".join(names) + " | read+validate / floor | calamine / "
          "read+validate |")  # the last two with the Look-up kept
    print("|---|" + "---:|" * (len(names) + 2))
    for path, row in table.items():
        cells = " | ".join(f"{row[n] * 1000:.1f}" for n in names)
        vs_calamine = f"{row[CALAMINE] / row[OURS]:.2f}x" if CALAMINE in row else "-"
        print(f"| {path.name[:40]} | {cells} | {row[OURS] / row[FLOOR]:.2f}x | {vs_calamine} |")
    medians = {n: statistics.median(row[n] for row in table.values()) for n in names}
    floor = medians[FLOOR]
    print("\n| reader | median ms/file | vs floor | vs read+validate |")
    print("|---|---:|---:|---:|")
    for name in names:
        value = medians[name]
        print(f"| {name} | {value * 1000:.1f} | {value / floor:.2f}x | "
              f"{value / medians[OURS]:.2f}x |")
    ok = True
    print()
    for name in (OURS, RESAVED, COLD):
        ratio = statistics.median(row[name] / row[FLOOR] for row in table.values())
        met = ratio <= FLOOR_TARGET
        ok = ok and met
        ratio_ng = statistics.median(row[name] / row[FLOOR_NG] for row in table.values())
        print(f"{name} / floor, median over files: {ratio:.2f}x "
              f"(target <= {FLOOR_TARGET}x: {'met' if met else 'MISSED'}); "
              f"/ ISA-L floor: {ratio_ng:.2f}x")
        if CALAMINE in medians:
            speedup = statistics.median(row[CALAMINE] / row[name] for row in table.values())
            met = speedup >= CALAMINE_TARGET
            ok = ok and met
            print(f"calamine / {name}, median over files: {speedup:.2f}x "
                  f"(target >= {CALAMINE_TARGET}x: {'met' if met else 'MISSED'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
