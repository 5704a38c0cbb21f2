"""Campaign store at scale: ingest, re-ingest and consolidation from the store, on SQLite and,
when ``MINERAL_COMPLIANCE_BENCH_POSTGRESQL`` names a server, on PostgreSQL too.

Files. The first ``--ingest`` suppliers' CMRTs are made as ``bench/make_suppliers.py`` makes
them (the blank official CMRT 6.4 / 6.5 from ../shared/reference filled with varied content,
about 1.3 MB each). The store's further suppliers are copies of those under another company
name and unique ID: only the Declaration sheet is rewritten, every other part of the workbook
is copied as it is compressed, so each is a distinct real-size file made in milliseconds
instead of the 0.3 s a filled template takes. Everything is written to a temporary folder,
deleted at the end (``--files DIR``: that folder instead, kept and reused by the next run).
The campaign's roster names every supplier by its unique ID, plus 5 % that never answer.

Phases, each in a fresh process: the wall time of the call, its CPU time (the process's and
its workers'; the machine's other load hardly moves it), the process's peak resident set
(``ru_maxrss``) and what it held before the call.

1. ``consolidate()`` of the first N files (the library without a store), before and after
   ``ingest`` of the same N files into an empty store: the ratio to their mean (target:
   about the speed of consolidate).
2. ``ingest`` of the same N unchanged files again (target: at most 2 s for 1,000).
3. ``consolidate`` from the store holding N submissions.
4. ``ingest`` of the further suppliers' files, up to M submissions.
5. ``ingest`` of 10 new files into the store of M: 5 new suppliers and 5 resubmissions (an
   earlier declaration of a supplier the store holds, which is superseded).
6. ``consolidate`` from the store holding M + 10 submissions (target: at most 10 s for
   5,000), and its peak memory beside that at N submissions (target: flat, about 1.0x);
   then ``status()``, and ``ingest`` of all M + 10 files, unchanged.
7. Last, ``ingest`` of the first N files once more after their modification times changed,
   so that each is hashed again (their times are put back afterwards).

Phases 2 to 7 run on each store. The machine's load average is printed before and after,
the table as Markdown, and every figure is written to ``bench/results/campaign.json``.

Run: ``python bench/bench_campaign.py [--ingest 1000] [--stored 5000] [--quick]
[--files DIR] [--keep]``; PostgreSQL too with ``MINERAL_COMPLIANCE_BENCH_POSTGRESQL=
postgresql+psycopg://user@127.0.0.1/db`` (an empty database; the benchmark's campaign is
deleted from it at the end). Not part of the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from _copies import base_name, copy_name, make_copy, unique_id  # noqa: E402

POSTGRESQL_VARIABLE = "MINERAL_COMPLIANCE_BENCH_POSTGRESQL"
RESULTS = ROOT / "bench" / "results" / "campaign.json"
NEW_SUPPLIERS = 5
RESUBMISSIONS = 5
YEAR = 2026
TARGETS = {"reingest_s_per_1000": 2.0, "consolidate_s_per_5000": 10.0}


# -- the files ------------------------------------------------------------------------------


class Files:
    """The benchmark's files: ``ingest`` made as make_suppliers makes them, copies of those
    for the rest of the store, new suppliers and resubmissions."""

    def __init__(self, folder: Path, ingest: int, stored: int) -> None:
        self.folder = folder
        self.base = ingest
        self.first = [folder / base_name(i) for i in range(ingest)]
        self.copied = [*range(ingest, stored + NEW_SUPPLIERS)]
        self.rest = [folder / copy_name(i) for i in range(ingest, stored)]
        self.new = [folder / copy_name(i) for i in range(stored, stored + NEW_SUPPLIERS)]
        self.resubmitted = [*range(0, ingest, ingest // RESUBMISSIONS)][:RESUBMISSIONS]
        self.earlier = [folder / f"supplier-{i:04d}-earlier.xlsx" for i in self.resubmitted]
        self.suppliers = stored + NEW_SUPPLIERS
        self.total = stored + NEW_SUPPLIERS + len(self.earlier)

    def make(self) -> float:
        """Make what the folder lacks; the seconds it took."""
        import make_suppliers

        start = time.perf_counter()
        self.folder.mkdir(parents=True, exist_ok=True)
        out = str(self.folder)
        jobs = [(i, 0, out) for i, p in enumerate(self.first) if not p.exists()]
        jobs += [(i, 1, out) for i, p in zip(self.resubmitted, self.earlier, strict=True)
                 if not p.exists()]
        copies = [(i, i % self.base, out) for i in self.copied
                  if not (self.folder / copy_name(i)).exists()]
        if jobs:
            with ProcessPoolExecutor(initializer=make_suppliers._init) as pool:
                for _ in pool.map(make_suppliers._make, jobs, chunksize=8):
                    pass
        if copies:
            with ProcessPoolExecutor() as pool:
                for _ in pool.map(make_copy, copies, chunksize=32):
                    pass
        return time.perf_counter() - start

    def all(self) -> list[Path]:
        return [*self.first, *self.rest, *self.new, *self.earlier]

    def roster(self) -> list[str]:
        absent = range(90_000, 90_000 + max(1, self.suppliers // 20))
        return [unique_id(i) for i in (*range(self.suppliers), *absent)]


# -- one phase, in a fresh process ----------------------------------------------------------


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the workers)."""
    own, workers = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                    resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _outcome(report: Any) -> dict[str, int]:
    counts: dict[str, int] = report.summary()
    return counts


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one phase in this process and say what it cost."""
    from mineral_compliance.store import Campaign, RosterEntry

    phase = spec["phase"]
    paths = [Path(p) for p in Path(spec["list"]).read_text().splitlines()] \
        if spec.get("list") else []
    out: dict[str, Any] = {}
    start = time.perf_counter()
    if phase == "consolidate-files":
        from mineral_compliance import consolidate

        out["open_s"] = 0.0
        out["start_kb"] = _rss_kb()
        cpu = _cpu()
        start = time.perf_counter()
        result = consolidate(paths, roster=spec["roster"])
        out["seconds"] = time.perf_counter() - start
        out["cpu_s"] = _cpu() - cpu
        out["summary"] = result.summary()
    elif phase == "create":
        roster = [RosterEntry(name=x, unique_id=x) for x in spec["roster"]]
        Campaign.create(spec["url"], name=spec["name"], year=YEAR, roster=roster).close()
        out["seconds"] = time.perf_counter() - start
    else:
        campaign = Campaign.open(spec["url"], spec["name"])
        out["open_s"] = time.perf_counter() - start
        out["start_kb"] = _rss_kb()
        cpu = _cpu()
        start = time.perf_counter()
        if phase == "ingest":
            out["outcomes"] = _outcome(campaign.ingest(paths))
            out["seconds"] = time.perf_counter() - start
            out["cpu_s"] = _cpu() - cpu
        else:
            result, _ = campaign.consolidate()
            out["seconds"] = time.perf_counter() - start
            out["cpu_s"] = _cpu() - cpu
            out["summary"] = result.summary()
            start = time.perf_counter()
            status = campaign.status()
            out["status_s"] = time.perf_counter() - start
            out["responded"] = status.responded
        campaign.close()
    out["parent_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["worker_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return out


def run_phase(spec: dict[str, Any], paths: Sequence[Path] = ()) -> dict[str, Any]:
    """``child(spec)`` in a fresh interpreter, given ``paths`` as a list file."""
    listing = None
    if paths:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
            handle.write("\n".join(str(p) for p in paths))
            listing = handle.name
    try:
        spec = {**spec, "list": listing}
        start = time.perf_counter()
        done = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)],
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"phase {spec['phase']} failed:\n{done.stderr[-4000:]}")
        out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        out["process_s"] = time.perf_counter() - start
        return out
    finally:
        if listing:
            Path(listing).unlink()


# -- the run --------------------------------------------------------------------------------


@contextlib.contextmanager
def _touched(paths: Sequence[Path]) -> Iterator[None]:
    """``paths`` with later modification times, then their own again (the other stores'
    record of them stays true)."""
    times = [(p.stat().st_atime_ns, p.stat().st_mtime_ns) for p in paths]
    later = time.time_ns() + 1_000_000_000
    for p in paths:
        os.utime(p, ns=(later, later))
    try:
        yield
    finally:
        for p, t in zip(paths, times, strict=True):
            os.utime(p, ns=t)


def first_ingest(label: str, url: str, files: Files, roster: list[str]) -> dict[str, Any]:
    """Phase 1's ingest into a new campaign of the store at ``url``."""
    name = f"bench-{uuid.uuid4().hex[:8]}"
    r: dict[str, Any] = {"store": label, "url": url, "campaign": name}
    r["create"] = run_phase({**_spec(r), "phase": "create", "roster": roster})
    print(f"  {label}: ingest of {len(files.first)} new files", flush=True)
    r["ingest"] = run_phase({**_spec(r), "phase": "ingest"}, files.first)
    return r


