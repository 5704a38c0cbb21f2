"""Upstream programme data: mine sites and their risks."""

from .ipis import AreaRisk, ArmedActor, MineSite, MineVisit, load_ipis, summarise
from .itsci import Incident, RiskArea, load_incidents, risk_register

__all__ = [
    "AreaRisk",
    "ArmedActor",
    "Incident",
    "MineSite",
    "MineVisit",
    "RiskArea",
    "load_incidents",
    "load_ipis",
    "risk_register",
    "summarise",
]
