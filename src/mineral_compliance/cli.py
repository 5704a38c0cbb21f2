"""Command-line interface: parses arguments, calls the public API, prints, sets the exit code.

Exit codes: 0 success; 1 some input could not be read (each failure is reported); 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .errors import MineralComplianceError
from .models.declaration import Declaration
from .templates import read_template

__all__ = ["main"]

_PACKAGED_DEMO = Path(__file__).resolve().parent / "demo"
_SOURCE_DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
DEMO_DIR = _PACKAGED_DEMO if _PACKAGED_DEMO.is_dir() else _SOURCE_DEMO
"""The synthetic supplier templates shipped with the package (``fixtures/demo`` in a checkout)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mineral-compliance",
        description="Read and check RMI responsible-minerals reporting templates.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    read = sub.add_parser("read", help="read one template and print what it declares")
    read.add_argument("file", type=Path)
    read.add_argument("--json", action="store_true", help="print plain JSON values")
    read.add_argument(
        "--full", action="store_true",
        help="with --json: the whole model, every value with its provenance",
    )
    read.add_argument("--strict-version", action="store_true",
                      help="refuse template releases newer than the supported layouts")

    summary = sub.add_parser(
        "summary", help="read every template in files or folders and summarise each"
    )
    summary.add_argument("paths", nargs="*", type=Path,
                         help="files or folders (default: the embedded demo templates)")
    summary.add_argument("--json", action="store_true")
    return parser


def _plain_json(decl: Declaration, full: bool) -> str:
    if full:
        return decl.model_dump_json(indent=2)
    return json.dumps(decl.to_plain(), indent=2, ensure_ascii=False, default=str)


def _describe(decl: Declaration, out: TextIO) -> None:
    plain = decl.to_plain()
    t, c = plain["template"], plain["company"]
    print(f"{decl.file}", file=out)
    print(f"  template   {t['kind']} {t['version']} (layout {t['layout']}, "
          f"language {t['language'] or '-'})", file=out)
    print(f"  company    {c['name'] or '-'}  scope {c['scope'] or '-'}  "
          f"effective {c['effective_date'] or c['effective_date_raw'] or '-'}", file=out)
    in_use = [m for m, q in plain["answers"].items() if q.get("1") == "Yes"]
    print(f"  minerals   {', '.join(plain['minerals']) or 'none selected'}"
          f" (in use: {', '.join(in_use) or 'none declared'})", file=out)
    by_metal: dict[str, int] = {}
    for s in plain["smelters"]:
        by_metal[s["metal"] or "?"] = by_metal.get(s["metal"] or "?", 0) + 1
    listing = ", ".join(f"{k} {v}" for k, v in sorted(by_metal.items())) or "none"
    print(f"  smelters   {len(plain['smelters'])} rows ({listing})", file=out)
    print(f"  products   {len(plain['products'])} rows", file=out)
    if plain["unrecognised"]:
        cells = ", ".join(f"{u['sheet']}!{u['cell']}" for u in plain["unrecognised"])
        print(f"  unrecognised answers kept as typed: {cells}", file=out)


def _collect(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file()
                              and p.suffix.lower() in (".xlsx", ".xlsm", ".xls")))
        else:
            out.append(path)
    return out


def _cmd_read(args: argparse.Namespace) -> int:
    try:
        decl = read_template(args.file, strict_version=args.strict_version)
    except MineralComplianceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(_plain_json(decl, args.full))
    else:
        _describe(decl, sys.stdout)
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    files = _collect(args.paths or [DEMO_DIR])
    results: list[dict[str, Any]] = []
    failed = 0
    for path in files:
        try:
            decl = read_template(path)
        except MineralComplianceError as exc:
            failed += 1
            results.append({"file": str(path), "status": "unreadable",
                            "error": type(exc).__name__, "message": str(exc)})
            if not args.json:
                print(f"{path}\n  unreadable: {exc}")
            continue
        plain = decl.to_plain()
        results.append({
            "file": str(path),
            "status": "read",
            "kind": plain["template"]["kind"],
            "version": plain["template"]["version"],
            "company": plain["company"]["name"],
            "smelters": len(plain["smelters"]),
            "products": len(plain["products"]),
        })
        if not args.json:
            _describe(decl, sys.stdout)
    read_ok = len(files) - failed
    if args.json:
        print(json.dumps({"files": results, "total": len(files), "read": read_ok,
                          "unreadable": failed}, indent=2, ensure_ascii=False))
    else:
        print(f"\n{len(files)} files: {read_ok} read, {failed} unreadable")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mineral-compliance`` command."""
    args = _parser().parse_args(argv)
    if args.command == "read":
        return _cmd_read(args)
    return _cmd_summary(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
