"""``campaign``: a store of every supplier response of a campaign. ``init`` creates it with
its roster, ``ingest`` stores the files as they come in, ``status`` says where it stands,
``remind`` drafts the reminders, ``consolidate`` writes what ``consolidate`` writes from what
the store holds, and ``forget`` erases a supplier's personal data.

Every command names the store with ``--db URL`` (default: ``sqlite:///campaign.db``) and,
where it holds several, the campaign with ``--campaign NAME``. A command other than
``init`` never creates a store: a SQLite file that does not exist is an error."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

from tqdm import tqdm

from .._words import counted
from ..errors import MineralComplianceError, StoreError
from ..outputs import write_consolidation
from ..store import DEFAULT_URL, Campaign, CampaignStatus, store_file
from ..templates import reference_from_template
from ._common import executor_from, load_lists, no_input
from .consolidate import print_consolidation


def _failed(exc: MineralComplianceError) -> int:
    """Say in one line why the command cannot proceed (a database's own message can run to
    several: its first line, and the hint); the exit code for it."""
    lines = str(exc).splitlines() or [type(exc).__name__]
    text = lines[0].rstrip()
    if exc.hint and exc.hint not in text:
        text += f" ({exc.hint})"
    print(f"error: {text}", file=sys.stderr)
    return 2


def _url(args: argparse.Namespace) -> str:
    return str(args.db or DEFAULT_URL)


def _open(args: argparse.Namespace) -> Campaign:
    """The campaign the command names, in a store that must exist."""
    url = _url(args)
    path = store_file(url)
    if path is not None and not path.exists():
        raise StoreError(f"there is no store at {path}",
                         hint="create one with 'mineral-compliance campaign init', or name "
                              "another with --db URL")
    return Campaign.open(url, args.campaign)


def _shown_url(campaign: Campaign) -> str:
    return campaign.engine.url.render_as_string(hide_password=True)


def run_init(args: argparse.Namespace) -> int:
    try:
        campaign = Campaign.create(_url(args), name=args.name, year=args.year,
                                   roster=args.roster or (), due=args.due,
                                   families=args.families, accept=args.accept)
    except MineralComplianceError as exc:
        return _failed(exc)
    try:
        info, state = campaign.info, campaign.status()
        due = f"due {info.due.isoformat()}" if info.due else "no due date"
        print(f"created campaign {info.name} (reporting year {info.year}, {due}) in "
              f"{_shown_url(campaign)}: {counted(state.roster, 'supplier')} on the roster")
        print(f"families asked for: {', '.join(info.families)}; template versions accepted: "
              f"{info.accept.describe()}")
        named = {k.value for k in info.accept.families()}
        for family in (f for f in info.families if f not in named):
            print(f"warning: --accept names no {family} version: every {family} file will get "
                  "template-version-not-accepted", file=sys.stderr)
        if not state.roster:
            print("note: no roster given: response rates and reminders need one (a new "
                  "campaign with --roster)", file=sys.stderr)
    finally:
        campaign.close()
    return 0


def run_ingest(args: argparse.Namespace) -> int:
    show = not args.no_progress and sys.stderr.isatty()

    def progress(results: Iterator[Any], total: int) -> Iterator[Any]:
        return iter(tqdm(results, total=total, desc="reading", unit="file",
                         disable=not show or total < 2, file=sys.stderr))

    try:
        campaign = _open(args)
    except MineralComplianceError as exc:
        return _failed(exc)
    try:
        with executor_from(args) as executor:
            report = campaign.ingest(args.paths, keep_personal=args.keep_personal,
                                     progress=progress, executor=executor)
    except MineralComplianceError as exc:
        return _failed(exc)
    finally:
        campaign.close()
    if not report.files:
        return no_input(args.paths)
    for f in report.files:
        if f.outcome in ("new", "resubmitted"):
            print(f"  {f.outcome:<11} {f.label}")
        elif f.outcome == "unreadable":
            print(f"  unreadable  {f.message or f.label}", file=sys.stderr)
    s = report.summary()
    print(f"{campaign.name}: {counted(len(report.files), 'file')}: {s['new']} new, "
          f"{s['resubmitted']} resubmitted, {s['unchanged']} unchanged, "
          f"{s['unreadable']} unreadable")
    if args.keep_personal:
        print("personal data kept: the contact person (name, e-mail, telephone) of each new "
              "file; 'campaign forget SUPPLIER' erases a supplier's")
    return 2 if s["unreadable"] else 0


def _status_lines(st: CampaignStatus) -> list[str]:
    due = "no due date"
    if st.due is not None:
        days = (st.due - st.today).days
        due = (f"due {st.due.isoformat()}, overdue by {counted(-days, 'day')}" if st.overdue
               else f"due {st.due.isoformat()}, in {counted(days, 'day')}")
    lines = [f"campaign {st.campaign} (reporting year {st.year}): {due}"]
    if st.response_rate is None:
        lines.append(f"responses: {st.responded} (no roster)")
    else:
        lines.append(f"responses: {st.responded} of {counted(st.roster, 'supplier')} on the "
                     f"roster ({st.response_rate:.0%})")
    if st.off_roster:
        lines.append(f"  and {counted(st.off_roster, 'file')} from suppliers the roster "
                     "does not name")
    by = st.submissions
    lines.append(f"submissions: {by['valid']} valid, {by['warnings']} with warnings, "
                 f"{by['errors']} with errors, {by['unreadable']} unreadable, "
                 f"{by['superseded']} superseded")
    label = "overdue" if st.overdue else "outstanding"
    lines.append(f"{label}: {counted(len(st.outstanding), 'supplier')}")
    for o in st.outstanding:
        what = ("no answer" if o.reason == "no-answer"
                else f"{counted(o.errors, 'error')} in {', '.join(o.files)}")
        lines.append(f"  {o.supplier}" + (f" <{o.email}>" if o.email else "") + f": {what}")
    if st.consolidated is None or st.smelters_to_resolve is None:
        lines.append("smelters to resolve: not consolidated yet ('campaign consolidate')")
    else:
        lines.append(f"smelters to resolve: {st.smelters_to_resolve} (needing review or "
                     f"rejected, as of the consolidation of "
                     f"{st.consolidated.strftime('%Y-%m-%d %H:%M')})")
    return lines


def run_status(args: argparse.Namespace) -> int:
    try:
        with _open(args) as campaign:
            st = campaign.status(today=args.today)
    except MineralComplianceError as exc:
        return _failed(exc)
    if args.json:
        print(json.dumps(st.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        print("\n".join(_status_lines(st)))
    return 0


_REASONS = {"no-answer": "has not answered", "errors": "to correct its file",
            "version": "to resend on an accepted template version"}


def run_remind(args: argparse.Namespace) -> int:
    try:
        with _open(args) as campaign:
            report = campaign.remind(args.out, today=args.today, sender=args.sender)
    except MineralComplianceError as exc:
        return _failed(exc)
    print(f"{counted(len(report.reminders), 'reminder')} drafted in {args.out} (nothing was "
          f"sent): {report.count('no-answer')} not answered, {report.count('errors')} to "
          f"correct, {report.count('version')} on a version not accepted")
    for r in report.reminders:
        to = r.to or (f"no address: {r.address_problem}" if r.address_problem
                      else "no address known")
        print(f"  {r.supplier} ({_REASONS[r.reason]}): {to}")
    if any(r.to is None for r in report.reminders):
        print("note: a draft without an address needs one added before it is sent (or the "
              "supplier's e-mail in the roster)", file=sys.stderr)
    if report.unreadable:
        print(f"{counted(len(report.unreadable), 'file')} could not be read and name no "
              "supplier (no reminder drafted):", file=sys.stderr)
        for name in report.unreadable:
            print(f"  {name}", file=sys.stderr)
    if report.off_roster:
        print(f"{counted(len(report.off_roster), 'file')} with errors from suppliers the "
              "roster does not name (no reminder drafted):", file=sys.stderr)
        for name in report.off_roster:
            print(f"  {name}", file=sys.stderr)
    return 0


def run_consolidate(args: argparse.Namespace) -> int:
    try:
        lists = load_lists(args)
        references = [reference_from_template(p) for p in args.reference]
        campaign = _open(args)
    except MineralComplianceError as exc:
        return _failed(exc)
    try:
        result, changes = campaign.consolidate(
            references=references, legacy=lists.legacy, status_lists=lists.status_lists,
            cahra=lists.cahra, as_of=args.as_of, previous=args.previous_campaign)
    except MineralComplianceError as exc:
        return _failed(exc)
    finally:
        campaign.close()
    if not result.files:
        print(f"error: the campaign {campaign.name} holds no submission (add files with "
              "'campaign ingest')", file=sys.stderr)
        return 2
    written = write_consolidation(result, args.out, comparison=changes)
    print_consolidation(result, written, args.out, changes=changes,
                        since=f"campaign {args.previous_campaign}")
    return 2 if result.summary()["files_unreadable"] else 0


def run_forget(args: argparse.Namespace) -> int:
    try:
        with _open(args) as campaign:
            report = campaign.forget(args.supplier)
    except MineralComplianceError as exc:
        return _failed(exc)
    if args.json:
        print(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return 0
    print(f"erased the personal data {campaign.name} held of {report.supplier} "
          f"({counted(report.submissions, 'submission')} looked at):")
    print(f"  contact records removed (name, e-mail, telephone): {report.contacts_removed}")
    print(f"  findings that quoted them, now reading '[personal data not kept]': "
          f"{report.findings_scrubbed}")
    print("  roster e-mail address: " + ("removed" if report.roster_email_removed
                                         else "none was held"))
    return 0
