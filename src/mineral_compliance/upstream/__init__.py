"""Upstream programme data: mine sites and their risks."""

from .ipis import AreaRisk, ArmedActor, MineSite, MineVisit, load_ipis, summarise
from .itsci import Incident, RiskArea, load_incidents, risk_register
from .link import MineScreen, UpstreamSummary, screen_mines, upstream_summary

__all__ = [
    "AreaRisk",
    "ArmedActor",
    "Incident",
    "MineScreen",
    "MineSite",
    "MineVisit",
    "RiskArea",
    "UpstreamSummary",
    "load_incidents",
    "load_ipis",
    "risk_register",
    "screen_mines",
    "summarise",
    "upstream_summary",
]
