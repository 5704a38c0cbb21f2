"""The 2026 releases (CMRT 6.6, EMRT 2.11, AMRT 1.31) and their re-issues without the RMI
logo (6.6.1, 2.11.1, 1.31.1), on the project's own fixtures with the documented cells
changed: which version a file is reported as, and what each release changes."""

from __future__ import annotations

import datetime as dt
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lxml import etree

from mineral_compliance import read_template, write_template
from mineral_compliance.consolidation import consolidate, product_subset
from mineral_compliance.errors import TemplateError
from mineral_compliance.rules import validate_file
from mineral_compliance.templates._xlsx import CellInput, patch_cells
from mineral_compliance.templates.detect import version_key

from ..conftest import FIXTURES

DEMO = FIXTURES / "demo"
CMRT_65 = DEMO / "cmrt-6.5-product-scope.xlsx"
EMRT_21 = DEMO / "emrt-2.1-selected-minerals.xlsx"
AMRT_13 = DEMO / "amrt-1.3-other-minerals.xlsx"
TODAY = dt.date(2026, 6, 15)
DC = "http://purl.org/dc/elements/1.1/"


def with_title(source: Path, title: str, dest: Path) -> Path:
    """A copy of ``source`` whose document title (File > Info > Properties) is ``title``."""
    with zipfile.ZipFile(source) as z:
        parts = {info.filename: z.read(info) for info in z.infolist()}
    root = etree.fromstring(parts["docProps/core.xml"])
    el = root.find(f"{{{DC}}}title")
    if el is None:
        el = etree.SubElement(root, f"{{{DC}}}title")
    el.text = title
    parts["docProps/core.xml"] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return dest


def variant(tmp_path: Path, base: Path, edits: dict[str, CellInput],
            name: str = "variant.xlsx") -> Path:
    return patch_cells(base, edits, tmp_path / name)


# -- CMRT 6.6: the requester's columns in the Product List ----------------------------------


def cmrt_66(tmp_path: Path, name: str = "cmrt-6.6.xlsx") -> Path:
    """The 6.5 demo as a 6.6: the revision cell, and a product row using D, E and F."""
    return variant(tmp_path, CMRT_65, {
        "Declaration!J3": "Revision 6.6\nApril 17, 2026",
        "Product List!D6": "REQ-4711", "Product List!E6": "Requester's controller",
        "Product List!F6": "Ships in pairs"}, name)


def test_a_6_6_product_list_reads_the_requester_columns_not_a_comment(tmp_path: Path) -> None:
    decl = read_template(cmrt_66(tmp_path))
    t = decl.template
    assert (t.version, t.layout, t.layout_assumed) == ("6.6", "cmrt-6.6", False)
    first = decl.products[0]
    assert (first.number.value, first.number.provenance.cell) == ("EX-1001", "B6")
    assert (first.requester_number.value, first.requester_number.provenance.cell) == \
        ("REQ-4711", "D6")
    assert (first.requester_name.value, first.requester_name.provenance.cell) == \
        ("Requester's controller", "E6")
    assert (first.comments.value, first.comments.provenance.cell) == ("Ships in pairs", "F6")
    assert decl.to_plain()["products"][0]["requester_number"] == "REQ-4711"
    # the 6.5 table puts the comment in D: on a 6.5 file the same cell is a comment
    as_65 = read_template(variant(tmp_path, CMRT_65, {"Product List!D6": "REQ-4711"}, "65.xlsx"))
    assert as_65.products[0].comments.value == "REQ-4711"
    assert as_65.products[0].requester_number.is_blank


def test_a_6_6_declaration_round_trips_through_the_writer(tmp_path: Path) -> None:
    source = cmrt_66(tmp_path)
    decl = read_template(source)
    out = write_template(decl, template=source, out=tmp_path / "written.xlsx")
    back = read_template(out)
    plain, again = decl.to_plain(), back.to_plain()
    for p in (plain, again):
        del p["file"], p["sha256"]
    assert again == plain
    assert back.products[0].requester_name.value == "Requester's controller"


def test_products_are_found_by_the_requester_number_too(tmp_path: Path) -> None:
    source = cmrt_66(tmp_path)
    other = variant(tmp_path, source, {"Declaration!D8": "Second Example Supplier",
                                       "Product List!B6": "OTHER-1",
                                       "Product List!D6": "REQ-OTHER"}, "other.xlsx")
    c = consolidate([source, other], executor=ThreadPoolExecutor(1))
    mine = next(p for p in c.products
                if p.file == str(source) and p.product_number == "EX-1001")
    assert (mine.requester_number, mine.requester_name) == ("REQ-4711", "Requester's controller")
    by_requester = product_subset(c, ["req-4711"])
    assert {f.file for f in by_requester.files} == {str(source)}
    assert [p.product_number for p in by_requester.products] == ["EX-1001"]
    assert {f.file for f in product_subset(c, ["REQ-OTHER"]).files} == {str(other)}


