"""The command line, built with argparse alone: nothing here loads the library's reading,
matching or writing parts, so that ``--version`` and ``--help`` answer at once.

Each command's parser sets ``run`` to the ``module:function`` of this package that runs it;
:func:`mineral_compliance.cli.main` imports that module only then.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..errors import PolicyError

if TYPE_CHECKING:
    from ..templates.releases import AcceptPolicy

__all__ = ["_commands", "_parser", "shown_help"]


_DEFAULT_POLICY = "{the default policy}"
"""Stands in a help text for the default accepted versions, which come from the layout
tables: they are looked up only when the help is shown."""


def shown_help(action: argparse.Action) -> str:
    """An argument's help as ``--help`` shows it, the default policy filled in."""
    text = action.help or ""
    if _DEFAULT_POLICY in text:
        from ..templates.releases import default_policy

        text = text.replace(_DEFAULT_POLICY, str(default_policy()))
    return text


class _Command(argparse.ArgumentParser):
    """A command's parser: ``--debug`` is accepted after the command name too, and values
    its help shows are computed when it is shown."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                          help="show the traceback of an unexpected failure")

    def format_help(self) -> str:
        for action in self._actions:
            action.help = shown_help(action) if action.help is not None else None
        return super().format_help()


def _policy(text: str) -> AcceptPolicy:
    """``--accept``: a policy, or the reason it cannot be read (argparse reports it)."""
    from ..templates.releases import AcceptPolicy  # the layout tables: only when given

    try:
        return AcceptPolicy.parse(text)
    except PolicyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _day(text: str) -> dt.date:
    """``--as-of``: an ISO date, or why it is not one (argparse reports it)."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD") from exc


def _names(text: str) -> list[str] | None:
    """``--select``, ``--ignore``: the comma-separated names, or None when there are none."""
    names = [c.strip() for c in text.split(",") if c.strip()]
    return names or None


def _accept_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--accept", type=_policy, default=None, metavar="POLICY",
        help="the template versions the campaign accepts, e.g. 'CMRT>=6.5,EMRT>=2.1,AMRT>=1.3' "
             "(comparisons >=, >, <=, <, ==; a family alone accepts all its versions; a "
             "family not named is not accepted); files outside it get "
             f"template-version-not-accepted. Default: `{_DEFAULT_POLICY}` (the current and "
             "the previous release of each family)")


def _scheduler_option(p: argparse.ArgumentParser) -> None:
    """``--scheduler``: read the inputs on a Dask cluster (``cli._common.executor_from``)."""
    p.add_argument(
        "--scheduler", metavar="ADDRESS", default=None,
        help="read the files on the Dask cluster whose scheduler is at ADDRESS (e.g. "
             "tcp://10.0.0.5:8786; needs mineral-compliance[dask], and the same version "
             "installed on every worker), under the same per-file limits as here. The inputs "
             "must be at the same absolute path on every worker (a shared folder); the "
             "outputs are the same bytes as a run on this machine (docs/cluster.md)")


def _disclosure_inputs(p: argparse.ArgumentParser) -> None:
    """What every disclosure reads: a consolidation and the company profile."""
    p.add_argument("--consolidation", type=Path, default=Path("consolidation"),
                   help="output folder of mineral-compliance consolidate (default: "
                        "./consolidation, where it writes)")
    p.add_argument("--profile", type=Path, default=None,
                   help="the company profile (TOML or JSON); may be left out only for a "
                        "consolidation of the demo templates, which has an example profile")


