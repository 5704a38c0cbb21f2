"""What several commands share: the inputs named (or the demo templates), the reference lists
given as options, and the lines every command prints the same way."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .._words import counted
from ..errors import MineralComplianceError, ProfileError
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
