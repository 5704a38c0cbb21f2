"""``report dodd-frank`` and ``report eu`` on the demo consolidation with no set-up, and the
company's own profile required for any other."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mineral_compliance.cli import DEMO_DIR, main
from mineral_compliance.disclosures import load_profile


@pytest.fixture(scope="module")
def consolidations(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo consolidation, and one of a copy of a demo file kept elsewhere."""
    out = tmp_path_factory.mktemp("consolidations")
    assert main(["consolidate", "-o", str(out / "demo"), "--no-progress"]) == 0
    own = out / "own-inputs"
    own.mkdir()
    shutil.copy(DEMO_DIR / "cmrt-6.6-requester-products.xlsx", own / "supplier.xlsx")
    assert main(["consolidate", str(own), "-o", str(out / "own"), "--no-progress"]) == 0
    return {"demo": out / "demo", "own": out / "own"}


def test_the_demo_ships_an_example_profile_of_an_invented_registrant() -> None:
    profile = load_profile(DEMO_DIR / "company-profile.toml")
    assert profile.registrant_name == "Example Devices Inc." and profile.reporting_year == 2025
    assert {m for p in profile.products for m in p.metals} == {"Tin", "Tantalum", "Tungsten",
                                                               "Gold"}


@pytest.mark.parametrize(("command", "written"), [
    ("dodd-frank", {"form-sd.htm", "ex1-01.htm", "checklist.md", "audit-trail.html",
                    "audit-trail.md", "report-data.json"}),
    ("eu", {"eu-annual-report.htm", "eu-checklist.md", "eu-audit-trail.html",
            "eu-audit-trail.md", "eu-report-data.json"}),
])
def test_the_demo_consolidation_reports_without_a_profile(
        consolidations: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        command: str, written: set[str]) -> None:
    out = tmp_path / command
    assert main(["report", command, "--consolidation", str(consolidations["demo"]),
                 "-o", str(out)]) == 0
    printed = capsys.readouterr()
    err = printed.err
    assert "using their example profile" in err and "company-profile.toml" in err
    assert written <= {p.name for p in out.iterdir()}
    trail = next(p for p in written if p.endswith("audit-trail.html"))
    assert "internal audit trail (confidential" in printed.out
    assert str(out / trail) in printed.out
    first = next(p for p in sorted(written) if p.endswith(".htm"))
    assert "Example Devices Inc." in (out / first).read_text(encoding="ascii")


def test_any_other_consolidation_needs_the_companys_own_profile(
        consolidations: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "dfk"
    assert main(["report", "dodd-frank", "--consolidation", str(consolidations["own"]),
                 "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no company profile given" in err and "--profile" in err
    assert not out.exists()
    # with one, the same consolidation reports, and no note about the example is printed
    assert main(["report", "dodd-frank", "--consolidation", str(consolidations["own"]),
                 "--profile", str(DEMO_DIR / "company-profile.toml"), "-o", str(out)]) == 0
    assert "example profile" not in capsys.readouterr().err


def test_the_consolidation_defaults_to_where_consolidate_writes(
        consolidations: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(consolidations["demo"], tmp_path / "consolidation")
    monkeypatch.chdir(tmp_path)
    assert main(["report", "dodd-frank"]) == 0
    assert (tmp_path / "dodd-frank" / "form-sd.htm").is_file()
    capsys.readouterr()
    monkeypatch.chdir(tmp_path / "dodd-frank")
    assert main(["report", "eu"]) == 2  # no ./consolidation here: said, not a traceback
    assert "consolidation" in capsys.readouterr().err


@pytest.mark.parametrize(("command", "public"), [("dodd-frank", "ex1-01.md"),
                                                 ("eu", "eu-annual-report.md")])
def test_origin_data_is_read_at_report_time_and_every_row_not_read_is_printed(
        consolidations: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        command: str, public: str) -> None:
    origin = tmp_path / "origin.csv"
    origin.write_text("Smelter ID,Metal,Countries of Origin,Source,As Of\n"
                      "CID900001,Tin,Indonesia,RMI RCOI data,2025-12-31\n"
                      "CID900004,Tungsten,Atlantis,RMI RCOI data,2025-12-31\n",
                      encoding="utf-8")
    out = tmp_path / command
    assert main(["report", command, "--consolidation", str(consolidations["demo"]),
                 "--origin", str(origin), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"origin data: 1 row read from {origin}" in printed
    assert "  row 3: not read: 'Atlantis' names no country" in printed
    text = " ".join((out / public).read_text(encoding="utf-8").split())
    assert "For Tin, the data covers the facility identified; it names Indonesia as a " \
           "country of origin." in text
    assert str(origin) not in text


def test_an_origin_file_without_a_smelter_id_column_stops_the_report(
        consolidations: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    origin = tmp_path / "origin.csv"
    origin.write_text("Name,Country\nExample,Peru\n", encoding="utf-8")
    out = tmp_path / "dfk"
    assert main(["report", "dodd-frank", "--consolidation", str(consolidations["demo"]),
                 "--origin", str(origin), "-o", str(out)]) == 2
    assert "no smelter ID column" in capsys.readouterr().err
    assert not out.exists()
