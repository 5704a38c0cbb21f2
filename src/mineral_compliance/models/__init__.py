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
    QuestionRole,
    ReadNote,
    ReadNoteCode,
    SmelterRow,
    TemplateIdentity,
    TemplateKind,
)
from .findings import Basis, Finding, Report, Severity
from .instructions import CheckerInstructions, Instruction
from .matching import (
    Candidate,
    DeclaredSmelter,
    MatchGrade,
    SmelterMatch,
    Snapshot,
    StatusKind,
)
from .reference import LookupEntry, SmelterReference
from .values import DateValue, Origin, Provenance, Status, TextValue, Value

__all__ = [
    "Basis",
    "Candidate",
    "CheckerInstructions",
    "Company",
    "DateValue",
    "Declaration",
    "DeclaredSmelter",
    "Finding",
    "Instruction",
    "LookupEntry",
    "MatchGrade",
    "MineRow",
    "MineralOrder",
    "MineralScopeRow",
    "Origin",
    "PlaceholderKind",
    "ProductRow",
    "Provenance",
    "QuestionAnswer",
    "QuestionRole",
    "ReadNote",
    "ReadNoteCode",
    "Report",
    "Severity",
    "SmelterMatch",
    "SmelterReference",
    "SmelterRow",
    "Snapshot",
    "Status",
    "StatusKind",
    "TemplateIdentity",
    "TemplateKind",
    "TextValue",
    "Value",
]
