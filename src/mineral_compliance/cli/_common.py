"""What several commands share: the inputs named (or the demo templates), the reference lists
given as options, the cluster ``--scheduler`` names, and the lines every command prints the
same way."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import logging
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .._isolation import IsolatedExecutor, probe
from .._version import __version__
from .._words import counted
from ..errors import MineralComplianceError, ProfileError, SchedulerError
from ..inputs import Input, collect_inputs
from ..models.consolidation import Consolidation
from ..models.profile import CompanyProfile
from ..refdata import (
    CahraList,
    LegacyIds,
    StatusList,
    fetch,
    load_cahra,
    load_legacy_ids,
    load_status_list,
)
from . import DEMO_DIR

if TYPE_CHECKING:
    from distributed import Client


def inputs(paths: Sequence[Path | str], exclude: Sequence[Path] = ()) -> list[Input]:
    """The inputs named (the demo templates when none are), found by the one collector every
    batch command shares."""
    return collect_inputs(list(paths) or [DEMO_DIR], exclude=exclude)


def no_input(paths: Sequence[Path | str]) -> int:
    """Say that nothing was found to read; the exit code for it."""
    named = ", ".join(str(p) for p in paths) or str(DEMO_DIR)
    print(f"error: no input found in {named} (looked for .xlsx, .xlsm and .xls templates "
          "and .zip archives of them)", file=sys.stderr)
    return 2


DEMO_PROFILE = DEMO_DIR / "company-profile.toml"
"""The invented registrant of the demo data."""


def profile_for(given: Path | None, result: Consolidation) -> CompanyProfile:
    """The profile named, or, for a consolidation of the demo templates alone, the demo's
    example profile (said on stderr); any other consolidation needs the company's own."""
    from ..disclosures import load_profile  # the disclosure commands only

    if given is not None:
        return load_profile(given)
    demo = DEMO_DIR.resolve()
    read = [f.file.split("!")[0] for f in result.files]
    if not read or not all(Path(f).resolve().is_relative_to(demo) for f in read):
        raise ProfileError(
            "no company profile given", hint=f"pass --profile FILE (TOML or JSON; "
            f"{DEMO_PROFILE} is an example); only a consolidation of the demo templates "
            "runs without one")
    print(f"note: the consolidation is of the demo templates: using their example profile "
          f"({DEMO_PROFILE})", file=sys.stderr)
    return load_profile(DEMO_PROFILE)


def failed(exc: MineralComplianceError) -> int:
    """Say why a command cannot proceed; the exit code for it."""
    print(f"error: {exc}", file=sys.stderr)
    return 2


def finding_counts(counts: dict[str, int]) -> str:
    """A report's summary in words: errors, warnings and notes."""
    return (f"{counted(counts['error'], 'error')}, {counted(counts['warning'], 'warning')}, "
            f"{counted(counts['info'], 'note')}")


def local(source: str, args: argparse.Namespace) -> Path:
    """A list given as a URL is downloaded (or confirmed current) now, because it was asked
    for; a path is used as it is."""
    if source.startswith(("http://", "https://")):
        got = fetch(source, args.cache_dir)
        state = "unchanged, cached copy" if got.from_cache else "downloaded"
        print(f"{source}: {state} (sha256 {got.sha256[:12]})", file=sys.stderr)
        return got.path
    return Path(source)


@dataclass(frozen=True)
class Lists:
    """The lists given with ``--status-list``, ``--lbma``, ``--rjc``, ``--legacy`` and
    ``--cahra``, each loaded once."""

    status_lists: list[StatusList]
    legacy: LegacyIds | None
    cahra: CahraList | None


def load_lists(args: argparse.Namespace) -> Lists:
    """Load (downloading those given as URLs) the lists the options name; the problems of
    their rows (dates that cannot be read) are said on stderr."""
    status = [load_status_list(local(p, args)) for p in args.status_list]
    status += [load_status_list(local(p, args), kind="lbma") for p in args.lbma]
    status += [load_status_list(local(p, args), kind="rjc") for p in args.rjc]
    for lst in status:
        for problem in lst.problems:
            print(f"warning: {problem.file}: {problem.message}", file=sys.stderr)
    legacy = load_legacy_ids(local(args.legacy, args)) if args.legacy else None
    cahra = load_cahra(local(args.cahra, args)) if args.cahra else None
    return Lists(status, legacy, cahra)


SCHEDULER_TIMEOUT = 10.0
"""Seconds a scheduler named with ``--scheduler`` has to answer, and then to have a worker."""

_ADDRESS = "give it as tcp://HOST:PORT; a scheduler listens on port 8786 unless told otherwise"
_SHARED = ("the inputs must be on a path every worker shares, at the same place as here "
           "(an NFS or SMB mount, for instance)")


