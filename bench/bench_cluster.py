"""Reading on a Dask cluster: what one file costs a worker, the scheduler and the parent, and
what follows for a cluster of N workers.

Uses the real-size CMRTs ``bench/make_suppliers.py`` generates. On this machine it measures:

1. **One file, serially in one process**, over the first ``--sample`` files: reading and
   validating it (what a worker does for each file), called directly and in a helper process
   (what ``--scheduler`` does on the worker, for the per-file limits).
2. **The reading phase** of ``--count`` files (and the earlier declarations they supersede):
   on this machine's process pool, then on a Dask cluster of ``--workers`` workers of one
   thread each on loopback (``dask scheduler`` and ``dask worker`` started here as separate
   processes, as on a real cluster), with the helper processes and without, in turn: wall
   time, and the CPU time per file of the parent, of the scheduler and of the workers (their
   helpers included; what the cluster spends idle in as long, measured first, is taken
   off).
3. **What the parent does once every file is back**: matching every row against the
   reference lists, merging, the roll-up (``consolidate_loaded``), then writing every output
   (``write_consolidation``, report included). The cluster's results are checked to give the
   same consolidation as the local ones.

From these it prints the expected files per hour for N workers and where the parent becomes
the bottleneck. CPU time is what transfers to other machines; wall time on this 2-core machine
(shared with the cluster it starts) does not, and is printed for the record.

Run: ``python bench/bench_cluster.py [--files DIR] [--count 300] [--workers 2] [--rounds 2]``
(Linux: the cluster's CPU time is read from ``/proc``). Not part of the tests; needs the dask
extra.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SUPPLIERS = ROOT / "bench" / "results" / "suppliers"


def _chosen(folder: Path, count: int) -> list[Path]:
    """The first ``count`` suppliers and the earlier declarations of theirs (as
    ``bench_consolidate.py`` chooses them)."""
    files = sorted(folder.glob("supplier-*.xlsx"))
    chosen = [f for f in files if not f.name.endswith("-earlier.xlsx")][:count]
    names = {c.name for c in chosen}
    return chosen + [f for f in files if f.name.endswith("-earlier.xlsx")
                     and f.name.replace("-earlier", "") in names]


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _serial(files: list[Path], rounds: int) -> dict[str, float]:
    """Per file, in this process: reading and validating directly, then in a helper process
    (what ``--scheduler`` does on a worker: forked once, then reused); the two in turn,
    ``rounds`` times, the best of each kept."""
    from mineral_compliance._isolation import WorkerLimits, close_helpers, isolated_call
    from mineral_compliance.consolidation.loading import Job, load
    from mineral_compliance.inputs import collect_inputs
    from mineral_compliance.templates.releases import default_policy

    jobs = [Job(i, default_policy()) for i in collect_inputs(files)]
    load(jobs[0])  # every module the reading needs is imported, as on a worker that has begun
    limits = WorkerLimits()
    n = len(jobs)
    best = {"files": n, "direct_wall": 1e9, "direct_cpu": 1e9, "helper_wall": 1e9,
            "helper_cpu": 1e9}
    for _ in range(rounds):
        start, cpu = time.perf_counter(), time.process_time()
        for job in jobs:
            load(job)
        best["direct_wall"] = min(best["direct_wall"], (time.perf_counter() - start) / n)
        best["direct_cpu"] = min(best["direct_cpu"], (time.process_time() - cpu) / n)
        start, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
        for job in jobs:
            isolated_call(limits, load, (job,))
        close_helpers()  # reaped, so that its CPU time is counted among the children's
        best["helper_wall"] = min(best["helper_wall"], (time.perf_counter() - start) / n)
        best["helper_cpu"] = min(best["helper_cpu"], (time.process_time() - cpu
                                                      + _children_cpu() - children) / n)
    return best


def _proc_cpu(pid: int) -> float:
    """CPU seconds of process ``pid`` and of its children it has reaped (Linux ``/proc``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        here = children.get(todo.pop(), [])
        out += here
        todo += here
    return out


@contextmanager
def _cluster(workers: int, env: dict[str, str]) -> Iterator[tuple[str, Callable[[], float],
                                                                   Callable[[], float]]]:
    """A scheduler and ``workers`` one-thread workers on loopback, each a process of its own
    as on a real cluster: the address, and the CPU seconds used so far by the scheduler and
    by the workers (their helper processes included, live or reaped)."""
    with tempfile.TemporaryDirectory() as tmp:
        address_file = Path(tmp) / "scheduler.json"
        log = (Path(tmp) / "cluster.log").open("w")
        scheduler = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", "0", "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
             "--scheduler-file", str(address_file)], env=env, stdout=log, stderr=log)
        nanny: subprocess.Popen[bytes] | None = None
        try:
            for _ in range(600):
                if address_file.exists() and address_file.stat().st_size:
                    break
                time.sleep(0.1)
            address = json.loads(address_file.read_text())["address"]
            nanny = subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers",
                 str(workers), "--nthreads", "1", "--no-dashboard", "--local-directory", tmp],
                env=env, stdout=log, stderr=log)
            top = nanny.pid

            def scheduler_cpu() -> float:
                return _proc_cpu(scheduler.pid)

            def workers_cpu() -> float:
                return sum(_proc_cpu(pid) for pid in [top, *_descendants(top)])

            yield address, scheduler_cpu, workers_cpu
        finally:
            for proc in (nanny, scheduler):
                if proc is not None:
                    proc.terminate()
            for proc in (nanny, scheduler):
                if proc is not None:
                    try:
                        proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
            log.close()


