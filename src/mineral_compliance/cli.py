"""Command-line interface: parses arguments, calls the public API, prints, sets the exit code.

Exit codes, one policy for every command:

* 0: every input was read (and, for ``validate``, no file has findings at error level);
* 1: ``validate`` only: some file has findings at error level;
* 2: some input could not be read (each is named, and the others are still processed and
  written), no input was found at all, a list, reference or profile given cannot be used, an
  output cannot be written, or the command line is wrong;
* 130: interrupted (Ctrl-C).

An unexpected failure ends in one line naming the command and its inputs and asking for a
report; ``--debug`` shows the traceback as well.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from ._version import __version__
from ._words import counted
from .batch import Validated, validate_inputs
from .consolidation import (
    company_declaration,
    compare,
    consolidate,
    load_consolidation,
    product_subset,
)
from .disclosures import determine, load_profile
from .disclosures.documents import write_dodd_frank
from .disclosures.eu import load_annex
from .disclosures.eu import scope as eu_scope
from .disclosures.eu_report import write_eu
from .errors import MineralComplianceError, PolicyError
from .inputs import Input, close_archives, collect_inputs, input_stream
from .models.declaration import Declaration
from .models.matching import SmelterMatch
from .models.reference import SmelterReference
from .outputs import neutralise, output_run, write_consolidation, write_json
from .refdata import (
    SmelterMatcher,
    fetch,
    load_cahra,
    load_legacy_ids,
    load_roster,
    load_status_list,
)
from .refdata.crosscheck import (
    declared_rows,
    match_plain,
    read_rows_csv,
    snapshots_plain,
)
from .rules import select_rules, validate
from .templates import read_template, reference_from_template, write_template
from .templates.detect import version_key
from .templates.reader import read_with_reference
from .templates.releases import AcceptPolicy, default_policy
from .upstream import load_ipis, summarise

__all__ = ["EXIT_CODES", "main"]

EXIT_CODES = (
    (0, "every input was read (and, for `validate`, no file has findings at error level)"),
    (1, "`validate` only: some file has findings at error level"),
    (2, "some input could not be read (each is named; the others are still processed and "
        "their outputs written), no input was found at all, a list, reference or profile "
        "given cannot be used, an output cannot be written, or the command line is wrong"),
    (130, "interrupted (Ctrl-C); nothing half-written is left"),
)
"""The exit-code policy of every command, as ``docs/cli.md`` lists it."""

_PACKAGED_DEMO = Path(__file__).resolve().parent / "demo"
_SOURCE_DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
DEMO_DIR = _PACKAGED_DEMO if _PACKAGED_DEMO.is_dir() else _SOURCE_DEMO
"""The synthetic supplier templates shipped with the package (``fixtures/demo`` in a checkout)."""


class _Command(argparse.ArgumentParser):
    """A command's parser: ``--debug`` is accepted after the command name too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                          help="show the traceback of an unexpected failure")


