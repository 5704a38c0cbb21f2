"""Generate the project's synthetic supplier templates under ``fixtures/``.

The workbooks imitate the cell layout of the RMI templates the reader supports (CMRT 6.x,
including 6.6 with the requester's Product List columns, EMRT 1.3, 2.1 and 2.11, CRT 2.21, AMRT
1.21, 1.3 and 1.31: sheet names, revision cell, input cells, Smelter List formulas, Smelter
Look-up, list footers). Most exercise their version's quirks; one per family is a complete
declaration that validates. Companies and smelters are invented (smelter IDs in the unused
CID9xxxxx range); there is no personal data.
They are written with openpyxl, so, like files saved by non-Excel tools, they carry no cached
formula results. Their timestamps are fixed, so a second run writes the same bytes.

Each fixture's expectations are written to ``fixtures/manifest.json`` from the same spec that
fills the workbook; the tests read the workbooks back and compare.

Run: ``python scripts/make_fixtures.py``
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from mineral_compliance.templates.layouts.amrt import AMRT_1_31
from mineral_compliance.templates.layouts.base import Layout
from mineral_compliance.templates.layouts.crt import CRT_2
from mineral_compliance.templates.layouts.emrt import EMRT_2_11

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "fixtures" / "demo"
LEGACY = ROOT / "fixtures" / "refused"

METALS = ("Tantalum", "Tin", "Gold", "Tungsten")
LOOKUP = [
    # metal, look-up name, standard name, country, id
    ("Tin", "Example Tin Smelting Co., Ltd.", "Example Tin Smelting Co., Ltd.", "INDONESIA",
     "CID900001"),
    ("Tin", "ETS Alias Refinery", "Example Tin Smelting Co., Ltd.", "INDONESIA", "CID900001"),
    ("Gold", "Sample Gold Refinery AG", "Sample Gold Refinery AG", "SWITZERLAND", "CID900002"),
    ("Tantalum", "Demo Tantalum Works", "Demo Tantalum Works", "BRAZIL", "CID900003"),
    ("Tungsten", "Specimen Tungsten Corp.", "Specimen Tungsten Corp.", "VIET NAM", "CID900004"),
    ("Tin", "Smelter not listed", None, None, None),
    ("Tin", "Smelter not yet identified", "Unknown", "Unknown", None),
    ("Gold", "Smelter not listed", None, None, None),
]
SCOPES = {
    "A": "A. Company",
    "B": "B. Product (or List of Products)",
    "C": "C. User defined [Specify in 'Description of scope']",
}
REVISIONS = {
    "6.01": "Revision 6.01\nMay 19, 2020",
    "6.1": "Revision 6.1\nApril 28, 2021",
    "6.22": "Revision 6.22\nMay 11, 2022",
    "6.31": "Revision 6.31\nMay 26, 2023",
    "6.4": "Revision 6.4\nApril 26, 2024",
    "6.5": "Revision 6.5\nApril 25, 2025",
    # The 6.6 revision text is not published; RMI's format, with the release date reported
    # for 6.6 (17 April 2026).
    "6.6": "Revision 6.6\nApril 17, 2026",
}
REQUESTER_COLUMNS = ("6.6",)
"""CMRT releases whose Product List has the requester's product number (D) and name (E),
comments moving to F."""


SMELTER_HEADERS = (
    "Smelter Identification Number Input Column", "Metal (*)", "Smelter Look-up (*)",
    "Smelter Name (1)", "Smelter Country (*)", "Smelter Identification",
    "Source of Smelter Identification Number", "Smelter Street", "Smelter City",
    "Smelter Facility Location: State / Province", "Smelter Contact Name",
    "Smelter Contact Email", "Proposed next steps",
    'Name of Mine(s) or if recycled or scrap sourced, enter "recycled" or "scrap"',
    'Location (Country) of Mine(s) or if recycled or scrap sourced, enter "recycled" or '
    '"scrap"',
    "Does 100% of the smelter's feedstock originate from recycled or scrap sources?",
    "Comments",
)
"""The CMRT Smelter List header row (row 4, columns A to Q), as the English template shows
it; the reader checks that each column it reads has one and the column after has none."""


STAMP = dt.datetime(2025, 1, 1)
"""The creation and modification time every fixture carries, and its zip entries."""


def _save(wb: Workbook, path: Path) -> None:
    """Save ``wb`` with :data:`STAMP` for every time openpyxl would take from the clock."""
    wb.properties.created = STAMP
    buffer = io.BytesIO()
    wb.save(buffer)  # stamps docProps/core.xml "modified" with the time of saving
    modified = STAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + modified, data)
            entry = zipfile.ZipInfo(info.filename, date_time=STAMP.timetuple()[:6])
            entry.compress_type, entry.external_attr = info.compress_type, info.external_attr
            out.writestr(entry, data)


def _lookup_formulas(ws: Any, row: int) -> None:
    """The formulas the template keeps in look-up-filled Smelter List columns."""
    by_id = f"MATCH($A{row},'Smelter Look-up'!$E:$E,0)"
    ws[f"B{row}"] = f"=IF(LEN(A{row})=0,\"\",INDEX('Smelter Look-up'!$A:$A,{by_id}))"
    ws[f"C{row}"] = f"=IF(LEN(A{row})=0,\"\",INDEX('Smelter Look-up'!$C:$C,{by_id}))"
    for col, src in (("E", "D"), ("F", "E"), ("G", "F")):
        offset = f"OFFSET('Smelter Look-up'!${src}$4,$V{row}-4,0)"
        ws[f"{col}{row}"] = f"=IF(ISERROR($V{row}),\"\",{offset})"


def build(spec: dict[str, Any], path: Path) -> None:
    wb = Workbook()
    rev = wb.active
    assert rev is not None
    rev.title = "Revision"
    rev["B2"] = "DOCUMENT TITLE"
    rev["B3"] = "Conflict Minerals Reporting Template"
    for name in ("Instructions", "Definitions"):
        wb.create_sheet(name)
    decl = wb.create_sheet("Declaration")
    decl["J3"] = REVISIONS[spec["version"]]
    decl["D3"] = spec.get("language", "English")
    decl["B8"] = '=INDEX(L!D8:M8,1,SL)'  # labels are formulas over the language table
    for ref, value in spec["company"].items():
        decl[ref] = value
    if "effective_serial" in spec:
        decl["D22"] = spec["effective_serial"]
        decl["D22"].number_format = "d-mmm-yyyy"
    for (metal_index, q_row), value in spec["answers"].items():
        cell = decl[f"D{q_row + metal_index}"]
        cell.value = value
        if value == 1:
            cell.number_format = "0%"
    for ref, value in spec["company_answers"].items():
        decl[ref] = value
    sl = wb.create_sheet("Smelter List")
    for col, header in zip("ABCDEFGHIJKLMNOPQ", SMELTER_HEADERS, strict=True):
        sl[f"{col}4"] = header
    for row in range(5, 41):
        _lookup_formulas(sl, row)
    for row, values in spec["smelters"].items():
        for col, value in values.items():
            sl[f"{col}{row}"] = value
    wb.create_sheet("Checker")
    pl = wb.create_sheet("Product List")
    headers: tuple[str, ...]
    if spec["version"] in REQUESTER_COLUMNS:
        # the 6.6 header text is not published: EMRT 2.1's labels for the same columns
        headers = ("Responder Product Number (*)", "Responder Product Name",
                   "Requester Product Number", "Requester Product Name", "Comments")
    else:
        headers = ("Manufacturer's Product Number (*)", "Manufacturer's Product Name",
                   "Comments")
    for col, header in zip("BCDEF", headers, strict=False):
        pl[f"{col}5"] = header
    for row, values in spec["products"].items():
        for col, value in zip("BCDEF", values, strict=False):
            pl[f"{col}{row}"] = value
    pl["B2006"] = "\u00a9 Responsible Minerals Initiative. All rights reserved."
    lk = wb.create_sheet("Smelter Look-up")
    lk["A4"], lk["B4"], lk["E4"] = "Metal", "Smelter Look-up (*)", "Smelter ID"
    for i, (metal, alias, std, country, cid) in enumerate(LOOKUP, start=5):
        lk[f"A{i}"], lk[f"B{i}"], lk[f"C{i}"] = metal, alias, std
        lk[f"D{i}"], lk[f"E{i}"], lk[f"F{i}"] = country, cid, "RMI" if cid else None
    for hidden in ("L", "C", "SorP"):
        wb.create_sheet(hidden).sheet_state = "hidden"
    _save(wb, path)


def specs() -> list[dict[str, Any]]:
    """Synthetic suppliers, each exercising a version's quirks."""
    base_company = {
        "D8": "Acme Widgets Example Ltd.",
        "D9": SCOPES["A"],
        "D15": "Compliance Desk",
        "D16": "compliance@example.com",
        "D17": "+00 000 000 0000",
        "D18": "Quality Office",
        "D20": "quality@example.com",
    }
    all_yes_company = {f"D{r}": "Yes" for r in (75, 77, 79, 81, 85, 87)}
    all_yes_company["D83"] = "Yes, in conformance with IPC1755 (e.g., CMRT)"
    all_yes_company["D89"] = "Yes, with the SEC"
    all_yes_company["G77"] = "https://example.com/policy"
    out: list[dict[str, Any]] = []

    # 6.01: Q6 "100%" stored as the number 1; effective date as an Excel serial.
    answers: dict[tuple[int, int], Any] = {}
    for m in range(4):
        answers[(m, 26)] = "Yes" if METALS[m] in ("Tin", "Gold") else "No"
    for m in (1, 2):
        for q_row, value in ((32, "Yes"), (38, "No"), (44, "No"), (50, "No"), (56, 1),
                             (62, "Yes"), (68, "Yes")):
            answers[(m, q_row)] = value
    out.append({
        "file": "cmrt-6.01-numeric-response-rate.xlsx", "version": "6.01",
        "company": base_company, "effective_serial": 45747,  # 2025-03-31
        "answers": answers, "company_answers": all_yes_company,
        "smelters": {5: {"A": "CID900001"}, 6: {"B": "Gold", "C": "Sample Gold Refinery AG"}},
        "products": {},
        "expect": {
            "version": "6.01", "scope": "A", "effective_date": "2025-03-31",
            "answers": {"Tin": {"1": "Yes", "6": "100%"}, "Gold": {"6": "100%"},
                        "Tantalum": {"1": "No", "2": None}},
            "smelters": [
                {"row": 5, "metal": "Tin", "smelter_id": "CID900001",
                 "name": "Example Tin Smelting Co., Ltd.", "country": "INDONESIA"},
                {"row": 6, "metal": "Gold", "smelter_id": "CID900002",
                 "name": "Sample Gold Refinery AG", "country": "SWITZERLAND"},
            ],
            "products": [],
            "unrecognised": [],
        },
    })

    # 6.22: messy answers (trailing tab and space, wrong case), an unrecognised value, a text date.
    messy = {(m, 26): "no " for m in range(4)}
    messy[(3, 26)] = "YES\t"
    messy[(3, 32)] = "yes"
    messy[(3, 38)] = "Maybe"
    messy[(3, 56)] = "greater than 90%"
    out.append({
        "file": "cmrt-6.22-messy-answers.xlsx", "version": "6.22", "language": "中文 Chinese",
        "company": {**base_company, "D9": "c. user defined [specify in 'description of scope'] ",
                    "D10": "Tungsten-bearing parts only", "D22": "2025-04-30"},
        "answers": messy, "company_answers": {"D75": "yes", "D89": "Yes, with the EU "},
        "smelters": {
            5: {"B": "Tungsten", "C": "Specimen Tungsten Corp.", "P": "no"},
            9: {"B": "Tin", "C": "Smelter not listed", "D": "Unlisted Tin Smelter Example",
                "E": "BOLIVIA"},
        },
        "products": {},
        "expect": {
            "version": "6.22", "scope": "C", "effective_date": "2025-04-30",
            "answers": {"Tungsten": {"1": "Yes", "2": "Yes", "3": "Maybe",
                                     "6": "Greater than 90%"},
                        "Tin": {"1": "No"}},
            "company_answers": {"A": "Yes", "H": "Yes, with the EU", "B": None},
            "smelters": [
                {"row": 5, "metal": "Tungsten", "smelter_id": "CID900004",
                 "name": "Specimen Tungsten Corp.", "country": "VIET NAM"},
                {"row": 9, "metal": "Tin", "smelter_id": None,
                 "name": "Unlisted Tin Smelter Example", "country": "BOLIVIA"},
            ],
            "products": [],
            "unrecognised": [["Declaration", "D41"]],
        },
    })

    # 6.5: scope B with products, an alias look-up choice, a not-yet-identified row, 100% as text.
    b_answers: dict[tuple[int, int], Any] = {(m, 26): "No" for m in range(4)}
    for q_row, value in ((26, "Yes"), (32, "Yes"), (38, "Unknown"), (44, "Unknown"),
                         (50, "No"), (56, "100%"), (62, "No"), (68, "Yes")):
        b_answers[(1, q_row)] = value
    out.append({
        "file": "cmrt-6.5-product-scope.xlsx", "version": "6.5",
        "company": {**base_company, "D9": SCOPES["B"], "D22": "31-Mar-2025"},
        "answers": b_answers, "company_answers": all_yes_company,
        "smelters": {
            5: {"B": "Tin", "C": "ETS Alias Refinery"},
            6: {"B": "Tin", "C": "Smelter not yet identified"},
            7: {"A": "CID999999"},
        },
        "products": {6: ("EX-1001", "Example controller board"), 7: (1002, "Example sensor")},
        "expect": {
            "version": "6.5", "scope": "B", "effective_date": "2025-03-31",
            "answers": {"Tin": {"1": "Yes", "3": "Unknown", "6": "100%", "7": "No"}},
            "smelters": [
                {"row": 5, "metal": "Tin", "smelter_id": "CID900001",
                 "name": "ETS Alias Refinery", "country": "INDONESIA"},
                {"row": 6, "metal": "Tin", "smelter_id": None,
                 "name": "Smelter not yet identified", "country": None},
                {"row": 7, "metal": None, "smelter_id": "CID999999", "name": None,
                 "country": None},
            ],
            "products": [{"row": 6, "number": "EX-1001", "name": "Example controller board"},
                         {"row": 7, "number": "1002", "name": "Example sensor"}],
            "unrecognised": [],
        },
    })

    # 6.6: the requester's product number and name beside the responder's, comments in F; a
    # complete declaration, every company field filled.
    r_answers: dict[tuple[int, int], Any] = {(m, 26): "No" for m in range(4)}
    for m in (1, 2):  # tin and gold
        for q_row, value in ((26, "Yes"), (32, "Yes"), (38, "No"), (44, "No"), (50, "No"),
                             (56, "Greater than 90%"), (62, "Yes"), (68, "Yes")):
            r_answers[(m, q_row)] = value
    out.append({
        "file": "cmrt-6.6-requester-products.xlsx", "version": "6.6",
        "company": {**base_company, "D8": "Power Modules Example Inc.", "D9": SCOPES["B"],
                    "D12": "EBR-400066", "D13": "Example Business Register",
                    "D14": "4 Example Avenue, Example City", "D19": "Head of Quality",
                    "D21": "+00 000 000 0001", "D22": "2026-05-15"},
        "answers": r_answers, "company_answers": all_yes_company,
        "smelters": {
            5: {"A": "CID900001"},
            6: {"B": "Gold", "C": "Sample Gold Refinery AG"},
        },
        "products": {
            6: ("EX-2001", "Example power module", "REQ-55501", "Requester power module",
                "Second source approved"),
            7: ("EX-2002", "Example fan tray", "REQ-55502"),
            8: ("EX-2003", "Example bracket"),
        },
        "expect": {
            "version": "6.6", "scope": "B", "effective_date": "2026-05-15",
            "company": {"name": "Power Modules Example Inc.", "unique_id": "EBR-400066",
                        "id_authority": "Example Business Register",
                        "address": "4 Example Avenue, Example City",
                        "contact_name": "Compliance Desk",
                        "contact_email": "compliance@example.com",
                        "contact_phone": "+00 000 000 0000", "authorizer": "Quality Office",
                        "authorizer_title": "Head of Quality",
                        "authorizer_email": "quality@example.com",
                        "authorizer_phone": "+00 000 000 0001"},
            "answers": {"Tin": {"1": "Yes", "6": "Greater than 90%"},
                        "Gold": {"2": "Yes", "8": "Yes"}, "Tungsten": {"1": "No"}},
            "smelters": [
                {"row": 5, "metal": "Tin", "smelter_id": "CID900001",
                 "name": "Example Tin Smelting Co., Ltd.", "country": "INDONESIA"},
                {"row": 6, "metal": "Gold", "smelter_id": "CID900002",
                 "name": "Sample Gold Refinery AG", "country": "SWITZERLAND"},
            ],
            "products": [
                {"row": 6, "number": "EX-2001", "name": "Example power module",
                 "requester_number": "REQ-55501", "requester_name": "Requester power module",
                 "comments": "Second source approved"},
                {"row": 7, "number": "EX-2002", "name": "Example fan tray",
                 "requester_number": "REQ-55502", "requester_name": None, "comments": None},
                {"row": 8, "number": "EX-2003", "name": "Example bracket",
                 "requester_number": None, "requester_name": None, "comments": None},
            ],
            "unrecognised": [],
        },
    })
    return out


