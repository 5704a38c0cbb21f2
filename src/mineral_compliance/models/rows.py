"""List-sheet rows (Smelter List, Product List, Mine List, Minerals Scope), stored compactly.

A template may hold ten thousand list rows, each of a dozen or more cells, and most of those
cells are blank or plain typed text. Holding a full :class:`~.values.Value` with its own
:class:`~.values.Provenance` for every cell costs about 700 bytes a cell. A row here keeps one
tuple of the cells' values and, only for the cells that are not plain typed text, their raw
content, origin, status and cached result; the sheet, file and columns are shared by every row
of the sheet. Each :class:`~.values.Value` is built when it is asked for, equal to the one the
reader would have built, provenance included.

A row class is declared like a pydantic model: annotations, defaults and ``Field``
descriptions. Its pydantic shape (``model_fields``, JSON Schema, validation from a dict,
serialisation) is a frozen pydantic model of the same name and fields, so a model holding
rows validates, dumps and describes them as before.
"""

from __future__ import annotations

import inspect
import re
import typing
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, Self

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, create_model
from pydantic.fields import FieldInfo
from pydantic_core import core_schema

from .values import Origin, Provenance, RawScalar, Status, TextValue

__all__ = ["Cell", "ListRow", "RowSheet"]


class Cell(NamedTuple):
    """What a value holds apart from its provenance: the fields of :class:`~.values.Value`
    in their order. Readers build these and let the row pack them."""

    value: Any = None
    raw: RawScalar = None
    origin: Origin = Origin.BLANK
    status: Status = Status.BLANK
    cached: RawScalar = None
    formula: bool = False

    @property
    def is_blank(self) -> bool:
        return self.status is Status.BLANK

    @classmethod
    def of(cls, value: TextValue) -> Cell:
        return cls(value.value, value.raw, value.origin, value.status, value.cached,
                   value.formula)


BLANK = Cell()

_STATES = tuple((o, s, f) for o in Origin for s in Status for f in (False, True))
_CODE = {state: code for code, state in enumerate(_STATES)}
_KEPT = -1
"""The code of a value kept whole, because its provenance is not the row's cell."""
_SAME = -2
"""The code of a value that is another field's value, cell included (the effective smelter
ID is the ID typed in column A when there is one)."""
_KEY_SHIFT = 2
_KEY_BITS = 5
_KEY_MASK = (1 << _KEY_BITS) - 1
_KEYS: list[int] = []
"""Every key built so far, so that rows share one int object for each instead of one each."""


def _key(field: int, code: int) -> int:
    """One int for a field's index and its code (its origin, status and formula flag)."""
    key = field << _KEY_BITS | (code + _KEY_SHIFT)
    while len(_KEYS) <= key:
        _KEYS.append(len(_KEYS))
    return _KEYS[key]


@dataclass(frozen=True, slots=True, weakref_slot=True)
class RowSheet:
    """What the rows of one list sheet share: the file, the sheet, and the column of each
    value (``-`` where the layout has none: the value's cell is then None), in the order of
    the row class's value fields followed by ``extra``, the names of further columns (Product
    List only)."""

    file: str
    sheet: str
    columns: tuple[str, ...]
    extra: tuple[str, ...] = ()

    @classmethod
    def of(cls, file: str, sheet: str, columns: Sequence[str],
           extra: Sequence[str] = ()) -> RowSheet:
        """The shared instance for these fields (rows built apart still share one)."""
        made = cls(file, sheet, tuple(columns), tuple(extra))
        return _SHEETS.setdefault(made, made)


_SHEETS: weakref.WeakValueDictionary[RowSheet, RowSheet] = weakref.WeakValueDictionary()

_new = object.__new__
_set = object.__setattr__
_VALUE_SET = set(TextValue.model_fields)
_PROVENANCE_SET = set(Provenance.model_fields)


def _provenance(file: str, sheet: str, cell: str | None) -> Provenance:
    made = _new(Provenance)
    _set(made, "__dict__", {"file": file, "sheet": sheet, "cell": cell})
    _set(made, "__pydantic_fields_set__", _PROVENANCE_SET)
    _set(made, "__pydantic_extra__", None)
    _set(made, "__pydantic_private__", None)
    return made


