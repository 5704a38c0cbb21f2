"""A stored consolidation screened against a newer CAHRA list gives what a fresh
consolidation with that list gives, without the supplier files."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mineral_compliance.cli import main
from mineral_compliance.consolidation import consolidate, load_consolidation, rescreen
from mineral_compliance.models.consolidation import Consolidation
from mineral_compliance.models.matching import Flag
from mineral_compliance.outputs import write_consolidation
from mineral_compliance.refdata import CahraList, load_cahra

from ..conftest import FIXTURES

DEMO = FIXTURES / "demo"


def _entry(iso2: str, name: str, regions: list[tuple[str, str]] | None = None,
           high_risk: bool = True) -> dict[str, Any]:
    return {"countryName": name, "iso2": iso2, "wholeCountry": regions is None,
            "conflictAffected": None if regions else False,
            "highRisk": None if regions else high_risk,
            "regions": [{"code": c, "name": n, "conflictAffected": True, "highRisk": True}
                        for c, n in regions or []]}


def _list(path: Path, updated: str, *entries: dict[str, Any]) -> CahraList:
    path.write_text(json.dumps({"meta": {"source": str(path), "version": f"Report {updated}",
                                         "dataUpdated": f"{updated}T00:00:00Z"},
                                "entries": list(entries)}), encoding="utf-8")
    return load_cahra(path)


@pytest.fixture(scope="module")
def lists(tmp_path_factory: pytest.TempPathFactory) -> tuple[CahraList, CahraList]:
    folder = tmp_path_factory.mktemp("cahra")
    old = _list(folder / "a.json", "2025-12-31", _entry("ID", "Indonesia"),
                _entry("CD", "Congo (DRC)", [("CD-NK", "Nord-Kivu")]))
    new = _list(folder / "b.json", "2026-03-31", _entry("ZM", "Zambia"),
                _entry("PE", "Peru", [("PE-PUN", "Puno")]),
                _entry("CD", "Congo (DRC)", [("CD-NK", "Nord-Kivu"), ("CD-SK", "Sud-Kivu")]))
    return old, new


def _consolidate(cahra: CahraList | None) -> Consolidation:
    with ThreadPoolExecutor(2) as pool:
        return consolidate([DEMO], executor=pool, cahra=cahra)


def _screened(c: Consolidation) -> dict[str, tuple[str, ...]]:
    return {s.key: tuple(f for f in s.flags if f in (Flag.CAHRA, Flag.CAHRA_REGION))
            for s in c.smelters}


def test_a_rescreen_gives_what_a_fresh_consolidation_with_the_new_list_gives(
        lists: tuple[CahraList, CahraList]) -> None:
    old, new = lists
    with_old, fresh = _consolidate(old), _consolidate(new)
    for start in (with_old, _consolidate(None)):
        again = rescreen(start, new)
        assert again.smelters == fresh.smelters
        assert again.answers == fresh.answers
        assert again.snapshots == fresh.snapshots
        assert again.summary() == fresh.summary()
        assert again == fresh
    by_name = {s.name: s.key for s in fresh.smelters}
    flagged = {k: v for k, v in _screened(fresh).items() if v}
    zambia = next(s.key for s in fresh.smelters if s.country == "ZAMBIA")
    peru = next(s.key for s in fresh.smelters if s.country == "PERU")
    assert flagged == {zambia: ("cahra",), peru: ("cahra-region",)}
    indonesia = next(s.key for s in with_old.smelters if s.country == "INDONESIA")
    assert {k: v for k, v in _screened(with_old).items() if v} == {indonesia: ("cahra",)}
    assert by_name  # the demo names its smelters


def test_a_known_region_decides_as_in_a_fresh_screen(
        lists: tuple[CahraList, CahraList]) -> None:
    _old, new = lists
    base = _consolidate(None)
    peru = next(i for i, s in enumerate(base.smelters) if s.country == "PERU")
    smelters = list(base.smelters)
    for region, flags in (("PE-PUN", ("cahra",)), ("PE-LIM", ()), (None, ("cahra-region",))):
        smelters[peru] = base.smelters[peru].model_copy(update={"region": region})
        again = rescreen(base.model_copy(update={"smelters": tuple(smelters)}), new)
        assert _screened(again)[again.smelters[peru].key] == flags


def test_the_rescreen_command_writes_the_consolidation_again(
        tmp_path: Path, lists: tuple[CahraList, CahraList],
        capsys: pytest.CaptureFixture[str]) -> None:
    old, new = lists
    run = tmp_path / "run"
    write_consolidation(_consolidate(old), run)
    new_file = tmp_path / "new.json"
    new_file.write_bytes(Path(new.snapshot.source).read_bytes())
    assert main(["upstream", "rescreen", "--consolidation", str(run), "--cahra", str(new_file),
                 "-o", str(tmp_path / "out")]) == 0
    said = capsys.readouterr().out
    assert said.startswith("screened against Report 2026-03-31 (2026-03-31): 1 smelter in a "
                           "CAHRA (was 1), 1 in a country with listed regions")
    written = load_consolidation(tmp_path / "out")
    assert written == rescreen(load_consolidation(run), load_cahra(new_file))
    assert load_consolidation(run) == _consolidate(old)  # the original is left as it was
    # in place (the default): the folder's files are the re-screened consolidation's
    assert main(["upstream", "rescreen", "--consolidation", str(run),
                 "--cahra", str(new_file)]) == 0
    assert (run / "consolidation.json").read_bytes() == (
        tmp_path / "out" / "consolidation.json").read_bytes()


def test_the_cahra_answers_follow_the_new_flags(lists: tuple[CahraList, CahraList]) -> None:
    old, new = lists
    with_old, fresh = _consolidate(old), _consolidate(new)
    changed = {(a.family, a.mineral, a.question): (a.answer, b.answer)
               for a, b in zip(with_old.answers, fresh.answers, strict=True) if a != b}
    # the Indonesian tin smelter made the CMRT tin answer Yes; the new list leaves it No
    assert changed == {("CMRT", "Tin", "4"): ("Yes", "No")}
    assert rescreen(with_old, new).answers == fresh.answers


def test_in_place_the_product_subset_follows_and_company_templates_are_not_overwritten(
        tmp_path: Path, lists: tuple[CahraList, CahraList],
        capsys: pytest.CaptureFixture[str]) -> None:
    from mineral_compliance.consolidation import product_subset

    old, new = lists
    with_old = _consolidate(old)
    number = next(p.product_number for p in with_old.products if p.product_number)
    run = tmp_path / "run"
    write_consolidation(with_old, run, products=product_subset(with_old, [number]))
    assert main(["upstream", "rescreen", "--consolidation", str(run / "consolidation.json"),
                 "--cahra", new.snapshot.source]) == 0
    capsys.readouterr()
    assert load_consolidation(run / "products") == rescreen(
        product_subset(with_old, [number]), new)
    (run / "company-cmrt.xlsx").write_bytes(b"")
    before = (run / "consolidation.json").read_bytes()
    assert main(["upstream", "rescreen", "--consolidation", str(run),
                 "--cahra", old.snapshot.source]) == 2
    assert "company's own templates" in capsys.readouterr().err
    assert (run / "consolidation.json").read_bytes() == before