# -- which version a file is ------------------------------------------------------------------


@pytest.mark.parametrize("base,revision,title,version,where,note", [
    # the revision cell names the release: reported as the release, with a note
    (CMRT_65, "Revision 6.6\nApril 17, 2026", None, "6.6", ("Declaration", "J3"), "6.6.1"),
    # the revision cell names the re-issue
    (CMRT_65, "Revision 6.6.1\nApril 17, 2026", None, "6.6.1", ("Declaration", "J3"), None),
    # the file properties name the re-issue
    (CMRT_65, "Revision 6.6\nApril 17, 2026", "RMI CMRT 6.6.1", "6.6.1",
     ("File properties", "Title"), None),
    # a number that only looks alike names nothing
    (CMRT_65, "Revision 6.6\nApril 17, 2026", "CMRT 6.6.10 draft", "6.6",
     ("Declaration", "J3"), "6.6.1"),
    (EMRT_21, "Revision 2.11", None, "2.11", ("Declaration", "J3"), "2.11.1"),
    (EMRT_21, "Revision 2.11.1", None, "2.11.1", ("Declaration", "J3"), None),
    (EMRT_21, "Revision 2.11", "EMRT_2.11.1", "2.11.1", ("File properties", "Title"), None),
    (AMRT_13, "Revision 1.31", None, "1.31", ("Declaration", "J3"), "1.31.1"),
    (AMRT_13, "Revision 1.31.1", None, "1.31.1", ("Declaration", "J3"), None),
    # a release that was never re-issued has no note, whatever the title says
    (CMRT_65, "Revision 6.5\nApril 25, 2025", "CMRT 6.6.1", "6.5", ("Declaration", "J3"), None),
], ids=lambda v: v.replace("\n", " ") if isinstance(v, str) else None)
def test_a_reissue_is_its_own_version_where_the_workbook_says_so(
        tmp_path: Path, base: Path, revision: str, title: str | None, version: str,
        where: tuple[str, str], note: str | None) -> None:
    path = variant(tmp_path, base, {"Declaration!J3": revision}, "source.xlsx")
    if title is not None:
        path = with_title(path, title, tmp_path / "titled.xlsx")
    t = read_template(path).template
    assert t.version == version
    assert (t.version_source.sheet, t.version_source.cell) == where
    assert not t.layout_assumed
    if note is None:
        assert t.version_note is None
    else:
        assert t.version_note and note in t.version_note and version in t.version_note


def test_the_file_name_says_nothing_about_the_version(tmp_path: Path) -> None:
    path = variant(tmp_path, CMRT_65, {"Declaration!J3": "Revision 6.6\nApril 17, 2026"},
                   "CMRT_6.6.1.xlsx")
    assert read_template(path).template.version == "6.6"
    renamed = variant(tmp_path, CMRT_65, {"Declaration!J3": "Revision 6.6.1"},
                      "RMI_CMRT_6.6.xlsx")
    assert read_template(renamed).template.version == "6.6.1"


def test_damaged_file_properties_do_not_stop_the_read(tmp_path: Path) -> None:
    path = variant(tmp_path, CMRT_65, {"Declaration!J3": "Revision 6.6"}, "source.xlsx")
    with zipfile.ZipFile(path) as z:
        parts = {info.filename: z.read(info) for info in z.infolist()}
    parts["docProps/core.xml"] = b"<not-xml"
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    t = read_template(broken).template
    assert (t.version, t.version_note is not None) == ("6.6", True)


def test_reissues_sort_after_their_release_and_before_the_next() -> None:
    versions = ["6.61", "6.7", "6.6.1", "6.5", "6.6", "6.31"]
    assert sorted(versions, key=version_key) == ["6.31", "6.5", "6.6", "6.6.1", "6.61", "6.7"]
    assert version_key("6.6.1") != version_key("6.61")


