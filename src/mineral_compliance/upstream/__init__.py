"""Upstream programme data: mine sites and their risks."""

from .ipis import AreaRisk, ArmedActor, MineSite, MineVisit, load_ipis, summarise

__all__ = ["AreaRisk", "ArmedActor", "MineSite", "MineVisit", "load_ipis", "summarise"]