def build_emrt(path: Path) -> dict[str, Any]:
    """An EMRT 2.1 with three of six minerals kept in the selector, so the question slots shift."""
    wb = Workbook()
    rev = wb.active
    assert rev is not None
    rev.title = "Revision"
    rev["B3"] = "Extended Mineral Reporting Template"
    decl = wb.create_sheet("Declaration")
    decl["J3"] = "Revision 2.1\nOctober 17, 2025"
    decl["D3"] = "English"
    decl["D8"], decl["D9"] = "Battery Parts Example GmbH", "A. Company"
    decl["D19"], decl["D20"] = "Sourcing Desk", "sourcing@example.com"
    decl["D26"] = 45900  # 2025-08-31
    selector = {"D12": "Cobalt", "E12": "(Delete Copper)", "G12": "(Delete Graphite)",
                "D13": "Lithium", "E13": "(Delete Mica)", "G13": "nickel "}
    for ref, value in selector.items():
        decl[ref] = value
    # slots 30, 31, 32 hold Cobalt, Lithium, Nickel (alphabetical order of the kept minerals)
    decl["D30"], decl["D31"], decl["D32"] = "Yes", "No", "Not declaring"
    decl["D54"], decl["G54"] = "Unknown", "DRC origin under review"
    decl["D78"] = "Did not survey"
    decl["D120"], decl["D121"] = "Yes, when more processors are validated", "No"
    decl["D133"] = "Yes, in conformance with IPC1755 (e.g. EMRT)"
    sl = wb.create_sheet("Smelter List")
    for row in range(5, 21):
        _lookup_formulas(sl, row)
    sl["A5"] = "CID910001"
    sl["B6"], sl["C6"] = "Lithium", "Smelter not listed"
    sl["D6"], sl["E6"] = "Example Lithium Converter", "CHILE"
    ml = wb.create_sheet("Mine List")
    ml["A5"], ml["B5"], ml["C5"], ml["F5"] = ("Cobalt", "Example Cobalt Refinery Oy",
                                             "Example Mine Site 7", "FINLAND")
    pl = wb.create_sheet("Product List")
    pl["B6"], pl["C6"], pl["D6"], pl["E6"] = "BP-1", "Cell tab", "REQ-77", "Requester tab"
    pl["B1001"] = "\u00a9 Responsible Minerals Initiative."
    lk = wb.create_sheet("Smelter Look-up")
    name = "Example Cobalt Refinery Oy"
    lk["A5"], lk["B5"], lk["C5"] = "Cobalt", name, name
    lk["D5"], lk["E5"], lk["F5"] = "FINLAND", "CID910001", "RMI"
    wb.create_sheet("Checker")
    _save(wb, path)
    return {
        "file": path.name, "kind": "EMRT", "version": "2.1", "scope": "A",
        "effective_date": "2025-08-31",
        "minerals": ["Cobalt", "Lithium", "Nickel"],
        "answers": {"Cobalt": {"1": "Yes", "3": "Unknown", "5": "Did not survey"},
                    "Lithium": {"1": "No"}, "Nickel": {"1": "Not declaring"}},
        "company_answers": {"E": "Yes, in conformance with IPC1755 (e.g. EMRT)", "A": None},
        "company_mineral_answers": {"C": {"Cobalt": "Yes, when more processors are validated",
                                          "Lithium": "No", "Nickel": None}},
        "smelters": [
            {"row": 5, "metal": "Cobalt", "smelter_id": "CID910001",
             "name": "Example Cobalt Refinery Oy", "country": "FINLAND"},
            {"row": 6, "metal": "Lithium", "smelter_id": None,
             "name": "Example Lithium Converter", "country": "CHILE"},
        ],
        "products": [{"row": 6, "number": "BP-1", "name": "Cell tab"}],
        "mines": [{"row": 5, "metal": "Cobalt", "mine_name": "Example Mine Site 7",
                   "country": "FINLAND"}],
        "unrecognised": [],
    }


