"""Write the JSON Schemas of the public models to ``schemas/``. Run after changing a model."""

from __future__ import annotations

from pathlib import Path

from mineral_compliance.schema import SCHEMAS, render_schema

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    for name in SCHEMAS:
        (ROOT / "schemas" / name).write_text(render_schema(name), encoding="utf-8")
        print(f"schemas/{name}")
