"""``smelters reference``: a template's Smelter Look-up; ``smelters match``: rows of a CSV
resolved against it; ``crosscheck``: every Smelter List row of supplier templates resolved."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence

from .._words import counted
from ..crosschecking import crosscheck
from ..errors import MineralComplianceError
from ..models.matching import SmelterMatch
from ..outputs import neutralise
from ..refdata import SmelterMatcher
from ..refdata.crosscheck import match_plain, read_rows_csv, snapshots_plain
from ..templates import reference_from_template
from . import DEMO_DIR
from ._common import failed, load_lists, no_input

_FIELDS = ["row", "metal", "lookup_name", "standard_name", "country", "smelter_id", "source",
           "street", "city", "state_province"]


def run_reference(args: argparse.Namespace) -> int:
    try:
        reference = reference_from_template(args.template)
    except MineralComplianceError as exc:
        return failed(exc)
    if args.json:
        print(json.dumps({"snapshot": {"source": reference.file, "kind": reference.kind.value,
                                       "version": reference.version,
                                       "sha256": reference.sha256},
                          "entries": [e.model_dump() for e in reference.entries]},
                         indent=2, ensure_ascii=False))
        return 0
    writer = csv.writer(sys.stdout, delimiter="," if args.csv else "\t")
    writer.writerow(_FIELDS)
    for e in reference.entries:
        writer.writerow([neutralise(getattr(e, f)) for f in _FIELDS])
    return 0


def run_match(args: argparse.Namespace) -> int:
    try:
        reference = reference_from_template(args.reference)
        lists = load_lists(args)
        matcher = SmelterMatcher(reference, legacy=lists.legacy,
                                 status_lists=lists.status_lists, cahra=lists.cahra,
                                 as_of=args.as_of)
        results = matcher.match_all(read_rows_csv(args.rows))
    except MineralComplianceError as exc:
        return failed(exc)
    _print_matches(results, matcher, args.json, None)
    return 0


def run_crosscheck(args: argparse.Namespace) -> int:
    try:
        named = reference_from_template(args.reference) if args.reference else None
        lists = load_lists(args)
    except MineralComplianceError as exc:
        return failed(exc)
    done = crosscheck(list(args.paths) or [DEMO_DIR], reference=named, legacy=lists.legacy,
                      status_lists=lists.status_lists, cahra=lists.cahra, as_of=args.as_of)
    if not done:
        return no_input(args.paths)
    not_checked = sum(d.matcher is None for d in done)  # unreadable or no reference
    if args.json:
        print(json.dumps([d.to_plain() for d in done], indent=2, ensure_ascii=False,
                         default=str))
        return 2 if not_checked else 0
    for d in done:
        if not d.read:
            print(f"{d.label}\n  unreadable: {d.error}", file=sys.stderr)
    for d in done:
        if d.needs_reference:
            print(f"{d.label}\n  {d.error}; give one with --reference", file=sys.stderr)
        elif d.matcher is not None:
            _print_matches(d.results, d.matcher, False, d.label)
            for x in d.findings:
                print(f"  {x.severity.value}: {x.code} {x.sheet}!{x.cell}: {x.message}")
    print(f"\n{counted(len(done), 'file')}: {len(done) - not_checked} cross-checked, "
          f"{not_checked} not")
    return 2 if not_checked else 0


def _print_matches(results: Sequence[SmelterMatch], matcher: SmelterMatcher, as_json: bool,
                   file: str | None) -> None:
    if as_json:
        print(json.dumps({"file": file, "snapshots": snapshots_plain(matcher),
                          "rows": [match_plain(r) for r in results]},
                         indent=2, ensure_ascii=False, default=str))
        return
    if file:
        print(file)
    for r in results:
        d = r.declared
        where = f"{d.sheet}!{d.cell}" if d.cell else f"row {d.row}"
        got = f"{r.smelter_id} {r.standard_name}" if r.accepted else (
            f"? {r.candidates[0].smelter_id} {r.candidates[0].standard_name} "
            f"({r.candidates[0].score:.0f})" if r.candidates else "-")
        extra = f"  [{r.status.value}{', ' if r.flags else ''}{', '.join(r.flags)}]"
        print(f"  {where:<22} {r.grade.value:<12} {(d.name or '-')[:40]:<40} -> {got}{extra}")
    counts: dict[str, int] = {}
    for r in results:
        counts[r.grade.value] = counts.get(r.grade.value, 0) + 1
    print("  " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + " | reference "
          + ", ".join(f"{s.kind} {s.version or ''} {s.sha256[:12]}".replace("  ", " ")
                      for s in matcher.snapshots))
