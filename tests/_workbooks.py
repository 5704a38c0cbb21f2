"""Workbooks for tests: the real RMI templates found under ../shared/reference, complete fills
of a layout's inputs, and the 2026 releases derived from the real blank workbooks.

No 2026 workbook was at hand, so CMRT 6.6, EMRT 2.11 and AMRT 1.31 (and their re-issues
without the RMI logo) are derived here from the real blank CMRT 6.5, EMRT 2.1 and AMRT 1.3 by
changing what the published cell mappings say changed (docs: templates-2026.md, which cites
cirscn/cm-reporting for every cell): the revision cell, the Product List headers, the
effective date's validation and the AMRT mineral list. Everything else is the older release,
so a derived workbook proves that the reader, the rules and the writer handle the documented
differences; it does not prove the tables against RMI's own files. Nothing derived is stored
in the repository: run ``python -m tests._workbooks OUTDIR`` to look at them.
"""

from __future__ import annotations

import datetime as dt
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lxml import etree

from mineral_compliance.errors import MineralComplianceError
from mineral_compliance.templates._xlsx import CellInput, open_workbook, patch_cells
from mineral_compliance.templates.detect import detect, release_of, version_key
from mineral_compliance.templates.layouts.base import Layout

from .conftest import REFERENCE

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

URL = "https://www.example.com/responsible-sourcing"


@dataclass(frozen=True)
class Found:
    """A workbook under the reference folder, as the library detects it."""

    path: Path
    kind: str
    version: str
    layout: str


@cache
def reference_templates() -> tuple[Found, ...]:
    """Every RMI template workbook under ../shared/reference, found by its content (the
    revision cell and title), so a release placed there is picked up whatever its file is
    called. Files the library refuses (legacy, encrypted, pre-6 CMRTs) are left out."""
    if not REFERENCE.is_dir():
        return ()
    out = []
    for path in sorted(p for p in REFERENCE.rglob("*.xls*") if p.is_file()):
        try:
            found = detect(open_workbook(path))
        except MineralComplianceError:
            continue
        out.append(Found(path, found.kind.value, found.version, found.layout.name))
    return tuple(out)


def real_template(version: str, kind: str) -> Path | None:
    """The first real workbook of ``kind`` in ``version`` whose company name is blank."""
    for found in reference_templates():
        if (found.kind, found.version) == (kind, version) and _blank(found.path):
            return found.path
    return None


def _blank(path: Path) -> bool:
    wb = open_workbook(path)
    cell = wb.cells("Declaration").get((8, "D"))
    return cell is None or cell.formula or not str(cell.value).strip()


# -- complete fills -----------------------------------------------------------------------------


def yes(choices: tuple[str, ...]) -> str:
    return "Yes" if "Yes" in choices else choices[0]


def selection(layout: Layout, minerals: tuple[str, ...]) -> dict[str, CellInput]:
    """Selector edits choosing exactly ``minerals``. EMRT 2.x gives each mineral its own cell
    (pre-filled in the blank template, "(Delete X)" to drop it); the AMRT takes them in
    order, and some blank AMRT files come pre-filled, so every other cell is emptied."""
    slots = layout.minerals
    edits: dict[str, CellInput] = {}
    for i, cell in enumerate(slots.selector_cells):
        ref = f"{slots.selector_sheet}!{cell}"
        if slots.deselect:
            mineral = slots.choices[i]
            edits[ref] = mineral if mineral in minerals else slots.deselect[i]
        else:
            edits[ref] = minerals[i] if i < len(minerals) else None
    return edits