def _amrt_book(revision: str) -> tuple[Workbook, Any]:
    wb = Workbook()
    rev = wb.active
    assert rev is not None
    rev.title = "Revision"
    rev["B3"] = "Additional Minerals Reporting Template"
    decl = wb.create_sheet("Declaration")
    decl["J3"] = revision
    decl["D3"] = "English"
    for ref in ("AA12", *(f"AA{r}" for r in range(13, 22))):
        decl[ref] = "=Z12" if ref == "AA12" else '=""'  # the template's sorted list, uncached
    return wb, decl


def build_amrt_13(path: Path) -> dict[str, Any]:
    """An AMRT 1.3: listed, typed, repeated and "Other" minerals; a Minerals Scope sheet."""
    wb, decl = _amrt_book("Revision 1.3\nOctober 17, 2025")
    decl["D8"], decl["D9"] = "Alloy Parts Example S.A.", "A. Company"
    decl["D20"], decl["D21"] = "Materials Desk", "materials@example.com"
    decl["D27"] = 45930  # 2025-09-30
    selector = {"D12": "Silver", "E12": "Other [specify below]", "G12": "zinc ",
                "H12": "SILVER", "I12": "Other [specify below]", "D13": "Copper"}
    for ref, value in selector.items():
        decl[ref] = value
    decl["E15"] = "Tellurium"  # I15 left blank: an "Other" without a name selects nothing
    # slots: Copper, Silver, Tellurium, Zinc (case-insensitive order, repeats dropped)
    decl["D31"], decl["D32"], decl["D33"], decl["D34"] = "Yes", "no", "Not declaring", "Yes"
    decl["G33"] = "Trace amounts under review"
    decl["D43"] = 1
    decl["D43"].number_format = "0%"
    decl["D46"] = "Did not survey"
    sl = wb.create_sheet("Smelter List")
    for row in range(5, 21):
        _lookup_formulas(sl, row)
    sl["A5"] = "CID920001"
    sl["B6"], sl["C6"] = "Tellurium", "Smelter not listed"
    sl["D6"], sl["E6"] = "Example Tellurium Works", "PERU"
    ml = wb.create_sheet("Mine List")
    ml["A5"], ml["B5"], ml["C5"], ml["F5"] = ("Zinc", "Example Zinc Refinery NV",
                                             "Example Zinc Mine North", "BELGIUM")
    ms = wb.create_sheet("Minerals Scope")
    ms["B7"], ms["C7"] = "Select Minerals/Metals in Scope", "Reasons for inclusion on the AMRT"
    ms["B8"], ms["C8"] = "Tellurium", "Customer programme request"
    ms["B9"], ms["C9"] = "Zinc", "Galvanised housings"
    ms["B18"] = "\u00a9 Responsible Minerals Initiative."
    pl = wb.create_sheet("Product List")
    pl["B6"], pl["C6"], pl["D6"] = "AP-10", "Hinge assembly", "CUST-5"
    pl["B2006"] = "\u00a9 Responsible Minerals Initiative."
    lk = wb.create_sheet("Smelter Look-up")
    name = "Example Zinc Refinery NV"
    lk["A5"], lk["B5"], lk["C5"] = "Zinc", name, name
    lk["D5"], lk["E5"], lk["F5"] = "BELGIUM", "CID920001", "RMI"
    wb.create_sheet("Checker")
    _save(wb, path)
    return {
        "file": path.name, "kind": "AMRT", "version": "1.3", "scope": "A",
        "effective_date": "2025-09-30",
        "minerals": ["Copper", "Silver", "Tellurium", "Zinc"],
        "answers": {"Copper": {"1": "Yes", "2": "100%"}, "Silver": {"1": "No"},
                    "Tellurium": {"1": "Not declaring", "2": None},
                    "Zinc": {"2": "Did not survey"}},
        "smelters": [
            {"row": 5, "metal": "Zinc", "smelter_id": "CID920001",
             "name": "Example Zinc Refinery NV", "country": "BELGIUM"},
            {"row": 6, "metal": "Tellurium", "smelter_id": None,
             "name": "Example Tellurium Works", "country": "PERU"},
        ],
        "products": [{"row": 6, "number": "AP-10", "name": "Hinge assembly"}],
        "mines": [{"row": 5, "metal": "Zinc", "mine_name": "Example Zinc Mine North",
                   "country": "BELGIUM"}],
        "minerals_scope": [{"row": 8, "mineral": "Tellurium",
                            "reason": "Customer programme request"},
                           {"row": 9, "mineral": "Zinc", "reason": "Galvanised housings"}],
        "unrecognised": [["Declaration", "D13"]],
    }


