"""A campaign in a store: created with its roster, fed files all season, consolidated from
what it keeps.

Ingest is idempotent by content: a file whose sha256 the campaign holds is unchanged and not
read again (a file on disk whose path, size and modification time are those of a file
already hashed is not even hashed again). A new file of a supplier and family the campaign
already holds is a resubmission; which of a supplier's files of a family is current is
decided by the rules of :func:`~mineral_compliance.consolidate` (latest effective date,
then later template version, then file name), the others superseded by it. Two ingests at
once never store a file twice or lose one: the store's unique constraint on (campaign,
sha256) decides, and supersession is decided under a lock on the campaign.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .._io.text import scrub
from .._isolation import WorkerLimits
from ..consolidation.loading import Loaded, Progress, load_all
from ..consolidation.suppliers import rank, supplier_key
from ..errors import MineralComplianceError, StoreError
from ..inputs import Input, close_archives, collect_inputs, input_stream, read_input
from ..models.consolidation import FileStatus
from ..names import name_key
from ..templates import reference_from_template
from ..templates.releases import AcceptPolicy, default_policy
from .codec import encode, encode_loaded, json_of, without_contact
from .engine import DEFAULT_URL, migrate, open_engine
from .roster import RosterEntry, load_campaign_roster
from .schema import CampaignRow, Contact, FileSeen, ReferenceRow, Submission, SupplierRow

__all__ = ["CampaignInfo", "IngestReport", "IngestedFile", "create_campaign", "ingest",
           "open_campaign_row", "open_store", "suppliers_by_id"]


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    name: str
    year: int
    families: tuple[str, ...]
    accept: AcceptPolicy
    due: dt.date | None


@dataclass(frozen=True)
class IngestedFile:
    label: str
    outcome: str
    """``new``, ``resubmitted``, ``unchanged`` or ``unreadable``."""
    sha256: str | None = None
    supplier: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class IngestReport:
    files: tuple[IngestedFile, ...] = field(default_factory=tuple)

    def count(self, outcome: str) -> int:
        return sum(f.outcome == outcome for f in self.files)

    def summary(self) -> dict[str, int]:
        return {o: self.count(o) for o in ("new", "resubmitted", "unchanged", "unreadable")}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _info(row: CampaignRow) -> CampaignInfo:
    return CampaignInfo(row.id, row.name, row.year,
                        tuple(f for f in row.families.split(",") if f),
                        AcceptPolicy.parse(row.accept), row.due)


def create_campaign(engine: Engine, *, name: str, year: int,
                    roster: Sequence[RosterEntry] | str | os.PathLike[str] = (),
                    due: dt.date | None = None,
                    families: Sequence[str] = ("CMRT",),
                    accept: AcceptPolicy | None = None) -> CampaignInfo:
    """A new campaign ``name`` with its roster (entries or a roster file)."""
    entries = (load_campaign_roster(Path(roster)) if isinstance(roster, (str, os.PathLike))
               else list(roster))
    name = name.strip()
    if not name or len(name) > 200:
        raise StoreError("a campaign needs a name of 1 to 200 characters")
    policy = accept or default_policy()
    try:
        with Session(engine) as session, session.begin():
            if session.scalar(select(CampaignRow.id).where(CampaignRow.name == name)):
                raise StoreError(f"the store already holds a campaign named {name!r}",
                                 hint="choose another --name, or ingest into that one")
            row = CampaignRow(name=name, year=year, families=",".join(f.upper()
                                                                       for f in families),
                              accept=str(policy), due=due, created=_now())
            session.add(row)
            session.flush()
            for e in entries:
                session.add(SupplierRow(campaign_id=row.id, name=e.name, unique_id=e.unique_id,
                                        email=e.email, aliases=";".join(e.aliases)))
            return _info(row)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot create the campaign {name!r}: {exc}") from exc


def open_campaign_row(engine: Engine, name: str | None) -> CampaignInfo:
    """The campaign ``name``; with None, the store's only campaign."""
    with Session(engine) as session:
        rows = session.scalars(select(CampaignRow).order_by(CampaignRow.id)).all()
        if name is not None:
            rows = [r for r in rows if r.name == name]
            if not rows:
                raise StoreError(f"the store holds no campaign named {name!r}",
                                 hint="create it with 'campaign init', or name another")
        elif len(rows) > 1:
            raise StoreError("the store holds several campaigns: "
                             + ", ".join(r.name for r in rows),
                             hint="name one with --campaign")
        elif not rows:
            raise StoreError("the store holds no campaign",
                             hint="create one with 'campaign init'")
        return _info(rows[0])


def open_store(url: str = DEFAULT_URL) -> Engine:
    """An engine on the store at ``url``, its schema migrated to the newest revision."""
    engine = open_engine(url)
    migrate(engine)
    return engine


