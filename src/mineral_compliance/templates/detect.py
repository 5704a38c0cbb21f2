"""Identify an RMI template's family and version from the workbook itself.

The family comes from the document title the RMI prints on the Revision sheet (a fixed English
literal, not one of the translated labels) and, when that is missing, from the sheet set. The
version comes from the revision cell of the Declaration sheet (``Revision 6.4\\nApril 26, 2024``
in J3); where RMI re-issued a release under a number of its own (CMRT 6.6.1 is 6.6 without
the RMI logo) and the cell names only the release, the file's properties may name the
re-issue. File names and translated label text are never used.

A release newer than every table of its major version (a later 6.x) is read with the nearest
earlier table only when the workbook matches that table's structure fingerprint
(:mod:`.fingerprint`) in every cell; otherwise it is refused, naming what differs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ..errors import UnknownTemplateError, UnsupportedVersionError
from ..models.declaration import TemplateKind
from ..models.values import Provenance
from ._xlsx import Workbook
from .fingerprint import describe, differences
from .layouts import LAYOUTS, Layout

__all__ = ["Detection", "detect", "parse_revision", "release_of", "version_key"]

_TITLES: tuple[tuple[str, TemplateKind], ...] = (
    ("conflict minerals reporting template", TemplateKind.CMRT),
    ("extended mineral reporting template", TemplateKind.EMRT),
    ("extended minerals reporting template", TemplateKind.EMRT),
    ("cobalt reporting template", TemplateKind.CRT),
    ("additional minerals reporting template", TemplateKind.AMRT),
    ("pilot reporting template", TemplateKind.AMRT),
)
_REVISION = re.compile(r"revision\s*(?::\s*)?(\d+(?:\.\d+)*[a-z]?)", re.I)
"""The version after 'Revision' (and a colon). One run of spaces is one repetition: two
repetitions side by side would try every way to share a long run between them."""
_TITLE_CELLS = ("B3", "F11", "E11", "B2", "C3")
_TITLE_ROWS = max(int(ref[1:]) for ref in _TITLE_CELLS)

_WHAT_TO_DO = (
    "ask the supplier to fill in the current RMI template "
    "(responsiblemineralsinitiative.org/reporting-templates) and send it as .xlsx"
)


@dataclass(frozen=True)
class Detection:
    """What a workbook is, and the layout table to read it with."""

    kind: TemplateKind
    version: str
    revision_text: str | None
    revision_date: dt.date | None
    layout: Layout
    layout_assumed: bool
    source: Provenance
    note: str | None = None
    """What is uncertain about the version, in words (a re-issue the workbook does not
    tell apart from its original)."""


def parse_revision(text: str) -> tuple[str | None, dt.date | None]:
    """('6.4', date(2024, 4, 26)) from 'Revision 6.4\\nApril 26, 2024'."""
    m = _REVISION.search(text)
    if m is None:
        return None, None
    version = m.group(1)
    rest = text[m.end():].strip(" \n\r\t,-")
    rest = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", rest)
    date = None
    if rest:
        from dateutil import parser as date_parser

        try:
            date = date_parser.parse(rest, default=dt.datetime(1, 1, 1)).date()
        except (ValueError, OverflowError):
            date = None
        if date is not None and date.year < 2000:
            date = None
    return version, date


def _kind_from_title(wb: Workbook) -> TemplateKind | None:
    if not wb.has_sheet("Revision"):
        return None
    # the title sits in the first rows: the rest of the sheet (the revision history's long
    # texts) is neither inflated nor decoded for it
    cells = wb.top_cells("Revision", _TITLE_ROWS, columns=("B", "C", "E", "F"))
    for ref in _TITLE_CELLS:
        col, row = ref[0], int(ref[1:])
        cell = cells.get((row, col))
        if cell is None or not isinstance(cell.value, str):
            continue
        text = " ".join(cell.value.split()).casefold()
        for title, kind in _TITLES:
            if title in text:
                return kind
    return None


def _kind_from_sheets(wb: Workbook) -> TemplateKind | None:
    names = set(wb.sheet_names)
    if "Minerals Scope" in names:
        return TemplateKind.AMRT
    if "Smelter and Mine List" in names or "Standard Smelter Names" in names:
        return TemplateKind.CMRT
    return None


@lru_cache(maxsize=1024)  # (a run compares the same few versions for every file)
def version_key(version: str) -> tuple[int, ...]:
    """'6.31' -> (6, 3100): RMI numbers minor releases as decimal digits after the dot
    (6.01 < 6.1 < 6.2 < 6.21 < 6.22 < 6.3 < 6.31 < 6.4), so compare them as decimals. A
    third part numbers a re-issue: '6.6.1' -> (6, 6000, 1), after 6.6 and before 6.61."""
    major, _, rest = version.partition(".")
    minor, _, reissue = rest.partition(".")
    digits = re.sub(r"\D", "", minor)
    frac = int(digits.ljust(4, "0")[:4]) if digits else 0
    key = (int(re.sub(r"\D", "", major) or 0), frac)
    reissue_digits = re.sub(r"\D", "", reissue)
    return (*key, int(reissue_digits)) if reissue_digits else key


def release_of(version: str, layouts: Iterable[Layout] = LAYOUTS) -> str:
    """The release a version belongs to: the one a known re-issue re-issues ('6.6.1' ->
    '6.6', as the tables list), else the first two parts of a three-part number (an unbranded
    re-issue the tables do not know yet), else the version itself."""
    version = version.strip()
    for layout in layouts:
        if version in layout.reissues:
            return layout.reissues[version]
    parts = version.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else version


def _reissue(wb: Workbook, layout: Layout, version: str
             ) -> tuple[str, Provenance | None, str | None]:
    """Tell a release from its re-issue (CMRT 6.6 from 6.6.1, the same template without the
    RMI logo) when the revision cell names the release: the re-issue's number in the file's
    properties decides; without it the release is reported, with a note. The layouts are the
    same, so either way the file is read right."""
    reissues = [r for r, original in layout.reissues.items() if original == version]
    if not reissues:
        return version, None, None
    properties = wb.properties()
    for reissue in reissues:
        number = re.compile(rf"(?<![\d.]){re.escape(reissue)}(?!\.?\d)")
        for name, text in properties.items():
            if number.search(text):
                return reissue, Provenance(file=str(wb.path), sheet="File properties",
                                           cell=name), None
    kind = layout.kind.value
    named = " or ".join(f"{kind} {r}" for r in reissues)
    return version, None, (
        f"{named} is {kind} {version} re-issued without the RMI logo, with the same cells; "
        f"neither the revision cell nor the file properties say which of them this file "
        f"is, so it is reported as {version}")


def detect(wb: Workbook, *, strict_version: bool = False) -> Detection:
    """Identify ``wb``; raise a typed error for workbooks that cannot be read."""
    kind = _kind_from_title(wb) or _kind_from_sheets(wb)
    if kind is None and not wb.has_sheet("Declaration"):
        raise UnknownTemplateError(
            "no RMI Revision title and no Declaration sheet found "
            f"(sheets: {', '.join(wb.sheet_names) or 'none'})",
            path=wb.path,
            hint="send one of the RMI templates: CMRT, EMRT, CRT or AMRT",
        )
    version: str | None = None
    revision_text: str | None = None
    revision_date: dt.date | None = None
    source = Provenance(file=str(wb.path), sheet="Declaration", cell="J3")
    if wb.has_sheet("Declaration"):
        decl = wb.cells("Declaration")
        near_top = sorted(
            (c for (row, _col), c in decl.items() if row <= 5 and isinstance(c.value, str)),
            key=lambda c: (c.ref != "J3", c.row, c.col),
        )
        for cell in near_top:
            v, d = parse_revision(str(cell.value))
            if v is not None:
                version, revision_date, revision_text = v, d, str(cell.value)
                source = Provenance(file=str(wb.path), sheet="Declaration", cell=cell.ref)
                break
    if version is None:
        version = _legacy_version(wb)
    if kind is None:
        raise UnknownTemplateError(
            "the workbook has a Declaration sheet but no RMI template title",
            path=wb.path,
            sheet="Revision",
            hint="send one of the RMI templates: CMRT, EMRT, CRT or AMRT",
        )
    if version is None:
        raise UnsupportedVersionError(
            f"this {kind.value} carries no revision number this library recognises; it "
            "predates the templates it reads",
            kind=kind.value,
            path=wb.path,
            sheet="Declaration",
            cell="J3",
            hint=_WHAT_TO_DO,
        )
    candidates = [layout for layout in LAYOUTS if layout.kind is kind]
    for layout in candidates:
        if version in layout.versions:
            version, named_in, note = _reissue(wb, layout, version)
            return Detection(kind, version, revision_text, revision_date, layout, False,
                             named_in or source, note)
    supported = sorted({v for la in candidates for v in la.versions}, key=version_key)
    newer_same_major = [
        la
        for la in candidates
        for v in la.versions
        if version_key(v)[0] == version_key(version)[0]
        and version_key(version) > version_key(v)
    ]
    if newer_same_major and not strict_version:
        layout = max(newer_same_major, key=lambda la: max(version_key(v) for v in la.versions))
        unlike = differences(wb, layout)
        if not unlike:
            return Detection(kind, version, revision_text, revision_date, layout, True, source)
        first = unlike[0]
        raise UnsupportedVersionError(
            f"{kind.value} revision {version} is newer than the releases this library reads, "
            f"and it is not laid out as {layout.name}, the nearest layout, so it cannot be read "
            f"with it: {describe(unlike)}",
            kind=kind.value, version=version, path=wb.path, sheet=first.sheet,
            cell=first.cell, differences=tuple(str(d) for d in unlike),
            hint="update mineral_compliance to a version that reads this release, or ask the "
            "supplier for a release it reads")
    listed = ", ".join(supported) if supported else "none yet"
    raise UnsupportedVersionError(
        f"{kind.value} revision {version} is not supported (supported: {listed})",
        kind=kind.value,
        version=version,
        path=wb.path,
        sheet=source.sheet,
        cell=source.cell,
        hint=_WHAT_TO_DO,
    )


def _legacy_version(wb: Workbook) -> str | None:
    """Revision numbers of the oldest CMRTs, which kept them only on the Revision sheet."""
    if not wb.has_sheet("Revision"):
        return None
    best: str | None = None
    for cell in wb.cells("Revision").values():
        if isinstance(cell.value, str):
            m = re.fullmatch(r"\s*(?:revision\s*)?(\d+\.\d+[a-z]?)\s*", cell.value, re.I)
            if m and (best is None or version_key(m.group(1)) > version_key(best)):
                best = m.group(1)
        elif isinstance(cell.value, float) and cell.col in ("B", "C") and 0 < cell.value < 10:
            text = f"{cell.value:.2f}"
            if best is None or version_key(text) > version_key(best):
                best = text
    return best
