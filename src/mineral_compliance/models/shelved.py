"""Sequences kept on disk: what grows with the files a consolidation reads (rows, findings,
files) is written to a :class:`Shelf`, an anonymous temporary file, and read back item by
item through :class:`Shelved` views, so that no process holds all of it at once.

A shelf is written once, by the process that made it, and read only by that process: its
items are pickled (it is never a file anyone else wrote). Nobody closes it: it goes, with its
file, when the last view on it is dropped. A model field that may hold a view is annotated
:data:`Rows`: validation passes a view on as it is (its items were validated when they were
made), makes a tuple of anything else, and serialisation writes the items."""

from __future__ import annotations

import copyreg
import functools
import io
import itertools
import os
import pickle
import tempfile
import threading
import weakref
from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Annotated, Any, Generic, TypeVar, cast, get_args, overload

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

__all__ = ["Deferred", "Packed", "Rows", "Shelf", "Shelved"]

T = TypeVar("T")

_FLUSH_AT = 1 << 20
"""Bytes of pickled items buffered before they are written to the file."""


_SHELVES: weakref.WeakValueDictionary[int, Shelf] = weakref.WeakValueDictionary()
"""The shelves of this process by number: what an item holding a view on its own shelf
names that shelf by."""
_NUMBERS = itertools.count()


class Shelf:
    """An append-only temporary file of pickled items, each known by its index. An item
    that holds a view on this same shelf keeps it as that view (its ids), not as the items
    it shows: a supplier file on the shelf keeps its findings where they already are."""

    def __init__(self) -> None:
        # closed, and so gone, when the shelf is collected (it has no name to clean up)
        self._file: IO[bytes] = tempfile.TemporaryFile(  # noqa: SIM115
            prefix="mineral-compliance-shelf-")
        self._ends = array("q")
        """Where each item ends in the file; it starts where the one before it ends."""
        self._buffer = bytearray()
        self._written = 0
        self._lock = threading.Lock()
        self._closed = weakref.finalize(self, self._file.close)
        self._number = next(_NUMBERS)
        _SHELVES[self._number] = self
        self._out = io.BytesIO()
        self._pickler = pickle.Pickler(self._out, protocol=pickle.HIGHEST_PROTOCOL)
        # by the shelf's number, not the shelf: no cycle keeps a dropped shelf's file open
        self._pickler.dispatch_table = {**copyreg.dispatch_table,
                                        Shelved: functools.partial(_view_state, self._number)}

    def __len__(self) -> int:
        return len(self._ends)

    def add(self, item: object) -> int:
        """Put ``item`` on the shelf; return its index."""
        with self._lock:
            self._out.seek(0)
            self._out.truncate()
            self._pickler.dump(item)
            self._pickler.clear_memo()  # holds nothing of the item once it is written
            with self._out.getbuffer() as data:
                self._buffer += data
            self._ends.append(self._written + len(self._buffer))
            if len(self._buffer) >= _FLUSH_AT:
                self._flush()
            return len(self._ends) - 1

    def extend(self, items: Sequence[T]) -> Shelved[T]:
        """Put ``items`` on the shelf, in order; return the view of them."""
        first = len(self._ends)
        for item in items:
            self.add(item)
        return Shelved(self, range(first, first + len(items)))

    def view(self, indexes: range | array[int]) -> Shelved[Any]:
        """The items at ``indexes`` (as :meth:`add` returned them), in that order."""
        return Shelved(self, indexes)

    def get(self, index: int) -> Any:
        if index < 0:
            raise IndexError(index)
        return pickle.loads(self._span(index, index + 1))

    def get_range(self, ids: range) -> Iterator[Any]:
        """The items of ``ids`` (a range with step 1), read a megabyte or so at a time."""
        if ids.step != 1 or (ids and ids.start < 0):
            raise IndexError(ids)
        ends, first = self._ends, ids.start
        while first < ids.stop:
            base = ends[first - 1] if first else 0
            stop = first + 1
            while stop < ids.stop and ends[stop] - base <= _FLUSH_AT:
                stop += 1
            data = memoryview(self._span(first, stop))
            for i in range(first, stop):
                start = ends[i - 1] if i else 0
                yield pickle.loads(data[start - base:ends[i] - base])
            first = stop

    def _span(self, first: int, stop: int) -> bytes:
        """The bytes of items ``first`` to ``stop - 1``."""
        start, end = self._ends[first - 1] if first else 0, self._ends[stop - 1]
        with self._lock:
            if start >= self._written:  # still in the buffer
                return bytes(self._buffer[start - self._written:end - self._written])
            if end > self._written:
                self._flush()
            # written by this process, to a file no other has a name for: read as pickled
            return self._read(start, end - start)

    def _flush(self) -> None:
        self._file.seek(self._written)
        self._file.write(self._buffer)
        self._file.flush()
        self._written += len(self._buffer)
        self._buffer.clear()

    def _read(self, start: int, size: int) -> bytes:
        if hasattr(os, "pread"):  # no shared file position: a forked process cannot move it
            return os.pread(self._file.fileno(), size, start)
        self._file.seek(start)
        return self._file.read(size)