def build_amrt_121(path: Path) -> dict[str, Any]:
    """An AMRT 1.21: free-text minerals, smelters typed by hand (no look-up in 1.2x)."""
    wb, decl = _amrt_book("Revision 1.21\nMay 16, 2025")
    decl["D8"], decl["D9"] = "Fastener Example Co.", "B. Product (or List of Products)"
    decl["D17"], decl["D18"] = "Supply Desk", "supply@example.com"
    decl["D24"] = "2025-06-30"
    for ref, value in {"D12": "Titanium", "E12": "iron/ steel", "G12": "Chromium",
                       "D13": "chromium", "E13": "Magnesium"}.items():
        decl[ref] = value
    # slots: Chromium, iron/ steel, Magnesium, Titanium
    decl["D28"], decl["D29"], decl["D30"], decl["D31"] = "Yes", "Unknown", "No", "Yes"
    decl["D40"], decl["D43"] = "Greater than 75%", "50% or less"
    sl = wb.create_sheet("Smelter List")
    for col, value in zip("ABCD", ("Titanium", "Example Titanium Sponge Plant", "JAPAN",
                                   "EX-TI-1"), strict=True):
        sl[f"{col}5"] = value
    sl["N5"] = "no"
    wb.create_sheet("Mine List")
    wb.create_sheet("Minerals Scope")
    pl = wb.create_sheet("Product List")
    pl["B6"], pl["C6"] = "FX-200", "Example bolt"
    pl["B2006"] = "\u00a9 Responsible Minerals Initiative."
    wb.create_sheet("Checker")
    _save(wb, path)
    return {
        "file": path.name, "kind": "AMRT", "version": "1.21", "scope": "B",
        "effective_date": "2025-06-30",
        "minerals": ["Chromium", "iron/ steel", "Magnesium", "Titanium"],
        "answers": {"Chromium": {"1": "Yes", "2": "Greater than 75%"},
                    "iron/ steel": {"1": "Unknown"}, "Titanium": {"1": "Yes",
                                                              "2": "50% or less"}},
        "smelters": [{"row": 5, "metal": "Titanium", "smelter_id": "EX-TI-1",
                      "name": "Example Titanium Sponge Plant", "country": "JAPAN"}],
        "products": [{"row": 6, "number": "FX-200", "name": "Example bolt"}],
        "unrecognised": [],
    }