def _policy(text: str) -> AcceptPolicy:
    """``--accept``: a policy, or the reason it cannot be read (argparse reports it)."""
    try:
        return AcceptPolicy.parse(text)
    except PolicyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _accept_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--accept", type=_policy, default=None, metavar="POLICY",
        help="the template versions the campaign accepts, e.g. 'CMRT>=6.5,EMRT>=2.1,AMRT>=1.3' "
             "(comparisons >=, >, <=, <, ==; a family alone accepts all its versions; a "
             "family not named is not accepted); files outside it get "
             f"template-version-not-accepted. Default: `{default_policy()}` (the current and "
             "the previous release of each family)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mineral-compliance",
        description="Read and check RMI responsible-minerals reporting templates.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an unexpected failure")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Command)

    read = sub.add_parser("read", help="read one template and print what it declares")
    read.add_argument("file", type=Path, help="the .xlsx template")
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
    summary.add_argument("--json", action="store_true", help="one JSON object per file")

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
    validate.add_argument("--select", default="",
                          help="comma-separated rule codes or tags (e.g. smelters) to run")
    validate.add_argument("--ignore", default="",
                          help="comma-separated rule codes or tags to skip")
    _accept_option(validate)
    validate.add_argument("--no-progress", action="store_true",
                          help="no progress bar even on a terminal")
    smelters = sub.add_parser("smelters", help="smelter reference lists and matching")
    ssub = smelters.add_subparsers(dest="smelters_command", required=True)
    ref = ssub.add_parser("reference", help="export the Smelter Look-up of a template")
    ref.add_argument("template", type=Path, help="an RMI template (blank or filled)")
    ref_fmt = ref.add_mutually_exclusive_group()
    ref_fmt.add_argument("--json", action="store_true", help="the list and its snapshot as JSON")
    ref_fmt.add_argument("--csv", action="store_true", help="one CSV row per facility")
    match = ssub.add_parser("match", help="resolve smelter rows of a CSV (metal, name, "
                            "country, smelter_id) against a template's reference list")
    match.add_argument("rows", type=Path, help="CSV of the rows to resolve")
    match.add_argument("--reference", type=Path, required=True,
                       help="the RMI template whose Smelter Look-up is the reference")
    _list_options(match)
    match.add_argument("--json", action="store_true", help="every result with its reasons")
    cross = sub.add_parser("crosscheck", help="resolve every Smelter List row of supplier "
                           "templates against reference and status lists")
    cross.add_argument("paths", nargs="*", help="files, folders or glob patterns "
                       "(default: the embedded demo templates)")
    cross.add_argument("--reference", type=Path,
                       help="template whose Smelter Look-up is the reference (default: the "
                            "newest template of each file's family among the inputs)")
    _list_options(cross)
    cross.add_argument("--json", action="store_true", help="every row's result as JSON")
    cons = sub.add_parser("consolidate", help="consolidate supplier templates into the "
                          "company view (files, folders, globs, zip archives)")
    cons.add_argument("paths", nargs="*", help="inputs (default: the embedded demo templates)")
    cons.add_argument("-o", "--out", type=Path, default=Path("consolidation"),
                      help="output folder (default: ./consolidation)")
    cons.add_argument("--roster", type=Path,
                      help="CSV of the suppliers surveyed (first column: name or unique ID)")
    cons.add_argument("--previous", type=Path,
                      help="output folder of an earlier run, to list what changed")
    cons.add_argument("--reference", type=Path, action="append", default=[],
                      help="template whose Smelter Look-up is its family's reference "
                           "(default: the newest of each family among the inputs)")
    cons.add_argument("--template", type=Path, action="append", default=[],
                      help="a blank official RMI workbook (CMRT, EMRT...) to fill with the "
                           "company's own declaration; repeatable, one per family")
    cons.add_argument("--company", default=None,
                      help="the company name to put in the templates written")
    cons.add_argument("--product", action="append", default=[],
                      help="also write the subset for this product number (supplier's or "
                           "requester's) to OUTDIR/products/; repeatable")
    cons.add_argument("--no-progress", action="store_true",
                      help="no progress bar even on a terminal")
    _accept_option(cons)
    _list_options(cons)
    report = sub.add_parser("report", help="regulatory disclosures from a consolidation")
    rsub = report.add_subparsers(dest="report_command", required=True)
    dfk = rsub.add_parser("dodd-frank", help="draft Form SD and the Conflict Minerals Report")
    dfk.add_argument("--consolidation", type=Path, required=True,
                     help="output folder of mineral-compliance consolidate")
    dfk.add_argument("--profile", type=Path, required=True,
                     help="the company profile (TOML or JSON)")
    dfk.add_argument("-o", "--out", type=Path, default=Path("dodd-frank"),
                     help="output folder (default: ./dodd-frank)")
    reu = rsub.add_parser("eu", help="Regulation (EU) 2017/821: obligations checklist, "
                                     "Article 7(3) report, authority pack, custody records")
    reu.add_argument("--consolidation", type=Path, required=True,
                     help="output folder of mineral-compliance consolidate")
    reu.add_argument("--profile", type=Path, required=True,
                     help="the company profile (TOML or JSON)")
    reu.add_argument("--imports", type=Path, help="import records (CSV or XLSX)")
    reu.add_argument("--annex", type=Path, help="an updated Annex I table (JSON)")
    reu.add_argument("--cahra", type=Path, help="the EU CAHRA list (JSON)")
    reu.add_argument("--ipis", type=Path, help="IPIS mine-site open data (CSV), to link the "
                                              "mines suppliers declare")
    reu.add_argument("-o", "--out", type=Path, default=Path("eu-report"),
                     help="output folder (default: ./eu-report)")
    rhtml = rsub.add_parser("html", help="the review report of a consolidation, again (for "
                                         "instance against another previous run)")
    rhtml.add_argument("--consolidation", type=Path, required=True,
                       help="output folder (or consolidation.json) of mineral-compliance "
                            "consolidate")
    rhtml.add_argument("--previous", type=Path,
                       help="an earlier consolidation, to show what changed")
    rhtml.add_argument("-o", "--out", type=Path, default=None,
                       help="the HTML file to write (default: report.html in the "
                            "consolidation's folder)")
    eu = sub.add_parser("eu", help="Regulation (EU) 2017/821")
    eusub = eu.add_subparsers(dest="eu_command", required=True)
    eus = eusub.add_parser("scope", help="are the imports in scope, per year and Annex I line")
    eus.add_argument("imports", type=Path, help="import records (CSV or XLSX)")
    eus.add_argument("--annex", type=Path, help="an updated Annex I table (JSON)")
    eus.add_argument("--json", action="store_true", help="the determination as JSON")
    up = sub.add_parser("upstream", help="upstream programme data")
    upsub = up.add_subparsers(dest="upstream_command", required=True)
    ups = upsub.add_parser("summarize", help="mine sites and Annex II risk indicators per "
                                             "area (IPIS open data)")
    ups.add_argument("file", type=Path, help="the IPIS mine-site CSV")
    ups.add_argument("--by", choices=("province", "territoire"), default="territoire",
                     help="the area to summarise by (default: territoire)")
    ups.add_argument("--json", action="store_true", help="the summary as JSON")
    return parser


