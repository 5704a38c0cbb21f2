"""Frozen, typed models of what suppliers declare. Pure data: no file or network access."""

from .declaration import (
    Company,
    Declaration,
    MineralOrder,
    MineralScopeRow,
    MineRow,
    PlaceholderKind,
    ProductRow,
    QuestionAnswer,
    SmelterRow,
    TemplateIdentity,
    TemplateKind,
)
from .reference import LookupEntry, SmelterReference
from .values import DateValue, Origin, Provenance, Status, TextValue, Value

__all__ = [
    "Company",
    "DateValue",
    "Declaration",
    "LookupEntry",
    "MineRow",
    "MineralOrder",
    "MineralScopeRow",
    "Origin",
    "PlaceholderKind",
    "ProductRow",
    "Provenance",
    "QuestionAnswer",
    "SmelterReference",
    "SmelterRow",
    "Status",
    "TemplateIdentity",
    "TemplateKind",
    "TextValue",
    "Value",
]