# -- ingest ---------------------------------------------------------------------------------


def _file_sha(item: Input, seen: dict[str, FileSeen], touched: list[tuple[Input, str,
              os.stat_result]]) -> str | None:
    """The sha256 of an input's bytes; a file whose path, size and time the campaign has
    seen is not read again. None when it cannot be read at all."""
    if item.problem is not None and not Path(item.path).is_file():
        return None
    try:
        if item.members:
            return hashlib.sha256(read_input(item)).hexdigest()
        info = Path(item.path).stat()
        known = seen.get(path_text(item.path))
        if known is not None and known.size == info.st_size and known.mtime_ns == str(
                info.st_mtime_ns):
            return known.sha256
        with Path(item.path).open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        touched.append((item, digest, info))
        return digest
    except (OSError, MineralComplianceError):
        return None


def _insert(session: Session, values: dict[str, object]) -> int | None:
    """Insert a submission unless the campaign holds its content; its id, or None."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Submission).values(**values).on_conflict_do_nothing(
        index_elements=["campaign_id", "sha256"]).returning(Submission.id)
    return session.scalar(statement)


def _roster_index(session: Session, campaign: int) -> dict[str, int]:
    index: dict[str, int] = {}
    for s in session.scalars(select(SupplierRow).where(SupplierRow.campaign_id == campaign)):
        entry = RosterEntry(s.name, s.unique_id, None,
                            tuple(a for a in s.aliases.split(";") if a))
        for key in entry.match_keys():
            index.setdefault(key, s.id)
    return index


def _supplier_of(loaded: Loaded, index: dict[str, int]) -> int | None:
    d = loaded.decl
    if d is None:
        return None
    keys = [f"id:{d.unique_id.strip().casefold()}" if d.unique_id and d.unique_id.strip()
            else "", name_key(d.company or "")]
    return next((index[k] for k in keys if k and k in index), None)


def _store_reference(session: Session, loaded: Loaded, item: Input) -> None:
    d = loaded.decl
    if d is None or loaded.reference is None:
        return
    if session.scalar(select(ReferenceRow.id).where(ReferenceRow.family == d.kind.value,
                                                    ReferenceRow.version == loaded.reference)):
        return
    try:
        ref = reference_from_template(input_stream(item))
    except MineralComplianceError:
        return  # the family is matched without it; the consolidation's snapshots say so
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(ReferenceRow).values(
        family=d.kind.value, version=loaded.reference, sha256=ref.sha256,
        data=encode(ref)).on_conflict_do_nothing(index_elements=["family", "version"]))


def path_text(path: str) -> str:
    """A path as the store keeps it: as it is, or, for a name whose bytes are no UTF-8 (which
    Python holds as lone surrogates, and no database stores), with those bytes written as
    ``\\xNN``."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def _values(campaign: CampaignInfo, loaded: Loaded, sha: str, supplier: int | None,
            keep_personal: bool) -> dict[str, object]:
    d = loaded.decl
    status = (FileStatus.UNREADABLE if d is None else FileStatus.ERRORS if loaded.errors
              else FileStatus.WARNINGS if loaded.warnings else FileStatus.VALID)
    return dict(
        campaign_id=campaign.id, sha256=sha, original_name=scrub(loaded.label),
        received=_now(),
        supplier_key=supplier_key(d) if d else None, supplier_id=supplier,
        kind=d.kind.value if d else None, version=d.version if d else None,
        effective_date=d.effective_date if d else None, status=status.value,
        errors=loaded.errors, warnings=loaded.warnings, reference_version=loaded.reference,
        message=None if loaded.message is None else scrub(loaded.message),
        loaded=encode_loaded(without_contact(loaded, scrub=not keep_personal)))


def _supersede(session: Session, campaign: CampaignInfo,
               groups: Iterable[tuple[str, str]]) -> None:
    """Decide, for each (supplier key, family), which submission is current."""
    for key, kind in groups:
        members = session.execute(
            select(Submission.id, Submission.effective_date, Submission.version,
                   Submission.original_name, Submission.errors, Submission.warnings)
            .where(Submission.campaign_id == campaign.id, Submission.supplier_key == key,
                   Submission.kind == kind)).all()
        ranked = sorted(members, key=lambda m: rank(m.effective_date, m.version,
                                                    m.original_name), reverse=True)
        for i, m in enumerate(ranked):
            status = (FileStatus.SUPERSEDED if i else FileStatus.ERRORS if m.errors
                      else FileStatus.WARNINGS if m.warnings else FileStatus.VALID)
            session.execute(update(Submission).where(Submission.id == m.id).values(
                status=status.value, superseded_by=ranked[0].id if i else None))


