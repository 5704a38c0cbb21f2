"""The registrant's own facts for a Form SD filing (loaded from TOML or JSON by
:func:`mineral_compliance.disclosures.dodd_frank.load_profile`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .battery import BatteryProfile

__all__ = ["THREE_TG", "CompanyProfile", "ProductCategory"]

THREE_TG = ("Tin", "Tantalum", "Tungsten", "Gold")


class ProductCategory(BaseModel):
    """A group of products, and the conflict minerals necessary to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    metals: tuple[str, ...] = Field(
        description="3TG necessary to the functionality or production of these products.")
    manufactured: bool = Field(description="Manufactured by the registrant.")
    contracted: bool = Field(default=False, description="Contracted to be manufactured.")

    @field_validator("metals")
    @classmethod
    def _known_metals(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for metal in value:
            found = next((m for m in THREE_TG if m.casefold() == metal.strip().casefold()), None)
            if found is None:
                raise ValueError(f"{metal!r} is not one of {', '.join(THREE_TG)}")
            out.append(found)
        return tuple(out)


class CompanyProfile(BaseModel):
    """Who files, for which year, and what the company itself states."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    registrant_name: str
    cik: str | None = Field(default=None, description="SEC Central Index Key, up to 10 "
                                                      "digits (for Form SD).")
    state_of_incorporation: str
    commission_file_number: str | None = None
    address: str
    contact_name: str
    contact_phone: str
    reporting_year: int = Field(ge=2013, le=2100)
    products: tuple[ProductCategory, ...]
    website: str | None = Field(default=None,
                                description="Where the Form SD and report are published.")
    framework: str = "OECD Due Diligence Guidance for Responsible Supply Chains of Minerals " \
                     "from Conflict-Affected and High-Risk Areas"
    memberships: tuple[str, ...] = ()
    independent_audit: bool = Field(
        default=False, description="An independent private-sector audit of the report was "
                                   "obtained.")
    pre_2013_stock: tuple[str, ...] = Field(
        default=(), description="Metals whose material was all outside the supply chain "
                                "before 31 January 2013.")
    battery: BatteryProfile | None = Field(
        default=None, exclude=True,
        description="The operator's facts for battery due diligence (Regulation (EU) "
                    "2023/1542, Chapter VII); not written into the SEC and EU 2017/821 "
                    "documents, which carry the rest of the profile.")

    @field_validator("cik")
    @classmethod
    def _cik(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = value.strip()
        if not digits.isdigit() or len(digits) > 10:
            raise ValueError("a CIK is 1 to 10 digits")
        return digits.zfill(10)