def _parser() -> argparse.ArgumentParser:
    """The whole command line; each command's ``run`` names the function that runs it, as
    ``module:function`` in this package."""
    parser = argparse.ArgumentParser(
        prog="mineral-compliance",
        description="Read and check RMI responsible-minerals reporting templates.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an unexpected failure")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Command)

    read = sub.add_parser("read", help="read one template and print what it declares")
    read.set_defaults(run="read:run_read")
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
    summary.set_defaults(run="read:run_summary")
    summary.add_argument("paths", nargs="*", type=Path,
                         help="files or folders (default: the embedded demo templates)")
    summary.add_argument("--json", action="store_true", help="one JSON object per file")

    validate = sub.add_parser(
        "validate",
        help="check templates (files, folders or glob patterns) and list what to fix",
    )
    validate.set_defaults(run="validate:run_validate")
    validate.add_argument("paths", nargs="*",
                          help="files, folders or glob patterns "
                               "(default: the embedded demo templates)")
    fmt = validate.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object per file")
    fmt.add_argument("--csv", action="store_true", help="one CSV row per finding")
    validate.add_argument("--select", default="", type=_names,
                          help="comma-separated rule codes or tags (e.g. smelters) to run")
    validate.add_argument("--ignore", default="", type=_names,
                          help="comma-separated rule codes or tags to skip")
    _accept_option(validate)
    validate.add_argument("--no-progress", action="store_true",
                          help="no progress bar even on a terminal")
    smelters = sub.add_parser("smelters", help="smelter reference lists and matching")
    ssub = smelters.add_subparsers(dest="smelters_command", required=True)
    ref = ssub.add_parser("reference", help="export the Smelter Look-up of a template")
    ref.set_defaults(run="smelters:run_reference")
    ref.add_argument("template", type=Path, help="an RMI template (blank or filled)")
    ref_fmt = ref.add_mutually_exclusive_group()
    ref_fmt.add_argument("--json", action="store_true", help="the list and its snapshot as JSON")
    ref_fmt.add_argument("--csv", action="store_true", help="one CSV row per facility")
    match = ssub.add_parser("match", help="resolve smelter rows of a CSV (metal, name, "
                            "country, smelter_id) against a template's reference list")
    match.set_defaults(run="smelters:run_match")
    match.add_argument("rows", type=Path, help="CSV of the rows to resolve")
    match.add_argument("--reference", type=Path, required=True,
                       help="the RMI template whose Smelter Look-up is the reference")
    _list_options(match)
    match.add_argument("--json", action="store_true", help="every result with its reasons")
    cross = sub.add_parser("crosscheck", help="resolve every Smelter List row of supplier "
                           "templates against reference and status lists")
    cross.set_defaults(run="smelters:run_crosscheck")
    cross.add_argument("paths", nargs="*", help="files, folders or glob patterns "
                       "(default: the embedded demo templates)")
    cross.add_argument("--reference", type=Path,
                       help="template whose Smelter Look-up is the reference (default: the "
                            "newest template of each file's family among the inputs)")
    _list_options(cross)
    cross.add_argument("--json", action="store_true", help="every row's result as JSON")
    cons = sub.add_parser("consolidate", help="consolidate supplier templates into the "
                          "company view (files, folders, globs, zip archives)")
    cons.set_defaults(run="consolidate:run_consolidate")
    cons.add_argument("paths", nargs="*", help="inputs (default: the embedded demo templates)")
    cons.add_argument("-o", "--out", type=Path, default=Path("consolidation"),
                      help="output folder (default: ./consolidation)")
    cons.add_argument("--roster", type=Path,
                      help="CSV of the suppliers surveyed (first column: name or unique ID)")
    cons.add_argument("--previous", type=Path,
                      help="output folder of an earlier run, to list what changed")
    _reference_option(cons)
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
    _scheduler_option(cons)
    _accept_option(cons)
    _list_options(cons)
    _campaign_commands(sub)
    report = sub.add_parser("report", help="regulatory disclosures from a consolidation")
    rsub = report.add_subparsers(dest="report_command", required=True)
    dfk = rsub.add_parser("dodd-frank", help="draft Form SD and the Conflict Minerals Report")
    dfk.set_defaults(run="report:run_dodd_frank")
    _disclosure_inputs(dfk)
    _origin_option(dfk)
    _risk_inputs(dfk)
    dfk.add_argument("-o", "--out", type=Path, default=Path("dodd-frank"),
                     help="output folder (default: ./dodd-frank)")
    reu = rsub.add_parser("eu", help="Regulation (EU) 2017/821: obligations checklist, "
                                     "Article 7(3) report, authority pack, custody records")
    reu.set_defaults(run="report:run_eu")
    _disclosure_inputs(reu)
    reu.add_argument("--imports", type=Path, help="import records (CSV or XLSX)")
    reu.add_argument("--annex", type=Path, help="an updated Annex I table (JSON)")
    reu.add_argument("--cahra", type=Path, help="the EU CAHRA list (JSON)")
    reu.add_argument("--ipis", type=Path, help="IPIS mine-site open data (CSV), to link the "
                                              "mines suppliers declare")
    _origin_option(reu)
    _risk_inputs(reu, cahra=False)
    reu.add_argument("-o", "--out", type=Path, default=Path("eu-report"),
                     help="output folder (default: ./eu-report)")
    rbat = rsub.add_parser("battery", help="Regulation (EU) 2023/1542: battery due-diligence "
                                          "scope, report draft, passport fields, verification "
                                          "pack")
    rbat.set_defaults(run="report:run_battery")
    _disclosure_inputs(rbat)
    rbat.add_argument("--as-of", type=_day, default=None, metavar="DATE",
                      help="the date the scope is decided on, YYYY-MM-DD (default: today)")
    rbat.add_argument("--rules", type=Path,
                      help="a battery due-diligence table (JSON) in place of the shipped one")
    _risk_inputs(rbat)
    rbat.add_argument("-o", "--out", type=Path, default=Path("battery-report"),
                      help="output folder (default: ./battery-report)")
    rhtml = rsub.add_parser("html", help="the review report of a consolidation, again (for "
                                         "instance against another previous run)")
    rhtml.set_defaults(run="report:run_html")
    rhtml.add_argument("--consolidation", type=Path, default=Path("consolidation"),
                       help="output folder (or consolidation.json) of mineral-compliance "
                            "consolidate (default: ./consolidation)")
    rhtml.add_argument("--previous", type=Path,
                       help="an earlier consolidation, to show what changed")
    rhtml.add_argument("-o", "--out", type=Path, default=None,
                       help="the HTML file to write (default: report.html in the "
                            "consolidation's folder)")
    eu = sub.add_parser("eu", help="Regulation (EU) 2017/821")
    eusub = eu.add_subparsers(dest="eu_command", required=True)
    eus = eusub.add_parser("scope", help="are the imports in scope, per year and Annex I line")
    eus.set_defaults(run="eu:run_scope")
    eus.add_argument("imports", type=Path, help="import records (CSV or XLSX)")
    eus.add_argument("--annex", type=Path, help="an updated Annex I table (JSON)")
    eus.add_argument("--json", action="store_true", help="the determination as JSON")
    up = sub.add_parser("upstream", help="upstream programme data")
    upsub = up.add_subparsers(dest="upstream_command", required=True)
    ups = upsub.add_parser("summarize", help="mine sites and Annex II risk indicators per "
                                             "area (IPIS open data)")
    ups.set_defaults(run="upstream:run_summarize")
    ups.add_argument("file", type=Path, help="the IPIS mine-site CSV")
    ups.add_argument("--by", choices=("province", "territoire"), default="territoire",
                     help="the area to summarise by (default: territoire)")
    ups.add_argument("--json", action="store_true", help="the summary as JSON")
    upc = upsub.add_parser("cahra-changes", help="what changed between snapshots of the EU "
                                                 "CAHRA list")
    upc.set_defaults(run="upstream:run_cahra_changes")
    upc.add_argument("files", type=Path, nargs="+", metavar="LIST",
                     help="CAHRA list snapshots (JSON), put in date order (each list's own "
                          "date, else the file's)")
    upc.add_argument("--json", action="store_true", help="the changes as JSON")
    upr = upsub.add_parser("rescreen", help="screen a stored consolidation against another "
                                            "CAHRA list, without the supplier files")
    upr.set_defaults(run="upstream:run_rescreen")
    upr.add_argument("--consolidation", type=Path, required=True,
                     help="the output folder of a consolidation (or its consolidation.json)")
    upr.add_argument("--cahra", type=Path, required=True, help="the CAHRA list (JSON)")
    upr.add_argument("-o", "--out", type=Path, default=None,
                     help="where the re-screened consolidation is written (default: the "
                          "consolidation's own folder)")
    urk = upsub.add_parser("risk", help="the risk register of a consolidation: each risk "
                                        "with its OECD Annex II category, links and response")
    urk.set_defaults(run="risk:run_risk")
    urk.add_argument("--consolidation", type=Path, default=Path("consolidation"),
                     help="output folder of mineral-compliance consolidate (default: "
                          "./consolidation)")
    _risk_inputs(urk)
    urk.add_argument("-o", "--out", type=Path, default=Path("risk-register"),
                     help="output folder (default: ./risk-register)")
    return parser