def _spec(r: dict[str, Any]) -> dict[str, Any]:
    return {"url": r["url"], "name": r["campaign"]}


def later_phases(r: dict[str, Any], files: Files) -> None:
    """Phases 2 to 6 on the campaign phase 1 filled."""
    label, spec = r["store"], _spec(r)
    r["reingest"] = run_phase({**spec, "phase": "ingest"}, files.first)
    print(f"  {label}: consolidate of {len(files.first)} stored", flush=True)
    r["consolidate_small"] = run_phase({**spec, "phase": "consolidate-store"})
    if files.rest:
        print(f"  {label}: ingest of {len(files.rest)} more files", flush=True)
        r["fill"] = run_phase({**spec, "phase": "ingest"}, files.rest)
    r["ingest_new"] = run_phase({**spec, "phase": "ingest"}, [*files.new, *files.earlier])
    print(f"  {label}: consolidate of {files.total} stored", flush=True)
    r["consolidate_large"] = run_phase({**spec, "phase": "consolidate-store"})
    r["reingest_all"] = run_phase({**spec, "phase": "ingest"}, files.all())


def _forget_campaign(url: str, name: str) -> None:
    from sqlalchemy import delete
    from sqlalchemy.orm import Session

    from mineral_compliance.store import open_engine
    from mineral_compliance.store.schema import CampaignRow

    engine = open_engine(url)
    with Session(engine) as session, session.begin():
        session.execute(delete(CampaignRow).where(CampaignRow.name == name))
    engine.dispose()


