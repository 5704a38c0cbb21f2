"""The risk register as the public documents state it: counts per OECD Annex II category and
expected response, and per source, never a supplier, a file or an incident's details. The
risks themselves, with their links, are in the internal audit trail."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, ConfigDict

from ..upstream.risk import (
    CATEGORY_TITLES,
    DEFAULT_CATEGORY,
    AnnexII,
    Response,
    RiskRegister,
    RiskSource,
)

__all__ = ["SOURCE_LABELS", "RiskCount", "RiskFigures", "risk_figures"]

SOURCE_LABELS = {
    RiskSource.INCIDENT: "ITSCI incidents",
    RiskSource.IPIS_VISIT: "findings of IPIS mine-site visits",
    RiskSource.CAHRA_AREA: "sourcing locations on the EU indicative CAHRA list",
    RiskSource.COVERED_COUNTRY: "sourcing locations in a Covered Country",
    RiskSource.SUPPLIER_ANSWER: "supplier answers on covered-country or CAHRA sourcing",
    RiskSource.EXPIRED_AUDIT: "smelters or refiners whose audit expired",
}
"""Each source of risks in the words of the documents."""


class RiskCount(BaseModel):
    """The risks of one Annex II category."""

    model_config = ConfigDict(frozen=True)

    category: AnnexII
    title: str
    response: Response
    risks: int
    open: int


class RiskFigures(BaseModel):
    """The register in aggregate: what a public document may say of it."""

    model_config = ConfigDict(frozen=True)

    total: int
    open: int
    by_default: int
    """Risks the data gives no category, counted under :data:`DEFAULT_CATEGORY`."""
    default_category: AnnexII
    by_category: tuple[RiskCount, ...]
    by_source: dict[str, int]
    """Risks per source, by the label of :data:`SOURCE_LABELS`, sources with none left out."""
    suspend_or_disengage: int
    mitigate: int


def risk_figures(register: RiskRegister) -> RiskFigures:
    """The public figures of ``register``."""
    risks = register.risks
    sources = Counter(r.source for r in risks)
    return RiskFigures(
        total=len(risks), open=sum(r.status == "open" for r in risks),
        by_default=sum(r.category_default for r in risks), default_category=DEFAULT_CATEGORY,
        by_category=tuple(RiskCount(category=c, title=CATEGORY_TITLES[c], response=resp,
                                    risks=n, open=sum(r.category is c and r.status == "open"
                                                      for r in risks))
                          for (c, resp), n in register.counts().items()),
        by_source={SOURCE_LABELS[s]: sources[s] for s in RiskSource if sources[s]},
        suspend_or_disengage=sum(r.response is Response.SUSPEND_OR_DISENGAGE for r in risks),
        mitigate=sum(r.response is Response.MITIGATE for r in risks))