def _fixed_book(title: str, revision: str) -> tuple[Workbook, Any]:
    """A template whose question rows name fixed minerals (EMRT 1.x, CRT)."""
    wb = Workbook()
    rev = wb.active
    assert rev is not None
    rev.title = "Revision"
    rev["B3"] = title
    decl = wb.create_sheet("Declaration")
    decl["J3"] = revision
    decl["D3"] = "English"
    return wb, decl


def _lookup_sheet(wb: Workbook, rows: list[tuple[str, str, str, str]]) -> None:
    lk = wb.create_sheet("Smelter Look-up")
    for i, (metal, name, country, cid) in enumerate(rows, start=5):
        lk[f"A{i}"], lk[f"B{i}"], lk[f"C{i}"] = metal, name, name
        lk[f"D{i}"], lk[f"E{i}"], lk[f"F{i}"] = country, cid, "RMI"


def build_emrt_13(path: Path) -> dict[str, Any]:
    """An EMRT 1.3: per-mineral question 3 literals, cobalt-only question 4, C per mineral."""
    wb, decl = _fixed_book("Extended Minerals Reporting Template", "Revision 1.3\nApril 26, 2024")
    decl["D8"], decl["D9"] = "Pigment Example Pte. Ltd.", "A. Company"
    decl["D15"], decl["D16"] = "Sourcing Desk", "sourcing@example.com"
    decl["D22"] = 45777  # 2025-04-30
    decl["D26"], decl["D27"] = "Yes", "Yes"
    decl["D38"], decl["D39"] = "DRC only", "india and/or madagascar only"
    decl["D44"] = "No"  # recycled or scrap: cobalt only
    decl["D50"] = 1
    decl["D50"].number_format = "0%"
    decl["D51"] = "Greater than 50%"
    decl["D74"], decl["D75"] = "Yes", "Yes, when more processors are validated"
    decl["D79"] = "Yes, Using Other Format (Describe)"
    sl = wb.create_sheet("Smelter List")
    for row in range(5, 21):
        _lookup_formulas(sl, row)
    sl["B5"], sl["C5"] = "Mica", "Example Mica Processing Ltd."
    wb.create_sheet("Product List")["B2006"] = "\u00a9 Responsible Minerals Initiative."
    _lookup_sheet(wb, [("Mica", "Example Mica Processing Ltd.", "INDIA", "CID930001")])
    wb.create_sheet("Checker")
    _save(wb, path)
    return {
        "file": path.name, "kind": "EMRT", "version": "1.3", "scope": "A",
        "effective_date": "2025-04-30",
        "minerals": ["Cobalt", "Mica"],
        "answers": {"Cobalt": {"1": "Yes", "3": "DRC only", "4": "No", "5": "100%"},
                    "Mica": {"1": "Yes", "3": "India and/or Madagascar only",
                             "5": "Greater than 50%"}},
        "company_answers": {"E": "Yes, Using Other Format (Describe)", "A": None},
        "company_mineral_answers": {"C": {"Cobalt": "Yes",
                                          "Mica": "Yes, when more processors are validated"}},
        "smelters": [{"row": 5, "metal": "Mica", "smelter_id": "CID930001",
                      "name": "Example Mica Processing Ltd.", "country": "INDIA"}],
        "products": [],
        "unrecognised": [],
    }


