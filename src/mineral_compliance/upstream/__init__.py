"""Upstream programme data: mine sites and their risks."""

from .ipis import AreaRisk, ArmedActor, MineSite, MineVisit, load_ipis, summarise
from .itsci import Incident, RiskArea, load_incidents, risk_register
from .link import MineScreen, UpstreamSummary, screen_mines, upstream_summary
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
    "Response",
    "Risk",
    "RiskArea",
    "RiskLink",
    "RiskRegister",
    "RiskSource",
    "UpstreamSummary",
    "build_risk_register",
    "load_incidents",
    "load_ipis",
    "risk_register",
    "screen_mines",
    "summarise",
    "upstream_summary",
]
