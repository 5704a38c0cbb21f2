"""``upstream summarize``: mine sites and Annex II risk indicators per area, from IPIS open
data."""

from __future__ import annotations

import argparse
import json

from .._words import counted
from ..errors import MineralComplianceError
from ..upstream import load_ipis, summarise
from ._common import failed


def run_summarize(args: argparse.Namespace) -> int:
    try:
        data = load_ipis(args.file)
    except MineralComplianceError as exc:
        return failed(exc)
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
