"""Exceptions raised when the library cannot proceed.

A supplier's wrong answer is never an exception: it is kept in the model (a marked value) and
reported as a finding. Exceptions are for inputs that cannot be read at all.

::

    MineralComplianceError
     +-- TemplateError                  a workbook cannot be read as an RMI template
     |    +-- NotAWorkbookError          not a zip/OOXML file, or a damaged one
     |    +-- LegacyFormatError          an Excel 97-2003 (.xls, BIFF8) file
     |    +-- EncryptedWorkbookError     password-protected (encrypted) workbook
     |    +-- UnknownTemplateError       an xlsx that is no RMI template we recognise
     |    +-- UnsupportedVersionError    a recognised template in a version we do not read
     |    +-- MalformedTemplateError     a recognised template whose parts are broken
     +-- PolicyError                    a stated policy (accepted template versions) cannot be read
     +-- ReferenceDataError             reference data (smelter look-up) cannot be used
     |    +-- FetchError                 a list cannot be downloaded or its cached copy used
     +-- ProfileError                   a company profile cannot be read or is invalid
     +-- ConsolidationError             a consolidation would not account for every input row
     +-- StoreError                     a campaign store cannot be opened, migrated or used
     +-- SchedulerError                 a Dask cluster cannot be reached or cannot read the inputs
     +-- OracleUnavailableError         LibreOffice or its Python bridge is not installed
     +-- OutputError                    an output cannot be written where it was asked for
          +-- OutputLockedError          another run is writing into the same folder

Every exception carries context attributes (``path``, ``sheet``, ``cell``) where known and a
``hint`` telling the person who owns the file what to do.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConsolidationError",
    "EncryptedWorkbookError",
    "FetchError",
    "LegacyFormatError",
    "MalformedTemplateError",
    "MineralComplianceError",
    "NotAWorkbookError",
    "OracleUnavailableError",
    "OutputError",
    "OutputLockedError",
    "PolicyError",
    "ProfileError",
    "ReferenceDataError",
    "SchedulerError",
    "StoreError",
    "TemplateError",
    "UnknownTemplateError",
    "UnsupportedVersionError",
]


class MineralComplianceError(Exception):
    """Root of every exception this library raises on purpose."""

    default_message = "mineral_compliance cannot proceed"

    def __init__(
        self,
        message: str | None = None,
        *,
        path: str | Path | None = None,
        sheet: str | None = None,
        cell: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.path = str(path) if path is not None else None
        self.sheet = sheet
        self.cell = cell
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path
            if self.sheet:
                where += f" [{self.sheet}"
                where += f"!{self.cell}]" if self.cell else "]"
            where += ": "
        text = f"{where}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class TemplateError(MineralComplianceError):
    """A workbook cannot be read as an RMI reporting template."""

    default_message = "the workbook cannot be read as an RMI reporting template"


class NotAWorkbookError(TemplateError):
    """The file is not an Office Open XML workbook, or its zip container is damaged."""

    default_message = "the file is not a readable .xlsx workbook"


class LegacyFormatError(TemplateError):
    """An Excel 97-2003 binary workbook (.xls); only .xlsx is read."""

    default_message = "the file is an Excel 97-2003 (.xls) workbook"


class EncryptedWorkbookError(TemplateError):
    """The workbook is encrypted with a password."""

    default_message = "the workbook is password-protected (encrypted)"


class UnknownTemplateError(TemplateError):
    """A readable workbook that is none of the RMI templates (CMRT, EMRT, CRT, AMRT)."""

    default_message = "the workbook is not a recognised RMI reporting template"


class UnsupportedVersionError(TemplateError):
    """A recognised RMI template in a version this library does not read. For a release
    newer than the tables that was refused because it is laid out otherwise than the nearest
    table, ``differences`` names each cell that differs."""

    default_message = "this template version is not supported"

    def __init__(
        self,
        message: str | None = None,
        *,
        kind: str | None = None,
        version: str | None = None,
        path: str | Path | None = None,
        sheet: str | None = None,
        cell: str | None = None,
        hint: str | None = None,
        differences: tuple[str, ...] = (),
    ) -> None:
        self.kind = kind
        self.version = version
        self.differences = differences
        super().__init__(message, path=path, sheet=sheet, cell=cell, hint=hint)


class MalformedTemplateError(TemplateError):
    """A recognised template whose workbook parts are missing or broken."""

    default_message = "the template's workbook structure is damaged"


class PolicyError(MineralComplianceError):
    """A stated policy (the template versions a campaign accepts) cannot be read; ``spec`` is
    the whole text and ``part`` the clause at fault."""

    default_message = "the policy cannot be read"

    def __init__(
        self,
        message: str | None = None,
        *,
        spec: str | None = None,
        part: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.spec = spec
        self.part = part
        if message is not None and spec is not None:
            message = f"{message} (in the accepted versions {spec!r})"
        super().__init__(message, hint=hint)


class ReferenceDataError(MineralComplianceError):
    """Reference data cannot be loaded or used."""

    default_message = "the reference data cannot be used"


class FetchError(ReferenceDataError):
    """A list cannot be downloaded (refused, too slow, too large, damaged, redirected to plain
    http) or the cache that keeps it cannot be used; ``url`` names the download when known."""

    default_message = "the list cannot be downloaded"

    def __init__(
        self,
        message: str | None = None,
        *,
        url: str | None = None,
        path: str | Path | None = None,
        hint: str | None = None,
    ) -> None:
        self.url = url
        super().__init__(message, path=path, hint=hint)


class ConsolidationError(MineralComplianceError):
    """A consolidation would break its own accounting (an input without a result, a smelter
    row neither attributed nor rejected): nothing is written rather than a partial view."""

    default_message = "the consolidation does not account for every input"


class StoreError(MineralComplianceError):
    """A campaign store cannot do what was asked: no such campaign, a database that cannot
    be opened or migrated, a roster that cannot be read."""

    default_message = "the campaign store cannot proceed"


class SchedulerError(MineralComplianceError):
    """A Dask cluster named to read the inputs cannot be used: its scheduler does not answer
    in time, it has no workers, its workers run another version of this package or cannot
    see the inputs, or Dask is not installed. ``address`` is the scheduler's."""

    default_message = "the Dask cluster cannot be used"

    def __init__(
        self,
        message: str | None = None,
        *,
        address: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.address = address
        super().__init__(message, hint=hint)


class OracleUnavailableError(MineralComplianceError):
    """LibreOffice or its Python bridge is not installed."""

    default_message = "LibreOffice with its Python bridge (python3-uno) is not available"


class ProfileError(MineralComplianceError):
    """A company profile (TOML or JSON) cannot be read or does not validate; the message names
    every field at fault."""

    default_message = "the company profile cannot be used"


class OutputError(MineralComplianceError):
    """An output file cannot be written where it was asked for (for instance, a name taken
    from supplier data that would leave the output folder)."""

    default_message = "the output cannot be written"


class OutputLockedError(OutputError):
    """Another run holds the output folder's lock; ``holder`` is what its lock file says
    (``pid``, ``host``, ``started``) when it could be read."""

    default_message = "another run is writing into this output folder"

    def __init__(
        self,
        message: str | None = None,
        *,
        path: str | Path | None = None,
        hint: str | None = None,
        holder: dict[str, object] | None = None,
    ) -> None:
        self.holder = holder
        super().__init__(message, path=path, hint=hint)
