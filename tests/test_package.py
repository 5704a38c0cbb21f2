"""The package root: every public name resolves, and importing it loads nothing heavy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import mineral_compliance

HEAVY = ("pydantic", "lxml", "requests", "rapidfuzz", "pycountry", "openpyxl", "jinja2",
         "tqdm", "dateutil")


def _loaded_after(code: str) -> set[str]:
    """The top-level modules a fresh interpreter has loaded after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120)
    return {name.split(".")[0] for name in json.loads(out.stdout.splitlines()[-1])}


def test_importing_the_package_loads_none_of_the_heavy_libraries() -> None:
    loaded = _loaded_after("import mineral_compliance; mineral_compliance.__version__")
    assert "mineral_compliance" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_a_public_name_loads_what_it_needs_when_first_used() -> None:
    loaded = _loaded_after("import mineral_compliance; mineral_compliance.read_template")
    assert {"pydantic", "lxml"} <= loaded


@pytest.mark.parametrize("name", mineral_compliance.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(mineral_compliance, name) is not None
    assert name in dir(mineral_compliance)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'read_tempalte'"):
        mineral_compliance.read_tempalte  # noqa: B018


def test_the_package_is_typed_and_has_one_version() -> None:
    root = Path(mineral_compliance.__file__).parent
    assert (root / "py.typed").is_file()
    from importlib.metadata import version

    assert version("mineral-compliance") == mineral_compliance.__version__