def _mb(kb: float) -> str:
    return f"{kb / 1024:.0f}"


def report(stores: list[dict[str, Any]], baseline: list[dict[str, Any]], files: Files
           ) -> bool:
    n, m, big = len(files.first), len(files.first) + len(files.rest), files.total
    wall = sum(b["seconds"] for b in baseline) / len(baseline)
    cpu = sum(b["cpu_s"] for b in baseline) / len(baseline)
    heads = " | ".join(s["store"] for s in stores)
    print(f"\n| phase | {heads} | target |")
    print("|---|" + "---:|" * len(stores) + "---|")

    def row(what: str, cells: list[str], target: str = "") -> None:
        print(f"| {what} | {' | '.join(cells)} | {target} |")

    runs = " and ".join(f"{b['seconds']:.1f}" for b in baseline)
    row(f"`consolidate()` of {n} files (no store), before and after the SQLite ingest, s",
        [f"{runs} ({wall / n * 1000:.1f} ms/file; CPU {cpu:.0f} s)"] * len(stores))
    row(f"ingest of the same {n} files into an empty store, s",
        [f"{s['ingest']['seconds']:.1f} ({s['ingest']['seconds'] / wall:.2f}x consolidate; "
         f"CPU {s['ingest']['cpu_s']:.0f} s, {s['ingest']['cpu_s'] / cpu:.2f}x)"
         for s in stores], "about 1x consolidate")
    row(f"re-ingest of the {n} unchanged files, s",
        [f"{s['reingest']['seconds']:.2f}" for s in stores],
        f"<= {TARGETS['reingest_s_per_1000'] * n / 1000:.1f} s")
    row(f"consolidate from the store of {n}, s",
        [f"{s['consolidate_small']['seconds']:.2f} (CPU {s['consolidate_small']['cpu_s']:.1f})"
         for s in stores])
    if files.rest:
        row(f"ingest of {len(files.rest)} more files into the store of {n}, s",
            [f"{s['fill']['seconds']:.1f} ({s['fill']['seconds'] / len(files.rest) * 1000:.1f}"
             " ms/file)" for s in stores])
    row(f"ingest of {len(files.new)} new + {len(files.earlier)} resubmitted into the store of "
        f"{m}, s", [f"{s['ingest_new']['seconds']:.2f}" for s in stores])
    row(f"consolidate from the store of {big}, s",
        [f"{s['consolidate_large']['seconds']:.2f} (CPU {s['consolidate_large']['cpu_s']:.1f})"
         for s in stores],
        f"<= {TARGETS['consolidate_s_per_5000'] * big / 5000:.1f} s")
    row("opening the store for it (migration check included), s",
        [f"{s['consolidate_large']['open_s']:.2f}" for s in stores])
    row(f"`status()` of the store of {big}, s",
        [f"{s['consolidate_large']['status_s']:.2f}" for s in stores])
    row(f"re-ingest of all {big} files, unchanged, into that store, s",
        [f"{s['reingest_all']['seconds']:.2f}" for s in stores])
    row(f"re-ingest of the first {n} once their modification times changed (each hashed "
        "again), s", [f"{s['reingest_touched']['seconds']:.2f}" for s in stores])
    row(f"peak memory, `consolidate()` of {n} files: parent / each worker, MB",
        [f"{_mb(baseline[0]['parent_kb'])} / {_mb(baseline[0]['worker_kb'])}"] * len(stores))
    row(f"peak memory, ingest of {n}: parent / each worker, MB",
        [f"{_mb(s['ingest']['parent_kb'])} / {_mb(s['ingest']['worker_kb'])}"
         for s in stores])
    for key, size in (("consolidate_small", n), ("consolidate_large", big)):
        row(f"peak memory, consolidate from the store of {size}: peak (before the call), MB",
            [f"{_mb(s[key]['parent_kb'])} ({_mb(s[key]['start_kb'])})" for s in stores])
    row(f"peak memory ratio, store of {big} / store of {n}",
        [f"{s['consolidate_large']['parent_kb'] / s['consolidate_small']['parent_kb']:.2f}x "
         f"(above start: {_above(s['consolidate_large']) / _above(s['consolidate_small']):.2f}x)"
         for s in stores], "flat (about 1.0x)")
    met = True
    print()
    for s in stores:
        reingest = s["reingest"]["seconds"] <= TARGETS["reingest_s_per_1000"] * n / 1000
        cons = (s["consolidate_large"]["seconds"]
                <= TARGETS["consolidate_s_per_5000"] * big / 5000)
        ratio = s["consolidate_large"]["parent_kb"] / s["consolidate_small"]["parent_kb"]
        flat = ratio <= 1.25
        met = met and reingest and cons and flat
        print(f"{s['store']}: re-ingest {'MEETS' if reingest else 'MISSES'} its target, "
              f"consolidate {'MEETS' if cons else 'MISSES'} its target (scaled to {big} "
              f"submissions), memory {'flat' if flat else 'NOT FLAT'} ({ratio:.2f}x from {n} "
              f"to {big})")
        c = s["consolidate_large"]["summary"]
        print(f"  consolidated {c['files']} files: {c['suppliers']} suppliers, "
              f"{c['files_superseded']} superseded, {c['smelters']} smelters, "
              f"{c['smelter_rows_read']} rows read; ingest outcomes "
              f"{s['ingest']['outcomes']} / re-ingest {s['reingest']['outcomes']} / "
              f"10 new {s['ingest_new']['outcomes']}")
    return met