def _idle(cluster_cpu: tuple[Callable[[], float], Callable[[], float]],
          seconds: float = 10.0) -> tuple[float, float]:
    """CPU seconds per second the scheduler and the workers spend doing nothing (heartbeats,
    their event loops, the memory monitor), to be told apart from the cost of the files."""
    before = [f() for f in cluster_cpu]
    time.sleep(seconds)
    scheduler, workers = (f() - b for f, b in zip(cluster_cpu, before, strict=True))
    return scheduler / seconds, workers / seconds


def _reading(files: list[Path], executor: Executor | None,
             cluster_cpu: tuple[Callable[[], float], Callable[[], float]] | None = None,
             idle: tuple[float, float] = (0.0, 0.0)) -> tuple[list[Any], dict[str, float]]:
    """The reading phase of a consolidation: every file read in ``executor``'s workers; the
    cluster's CPU time less what it spends idle in as long (``idle``, per second)."""
    from mineral_compliance.consolidation.loading import load_all
    from mineral_compliance.inputs import collect_inputs
    from mineral_compliance.templates.releases import default_policy

    items = collect_inputs(files)
    before = [f() for f in cluster_cpu] if cluster_cpu else [0.0, 0.0]
    start, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    loaded = load_all(items, executor, None, None, default_policy())
    wall, parent = time.perf_counter() - start, time.process_time() - cpu
    if cluster_cpu:
        time.sleep(1.0)  # the kernel's accounting catches up
        scheduler, workers = (f() - b - rate * (wall + 1.0)
                              for f, b, rate in zip(cluster_cpu, before, idle, strict=True))
    else:
        scheduler, workers = 0.0, _children_cpu() - children
    n = len(items)
    return loaded, {"files": n, "wall": wall, "parent_cpu": parent / n,
                    "scheduler_cpu": scheduler / n, "workers_cpu": workers / n}


