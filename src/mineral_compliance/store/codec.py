"""The large values of the store, as compressed JSON: what a worker returned for a file,
a reference list, a consolidation."""

from __future__ import annotations

import dataclasses
import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError

from .._io.text import json_chunks, scrub
from ..consolidation.loading import Loaded
from ..consolidation.store import item_json, rows_apart
from ..errors import StoreError
from ..models.consolidation import Consolidation
from ..models.findings import Finding
from ..models.reference import SmelterReference

__all__ = ["ERASED", "decode_consolidation", "decode_loaded", "decode_reference", "encode",
           "encode_consolidation", "encode_loaded", "json_of", "scrub_findings", "without_contact"]

_LOADED: TypeAdapter[Loaded] = TypeAdapter(Loaded)
_MAX_BYTES = 512 * 1024 * 1024
"""What one stored value may inflate to."""

M = TypeVar("M", bound=BaseModel)


def _inflate(blob: bytes, what: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(blob, _MAX_BYTES)
    except zlib.error as exc:
        raise StoreError(f"the stored {what} is damaged: {exc}") from exc
    if inflater.unconsumed_tail:
        raise StoreError(f"the stored {what} inflates to more than {_MAX_BYTES} bytes")
    return data


def _json(fast: Callable[[], bytes | str], plain: Callable[[], Any]) -> bytes:
    """JSON bytes, written by pydantic (``fast``) or, for text it refuses (a lone surrogate,
    which a workbook's ``_xD800_`` escape can give), by the standard library from ``plain``
    data, the surrogate replaced (U+FFFD) as in every output."""
    try:
        text = fast()
    except PydanticSerializationError:
        return scrub(json.dumps(plain(), ensure_ascii=False)).encode("utf-8")
    return text.encode("utf-8") if isinstance(text, str) else text


def encode(model: BaseModel) -> bytes:
    return zlib.compress(_json(model.model_dump_json, lambda: model.model_dump(mode="json")),
                         6)


def encode_consolidation(c: Consolidation) -> bytes:
    """:func:`encode` of a consolidation, its rows encoded and compressed one at a time (the
    JSON of every row is never held at once)."""
    packer = zlib.compressobj(6)
    data, lists = rows_apart(c)
    parts = [packer.compress(chunk) for chunk in json_chunks(
        data, lists, lambda item: item_json(item, indent=False), indent=False)]
    return b"".join((*parts, packer.flush()))


def encode_loaded(loaded: Loaded) -> bytes:
    return zlib.compress(_json(lambda: _LOADED.dump_json(loaded),
                               lambda: _LOADED.dump_python(loaded, mode="json")), 6)


ERASED = "[personal data not kept]"
"""What stands in a stored finding where it quoted a personal value."""


def scrub_findings(findings: Sequence[Finding], values: Iterable[str]
                   ) -> tuple[tuple[Finding, ...], int]:
    """``findings`` with every quote of ``values`` replaced by :data:`ERASED`, and how many
    findings changed."""
    words = sorted({v for v in values if len(v) >= 3}, key=len, reverse=True)
    if not words:
        return tuple(findings), 0
    changed = 0
    out = []
    for f in findings:
        update: dict[str, str | None] = {}
        for name in ("message", "hint", "subject"):
            text = getattr(f, name)
            if text is None:
                continue
            new = text
            for w in words:
                new = new.replace(w, ERASED)
            if new != text:
                update[name] = new
        if update:
            changed += 1
            f = f.model_copy(update=update)
        out.append(f)
    return tuple(out), changed


def without_contact(loaded: Loaded, *, scrub: bool = True) -> Loaded:
    """``loaded`` with its declaration's personal data removed (it is stored only in the
    contacts table, and only when asked), and with ``scrub``, from the findings that quote
    it too."""
    if loaded.decl is None:
        return loaded
    findings = (scrub_findings(loaded.findings, loaded.decl.personal)[0] if scrub
                else loaded.findings)
    return dataclasses.replace(loaded, findings=findings, decl=dataclasses.replace(
        loaded.decl, contact=(None, None, None), personal=()))


def decode_loaded(blob: bytes) -> Loaded:
    try:
        return _LOADED.validate_json(_inflate(blob, "submission"))
    except ValidationError as exc:
        raise StoreError(f"a stored submission cannot be read back: {exc}",
                         hint="it was written by another version of mineral_compliance; "
                              "ingest the file again") from exc


def _model(blob: bytes, model: type[M], what: str) -> M:
    try:
        return model.model_validate_json(_inflate(blob, what))
    except ValidationError as exc:
        raise StoreError(f"a stored {what} cannot be read back: {exc}") from exc


def decode_reference(blob: bytes) -> SmelterReference:
    return _model(blob, SmelterReference, "reference list")


def decode_consolidation(blob: bytes) -> Consolidation:
    return _model(blob, Consolidation, "consolidation")


def json_of(value: Any) -> str:
    """Plain data as JSON text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