def ingest(engine: Engine, campaign: CampaignInfo,
           inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *,
           keep_personal: bool = False, executor: Executor | None = None,
           progress: Progress | None = None, limits: WorkerLimits | None = None
           ) -> IngestReport:
    """Store the files among ``inputs`` the campaign does not hold (see the module
    docstring). ``keep_personal``: keep each file's contact person (name, e-mail,
    telephone); by default they are not stored."""
    items = collect_inputs(inputs)
    out: list[IngestedFile] = []
    try:
        with Session(engine) as session:
            seen = {f.path: f for f in session.scalars(
                select(FileSeen).where(FileSeen.campaign_id == campaign.id))}
            held = set(session.scalars(select(Submission.sha256).where(
                Submission.campaign_id == campaign.id)))
        touched: list[tuple[Input, str, os.stat_result]] = []
        fresh: list[tuple[Input, str | None]] = []
        batch: set[str] = set()
        for item in items:
            sha = _file_sha(item, seen, touched)
            if sha is not None and (sha in held or sha in batch):
                out.append(IngestedFile(item.label, "unchanged", sha))
                continue
            if sha is not None:
                batch.add(sha)
            fresh.append((item, sha))
        try:
            if fresh:  # nothing new: no worker, no write lock
                results = load_all([i for i, _ in fresh], executor, progress, limits,
                                   campaign.accept)
                out.extend(_store(engine, campaign, fresh, results, keep_personal))
        finally:
            close_archives()
        _remember(engine, campaign, touched)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot ingest into the campaign {campaign.name!r}: {exc}") from exc
    order = {i.label: n for n, i in enumerate(items)}
    return IngestReport(tuple(sorted(out, key=lambda f: order.get(f.label, 0))))


def _store(engine: Engine, campaign: CampaignInfo, fresh: list[tuple[Input, str | None]],
           results: list[Loaded], keep_personal: bool) -> list[IngestedFile]:
    out: list[IngestedFile] = []
    groups: set[tuple[str, str]] = set()
    with Session(engine) as session, session.begin():
        # the lock that orders concurrent ingests' supersession (SQLite: BEGIN IMMEDIATE)
        session.execute(select(CampaignRow.id).where(CampaignRow.id == campaign.id)
                        .with_for_update())
        index = _roster_index(session, campaign.id)
        before = {(k, f) for k, f in session.execute(
            select(Submission.supplier_key, Submission.kind).where(
                Submission.campaign_id == campaign.id, Submission.supplier_key.is_not(None)))}
        for (item, sha), loaded in zip(fresh, results, strict=True):
            if sha is None:
                out.append(IngestedFile(item.label, "unreadable", None, None,
                                        loaded.message or item.problem))
                continue
            new_id = _insert(session, _values(campaign, loaded, sha,
                                              _supplier_of(loaded, index), keep_personal))
            if new_id is None:  # another ingest stored it first
                out.append(IngestedFile(item.label, "unchanged", sha))
                continue
            d = loaded.decl
            if d is None:
                out.append(IngestedFile(item.label, "unreadable", sha, None, loaded.message))
                continue
            if keep_personal and d.personal:
                name, email, phone = d.contact
                session.add(Contact(submission_id=new_id, name=name, email=email, phone=phone,
                                    personal=json_of(list(d.personal))))
            _store_reference(session, loaded, item)
            group = (supplier_key(d), d.kind.value)
            outcome = "resubmitted" if group in before or group in groups else "new"
            groups.add(group)
            out.append(IngestedFile(item.label, outcome, sha, group[0]))
        _supersede(session, campaign, sorted(groups))
    return out


def _remember(engine: Engine, campaign: CampaignInfo,
              touched: list[tuple[Input, str, os.stat_result]]) -> None:
    """Record the files hashed, so that the next ingest need not read them (an upsert: two
    ingests of the same files at once both record them, neither fails)."""
    if not touched:
        return
    rows: dict[str, dict[str, object]] = {}
    for i, sha, info in touched:  # a path hashed twice: the later record
        path = path_text(i.path)
        rows[path] = dict(campaign_id=campaign.id, path=path, size=info.st_size,
                          mtime_ns=str(info.st_mtime_ns), sha256=sha)
    values = list(rows.values())
    with Session(engine) as session, session.begin():
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for start in range(0, len(values), 500):
            statement = insert(FileSeen).values(values[start:start + 500])
            session.execute(statement.on_conflict_do_update(
                index_elements=["campaign_id", "path"],
                set_={"size": statement.excluded.size,
                      "mtime_ns": statement.excluded.mtime_ns,
                      "sha256": statement.excluded.sha256}))


def suppliers_by_id(engine: Engine, campaign: CampaignInfo) -> dict[int, SupplierRow]:
    with Session(engine) as session:
        rows = session.scalars(select(SupplierRow).where(
            SupplierRow.campaign_id == campaign.id)).all()
        session.expunge_all()
        return {r.id: r for r in rows}

