"""``consolidation.json``, the file later runs read a consolidation back from: written and
read here, so that the two agree. It holds the whole model and, for people reading it, the
summary counts (dropped again when it is read)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError

from .._io import FileRefusedError, read_capped
from .._io.run import write_atomic_chunks
from .._io.text import json_chunks, json_text
from ..errors import ReferenceDataError
from ..models.consolidation import Consolidation

__all__ = ["FILE_NAME", "MAX_CONSOLIDATION_BYTES", "ROW_FIELDS", "item_json",
           "load_consolidation", "rows_apart", "save_consolidation"]

FILE_NAME = "consolidation.json"
MAX_CONSOLIDATION_BYTES = 2 * 1024**3
"""The largest ``consolidation.json`` read back (about 200,000 supplier files' worth)."""


def save_consolidation(c: Consolidation, folder: str | Path) -> Path:
    """Write ``consolidation.json`` into ``folder`` (inside the enclosing output run, if any)
    and return its path."""
    data, lists = rows_apart(c)
    data["summary"] = c.summary()
    path = Path(folder) / FILE_NAME
    write_atomic_chunks(path, json_chunks(data, lists, item_json))
    return path


ROW_FIELDS = ("files", "smelters", "rejected", "products", "mines")
"""The fields that grow with the files consolidated: written one item at a time."""


def rows_apart(c: Consolidation) -> tuple[dict[str, Any], dict[str, Sequence[BaseModel]]]:
    """A consolidation as JSON data, every field in order, beside the items of its
    :data:`ROW_FIELDS` (left to :func:`~mineral_compliance._io.text.json_chunks` to write
    one at a time)."""
    data = c.model_dump(mode="json", exclude=set(ROW_FIELDS))
    return ({name: data.get(name) for name in type(c).model_fields},
            {name: getattr(c, name) for name in ROW_FIELDS})


def item_json(item: BaseModel, *, indent: bool = True) -> str:
    """One item's JSON text, indented by two spaces or on one line."""
    try:  # pydantic's own JSON is the standard library's, written faster
        return item.model_dump_json(indent=2 if indent else None)
    except PydanticSerializationError:  # a lone surrogate, which only json.dumps passes on
        data = item.model_dump(mode="json")
        return json_text(data) if indent else json.dumps(data, ensure_ascii=False,
                                                         separators=(",", ":"))


def load_consolidation(path: str | Path) -> Consolidation:
    """A consolidation :func:`save_consolidation` wrote (as
    :func:`~mineral_compliance.outputs.write_consolidation` does), from its folder or its
    ``consolidation.json``."""
    target = Path(path)
    if target.is_dir():
        target = target / FILE_NAME
    try:
        data = json.loads(read_capped(target, MAX_CONSOLIDATION_BYTES).decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("the file holds no consolidation object")
        data.pop("summary", None)
        return Consolidation.model_validate(data)
    except (FileRefusedError, ValueError, RecursionError) as exc:
        # ValueError covers bad UTF-8, bad JSON and pydantic's validation errors
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ReferenceDataError(f"no readable consolidation here ({reason})", path=target,
                                 hint="point at the output folder of an earlier run") from exc
