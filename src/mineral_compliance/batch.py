"""Validating many supplier templates at once, each in isolation.

:func:`validate_inputs` is what ``mineral-compliance validate`` runs: the inputs are
collected by :func:`~mineral_compliance.inputs.collect_inputs` (files, folders, globs, zip
archives), read and validated in worker processes under the per-file limits of
:class:`~mineral_compliance._isolation.WorkerLimits`, and every input comes back, in input
order, as a :class:`Validated`: its report, or the reason it could not be read. A file that
kills its worker costs that file only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._isolation import WorkerLimits, run_isolated
from .errors import MineralComplianceError
from .inputs import Input, close_archives, collect_inputs, input_stream
from .models.findings import Report
from .rules import select_rules, validate_file
from .templates.releases import AcceptPolicy

__all__ = ["Validated", "validate_inputs"]


@dataclass(frozen=True)
class Validated:
    """One input of a batch: its report, or why it could not be read."""

    label: str
    report: Report | None
    error_type: str | None = None
    """The typed error's class name (``LegacyFormatError``...), when the file was not read."""
    error: str | None = None
    """The message naming the file and what went wrong."""
    hint: str | None = None

    def to_plain(self) -> dict[str, Any]:
        """The JSON shape of one file of ``validate --json``: the report's, with ``file`` the
        input's label and ``error`` null; or, for a file not read, no template, no findings
        and the error's type and message."""
        if self.report is None:
            return {"file": self.label, "template": None, "valid": False,
                    "error": {"type": self.error_type, "message": self.error},
                    "summary": None, "findings": []}
        return {**self.report.to_plain(), "file": self.label, "error": None}


@dataclass(frozen=True)
class _Job:
    item: Input
    select: tuple[str, ...] | None
    ignore: tuple[str, ...] | None
    accept: AcceptPolicy | None = None


def _validate(job: _Job) -> Validated:
    label = job.item.label
    try:
        report = validate_file(input_stream(job.item), select=job.select, ignore=job.ignore,
                               accept=job.accept)
        return Validated(label, report)
    except MineralComplianceError as exc:
        return Validated(label, None, type(exc).__name__, str(exc), exc.hint)
    except MemoryError:
        return Validated(label, None, "MemoryError", f"{label}: reading it needed more memory "
                         "than a worker may use per file")
    except Exception as exc:  # one broken file must not end the batch
        return Validated(label, None, type(exc).__name__,
                         f"{label}: unexpected {type(exc).__name__}: {exc}")


def _died(job: _Job, reason: str) -> Validated:
    return Validated(job.item.label, None, "WorkerDied", f"{job.item.label}: {reason}")


def _failed(job: _Job, exc: BaseException) -> Validated:
    return Validated(job.item.label, None, type(exc).__name__,
                     f"{job.item.label}: the worker could not read it "
                     f"({type(exc).__name__}: {exc})")


def validate_inputs(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | Sequence[Input],
    *,
    select: Collection[str] | None = None,
    ignore: Collection[str] | None = None,
    limits: WorkerLimits | None = None,
    executor: Executor | None = None,
    progress: Callable[[Iterator[Validated], int], Iterator[Validated]] | None = None,
    exclude: Iterable[str | Path] = (),
    accept: AcceptPolicy | None = None,
) -> list[Validated]:
    """Every input validated against its own Smelter Look-up, in input order.

    ``inputs``: paths (see :mod:`mineral_compliance.inputs`), or inputs already collected.
    ``select`` / ``ignore``: rule codes, and ``accept``: the template versions the campaign
    accepts, as for :func:`~mineral_compliance.validate`.
    ``limits``, ``executor``: as for :func:`~mineral_compliance.consolidate`.
    Raises ``ValueError`` naming a rule code or tag that does not exist, before anything is
    read (each worker would otherwise fail on it, file after file)."""
    select_rules(select, ignore)
    if isinstance(inputs, Sequence) and inputs and all(isinstance(i, Input) for i in inputs):
        items = [i for i in inputs if isinstance(i, Input)]
    else:
        items = collect_inputs(inputs, exclude=exclude)  # type: ignore[arg-type]
    jobs = [_Job(i, tuple(select) if select is not None else None,
                 tuple(ignore) if ignore is not None else None, accept) for i in items]
    slots: list[Validated | None] = [None] * len(jobs)

    def results() -> Iterator[Validated]:
        if len(jobs) == 1 and executor is None:
            # one file: no pool to start (a worker would only add its start-up time)
            only = slots[0] = _validate(jobs[0])
            yield only
            return
        for i, done in run_isolated(_validate, jobs, on_death=_died, on_error=_failed,
                                    limits=limits, executor=executor):
            slots[i] = done
            yield done

    stream: Iterator[Validated] = results()
    if progress is not None:
        stream = progress(stream, len(jobs))
    try:
        for _ in stream:
            pass
    finally:
        close_archives()
    return [s if s is not None else Validated(j.item.label, None, "Lost",
                                              f"{j.item.label}: no result came back")
            for s, j in zip(slots, jobs, strict=True)]
