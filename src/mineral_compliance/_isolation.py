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

**On another executor** (a Dask cluster's, given as ``executor``) the pool above is not
there: a worker that dies takes its in-flight inputs with it, and the cluster's scheduler
sends each one to another worker, until it gives up on it (Dask's ``KilledWorker``, then this
input's ``on_death``). Wrapping that executor in :class:`IsolatedExecutor` brings the
guarantees back on its workers: each thread of a worker reads its inputs in a helper process
it forks (once, then reused, as the pool's workers are), one input at a time under the same
limits, so that an input which kills, loops or exhausts its process costs that process only,
and comes back as ``on_death`` with the reason at once. The worker itself, and the other
inputs it holds, carry on; the next input gets a new helper.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import gc
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from ._version import __version__

__all__ = ["HELPER_IDLE_SECONDS", "IsolatedExecutor", "WorkerDied", "WorkerLimits",
           "close_helpers", "isolated_call", "probe", "run_isolated"]

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


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """SIGINT held back in this thread while it forks workers. A worker forked with SIGINT
    deliverable can be interrupted by a Ctrl-C in the interpreter's own after-fork hooks,
    before :func:`_init` ignores SIGINT, and would print "Exception ignored" and a traceback
    to the shared terminal. The parent receives a signal held back as soon as the fork is
    done; the worker, which inherits the mask, drops it once it ignores SIGINT."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _init(parent: int, cpu_seconds: int | None, memory_bytes: int | None) -> None:
    global _budget
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # held back while it was forked: now ignored
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
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


# -- on another executor's worker -----------------------------------------------------------


class WorkerDied(Exception):  # noqa: N818 - what happened, not a failure of the caller
    """The process forked to run one input on another executor's worker died; ``reason``
    says how, in words (what ``on_death`` is given)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


HELPER_IDLE_SECONDS = 60.0
"""A helper process left without work this long ends (a shared cluster's workers are not
left holding our memory); the next call starts another."""


@dataclass
class _Helper:
    """The process one thread of an executor's worker reads its inputs in, one at a time."""

    pid: int
    conn: Connection
    limits: WorkerLimits
    last: float
    """When it last finished an input (``time.monotonic``)."""


_helpers: dict[int, _Helper] = {}
"""This process's helpers, by the thread that started each (one input at a time each)."""
_helpers_pid = os.getpid()
_forking = threading.Lock()


def _helper_main(conn: Connection, parent: int, limits: WorkerLimits) -> int:
    """The helper's life: inputs one at a time until its thread stops asking (its end of
    the connection closed, or idle for :data:`HELPER_IDLE_SECONDS`)."""
    _init(parent, limits.cpu_seconds, limits.memory_bytes)
    while conn.poll(HELPER_IDLE_SECONDS):
        try:
            request = conn.recv()
        except (EOFError, OSError):
            break
        try:
            answer: tuple[bool, Any] = (True, _call(_apply, request))
        except Exception as exc:
            answer = (False, exc)
        try:
            conn.send(answer)
        except Exception as exc:  # a result or exception that cannot be pickled
            conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    return 0


def _start_helper(limits: WorkerLimits) -> _Helper:
    """A helper forked from this thread: ``os.fork`` itself, since a Dask worker is a
    daemonic process, which :mod:`multiprocessing` forbids to have children. One fork at a
    time, so that no helper inherits another's end of its connection."""
    with _forking:
        ours, theirs = multiprocessing.Pipe(duplex=True)
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the helper: it never returns into the worker's own code
            status = 1
            try:
                _detach(theirs.fileno())
                status = _helper_main(theirs, parent, limits)
            finally:
                os._exit(status)
        theirs.close()
    return _Helper(pid, ours, limits, time.monotonic())


def _detach(keep: int) -> None:
    """In a new helper: let go of what it inherited from the worker. What the worker had
    allocated is never collected here (its finalisers would close descriptors by number),
    and every descriptor but the standard streams and ``keep`` is closed: a socket of the
    worker's that the helper held open would not end when the worker closes it."""
    gc.freeze()
    os.closerange(3, keep)
    os.closerange(keep + 1, _max_descriptor())


def _max_descriptor() -> int:
    try:
        return max(int(p.name) for p in Path("/proc/self/fd").iterdir()) + 1
    except (OSError, ValueError):
        return os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 4096


def _end(helper: _Helper) -> None:
    """End ``helper`` and reap it (it may have ended already)."""
    helper.conn.close()
    with contextlib.suppress(OSError):
        os.kill(helper.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.waitpid(helper.pid, 0)


def close_helpers() -> None:
    """End the helper processes of this process (they hold the code they were forked with:
    after changing it, in tests)."""
    while _helpers:
        _end(_helpers.popitem()[1])


def _helper(limits: WorkerLimits) -> _Helper:
    """This thread's helper, alive and under ``limits``: a new one when it has none, when
    its helper has ended or is about to end for idleness, or runs under other limits."""
    global _helpers_pid
    if _helpers_pid != os.getpid():  # a fork of a process that had helpers: not ours
        _helpers.clear()
        _helpers_pid = os.getpid()
    key = threading.get_ident()
    helper = _helpers.get(key)
    if helper is not None:
        try:
            ended = os.waitpid(helper.pid, os.WNOHANG)[0] != 0
        except ChildProcessError:
            ended = True
        if (ended or helper.limits != limits
                or time.monotonic() - helper.last > HELPER_IDLE_SECONDS / 2):
            del _helpers[key]
            _end(helper)
            helper = None
    if helper is None:
        helper = _helpers[key] = _start_helper(limits)
    return helper


def isolated_call(limits: WorkerLimits, func: Callable[..., R], args: tuple[Any, ...] = (),
                  kwargs: dict[str, Any] | None = None) -> R:
    """``func(*args, **kwargs)`` in this thread's helper process, under ``limits``: what an
    :class:`IsolatedExecutor` runs on the worker that takes the call. Returns what ``func``
    returns, raises what it raises, and raises :class:`WorkerDied` with the reason when the
    helper dies under it (killed, over the CPU time allowed per input, or not done within
    ten times that in wall time); the next call starts another helper.

    The helper is forked once and reused, as the default pool's workers are: forking a
    Dask worker for every input costs more than reading most inputs. Where there is no
    ``fork`` (Windows), the call runs in the worker itself, without the limits."""
    if not hasattr(os, "fork"):
        return func(*args, **(kwargs or {}))
    for _attempt in range(2):
        helper = _helper(limits)
        state, value = _ask(helper, (func, args, kwargs))
        if state == "answer":
            helper.last = time.monotonic()
            ok, result = value
            if not ok:
                raise result
            return cast(R, result)
        del _helpers[threading.get_ident()]
        _end(helper)
        if state == "died":
            raise WorkerDied(value)
        # "idle": it ended for idleness as the input was sent, without reading it: again
    raise WorkerDied("the process reading it ended without an answer, twice")


def _ask(helper: _Helper, request: tuple[Any, ...]) -> tuple[str, Any]:
    """Send ``helper`` one input and wait for it: ``("answer", (ok, value))``,
    ``("died", reason)``, or ``("idle", None)`` when it had ended without reading it."""
    try:
        helper.conn.send(request)
    except OSError:  # it ended (idle) before the input got there
        return "idle", None
    limits = helper.limits
    wall = max(60, (limits.cpu_seconds or 600) * 10)  # a loaded machine is slow
    deadline = time.monotonic() + wall
    while True:
        if helper.conn.poll(0.2):
            try:
                return "answer", helper.conn.recv()
            except (EOFError, OSError):  # it died before it answered
                status = _reap(helper.pid)
                break
        try:
            done, status = os.waitpid(helper.pid, os.WNOHANG)
        except ChildProcessError:  # reaped by a SIGCHLD handler of the worker's
            return "died", "the process reading it ended without an answer"
        if done:
            if helper.conn.poll(0):  # it answered, then ended
                with contextlib.suppress(EOFError, OSError):
                    return "answer", helper.conn.recv()
            break
        if time.monotonic() > deadline:
            return "died", f"reading it did not finish within {wall} s"
    if status is None:
        return "died", "the process reading it ended without an answer"
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return "idle", None
    return "died", limits.describe_signal(code)


def _apply(call: tuple[Callable[..., R], tuple[Any, ...], dict[str, Any] | None]) -> R:
    func, args, kwargs = call
    return func(*args, **(kwargs or {}))


def _reap(pid: int) -> int | None:
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return None


class IsolatedExecutor(Executor):
    """Another executor (a Dask client's ``get_executor()``) whose every call runs in a
    child process forked for it on the worker that takes it, under ``limits`` (see the module
    docs). :func:`run_isolated` turns a :class:`WorkerDied` into that input's ``on_death``."""

    def __init__(self, inner: Executor, limits: WorkerLimits | None = None,
                 alive: Callable[[], bool] | None = None) -> None:
        self.inner = inner
        self.limits = limits or WorkerLimits()
        self.alive = alive
        """Whether the inner executor can still run calls (a Dask client: it is connected
        to its scheduler); :func:`run_isolated` stops waiting for calls in flight once it
        has said no for :data:`LOST_GRACE` seconds."""
        self.cancelled = 0
        """Calls the inner executor cancelled rather than ran: a Dask client cancels every
        call in flight when it loses its scheduler."""
        self._given_up: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def lost(self) -> bool:
        return self.alive is not None and not self.alive()

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        # the arguments travel packed: an executor may take keywords of its own (Dask's do)
        future = self.inner.submit(isolated_call, self.limits, fn, args, kwargs)
        future.add_done_callback(self._count)
        return future

    def _count(self, future: Future[Any]) -> None:
        with self._lock:
            if future.cancelled() and future not in self._given_up:
                self.cancelled += 1

    def given_up(self, future: Future[Any]) -> None:
        """``future`` is taken as cancelled (and counted once, whatever it does later)."""
        with self._lock:
            if not future.cancelled():
                self.cancelled += 1
            self._given_up.add(future)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            self.inner.shutdown(wait=wait, cancel_futures=True)
        else:
            self.inner.shutdown(wait=wait)


def probe(paths: Sequence[str]) -> tuple[str, list[str]]:
    """What a worker of another executor says before a run: the version of this package it
    has, and which of ``paths`` (absolute) it cannot read (a file it cannot open, a folder it
    cannot list)."""
    missing = []
    for path in paths:
        mode = os.R_OK | (os.X_OK if Path(path).is_dir() else 0)
        if not Path(path).exists() or not os.access(path, mode):
            missing.append(path)
    return __version__, missing


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
        with _interrupts_held():
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
                with _interrupts_held():  # the first submit forks the workers
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
    submitted to it and an exception from one item is that item's ``on_error``; ``limits``
    apply to the default process pool only (an :class:`IsolatedExecutor` carries its own).
    An item whose process died on the executor's worker (:class:`WorkerDied`, Dask's
    ``KilledWorker``) is its ``on_death``."""
    limits = limits or WorkerLimits()
    if executor is not None:
        futures = {executor.submit(func, item): i for i, item in enumerate(items)}
        for i, future in _completed(futures, executor):
            try:
                yield i, future.result()
            except WorkerDied as exc:
                yield i, on_death(items[i], exc.reason)
            except Exception as exc:  # CancelledError included: the executor went away
                if type(exc).__name__ == "KilledWorker":  # Dask's, not imported for it
                    yield i, on_death(items[i], _killed_worker(exc))
                else:
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


def _killed_worker(exc: Exception) -> str:
    """Why Dask gave up on an input: every worker it was sent to died while reading it."""
    return ("every Dask worker it was sent to died while reading it (the cluster's "
            f"KilledWorker: {exc})")


LOST_GRACE = 5.0
"""Seconds calls in flight on a lost executor have to come back (cancelled, as a Dask client
that gave up on its scheduler cancels them) before they are taken as cancelled."""


def _completed(futures: dict[Future[R], int], executor: Executor
               ) -> Iterator[tuple[int, Future[R]]]:
    """``futures`` (with their index) as they complete; on an :class:`IsolatedExecutor` lost
    for :data:`LOST_GRACE` seconds, the rest as cancelled and counted so, whether or not
    their executor ever settles them (a client shutting down may not). They are not
    cancelled through the executor: a client that lost its scheduler may block on that."""
    done: queue.SimpleQueue[Future[R]] = queue.SimpleQueue()
    for future in futures:
        future.add_done_callback(done.put)
    left = set(futures)
    lost_since: float | None = None
    while left:
        try:
            came = done.get(timeout=0.5)
        except queue.Empty:
            came = None
        if came is not None:
            if came in left:
                left.discard(came)
                yield futures[came], came
            continue
        if not isinstance(executor, IsolatedExecutor) or not executor.lost():
            lost_since = None
            continue
        lost_since = lost_since or time.monotonic()
        if time.monotonic() - lost_since < LOST_GRACE:
            continue
        for future in sorted(left, key=futures.__getitem__):
            if future.done():  # it came back after all
                yield futures[future], future
            else:
                executor.given_up(future)
                yield futures[future], _cancelled()
        return


def _cancelled() -> Future[Any]:
    future: Future[Any] = Future()
    future.cancel()
    return future


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
