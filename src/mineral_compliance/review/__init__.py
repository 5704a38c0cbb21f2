"""The review report: one self-contained HTML file per consolidation.

It opens from disk in any browser with nothing fetched: styles, the small sorting and
filtering script and the charts (inline SVG) are all in the file. A Content Security Policy
forbids anything else; it names the hashes of the one style sheet and the one script, so no
other script could run even if one got into the page. Every text that comes from supplier
data is escaped by the template engine (Jinja2 with autoescaping), so a company name cannot
become markup. Tables are plain HTML and read in full without the script; with it, column
headings sort and a box above each table filters its rows.

Every figure in the page is computed here from the consolidation (and the comparison with the
previous one, when given), so the page and ``consolidation.json`` agree by construction; the
key figures carry ``data-figure`` attributes for tools that read the page.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from .. import __version__
from ..findings import Severity
from ..models.consolidation import Comparison, Consolidation, FileStatus
from ..models.matching import StatusKind
from ..outputs import write_atomic

__all__ = ["render_report", "write_report"]

STATUS_ORDER = (StatusKind.CONFORMANT, StatusKind.ACTIVE, StatusKind.NON_CONFORMANT,
                StatusKind.NOT_ENROLLED, StatusKind.UNKNOWN)
EXPOSURE_ORDER = ("covered country", "CAHRA", "CAHRA (region unknown)", "neither")
FILE_STATUS_ORDER = (FileStatus.VALID, FileStatus.WARNINGS, FileStatus.ERRORS,
                     FileStatus.UNREADABLE, FileStatus.SUPERSEDED)


@dataclass(frozen=True)
class _Segment:
    label: str
    count: int
    x: float
    width: float
    css: str


@dataclass(frozen=True)
class _Bar:
    label: str
    total: int
    segments: tuple[_Segment, ...]
    counts: dict[str, int]


def _bars(counts: dict[str, Counter[str]], order: tuple[str, ...],
          css: dict[str, str]) -> tuple[_Bar, ...]:
    """Horizontal stacked bars, one per metal, scaled to the largest total (100 units)."""
    largest = max((sum(c.values()) for c in counts.values()), default=0) or 1
    bars = []
    for metal in sorted(counts, key=str.casefold):
        x = 0.0
        segments = []
        for label in order:
            n = counts[metal].get(label, 0)
            if not n:
                continue
            width = 100.0 * n / largest
            segments.append(_Segment(label, n, round(x, 3), round(width, 3), css[label]))
            x += width
        bars.append(_Bar(metal, sum(counts[metal].values()), tuple(segments),
                         dict(counts[metal])))
    return tuple(bars)


def _exposure(flags: tuple[str, ...]) -> str:
    if "covered-country" in flags:
        return "covered country"
    if "cahra" in flags:
        return "CAHRA"
    if "cahra-region" in flags:
        return "CAHRA (region unknown)"
    return "neither"


def _css_name(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("mineral_compliance", "review"),
                      autoescape=select_autoescape(["html", "j2"], default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["basename"] = lambda p: Path(str(p).split("!")[-1]).name
    return env


def render_report(c: Consolidation, *, comparison: Comparison | None = None,
                  title: str = "Supplier template review") -> str:
    """The review report of ``c`` as one HTML document."""
    summary = c.summary()
    status_counts: dict[str, Counter[str]] = {}
    exposure_counts: dict[str, Counter[str]] = {}
    for s in c.smelters:
        status_counts.setdefault(s.metal, Counter())[s.status.value] += 1
        exposure_counts.setdefault(s.metal, Counter())[_exposure(s.flags)] += 1
    status_css = {k.value: f"status-{k.value}" for k in STATUS_ORDER}
    exposure_css = {k: f"exposure-{_css_name(k)}" for k in EXPOSURE_ORDER}
    findings = Counter(x.severity.value for f in c.files for x in f.findings)
    package = resources.files("mineral_compliance.review")
    css = (package / "report.css").read_text(encoding="utf-8")
    script = (package / "report.js").read_text(encoding="utf-8")
    return _environment().get_template("report.html.j2").render(
        title=title, version=__version__, c=c, summary=summary, comparison=comparison,
        changes=comparison.summary() if comparison else None,
        file_statuses=[s.value for s in FILE_STATUS_ORDER],
        status_bars=_bars(status_counts, tuple(status_css), status_css),
        exposure_bars=_bars(exposure_counts, EXPOSURE_ORDER, exposure_css),
        status_legend=list(status_css.items()), exposure_legend=list(exposure_css.items()),
        severities=[s.value for s in Severity], findings=findings,
        exposed=sum(1 for s in c.smelters if _exposure(s.flags) != "neither"),
        files=sorted(c.files, key=lambda f: (FILE_STATUS_ORDER.index(f.status), f.file)),
        smelters=sorted(c.smelters, key=lambda s: (s.metal.casefold(), s.name.casefold())),
        css=css, script=script, style_hash=_csp_hash(css), script_hash=_csp_hash(script))


def _csp_hash(text: str) -> str:
    """The Content Security Policy source for exactly this inline text: nothing else, an
    injected script least of all, would run."""
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def write_report(c: Consolidation, path: str | Path, *,
                 comparison: Comparison | None = None) -> Path:
    """Write the review report to ``path`` (atomically) and return the path."""
    target = Path(path)
    write_atomic(target, render_report(c, comparison=comparison).encode("utf-8"))
    return target
