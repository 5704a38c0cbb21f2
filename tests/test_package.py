"""The package root: every public name resolves, and importing it, or asking the command for
its version or its help, loads nothing heavy."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import mineral_compliance

HEAVY = ("pydantic", "lxml", "requests", "rapidfuzz", "pycountry", "openpyxl", "jinja2",
         "tqdm", "dateutil")


def _modules_after(code: str) -> list[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120)
    assert "Traceback" not in out.stderr, out.stderr
    loaded: list[str] = json.loads(out.stdout.splitlines()[-1])
    return loaded


def _loaded_after(code: str) -> set[str]:
    """The top-level modules a fresh interpreter has loaded after running ``code``."""
    return {name.split(".")[0] for name in _modules_after(code)}


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



def test_the_oracle_is_a_distribution_of_its_own_in_step_with_the_package() -> None:
    """The main package carries no LibreOffice machinery; the oracle, a separate distribution
    offered as the ``oracle`` extra, moves in step with its version."""
    import tomllib

    repo = Path(__file__).resolve().parents[1]
    assert not (Path(mineral_compliance.__file__).parent / "oracle").exists()
    main = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    oracle = tomllib.loads((repo / "oracle" / "pyproject.toml").read_text(encoding="utf-8"))
    assert main["optional-dependencies"]["oracle"] == [oracle["project"]["name"]]
    assert oracle["project"]["version"] == mineral_compliance.__version__
    assert oracle["project"]["dependencies"] == [main["name"]]
    assert "uno" not in _loaded_after("import mineral_compliance_oracle")


_VERSION = textwrap.dedent("""
    import runpy, sys
    sys.argv = ["mineral-compliance", "--version"]
    try:
        runpy.run_module("mineral_compliance", run_name="__main__")
    except SystemExit as exc:
        assert exc.code == 0, exc.code
""")


def test_the_version_of_the_command_loads_only_its_parser() -> None:
    """``python -m mineral_compliance --version`` builds the parser and nothing else: no
    command module, none of the library's reading parts, none of the heavy libraries."""
    modules = _modules_after(_VERSION)
    assert {m.split(".")[0] for m in modules}.isdisjoint(HEAVY)
    ours = {m for m in modules if m.startswith("mineral_compliance")}
    assert ours == {"mineral_compliance", "mineral_compliance._version",
                    "mineral_compliance.errors", "mineral_compliance.cli",
                    "mineral_compliance.cli._parser"}


def test_building_the_parser_loads_none_of_the_heavy_libraries() -> None:
    loaded = _loaded_after("from mineral_compliance.cli import _parser; _parser()")
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


_EVERY_HELP = textwrap.dedent("""
    import contextlib, io, json
    from mineral_compliance.cli import _commands, _parser, main
    done = {}
    for words, _, _ in _commands(_parser()):
        shown = io.StringIO()
        with contextlib.redirect_stdout(shown):
            try:
                main([*words, "--help"])
            except SystemExit as exc:
                done[" ".join(words)] = [exc.code, shown.getvalue()]
    print(json.dumps(done))
""")


def test_every_command_answers_help() -> None:
    out = subprocess.run([sys.executable, "-c", _EVERY_HELP], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stderr == ""
    done = json.loads(out.stdout)
    assert {"read", "validate", "consolidate", "report dodd-frank", "eu scope"} <= set(done)
    for command, (code, shown) in done.items():
        assert code == 0, command
        assert shown.startswith(f"usage: mineral-compliance {command} "), command