def fill(layout: Layout, minerals: tuple[str, ...],
         effective_date: dt.date = dt.date(2025, 12, 9)) -> dict[str, CellInput]:
    """Edits that answer everything the Checker of ``layout`` can ask for, for two minerals
    in scope (scope A, so no product list)."""
    d = layout.declaration_sheet
    cells = layout.company_cells
    edits: dict[str, CellInput] = {
        f"{d}!{cells['name']}": "Example Components Ltd",
        f"{d}!{cells['scope']}": layout.scope_choices[0],
        f"{d}!{cells['contact_name']}": "Compliance Desk",
        f"{d}!{cells['contact_email']}": "compliance@example.com",
        f"{d}!{cells['contact_phone']}": "+1 555 0100",
        f"{d}!{cells['authorizer']}": "Head of Compliance",
        f"{d}!{cells['authorizer_email']}": "head.compliance@example.com",
        f"{d}!{cells['effective_date']}": effective_date,
    }
    slots = layout.minerals
    in_scope = slots.fixed or minerals
    edits.update(selection(layout, minerals))
    for q in layout.questions:
        for i, row in enumerate(q.rows[: len(in_scope)]):
            choices = q.slot_choices[i] if q.slot_choices else q.choices
            edits[f"{d}!{q.answer_col}{row}"] = yes(choices)
    for cq in layout.company_questions:
        rows = cq.per_mineral_rows[: len(in_scope)] if cq.per_mineral_rows else ()
        for row in rows:
            edits[f"{d}!D{row}"] = yes(cq.choices)
        if not rows:
            edits[f"{d}!{cq.cell}"] = yes(cq.choices)
        if cq.comment_cell:
            edits[f"{d}!{cq.comment_cell}"] = URL
    sl = layout.smelter_list
    for i, mineral in enumerate(in_scope):
        row = sl.first_row + i
        cols = sl.columns
        edits[f"{sl.sheet}!{cols['metal']}{row}"] = mineral
        if "lookup_name" in cols:
            edits[f"{sl.sheet}!{cols['lookup_name']}{row}"] = layout.not_listed
        edits[f"{sl.sheet}!{cols['name_input']}{row}"] = f"Example {mineral} Refinery"
        edits[f"{sl.sheet}!{cols['country']}{row}"] = "PERU"
    return edits


PRODUCTS: tuple[dict[str, str | None], ...] = (
    {"number": "EX-100", "name": "Example connector", "requester_number": "REQ-9100",
     "requester_name": "Requester's connector", "comments": "Both finishes"},
    {"number": "EX-200", "name": "Example housing", "requester_number": "REQ-9200",
     "requester_name": None, "comments": None},
)
"""Product List rows of a scope-B fill; columns a layout lacks are left out."""


REQUESTER_COLUMNS_FROM = {"CMRT": "6.6", "EMRT": "2.1", "AMRT": "1.3"}
"""The first release of each family whose Product List has the requester's columns: B the
responder's product number, C its name, D the requester's number, E the requester's name,
F comments. Earlier releases (and the CRT) have B, C and D comments. Sources: the real EMRT
2.1 and AMRT 1.3 headers, domain.md sections 1, 2 and 11, templates-2026.md section 3. Kept
apart from the layout tables so that tests compare two statements of the same fact."""

PRODUCT_FIRST_ROW = 6


def product_columns(kind: str, version: str) -> dict[str, str]:
    """Where a release keeps each Product List field (see :data:`REQUESTER_COLUMNS_FROM`)."""
    first = REQUESTER_COLUMNS_FROM.get(kind)
    if first is not None and version_key(release_of(version)) >= version_key(first):
        return {"number": "B", "name": "C", "requester_number": "D", "requester_name": "E",
                "comments": "F"}
    return {"number": "B", "name": "C", "comments": "D"}


def product_fill(layout: Layout, version: str) -> dict[str, CellInput]:
    """Scope B and the :data:`PRODUCTS` rows, in the columns :func:`product_columns` gives."""
    d = layout.declaration_sheet
    edits: dict[str, CellInput] = {f"{d}!{layout.company_cells['scope']}": layout.scope_choices[1]}
    for i, product in enumerate(PRODUCTS):
        for field_name, col in product_columns(layout.kind.value, version).items():
            edits[f"Product List!{col}{PRODUCT_FIRST_ROW + i}"] = product[field_name]
    return edits


# -- the 2026 releases, derived -----------------------------------------------------------------


@dataclass(frozen=True)
class Derivation:
    """How a release differs from the real workbook it is derived from."""

    kind: str
    version: str
    base_version: str
    cells: Mapping[str, CellInput]
    open_date: str | None = None
    """The effective-date cell whose validation loses its upper bound."""
    lists: Mapping[str, str] = field(default_factory=dict)
    """Declaration drop-down list ranges replaced (old formula -> new)."""


PRODUCT_HEADERS: dict[str, CellInput] = {
    # [inferred] 6.6's header text is not published; these are EMRT 2.1's English labels for
    # the same columns (its L sheet), placed where the 6.6 mapping puts the columns.
    "Product List!D5": "Requester Product Number",
    "Product List!E5": "Requester Product Name",
    "Product List!F5": "Comments",
}

