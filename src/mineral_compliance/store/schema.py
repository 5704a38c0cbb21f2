"""The tables of a campaign store (SQLAlchemy 2 declarative mapping).

The schema is created and changed only by the Alembic migrations beside this module
(:mod:`mineral_compliance.store.migrations`); this mapping describes the newest revision and
a test holds the two equal.

Large values (a submission's digest and findings, a reference list, a consolidation) are
JSON, compressed, in binary columns: they are read whole or not at all, and kept small.
Personal data (a supplier's contact name, e-mail and telephone) lives only in
:class:`Contact`, written only when the campaign is ingested with personal data kept, and
erased by ``forget``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "CampaignRow", "ConsolidationRow", "Contact", "FileSeen", "ReferenceRow",
           "RequestRow", "Submission", "SupplierRow"]


class Base(DeclarativeBase):
    pass


class CampaignRow(Base):
    """One campaign: a reporting year's request to the roster."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    families: Mapped[str] = mapped_column(String(200))
    """The template families asked for, comma-separated (``CMRT,EMRT``)."""
    accept: Mapped[str] = mapped_column(Text)
    """The accepted template versions, as :class:`~mineral_compliance.AcceptPolicy` reads
    them back (``CMRT 6.5 or later; EMRT 2.1 or later``)."""
    due: Mapped[dt.date | None] = mapped_column(Date)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SupplierRow(Base):
    """A supplier on a campaign's roster."""

    __tablename__ = "suppliers"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             index=True)
    name: Mapped[str] = mapped_column(String(500))
    unique_id: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    """The address requests go to, from the roster (the company's, not read from files)."""
    aliases: Mapped[str] = mapped_column(Text, default="")
    """Other names the supplier's files give, ``;``-separated."""


class RequestRow(Base):
    """A request or reminder drafted for a supplier (nothing is sent)."""

    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    """``request`` or ``reminder``."""
    reason: Mapped[str] = mapped_column(String(40))
    """``no-answer``, ``errors``, ``warnings`` or ``version``."""
    drafted: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    file: Mapped[str | None] = mapped_column(Text)


class Submission(Base):
    """One file received, once per content (sha256) in a campaign."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("campaign_id", "sha256"),
                      Index("ix_submissions_group", "campaign_id", "supplier_key", "kind"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(Text)
    received: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    supplier_key: Mapped[str | None] = mapped_column(String(600), index=True)
    """The consolidation's supplier key (``id:...``, ``name:...``); None when unreadable."""
    supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("suppliers.id", ondelete="SET NULL"))
    """The roster supplier the file answers for, when it names one."""
    kind: Mapped[str | None] = mapped_column(String(10))
    version: Mapped[str | None] = mapped_column(String(20))
    effective_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    """A :class:`~mineral_compliance.models.consolidation.FileStatus` value."""
    superseded_by: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL"))
    errors: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    reference_version: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(Text)
    """Why the file could not be read."""
    loaded: Mapped[bytes] = mapped_column(LargeBinary)
    """What the worker returned for it (digest and findings), compressed JSON, without the
    contact's personal data."""


class Contact(Base):
    """The contact person a submission names (personal data, kept only when asked)."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    personal: Mapped[str] = mapped_column(Text, default="[]")
    """Every personal value of the file (contact and authorizer), as a JSON list: what
    ``forget`` erases from the findings kept."""


class ReferenceRow(Base):
    """A Smelter Look-up read from a submitted template, kept for the consolidations that
    rest on it."""

    __tablename__ = "references"
    __table_args__ = (UniqueConstraint("family", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family: Mapped[str] = mapped_column(String(10))
    version: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class FileSeen(Base):
    """A file on disk already hashed: its path, size and modification time, so that an
    unchanged file is not read again."""

    __tablename__ = "files_seen"
    __table_args__ = (UniqueConstraint("campaign_id", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[str] = mapped_column(String(30))
    sha256: Mapped[str] = mapped_column(String(64))


class ConsolidationRow(Base):
    """A consolidation computed from the store: which submissions it used, and its result."""

    __tablename__ = "consolidations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             index=True)
    computed: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    submissions: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    """:meth:`Consolidation.summary`, as JSON (read without the whole result)."""
    data: Mapped[bytes] = mapped_column(LargeBinary)
    """The consolidation as ``consolidation.json`` holds it, compressed."""
