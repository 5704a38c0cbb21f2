"""Tables of rules the library ships as JSON, or a user's own table in the same shape."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from ..errors import ReferenceDataError
from ..tables import read_capped

M = TypeVar("M", bound=BaseModel)


def load_table(model: type[M], shipped: str, path: str | Path | None, *, max_bytes: int,
               what: str, hint: str | None = None) -> tuple[M, bytes, str]:
    """``model`` read from the JSON the package ships at ``shipped``, or from ``path`` (at
    most ``max_bytes``): the table, the bytes it was read from (for a snapshot's digest) and
    where they came from. Anything that is no such table is a :class:`ReferenceDataError`
    calling it not ``what``."""
    if path is None:
        data = resources.files("mineral_compliance").joinpath(shipped).read_bytes()
        source = f"mineral_compliance/{shipped}"
    else:
        data = read_capped(Path(path), max_bytes)
        source = str(path)
    try:
        table = model.model_validate(json.loads(data))
    except RecursionError as exc:
        raise ReferenceDataError(f"not {what} (the JSON is nested too deeply)",
                                 path=source) from exc
    except ValueError as exc:  # JSON and validation errors alike
        raise ReferenceDataError(f"not {what} ({exc})", path=source, hint=hint) from exc
    return table, data, source
