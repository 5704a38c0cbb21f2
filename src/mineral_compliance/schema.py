"""JSON Schema of the public models, as exported to ``schemas/``."""

from __future__ import annotations

import json
from typing import Any

from .models.consolidation import Comparison, Consolidation
from .models.declaration import Declaration
from .models.matching import SmelterMatch
from .models.reference import SmelterReference

__all__ = ["SCHEMAS", "render_schema"]

SCHEMAS: dict[str, Any] = {
    "declaration.schema.json": Declaration,
    "smelter-reference.schema.json": SmelterReference,
    "smelter-match.schema.json": SmelterMatch,
    "consolidation.schema.json": Consolidation,
    "comparison.schema.json": Comparison,
}


def render_schema(name: str) -> str:
    """The JSON Schema text of one exported model, formatted as checked in."""
    model = SCHEMAS[name]
    schema = model.model_json_schema(mode="serialization")
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
