"""File names made from what suppliers wrote, safe on every platform and kept inside the
folder they are written to.

A company name becomes a file name in the per-supplier feedback of a consolidation and in a
campaign's reminder drafts: both take it from here, so that a name is made safe one way.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from pathvalidate import sanitize_filename

from ..errors import OutputError

__all__ = ["path_inside", "safe_file_name"]


def safe_file_name(text: str | None, *, fallback: str = "supplier", max_len: int = 80) -> str:
    """A file name (without folder) made from ``text`` that is valid on Windows, macOS and
    Linux and cannot name a folder, a parent, a hidden file or a device."""
    value = unicodedata.normalize("NFKC", text or "")
    # control, format (bidirectional overrides, zero-width), private-use and unassigned
    value = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in value)
    value = " ".join(value.split())
    value = sanitize_filename(value, replacement_text="_", platform="universal",
                              max_len=max_len)
    value = value.strip(" ._-")
    # a second pass: stripping may have uncovered a reserved name ("NUL " -> "NUL")
    value = sanitize_filename(value, platform="universal", max_len=max_len).strip(" .")
    return value or fallback


def path_inside(folder: Path, name: str) -> Path:
    """``folder / name``, refused (:class:`~mineral_compliance.errors.OutputError`) unless
    it is a file directly inside ``folder``."""
    path = folder / name
    if path.resolve().parent != folder.resolve() or path.name != name:
        raise OutputError(f"the file name {name!r} would leave the output folder",
                          path=folder, hint="report this input; it should have been made safe")
    return path
