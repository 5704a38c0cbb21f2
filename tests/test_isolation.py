"""Worker isolation: a worker that dies costs one input, limits hold per input, and no worker
outlives its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

import pytest

import mineral_compliance.batch as batch
from mineral_compliance import consolidation
from mineral_compliance._isolation import WorkerLimits, run_isolated
from mineral_compliance.consolidation import loading
from mineral_compliance.models.consolidation import FileStatus

from .conftest import FIXTURES


def _work(item: int) -> str:
    if item == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
    if item == 5:
        while True:  # a runaway loop: only the CPU limit ends it
            pass
    if item == 7:
        try:
            bytearray(2 * 1024**3)
        except MemoryError:
            return "out of memory"
        return "allocated"
    return f"done {item}"


def _death(item: int, reason: str) -> str:
    return f"died {item}: {reason}"


def _error(item: int, exc: BaseException) -> str:
    return f"error {item}: {exc}"


def test_dead_workers_cost_their_own_input_and_the_batch_goes_on() -> None:
    limits = WorkerLimits(cpu_seconds=1, memory_bytes=512 * 1024**2, workers=2)
    results = dict(run_isolated(_work, list(range(12)), on_death=_death, on_error=_error,
                                limits=limits))
    assert sorted(results) == list(range(12))
    assert results[3].startswith("died 3: the worker process reading it was killed (SIGKILL")
    assert results[5] == "died 5: reading it took more than the 1 s of CPU time allowed per file"
    assert results[7] == "out of memory"  # the address-space cap, not the OOM killer
    assert all(results[i] == f"done {i}" for i in range(12) if i not in (3, 5, 7))


_REAL_LOAD = loading.load


def _killing_load(item: loading.Job) -> loading.Loaded:
    if item.label.endswith("crt-2.21-cobalt.xlsx"):
        os.kill(os.getpid(), signal.SIGKILL)
    return _REAL_LOAD(item)


def test_a_consolidation_survives_a_worker_killed_mid_file(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "load", _killing_load)  # forked workers inherit it
    result = consolidation.consolidate(FIXTURES / "demo")
    by_name = {Path(f.file).name: f for f in result.files}
    assert len(by_name) == len(list((FIXTURES / "demo").glob("*.xlsx")))
    dead = by_name["crt-2.21-cobalt.xlsx"]
    assert dead.status is FileStatus.UNREADABLE
    assert dead.message and "killed (SIGKILL" in dead.message
    assert all(f.status is not FileStatus.UNREADABLE for n, f in by_name.items()
               if n != "crt-2.21-cobalt.xlsx")


_ORPHAN_PARENT = textwrap.dedent("""
    import sys, time
    from mineral_compliance._isolation import run_isolated, WorkerLimits
    print("started", flush=True)
    for _ in run_isolated(time.sleep, [60.0] * 4, on_death=repr, on_error=repr,
                          limits=WorkerLimits(workers=2)):
        pass
