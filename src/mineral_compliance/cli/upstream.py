"""``upstream``: mine sites and Annex II risk indicators per area from IPIS open data
(``summarize``), what changed between CAHRA list snapshots (``cahra-changes``), and a stored
consolidation screened against another CAHRA list (``rescreen``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .._words import counted
from ..consolidation import load_consolidation, rescreen
from ..errors import MineralComplianceError, OutputError
from ..models.consolidation import Consolidation
from ..models.matching import Flag
from ..outputs import write_consolidation
from ..refdata import CahraStep, cahra_changes, load_cahra
from ..refdata.cahra_changes import AreaFlags, ListedArea, SnapshotDate
from ..upstream import load_ipis, summarise
from ._common import failed


def run_summarize(args: argparse.Namespace) -> int:
    try:
        data = load_ipis(args.file)
    except MineralComplianceError as exc:
        return failed(exc)
    areas = summarise(data.sites, by_territoire=args.by == "territoire")
    if args.json:
        print(json.dumps({"snapshot": data.snapshot.model_dump(),
                          "columns": dict(data.columns),
                          "invalid": [list(x) for x in data.invalid],
                          "areas": [a.model_dump() for a in areas]}, indent=2,
                         ensure_ascii=False))
        return 0
    print(f"{'area':<34} {'sites':>6} {'armed':>6} {'forces':>7} {'tax':>5} {'child':>6} "
          f"{'traced':>7}")
    for a in areas:
        name = a.province + (f" / {a.territoire}" if a.territoire else "")
        print(f"{name[:34]:<34} {a.sites:>6} {a.non_state_armed_groups:>6} "
              f"{a.public_security_forces:>7} {a.illegal_taxation:>5} {a.child_labour:>6} "
              f"{a.traceability_share:>6.0%}")
    print(f"{len(data.sites)} sites from {data.snapshot.rows} visits ({data.snapshot.version});"
          f" {counted(len(data.invalid), 'row')} unreadable")
    for row, why in data.invalid:
        print(f"  row {row}: {why}")
    return 0


def _dated(s: SnapshotDate) -> str:
    when = s.date.isoformat() if s.date else "undated"
    return f"{s.source} ({s.version or 'no version'}; {when}, {s.dated_by})"


def _area(a: ListedArea | AreaFlags) -> str:
    kinds = [k for k, on in (("conflict-affected", a.conflict_affected),
                             ("high-risk", a.high_risk)) if on]
    return ", ".join(kinds) or "listed"


def _place(country: str, region: str | None, name: str) -> str:
    return f"{country} {region or 'whole country'} {name}"


def _step_lines(step: CahraStep) -> list[str]:
    lines = [f"{_dated(step.before)} -> {_dated(step.after)}"]
    if step.unchanged:
        return [*lines, "  no change"]
    for label, codes in (("countries added", step.countries_added),
                         ("countries removed", step.countries_removed)):
        if codes:
            lines.append(f"  {label}: {', '.join(codes)}")
    for sign, areas in (("+", step.added), ("-", step.removed)):
        lines += [f"  {sign} {_place(a.country, a.region, a.name)}: {_area(a)}" for a in areas]
    lines += [f"  ~ {_place(c.country, c.region, c.name)}: {_area(c.before)} -> "
              f"{_area(c.after)}" for c in step.flags_changed]
    lines.append(f"  {counted(len(step.added), 'area')} added, {len(step.removed)} removed, "
                 f"{len(step.flags_changed)} with changed flags")
    return lines


def run_cahra_changes(args: argparse.Namespace) -> int:
    try:
        lists = [load_cahra(p) for p in args.files]
    except MineralComplianceError as exc:
        return failed(exc)
    changes = cahra_changes(lists)
    if args.json:
        print(json.dumps(changes.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return 0
    for step in changes.steps:
        print("\n".join(_step_lines(step)))
    return 0


def _counts(c: Consolidation) -> tuple[set[str], set[str]]:
    return ({s.key for s in c.smelters if Flag.CAHRA in s.flags},
            {s.key for s in c.smelters if Flag.CAHRA_REGION in s.flags})


def run_rescreen(args: argparse.Namespace) -> int:
    given: Path = args.consolidation
    folder = given if given.is_dir() else given.parent
    out: Path = args.out or folder
    try:
        before = load_consolidation(given)
        cahra = load_cahra(args.cahra)
        products_file = folder / "products" / "consolidation.json"
        products = load_consolidation(products_file) if products_file.is_file() else None
        if out.resolve() == folder.resolve() and any(folder.glob("company-*.xlsx")):
            raise OutputError("the folder holds the company's own templates, which a "
                              "re-screen cannot write again", path=folder,
                              hint="write the re-screened consolidation elsewhere (-o), or "
                                   "run consolidate again with the new list")
        after = rescreen(before, cahra)
        written = write_consolidation(
            after, out, products=rescreen(products, cahra) if products is not None else None)
    except MineralComplianceError as exc:
        return failed(exc)
    old_listed, old_region = _counts(before)
    listed, region = _counts(after)
    when = cahra.date.isoformat() if cahra.date else "undated"
    print(f"screened against {cahra.snapshot.version or args.cahra} ({when}): "
          f"{counted(len(listed), 'smelter')} in a CAHRA (was {len(old_listed)}), "
          f"{len(region)} in a country with listed regions, region unknown "
          f"(was {len(old_region)})")
    names = {s.key: f"{s.name} ({s.key})" for s in after.smelters}
    for sign, keys in (("+", listed - old_listed), ("-", old_listed - listed),
                       ("+ region unknown:", region - old_region),
                       ("- region unknown:", old_region - region)):
        for key in sorted(keys):
            print(f"  {sign} {names[key]}")
    changed = [(a, b) for a, b in zip(before.answers, after.answers, strict=True)
               if a.answer != b.answer]
    for a, b in changed:
        print(f"  {a.family} {a.mineral} question {a.question}: {a.answer or 'blank'} -> "
              f"{b.answer or 'blank'}")
    print(f"{counted(len(changed), 'CAHRA answer')} changed; written to {out}: "
          f"{counted(len(written), 'file')}")
    return 0
