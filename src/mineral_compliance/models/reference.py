"""Smelter reference data extracted from an RMI template's Smelter Look-up sheet."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .declaration import TemplateKind

__all__ = ["LookupEntry", "SmelterReference"]


class LookupEntry(BaseModel):
    """One row of a Smelter Look-up sheet: a standard name or one of its aliases."""

    model_config = ConfigDict(frozen=True)

    row: int
    metal: str
    lookup_name: str = Field(description="The name offered in the Smelter List drop-down.")
    standard_name: str | None
    country: str | None
    smelter_id: str | None
    source: str | None = None
    street: str | None = None
    city: str | None = None
    state_province: str | None = None

    @property
    def is_alias(self) -> bool:
        return self.standard_name is not None and self.lookup_name != self.standard_name


class SmelterReference(BaseModel):
    """The smelter reference list shipped inside one RMI template, stamped with its origin."""

    model_config = ConfigDict(frozen=True)

    kind: TemplateKind
    version: str
    file: str
    sha256: str
    sheet: str
    entries: tuple[LookupEntry, ...]

    @property
    def smelter_ids(self) -> frozenset[str]:
        return frozenset(e.smelter_id for e in self.entries if e.smelter_id)

    def by_id(self, smelter_id: str) -> list[LookupEntry]:
        """Every row (standard name and aliases) carrying ``smelter_id``."""
        return [e for e in self.entries if e.smelter_id == smelter_id]