def _above(r: dict[str, Any]) -> float:
    return max(1.0, float(r["parent_kb"] - r["start_kb"]))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ingest", type=int, default=1000,
                        help="N: files ingested into the empty store (default 1,000)")
    parser.add_argument("--stored", type=int, default=5000,
                        help="M: submissions the store holds before the 10 new ones "
                             "(default 5,000)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 100 ingested, 300 stored")
    parser.add_argument("--files", type=Path, default=None,
                        help="make and keep the files in this folder (default: a temporary "
                             "one, deleted at the end)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (files and SQLite store)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    if args.quick:
        args.ingest, args.stored = 100, 300
    import make_suppliers

    if not all(b.is_file() for b in make_suppliers.BLANKS):
        print(f"the blank CMRT 6.4 and 6.5 in {make_suppliers.SHARED} are needed")
        return 1
    if args.stored < args.ingest or args.ingest < RESUBMISSIONS:
        parser.error("--stored must be at least --ingest, and --ingest at least 5")
    postgresql = os.environ.get(POSTGRESQL_VARIABLE)
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="bench-campaign-"))
    folder = args.files or work / "files"
    try:
        files = Files(folder, args.ingest, args.stored)
        made = files.make()
        print(f"{args.ingest} filled CMRTs, {args.stored - args.ingest + NEW_SUPPLIERS} copies "
              f"under other suppliers' names and {RESUBMISSIONS} earlier declarations in "
              f"{folder} ({made:.0f} s to make what was missing); load average "
              f"{load_before[0]:.2f} on {os.cpu_count()} cores", flush=True)
        roster = files.roster()
        print(f"  consolidate() of {len(files.first)} files", flush=True)
        baseline = [run_phase({"phase": "consolidate-files", "roster": roster}, files.first)]
        stores = [first_ingest("SQLite", f"sqlite:///{work / 'campaign.db'}", files, roster)]
        print(f"  consolidate() of {len(files.first)} files again", flush=True)
        baseline.append(run_phase({"phase": "consolidate-files", "roster": roster},
                                  files.first))
        if postgresql:
            stores.append(first_ingest("PostgreSQL", postgresql, files, roster))
        for store in stores:
            later_phases(store, files)
        with _touched(files.first):  # last: each store has then hashed them anew
            for store in stores:
                store["reingest_touched"] = run_phase({**_spec(store), "phase": "ingest"},
                                                      files.first)
        if postgresql:
            _forget_campaign(postgresql, stores[-1]["campaign"])
        load_after = os.getloadavg()
        print(f"\nN = {args.ingest} ingested, M = {args.stored} stored (+ {NEW_SUPPLIERS} new, "
              f"{RESUBMISSIONS} resubmitted); {sys.executable} (Python "
              f"{sys.version.split()[0]}); load average {load_before[0]:.2f} before, "
              f"{load_after[0]:.2f} after"
              + ("" if postgresql else f"; PostgreSQL skipped ({POSTGRESQL_VARIABLE} unset)"))
        met = report(stores, baseline, files)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({
            "ingest": args.ingest, "stored": args.stored, "load": [load_before, load_after],
            "consolidate_files": baseline, "stores": stores}, indent=1))
        print(f"\nevery figure in {RESULTS.relative_to(ROOT)}")
        return 0 if met else 1
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
