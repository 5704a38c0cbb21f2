"""JSON written one list item at a time is byte for byte the JSON written at once."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mineral_compliance._io.text import json_bytes, json_chunks, json_text
from mineral_compliance.consolidation import consolidate, load_consolidation
from mineral_compliance.consolidation.store import save_consolidation

from ..conftest import FIXTURES

leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
tree = st.recursive(leaf, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)


@settings(max_examples=100, deadline=None)
@given(head=st.dictionaries(st.text(max_size=10), tree, max_size=5),
       rows=st.dictionaries(st.text(max_size=10), st.lists(tree, max_size=5), max_size=3))
def test_every_shape_and_character_streams_as_it_dumps(
        head: dict[str, Any], rows: dict[str, list[Any]]) -> None:
    data = {**head, **{k: None for k in rows}}

    def wrapped(x: Any) -> Any:
        return {"item": x}

    whole = {k: [wrapped(x) for x in rows[k]] if k in rows else v for k, v in data.items()}
    assert b"".join(json_chunks(data, rows, lambda x: json_text(wrapped(x)))) == json_bytes(
        whole)
    one_line = b"".join(json_chunks(data, rows, lambda x: json.dumps(wrapped(x)),
                                    indent=False))
    assert b"\n" not in one_line
    assert json.loads(one_line) == json.loads(json_bytes(whole))


def test_lone_surrogates_are_replaced_in_items_too() -> None:
    chunks = list(json_chunks({"a": "\ud800", "b": None}, {"b": ["x\udfff"]}, json_text))
    text = b"".join(chunks).decode("utf-8")
    assert json.loads(text) == {"a": "\ufffd", "b": ["x\ufffd"]}
    assert len(chunks) > 3  # the list went item by item


def test_consolidation_json_is_the_model_dump_and_reads_back(tmp_path: Path) -> None:
    with ThreadPoolExecutor(2) as pool:
        c = consolidate([FIXTURES / "demo"], executor=pool)
    assert c.files and c.smelters and c.products
    path = save_consolidation(c, tmp_path)
    assert path.read_bytes() == json_bytes({**c.model_dump(mode="json"),
                                            "summary": c.summary()})
    assert load_consolidation(tmp_path) == c
