"""Templates saved again by another tool: LibreOffice Calc, and openpyxl (which a script
that fills templates may use).

LibreOffice writes a workbook its own way (shared strings in its own order, its own styles,
every formula recalculated, its own cached results); openpyxl keeps formulas and drops every
cached result. A file either saved is a file nobody here wrote. What the reader takes from
it, and every finding, must be those of the file the tool opened; only a formula's cached
result, and whether a cell still holds one, may differ."""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from pathlib import Path

import openpyxl
import pytest

from mineral_compliance import read_template, validate_file

from ..conftest import FIXTURES, needs_reference, reference_files

_SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
DEMO = sorted((FIXTURES / "demo").glob("*.xlsx"))
REAL = reference_files("cmrt", "RMI_CMRT_6.4_2024*.xlsx")[:1]

needs_soffice = pytest.mark.skipif(_SOFFICE is None, reason="LibreOffice (soffice) is not "
                                   "installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def resaved(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path]:
    """Each demo file (and one real supplier file) opened and saved as .xlsx by LibreOffice,
    in one run of it."""
    assert _SOFFICE is not None
    base = tmp_path_factory.mktemp("libreoffice")
    (base / "in").mkdir()
    sources = {f"{i:02}.xlsx": path for i, path in enumerate([*DEMO, *REAL])}
    for name, path in sources.items():
        shutil.copy(path, base / "in" / name)
    subprocess.run([_SOFFICE, f"-env:UserInstallation=file://{base / 'profile'}", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(base / "out"),
                    *sorted(str(p) for p in (base / "in").iterdir())],
                   check=True, capture_output=True, timeout=600)
    return {path: base / "out" / name for name, path in sources.items()}


def _read(path: Path) -> object:
    """What the reader takes from ``path``, less where it is and what a recalculation
    changes (a formula's cached result, and whether the cell holds a formula)."""
    def strip(x: object) -> object:
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in ("file", "cached", "formula")}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x
    return strip(json.loads(read_template(path).model_dump_json(exclude={"file", "sha256"})))


def _findings(path: Path) -> list[tuple[str, str | None, str | None, str]]:
    return sorted((f.code, f.sheet, f.cell, f.message) for f in validate_file(path).findings)


@needs_soffice
@pytest.mark.parametrize("path", DEMO, ids=[p.name for p in DEMO])
def test_a_template_saved_by_libreoffice_reads_and_checks_as_before(
        path: Path, resaved: dict[Path, Path]) -> None:
    saved = resaved[path]
    assert saved.read_bytes() != path.read_bytes()
    assert _read(saved) == _read(path)
    assert _findings(saved) == _findings(path)


@needs_soffice
@needs_reference
@pytest.mark.parametrize("path", REAL, ids=[p.name for p in REAL])
def test_a_real_supplier_file_saved_by_libreoffice_reads_and_checks_as_before(
        path: Path, resaved: dict[Path, Path]) -> None:
    saved = resaved[path]
    assert _read(saved) == _read(path)
    assert _findings(saved) == _findings(path)


def _saved_by_openpyxl(path: Path, dest: Path) -> Path:
    with warnings.catch_warnings():  # (it warns of the extensions it drops)
        warnings.simplefilter("ignore")
        openpyxl.load_workbook(path).save(dest)
    return dest


@pytest.mark.parametrize("path", [*DEMO, *REAL], ids=[p.name for p in [*DEMO, *REAL]])
def test_a_template_saved_by_openpyxl_reads_and_checks_as_before(path: Path, tmp_path: Path
                                                                  ) -> None:
    saved = _saved_by_openpyxl(path, tmp_path / "saved.xlsx")
    assert _read(saved) == _read(path)
    assert _findings(saved) == _findings(path)