def _after(files: list[Path], loaded: list[Any]) -> tuple[Any, dict[str, float]]:
    """What the parent does with every file back: match, merge, roll up; write it all."""
    from mineral_compliance.consolidation.build import consolidate_loaded
    from mineral_compliance.consolidation.references import from_inputs
    from mineral_compliance.inputs import collect_inputs
    from mineral_compliance.outputs import write_consolidation

    items = collect_inputs(files)
    start, cpu = time.perf_counter(), time.process_time()
    result = consolidate_loaded(loaded, from_inputs(items))
    match_wall, match_cpu = time.perf_counter() - start, time.process_time() - cpu
    with tempfile.TemporaryDirectory() as out:
        start, cpu = time.perf_counter(), time.process_time()
        write_consolidation(result, out)
        write_wall, write_cpu = time.perf_counter() - start, time.process_time() - cpu
    n = len(items)
    return result, {"match_wall": match_wall / n, "match_cpu": match_cpu / n,
                    "write_wall": write_wall / n, "write_cpu": write_cpu / n}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=Path, default=SUPPLIERS,
                        help="the folder make_suppliers.py wrote")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2,
                        help="times each way of reading on the cluster is measured")
    args = parser.parse_args()
    files = _chosen(args.files, args.count)
    if len(files) < args.count:
        print(f"generate the files first: python bench/make_suppliers.py (found {len(files)} "
              f"in {args.files})")
        return 1
    import distributed

    from mineral_compliance._isolation import IsolatedExecutor

    load = os.getloadavg()
    print(f"{os.cpu_count()} cores; load average {load[0]:.1f} / {load[1]:.1f} / "
          f"{load[2]:.1f} at the start")
    s = _serial(files[: args.sample], args.rounds)
    print(f"\none file, serially ({s['files']} files): reading and validating "
          f"{s['direct_cpu'] * 1000:.1f} ms CPU ({s['direct_wall'] * 1000:.1f} ms wall); in a "
          f"helper process {s['helper_cpu'] * 1000:.1f} ms CPU "
          f"({s['helper_wall'] * 1000:.1f} ms wall)")

    loaded_here, here = _reading(files, None)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])}
    runs = {"this machine's pool": here}
    with _cluster(args.workers, env) as (address, scheduler_cpu, workers_cpu), \
            distributed.Client(address, set_as_default=False) as client:
        client.wait_for_workers(args.workers, timeout=120)
        plain = client.get_executor(pure=False)
        _reading(files[:4], plain)  # the workers import the package once
        cpu = (scheduler_cpu, workers_cpu)
        idle = _idle(cpu)
        # the two ways in turn, --rounds times, the best of each kept: other work on the
        # machine only ever adds time
        ways = {"cluster, in a helper process": IsolatedExecutor(plain),
                "cluster, in the worker itself": plain}
        for _ in range(args.rounds):
            for name, executor in ways.items():
                loaded_dask, measured = _reading(files, executor, cpu, idle)
                best = runs.get(name)
                runs[name] = measured if best is None else {
                    k: min(v, best[k]) for k, v in measured.items()}
    print(f"\nreading {here['files']} files ({args.workers} workers), CPU ms per file (the "
          f"cluster's less its idle {idle[0] * 1000:.0f} + {idle[1] * 1000:.0f} ms per second "
          "for scheduler + workers):")
    print(f"{'':36} {'wall s':>7} {'parent':>7} {'scheduler':>9} {'workers':>8}")
    for name, r in runs.items():
        print(f"{name:36} {r['wall']:>7.1f} {r['parent_cpu'] * 1000:>7.2f} "
              f"{r['scheduler_cpu'] * 1000:>9.2f} {r['workers_cpu'] * 1000:>8.1f}")

    result_here, after = _after(files, loaded_here)
    result_dask, _ = _after(files, loaded_dask)
    assert result_dask == result_here, "the cluster's results consolidate differently"
    print(f"\nonce every file is back, per file: matching, merging and the roll-up "
          f"{after['match_cpu'] * 1000:.1f} ms CPU ({after['match_wall'] * 1000:.1f} wall); "
          f"writing every output {after['write_cpu'] * 1000:.1f} ms CPU "
          f"({after['write_wall'] * 1000:.1f} wall); the same consolidation either way")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"this process's peak resident memory: {peak:.0f} MB (two consolidations of "
          f"{here['files']} files held at once)")

    cluster = runs["cluster, in a helper process"]
    worker = cluster["workers_cpu"]
    streaming = max(cluster["parent_cpu"], cluster["scheduler_cpu"])
    tail = after["match_cpu"] + after["write_cpu"]
    print(f"\nexpected files per hour: a worker spends {worker * 1000:.0f} ms per file; "
          f"while files come back the parent spends {cluster['parent_cpu'] * 1000:.1f} ms "
          f"and the scheduler {cluster['scheduler_cpu'] * 1000:.1f} ms each; then the "
          f"parent spends {tail * 1000:.1f} ms per file on its own")
    print(f"{'workers':>8} {'reading, files/h':>17} {'whole run, files/h':>19}")
    for n in (1, 2, 4, 8, 16, 32, 64, 128):
        per_file = max(worker / n, streaming)
        print(f"{n:>8} {3600 / per_file:>17,.0f} {3600 / (per_file + tail):>19,.0f}")
    print(f"the parent's own time equals the workers' from {worker / tail:.0f} workers on "
          f"(reading {worker / streaming:.0f}x faster than the parent receives is the "
          f"ceiling: {3600 / streaming:,.0f} files/h)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
