"""mineral_compliance: downstream responsible-minerals compliance.

The public entry points::

    from mineral_compliance import read_template
    decl = read_template("supplier.xlsx")
    decl.template.kind, decl.template.version, decl.answers["Tin"]["1"].answer.value
"""

from .errors import (
    EncryptedWorkbookError,
    LegacyFormatError,
    MalformedTemplateError,
    MineralComplianceError,
    NotAWorkbookError,
    ReferenceDataError,
    TemplateError,
    UnknownTemplateError,
    UnsupportedVersionError,
)
from .models import (
    Declaration,
    Provenance,
    SmelterReference,
    TemplateKind,
    TextValue,
)
from .templates import read_template, reference_from_template

__version__ = "0.1.0"

__all__ = [
    "Declaration",
    "EncryptedWorkbookError",
    "LegacyFormatError",
    "MalformedTemplateError",
    "MineralComplianceError",
    "NotAWorkbookError",
    "Provenance",
    "ReferenceDataError",
    "SmelterReference",
    "TemplateError",
    "TemplateKind",
    "TextValue",
    "UnknownTemplateError",
    "UnsupportedVersionError",
    "__version__",
    "read_template",
    "reference_from_template",
]
