"""``report dodd-frank``, ``report eu``, ``report html``: documents drawn from a
consolidation."""

from __future__ import annotations

import argparse
import datetime as dt

from .._io.run import write_documents
from .._words import counted
from ..consolidation import compare, load_consolidation
from ..disclosures import determine, report_data, write_dodd_frank
from ..disclosures.battery import battery_scope
from ..disclosures.documents import PUBLIC_FILES
from ..disclosures.eu import load_annex
from ..disclosures.eu import scope as eu_scope
from ..disclosures.eu_report import PUBLIC_FILES as EU_PUBLIC_FILES
from ..disclosures.eu_report import write_eu
from ..errors import MineralComplianceError
from ..refdata import load_cahra
from ..upstream import OriginData, load_ipis, load_origin
from ._common import failed, profile_for
from .risk import register_for


def _origin_notes(origin: OriginData | None) -> None:
    """What became of the origin data's rows, so that none is dropped unseen."""
    if origin is None:
        return
    print(f"origin data: {counted(origin.snapshot.rows, 'row')} read from "
          f"{origin.snapshot.source}")
    for p in origin.problems:
        print(f"  row {p.row}: not read: {p.message}")


def run_dodd_frank(args: argparse.Namespace) -> int:
    try:
        result = load_consolidation(args.consolidation)
        profile = profile_for(args.profile, result)
        origin = load_origin(args.origin) if args.origin else None
        register = register_for(result, args)
    except MineralComplianceError as exc:
        return failed(exc)
    _origin_notes(origin)
    decision = determine(profile, result, origin)
    written = write_dodd_frank(profile, result, args.out, origin, register)
    print(f"calendar year {profile.reporting_year}: Form SD "
          f"{'required' if decision.form_sd_required else 'not required'}, Conflict "
          f"Minerals Report {'required' if decision.report_required else 'not required'}; "
          f"due {decision.filing_deadline.isoformat()}")
    for m in decision.metals:
        state = ("not in scope" if not m.in_scope else "excluded (pre-2013 stock)"
                 if m.excluded_pre_2013 else f"{m.rcoi.value if m.rcoi else '-'}, due "
                 f"diligence {'required' if m.due_diligence_required else 'not required'}")
        print(f"  {m.metal:<9} {state}")
    draft = report_data(profile, result, decision, origin, register).public
    if draft.origin:
        print(f"origin data joined by smelter ID: {counted(draft.origin.rows_not_used, 'row')} "
              "for smelters not among the facilities identified (not used)")
        for o in draft.origin.metals:
            print(f"  {o.metal:<9} {o.with_data} of {o.facilities} facilities, "
                  f"{o.covered} with covered-country origin")
    print(f"the company must still write {len(draft.checklist)} statements (checklist.md):")
    for s in draft.checklist:
        print(f"  - [ ] **{s.title}**: {s.guidance}")
    if draft.actions:
        print("before filing (checklist.md):")
        for a in draft.actions:
            print(f"  - [ ] {a.title}: {a.detail}")
    print(f"written to {args.out}: {', '.join(p.name for p in written)}")
    print(f"public (to file): {', '.join(p.name for p in written if p.name in PUBLIC_FILES)}")
    print(f"internal audit trail (confidential, not for filing): {args.out / 'audit-trail.html'}")
    return 0


def run_eu(args: argparse.Namespace) -> int:
    try:
        result = load_consolidation(args.consolidation)
        profile = profile_for(args.profile, result)
        imports = (eu_scope(args.imports, load_annex(args.annex) if args.annex else None)
                   if args.imports else None)
        cahra = load_cahra(args.cahra) if args.cahra else None
        ipis = load_ipis(args.ipis) if args.ipis else None
        origin = load_origin(args.origin) if args.origin else None
        register = register_for(result, args, cahra=cahra, ipis=ipis)
    except MineralComplianceError as exc:
        return failed(exc)
    _origin_notes(origin)
    written = write_eu(profile, result, args.out, imports, cahra, ipis.sites if ipis else (),
                       origin, register)
    print(f"written to {args.out}: {', '.join(p.name for p in written)}")
    print(f"public (to publish): {', '.join(EU_PUBLIC_FILES)}")
    print(f"internal audit trail (confidential): {args.out / 'eu-audit-trail.html'}")
    print("the company must still write the statements in eu-checklist.md")
    return 0


def run_battery(args: argparse.Namespace) -> int:
    from ..disclosures.battery import load_battery_rules
    from ..disclosures.battery_report import PUBLIC_FILES as BATTERY_PUBLIC_FILES
    from ..disclosures.battery_report import SLOTS, render_battery

    as_of = args.as_of or dt.date.today()
    try:
        result = load_consolidation(args.consolidation)
        profile = profile_for(args.profile, result)
        rules = load_battery_rules(args.rules)
        register = register_for(result, args)
        scope = battery_scope(profile, as_of, rules)
        files = render_battery(profile, result, as_of, rules, register, scope=scope)
    except MineralComplianceError as exc:
        return failed(exc)
    print(f"Chapter VII on {as_of.isoformat()}: {scope.status}"
          + (f" (from {scope.applies_from.isoformat()})" if scope.applies_from else "")
          + ("" if scope.confirmed else "; rests on values not yet checked against the act"))
    for step in scope.conclusions:
        print(f"  {step.question:<12} {step.answer_word:<9} {', '.join(step.articles)}")
    for need in scope.needed:
        print(f"  the profile must add: {need}")
    written = write_documents(args.out, files, name="battery")
    print(f"written to {args.out}: {', '.join(p.name for p in written)}")
    print(f"public (to publish): {', '.join(BATTERY_PUBLIC_FILES)}")
    print(f"verification pack (confidential): {args.out / 'battery-verification-pack.html'}")
    print(f"the company must still write {len(SLOTS)} statements (battery-checklist.md)")
    return 0


def run_html(args: argparse.Namespace) -> int:
    from ..review import write_report  # Jinja2: for this command only

    try:
        result = load_consolidation(args.consolidation)
        previous = load_consolidation(args.previous) if args.previous else None
    except MineralComplianceError as exc:
        return failed(exc)
    folder = args.consolidation if args.consolidation.is_dir() else args.consolidation.parent
    target = write_report(result, args.out or folder / "report.html",
                          comparison=compare(previous, result) if previous else None)
    print(f"review report: {target.resolve()}")
    return 0
