"""Reading the files users supply as reference data: bounded in size, errors typed."""

from __future__ import annotations

from pathlib import Path

from ..errors import ReferenceDataError

__all__ = ["decode_text", "read_capped"]


def read_capped(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, refusing files over ``limit`` bytes before reading them."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise ReferenceDataError(f"the file is {size} bytes, over the {limit} byte limit",
                                     path=path)
        return path.read_bytes()
    except OSError as exc:
        raise ReferenceDataError(f"the file cannot be read ({exc.strerror})", path=path) from exc


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 (with or without a byte-order mark), else Windows-1252, as spreadsheet programs
    save CSV."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ReferenceDataError("the file is neither UTF-8 nor Windows-1252 text", path=path)