def _value(where: Provenance, value: Any, raw: RawScalar, origin: Origin, status: Status,
           cached: RawScalar, formula: bool) -> TextValue:
    """A value from parts that were validated when the row was packed."""
    made = _new(TextValue)
    _set(made, "__dict__", {"value": value, "raw": raw, "origin": origin, "status": status,
                            "cached": cached, "formula": formula, "provenance": where})
    _set(made, "__pydantic_fields_set__", _VALUE_SET)
    _set(made, "__pydantic_extra__", None)
    _set(made, "__pydantic_private__", None)
    return made


def _typed(c: Cell) -> bool:
    """Plain typed text: the value is the cell's text, nothing else to keep."""
    return (type(c[0]) is str and c[1] == c[0] and c[2] is Origin.INPUT and c[3] is Status.OK
            and c[4] is None and not c[5])


def _value_field(index: int) -> property:
    """A row attribute whose :class:`~.values.Value` is built on access."""
    return property(lambda row: row._value_at(index))


def _plain_field(index: int) -> property:
    return property(lambda row: row._plain[index])


_ROW_SUFFIX = re.compile(r"([A-Z]{1,3})([0-9]+)")
_NO_COLUMN = "-"
"""The column of a field the sheet has no column for in this release: its cell is None."""


def _cell_of(column: str, row: int) -> str | None:
    return None if column == _NO_COLUMN else f"{column}{row}"


