"""The review report as a document: self-contained, escaped, its figures the consolidation's,
written by ``consolidate`` and re-rendered by ``report html``; and the generated CLI page."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest
from lxml import html

from mineral_compliance.cli import _commands, _parser, main, render_cli_reference
from mineral_compliance.consolidation import consolidate
from mineral_compliance.models.consolidation import Consolidation
from mineral_compliance.review import render_report
from mineral_compliance.templates._xlsx import patch_cells

from ..conftest import FIXTURES, ROOT

DEMO = FIXTURES / "demo"
NAME = "Evil <b>\"quoted\"</b> & 'Co' <script>alert(1)</script>"


def _x(doc: Any, path: str) -> list[Any]:
    return cast(list[Any], doc.xpath(path))


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Consolidation:
    folder = tmp_path_factory.mktemp("inbox")
    for p in DEMO.glob("*.xlsx"):
        (folder / p.name).write_bytes(p.read_bytes())
    patch_cells(DEMO / "crt-2.21-cobalt.xlsx", {"Declaration!D8": NAME}, folder / "evil.xlsx")
    return consolidate([folder], executor=None)


def test_the_report_is_self_contained_and_escapes_supplier_text(season: Consolidation) -> None:
    text = render_report(season)
    doc = html.fromstring(text)
    # nothing to fetch: no src, no stylesheet links, links only to anchors in the page
    assert _x(doc, "//@src") == [] and _x(doc, "//link") == []
    assert all(h.startswith("#") for h in _x(doc, "//a/@href"))
    inline = "".join(_x(doc, "//style/text()") + _x(doc, "//script/text()"))
    assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", inline)
    # the policy admits exactly the page's own style sheet and script
    policy = _x(doc, "//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    for tag in ("style", "script"):
        (body,) = _x(doc, f"//{tag}/text()")
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    # supplier text is text: one script element (the page's), no <b> from the name
    assert len(_x(doc, "//script")) == 1 and _x(doc, "//td//b") == []
    assert NAME in _x(doc, "//table[@id='supplier-table']")[0].text_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_figures_tables_and_charts_come_from_the_consolidation(season: Consolidation) -> None:
    doc = html.fromstring(render_report(season))
    figures = {e.get("data-figure"): int(e.text) for e in _x(doc, "//*[@data-figure]")}
    summary = season.summary()
    assert {k: figures[k] for k in summary} == summary
    assert len(_x(doc, "//table[@id='supplier-table']/tbody/tr")) == len(season.files)
    assert len(_x(doc, "//table[@id='smelter-table']/tbody/tr")) == len(season.smelters)
    shown = sum(len(f.findings) for f in season.files)
    assert len(_x(doc, "//ul[@class='findings']/li")) == shown > 0
    per_metal = {g.get("data-metal"): int(g.get("data-total"))
                 for g in _x(doc, "//figure[@id='chart-exposure']//g")}
    metals: dict[str, int] = {}
    for s in season.smelters:
        metals[s.metal] = metals.get(s.metal, 0) + 1
    assert per_metal == metals
    # the table under the audit-status chart: one row per metal, one column per status
    table = _x(doc, "//figure[@id='chart-status']//table")[0]
    heads = [th.text_content() for th in _x(table, ".//thead//th")][1:-1]
    shown_counts = {}
    for row in _x(table, ".//tbody/tr"):
        cells = [c.text_content() for c in _x(row, "./*")]
        shown_counts.update({(cells[0], h): int(v) for h, v in zip(heads, cells[1:-1],
                                                                    strict=True) if v != "0"})
    expected_counts: dict[tuple[str, str], int] = {}
    for s in season.smelters:
        key = (s.metal, s.status.value)
        expected_counts[key] = expected_counts.get(key, 0) + 1
    assert shown_counts == expected_counts
    assert _x(doc, "//section[@id='changes']") == []  # no previous run given


def test_consolidate_writes_the_report_and_prints_its_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["consolidate", "-o", str(out), "--no-progress", str(DEMO)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == f"review report: {(out / 'report.html').resolve()}"
    first = (out / "report.html").read_bytes()
    # again, against the first run: the same report plus what changed
    out2 = tmp_path / "again"
    assert main(["report", "html", "--consolidation", str(out), "--previous", str(out),
                 "-o", str(out2 / "r.html")]) == 0
    doc = html.fromstring((out2 / "r.html").read_bytes())
    assert _x(doc, "//*[@data-figure='changes_added']/text()") == ["0"]
    assert main(["report", "html", "--consolidation", str(out)]) == 0
    assert (out / "report.html").read_bytes() == first  # same inputs, same bytes
    assert main(["report", "html", "--consolidation", str(tmp_path / "missing")]) == 2
    # with and then without --previous: no comparison from the earlier run is left behind
    assert main(["consolidate", "-o", str(out), "--no-progress", "--previous", str(out),
                 str(DEMO)]) == 0
    assert (out / "comparison.json").is_file()
    assert main(["consolidate", "-o", str(out), "--no-progress", str(DEMO)]) == 0
    assert not (out / "comparison.json").exists()


def test_the_cli_reference_page_is_current_and_complete() -> None:
    on_disk = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert on_disk == render_cli_reference(), "run: python scripts/export_docs.py"
    commands = [" ".join(words) for words, _, _ in _commands(_parser())]
    assert {"consolidate", "report html", "report dodd-frank", "eu scope"} <= set(commands)
    for command in commands:
        assert f"## `mineral-compliance {command}`" in on_disk
        help_text = subprocess.run([sys.executable, "-m", "mineral_compliance",
                                    *command.split(), "--help"], capture_output=True,
                                   text=True, check=True).stdout
        for option in re.findall(r"\| `(--[a-z-]+)", on_disk.split(
                f"## `mineral-compliance {command}`")[1].split("\n## ")[0]):
            assert option in help_text, (command, option)
    assert str(Path.home()) not in on_disk