""")


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text()
        out |= {int(p) for p in text.split()}
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_no_worker_outlives_a_parent_killed_with_sigkill() -> None:
    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN_PARENT], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 20
        workers: set[int] = set()
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = {c for c in _children(parent.pid) if _alive(c)}
            time.sleep(0.05)
        assert len(workers) >= 2, "the pool did not start"
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        survivors = [w for w in workers if _alive(w)]
        for w in survivors:  # never leave them behind, even when the test fails
            os.kill(w, signal.SIGKILL)
        assert survivors == []
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()


_REAL_VALIDATE = batch._validate


def _killing_validate(job: batch._Job) -> batch.Validated:
    if job.item.label.endswith("emrt-2.1-selected-minerals.xlsx"):
        os.kill(os.getpid(), signal.SIGKILL)
    return _REAL_VALIDATE(job)


def test_validate_by_the_thousand_survives_a_worker_killed_mid_file(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "_validate", _killing_validate)
    done = batch.validate_inputs(FIXTURES / "demo")
    assert [Path(d.label).name for d in done] == sorted(
        p.name for p in (FIXTURES / "demo").glob("*.xlsx"))
    dead = next(d for d in done if d.label.endswith("emrt-2.1-selected-minerals.xlsx"))
    assert dead.report is None and dead.error_type == "WorkerDied"
    assert dead.error and "killed (SIGKILL" in dead.error
    assert all(d.report is not None for d in done if d is not dead)


def test_an_unknown_rule_name_is_refused_before_any_worker_starts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def never(job: batch._Job) -> batch.Validated:
        raise AssertionError("no file should be read")

    monkeypatch.setattr(batch, "_validate", never)
    with pytest.raises(ValueError, match=r"unknown rule code.*: nope"):
        batch.validate_inputs(FIXTURES / "demo", select=["smelters"], ignore=["nope"])


def test_a_file_not_read_has_the_json_shape_of_a_report() -> None:
    lost = batch.Validated("x.xlsx", None, "LegacyFormatError", "x.xlsx: an .xls workbook")
    assert lost.to_plain() == {
        "file": "x.xlsx", "template": None, "valid": False,
        "error": {"type": "LegacyFormatError", "message": "x.xlsx: an .xls workbook"},
        "summary": None, "findings": []}
    read = batch.validate_inputs(FIXTURES / "demo" / "cmrt-6.5-product-scope.xlsx")[0]
    assert read.report is not None
    plain = read.to_plain()
    assert list(plain) == ["file", "template", "valid", "summary", "findings", "error"]
    assert plain["error"] is None and plain["summary"] == read.report.summary()


def test_workers_start_whatever_the_default_start_method() -> None:
    """Under forkserver (Linux's default from Python 3.14) a worker's parent would be the
    fork server, and a worker that watches its parent must not take that for its death."""
    script = textwrap.dedent("""
        import multiprocessing, sys
        from mineral_compliance._isolation import run_isolated
        if __name__ == "__main__":
            multiprocessing.set_start_method(sys.argv[1], force=True)
            done = dict(run_isolated(abs, [-1, -2, -3], on_death=lambda i, r: r,
                                     on_error=lambda i, e: repr(e)))
            print(sorted(done.items()))
    """)
    for method in ("forkserver", "spawn"):
        proc = subprocess.run([sys.executable, "-c", script, method], capture_output=True,
                              text=True, timeout=120, check=False)
        assert proc.stdout.strip() == "[(0, 1), (1, 2), (2, 3)]", (method, proc.stderr)


def _suicide() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_thread_reads_in_one_helper_until_an_input_kills_it() -> None:
    from mineral_compliance._isolation import WorkerDied, close_helpers, isolated_call

    limits = WorkerLimits(cpu_seconds=5, memory_bytes=512 * 1024**2)
    try:
        first = isolated_call(limits, os.getpid)
        assert first != os.getpid()
        assert isolated_call(limits, os.getpid) == first  # forked once, then reused
        with pytest.raises(ValueError, match="invalid literal"):
            isolated_call(limits, int, ("not a number",))  # raised, as it was raised there
        assert isolated_call(limits, os.getpid) == first
        with pytest.raises(WorkerDied, match=r"killed \(SIGKILL"):
            isolated_call(limits, _suicide)
        second = isolated_call(limits, os.getpid)
        assert second not in (first, os.getpid())
        with pytest.raises(OSError):
            os.waitpid(first, os.WNOHANG)  # the dead helper was reaped
    finally:
        close_helpers()


def test_a_helper_left_idle_ends_and_the_next_input_gets_another(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mineral_compliance import _isolation

    monkeypatch.setattr(_isolation, "HELPER_IDLE_SECONDS", 0.5)
    limits = WorkerLimits(cpu_seconds=5)
    try:
        first = _isolation.isolated_call(limits, os.getpid)
        time.sleep(1.5)
        assert os.waitpid(first, os.WNOHANG)[0] == first  # it ended by itself
        helper = next(iter(_isolation._helpers.values()))
        helper.last = time.monotonic()  # as if it had just worked: found ended all the same
        assert _isolation.isolated_call(limits, os.getpid) not in (first, os.getpid())
    finally:
        _isolation.close_helpers()


def _descriptors() -> list[int]:
    return sorted(int(p.name) for p in Path("/proc/self/fd").iterdir())


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc")
def test_a_helper_holds_none_of_its_workers_descriptors(tmp_path: Path) -> None:
    """A socket of the worker's that a helper held open would not end when the worker
    closes it; a helper keeps the standard streams and its own connection only."""
    from mineral_compliance._isolation import close_helpers, isolated_call

    with (tmp_path / "held").open("w") as held:
        try:
            inside = isolated_call(WorkerLimits(cpu_seconds=5), _descriptors)
        finally:
            close_helpers()
        assert held.fileno() in _descriptors()
        assert held.fileno() not in inside
    assert inside[:3] == [0, 1, 2] and len(inside) <= 5  # its connection, the listing's own


class _Uncancellable(Future[Any]):
    """A call of a client that lost its scheduler: asking it to cancel may block or raise."""

    def cancel(self) -> bool:
        raise AssertionError("a lost executor's calls are given up, not cancelled through it")


class _Stalled(Executor):
    """An executor that takes every call and never settles one: the first is running as far
    as it knows, the others are still queued (as a Dask client's calls may be left when it
    shuts down after losing its scheduler)."""

    def __init__(self) -> None:
        self.futures: list[Future[Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = _Uncancellable()
        if not self.futures:
            future.set_running_or_notify_cancel()
        self.futures.append(future)
        return future


def _double(x: int) -> int:
    return 2 * x


def test_calls_on_a_lost_executor_are_given_up_after_the_grace_not_waited_for_forever(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mineral_compliance import _isolation

    monkeypatch.setattr(_isolation, "LOST_GRACE", 0.3)
    connected = [True]
    executor = _isolation.IsolatedExecutor(_Stalled(), alive=lambda: connected[0])
    results = run_isolated(_double, [1, 2, 3], on_death=lambda x, why: -1,
                           on_error=lambda x, exc: type(exc).__name__, executor=executor)
    connected[0] = False
    start = time.monotonic()
    got = sorted(results)
    assert time.monotonic() - start < 5
    assert got == [(0, "CancelledError"), (1, "CancelledError"), (2, "CancelledError")]
    assert executor.cancelled == 3  # the running one and the two queued
    # while the executor is alive, calls are waited for however long they take
    patient = _isolation.IsolatedExecutor(_Stalled(), alive=lambda: True)
    waiting = run_isolated(_double, [1], on_death=lambda x, why: -1,
                           on_error=lambda x, exc: -2, executor=patient)
    worker = threading.Thread(target=lambda: list(waiting), daemon=True)
    worker.start()
    worker.join(1.0)
    assert worker.is_alive()
    patient.inner.futures[0].set_result(2)  # type: ignore[attr-defined]
    worker.join(5)
    assert not worker.is_alive()
