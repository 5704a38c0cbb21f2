"""``eu scope``: are the imports in scope of Regulation (EU) 2017/821, per year and Annex I
line."""

from __future__ import annotations

import argparse

from .._words import counted
from ..disclosures.eu import load_annex, scope
from ..errors import MineralComplianceError
from ._common import failed


def run_scope(args: argparse.Namespace) -> int:
    try:
        report = scope(args.imports, load_annex(args.annex) if args.annex else None)
    except MineralComplianceError as exc:
        return failed(exc)
    if args.json:
        print(report.model_dump_json(indent=2))
        return 0
    for line in report.lines:
        print(f"{line.year} {line.line:<4} {line.status:<24} {line.description[:50]}")
        print(f"     {line.explanation}")
    for row, cn in report.unmatched:
        print(f"row {row}: CN {cn} matches no Annex I line (not in scope)")
    for row, why in (*report.ambiguous, *report.invalid):
        print(f"row {row}: {why}")
    for row, assumed in report.assumed:
        print(f"row {row}: assumed: {assumed}")
    print(f"Annex I as of {report.annex.version} ({report.annex.source}); imports "
          f"{counted(report.imports.rows, 'row')}, sha256 {report.imports.sha256[:12]}")
    return 0
