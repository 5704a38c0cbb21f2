"""Start-up benchmark: what importing the package and asking the command for its version cost.

Each case is a fresh interpreter started as a subprocess, so the time is the whole start-up a
user waits for: ``python -c pass`` (the interpreter alone), ``import mineral_compliance``,
``python -m mineral_compliance --version``, and, side by side, what a user reading a template
without this package would load first: ``import openpyxl`` and ``import pandas`` (skipped,
with a note, when pandas is not installed). The cases run in turn, round after round, so that
a change in the machine's load falls on all of them alike; the median and the minimum of the
rounds are printed as a Markdown table, then checked against the targets: importing the
package in at most 100 ms, ``--version`` in at most 150 ms (medians).

The package measured is this checkout's (``src/`` first on ``PYTHONPATH``).

Run: ``python bench/bench_import.py [--repeat N]``. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CASES: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "import mineral_compliance": ["-c", "import mineral_compliance"],
    "mineral-compliance --version": ["-m", "mineral_compliance", "--version"],
    "import openpyxl": ["-c", "import openpyxl"],
    "import pandas": ["-c", "import pandas"],
}
TARGETS = {"import mineral_compliance": 0.100, "mineral-compliance --version": 0.150}
BASELINE = "python -c pass"
OURS = "import mineral_compliance"


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _once(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    env = _environment()
    cases = dict(CASES)
    notes = []
    for name, module in (("import openpyxl", "openpyxl"), ("import pandas", "pandas")):
        if importlib.util.find_spec(module) is None:
            del cases[name]
            notes.append(f"{name}: skipped, {module} is not installed")
    for case in cases.values():  # warm the file cache and the bytecode of every case
        _once(case, env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.repeat):
        for name, case in cases.items():
            times[name].append(_once(case, env))
    medians = {name: statistics.median(t) for name, t in times.items()}
    base, ours = medians[BASELINE], medians[OURS]
    print(f"{sys.executable} (Python {sys.version.split()[0]}), {args.repeat} rounds, each "
          "case a fresh interpreter\n")
    print("| case | median ms | min ms | above bare python, ms | vs import mineral_compliance |")
    print("|---|---:|---:|---:|---:|")
    for name, t in times.items():
        print(f"| `{name}` | {medians[name] * 1000:.1f} | {min(t) * 1000:.1f} | "
              f"{(medians[name] - base) * 1000:.1f} | {medians[name] / ours:.2f}x |")
    for note in notes:
        print(f"\n{note}")
    print()
    met = True
    for name, target in TARGETS.items():
        verdict = "MEETS" if medians[name] <= target else "MISSES"
        met = met and medians[name] <= target
        print(f"`{name}` {verdict} the {target * 1000:.0f} ms target "
              f"(median {medians[name] * 1000:.1f} ms, min {min(times[name]) * 1000:.1f} ms)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