class ListRow:
    """Base of the list-sheet rows: frozen, compact, built by the reader with :meth:`pack` or
    by anyone with keyword arguments (``SmelterRow(row=5, metal=TextValue(...), ...)``)."""

    __slots__ = ("_at", "_cells", "_plain", "row")

    row: int
    _at: RowSheet
    _cells: tuple[Any, ...]
    """The value of each column of ``_at``, then three items for each value that is neither
    blank nor plain typed text: its key (:func:`_key`), then its raw content and cached
    result, or for a kept value the value and None, or for a same value the field and None."""
    _plain: tuple[Any, ...]

    _value_fields: ClassVar[tuple[str, ...]] = ()
    _plain_fields: ClassVar[tuple[str, ...]] = ()
    _plain_defaults: ClassVar[tuple[Any, ...]] = ()
    _has_extra: ClassVar[bool] = False
    _index: ClassVar[dict[str, int]] = {}
    _model: ClassVar[type[BaseModel]]
    model_fields: ClassVar[dict[str, FieldInfo]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        hints = typing.get_type_hints(cls)
        own = inspect.get_annotations(cls)
        values: list[str] = []
        plain: list[str] = []
        defaults: list[Any] = []
        fields: dict[str, Any] = {}
        for name in own:
            hint = hints[name]
            declared = cls.__dict__.get(name, ...)
            fields[name] = (hint, declared)
            if name == "row":
                continue
            if name == "extra":
                cls._has_extra = True
            elif hint is TextValue:
                setattr(cls, name, _value_field(len(values)))
                values.append(name)
            else:
                info = declared if isinstance(declared, FieldInfo) else None
                default = info.get_default(call_default_factory=True) if info else declared
                if default is ...:
                    raise TypeError(f"{cls.__name__}.{name}: a plain field needs a default")
                setattr(cls, name, _plain_field(len(plain)))
                plain.append(name)
                defaults.append(default)
        if cls._has_extra:
            setattr(cls, "extra", property(ListRow._extra_values))  # noqa: B010 (not on the base)
        cls._value_fields = tuple(values)
        cls._index = {name: i for i, name in enumerate(values)}
        cls._plain_fields = tuple(plain)
        cls._plain_defaults = tuple(defaults)
        cls._model = create_model(
            cls.__name__, __config__=ConfigDict(frozen=True), __doc__=cls.__doc__,
            __module__=cls.__module__, **fields)
        cls.model_fields = cls._model.model_fields

    # -- building -----------------------------------------------------------------------

    def __init__(self, **fields: Any) -> None:
        self._assign(self._model.model_validate(fields))

    @classmethod
    def build(cls, **fields: Any) -> Self:
        """The row from keyword arguments, validated like the keyword constructor."""
        return cls(**fields)

    @classmethod
    def pack(cls, at: RowSheet, row: int,
             cells: Sequence[Cell | int] | Mapping[str, Cell | str], **plain: Any) -> Self:
        """The row from the reader's cells, one per value field then one per ``at.extra``
        name (in that order, or by name), each at the column ``at`` gives for it (the reader
        built them valid). An index (a name) in place of a cell says the value is that
        earlier field's value, cell included."""
        if isinstance(cells, Mapping):
            names = (*cls._value_fields, *at.extra)
            if set(cells) != set(names):
                raise ValueError(f"cells for {sorted(set(cells) ^ set(names))} do not fit")
            cells = [names.index(c) if isinstance(c, str) else c
                     for c in (cells[n] for n in names)]
        if len(cells) != len(at.columns):
            raise ValueError(f"{len(cells)} cells for the {len(at.columns)} columns of the row")
        made = _new(cls)
        values: list[Any] = []
        x: list[Any] = []
        for i, c in enumerate(cells):
            if isinstance(c, int):
                if not 0 <= c < i:
                    raise ValueError(f"cell {i} refers to field {c}, not an earlier one")
                values.append(values[c])
                x.extend((_key(i, _SAME), c, None))
                continue
            values.append(c[0])
            if c == BLANK or _typed(c):
                continue
            x.extend((_key(i, _CODE[(c[2], c[3], c[5])]), c[1], c[4]))
        made._store(at, row, (*values, *x), plain)
        return made

    def _store(self, at: RowSheet, row: int, cells: tuple[Any, ...],
               plain: Mapping[str, Any]) -> None:
        _set(self, "_at", at)
        _set(self, "row", row)
        _set(self, "_cells", cells)
        kept = tuple(plain.get(n, d) for n, d in
                     zip(self._plain_fields, self._plain_defaults, strict=True))
        # most rows keep every default: they share the class's tuple of them
        _set(self, "_plain", self._plain_defaults if kept == self._plain_defaults else kept)

    def _assign(self, model: BaseModel) -> None:
        data = model.__dict__
        row: int = data["row"]
        named: list[tuple[str, TextValue]] = [(n, data[n]) for n in self._value_fields]
        extra: dict[str, TextValue] = data.get("extra") or {}
        named.extend(extra.items())
        first = next((v.provenance for _, v in named), None)
        file, sheet = (first.file, first.sheet) if first else ("", "")
        columns: list[str] = []
        values: list[Any] = []
        x: list[Any] = []
        for i, (_name, v) in enumerate(named):
            where = v.provenance
            m = _ROW_SUFFIX.fullmatch(where.cell) if where.cell is not None else None
            fits = ((where.cell is None or (m is not None and int(m[2]) == row))
                    and where.file == file and where.sheet == sheet)
            columns.append(m[1] if fits and m else _NO_COLUMN)
            values.append(v.value)
            if not fits:
                same = next((k for k in range(i) if named[k][1] == v), None)
                x.extend((_key(i, _KEPT), v, None) if same is None
                         else (_key(i, _SAME), same, None))
                continue
            c = Cell.of(v)
            if not (c == BLANK or _typed(c)):
                x.extend((_key(i, _CODE[(c.origin, c.status, c.formula)]), c.raw, c.cached))
        at = RowSheet.of(file, sheet, columns, list(extra))
        self._store(at, row, (*values, *x), {n: data[n] for n in self._plain_fields})

    # -- reading ------------------------------------------------------------------------

    def _value_at(self, index: int) -> TextValue:
        at = self._at
        cells = self._cells
        for j in range(len(at.columns), len(cells), 3):
            key = cells[j]
            if key >> _KEY_BITS != index:
                continue
            code = (key & _KEY_MASK) - _KEY_SHIFT
            if code == _SAME:
                return self._value_at(cells[j + 1])
            if code == _KEPT:
                kept: TextValue = cells[j + 1]
                return kept
            origin, status, formula = _STATES[code]
            return _value(_provenance(at.file, at.sheet, _cell_of(at.columns[index], self.row)),
                          cells[index], cells[j + 1], origin, status, cells[j + 2], formula)
        where = _provenance(at.file, at.sheet, _cell_of(at.columns[index], self.row))
        value = cells[index]
        if value is None:
            return _value(where, None, None, Origin.BLANK, Status.BLANK, None, False)
        return _value(where, value, value, Origin.INPUT, Status.OK, None, False)

    def value_of(self, field: str) -> Any:
        """The normalised value of one field, ``getattr(row, field).value``, without building
        the :class:`~.values.Value` (for code that reads many rows)."""
        index = self._index.get(field)
        if index is None:
            raise AttributeError(f"{type(self).__name__} has no value field {field!r}")
        return self._cells[index]

    def _extra_values(self) -> dict[str, TextValue]:
        first = len(self._value_fields)
        return {name: self._value_at(first + i) for i, name in enumerate(self._at.extra)}

    def fields(self) -> dict[str, Any]:
        """Every field by name, values built, as the keyword constructor takes them."""
        out: dict[str, Any] = {"row": self.row}
        out.update((n, self._value_at(i)) for i, n in enumerate(self._value_fields))
        if self._has_extra:
            out["extra"] = self._extra_values()
        out.update(zip(self._plain_fields, self._plain, strict=True))
        return out

    def values(self) -> Iterator[TextValue]:
        """The row's values in field order, then its further columns."""
        for i in range(len(self._at.columns)):
            yield self._value_at(i)

    # -- the pydantic shape ---------------------------------------------------------------

    def to_model(self) -> BaseModel:
        """The row as an instance of its pydantic shape (what serialisation writes)."""
        return self._model.model_validate(self.fields())

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        return self.to_model().model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:
        return self.to_model().model_dump_json(**kwargs)

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Self:
        """A copy with some fields replaced (validated like the keyword constructor)."""
        return type(self)(**{**self.fields(), **(update or {})})

    @classmethod
    def model_validate(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        return cls._from_model(cls._model.model_validate(obj))

    @classmethod
    def _from_model(cls, model: BaseModel) -> Self:
        made = _new(cls)
        made._assign(model)
        return made

    @classmethod
    def _to_model(cls, row: ListRow) -> BaseModel:
        return row.to_model()

    @classmethod
    def __get_pydantic_core_schema__(
            cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        shape = handler.generate_schema(cls._model)
        from_shape = core_schema.no_info_after_validator_function(cls._from_model, shape)
        return core_schema.json_or_python_schema(
            json_schema=from_shape,
            python_schema=core_schema.union_schema(
                [core_schema.is_instance_schema(cls), from_shape]),
            serialization=core_schema.plain_serializer_function_ser_schema(
                cls._to_model, return_schema=shape),
        )

    # -- a frozen value -------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot delete {name!r}")

    def _key(self) -> tuple[Any, ...]:
        return (self.row, self._at, self._cells, self._plain)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, ListRow)
        # one row can be packed two ways (a value at another field's cell is kept as "same
        # as that field" by the reader and by its column when rebuilt): compare the values
        return self._key() == other._key() or self.fields() == other.fields()

    def __hash__(self) -> int:
        return hash((type(self).__name__, *(
            tuple(v.items()) if isinstance(v, dict) else v for v in self.fields().values())))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self._key()))

    def __repr__(self) -> str:
        shown = [f"row={self.row}"]
        shown += [f"{n}={v!r}" for n, v in zip(self._value_fields, self._cells, strict=False)
                  if v is not None]
        shown += [f"{n}={v!r}" for n, v in zip(self._plain_fields, self._plain, strict=True)
                  if v is not None]
        return f"{type(self).__name__}({', '.join(shown)})"


def _restore(cls: type[ListRow], key: tuple[Any, ...]) -> ListRow:
    row, at, cells, plain = key
    made = _new(cls)
    made._store(RowSheet.of(at.file, at.sheet, at.columns, at.extra), row, cells,
                dict(zip(cls._plain_fields, plain, strict=True)))
    return made