def _reference_option(p: argparse.ArgumentParser, among: str = "the inputs") -> None:
    p.add_argument("--reference", type=Path, action="append", default=[],
                   help="template whose Smelter Look-up is its family's reference "
                        f"(default: the newest of each family among {among})")


def _families(text: str) -> tuple[str, ...]:
    """``--families``: comma-separated template families, or why one is not (argparse
    reports it)."""
    from ..models.declaration import TemplateKind  # the model: only when given

    known = {k.value: k.value for k in TemplateKind}
    names = [n.strip().upper() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"{', '.join(unknown) or repr(text)} is not a template family (families: "
            f"{', '.join(known)})")
    return tuple(dict.fromkeys(names))


def _sender(text: str) -> str:
    """``--from``: an address for the drafts, or why it is not one (argparse reports it)."""
    from ..store.reminders import address_problem  # the store: only when given

    problem = address_problem(text.strip())
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text.strip()


def _store_options(p: argparse.ArgumentParser, campaign: bool = True) -> None:
    """What every ``campaign`` command takes: the store, and which of its campaigns."""
    p.add_argument("--db", default=None, metavar="URL",
                   help="the store's database: sqlite:///FILE (a file, nothing to install) or "
                        "postgresql+psycopg://user@host/db (default: "
                        f"{DEFAULT_STORE}, a file in the working folder)")
    if campaign:
        p.add_argument("--campaign", default=None, metavar="NAME",
                       help="the campaign, when the store holds more than one")


