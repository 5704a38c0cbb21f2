"""mineral_compliance: downstream responsible-minerals compliance.

The public entry points::

    from mineral_compliance import read_template, validate_file
    decl = read_template("supplier.xlsx")
    decl.template.kind, decl.template.version, decl.answers["Tin"]["1"].answer.value
    report = validate_file("supplier.xlsx")
    report.valid, report.flatten(["code", "sheet", "cell"])
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .consolidation import compare, consolidate
    from .crosschecking import crosscheck
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
    from .models import Declaration, Provenance, SmelterReference, TemplateKind, TextValue
    from .models.findings import Basis, Finding, Report, Severity
    from .rules import validate, validate_file
    from .templates import read_template, reference_from_template, write_template
    from .templates.releases import AcceptPolicy

_WHERE = {
    "compare": "consolidation", "consolidate": "consolidation", "crosscheck": "crosschecking",
    **dict.fromkeys([
        "EncryptedWorkbookError", "LegacyFormatError", "MalformedTemplateError",
        "MineralComplianceError", "NotAWorkbookError", "PolicyError", "ReferenceDataError",
        "TemplateError", "UnknownTemplateError", "UnsupportedVersionError"], "errors"),
    **dict.fromkeys(["Basis", "Finding", "Report", "Severity"], "models.findings"),
    **dict.fromkeys(["Declaration", "Provenance", "SmelterReference", "TemplateKind",
                     "TextValue"], "models"),
    "validate": "rules", "validate_file": "rules",
    **dict.fromkeys(["read_template", "reference_from_template", "write_template"],
                    "templates"),
    "AcceptPolicy": "templates.releases",
}
"""Where each public name lives: it is imported when first used, so that importing the
package (or asking the command for its version) does not load pydantic, lxml, requests and
the matcher."""


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


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
    "crosscheck",
    "read_template",
    "reference_from_template",
    "validate",
    "validate_file",
    "write_template",
]
