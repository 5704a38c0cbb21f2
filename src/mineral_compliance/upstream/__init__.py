"""Upstream programme data: mine sites and their risks, and country-of-origin data per
smelter."""

from .ipis import AreaRisk, ArmedActor, MineSite, MineVisit, load_ipis, summarise
from .itsci import Incident, ProvinceSummary, load_incidents, province_summary
from .link import MineScreen, UpstreamSummary, screen_mines, upstream_summary
from .origin import (
    OriginData,
    OriginJoin,
    OriginLevel,
    OriginProblem,
    OriginRow,
    SmelterOrigin,
    join_origin,
    load_origin,
)
from .risk import (
    AnnexII,
    Response,
    Risk,
    RiskLink,
    RiskRegister,
    RiskSource,
    build_risk_register,
)

__all__ = [
    "AnnexII",
    "AreaRisk",
    "ArmedActor",
    "Incident",
    "MineScreen",
    "MineSite",
    "MineVisit",
    "OriginData",
    "OriginJoin",
    "OriginLevel",
    "OriginProblem",
    "OriginRow",
    "ProvinceSummary",
    "Response",
    "Risk",
    "RiskLink",
    "RiskRegister",
    "RiskSource",
    "SmelterOrigin",
    "UpstreamSummary",
    "build_risk_register",
    "join_origin",
    "load_incidents",
    "load_ipis",
    "load_origin",
    "province_summary",
    "screen_mines",
    "summarise",
    "upstream_summary",
]
