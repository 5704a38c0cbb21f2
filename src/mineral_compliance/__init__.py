"""mineral_compliance: downstream responsible-minerals compliance.

The public entry points::

    from mineral_compliance import read_template, validate_file
    decl = read_template("supplier.xlsx")
    decl.template.kind, decl.template.version, decl.answers["Tin"]["1"].answer.value
    report = validate_file("supplier.xlsx")
    report.valid, report.flatten(["code", "sheet", "cell"])
"""

from .consolidation import compare, consolidate
from .errors import (
    EncryptedWorkbookError,
    LegacyFormatError,
    MalformedTemplateError,
    MineralComplianceError,
    NotAWorkbookError,
    PolicyError,
    ReferenceDataError,
    TemplateError,
    UnknownTemplateError,
    UnsupportedVersionError,
)
from .findings import Basis, Finding, Report, Severity
from .models import (
    Declaration,
    Provenance,
    SmelterReference,
    TemplateKind,
    TextValue,
)
from .rules import validate, validate_file
from .templates import read_template, reference_from_template, write_template
from .templates.releases import AcceptPolicy

__version__ = "0.1.0"

__all__ = [
    "AcceptPolicy",
    "Basis",
    "Declaration",
    "EncryptedWorkbookError",
    "Finding",
    "LegacyFormatError",
    "MalformedTemplateError",
    "MineralComplianceError",
    "NotAWorkbookError",
    "PolicyError",
    "Provenance",
    "ReferenceDataError",
    "Report",
    "Severity",
    "SmelterReference",
    "TemplateError",
    "TemplateKind",
    "TextValue",
    "UnknownTemplateError",
    "UnsupportedVersionError",
    "__version__",
    "compare",
    "consolidate",
    "read_template",
    "reference_from_template",
    "validate",
    "validate_file",
    "write_template",
]
