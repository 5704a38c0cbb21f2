"""Smelter matching: accuracy on real published smelter lists, and speed on 10,000 rows.

Accuracy. Three SEC Conflict Minerals Reports (honda, rockwellautomation, skyworkssolutions in
../shared/reference/filings) tabulate metal, smelter name, mostly country, and the published
RMI smelter ID. The ID is hidden; name, country and metal are matched against the Smelter
Look-up of CMRT 6.4 and of CMRT 6.5, and the result is compared with the published ID:

* precision: of the rows the matcher accepts automatically, the share given the published ID;
* recall: of the rows whose published ID the reference list contains, the share accepted with
  that ID;
* rows whose published ID the reference does not contain must not be accepted as another
  facility; each such acceptance is listed with the reference's own evidence for it.

The same is measured for what a user would otherwise write: RapidFuzz ``extractOne`` over all
reference names of the metal, accepting at score 90 (blind fuzzy matching).

Speed. 10,000 declared rows drawn from the filings (names re-cased, suffixes varied, one in
five mistyped) are matched against CMRT 6.5, on a cold matcher, and against the blind-fuzzy
baseline; median of five runs, with the ratio.

Run: ``python bench/bench_match.py``. Not part of the test suite.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _filings import FilingRow, load_filing_rows
from mineral_compliance.models import SmelterReference
from mineral_compliance.models.matching import DeclaredSmelter
from mineral_compliance.names import metal_key, name_key, sorted_key
from mineral_compliance.refdata import SmelterMatcher
from mineral_compliance.templates import reference_from_template

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference"
TEMPLATES = {"6.4": "RMI_CMRT_6.4.xlsx", "6.5": "RMI_CMRT_6.5_(Security C) (1).xlsx"}
BLIND_CUTOFF = 90.0

Matcher = Callable[[DeclaredSmelter], str | None]
"""Declared row -> accepted smelter ID (None: not accepted)."""


def evaluation_rows(rows: Sequence[FilingRow]) -> list[FilingRow]:
    """Rows with a published RMI ID that their name does not give away."""
    return [r for r in rows if r.cid and r.cid not in r.name]


def declared(r: FilingRow) -> DeclaredSmelter:
    country = None if (r.country or "").strip().upper() == "UNKNOWN" else r.country
    return DeclaredSmelter(metal=r.metal, name=r.name, country=country)


def ours(reference: SmelterReference) -> Matcher:
    matcher = SmelterMatcher(reference)

    def run(row: DeclaredSmelter) -> str | None:
        result = matcher.match(row)
        return result.smelter_id if result.accepted else None
    return run


def blind_fuzzy(reference: SmelterReference) -> Matcher:
    by_metal: dict[str, tuple[list[str], list[str]]] = {}
    for e in reference.entries:
        mk = metal_key(e.metal)
        if mk and e.smelter_id:
            names, ids = by_metal.setdefault(mk, ([], []))
            names.append(e.lookup_name)
            ids.append(e.smelter_id)

    def run(row: DeclaredSmelter) -> str | None:
        names, ids = by_metal.get(metal_key(row.metal) or "", ([], []))
        hit = process.extractOne(row.name or "", names, scorer=fuzz.WRatio,
                                 score_cutoff=BLIND_CUTOFF)
        return ids[hit[2]] if hit else None
    return run


def accuracy(name: str, match: Matcher, reference: SmelterReference,
             rows: Sequence[FilingRow], matcher: SmelterMatcher | None) -> None:
    known = reference.smelter_ids
    accepted = correct = in_reference = found = 0
    absent_accepted: list[tuple[FilingRow, str]] = []
    for r in rows:
        got = match(declared(r))
        in_reference += r.cid in known
        if got is None:
            continue
        accepted += 1
        if got == r.cid:
            correct += 1
            found += 1
        elif r.cid not in known:
            absent_accepted.append((r, got))
    precision = correct / accepted if accepted else 0.0
    recall = found / in_reference if in_reference else 0.0
    print(f"  {name:<22} accepted {accepted:>4}  precision {precision:7.2%}  "
          f"recall {recall:7.2%}  absent-ID rows accepted {len(absent_accepted)}")
    if matcher is None:
        return
    for r, got in absent_accepted:
        result = matcher.match(declared(r))
        names = {e.lookup_name for e in reference.by_id(got)}
        same = [n for n in names if sorted_key(n) == sorted_key(r.name)]
        evidence = ("the reference lists this very name for it" if r.name.strip() in names
                    else f"the reference lists '{same[0]}' for it" if same
                    else f"via {result.grade.value}")
        print(f"      {r.source}:{r.table_row} {r.metal} '{r.name}' published {r.cid} "
              f"(absent from the reference); accepted {got} {result.standard_name!r}: "
              f"{evidence}")


def speed_rows(rows: Sequence[FilingRow], n: int = 10_000, seed: int = 7) -> list[DeclaredSmelter]:
    rng = random.Random(seed)
    suffixes = ["", " Co., Ltd.", " Ltd", " Corporation", " GmbH", " S.A."]
    out = []
    for i in range(n):
        r = rng.choice(rows)
        name = r.name
        if i % 3 == 0:
            name = name.upper()
        if i % 4 == 0:
            name = name_key(name).title() + rng.choice(suffixes)
        if i % 5 == 0 and len(name) > 6:  # a typo
            k = rng.randrange(1, len(name) - 1)
            name = name[:k] + name[k + 1] + name[k] + name[k + 2:]
        out.append(DeclaredSmelter(metal=r.metal, name=name, country=r.country, row=i + 1))
    return out


def timed(build: Callable[[], Matcher], rows: Sequence[DeclaredSmelter]) -> float:
    times = []
    for _ in range(5):
        match = build()  # cold: no cached results from the previous run
        start = time.perf_counter()
        for row in rows:
            match(row)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    if not SHARED.is_dir():
        print(f"{SHARED} is not present; nothing to measure")
        return 1
    rows = evaluation_rows(load_filing_rows(SHARED / "filings"))
    print(f"{len(rows)} published smelter rows with an RMI ID (honda, rockwellautomation, "
          "skyworkssolutions)")
    references = {v: reference_from_template(SHARED / "cmrt" / f) for v, f in TEMPLATES.items()}
    for version, ref in references.items():
        print(f"\nagainst the CMRT {version} Smelter Look-up ({len(ref.smelter_ids)} IDs, "
              f"sha256 {ref.sha256[:12]})")
        accuracy("mineral_compliance", ours(ref), ref, rows, SmelterMatcher(ref))
        accuracy(f"blind fuzzy (>= {BLIND_CUTOFF:.0f})", blind_fuzzy(ref), ref, rows, None)
    ref = references["6.5"]
    sample = speed_rows(rows)
    t_ours = timed(lambda: ours(ref), sample)
    t_blind = timed(lambda: blind_fuzzy(ref), sample)
    print(f"\nspeed, {len(sample)} rows against CMRT 6.5, median of 5 cold runs:")
    print(f"  mineral_compliance     {t_ours * 1000:8.1f} ms   1.0x")
    print(f"  blind fuzzy            {t_blind * 1000:8.1f} ms   {t_blind / t_ours:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
