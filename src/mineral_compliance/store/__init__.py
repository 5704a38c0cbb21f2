"""Campaigns: a persistent store of every supplier response across campaigns and years.

The store is a database named by a URL: ``sqlite:///campaign.db`` by default (a file,
nothing to install), ``postgresql+psycopg://user@host/db`` for a team sharing one. Its
schema is created and migrated by Alembic (:func:`migrate`) whenever it is opened.

::

    from mineral_compliance.store import Campaign

    campaign = Campaign.create("sqlite:///campaign.db", name="RY2026", year=2026,
                               roster="suppliers.csv", due=datetime.date(2027, 3, 31))
    campaign.ingest(["inbox/"])           # only files the campaign does not hold are read
    print(campaign.status().response_rate)
    result, _ = campaign.consolidate()    # as consolidate() computes it, from the store

See :mod:`.campaign` for the ingest rules (idempotent by content, resubmissions, two ingests
at once), :mod:`.roster` for the roster file, :mod:`.results` for status and erasure and
:mod:`.reminders` for the reminder drafts.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor

from sqlalchemy import Engine

from .._isolation import WorkerLimits
from ..consolidation.loading import Progress
from ..models.consolidation import Comparison, Consolidation
from ..models.reference import SmelterReference
from ..refdata.legacy import LegacyIds
from ..refdata.regions import CahraList
from ..refdata.status import StatusList
from ..templates.releases import AcceptPolicy
from .campaign import (
    CampaignInfo,
    IngestedFile,
    IngestReport,
    create_campaign,
    ingest,
    open_campaign_row,
    open_store,
)
from .engine import DEFAULT_URL, head_revision, migrate, open_engine, revision_of
from .location import store_file
from .reminders import Reminder, ReminderFile, RemindReport, draft_reminders, write_reminders
from .results import (
    CampaignStatus,
    ForgetReport,
    Outstanding,
    consolidate_campaign,
    forget,
    latest_consolidation,
    status,
)
from .roster import ROSTER_COLUMNS, RosterEntry, load_campaign_roster

__all__ = ["DEFAULT_URL", "ROSTER_COLUMNS", "Campaign", "CampaignInfo", "CampaignStatus",
           "ForgetReport", "IngestReport", "IngestedFile", "Outstanding", "RemindReport",
           "Reminder", "ReminderFile", "RosterEntry", "draft_reminders", "head_revision",
           "load_campaign_roster", "migrate", "open_engine", "revision_of", "store_file",
           "write_reminders"]


class Campaign:
    """One campaign of a store (open it with :meth:`open` or :meth:`create`)."""

    def __init__(self, engine: Engine, info: CampaignInfo) -> None:
        self.engine = engine
        self.info = info

    @property
    def name(self) -> str:
        return self.info.name

    @classmethod
    def open(cls, url: str = DEFAULT_URL, name: str | None = None) -> Campaign:
        """The campaign ``name`` of the store at ``url`` (with None, its only campaign)."""
        engine = open_store(url)
        return cls(engine, open_campaign_row(engine, name))

    @classmethod
    def create(cls, url: str = DEFAULT_URL, *, name: str, year: int,
               roster: Sequence[RosterEntry] | str | os.PathLike[str] = (),
               due: dt.date | None = None, families: Sequence[str] = ("CMRT",),
               accept: AcceptPolicy | None = None) -> Campaign:
        """A new campaign in the store at ``url`` (created when it does not exist)."""
        engine = open_store(url)
        return cls(engine, create_campaign(engine, name=name, year=year, roster=roster,
                                           due=due, families=families, accept=accept))

    def ingest(self, inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *,
               keep_personal: bool = False, executor: Executor | None = None,
               progress: Progress | None = None,
               limits: WorkerLimits | None = None) -> IngestReport:
        return ingest(self.engine, self.info, inputs, keep_personal=keep_personal,
                      executor=executor, progress=progress, limits=limits)

    def status(self, today: dt.date | None = None) -> CampaignStatus:
        return status(self.engine, self.info, today=today)

    def consolidate(self, *, references: Sequence[SmelterReference] = (),
                    legacy: LegacyIds | None = None, status_lists: Sequence[StatusList] = (),
                    cahra: CahraList | None = None, as_of: dt.date | None = None,
                    previous: str | None = None) -> tuple[Consolidation, Comparison | None]:
        return consolidate_campaign(self.engine, self.info, references=references,
                                    legacy=legacy, status_lists=status_lists, cahra=cahra,
                                    as_of=as_of, previous=previous)

    def latest_consolidation(self) -> Consolidation | None:
        return latest_consolidation(self.engine, self.info)

    def forget(self, supplier: str) -> ForgetReport:
        return forget(self.engine, self.info, supplier)

    def remind(self, outdir: str | os.PathLike[str], *, today: dt.date | None = None,
               sender: str | None = None) -> RemindReport:
        """Draft a reminder for each outstanding supplier into ``outdir`` (text and
        ``.eml``; nothing is sent) and record them: see :mod:`.reminders`."""
        return write_reminders(self.engine, self.info, outdir, today=today, sender=sender)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Campaign:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
