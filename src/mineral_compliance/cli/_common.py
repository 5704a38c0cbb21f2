"""What several commands share: the inputs named (or the demo templates), the reference lists
given as options, and the lines every command prints the same way."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .._words import counted
from ..errors import MineralComplianceError
from ..inputs import Input, collect_inputs
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
    """Load (downloading those given as URLs) the lists the options name."""
    status = [load_status_list(local(p, args)) for p in args.status_list]
    status += [load_status_list(local(p, args), kind="lbma") for p in args.lbma]
    status += [load_status_list(local(p, args), kind="rjc") for p in args.rjc]
    legacy = load_legacy_ids(local(args.legacy, args)) if args.legacy else None
    cahra = load_cahra(local(args.cahra, args)) if args.cahra else None
    return Lists(status, legacy, cahra)
