"""Each input's Smelter List rows set aside on disk as its result comes in, and read back one
file at a time when the consolidation reaches it: the parent never holds every file's rows
at once (they are most of what a worker returns)."""

from __future__ import annotations

import dataclasses
import pickle
import tempfile
from types import TracebackType
from typing import IO

from ..models.matching import DeclaredSmelter
from .loading import Loaded

__all__ = ["RowSpool"]


class RowSpool:
    """A temporary file of Smelter List rows, by input label; removed when closed.

    Only this process writes and reads it, so the rows are stored pickled."""

    def __init__(self) -> None:
        # closed by close() or the with block that holds the spool
        self._file: IO[bytes] = tempfile.TemporaryFile(  # noqa: SIM115
            prefix="mineral-compliance-rows-")
        self._at: dict[str, tuple[int, int]] = {}
        self._end = 0

    def keep(self, loaded: Loaded) -> Loaded:
        """``loaded`` without its rows, which go to the spool (a label seen before keeps its
        rows in memory: the spool never mixes two inputs up)."""
        decl = loaded.decl
        if decl is None or not decl.rows or loaded.label in self._at:
            return loaded
        data = pickle.dumps(decl.rows, protocol=pickle.HIGHEST_PROTOCOL)
        self._file.seek(self._end)
        self._file.write(data)
        self._at[loaded.label] = (self._end, len(data))
        self._end += len(data)
        return dataclasses.replace(loaded, decl=dataclasses.replace(decl, rows=()))

    def rows(self, label: str) -> tuple[DeclaredSmelter, ...]:
        """The rows kept for ``label`` (none when it kept none)."""
        at = self._at.get(label)
        if at is None:
            return ()
        self._file.seek(at[0])
        rows: tuple[DeclaredSmelter, ...] = pickle.loads(self._file.read(at[1]))
        return rows

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RowSpool:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