def _codes(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in validate_file(path, today=TODAY).findings:
        out.setdefault(f.code, []).append(f.hint or "")
    return out


def test_a_reissue_is_as_current_as_its_release(tmp_path: Path) -> None:
    for revision in ("Revision 6.6\nApril 17, 2026", "Revision 6.6.1\nApril 17, 2026"):
        path = variant(tmp_path, CMRT_65, {"Declaration!J3": revision}, "current.xlsx")
        assert "template-outdated" not in _codes(path), revision
    [hint] = _codes(CMRT_65)["template-outdated"]
    assert "CMRT 6.6 or 6.6.1" in hint


# -- the effective date loses its cap in EMRT 2.11 and AMRT 1.31 ------------------------------


@pytest.mark.parametrize("base,cell,old,new", [
    (EMRT_21, "D26", "Revision 2.1\nOctober 17, 2025", "Revision 2.11"),
    (AMRT_13, "D27", "Revision 1.3\nOctober 17, 2025", "Revision 1.31"),
])
def test_a_date_after_march_2026_needs_the_2026_release(
        tmp_path: Path, base: Path, cell: str, old: str, new: str) -> None:
    date = {f"Declaration!{cell}": dt.datetime(2026, 5, 4)}
    capped = _codes(variant(tmp_path, base, {"Declaration!J3": old, **date}, "old.xlsx"))
    [hint] = capped["effective-date-invalid"]
    version = new.split()[1]
    assert f"{version} or {version}.1" in hint and "rather than back-dating" in hint
    current = _codes(variant(tmp_path, base, {"Declaration!J3": new, **date}, "new.xlsx"))
    assert "effective-date-invalid" not in current
    too_early = _codes(variant(tmp_path, base, {"Declaration!J3": new,
                                                f"Declaration!{cell}": dt.datetime(2006, 12, 31)},
                               "early.xlsx"))
    assert "effective-date-invalid" in too_early  # after 31 Dec 2006, that day excluded


# -- AMRT 1.31: six more minerals are listed choices ------------------------------------------


def test_amrt_1_31_lists_cadmium_to_tellurium(tmp_path: Path) -> None:
    edits: dict[str, CellInput] = {"Declaration!D13": "molybdenum", "Declaration!H12": "Lead"}
    new = read_template(variant(tmp_path, AMRT_13, {"Declaration!J3": "Revision 1.31", **edits},
                                "new.xlsx"))
    old = read_template(variant(tmp_path, AMRT_13, edits, "old.xlsx"))
    for decl, status in ((new, "ok"), (old, "unrecognised")):
        picked = {v.provenance.cell: v for v in decl.minerals_selected}
        assert (picked["D13"].value, picked["D13"].status) == (
            "Molybdenum" if status == "ok" else "molybdenum", status)
        assert picked["H12"].status == status
    assert new.template.layout == "amrt-1.31"
    assert new.minerals == ("Lead", "Molybdenum", "Silver", "Tellurium", "Zinc")
    assert not [v for v in new.unrecognised_values() if v.provenance.cell in ("D13", "H12")]


def test_a_6_5_declaration_moves_into_a_6_6_workbook(tmp_path: Path) -> None:
    source = variant(tmp_path, CMRT_65, {"Product List!D6": "Keep dry"}, "65.xlsx")
    decl = read_template(source)
    out = write_template(decl, template=cmrt_66(tmp_path, "blank-66.xlsx"),
                         out=tmp_path / "written.xlsx")
    back = read_template(out)
    assert back.template.version == "6.6"
    first = back.products[0]
    assert (first.number.value, first.comments.value, first.comments.provenance.cell) == (
        "EX-1001", "Keep dry", "F6")
    # the 6.6 workbook's own requester cells held values; the 6.5 declaration has none
    assert first.requester_number.is_blank and first.requester_name.is_blank


def test_requester_numbers_are_not_dropped_into_a_release_without_their_columns(
        tmp_path: Path) -> None:
    decl = read_template(cmrt_66(tmp_path))
    with pytest.raises(TemplateError, match="no column for the declaration's requester number "
                                            r"\(rows 6\); requester name \(rows 6\)"):
        write_template(decl, template=CMRT_65, out=tmp_path / "written.xlsx")
    assert not (tmp_path / "written.xlsx").exists()
    cleared = decl.model_copy(update={"products": tuple(
        p.model_copy(update={"requester_number": p.requester_number.model_copy(update={
            "value": None, "raw": None, "origin": "blank", "status": "blank"}),
            "requester_name": p.requester_name.model_copy(update={
                "value": None, "raw": None, "origin": "blank", "status": "blank"})})
        for p in decl.products)})
    written = write_template(cleared, template=CMRT_65, out=tmp_path / "cleared.xlsx")
    comments = read_template(written).products[0].comments  # 6.6's F is 6.5's D
    assert (comments.value, comments.provenance.cell) == ("Ships in pairs", "D6")


def test_consolidate_product_takes_the_requester_number(tmp_path: Path) -> None:
    """``consolidate --product`` over the demo templates, by the requester's number of the
    CMRT 6.6 demo's first product; the products table names both numbers."""
    import csv
    import json

    from mineral_compliance.cli import main

    out = tmp_path / "out"
    assert main(["consolidate", str(DEMO), "-o", str(out), "--product", "REQ-55501",
                 "--no-progress"]) == 0
    subset = json.loads((out / "products" / "consolidation.json").read_text())
    assert [(p["product_number"], p["requester_number"], p["requester_name"])
            for p in subset["products"]] == [
        ("EX-2001", "REQ-55501", "Requester power module")]
    assert [Path(f["file"]).name for f in subset["files"]] == [
        "cmrt-6.6-requester-products.xlsx"]
    with (out / "products.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["requester_number"]]
    assert {(r["product_number"], r["requester_number"]) for r in rows} >= {
        ("EX-2001", "REQ-55501"), ("EX-2002", "REQ-55502")}
