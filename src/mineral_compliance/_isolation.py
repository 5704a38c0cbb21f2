"""Running one function over many untrusted inputs in worker processes, each input isolated.

What a batch of five thousand supplier files needs from its workers:

* **A worker that dies costs one input, not the batch.** When a worker is killed (the
  out-of-memory killer, a CPU limit, a crash in a C extension), the process pool breaks and
  every input in flight fails with it. The inputs that were in flight are then run again one
  at a time, each in a process of its own: the innocent ones succeed, and the one that kills
  its worker again is reported with the reason (the signal or exit status), through
  ``on_death``. The rest of the batch goes on in a new pool.
* **Bounded per input.** Each worker has a CPU-time budget per input (the soft
  ``RLIMIT_CPU`` is moved to "used so far + budget" before each input, so a runaway loop in C
  code is stopped too, by ``SIGXCPU``) and a cap on its address space above what it started
  with (``RLIMIT_AS``: an allocation past it raises ``MemoryError`` in the worker instead of
  waking the out-of-memory killer).
* **No orphans.** Workers ask the kernel to kill them when their parent dies
  (``PR_SET_PDEATHSIG`` on Linux) and also watch their parent, so a consolidation killed with
  ``SIGKILL`` leaves no worker behind; they ignore ``SIGINT``, so Ctrl-C in a terminal is
  handled once, by the parent.

Results come back as ``(index, result)`` pairs in completion order.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Generic, TypeVar, cast

__all__ = ["WorkerLimits", "run_isolated"]

T = TypeVar("T")
R = TypeVar("R")

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class WorkerLimits:
    """What one input may cost a worker. ``None`` leaves a limit off."""

    cpu_seconds: int | None = 120
    """CPU time per input (a real template takes well under a second)."""
    memory_bytes: int | None = 4 * 1024**3
    """Address space a worker may add to what it started with."""
    workers: int | None = None
    """Worker processes (default: one per core)."""

    def describe_signal(self, code: int) -> str:
        """Why a worker ended with ``multiprocessing`` exit code ``code``."""
        if code < 0:
            sig = -code
            if sig == getattr(signal, "SIGXCPU", -1):
                return (f"reading it took more than the {self.cpu_seconds} s of CPU time "
                        "allowed per file")
            if sig == signal.SIGKILL:
                return ("the worker process reading it was killed (SIGKILL; most often the "
                        "system's out-of-memory killer)")
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = f"signal {sig}"
            return f"the worker process reading it ended with {name}"
        return f"the worker process reading it exited with status {code}"


# -- in the worker ------------------------------------------------------------------------

_budget: int | None = None


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)

    def watch() -> None:  # for systems without PR_SET_PDEATHSIG
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _address_space() -> int:
    try:
        with open("/proc/self/statm", "rb") as handle:  # noqa: PTH123 - a tiny proc file
            pages = int(handle.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _init(parent: int, cpu_seconds: int | None, memory_bytes: int | None) -> None:
    global _budget
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    _budget = cpu_seconds
    if memory_bytes is not None:
        with contextlib.suppress(ImportError, ValueError, OSError):
            import resource

            _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            limit = _address_space() + memory_bytes
            if hard == resource.RLIM_INFINITY or limit < hard:
                resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _call(func: Callable[[T], R], item: T) -> R:
    if _budget is not None:
        with contextlib.suppress(ImportError, ValueError, OSError):
            import resource

            used = resource.getrusage(resource.RUSAGE_SELF)
            _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
            soft = int(used.ru_utime + used.ru_stime) + 1 + _budget
            if hard == resource.RLIM_INFINITY or soft < hard:
                resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    return func(item)


def _solo_main(conn: Connection, parent: int, limits: WorkerLimits,
               func: Callable[[T], R], item: T) -> None:
    _init(parent, limits.cpu_seconds, limits.memory_bytes)
    result = _call(func, item)
    conn.send(result)
    conn.close()


# -- in the parent ------------------------------------------------------------------------


@dataclass
class _Run(Generic[T, R]):
    func: Callable[[T], R]
    items: Sequence[T]
    limits: WorkerLimits
    on_death: Callable[[T, str], R]
    on_error: Callable[[T, BaseException], R]

    def solo(self, index: int) -> R:
        """One input in a process of its own, so that its death is its own."""
        ctx = _context()
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_solo_main, daemon=True,
                           args=(send, os.getpid(), self.limits, self.func, self.items[index]))
        proc.start()
        send.close()
        wall = max(60, (self.limits.cpu_seconds or 600) * 10)  # a loaded machine is slow
        answered = False
        result: R | None = None
        try:
            if receive.poll(wall):
                with contextlib.suppress(EOFError, OSError):  # it died before it answered
                    result, answered = cast(R, receive.recv()), True
            else:
                proc.kill()
                proc.join()
                return self.on_death(self.items[index],
                                     f"reading it did not finish within {wall} s")
        except BaseException:  # interrupted: the process must not outlive the call
            proc.kill()
            proc.join()
            raise
        finally:
            receive.close()
        proc.join()
        if answered:
            return cast(R, result)
        return self.on_death(self.items[index], self.limits.describe_signal(proc.exitcode or 0))

    def pooled(self, pool: ProcessPoolExecutor, pending: collections.deque[int],
               suspects: collections.deque[int]) -> Iterator[tuple[int, R]]:
        workers = self.limits.workers or os.cpu_count() or 1
        window = max(2, workers * 4)
        inflight: dict[Future[R], int] = {}
        while pending or inflight:
            while pending and len(inflight) < window:
                i = pending.popleft()
                inflight[pool.submit(_call, self.func, self.items[i])] = i
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                i = inflight.pop(future)
                try:
                    yield i, future.result()
                except BrokenProcessPool:
                    suspects.append(i)
                    broken = True
                except Exception as exc:  # e.g. a result that cannot be sent back
                    yield i, self.on_error(self.items[i], exc)
            if broken:
                suspects.extend(inflight.values())
                return


def run_isolated(
    func: Callable[[T], R],
    items: Sequence[T],
    *,
    on_death: Callable[[T, str], R],
    on_error: Callable[[T, BaseException], R],
    limits: WorkerLimits | None = None,
    executor: Executor | None = None,
) -> Iterator[tuple[int, R]]:
    """``(index, func(item))`` for every item, in completion order; see the module docs.

    ``func`` must be a module-level function (it is sent to the workers). With ``executor``
    (any :class:`concurrent.futures.Executor`, a Dask client's included) the items are simply
    submitted to it and an exception from one item is that item's ``on_error``; the limits
    and the recovery from dead workers apply to the default process pool only."""
    limits = limits or WorkerLimits()
    if executor is not None:
        futures = {executor.submit(func, item): i for i, item in enumerate(items)}
        for future in _as_completed(futures):
            i = futures[future]
            try:
                yield i, future.result()
            except Exception as exc:
                yield i, on_error(items[i], exc)
        return
    run = _Run(func, items, limits, on_death, on_error)
    pending = collections.deque(range(len(items)))
    suspects: collections.deque[int] = collections.deque()
    workers = limits.workers or os.cpu_count() or 1
    while pending or suspects:
        while suspects:
            i = suspects.popleft()
            yield i, run.solo(i)
        if not pending:
            break
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                                   initializer=_init,
                                   initargs=(os.getpid(), limits.cpu_seconds,
                                             limits.memory_bytes))
        try:
            yield from run.pooled(pool, pending, suspects)
        except BaseException:  # interrupted, or the caller stopped iterating
            _stop(pool)
            raise
        if suspects:
            _stop(pool)
        else:
            pool.shutdown(wait=True)


def _context() -> multiprocessing.context.DefaultContext:
    """Workers are forked where the system can: a worker's parent is then this process,
    which it watches (under ``forkserver``, the default on Linux from Python 3.14, and
    ``spawn`` it would be another), and start-up costs no re-import."""
    if "fork" in multiprocessing.get_all_start_methods() and sys.platform.startswith("linux"):
        # the fork context offers what the default one does; typeshed types them apart
        return cast(multiprocessing.context.DefaultContext, multiprocessing.get_context("fork"))
    return multiprocessing.get_context()


def _as_completed(futures: dict[Future[R], int]) -> Iterator[Future[R]]:
    from concurrent.futures import as_completed

    return as_completed(futures)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Shut a pool down without waiting for work nobody will collect; kill what is left."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            with contextlib.suppress(OSError, ValueError, AttributeError):
                proc.terminate()
    for proc in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError, AssertionError):
            proc.join(timeout=5)