CRT_LOOKUP = [("Cobalt", "Example Cobalt Refinery Ltd.", "ZAMBIA", "CID940001"),
              ("Cobalt", "Specimen Cobalt Refinery Inc.", "CANADA", "CID940002")]
"""The CRT 2.21 Smelter Look-up, the same in every CRT fixture as in every copy of a release."""


def build_crt_221(path: Path) -> dict[str, Any]:
    """A CRT 2.21 (which prints "Revision 2.2"): the DRC-only literal, company questions A-I."""
    wb, decl = _fixed_book("Cobalt Reporting Template", "Revision 2.2\nOctober 2020")
    decl["D8"], decl["D9"] = "Cathode Example AB", "A. Company"
    decl["D15"], decl["D16"] = "Cobalt Desk", "cobalt@example.com"
    decl["D22"] = "30 June 2025"
    decl["D26"], decl["D32"] = "Yes", "DRC or adjoining countries only"
    decl["D44"] = "Greater than 90%"
    decl["D75"], decl["G75"] = "Yes, CRT", "Collected yearly"
    decl["D79"] = "Perhaps"
    sl = wb.create_sheet("Smelter List")
    for row in range(5, 21):
        _lookup_formulas(sl, row)
    sl["A5"] = "CID940001"
    wb.create_sheet("Product List")["B2006"] = "\u00a9 Responsible Minerals Initiative."
    _lookup_sheet(wb, CRT_LOOKUP)
    wb.create_sheet("Checker")
    _save(wb, path)
    return {
        "file": path.name, "kind": "CRT", "version": "2.2", "scope": "A",
        "effective_date": "2025-06-30",
        "minerals": ["Cobalt"],
        "answers": {"Cobalt": {"1": "Yes", "2": "DRC or adjoining countries only",
                               "4": "Greater than 90%", "3": None}},
        "company_answers": {"G": "Yes, CRT", "I": "Perhaps", "A": None},
        "smelters": [{"row": 5, "metal": "Cobalt", "smelter_id": "CID940001",
                      "name": "Example Cobalt Refinery Ltd.", "country": "ZAMBIA"}],
        "products": [],
        "unrecognised": [["Declaration", "D79"]],
    }


# -- complete declarations ------------------------------------------------------------------
#
# One per family: what a careful supplier sends back. Every company field is filled, every
# question the answers open is answered, the company questions are answered with the
# template's literals, and each mineral in scope has a Smelter List row that resolves in the
# file's own Smelter Look-up. Cells and literals come from the layout tables the reader uses.

POLICY_URL = "https://www.example.com/responsible-sourcing"

PRODUCT_HEADERS = {
    "number": "Product Number (*)", "name": "Product Name",
    "requester_number": "Requester Product Number", "requester_name": "Requester Product Name",
    "comments": "Comments",
}


def complete_emrt() -> dict[str, Any]:
    """EMRT 2.11 from a battery-materials supplier: the six minerals the template pre-selects
    kept, cobalt, lithium and nickel used, copper, graphite and mica not."""
    used = {"1": "Yes", "2": "Yes", "3": "No", "4": "No", "6": "Yes", "7": "Yes"}
    return {
        # The 2026 revision texts are not published: RMI's format, without a release date.
        "file": "emrt-2.11-complete.xlsx", "layout": EMRT_2_11, "version": "2.11",
        "title": "Extended Minerals Reporting Template", "revision": "Revision 2.11",
        "company": {
            "name": "Battery Materials Example Oy", "scope": SCOPES["A"],
            "unique_id": "EBR-100211", "id_authority": "Example Business Register",
            "address": "1 Example Street, 00100 Example City, FINLAND",
            "contact_name": "Materials Compliance Desk",
            "contact_email": "materials.compliance@example.com",
            "contact_phone": "+00 000 000 0101", "authorizer": "Alex Example",
            "authorizer_title": "Head of Responsible Sourcing",
            "authorizer_email": "alex.example@example.com",
            "authorizer_phone": "+00 000 000 0102",
            "effective_date": dt.date(2026, 6, 30),
        },
        "selector": {"D12": "Cobalt", "E12": "Copper", "G12": "Graphite", "D13": "Lithium",
                     "E13": "Mica", "G13": "Nickel"},
        "answers": {
            "Cobalt": {**used, "5": "Greater than 90%"},
            "Copper": {"1": "No"},
            "Graphite": {"1": "No"},
            "Lithium": {**used, "5": "100%"},
            "Mica": {"1": "No"},
            "Nickel": {**used, "5": "Greater than 75%"},
        },
        "company_answers": {
            "A": "Yes", "B": ("Yes", POLICY_URL),
            "C": {"Cobalt": "Yes", "Lithium": "Yes, when more processors are validated",
                  "Nickel": "Yes"},
            "D": "Yes", "E": "Yes, in conformance with IPC1755 (e.g. EMRT)", "F": "Yes",
            "G": "Yes",
        },
        "smelters": [{"A": "CID910001", "P": "No"},
                     {"B": "Lithium", "C": "Specimen Lithium Chemicals Pty Ltd", "P": "No"},
                     {"A": "CID910003", "P": "No"}],
        "lookup": [("Cobalt", "Example Cobalt Refinery Oy", "FINLAND", "CID910001"),
                   ("Lithium", "Specimen Lithium Chemicals Pty Ltd", "AUSTRALIA", "CID910002"),
                   ("Nickel", "Demo Nickel Refinery AS", "NORWAY", "CID910003")],
    }