@contextlib.contextmanager
def executor_from(args: argparse.Namespace,
                  paths: Sequence[Path | str] | None = None) -> Iterator[Executor | None]:
    """Where a command reads its inputs, for the ``with`` block: None (this machine's
    process pool) unless ``--scheduler ADDRESS`` (``_parser._scheduler_option``) names a Dask
    cluster, then the cluster's executor, each worker thread reading its files in a helper
    process of its own, under the same per-file limits as here::

        with executor_from(args) as executor:
            result = consolidate(args.paths, ..., executor=executor)

    The cluster is checked before anything is read: its scheduler answers within
    :data:`SCHEDULER_TIMEOUT`, it has a worker, and every worker runs this version of the
    package and can read every input named (``paths``, by default ``args.paths``; the demo
    templates when none is; for a pattern, the folder it starts from). Raises
    :class:`~mineral_compliance.errors.SchedulerError` saying which, also when Dask is not
    installed. A scheduler lost during the block raises it too, on leaving the block: the
    files it did not read would otherwise be listed as unreadable."""
    address = getattr(args, "scheduler", None)
    if not address:
        yield None
        return
    try:
        import distributed
    except ImportError as exc:
        raise SchedulerError("--scheduler needs Dask's distributed scheduler, which is not "
                             "installed", address=address,
                             hint="pip install 'mineral-compliance[dask]'") from exc
    _reach(address)
    try:
        client = distributed.Client(address, timeout=SCHEDULER_TIMEOUT, set_as_default=False)
    except (OSError, ValueError) as exc:
        raise SchedulerError(f"cannot connect to the Dask scheduler at {address}: {exc}",
                             address=address) from exc
    with _quiet(bool(getattr(args, "debug", False))), client:
        named = getattr(args, "paths", None) if paths is None else paths
        _check_workers(client, address, _anchors(named or []))
        executor = IsolatedExecutor(client.get_executor(pure=False),  # a file can change
                                    alive=lambda: client.status == "running")
        yield executor
        if executor.cancelled or client.status != "running":
            # its files would otherwise be listed unreadable, and their suppliers told so
            raise SchedulerError(
                f"the Dask scheduler at {address} went away during the run "
                f"({counted(executor.cancelled, 'file')} not read); nothing was written",
                address=address, hint="run the command again once the cluster is back")


@contextlib.contextmanager
def _quiet(debug: bool) -> Iterator[None]:
    """Dask's own log records stay out of the command's output (a lost scheduler is logged
    as tracebacks, while the command says it in one line), unless ``--debug``."""
    logger = logging.getLogger("distributed")
    level = logger.level
    if not debug:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _reach(address: str) -> None:
    """The scheduler answers at ``address`` within the timeout (asked before a client is
    made: one that fails to start leaves a thread and a noisy finaliser behind)."""
    from distributed.comm import connect
    from distributed.security import Security

    async def knock() -> None:
        comm = await connect(address, timeout=SCHEDULER_TIMEOUT,
                             **Security().get_connection_args("client"))
        await comm.close()

    try:
        asyncio.run(knock())
    except (ValueError, TypeError) as exc:  # not an address: say what Dask made of it
        raise SchedulerError(f"{address!r} is not a Dask scheduler's address ({exc})",
                             address=address, hint=_ADDRESS) from exc
    except OSError as exc:  # refused, unknown host or timed out: Dask retries until the end
        raise SchedulerError(f"no Dask scheduler answered at {address} within "
                             f"{SCHEDULER_TIMEOUT:g} s", address=address,
                             hint=f"{_ADDRESS}; is the scheduler running, and reachable from "
                             "here?") from exc


def _anchors(paths: Sequence[Path | str]) -> list[str]:
    """The absolute paths a worker must be able to read: each path named that exists here
    (the demo templates when none is), and for a pattern, the folder it starts from."""
    out: list[str] = []
    for given in paths or [DEMO_DIR]:
        path = Path(given)
        if not path.exists() and glob.has_magic(str(given)):
            parts = path.parts
            stop = next(i for i, part in enumerate(parts) if glob.has_magic(part))
            path = Path(*parts[:stop])
        if path.exists():
            text = str(path.absolute())
            if text not in out:
                out.append(text)
    return out


def _check_workers(client: Client, address: str, paths: list[str]) -> None:
    """The cluster has a worker, and every worker runs this version and reads ``paths``."""
    try:
        client.wait_for_workers(1, timeout=SCHEDULER_TIMEOUT)
    except (TimeoutError, OSError) as exc:
        raise SchedulerError(f"the Dask scheduler at {address} has no worker (none joined "
                             f"within {SCHEDULER_TIMEOUT:g} s)", address=address,
                             hint="start workers: dask worker " + address) from exc
    try:
        answers = client.run(probe, paths)
    except Exception as exc:  # whatever a worker raised, e.g. no mineral_compliance there
        raise SchedulerError(
            f"the Dask workers at {address} cannot run mineral-compliance "
            f"({type(exc).__name__}: {exc})", address=address,
            hint=f"install mineral-compliance {__version__} where the workers run") from exc
    for worker, (version, missing) in sorted(answers.items()):
        if version != __version__:
            raise SchedulerError(
                f"the Dask worker {worker} runs mineral-compliance {version}, this is "
                f"{__version__}", address=address,
                hint="install the same version on every worker: the outputs depend on it")
        if missing:
            more = f" (and {len(missing) - 1} more named)" if len(missing) > 1 else ""
            raise SchedulerError(f"the Dask worker {worker} cannot read {missing[0]}{more}",
                                 address=address, hint=_SHARED)
