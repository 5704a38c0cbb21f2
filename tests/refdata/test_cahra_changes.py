"""Dated snapshots of the CAHRA list compared: countries and areas added and removed, and
flags changed, between consecutive snapshots in date order."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest

from mineral_compliance.cli import main
from mineral_compliance.errors import ReferenceDataError
from mineral_compliance.refdata import cahra_changes, load_cahra
from mineral_compliance.refdata.cahra_changes import (
    AreaFlags,
    FlagChange,
    ListedArea,
)

from ..conftest import REFERENCE

REAL = REFERENCE / "other" / "cahra.json"

BASE: dict[str, Any] = {
    "meta": {"source": "unit", "version": "Report: March 2026",
             "dataUpdated": "2026-03-28T23:00:00Z", "retrieved": "2026-04-02"},
    "entries": [
        {"countryName": "Alphaland", "iso2": "AA", "wholeCountry": True,
         "conflictAffected": True, "highRisk": True, "regions": None},
        {"countryName": "Betaland", "iso2": "BB", "regions": [
            {"name": "North", "code": "BB-N", "conflictAffected": True, "highRisk": True},
            {"name": "South", "code": "BB-S", "conflictAffected": False, "highRisk": True}]},
        {"countryName": "Gammaland", "iso2": "CC", "regions": [
            {"name": "East", "code": "CC-E", "conflictAffected": False, "highRisk": True}]},
    ]}


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _edited(doc: dict[str, Any], updated: str) -> dict[str, Any]:
    """The next quarter's list: Gammaland gone, Deltaland and a Betaland region added, South
    Betaland now conflict-affected too."""
    out = copy.deepcopy(doc)
    out["meta"]["dataUpdated"] = updated
    entries = [e for e in out["entries"] if e["iso2"] != "CC"]
    for e in entries:
        if e["iso2"] == "BB":
            e["regions"][1]["conflictAffected"] = True
            e["regions"].append({"name": "West", "code": "BB-W", "conflictAffected": False,
                                 "highRisk": True})
    entries.append({"countryName": "Deltaland", "iso2": "DD", "regions": [
        {"name": "Coast", "code": "DD-C", "conflictAffected": True, "highRisk": False}]})
    out["entries"] = entries
    return out


def test_the_date_comes_from_the_list_else_the_file(tmp_path: Path) -> None:
    lst = load_cahra(_write(tmp_path / "a.json", BASE))
    assert (lst.date, lst.dated_by) == (dt.date(2026, 3, 28), "meta: dataUpdated")
    doc = copy.deepcopy(BASE)
    del doc["meta"]["dataUpdated"]
    lst = load_cahra(_write(tmp_path / "b.json", doc))
    assert (lst.date, lst.dated_by) == (dt.date(2026, 4, 2), "meta: retrieved")
    doc["meta"] = {}
    path = _write(tmp_path / "c.json", doc)
    os.utime(path, (1767225600, 1767225600))  # 2026-01-01 UTC
    lst = load_cahra(path)
    assert (lst.date, lst.dated_by) == (dt.date(2026, 1, 1), "file date")
    doc["meta"] = {"dataUpdated": "2026-13-45"}
    with pytest.raises(ReferenceDataError, match="dataUpdated"):
        load_cahra(_write(tmp_path / "d.json", doc))


def test_consecutive_snapshots_in_date_order(tmp_path: Path) -> None:
    march = load_cahra(_write(tmp_path / "march.json", BASE))
    june = load_cahra(_write(tmp_path / "june.json", _edited(BASE, "2026-06-27")))
    same = load_cahra(_write(tmp_path / "same.json", _edited(BASE, "2026-09-30")))
    changes = cahra_changes([same, june, march])  # given out of order
    assert [s.date for s in changes.snapshots] == [dt.date(2026, 3, 28), dt.date(2026, 6, 27),
                                                   dt.date(2026, 9, 30)]
    first, second = changes.steps
    assert (first.countries_added, first.countries_removed, first.added, first.removed,
            first.flags_changed) == (
        ("DD",), ("CC",),
        (ListedArea(country="BB", region="BB-W", name="West", conflict_affected=False,
                    high_risk=True),
         ListedArea(country="DD", region="DD-C", name="Coast", conflict_affected=True,
                    high_risk=False)),
        (ListedArea(country="CC", region="CC-E", name="East", conflict_affected=False,
                    high_risk=True),),
        (FlagChange(country="BB", region="BB-S", name="South",
                    before=AreaFlags(conflict_affected=False, high_risk=True),
                    after=AreaFlags(conflict_affected=True, high_risk=True)),))
    assert (first.before.source, first.after.areas) == ("unit", 5)
    assert second.unchanged and second.countries_added == second.countries_removed == ()


def test_a_country_listed_whole_instead_of_by_region(tmp_path: Path) -> None:
    doc = copy.deepcopy(BASE)
    doc["meta"]["dataUpdated"] = "2026-06-27"
    doc["entries"][1] = {"countryName": "Betaland", "iso2": "BB", "wholeCountry": True,
                         "conflictAffected": None, "highRisk": None, "regions": None}
    step, = cahra_changes([load_cahra(_write(tmp_path / "a.json", BASE)),
                           load_cahra(_write(tmp_path / "b.json", doc))]).steps
    assert [(a.country, a.region) for a in step.added] == [("BB", None)]
    assert [(a.country, a.region) for a in step.removed] == [("BB", "BB-N"), ("BB", "BB-S")]
    assert step.countries_added == step.countries_removed == () and not step.flags_changed


def test_the_command_in_text_and_json(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    old = _write(tmp_path / "march.json", BASE)
    new = _write(tmp_path / "june.json", _edited(BASE, "2026-06-27"))
    assert main(["upstream", "cahra-changes", str(new), str(old)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "unit (Report: March 2026; 2026-03-28, meta: dataUpdated) -> unit (Report: March 2026;"
        " 2026-06-27, meta: dataUpdated)",
        "  countries added: DD",
        "  countries removed: CC",
        "  + BB BB-W West: high-risk",
        "  + DD DD-C Coast: conflict-affected",
        "  - CC CC-E East: high-risk",
        "  ~ BB BB-S South: high-risk -> conflict-affected, high-risk",
        "  2 areas added, 1 removed, 1 with changed flags",
    ]
    assert main(["upstream", "cahra-changes", "--json", str(old), str(new)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["date"] for s in data["snapshots"]] == ["2026-03-28", "2026-06-27"]
    assert data["steps"][0]["countries_added"] == ["DD"]
    assert main(["upstream", "cahra-changes", str(old), str(tmp_path / "none.json")]) == 2


@pytest.mark.skipif(not REAL.is_file(), reason="the CAHRA list in ../shared/reference/other "
                                               "is not present")
def test_the_published_list_against_an_edit_of_itself(tmp_path: Path) -> None:
    doc = json.loads(REAL.read_text(encoding="utf-8"))
    real = load_cahra(REAL)
    assert (real.date, real.dated_by) == (dt.date(2026, 3, 28), "meta: dataUpdated")
    edit = copy.deepcopy(doc)
    edit["meta"]["dataUpdated"] = "2026-06-30T00:00:00Z"
    dropped = edit["entries"].pop(0)  # the first country leaves the list
    flipped = next(e for e in edit["entries"] if e.get("regions"))
    region = flipped["regions"][0]
    region["highRisk"] = not region["highRisk"]
    flipped["regions"].append({"name": "Invented", "code": f"{flipped['iso2']}-ZZZ",
                               "conflictAffected": True, "highRisk": False})
    step, = cahra_changes([load_cahra(_write(tmp_path / "edit.json", edit)), real]).steps
    assert step.before.sha256 == real.snapshot.sha256  # the published list is the older
    assert step.countries_added == ()
    assert step.countries_removed == (dropped["iso2"],)
    assert [(a.country, a.region) for a in step.added] == [(flipped["iso2"],
                                                           f"{flipped['iso2']}-ZZZ")]
    gone = [(dropped["iso2"], r["code"]) for r in dropped["regions"] or []] or [
        (dropped["iso2"], None)]
    assert sorted((a.country, a.region or "") for a in step.removed) == sorted(
        (c, r or "") for c, r in gone)
    assert [(c.country, c.region, c.before.high_risk, c.after.high_risk)
            for c in step.flags_changed] == [(flipped["iso2"], region["code"],
                                              real.lookup(flipped["iso2"], region["code"])[0]
                                              .high_risk, region["highRisk"])]
