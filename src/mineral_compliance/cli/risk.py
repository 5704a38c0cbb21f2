"""``upstream risk``: the risk register of a consolidation, from its own data and the
upstream files given (ITSCI incidents, IPIS mine sites, the CAHRA list)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .._io.run import output_run, write_atomic
from .._io.text import json_bytes
from .._words import counted
from ..consolidation import load_consolidation
from ..errors import MineralComplianceError
from ..models.consolidation import Consolidation
from ..models.matching import Snapshot
from ..refdata import CahraList, load_cahra
from ..upstream import (
    Incident,
    MineSite,
    RiskRegister,
    build_risk_register,
    load_incidents,
    load_ipis,
)
from ..upstream.ipis import IpisData
from ..upstream.risk import CATEGORY_TITLES, register_csv
from ._common import failed

__all__ = ["register_for", "run_risk"]


def register_for(c: Consolidation, args: argparse.Namespace, *,
                 cahra: CahraList | None = None, ipis: IpisData | None = None) -> RiskRegister:
    """The register of ``c`` with the ``--incidents``, ``--ipis`` and ``--cahra`` files
    given (``cahra`` and ``ipis``: those files, when the command has read them already); the
    rows of those files that cannot be read are listed in it."""
    snapshots: list[Snapshot] = []
    unreadable: list[str] = []
    incidents: tuple[Incident, ...] = ()
    if getattr(args, "incidents", None):
        read = load_incidents(args.incidents)
        incidents = read.incidents
        snapshots.append(read.snapshot)
        unreadable += [f"{args.incidents}: row {n}: {why}" for n, why in read.invalid]
    sites: tuple[MineSite, ...] = ()
    if getattr(args, "ipis", None):
        data = ipis or load_ipis(args.ipis)
        sites = data.sites
        snapshots.append(data.snapshot)
        unreadable += [f"{args.ipis}: row {n}: {why}" for n, why in data.invalid]
    if cahra is None and getattr(args, "cahra", None):
        cahra = load_cahra(args.cahra)
    return build_risk_register(c, incidents=incidents, sites=sites, cahra=cahra,
                               snapshots=snapshots, unreadable=unreadable)


def run_risk(args: argparse.Namespace) -> int:
    from ..review import render_risk_register  # Jinja2: for this command only

    try:
        c = load_consolidation(args.consolidation)
        register = register_for(c, args)
    except MineralComplianceError as exc:
        return failed(exc)
    folder = Path(args.out)
    with output_run(folder, name="risk-register"):
        write_atomic(folder / "risk-register.csv", register_csv(register))
        write_atomic(folder / "risk-register.json", json_bytes(register.model_dump(mode="json")))
        write_atomic(folder / "risk-register.html", render_risk_register(register))
    open_risks = sum(r.status == "open" for r in register.risks)
    print(f"{counted(len(register.risks), 'risk')} ({open_risks} open), "
          f"{sum(r.category_default for r in register.risks)} in the default category:")
    for (category, response), n in register.counts().items():
        if n:
            print(f"  Annex II ({category.value}) {CATEGORY_TITLES[category]}: {n}, "
                  f"{response.value}")
    for line in register.unreadable:
        print(f"  unreadable: {line}")
    print(f"written to {folder}: risk-register.csv, risk-register.json, risk-register.html")
    return 0
