"""Where a store's URL points, without opening it: so that a command that reads a store
can refuse one that does not exist instead of creating an empty one."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["store_file"]


def store_file(url: str) -> Path | None:
    """The file of the SQLite store at ``url`` (which may not exist yet); None for a
    store on a server, an in-memory one, or a URL that cannot be read (opening it says
    why)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)
