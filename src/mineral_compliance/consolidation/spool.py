"""Each input's Smelter List rows set aside on disk as its result comes in, and read back one
file at a time when the consolidation reaches it, and its findings put on the shelf the
consolidation keeps them on: the parent never holds every file's rows or findings at once
(they are most of what a worker returns)."""

from __future__ import annotations

import dataclasses
import pickle
import tempfile
from collections.abc import Hashable
from types import TracebackType
from typing import IO, Any

from ..models.matching import DeclaredSmelter
from ..models.shelved import Shelf, Shelved
from .loading import Loaded

__all__ = ["RowSpool"]


class RowSpool:
    """A temporary file of Smelter List rows, by input label; removed when closed. The
    findings go to :attr:`shelf`, which outlives it (the consolidation's files keep their
    findings there).

    Only this process writes and reads it, so the rows are stored pickled."""

    def __init__(self) -> None:
        self.shelf = Shelf()
        # closed by close() or the with block that holds the spool
        self._file: IO[bytes] = tempfile.TemporaryFile(  # noqa: SIM115
            prefix="mineral-compliance-rows-")
        self._at: dict[str, tuple[int, int]] = {}
        self._end = 0
        self._shared: dict[Hashable, Any] = {}
        self._answers: dict[tuple[tuple[str, str | None], ...], dict[str, str | None]] = {}

    def keep(self, loaded: Loaded) -> Loaded:
        """``loaded`` without its rows, which go to the spool (a label seen before keeps its
        rows in memory: the spool never mixes two inputs up), its findings on the shelf, and
        its answers the same objects as every other file's equal answers."""
        if loaded.findings and not isinstance(loaded.findings, Shelved):
            loaded = dataclasses.replace(loaded, findings=self.shelf.extend(loaded.findings))
        decl = loaded.decl
        if decl is None:
            return loaded
        rows = decl.rows
        if rows and loaded.label not in self._at:
            data = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
            self._file.seek(self._end)
            self._file.write(data)
            self._at[loaded.label] = (self._end, len(data))
            self._end += len(data)
            rows = ()
        return dataclasses.replace(loaded, decl=dataclasses.replace(
            decl, rows=rows, minerals=self._same(decl.minerals),
            answers={self._same(m): self._same_answers(qs) for m, qs in decl.answers.items()}))

    def _same(self, value: Hashable) -> Any:
        """The one object kept for values equal to ``value``."""
        return self._shared.setdefault(value, value)

    def _same_answers(self, answers: dict[str, str | None]) -> dict[str, str | None]:
        """One mineral's answers as the one dict kept for equal answers (never changed:
        a digest's answers are only read)."""
        items = tuple(answers.items())
        kept = self._answers.get(items)
        if kept is None:
            kept = self._answers[items] = {self._same(q): self._same(a) for q, a in items}
        return kept

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
