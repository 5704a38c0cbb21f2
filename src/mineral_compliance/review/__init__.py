"""The review report: one self-contained HTML file per consolidation.

It opens from disk in any browser with nothing fetched: styles, the small sorting and
filtering script and the charts (inline SVG) are all in the file. A Content Security Policy
forbids anything else; it names the hashes of the one style sheet and the one script, so no
other script could run even if one got into the page. Every text that comes from supplier
data is escaped by the template engine (Jinja2 with autoescaping), so a company name cannot
become markup. Characters that would act unseen are shown instead (see :func:`visible`):
a right-to-left override in a smelter name cannot reorder the page, a zero-width space or
a NUL cannot hide in a name; and each piece of supplier text sits in its own ``<bdi>``
(bidirectional isolation), so right-to-left text reads correctly without pulling the
figures beside it out of order. Tables are plain HTML and read in full without the script;
with it, column headings sort and a box above each table filters its rows.

Every figure in the page is computed here from the consolidation (and the comparison with the
previous one, when given), so the page and ``consolidation.json`` agree by construction; the
key figures carry ``data-figure`` attributes for tools that read the page.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from .._io.run import output_run, write_atomic
from .._io.text import scrub
from .._version import __version__
from ..models.consolidation import Comparison, Consolidation, FileStatus
from ..models.findings import Severity
from ..models.matching import Flag, StatusKind
from ..templates.releases import describe_accepted
from ..upstream.risk import CATEGORY_TITLES, DEFAULT_CATEGORY, RiskRegister

__all__ = ["render_report", "render_risk_register", "visible", "write_report"]

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


def _exposure(flags: tuple[Flag, ...]) -> str:
    if Flag.COVERED_COUNTRY in flags:
        return "covered country"
    if Flag.CAHRA in flags:
        return "CAHRA"
    if Flag.CAHRA_REGION in flags:
        return "CAHRA (region unknown)"
    return "neither"


def _css_name(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


_KEPT_FORMAT = {"\u200c", "\u200d"}
"""Zero-width non-joiner and joiner: format characters that Persian, Indic scripts and emoji
need to be written correctly; they cannot reorder text."""

_HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891"
    "\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\U000110bd"
    "\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e007f]")
"""Every control (Cc) and format (Cf) character, and a few unassigned neighbours that
:func:`_shown` passes through (a test checks the class against the Unicode database)."""


def _shown(match: re.Match[str]) -> str:
    ch = match.group()
    cp = ord(ch)
    if cp < 0x20:
        return chr(0x2400 + cp)
    if cp == 0x7F:
        return "\u2421"
    if ch in _KEPT_FORMAT or unicodedata.category(ch) not in ("Cc", "Cf"):
        return ch
    return f"[U+{cp:04X}]"


def visible(text: str) -> str:
    """``text`` as the report shows it: lone surrogates as U+FFFD; C0 controls (other than
    tab and newline) as their control pictures (U+2400 to U+241F, DEL as U+2421); other
    control and format characters (C1 controls, bidirectional embeddings, overrides, isolates
    and marks, zero-width space, word joiner, byte order mark, tag characters...) as
    ``[U+XXXX]``, so nothing in supplier text acts on the page unseen. Zero-width joiner and
    non-joiner are kept (scripts need them)."""
    text = scrub(text)
    return _HIDDEN.sub(_shown, text) if _HIDDEN.search(text) else text


def _finalize(value: object) -> object:
    """Every expression the template prints: text made visible (markup the template built
    itself passes through)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


def _bdi(value: object) -> Markup:
    """Supplier text, made visible, escaped and isolated in its own ``<bdi>``; nothing for
    None or empty text."""
    if value is None or value == "":
        return Markup("")
    return Markup("<bdi>{}</bdi>").format(escape(visible(str(value))))


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("mineral_compliance", "review"),
                      autoescape=select_autoescape(["html", "j2"], default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, finalize=_finalize)
    env.filters["basename"] = lambda p: Path(str(p).split("!")[-1]).name
    env.filters["bdi"] = _bdi
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
        accepted=describe_accepted(c.accepted_versions),
        changes=comparison.summary() if comparison else None,
        file_statuses=[s.value for s in FILE_STATUS_ORDER],
        status_bars=_bars(status_counts, tuple(status_css), status_css),
        exposure_bars=_bars(exposure_counts, EXPOSURE_ORDER, exposure_css),
        status_legend=list(status_css.items()), exposure_legend=list(exposure_css.items()),
        severities=[s.value for s in Severity], findings=findings,
        with_history=any(s.history for s in c.smelters),
        exposed=sum(1 for s in c.smelters if _exposure(s.flags) != "neither"),
        files=sorted(c.files, key=lambda f: (FILE_STATUS_ORDER.index(f.status), f.file)),
        smelters=sorted(c.smelters, key=lambda s: (s.metal.casefold(), s.name.casefold())),
        css=css, script=script, style_hash=_csp_hash(css), script_hash=_csp_hash(script))


def render_risk_register(register: RiskRegister,
                         title: str = "Risk register") -> str:
    """The risk register as one self-contained HTML page, with the review report's styles,
    script and Content Security Policy (it names suppliers: internal)."""
    package = resources.files("mineral_compliance.review")
    css = (package / "report.css").read_text(encoding="utf-8")
    script = (package / "report.js").read_text(encoding="utf-8")
    return _environment().get_template("risk-register.html.j2").render(
        title=title, version=__version__, register=register, summary=register.summary(),
        counts=register.counts(), titles=CATEGORY_TITLES, default=DEFAULT_CATEGORY,
        css=css, script=script, style_hash=_csp_hash(css), script_hash=_csp_hash(script))


def _csp_hash(text: str) -> str:
    """The Content Security Policy source for exactly this inline text: nothing else, an
    injected script least of all, would run."""
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def write_report(c: Consolidation, path: str | Path, *,
                 comparison: Comparison | None = None) -> Path:
    """Write the review report to ``path`` and return the path: as part of the enclosing
    output run, or as a run of its own in the report's folder, named after the report's file
    (so other files there, other reports included, are left alone)."""
    target = Path(path)
    text = render_report(c, comparison=comparison)
    with output_run(target.parent, name=f"report {target.name}"):
        write_atomic(target, text)
    return target