DEFAULT_STORE = "sqlite:///campaign.db"
"""The store ``--db`` names by default (:data:`mineral_compliance.store.DEFAULT_URL`, which a
test holds equal: the store itself is imported only when a campaign command runs)."""


def _campaign_commands(sub: argparse._SubParsersAction[_Command]) -> None:
    """``campaign init | ingest | status | remind | consolidate | forget``."""
    camp = sub.add_parser("campaign", help="a campaign store: every supplier response of a "
                                           "reporting year, from request to consolidation")
    csub = camp.add_subparsers(dest="campaign_command", required=True)
    init = csub.add_parser("init", help="create a campaign in the store (the store too, when "
                                        "it does not exist): its year, roster and due date")
    init.set_defaults(run="campaign:run_init")
    _store_options(init, campaign=False)
    init.add_argument("--name", required=True, help="the campaign's name, e.g. RY2026")
    init.add_argument("--year", type=int, required=True, help="the reporting year it asks for")
    init.add_argument("--roster", type=Path,
                      help="the suppliers asked: CSV or XLSX with a header naming the columns "
                           "Supplier, Unique ID, E-mail and Aliases (or one name or ID a line)")
    init.add_argument("--due", type=_day, default=None, metavar="DATE",
                      help="when the answers are due (YYYY-MM-DD)")
    init.add_argument("--families", type=_families, default=("CMRT",), metavar="LIST",
                      help="the template families asked for, comma-separated, e.g. CMRT,EMRT "
                           "(default: CMRT)")
    _accept_option(init)
    ing = csub.add_parser("ingest", help="store the supplier files the campaign does not hold "
                                         "yet (files, folders, globs, zip archives)")
    ing.set_defaults(run="campaign:run_ingest")
    _store_options(ing)
    ing.add_argument("paths", nargs="+", help="files, folders, glob patterns or zip archives")
    ing.add_argument("--keep-personal", action="store_true",
                     help="keep each file's contact person (name, e-mail, telephone), for "
                          "reminders to that person; by default they are not stored")
    ing.add_argument("--no-progress", action="store_true",
                     help="no progress bar even on a terminal")
    _scheduler_option(ing)
    stat = csub.add_parser("status", help="response rate, outstanding and overdue suppliers, "
                                          "submissions by status, smelters still to resolve")
    stat.set_defaults(run="campaign:run_status")
    _store_options(stat)
    stat.add_argument("--today", type=_day, default=None, metavar="DATE",
                      help="the date to measure the due date against (default: today)")
    stat.add_argument("--json", action="store_true", help="the status as JSON")
    rem = csub.add_parser("remind", help="draft a reminder (text and .eml) for each supplier "
                                         "that has not answered or must fix its file; nothing "
                                         "is sent")
    rem.set_defaults(run="campaign:run_remind")
    _store_options(rem)
    rem.add_argument("-o", "--out", type=Path, default=Path("reminders"),
                     help="output folder (default: ./reminders)")
    rem.add_argument("--from", dest="sender", type=_sender, default=None, metavar="ADDRESS",
                     help="the sender of the drafts, e.g. 'Compliance <compliance@example.com>' "
                          "(From and signature)")
    rem.add_argument("--today", type=_day, default=None, metavar="DATE",
                     help="the date to measure the due date against (default: today)")
    cons = csub.add_parser("consolidate", help="the consolidation of every submission the "
                                               "campaign holds, written as consolidate writes it")
    cons.set_defaults(run="campaign:run_consolidate")
    _store_options(cons)
    cons.add_argument("-o", "--out", type=Path, default=Path("consolidation"),
                      help="output folder (default: ./consolidation)")
    cons.add_argument("--previous-campaign", default=None, metavar="NAME",
                      help="a campaign of the same store (its latest consolidation), to list "
                           "what changed since")
    _reference_option(cons, among="the campaign's files")
    _list_options(cons)
    forget = csub.add_parser("forget", help="erase the personal data the campaign holds of a "
                                            "supplier, and say what was removed")
    forget.set_defaults(run="campaign:run_forget")
    _store_options(forget)
    forget.add_argument("supplier", help="its name on the roster, an alias or its unique ID")
    forget.add_argument("--json", action="store_true", help="what was removed, as JSON")


