"""Read-time benchmark: mineral_compliance vs openpyxl (read-only) vs python-calamine.

Each reader does the work a user needs from one supplier CMRT: the Declaration answers, the
Smelter List and the Product List. Runs on the real CMRT 6.x files in ../shared/reference and
prints the median time per file for each reader and the ratios, all in one run.

Run: ``python bench/bench_read.py [--repeat N]`` (needs ``pip install -e .[bench]``).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mineral_compliance.templates import read_template

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference" / "cmrt"
SHEETS = ("Declaration", "Smelter List", "Product List")


def with_ours(path: Path) -> Any:
    return read_template(path)


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


READERS: dict[str, Callable[[Path], Any]] = {
    "mineral_compliance": with_ours,
    "python-calamine": with_calamine,
    "openpyxl read-only": with_openpyxl,
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", module="openpyxl")
    files = sorted(REFERENCE.glob("RMI_*CMRT_6*.xlsx"))
    if not files:
        print(f"no CMRT 6.x files under {REFERENCE}", file=sys.stderr)
        return 1
    medians: dict[str, float] = {}
    for name, reader in READERS.items():
        try:
            reader(files[0])  # warm imports
        except ImportError as exc:
            print(f"{name}: not installed ({exc})")
            continue
        repeat = args.repeat if name != "openpyxl read-only" else max(1, args.repeat // 3)
        per_file = []
        for path in files:
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                reader(path)
                times.append(time.perf_counter() - start)
            per_file.append(statistics.median(times))
        medians[name] = statistics.median(per_file)
    ours = medians["mineral_compliance"]
    print(f"{len(files)} real CMRT 6.x files, median read time per file\n")
    print("| reader | median ms/file | vs mineral_compliance |")
    print("|---|---:|---:|")
    for name, value in medians.items():
        print(f"| {name} | {value * 1000:.1f} | {value / ours:.1f}x |")
    target = 0.050
    verdict = "meets" if ours <= target else "MISSES"
    print(f"\nmineral_compliance {verdict} the 50 ms/file target ({ours * 1000:.1f} ms)")
    return 0 if ours <= target else 1


if __name__ == "__main__":
    sys.exit(main())
