"""``validate``: check templates and list what to fix, as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from tqdm import tqdm

from .._words import counted
from ..batch import Validated, validate_inputs
from ..outputs import neutralise
from . import DEMO_DIR
from ._common import finding_counts, no_input


def run_validate(args: argparse.Namespace) -> int:
    def progress(results: Iterator[Validated], total: int) -> Iterator[Validated]:
        show = not args.no_progress and sys.stderr.isatty() and total > 1
        return iter(tqdm(results, total=total, desc="validating", unit="file",
                         disable=not show, file=sys.stderr))

    try:
        done = validate_inputs(list(args.paths) or [DEMO_DIR], select=args.select,
                               ignore=args.ignore, progress=progress, accept=args.accept)
    except ValueError as exc:  # a rule code or tag that does not exist
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not done:
        return no_input(args.paths)
    results = [d.to_plain() for d in done]
    total = len(results)
    unreadable = sum(1 for r in results if r["error"])
    invalid = sum(1 for r in results if not r["error"] and not r["valid"])
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    elif args.csv:
        _print_csv(results, sys.stdout)
    else:
        _print_table(results, sys.stdout)
        print(f"\n{counted(total, 'file')}: {total - unreadable - invalid} valid, "
              f"{invalid} with errors, {unreadable} unreadable")
    if unreadable:
        return 2
    return 1 if invalid else 0


def _print_table(results: list[dict[str, Any]], out: TextIO) -> None:
    for r in results:
        if r["error"]:
            print(f"{r['file']}\n  UNREADABLE  {r['error']['message']}", file=out)
            continue
        t, s = r["template"], r["summary"]
        verdict = "valid" if r["valid"] else "INVALID"
        print(f"{r['file']}\n  {t['kind']} {t['version']}  {verdict}  {finding_counts(s)}",
              file=out)
        for f in r["findings"]:
            where = f"{f['sheet']}!{f['cell']}" if f["cell"] else (f["sheet"] or "-")
            print(f"  {f['severity']:<7} {where:<22} {f['code']:<30} {f['message']}", file=out)
            if f["instruction"]:  # the RMI's own wording, in the supplier's language
                print(f"  {'':<7} {'':<22} {'[' + f['instruction_language'] + ']':<30} "
                      f"{f['instruction']}", file=out)


def _print_csv(results: list[dict[str, Any]], out: TextIO) -> None:
    writer = csv.writer(out)
    writer.writerow(["file", "kind", "version", "severity", "code", "sheet", "cell",
                     "subject", "message", "hint", "basis", "checker_item", "instruction",
                     "instruction_language"])
    for r in results:
        t = r["template"] or {}
        if r["error"]:  # supplier text is made inert for spreadsheet programs
            writer.writerow([neutralise(v) for v in (
                r["file"], "", "", "error", "file-unreadable", "", "", "",
                r["error"]["message"], "", "", "", "", "")])
        for f in r["findings"]:
            writer.writerow([neutralise(v) for v in (
                r["file"], t.get("kind"), t.get("version"), f["severity"], f["code"],
                f["sheet"], f["cell"], f["subject"], f["message"], f["hint"], f["basis"],
                f["checker_item"], f["instruction"], f["instruction_language"])])
