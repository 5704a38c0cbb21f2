"""The RMI's own wording of the Checker's items, in the language the supplier picked.

Every RMI template carries its labels and the Checker's instructions in up to ten languages
on a hidden sheet (``L``), one row per text keyed by where it shows (``CheckerJ4``: the
instruction in column J of Checker row 4, "Provide your company name on the Declaration tab
cell D8"), one column per language. The language picker on the Declaration chooses the
column. These models hold what a supplier's own workbook says, for the Checker items only,
so that the findings about those items can carry it beside the library's English message.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .values import Provenance

__all__ = ["CheckerInstructions", "Instruction"]


class Instruction(BaseModel):
    """One Checker item's instruction, as the workbook's language sheet words it."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="The instruction, made one plain line and capped.")
    provenance: Provenance = Field(description="The language-sheet cell it was read from.")


class CheckerInstructions(BaseModel):
    """The Checker instructions of one workbook in the language its Declaration picks."""

    model_config = ConfigDict(frozen=True)

    language: str = Field(
        description="ISO 639-1 code of the picked language: zh, ja, ko, fr, pt, de, es, it "
        "or tr (English needs no translation and has none).")
    items: dict[str, Instruction] = Field(
        default_factory=dict,
        description="By Checker item, as findings name it (``checker_item``: "
        "'Declaration!D8', 'Product List', 'Smelter List - Tin'). Items the sheet gives no "
        "text for in that language, or only the English one, are absent.")
