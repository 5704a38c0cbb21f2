"""Write the generated reference pages under ``docs/``. Run after changing a layout table."""

from __future__ import annotations

from pathlib import Path

from mineral_compliance.cli import render_cli_reference
from mineral_compliance.rules.catalogue import render_catalogue
from mineral_compliance.templates.layouts.describe import render_layouts

ROOT = Path(__file__).resolve().parents[1]

GENERATED = {"layouts.md": render_layouts, "findings.md": render_catalogue,
             "cli.md": render_cli_reference}

if __name__ == "__main__":
    for name, render in GENERATED.items():
        (ROOT / "docs" / name).write_text(render(), encoding="utf-8")
        print(f"docs/{name}")
