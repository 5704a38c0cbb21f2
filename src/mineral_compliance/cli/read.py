"""``read``: what one template declares; ``summary``: every template of files or folders, each
with its findings counted."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from .._words import counted
from ..errors import MineralComplianceError
from ..inputs import close_archives, input_stream
from ..models.declaration import Declaration
from ..rules import validate
from ..templates import read_template
from ..templates.reader import read_with_reference
from ._common import failed, finding_counts, inputs, no_input


def run_read(args: argparse.Namespace) -> int:
    try:
        decl = read_template(args.file, strict_version=args.strict_version)
    except MineralComplianceError as exc:
        return failed(exc)
    if args.json:
        print(decl.model_dump_json(indent=2) if args.full else
              json.dumps(decl.to_plain(), indent=2, ensure_ascii=False, default=str))
    else:
        _describe(decl, sys.stdout)
    return 0


def run_summary(args: argparse.Namespace) -> int:
    items = inputs(args.paths)
    if not items:
        return no_input(args.paths)
    results: list[dict[str, Any]] = []
    unreadable = 0
    for item in items:
        try:
            decl, reference = read_with_reference(input_stream(item))
        except MineralComplianceError as exc:
            unreadable += 1
            results.append({"file": item.label, "status": "unreadable",
                            "error": type(exc).__name__, "message": str(exc)})
            if not args.json:
                print(f"{item.label}\n  unreadable: {exc}")
            continue
        plain = decl.to_plain()
        counts = validate(decl, reference=reference).summary()
        results.append({
            "file": item.label,
            "status": "read",
            "kind": plain["template"]["kind"],
            "version": plain["template"]["version"],
            "company": plain["company"]["name"],
            "smelters": len(plain["smelters"]),
            "products": len(plain["products"]),
            "findings": counts,
        })
        if not args.json:
            _describe(decl, sys.stdout)
            print(f"  findings   {finding_counts(counts)}")
    close_archives()
    read_ok = len(items) - unreadable
    if args.json:
        print(json.dumps({"files": results, "total": len(items), "read": read_ok,
                          "unreadable": unreadable}, indent=2, ensure_ascii=False))
    else:
        print(f"\n{counted(len(items), 'file')}: {read_ok} read, {unreadable} unreadable "
              "(mineral-compliance validate lists each finding)")
    return 2 if unreadable else 0


def _describe(decl: Declaration, out: TextIO) -> None:
    plain = decl.to_plain()
    t, c = plain["template"], plain["company"]
    print(f"{decl.file}", file=out)
    print(f"  template   {t['kind']} {t['version']} (layout {t['layout']}, "
          f"language {t['language'] or '-'})", file=out)
    if t["version_note"]:
        print(f"             {t['version_note']}", file=out)
    print(f"  company    {c['name'] or '-'}  scope {c['scope'] or '-'}  "
          f"effective {c['effective_date'] or c['effective_date_raw'] or '-'}", file=out)
    in_use = [m for m, q in plain["answers"].items() if q.get("1") == "Yes"]
    print(f"  minerals   {', '.join(plain['minerals']) or 'none selected'}"
          f" (in use: {', '.join(in_use) or 'none declared'})", file=out)
    by_metal: dict[str, int] = {}
    for s in plain["smelters"]:
        by_metal[s["metal"] or "?"] = by_metal.get(s["metal"] or "?", 0) + 1
    listing = ", ".join(f"{k} {v}" for k, v in sorted(by_metal.items())) or "none"
    print(f"  smelters   {counted(len(plain['smelters']), 'row')} ({listing})", file=out)
    print(f"  products   {counted(len(plain['products']), 'row')}", file=out)
    if plain["unrecognised"]:
        cells = ", ".join(f"{u['sheet']}!{u['cell']}" for u in plain["unrecognised"])
        print(f"  unrecognised answers kept as typed: {cells}", file=out)
