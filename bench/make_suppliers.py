"""Generate real-size supplier CMRTs for the consolidation benchmark.

Each file is the blank official CMRT 6.5 or 6.4 from ../shared/reference, filled by the
library's own cell patcher with synthetic, varied content: company block (no real person or
company), one to four metals in use, every question answered from the template's literals,
company questions A to H, products for product-scope declarations, and 5 to 60 Smelter List
rows drawn from the template's own Smelter Look-up, with some "Smelter not listed" and
"Smelter not yet identified" rows and some rows given by ID only. One supplier in ten also
sends an earlier declaration, which consolidation must list as superseded.

Run: ``python bench/make_suppliers.py [N] [--out bench/results/suppliers]`` (default 1,000;
files already there are kept). The output folder is not committed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from mineral_compliance.templates import reference_from_template
from mineral_compliance.templates._xlsx import CellInput, patch_cells
from mineral_compliance.templates.layouts.cmrt import CMRT_6_3

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "reference" / "cmrt"
BLANKS = [SHARED / "RMI_CMRT_6.5_(Security C) (1).xlsx", SHARED / "RMI_CMRT_6.4.xlsx"]
METALS = ("Tantalum", "Tin", "Gold", "Tungsten")
RATES = ("100%", "Greater than 90%", "Greater than 75%", "Greater than 50%", "50% or less")
WORDS = ("Precision", "Northern", "Harbor", "Summit", "Delta", "Orion", "Granite", "Vector")
KINDS = ("Components", "Electronics", "Metals", "Industries", "Assemblies")
FORMS = ("Ltd", "GmbH", "Inc.", "Co., Ltd.", "S.A.", "B.V.")


def _lookup(blank: Path) -> dict[str, list[tuple[str, str]]]:
    ref = reference_from_template(blank)
    out: dict[str, list[tuple[str, str]]] = {m: [] for m in METALS}
    for e in ref.entries:
        if e.metal in out and e.smelter_id and e.lookup_name == e.standard_name:
            out[e.metal].append((e.lookup_name, e.smelter_id))
    return out


def _edits(i: int, version: int, lookup: dict[str, list[tuple[str, str]]]
           ) -> dict[str, CellInput]:
    rng = random.Random(i * 7919 + version)
    name = (f"{rng.choice(WORDS)} {rng.choice(KINDS)} {i:04d} {rng.choice(FORMS)}")
    scope_b = rng.random() < 0.4
    d: dict[str, CellInput] = {
        "Declaration!D8": name,
        "Declaration!D9": "B. Product (or List of Products)" if scope_b else "A. Company",
        "Declaration!D12": f"EX-{i:05d}",
        "Declaration!D15": "Compliance Desk",
        "Declaration!D16": f"compliance@supplier{i}.example",
        "Declaration!D17": "+00 000 000 0000",
        "Declaration!D18": "Head of Compliance",
        "Declaration!D20": f"head.compliance@supplier{i}.example",
        "Declaration!D22": dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(300)
                                                              - 120 * version),
    }
    used = rng.sample(METALS, rng.randint(1, 4))
    for k, metal in enumerate(METALS):
        row = 26 + k
        yes = metal in used
        d[f"Declaration!D{row}"] = "Yes" if yes else "No"
        if not yes:
            continue
        d[f"Declaration!D{row + 6}"] = "Yes"
        for first in (38, 44, 50):
            d[f"Declaration!D{first + k}"] = rng.choice(("Yes", "No", "Unknown"))
        d[f"Declaration!D{56 + k}"] = rng.choice(RATES)
        d[f"Declaration!D{62 + k}"] = rng.choice(("Yes", "No"))
        d[f"Declaration!D{68 + k}"] = rng.choice(("Yes", "No"))
    for cq in CMRT_6_3.company_questions:  # A to H, each from its own drop-down literals
        d[f"Declaration!{cq.cell}"] = rng.choice(cq.choices)
    d["Declaration!D77"] = "Yes"
    d["Declaration!G77"] = f"https://supplier{i}.example/responsible-sourcing"
    if scope_b:
        for p in range(rng.randint(1, 5)):
            d[f"Product List!B{6 + p}"] = f"P-{i:04d}-{p}"
            d[f"Product List!C{6 + p}"] = f"Assembly {p}"
    row = 5
    picks = {m: rng.sample(lookup[m], min(len(lookup[m]), 60)) for m in used}
    for _ in range(rng.randint(5, 60)):
        metal = rng.choice(used)
        roll = rng.random()
        if roll < 0.05:
            d[f"Smelter List!B{row}"] = metal
            d[f"Smelter List!C{row}"] = "Smelter not listed"
            d[f"Smelter List!D{row}"] = f"{rng.choice(WORDS)} Refining Works {rng.randint(1, 99)}"
            d[f"Smelter List!E{row}"] = rng.choice(("PERU", "CHINA", "BRAZIL", "GERMANY"))
        elif roll < 0.08:
            d[f"Smelter List!B{row}"] = metal
            d[f"Smelter List!C{row}"] = "Smelter not yet identified"
        else:
            if not picks[metal]:
                continue
            lookup_name, cid = picks[metal].pop()
            if roll < 0.2:
                d[f"Smelter List!A{row}"] = cid  # by ID only: the template fills the rest
            else:
                d[f"Smelter List!B{row}"] = metal
                d[f"Smelter List!C{row}"] = lookup_name
        row += 1
    return d


def _make(job: tuple[int, int, str]) -> str:
    i, version, out = job
    target = Path(out) / f"supplier-{i:04d}{'-earlier' if version else ''}.xlsx"
    if target.exists():
        return target.name
    blank = BLANKS[i % 2]
    patch_cells(blank, _edits(i, version, _LOOKUPS[i % 2]), target)
    return target.name


_LOOKUPS: list[dict[str, list[tuple[str, str]]]] = []


def _init() -> None:
    _LOOKUPS.extend(_lookup(b) for b in BLANKS)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "suppliers")
    args = parser.parse_args()
    if not all(b.is_file() for b in BLANKS):
        print(f"the blank CMRT 6.4 and 6.5 in {SHARED} are needed")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    jobs = [(i, 0, str(args.out)) for i in range(args.n)]
    jobs += [(i, 1, str(args.out)) for i in range(0, args.n, 10)]  # earlier declarations
    with ProcessPoolExecutor(initializer=_init) as pool:
        for k, _name in enumerate(pool.map(_make, jobs, chunksize=8), start=1):
            if k % 100 == 0:
                print(f"{k} of {len(jobs)}", file=sys.stderr)
    print(f"{len(jobs)} files in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