def _risk_inputs(p: argparse.ArgumentParser, cahra: bool = True) -> None:
    """The upstream files a risk register reads, besides the consolidation."""
    p.add_argument("--incidents", type=Path,
                   help="ITSCI incident records (CSV or XLSX, the layout of "
                        "mineral_compliance.upstream.itsci)")
    if cahra:
        p.add_argument("--ipis", type=Path, help="IPIS mine-site open data (CSV), to link "
                                                 "the mines suppliers declare")
        p.add_argument("--cahra", type=Path, help="the EU CAHRA list (JSON)")


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


def _origin_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--origin", type=Path, metavar="FILE",
                   help="country-of-origin data per smelter (CSV or XLSX: smelter ID, then "
                        "countries of origin or an aggregated level), joined to the "
                        "identified facilities by smelter ID")


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
    p.add_argument("--as-of", type=_day, default=None, metavar="DATE",
                   help="read statuses as of this date (YYYY-MM-DD): a conformance that ran "
                        "out before it is status-expired and not counted as conformant, one "
                        "running out before the following 31 May is status-expiring "
                        "(default: 31 December of last year, the end of the calendar year a "
                        "Form SD filed this year reports on)")
    p.add_argument("--cache-dir", type=Path,
                   default=Path.home() / ".cache" / "mineral-compliance",
                   help="where downloaded lists are kept (asked again only if changed)")
