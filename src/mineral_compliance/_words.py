"""Counts in messages and reports: "1 file", "2 files"."""

from __future__ import annotations

__all__ = ["counted"]


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` and the noun in the number it takes; ``plural`` for nouns not ending in -s."""
    return f"{n} {singular if n == 1 else plural or f'{singular}s'}"
