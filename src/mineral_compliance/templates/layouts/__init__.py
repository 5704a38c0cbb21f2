"""Layout tables, one module per template family. ``LAYOUTS`` lists every table in use."""

from .amrt import LAYOUTS as AMRT_LAYOUTS
from .base import CompanyQuestion, Layout, ListSheet, LookupSheet, MineralQuestion, MineralSlots
from .cmrt import LAYOUTS as CMRT_LAYOUTS
from .crt import LAYOUTS as CRT_LAYOUTS
from .emrt import LAYOUTS as EMRT_LAYOUTS

LAYOUTS: tuple[Layout, ...] = (*CMRT_LAYOUTS, *EMRT_LAYOUTS, *CRT_LAYOUTS, *AMRT_LAYOUTS)

__all__ = [
    "LAYOUTS",
    "CompanyQuestion",
    "Layout",
    "ListSheet",
    "LookupSheet",
    "MineralQuestion",
    "MineralSlots",
]
