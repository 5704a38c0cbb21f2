"""Growth tests: the processor time of one input against that of the same shape four times
larger. A linear scan takes about four times as long, a quadratic one sixteen. Each measure
is the fastest of several runs, so a busy machine slows both sides alike."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable
from typing import TypeVar

from mineral_compliance.errors import MineralComplianceError

GROWTH = 4
LIMIT = 8.0
"""A fourfold input may cost at most eightfold: twice the linear expectation, half the
quadratic one."""

_T = TypeVar("_T")


def fastest(work: Callable[[_T], object], data: _T, runs: int = 5) -> float:
    """The least processor time of ``runs`` runs, with no cycle collection inside them: a
    full collection of the whole test session's objects, set off by the larger input's
    allocations, is the collector's cost, not the scan's (the reader pauses it per file)."""
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            # refusing the input is a fine outcome; only the time it took matters here
            with contextlib.suppress(MineralComplianceError):
                work(data)
            best = min(best, time.process_time() - start)
        finally:
            gc.enable()
    return best


def assert_linear(work: Callable[[_T], object], shape: Callable[[int], _T], n: int) -> None:
    """``work`` on ``shape(4 * n)`` takes at most eight times as long as on ``shape(n)``."""
    small, large = shape(n), shape(n * GROWTH)
    fastest(work, small, runs=1)  # warm caches and compiled patterns
    seen = []
    # a quadratic scan fails every attempt; a busy machine's noise does not last three
    for _ in range(3):
        base = max(fastest(work, small), 1e-3)
        grown = fastest(work, large)
        if grown <= LIMIT * base:
            return
        seen.append(f"{grown / base:.1f}x ({base * 1e3:.1f} ms -> {grown * 1e3:.1f} ms)")
    raise AssertionError(f"{GROWTH}x the input took, in three attempts, {', '.join(seen)} "
                         "the time")