def _view_state(number: int, view: Shelved[Any]
                ) -> tuple[Callable[..., object], tuple[object, ...]]:
    """How shelf ``number`` keeps a view in one of its items: by ids when the view is on
    it, else (another shelf's) as the items."""
    if view._shelf._number == number:
        return _view_on, (number, view._ids)
    return view.__reduce__()


def _view_on(number: int, ids: range | array[int]) -> Shelved[Any]:
    """A view kept in an item of shelf ``number``, as it was (read from that shelf, which
    is therefore alive)."""
    return Shelved(_SHELVES[number], ids)


class Deferred(Sequence[T], Generic[T]):
    """An immutable sequence whose items are made when they are read, from ids it holds (and
    only those): :class:`Shelved` reads them from a shelf, :class:`Packed` makes them from
    tables in memory. It compares and hashes like the tuple of its items, and pickles as
    that tuple."""

    __slots__ = ("_ids",)

    def __init__(self, ids: range | array[int]) -> None:
        self._ids = ids

    def _item(self, i: int) -> T:
        raise NotImplementedError

    def _of(self, ids: range | array[int]) -> Deferred[T]:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Deferred[T]: ...
    def __getitem__(self, index: int | slice) -> T | Deferred[T]:
        if isinstance(index, slice):
            return self._of(self._ids[index])
        return self._item(self._ids[index])

    def __iter__(self) -> Iterator[T]:
        item = self._item
        for i in self._ids:
            yield item(i)

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other,
                                                                        strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __reduce__(self) -> tuple[Callable[..., object], tuple[object, ...]]:
        return tuple, (tuple(self),)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} items)"


class Shelved(Deferred[T]):
    """Items on a :class:`Shelf`, read from its file each time they are read."""

    __slots__ = ("_shelf",)

    def __init__(self, shelf: Shelf, ids: range | array[int]) -> None:
        super().__init__(ids)
        self._shelf = shelf

    def _item(self, i: int) -> T:
        return cast(T, self._shelf.get(i))

    def _of(self, ids: range | array[int]) -> Shelved[T]:
        return Shelved(self._shelf, ids)

    def __iter__(self) -> Iterator[T]:
        ids = self._ids
        if isinstance(ids, range) and ids.step == 1:
            return cast(Iterator[T], self._shelf.get_range(ids))
        return super().__iter__()


class Packed(Deferred[T]):
    """Items made by ``make`` from their ids, each time they are read: for items small enough
    to keep as a few numbers into tables that many of them share (a consolidation's
    sources)."""

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[int], T], ids: range | array[int]) -> None:
        super().__init__(ids)
        self._make = make

    def _item(self, i: int) -> T:
        return self._make(i)

    def _of(self, ids: range | array[int]) -> Packed[T]:
        return Packed(self._make, ids)


class _ShelvedOrTuple:
    """The pydantic side of :data:`Rows`: a :class:`Deferred` sequence passes as it is,
    anything else is validated as ``tuple[item, ...]``; both serialise as a list of their
    items."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        (item,) = get_args(source) or (Any,)
        inner = handler.generate_schema(tuple[item, ...])  # type: ignore[valid-type]

        def validate(value: Any, validator: core_schema.ValidatorFunctionWrapHandler) -> Any:
            return value if isinstance(value, Deferred) else validator(value)

        def serialise(value: Any, serializer: core_schema.SerializerFunctionWrapHandler
                      ) -> Any:
            return serializer(tuple(value) if isinstance(value, Deferred) else value)

        return core_schema.no_info_wrap_validator_function(
            validate, inner, serialization=core_schema.wrap_serializer_function_ser_schema(
                serialise, schema=inner))


Rows = Annotated[Sequence[T], _ShelvedOrTuple()]
"""A model field's type for a collection that may be deferred: a tuple, or a
:class:`Deferred` sequence."""
