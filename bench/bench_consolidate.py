"""Consolidation at scale: 100 to 10,000 real-size supplier CMRTs on this machine.

Uses the files ``bench/make_suppliers.py`` generates (blank official CMRT 6.4 / 6.5 filled with
varied content, 1,000 suppliers plus 100 earlier declarations to supersede); sizes beyond
those are made up with copies of them under other suppliers' names (``bench/_copies.py``:
only the Declaration sheet is rewritten). For each size, ``consolidate`` runs in a fresh
process with the default process pool; wall time, time per file and peak memory (the
largest resident set of the parent, outputs included, and of any worker) are printed.
Beside it, on the first 100 files, the loop a user would otherwise write: openpyxl
(read-only) reading each file's Declaration and Smelter List rows, with no validation,
matching or consolidation at all; the ratio of time per file is printed. The outputs
(tables, feedback files and the review report) are written and timed too, and the report
alone once more.

Run: ``python bench/bench_consolidate.py [--sizes 100,1000,10000]``. Not part of the tests.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUPPLIERS = ROOT / "bench" / "results" / "suppliers"
sys.path.insert(0, str(ROOT / "bench"))

from _copies import make_copy  # noqa: E402

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from mineral_compliance.consolidation import consolidate
folder = Path(sys.argv[1])
n = int(sys.argv[2])
made = sorted(folder.glob("supplier-[0-9][0-9][0-9][0-9].xlsx"))
copies = sorted(folder.glob("supplier-[0-9][0-9][0-9][0-9][0-9]-copy.xlsx"))
chosen = [*made, *copies][:n]
chosen += [f for f in sorted(folder.glob("supplier-*-earlier.xlsx"))
           if f.name.replace("-earlier", "") in {c.name for c in chosen}]
start = time.perf_counter()
result = consolidate(chosen)
elapsed = time.perf_counter() - start
s = result.summary()
assert s["smelter_rows_read"] == s["smelter_rows_attributed"] + s["rows_rejected"]
import tempfile
from mineral_compliance.outputs import write_consolidation
from mineral_compliance.review import write_report
with tempfile.TemporaryDirectory() as out:
    start = time.perf_counter()
    write_consolidation(result, out)
    outputs = time.perf_counter() - start
    start = time.perf_counter()
    report = write_report(result, Path(out) / "again.html")
    report_s = time.perf_counter() - start
    report_kb = report.stat().st_size / 1024
print(json.dumps({"files": len(chosen), "seconds": elapsed, "summary": s,
                  "outputs_s": outputs, "report_s": report_s, "report_kb": report_kb,
                  "parent_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "worker_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""

_OPENPYXL = r"""
import sys, time, warnings
from pathlib import Path
from openpyxl import load_workbook
warnings.simplefilter("ignore")
files = sorted(Path(sys.argv[1]).glob("supplier-*.xlsx"))[: int(sys.argv[2])]
start = time.perf_counter()
rows = 0
for f in files:
    wb = load_workbook(f, read_only=True, data_only=True)
    for r in wb["Declaration"].iter_rows(min_row=8, max_row=90, min_col=4, max_col=7,
                                         values_only=True):
        pass
    for r in wb["Smelter List"].iter_rows(min_row=5, max_row=2504, max_col=17,
                                          values_only=True):
        rows += any(r)
    wb.close()
print(time.perf_counter() - start)
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,10000")
    args = parser.parse_args()
    made = len(list(SUPPLIERS.glob("supplier-[0-9][0-9][0-9][0-9].xlsx")))
    if not made:
        print("generate the files first: python bench/make_suppliers.py")
        return 1
    sizes = [int(x) for x in args.sizes.split(",")]
    if max(sizes) > made:  # the rest are copies of those under other suppliers' names
        jobs = [(i, i % made, str(SUPPLIERS)) for i in range(made, max(sizes))]
        start = time.perf_counter()
        with ProcessPoolExecutor() as pool:
            for _ in pool.map(make_copy, jobs, chunksize=64):
                pass
        print(f"{len(jobs)} copies of the {made} made files checked or made in "
              f"{time.perf_counter() - start:.0f} s")
    print(f"{'files':>6} {'seconds':>8} {'ms/file':>8} {'parent MB':>10} {'worker MB':>10}"
          f" {'outputs s':>9} {'report s':>8} {'report MB':>9}  rows read = attributed + rejected")
    per_file = {}
    for n in sizes:
        out = subprocess.run([sys.executable, "-c", _CHILD, str(SUPPLIERS), str(n)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        s = r["summary"]
        per_file[n] = r["seconds"] / r["files"]
        print(f"{r['files']:>6} {r['seconds']:>8.1f} {per_file[n] * 1000:>8.1f} "
              f"{r['parent_kb'] / 1024:>10.0f} {r['worker_kb'] / 1024:>10.0f} "
              f"{r['outputs_s']:>9.1f} {r['report_s']:>8.2f} {r['report_kb'] / 1024:>9.1f}  "
              f"{s['smelter_rows_read']} = {s['smelter_rows_attributed']} + "
              f"{s['rows_rejected']} ({s['smelters']} smelters, "
              f"{s['files_superseded']} superseded)")
    n = min(100, sizes[0])
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _OPENPYXL, str(SUPPLIERS), str(n)],
                         capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    plain = float(out.stdout.strip()) / n
    first = sizes[0]
    print(f"\nopenpyxl read-only, reading only, {n} files: {plain * 1000:.1f} ms/file "
          f"({plain / per_file[first]:.1f}x the time per file of the full consolidation at "
          f"{first} files; process wall {wall:.1f} s)")
    if len(per_file) > 1:
        lo, hi = min(per_file), max(per_file)
        print(f"time per file from {lo} to {hi} files: {per_file[lo] * 1000:.1f} -> "
              f"{per_file[hi] * 1000:.1f} ms ({per_file[hi] / per_file[lo]:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
