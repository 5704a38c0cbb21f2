"""Command-line interface: parses arguments, calls the public API, prints, sets the exit code.

Exit codes: ``read`` and ``summary``: 0 success, 1 some input could not be read, 2 usage
error (``summary`` counts findings but does not fail on them). ``validate``: 0 no file has
error findings, 1 some file has error findings, 2 some input could not be read or the usage
is wrong. Every input is accounted for in the output.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from . import __version__
from .errors import MineralComplianceError
from .findings import Report
from .models.declaration import Declaration
from .rules import registry, validate, validate_file
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

    validate = sub.add_parser(
        "validate",
        help="check templates (files, folders or glob patterns) and list what to fix",
    )
    validate.add_argument("paths", nargs="*",
                          help="files, folders or glob patterns "
                               "(default: the embedded demo templates)")
    fmt = validate.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object per file")
    fmt.add_argument("--csv", action="store_true", help="one CSV row per finding")
    validate.add_argument("--select", default="", help="comma-separated rule codes to run")
    validate.add_argument("--ignore", default="", help="comma-separated rule codes to skip")
    validate.add_argument("--no-progress", action="store_true",
                          help="no progress bar even on a terminal")
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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _counted(counts: dict[str, int]) -> str:
    return (f"{_plural(counts['error'], 'error')}, {_plural(counts['warning'], 'warning')}, "
            f"{_plural(counts['info'], 'note')}")


def _collect(paths: Sequence[Path | str]) -> list[Path]:
    """Files named, found in folders, or matched by glob patterns, in order, each once.
    A name that matches nothing is kept, so it is reported as unreadable, not dropped."""
    out: list[Path] = []
    for given in paths:
        path = Path(given)
        if not path.exists() and glob.has_magic(str(given)):
            # absolute patterns are common here, which Path.glob does not take
            matches = sorted(Path(m) for m in glob.glob(str(given), recursive=True))  # noqa: PTH207
            out.extend(_collect(matches) if matches else [path])
            continue
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file()
                              and p.suffix.lower() in (".xlsx", ".xlsm", ".xls")))
        else:
            out.append(path)
    seen: set[Path] = set()
    return [p for p in out if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]


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
        counts = validate(decl).summary()
        results.append({
            "file": str(path),
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
            print(f"  findings   {_counted(counts)}")
    read_ok = len(files) - failed
    if args.json:
        print(json.dumps({"files": results, "total": len(files), "read": read_ok,
                          "unreadable": failed}, indent=2, ensure_ascii=False))
    else:
        print(f"\n{len(files)} files: {read_ok} read, {failed} unreadable "
              "(mineral-compliance validate lists each finding)")
    return 1 if failed else 0


def _codes(text: str) -> list[str] | None:
    codes = [c.strip() for c in text.split(",") if c.strip()]
    return codes or None


def _unreadable(path: Path, exc: BaseException) -> dict[str, Any]:
    return {"file": str(path), "template": None, "valid": False,
            "error": {"type": type(exc).__name__, "message": str(exc)},
            "summary": None, "findings": []}


def _validate_all(args: argparse.Namespace) -> tuple[list[dict[str, Any]], int]:
    files = _collect(args.paths or [DEMO_DIR])
    select, ignore = _codes(args.select), _codes(args.ignore)
    known = set(registry())
    unknown = sorted({*(select or ()), *(ignore or ())} - known)
    if unknown:
        print(f"error: unknown rule code(s): {', '.join(unknown)} "
              f"(see docs/findings.md)", file=sys.stderr)
        return [], -1
    show = not args.no_progress and sys.stderr.isatty() and len(files) > 1
    results: list[dict[str, Any]] = []
    for path in tqdm(files, desc="validating", unit="file", disable=not show, file=sys.stderr):
        try:
            report: Report = validate_file(path, select=select, ignore=ignore)
        except MineralComplianceError as exc:
            results.append(_unreadable(path, exc))
            continue
        except Exception as exc:  # one broken file must not end the batch
            results.append(_unreadable(path, exc))
            continue
        results.append({**report.to_plain(), "file": str(path), "error": None})
    return results, len(files)


def _print_table(results: list[dict[str, Any]], out: TextIO) -> None:
    for r in results:
        if r["error"]:
            print(f"{r['file']}\n  UNREADABLE  {r['error']['message']}", file=out)
            continue
        t, s = r["template"], r["summary"]
        verdict = "valid" if r["valid"] else "INVALID"
        print(f"{r['file']}\n  {t['kind']} {t['version']}  {verdict}  {_counted(s)}", file=out)
        for f in r["findings"]:
            where = f"{f['sheet']}!{f['cell']}" if f["cell"] else (f["sheet"] or "-")
            print(f"  {f['severity']:<7} {where:<22} {f['code']:<30} {f['message']}", file=out)


def _print_csv(results: list[dict[str, Any]], out: TextIO) -> None:
    writer = csv.writer(out)
    writer.writerow(["file", "kind", "version", "severity", "code", "sheet", "cell",
                     "subject", "message", "hint"])
    for r in results:
        t = r["template"] or {}
        if r["error"]:
            writer.writerow([r["file"], "", "", "error", "file-unreadable", "", "", "",
                             r["error"]["message"], ""])
        for f in r["findings"]:
            writer.writerow([r["file"], t.get("kind"), t.get("version"), f["severity"],
                             f["code"], f["sheet"], f["cell"], f["subject"], f["message"],
                             f["hint"]])


def _cmd_validate(args: argparse.Namespace) -> int:
    results, total = _validate_all(args)
    if total < 0:
        return 2
    unreadable = sum(1 for r in results if r["error"])
    invalid = sum(1 for r in results if not r["error"] and not r["valid"])
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    elif args.csv:
        _print_csv(results, sys.stdout)
    else:
        _print_table(results, sys.stdout)
        print(f"\n{total} files: {total - unreadable - invalid} valid, {invalid} with errors, "
              f"{unreadable} unreadable")
    if unreadable:
        return 2
    return 1 if invalid else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mineral-compliance`` command."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "read":
            return _cmd_read(args)
        if args.command == "validate":
            return _cmd_validate(args)
        return _cmd_summary(args)
    except BrokenPipeError:  # the reader of our output (``| head``) went away: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