def complete_crt() -> dict[str, Any]:
    """CRT 2.21 (printing "Revision 2.2") from a cobalt precursor supplier. The template's
    own "No" stays in the hidden question-1 rows the Checker counts."""
    return {
        "file": "crt-2.21-complete.xlsx", "layout": CRT_2, "version": "2.2",
        "title": "Cobalt Reporting Template", "revision": "Revision 2.2\nOctober 28, 2020",
        "company": {
            "name": "Precursor Example Ltd.", "scope": SCOPES["A"],
            "unique_id": "EBR-200221", "id_authority": "Example Business Register",
            "address": "2 Example Road, Example Town, CANADA",
            "contact_name": "Cobalt Sourcing Desk",
            "contact_email": "cobalt.sourcing@example.com",
            "contact_phone": "+00 000 000 0201", "authorizer": "Robin Example",
            "authorizer_title": "Director of Procurement",
            "authorizer_email": "robin.example@example.com",
            "authorizer_phone": "+00 000 000 0202",
            "effective_date": dt.date(2026, 1, 15),  # the CRT's dates end on 31 March 2026
        },
        "preset": {"D27": "No", "D28": "No", "D29": "No"},
        "answers": {"Cobalt": {"1": "Yes", "2": "No", "3": "No", "4": "Greater than 90%",
                               "5": "Yes", "6": "Yes"}},
        "company_answers": {
            "A": ("Yes", POLICY_URL), "B": "Yes", "C": "Yes", "D": "Yes", "E": "Yes",
            "F": "Yes", "G": "Yes, CRT", "H": "Yes", "I": "Yes",
        },
        "smelters": [{"A": "CID940002", "P": "No"}],
        "lookup": CRT_LOOKUP,
    }


def complete_amrt() -> dict[str, Any]:
    """AMRT 1.31 from a connector plater: the three minerals the requester's Minerals Scope
    asks about, silver and zinc used, aluminum not."""
    return {
        "file": "amrt-1.31-complete.xlsx", "layout": AMRT_1_31, "version": "1.31",
        "title": "Additional Minerals Reporting Template", "revision": "Revision 1.31",
        "company": {
            "name": "Connector Plating Example S.r.l.", "scope": SCOPES["A"],
            "unique_id": "EBR-300131", "id_authority": "Example Business Register",
            "address": "3 Example Square, 00100 Example City, ITALY",
            "contact_name": "Plating Compliance Desk",
            "contact_email": "plating.compliance@example.com",
            "contact_phone": "+00 000 000 0301", "authorizer": "Kim Example",
            "authorizer_title": "Quality and Compliance Manager",
            "authorizer_email": "kim.example@example.com",
            "authorizer_phone": "+00 000 000 0302",
            "effective_date": dt.date(2026, 7, 31),
        },
        "selector": {"D12": "Silver", "E12": "Zinc", "G12": "Aluminum"},
        "answers": {"Aluminum": {"1": "No"},
                    "Silver": {"1": "Yes", "2": "Greater than 90%"},
                    "Zinc": {"1": "Yes", "2": "Greater than 75%"}},
        "company_answers": {},
        "minerals_scope": [("Aluminum", "Heat sinks and housings"),
                           ("Silver", "Contact plating"),
                           ("Zinc", "Die-cast connector shells")],
        "smelters": [{"A": "CID920001", "P": "No"},
                     {"B": "Silver", "C": "Sample Silver Refinery S.A. de C.V.", "P": "No"}],
        "lookup": [("Zinc", "Example Zinc Refinery NV", "BELGIUM", "CID920001"),
                   ("Silver", "Sample Silver Refinery S.A. de C.V.", "MEXICO", "CID920002")],
    }


