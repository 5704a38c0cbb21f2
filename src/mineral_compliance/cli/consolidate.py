"""``consolidate``: supplier templates in, the company view (and, asked for, the company's own
templates and product subsets) out, all written as one run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .._words import counted
from ..consolidation import (
    company_declaration,
    compare,
    consolidate,
    load_consolidation,
    product_subset,
)
from ..errors import MineralComplianceError
from ..models.consolidation import Comparison, Consolidation
from ..outputs import write_consolidation
from ..refdata import load_roster
from ..templates import reference_from_template
from ..templates.releases import default_policy, describe_accepted
from . import DEMO_DIR
from ._common import executor_from, failed, load_lists, no_input


def run_consolidate(args: argparse.Namespace) -> int:
    try:
        lists = load_lists(args)
        references = [reference_from_template(p) for p in args.reference]
        roster = load_roster(args.roster) if args.roster else None
        previous = load_consolidation(args.previous) if args.previous else None
    except MineralComplianceError as exc:
        return failed(exc)
    show = not args.no_progress and sys.stderr.isatty()

    def progress(results: Iterator[Any], total: int) -> Iterator[Any]:
        return iter(tqdm(results, total=total, desc="reading", unit="file", disable=not show,
                         file=sys.stderr))

    with executor_from(args) as executor:
        result = consolidate(args.paths or [DEMO_DIR], references=references,
                             legacy=lists.legacy, status_lists=lists.status_lists,
                             cahra=lists.cahra, roster=roster, executor=executor,
                             progress=progress, exclude=[args.out], accept=args.accept,
                             as_of=args.as_of)
    if not result.files:
        return no_input(args.paths)
    changes = compare(previous, result) if previous is not None else None
    subset = product_subset(result, args.product) if args.product else None
    # every company declaration is built before anything is written: a bad blank writes nothing
    company = [(company_declaration(result, template=blank,
                                    company={"name": args.company} if args.company else None),
                blank) for blank in args.template]
    written = write_consolidation(result, args.out, comparison=changes, products=subset,
                                  company=company)
    print_consolidation(result, written, args.out, changes=changes, since=args.previous,
                        subset=subset, products=args.product)
    return 2 if result.summary()["files_unreadable"] else 0


def print_consolidation(result: Consolidation, written: Sequence[Path], out: Path, *,
                        changes: Comparison | None = None, since: object = None,
                        subset: Consolidation | None = None,
                        products: Sequence[str] = ()) -> None:
    """What a consolidation found and where its files are, as ``consolidate`` prints it
    (``campaign consolidate`` prints the same); ``since`` names what ``changes`` compares
    with."""
    s = result.summary()
    print(f"{counted(s['files'], 'file')}: {s['files_valid']} valid, "
          f"{s['files_warnings']} with warnings, {s['files_errors']} with errors, "
          f"{s['files_superseded']} superseded, {s['files_unreadable']} unreadable; "
          f"{counted(s['suppliers'], 'supplier')}")
    accepted = describe_accepted(result.accepted_versions or str(default_policy()))
    print(f"template versions accepted: {accepted} "
          f"({counted(len(result.not_accepted()), 'file')} outside)")
    review = s["smelters_needing_review"]
    print(f"{counted(s['smelter_rows_read'], 'smelter row')} read = "
          f"{s['smelter_rows_attributed']} attributed to {counted(s['smelters'], 'smelter')} "
          f"({review} {'needs' if review == 1 else 'need'} review) + {s['rows_rejected']} rejected")
    if any(x.kind.startswith("status-list:") for x in result.snapshots):
        print(f"statuses as of {result.as_of}: {s['smelters_conformant']} conformant, "
              f"{s['smelters_status_expired']} whose conformance ran out, "
              f"{s['smelters_status_expiring']} running out before the filing deadline")
    if changes is not None:
        c = changes.summary()
        rekeyed = "".join(f", {c[k]} {k}" for k in ("identified", "unidentified") if c[k])
        print(f"since {since}: {counted(c['added'], 'smelter')} added, "
              f"{c['removed']} removed, {c['status-changed']} changed status{rekeyed}; "
              f"{counted(c['suppliers_new'], 'new supplier')}, {c['suppliers_missing']} missing")
    if changes is not None and changes.histories:
        print(f"{counted(len(changes.histories), 'smelter')} changed state across the status "
              "lists' snapshots")
    if subset is not None:
        print(f"products {', '.join(products)}: {len(subset.files)} declarations, "
              f"{counted(len(subset.smelters), 'smelter')}")
    for unreadable in (f for f in result.files if f.status.value == "unreadable"):
        print(f"  unreadable: {unreadable.message}", file=sys.stderr)
    shown = [str(p.relative_to(out)) for p in written if p.parent.name != "feedback"]
    for folder in sorted({p.parent for p in written if p.parent.name == "feedback"}):
        count = sum(1 for p in written if p.parent == folder)
        shown.append(f"{folder.relative_to(out)}/ ({counted(count, 'file')})")
    print(f"written to {out}: {', '.join(shown)}")
    print(f"review report: {(out / 'report.html').resolve()}")