AMRT_1_31_MINERALS = (
    # templates-2026.md section 5: 1.3's list with the six new minerals, alphabetical, and
    # "Other [specify below]" last, written into B68 onwards [inferred: B68:B86].
    "Aluminum", "Cadmium", "Iridium", "Lead", "Lime", "Manganese", "Molybdenum", "Palladium",
    "Platinum", "Rare Earth Elements", "Rhenium", "Rhodium", "Ruthenium", "Selenium",
    "Silver", "Soda Ash", "Tellurium", "Zinc", "Other [specify below]",
)


def _revision(number: str, date: str | None) -> str:
    # [inferred] The revision text of the 2026 files is not published. RMI prints
    # "Revision <number>\n<date>" in every earlier release; only CMRT 6.6 has a reported
    # release date (17 April 2026). Whether a re-issue prints its own number is not known:
    # the ".1" derivations assume it does, the case the reader reports as the re-issue.
    return f"Revision {number}\n{date}" if date else f"Revision {number}"


DERIVATIONS: dict[str, Derivation] = {
    "6.6": Derivation("CMRT", "6.6", "6.5",
                      {"Declaration!J3": _revision("6.6", "April 17, 2026"), **PRODUCT_HEADERS}),
    "6.6.1": Derivation("CMRT", "6.6.1", "6.5",
                        {"Declaration!J3": _revision("6.6.1", "April 17, 2026"),
                         **PRODUCT_HEADERS}),
    "2.11": Derivation("EMRT", "2.11", "2.1", {"Declaration!J3": _revision("2.11", None)},
                       open_date="D26"),
    "2.11.1": Derivation("EMRT", "2.11.1", "2.1",
                         {"Declaration!J3": _revision("2.11.1", None)}, open_date="D26"),
    **{v: Derivation(
        "AMRT", v, "1.3",
        {"Declaration!J3": _revision(v, None),
         **{f"Declaration!B{68 + i}": m for i, m in enumerate(AMRT_1_31_MINERALS)}},
        open_date="D27", lists={"$B$68:$B$80": "$B$68:$B$86"}) for v in ("1.31", "1.31.1")},
}


def _declaration_part(path: Path) -> str:
    wb = open_workbook(path)
    return next(s.part for s in wb.sheets if s.name == "Declaration")


def _patch_validations(path: Path, derivation: Derivation) -> None:
    """Rewrite the Declaration's data validations as the release has them: the effective
    date "greater than" 31 Dec 2006 with no upper bound, and the longer mineral list."""
    if derivation.open_date is None and not derivation.lists:
        return
    part = _declaration_part(path)
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        parts = {info.filename: z.read(info) for info in infos}
    root = etree.fromstring(parts[part])
    opened = replaced = 0
    for dv in root.iter(f"{{{MAIN_NS}}}dataValidation"):
        formula1 = dv.find(f"{{{MAIN_NS}}}formula1")
        if derivation.open_date and dv.get("type") == "date" and \
                derivation.open_date in (dv.get("sqref") or "").split():
            dv.set("operator", "greaterThan")
            formula2 = dv.find(f"{{{MAIN_NS}}}formula2")
            if formula2 is not None:
                dv.remove(formula2)
            opened += 1
        if formula1 is not None and formula1.text and formula1.text in derivation.lists:
            formula1.text = derivation.lists[formula1.text]
            replaced += 1
    assert opened == (1 if derivation.open_date else 0), (path, derivation.version)
    assert replaced == len(derivation.lists), (path, derivation.version)
    parts[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    with zipfile.ZipFile(path, "w") as z:
        for info in infos:
            z.writestr(info, parts[info.filename], compress_type=info.compress_type)


def derive(version: str, out_dir: Path) -> Path | None:
    """The release ``version`` derived from its real predecessor, written under ``out_dir``;
    None when the predecessor is not under ../shared/reference."""
    derivation = DERIVATIONS[version]
    base = real_template(derivation.base_version, derivation.kind)
    if base is None:
        return None
    out = out_dir / f"derived-{derivation.kind.lower()}-{version}.xlsx"
    patch_cells(base, dict(derivation.cells), out)
    _patch_validations(out, derivation)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests._workbooks OUTDIR", file=sys.stderr)
        return 2
    out_dir = Path(argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    for version in DERIVATIONS:
        path = derive(version, out_dir)
        print(path or f"{version}: its predecessor is not under {REFERENCE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