def _commands(parser: argparse.ArgumentParser,
              path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str,
                                                          argparse.ArgumentParser]]:
    """(command words, help, parser) of every command that runs, depth first."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, child in action.choices.items():
                words = (*path, name)
                if any(isinstance(a, argparse._SubParsersAction) for a in child._actions):
                    yield from _commands(child, words)
                else:
                    yield words, helps.get(name, ""), child


def render_cli_reference() -> str:
    """``docs/cli.md``: every command with its arguments, from the parser itself."""
    home = str(Path.home())
    lines = ["# Command-line reference", "",
             "Generated from the command's own parser (`python scripts/export_docs.py`); do not "
             "edit by hand. `mineral-compliance COMMAND --help` prints the same.", "",
             "## Exit codes", "", "The same for every command:", "",
             "| code | meaning |", "|---|---|"]
    lines += [f"| {code} | {meaning} |" for code, meaning in EXIT_CODES]
    lines += ["", "An unexpected failure (a bug) ends in one line naming the command and its "
              "inputs; `--debug`, before or after the command name, shows the traceback too.",
              ""]
    for words, text, parser in _commands(_parser()):
        lines += [f"## `mineral-compliance {' '.join(words)}`", "", text[:1].upper() + text[1:]
                  + ("." if text and not text.endswith(".") else ""), "",
                  "| argument | meaning |", "|---|---|"]
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if action.option_strings:
                name = ", ".join(action.option_strings)
                if action.nargs != 0:
                    name += f" {action.metavar or action.dest.upper()}"
            else:
                name = action.dest + (" ..." if action.nargs in ("*", "+") else "")
            parts = [(action.help or "").replace("|", "\\|")]
            if action.choices:
                parts.append(f"One of: {', '.join(map(str, action.choices))}")
            if action.required and action.option_strings:
                parts.append("Required")
            if isinstance(action, argparse._AppendAction) and "repeatable" not in parts[0]:
                parts.append("Repeatable")
            if (action.default not in (None, False, [], "") and action.nargs != 0
                    and "default" not in parts[0]):
                parts.append(f"Default: `{str(action.default).replace(home, '~')}`")
            meaning = ". ".join(p.strip().rstrip(".") for p in parts if p.strip())
            meaning += "." if meaning else ""
            lines.append(f"| `{name}` | {meaning.strip()} |")
        lines.append("")
    return "\n".join(lines)


def _list_options(p: argparse.ArgumentParser) -> None:
    where = " (a file, or an http(s) URL to download into --cache-dir)"
    p.add_argument("--legacy", help="legacy smelter ID translation table (CSV)" + where)
    p.add_argument("--status-list", action="append", default=[],
                   help="RMI facility list (CSV, XLSX or SpreadsheetML XML); repeatable" + where)
    p.add_argument("--lbma", action="append", default=[],
                   help="LBMA Good Delivery list, for gold cross-recognition" + where)
    p.add_argument("--rjc", action="append", default=[],
                   help="RJC certified list, for gold cross-recognition" + where)
    p.add_argument("--cahra", help="the EU CAHRA list (its JSON form)" + where)
    p.add_argument("--cache-dir", type=Path,
                   default=Path.home() / ".cache" / "mineral-compliance",
                   help="where downloaded lists are kept (asked again only if changed)")


def _local(source: str, args: argparse.Namespace) -> Path:
    """A list given as a URL is downloaded (or confirmed current) now, because it was asked
    for; a path is used as it is."""
    if source.startswith(("http://", "https://")):
        got = fetch(source, args.cache_dir)
        state = "unchanged, cached copy" if got.from_cache else "downloaded"
        print(f"{source}: {state} (sha256 {got.sha256[:12]})", file=sys.stderr)
        return got.path
    return Path(source)


def _matcher(args: argparse.Namespace, reference: SmelterReference) -> SmelterMatcher:
    lists = [load_status_list(_local(p, args)) for p in args.status_list]
    lists += [load_status_list(_local(p, args), kind="lbma") for p in args.lbma]
    lists += [load_status_list(_local(p, args), kind="rjc") for p in args.rjc]
    return SmelterMatcher(
        reference, legacy=load_legacy_ids(_local(args.legacy, args)) if args.legacy else None,
        status_lists=lists, cahra=load_cahra(_local(args.cahra, args)) if args.cahra else None)


def _cmd_smelters(args: argparse.Namespace) -> int:
    try:
        if args.smelters_command == "reference":
            reference = reference_from_template(args.template)
            fields = ["row", "metal", "lookup_name", "standard_name", "country", "smelter_id",
                      "source", "street", "city", "state_province"]
            if args.json:
                print(json.dumps({"snapshot": {"source": reference.file, "kind":
                                               reference.kind.value, "version":
                                               reference.version, "sha256": reference.sha256},
                                  "entries": [e.model_dump() for e in reference.entries]},
                                 indent=2, ensure_ascii=False))
            else:
                writer = csv.writer(sys.stdout, delimiter="," if args.csv else "\t")
                writer.writerow(fields)
                for e in reference.entries:
                    writer.writerow([neutralise(getattr(e, f)) for f in fields])
            return 0
        matcher = _matcher(args, reference_from_template(args.reference))
        results = matcher.match_all(read_rows_csv(args.rows))
    except MineralComplianceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _print_matches(results, matcher, args.json, None)
    return 0


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


def _cmd_crosscheck(args: argparse.Namespace) -> int:
    items = _inputs(args.paths)
    if not items:
        return _no_input(args.paths)
    decls: dict[str, tuple[Declaration, SmelterReference | None]] = {}
    unreadable: list[dict[str, Any]] = []
    for item in items:
        try:
            decls[item.label] = read_with_reference(input_stream(item))
        except MineralComplianceError as exc:
            unreadable.append(_unreadable(item.label, exc))
            if not args.json:
                print(f"{item.label}\n  unreadable: {exc}", file=sys.stderr)
    close_archives()
    named = reference_from_template(args.reference) if args.reference else None
    refs: dict[str, SmelterReference] = {}
    for _decl, candidate in decls.values():
        if named is None and candidate is not None:
            kind = candidate.kind.value
            if kind not in refs or version_key(candidate.version) > version_key(
                    refs[kind].version):
                refs[kind] = candidate
    matchers: dict[str, SmelterMatcher] = {}
    outputs: list[dict[str, Any]] = []
    failed = len(unreadable)
    for label, (decl, _own) in decls.items():
        reference = named or refs.get(decl.template.kind.value)
        if reference is None:
            message = (f"no reference list: no {decl.template.kind.value} template among the "
                       "inputs has a Smelter Look-up (use --reference)")
            failed += 1
            if args.json:
                outputs.append({"file": label, "error": {"type": "ReferenceDataError",
                                                         "message": message}})
            else:
                print(f"{label}\n  {message}", file=sys.stderr)
            continue
        matcher = matchers.get(reference.sha256)
        if matcher is None:
            matcher = matchers[reference.sha256] = _matcher(args, reference)
        results = matcher.match_all(declared_rows(decl))
        if args.json:
            grades: dict[str, int] = {}
            for r in results:
                grades[r.grade.value] = grades.get(r.grade.value, 0) + 1
            outputs.append({
                "file": label,
                "error": None,
                "template": {"kind": decl.template.kind.value,
                             "version": decl.template.version},
                "summary": {"rows": len(results), "grades": grades,
                            "accepted": sum(r.accepted for r in results),
                            "flagged": sum(bool(r.flags) for r in results)},
                "snapshots": snapshots_plain(matcher),
                "rows": [match_plain(r) for r in results]})
        else:
            _print_matches(results, matcher, False, label)
    if args.json:
        order = {item.label: n for n, item in enumerate(items)}
        everything = sorted(outputs + unreadable, key=lambda o: order.get(o["file"], 0))
        print(json.dumps(everything, indent=2, ensure_ascii=False, default=str))
    else:
        print(f"\n{counted(len(items), 'file')}: {len(items) - failed} cross-checked, "
              f"{failed} not")
    return 2 if failed else 0


def _cmd_consolidate(args: argparse.Namespace) -> int:
    try:
        lists = [load_status_list(_local(p, args)) for p in args.status_list]
        lists += [load_status_list(_local(p, args), kind="lbma") for p in args.lbma]
        lists += [load_status_list(_local(p, args), kind="rjc") for p in args.rjc]
        cahra = load_cahra(_local(args.cahra, args)) if args.cahra else None
        references = [reference_from_template(p) for p in args.reference]
        roster = load_roster(args.roster) if args.roster else None
        previous = load_consolidation(args.previous) if args.previous else None
    except MineralComplianceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    show = not args.no_progress and sys.stderr.isatty()

    def progress(results: Iterator[Any], total: int) -> Iterator[Any]:
        return iter(tqdm(results, total=total, desc="reading", unit="file", disable=not show,
                         file=sys.stderr))

    result = consolidate(args.paths or [DEMO_DIR], references=references, status_lists=lists,
                         cahra=cahra, roster=roster, progress=progress, exclude=[args.out],
                         accept=args.accept)
    if not result.files:
        return _no_input(args.paths)
    changes = compare(previous, result) if previous is not None else None
    subset = product_subset(result, args.product) if args.product else None
    targets: list[tuple[Declaration, Path, Path]] = []
    for blank in args.template:  # built before anything is written: a bad one writes nothing
        decl = company_declaration(result, template=blank,
                                   company={"name": args.company} if args.company else None)
        targets.append((decl, blank, args.out / f"company-{decl.template.kind.value.lower()}.xlsx"))
    # one run: every file below lands together, or (on any error) none does
    with output_run(args.out, name="consolidation"):
        written = write_consolidation(result, args.out, comparison=changes)
        if changes is not None:
            written.append(write_json(args.out / "comparison.json", changes))
        if subset is not None:
            written.extend(write_consolidation(subset, args.out / "products"))
        for decl, blank, target in targets:
            write_template(decl, template=blank, out=target)
            written.append(target)
    s = result.summary()
    print(f"{counted(s['files'], 'file')}: {s['files_valid']} valid, "
          f"{s['files_warnings']} with warnings, {s['files_errors']} with errors, "
          f"{s['files_superseded']} superseded, {s['files_unreadable']} unreadable; "
          f"{counted(s['suppliers'], 'supplier')}")
    policy = AcceptPolicy.parse(result.accepted_versions or str(default_policy()))
    outside = sum(any(x.code == "template-version-not-accepted" for x in f.findings)
                  for f in result.files)
    print(f"template versions accepted: {policy.describe()} "
          f"({counted(outside, 'file')} outside)")
    review = s["smelters_needing_review"]
    print(f"{counted(s['smelter_rows_read'], 'smelter row')} read = "
          f"{s['smelter_rows_attributed']} attributed to {counted(s['smelters'], 'smelter')} "
          f"({review} {'needs' if review == 1 else 'need'} review) + {s['rows_rejected']} rejected")
    if changes is not None:
        c = changes.summary()
        rekeyed = "".join(f", {c[k]} {k}" for k in ("identified", "unidentified") if c[k])
        print(f"since {args.previous}: {counted(c['added'], 'smelter')} added, "
              f"{c['removed']} removed, {c['status-changed']} changed status{rekeyed}; "
              f"{counted(c['suppliers_new'], 'new supplier')}, {c['suppliers_missing']} missing")
    if subset is not None:
        print(f"products {', '.join(args.product)}: {len(subset.files)} declarations, "
              f"{counted(len(subset.smelters), 'smelter')}")
    for unreadable in (f for f in result.files if f.status.value == "unreadable"):
        print(f"  unreadable: {unreadable.message}", file=sys.stderr)
    shown = [str(p.relative_to(args.out)) for p in written if p.parent.name != "feedback"]
    for folder in sorted({p.parent for p in written if p.parent.name == "feedback"}):
        count = sum(1 for p in written if p.parent == folder)
        shown.append(f"{folder.relative_to(args.out)}/ ({counted(count, 'file')})")
    print(f"written to {args.out}: {', '.join(shown)}")
    print(f"review report: {(args.out / 'report.html').resolve()}")
    return 2 if s["files_unreadable"] else 0


def _cmd_report_html(args: argparse.Namespace) -> int:
    from .review import write_report

    try:
        result = load_consolidation(args.consolidation)
        previous = load_consolidation(args.previous) if args.previous else None
    except MineralComplianceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    folder = args.consolidation if args.consolidation.is_dir() else args.consolidation.parent
    target = write_report(result, args.out or folder / "report.html",
                          comparison=compare(previous, result) if previous else None)
    print(f"review report: {target.resolve()}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    if args.report_command == "html":
        return _cmd_report_html(args)
    try:
        profile = load_profile(args.profile)
        result = load_consolidation(args.consolidation)
        if args.report_command == "eu":
            imports = (eu_scope(args.imports, load_annex(args.annex) if args.annex else None)
                       if args.imports else None)
            cahra = load_cahra(args.cahra) if args.cahra else None
            sites = load_ipis(args.ipis).sites if args.ipis else ()
    except MineralComplianceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.report_command == "eu":
        written = write_eu(profile, result, args.out, imports, cahra, sites)
        print(f"written to {args.out}: {', '.join(p.name for p in written)}")
        print("the company must still write the statements in eu-checklist.md")
        return 0
    decision = determine(profile, result)
    written = write_dodd_frank(profile, result, args.out)
    print(f"calendar year {profile.reporting_year}: Form SD "
          f"{'required' if decision.form_sd_required else 'not required'}, Conflict "
          f"Minerals Report {'required' if decision.report_required else 'not required'}; "
          f"due {decision.filing_deadline.isoformat()}")
    for m in decision.metals:
        state = ("not in scope" if not m.in_scope else "excluded (pre-2013 stock)"
                 if m.excluded_pre_2013 else f"{m.rcoi.value if m.rcoi else '-'}, due "
                 f"diligence {'required' if m.due_diligence_required else 'not required'}")
        print(f"  {m.metal:<9} {state}")
    checklist = (args.out / "checklist.md").read_text(encoding="utf-8").splitlines()[2:]
    print(f"the company must still write {len(checklist)} statements (checklist.md):")
    for line in checklist:
        print(f"  {line}")
    print(f"written to {args.out}: {', '.join(p.name for p in written)}")
    return 0


def _cmd_eu(args: argparse.Namespace) -> int:
    try:
        report = eu_scope(args.imports, load_annex(args.annex) if args.annex else None)
    except MineralComplianceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
    print(f"Annex I as of {report.annex.version} ({report.annex.source}); imports "
          f"{counted(report.imports.rows, 'row')}, sha256 {report.imports.sha256[:12]}")
    return 0


def _cmd_upstream(args: argparse.Namespace) -> int:
    try:
        data = load_ipis(args.file)
    except MineralComplianceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    areas = summarise(data.sites, by_territoire=args.by == "territoire")
    if args.json:
        print(json.dumps({"snapshot": data.snapshot.model_dump(),
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


def _counted(counts: dict[str, int]) -> str:
    return (f"{counted(counts['error'], 'error')}, {counted(counts['warning'], 'warning')}, "
            f"{counted(counts['info'], 'note')}")


def _inputs(paths: Sequence[Path | str], exclude: Sequence[Path] = ()) -> list[Input]:
    """The inputs named (the demo templates when none are), found by the one collector every
    batch command shares."""
    return collect_inputs(list(paths) or [DEMO_DIR], exclude=exclude)


def _no_input(paths: Sequence[Path | str]) -> int:
    named = ", ".join(str(p) for p in paths) or str(DEMO_DIR)
    print(f"error: no input found in {named} (looked for .xlsx, .xlsm and .xls templates "
          "and .zip archives of them)", file=sys.stderr)
    return 2


def _cmd_read(args: argparse.Namespace) -> int:
    try:
        decl = read_template(args.file, strict_version=args.strict_version)
    except MineralComplianceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(_plain_json(decl, args.full))
    else:
        _describe(decl, sys.stdout)
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    items = _inputs(args.paths)
    if not items:
        return _no_input(args.paths)
    results: list[dict[str, Any]] = []
    failed = 0
    for item in items:
        try:
            decl, reference = read_with_reference(input_stream(item))
        except MineralComplianceError as exc:
            failed += 1
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
            print(f"  findings   {_counted(counts)}")
    close_archives()
    read_ok = len(items) - failed
    if args.json:
        print(json.dumps({"files": results, "total": len(items), "read": read_ok,
                          "unreadable": failed}, indent=2, ensure_ascii=False))
    else:
        print(f"\n{counted(len(items), 'file')}: {read_ok} read, {failed} unreadable "
              "(mineral-compliance validate lists each finding)")
    return 2 if failed else 0


def _codes(text: str) -> list[str] | None:
    codes = [c.strip() for c in text.split(",") if c.strip()]
    return codes or None


def _unreadable(label: str, exc: BaseException) -> dict[str, Any]:
    message = str(exc) if isinstance(exc, MineralComplianceError) else \
        f"{label}: unexpected {type(exc).__name__}: {exc}"
    return {"file": label, "template": None, "valid": False,
            "error": {"type": type(exc).__name__, "message": message},
            "summary": None, "findings": []}


def _validate_all(args: argparse.Namespace) -> tuple[list[dict[str, Any]], int]:
    select, ignore = _codes(args.select), _codes(args.ignore)
    try:
        select_rules(select, ignore)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return [], -1
    items = _inputs(args.paths)
    show = not args.no_progress and sys.stderr.isatty() and len(items) > 1

    def progress(results: Iterator[Validated], total: int) -> Iterator[Validated]:
        return iter(tqdm(results, total=total, desc="validating", unit="file",
                         disable=not show, file=sys.stderr))

    results: list[dict[str, Any]] = []
    for done in validate_inputs(items, select=select, ignore=ignore, progress=progress,
                                accept=args.accept):
        if done.report is None:
            results.append({"file": done.label, "template": None, "valid": False,
                            "error": {"type": done.error_type, "message": done.error},
                            "summary": None, "findings": []})
        else:
            results.append({**done.report.to_plain(), "file": done.label, "error": None})
    return results, len(items)


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
                     "subject", "message", "hint", "basis", "checker_item"])
    for r in results:
        t = r["template"] or {}
        if r["error"]:  # supplier text is made inert for spreadsheet programs
            writer.writerow([neutralise(v) for v in (
                r["file"], "", "", "error", "file-unreadable", "", "", "",
                r["error"]["message"], "", "", "")])
        for f in r["findings"]:
            writer.writerow([neutralise(v) for v in (
                r["file"], t.get("kind"), t.get("version"), f["severity"], f["code"],
                f["sheet"], f["cell"], f["subject"], f["message"], f["hint"], f["basis"],
                f["checker_item"])])


def _cmd_validate(args: argparse.Namespace) -> int:
    results, total = _validate_all(args)
    if total < 0:
        return 2
    if total == 0:
        return _no_input(args.paths)
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


def _named_inputs(args: argparse.Namespace) -> str:
    """The inputs of a command line, for a message about it."""
    named: list[str] = []
    for attr in ("file", "paths", "rows", "template", "consolidation", "imports"):
        value = getattr(args, attr, None)
        if isinstance(value, (list, tuple)):
            named.extend(str(v) for v in value)
        elif value is not None:
            named.append(str(value))
    return ", ".join(named) or "the embedded demo data"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mineral-compliance`` command."""
    args = _parser().parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    try:
        if args.command == "read":
            return _cmd_read(args)
        if args.command == "validate":
            return _cmd_validate(args)
        if args.command == "smelters":
            return _cmd_smelters(args)
        if args.command == "crosscheck":
            return _cmd_crosscheck(args)
        if args.command == "consolidate":
            return _cmd_consolidate(args)
        if args.command == "report":
            return _cmd_report(args)
        if args.command == "eu":
            return _cmd_eu(args)
        if args.command == "upstream":
            return _cmd_upstream(args)
        return _cmd_summary(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except MineralComplianceError as exc:  # one a command did not handle itself
        if debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader of our output (``| head``) went away: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # a bug of ours: one line, the traceback only when asked
        if debug:
            traceback.print_exc()
        detail = "" if debug else " (run again with --debug for the traceback)"
        print(f"error: unexpected {type(exc).__name__} in 'mineral-compliance {args.command}' "
              f"on {_named_inputs(args)}: {exc}. This is a bug in mineral-compliance: please "
              f"report it with the command line and, if you can, the input{detail}",
              file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
