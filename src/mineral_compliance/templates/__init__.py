"""RMI workbooks: detection, layout tables, the reader and the writer."""

from collections.abc import Iterable

from .detect import Detection, detect, version_key
from .layouts import LAYOUTS, Layout
from .reader import read_template, reference_from_template
from .writer import write_template

__all__ = ["Detection", "detect", "latest_layout", "layout_named", "read_template",
           "reference_from_template", "write_template"]

_BY_NAME = {layout.name: layout for layout in LAYOUTS}


def layout_named(name: str) -> Layout:
    """The layout table a declaration was read with (``decl.template.layout``)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"no layout table is named {name!r} (known: "
                         f"{', '.join(sorted(_BY_NAME))})") from None


def latest_layout(names: Iterable[str]) -> Layout:
    """Of the layout tables named, the one for the newest release."""
    layouts = [layout_named(n) for n in names]
    if not layouts:
        raise ValueError("no layout table named")
    return max(layouts, key=lambda la: max(version_key(v) for v in la.versions))