def build_complete(spec: dict[str, Any], path: Path) -> dict[str, Any]:
    """Write a complete declaration where its layout puts each value; return its manifest
    entry, which the same spec fills."""
    layout: Layout = spec["layout"]
    wb, decl = _fixed_book(spec["title"], spec["revision"])
    for ref, value in {**spec.get("preset", {}), **spec.get("selector", {})}.items():
        decl[ref] = value
    company = spec["company"]
    assert company["scope"] in layout.scope_choices
    assert all(m in layout.minerals.choices for m in spec.get("selector", {}).values())
    for name, value in company.items():
        decl[layout.company_cells[name]] = value
    decl[layout.company_cells["effective_date"]].number_format = "d-mmm-yyyy"
    slots = layout.minerals
    if slots.sorted_cells:  # the template's own sorted list, uncached
        for i, ref in enumerate(slots.sorted_cells):
            decl[ref] = f"=Z{12 + i}" if i == 0 else '=""'
    minerals = list(slots.fixed) or sorted(spec["selector"].values(), key=str.casefold)
    for slot, mineral in enumerate(minerals):
        for q in layout.questions:
            answer = spec["answers"][mineral].get(q.key)
            if answer is not None:
                assert answer in q.choices_for(slot), (mineral, q.key, answer)
                decl[f"{q.answer_col}{q.rows[slot]}"] = answer
    for cq in layout.company_questions:
        answer = spec["company_answers"][cq.key]
        if cq.per_mineral_rows:
            for slot, mineral in enumerate(minerals):
                if mineral in answer:
                    assert answer[mineral] in cq.choices_for(slot), (cq.key, mineral)
                    decl[f"{cq.answer_col}{cq.per_mineral_rows[slot]}"] = answer[mineral]
            continue
        answer, comment = answer if isinstance(answer, tuple) else (answer, None)
        assert answer in cq.choices, (cq.key, answer)
        decl[cq.cell] = answer
        if comment is not None:
            assert cq.comment_cell is not None
            decl[cq.comment_cell] = comment
    sl = wb.create_sheet(layout.smelter_list.sheet)
    for col, header in zip(layout.smelter_list.columns.values(), SMELTER_HEADERS, strict=True):
        sl[f"{col}4"] = header
    for row in range(5, 21):
        _lookup_formulas(sl, row)
    for row, values in enumerate(spec["smelters"], start=layout.smelter_list.first_row):
        for col, value in values.items():
            sl[f"{col}{row}"] = value
    if layout.mine_list is not None:
        wb.create_sheet(layout.mine_list.sheet)
    if layout.minerals_scope is not None:
        ms = wb.create_sheet(layout.minerals_scope.sheet)
        ms["B7"], ms["C7"] = "Select Minerals/Metals in Scope", "Reasons for inclusion"
        for row, (mineral, reason) in enumerate(spec["minerals_scope"],
                                                start=layout.minerals_scope.first_row):
            ms[f"B{row}"], ms[f"C{row}"] = mineral, reason
        ms[f"B{layout.minerals_scope.last_row + 1}"] = "\u00a9 Responsible Minerals Initiative."
    assert layout.product_list is not None
    pl = wb.create_sheet(layout.product_list.sheet)
    for name, col in layout.product_list.columns.items():
        pl[f"{col}{layout.product_list.first_row - 1}"] = PRODUCT_HEADERS[name]
    pl[f"B{layout.product_list.last_row + 1}"] = "\u00a9 Responsible Minerals Initiative."
    _lookup_sheet(wb, spec["lookup"])
    wb.create_sheet("Checker")
    _save(wb, path)

    by_id = {cid: (metal, name, country) for metal, name, country, cid in spec["lookup"]}
    by_name = {(metal, name): cid for metal, name, _, cid in spec["lookup"]}
    smelters = []
    for row, values in enumerate(spec["smelters"], start=layout.smelter_list.first_row):
        cid = values.get("A") or by_name[(values["B"], values["C"])]
        metal, name, country = by_id[cid]
        smelters.append({"row": row, "metal": metal, "smelter_id": cid, "name": name,
                         "country": country})
    per_mineral = {cq.key for cq in layout.company_questions if cq.per_mineral_rows}
    entry: dict[str, Any] = {
        "file": path.name, "kind": layout.kind.value, "version": spec["version"],
        "scope": company["scope"][0], "effective_date": company["effective_date"].isoformat(),
        "company": {k: v for k, v in company.items() if k not in ("scope", "effective_date")},
        "minerals": minerals,
        "answers": {m: {q.key: spec["answers"][m].get(q.key) for q in layout.questions}
                    for m in minerals},
        "company_answers": {k: v[0] if isinstance(v, tuple) else v
                            for k, v in spec["company_answers"].items() if k not in per_mineral},
        "company_mineral_answers": {k: {m: spec["company_answers"][k].get(m) for m in minerals}
                                    for k in sorted(per_mineral)},
        "smelters": smelters,
        "products": [],
        "mines": [],
        "unrecognised": [],
    }
    if layout.minerals_scope is not None:
        entry["minerals_scope"] = [
            {"row": row, "mineral": mineral, "reason": reason} for row, (mineral, reason)
            in enumerate(spec["minerals_scope"], start=layout.minerals_scope.first_row)]
    return entry


def build_refused() -> dict[str, str]:
    """Inputs the reader must refuse, with the error class each must raise."""
    LEGACY.mkdir(parents=True, exist_ok=True)
    expected: dict[str, str] = {}
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Revision"
    ws["B3"] = "Conflict Minerals Reporting Template"
    wb.create_sheet("Declaration")["J3"] = "Revision 5.12\nMay 2019"
    _save(wb, LEGACY / "cmrt-5.12.xlsx")
    expected["cmrt-5.12.xlsx"] = "UnsupportedVersionError"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    (LEGACY / "encrypted.xlsx").write_bytes(ole + "EncryptionInfo".encode("utf-16-le"))
    expected["encrypted.xlsx"] = "EncryptedWorkbookError"
    (LEGACY / "legacy.xls").write_bytes(ole + "Workbook".encode("utf-16-le"))
    expected["legacy.xls"] = "LegacyFormatError"
    (LEGACY / "not-a-workbook.xlsx").write_bytes(b"name,country\nExample,NOWHERE\n")
    expected["not-a-workbook.xlsx"] = "NotAWorkbookError"
    plain = Workbook()
    _save(plain, LEGACY / "plain-workbook.xlsx")
    expected["plain-workbook.xlsx"] = "UnknownTemplateError"
    return expected


def main() -> None:
    manifest: dict[str, Any] = {"generated_by": "scripts/make_fixtures.py", "demo": [],
                                "refused": build_refused()}
    for spec in specs():
        build(spec, OUT / spec["file"])
        manifest["demo"].append({"file": spec["file"], "kind": "CMRT", **spec["expect"]})
    manifest["demo"].append(build_emrt(OUT / "emrt-2.1-selected-minerals.xlsx"))
    manifest["demo"].append(build_emrt_13(OUT / "emrt-1.3-cobalt-and-mica.xlsx"))
    manifest["demo"].append(build_crt_221(OUT / "crt-2.21-cobalt.xlsx"))
    manifest["demo"].append(build_amrt_13(OUT / "amrt-1.3-other-minerals.xlsx"))
    manifest["demo"].append(build_amrt_121(OUT / "amrt-1.21-free-text-minerals.xlsx"))
    for complete in (complete_emrt(), complete_crt(), complete_amrt()):
        manifest["demo"].append(build_complete(complete, OUT / complete["file"]))
    (ROOT / "fixtures" / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {len(manifest['demo'])} demo templates and {len(manifest['refused'])} "
          f"refusal cases under {ROOT / 'fixtures'} ({dt.date.today().isoformat()})")


if __name__ == "__main__":
    main()
