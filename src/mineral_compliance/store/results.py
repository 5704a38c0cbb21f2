"""What a campaign's store gives back: its consolidation, its status, and a supplier's
personal data erased."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..consolidation import compare
from ..consolidation.build import consolidate_loaded
from ..consolidation.loading import Loaded
from ..consolidation.spool import RowSpool
from ..errors import StoreError
from ..models.consolidation import Comparison, Consolidation, FileStatus
from ..models.reference import SmelterReference
from ..names import name_key
from ..refdata.legacy import LegacyIds
from ..refdata.regions import CahraList
from ..refdata.status import StatusList
from .campaign import CampaignInfo, open_campaign_row
from .codec import (
    decode_consolidation,
    decode_loaded,
    decode_reference,
    encode_consolidation,
    encode_loaded,
    json_of,
    scrub_findings,
)
from .schema import ConsolidationRow, Contact, ReferenceRow, Submission, SupplierRow

__all__ = [
    "CampaignStatus",
    "ForgetReport",
    "Outstanding",
    "consolidate_campaign",
    "forget",
    "latest_consolidation",
    "status",
    "stored_loaded",
]


def _label(name: str, sub_id: int, repeated: set[str]) -> str:
    return f"{name} (submission {sub_id})" if name in repeated else name


def _relabelled(loaded: Loaded, label: str) -> Loaded:
    """``loaded`` under ``label``."""
    decl = loaded.decl
    if decl is not None:
        decl = dataclasses.replace(decl, file=label)
    findings = tuple(f.model_copy(update={"file": label}) for f in loaded.findings)
    return dataclasses.replace(loaded, label=label, decl=decl, findings=findings)


def stored_loaded(engine: Engine, campaign: CampaignInfo, spool: RowSpool
                  ) -> list[tuple[int, Loaded]]:
    """Every submission of the campaign as its worker returned it, labelled by the file's
    original name (made unique with the submission's number where two share one), its
    Smelter List rows set aside in ``spool`` (read back one file at a time)."""
    with Session(engine) as session:
        names = Counter(session.scalars(select(Submission.original_name).where(
            Submission.campaign_id == campaign.id)))
        repeated = {n for n, k in names.items() if k > 1}
        out = []
        for sub_id, name, blob in session.execute(
                select(Submission.id, Submission.original_name, Submission.loaded)
                .where(Submission.campaign_id == campaign.id).order_by(Submission.id)
                .execution_options(yield_per=500)):
            label = _label(name, sub_id, repeated)
            out.append((sub_id, spool.keep(_relabelled(decode_loaded(blob), label))))
        return out


def _references(engine: Engine) -> dict[tuple[str, str], bytes]:
    with Session(engine) as session:
        return {(f, v): d for f, v, d in session.execute(
            select(ReferenceRow.family, ReferenceRow.version, ReferenceRow.data))}


def consolidate_campaign(
    engine: Engine, campaign: CampaignInfo, *,
    references: Sequence[SmelterReference] = (), legacy: LegacyIds | None = None,
    status_lists: Sequence[StatusList] = (), cahra: CahraList | None = None,
    as_of: dt.date | None = None, previous: str | None = None,
) -> tuple[Consolidation, Comparison | None]:
    """The consolidation of every submission the campaign holds, computed as
    :func:`~mineral_compliance.consolidate` computes it from the files (each family resolved
    against the Smelter Look-up of its newest file, stored when that file was ingested), and
    stored; with ``previous``, the comparison with that campaign's latest consolidation."""
    with RowSpool() as spool:
        loaded = stored_loaded(engine, campaign, spool)
        return _consolidated(engine, campaign, loaded, spool, references=references,
                             legacy=legacy, status_lists=status_lists, cahra=cahra,
                             as_of=as_of, previous=previous)


def _consolidated(
    engine: Engine, campaign: CampaignInfo, loaded: list[tuple[int, Loaded]],
    spool: RowSpool, *, references: Sequence[SmelterReference], legacy: LegacyIds | None,
    status_lists: Sequence[StatusList], cahra: CahraList | None, as_of: dt.date | None,
    previous: str | None,
) -> tuple[Consolidation, Comparison | None]:
    stored = _references(engine)
    family_of = {x.label: (x.decl.kind.value, x.reference) for _, x in loaded
                 if x.decl is not None and x.reference is not None}

    def reference_of(label: str) -> SmelterReference:
        family, version = family_of[label]
        blob = stored.get((family, version))
        if blob is None:
            raise StoreError(f"the store holds no {family} Smelter Look-up {version}")
        return decode_reference(blob)

    with Session(engine) as session:
        roster = list(session.scalars(select(SupplierRow.name).where(
            SupplierRow.campaign_id == campaign.id)))
    result = consolidate_loaded(
        [x for _, x in loaded], reference_of, references=references, legacy=legacy,
        status_lists=status_lists, cahra=cahra, roster=roster or None,
        accept=campaign.accept, as_of=as_of,
        rows_of=spool.rows, shelf=spool.shelf)
    before = None
    if previous is not None:
        before = latest_consolidation(engine, open_campaign_row(engine, previous))
        if before is None:
            raise StoreError(f"the campaign {previous!r} has no consolidation to compare with",
                             hint=f"run 'campaign consolidate --campaign {previous}' first")
    try:
        with Session(engine) as session, session.begin():
            session.add(ConsolidationRow(
                campaign_id=campaign.id, computed=dt.datetime.now(dt.UTC),
                submissions=len(loaded), summary=json_of(result.summary()),
                data=encode_consolidation(result)))
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot store the consolidation: {exc}") from exc
    return result, compare(before, result) if before is not None else None


def latest_consolidation(engine: Engine, campaign: CampaignInfo) -> Consolidation | None:
    with Session(engine) as session:
        blob = session.scalar(select(ConsolidationRow.data).where(
            ConsolidationRow.campaign_id == campaign.id).order_by(
            ConsolidationRow.id.desc()).limit(1))
    return decode_consolidation(blob) if blob is not None else None


# -- status ---------------------------------------------------------------------------------


class Outstanding(BaseModel):
    model_config = ConfigDict(frozen=True)

    supplier: str
    email: str | None
    reason: str = Field(description="'no-answer', or 'errors' when its current file has "
                        "errors to fix.")
    files: tuple[str, ...] = ()
    errors: int = 0


class CampaignStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    campaign: str
    year: int
    due: dt.date | None
    today: dt.date
    overdue: bool = Field(description="The due date has passed.")
    roster: int
    responded: int
    response_rate: float | None = Field(description="Suppliers on the roster with a readable "
                                        "submission, over the roster; None without roster.")
    outstanding: tuple[Outstanding, ...] = Field(
        description="Suppliers that have not answered, or whose current file has errors.")
    submissions: dict[str, int] = Field(description="Submissions by status.")
    off_roster: int = Field(description="Readable submissions from suppliers the roster "
                            "does not name.")
    consolidated: dt.datetime | None = Field(description="When the latest consolidation was "
                                             "computed.")
    smelters_to_resolve: int | None = Field(
        description="Smelters needing review plus rows rejected in the latest consolidation; "
                    "None before any.")


def status(engine: Engine, campaign: CampaignInfo, *, today: dt.date | None = None
           ) -> CampaignStatus:
    """Where the campaign stands (``today``: default, the current date)."""
    day = today or dt.date.today()
    with Session(engine) as session:
        suppliers = session.scalars(select(SupplierRow).where(
            SupplierRow.campaign_id == campaign.id).order_by(SupplierRow.name)).all()
        subs = session.execute(select(
            Submission.supplier_id, Submission.status, Submission.original_name,
            Submission.errors).where(Submission.campaign_id == campaign.id)).all()
        latest = session.execute(select(ConsolidationRow.computed, ConsolidationRow.summary)
                                 .where(ConsolidationRow.campaign_id == campaign.id)
                                 .order_by(ConsolidationRow.id.desc()).limit(1)).first()
    by_status = {s.value: 0 for s in FileStatus}
    current: dict[int, list[tuple[str, int]]] = {}
    answered: set[int] = set()
    off_roster = 0
    for supplier_id, state, name, errors in subs:
        by_status[state] += 1
        if state == FileStatus.UNREADABLE.value:
            continue
        if supplier_id is None:
            off_roster += state != FileStatus.SUPERSEDED.value
            continue
        answered.add(supplier_id)
        if state == FileStatus.ERRORS.value:
            current.setdefault(supplier_id, []).append((name, errors))
    outstanding = []
    for s in suppliers:
        if s.id not in answered:
            outstanding.append(Outstanding(supplier=s.name, email=s.email, reason="no-answer"))
        elif s.id in current:
            files = sorted(current[s.id])
            outstanding.append(Outstanding(supplier=s.name, email=s.email, reason="errors",
                                           files=tuple(n for n, _ in files),
                                           errors=sum(e for _, e in files)))
    summary = json.loads(latest.summary) if latest else None
    return CampaignStatus(
        campaign=campaign.name, year=campaign.year, due=campaign.due, today=day,
        overdue=campaign.due is not None and day > campaign.due, roster=len(suppliers),
        responded=len(answered),
        response_rate=len(answered) / len(suppliers) if suppliers else None,
        outstanding=tuple(outstanding), submissions=by_status, off_roster=off_roster,
        consolidated=latest.computed if latest else None,
        smelters_to_resolve=(summary["smelters_needing_review"] + summary["rows_rejected"]
                             if summary else None))


# -- forget ---------------------------------------------------------------------------------


class ForgetReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    supplier: str
    submissions: int = Field(description="Its submissions looked at.")
    contacts_removed: int = Field(description="Contact records (name, e-mail, telephone) "
                                  "deleted.")
    findings_scrubbed: int = Field(description="Stored findings that quoted a personal value, "
                                   "now reading '[personal data not kept]'.")
    roster_email_removed: bool


def forget(engine: Engine, campaign: CampaignInfo, supplier: str) -> ForgetReport:
    """Erase the personal data the campaign holds of ``supplier`` (its roster name, an
    alias or its unique ID): the contact records of its submissions, every quote of them in
    the findings kept, and the roster's e-mail address."""
    key = name_key(supplier) or supplier.strip().casefold()
    try:
        with Session(engine) as session, session.begin():
            rows = session.scalars(select(SupplierRow).where(
                SupplierRow.campaign_id == campaign.id)).all()
            found = [r for r in rows if key in {
                name_key(n) or n.casefold() for n in (r.name, *r.aliases.split(";")) if n}
                or (r.unique_id or "").strip().casefold() == supplier.strip().casefold()]
            if not found:
                raise StoreError(f"the campaign {campaign.name!r} has no supplier {supplier!r} "
                                 "on its roster", hint="give its name, an alias or its ID")
            row = found[0]
            subs = session.scalars(select(Submission).where(
                Submission.campaign_id == campaign.id, Submission.supplier_id == row.id)).all()
            ids = [s.id for s in subs]
            contacts = session.scalars(select(Contact).where(
                Contact.submission_id.in_(ids))).all() if ids else []
            values = {v for c in contacts for v in json.loads(c.personal or "[]")}
            values |= {v for c in contacts for v in (c.name, c.email, c.phone) if v}
            scrubbed = 0
            for s in subs:
                loaded = decode_loaded(s.loaded)
                findings, changed = scrub_findings(loaded.findings, values)
                if changed:
                    scrubbed += changed
                    s.loaded = encode_loaded(dataclasses.replace(loaded, findings=findings))
            removed = len(contacts)
            if ids:
                session.execute(delete(Contact).where(Contact.submission_id.in_(ids)))
            had_email = row.email is not None
            session.execute(update(SupplierRow).where(SupplierRow.id == row.id).values(
                email=None))
            return ForgetReport(supplier=row.name, submissions=len(subs),
                                contacts_removed=removed, findings_scrubbed=scrubbed,
                                roster_email_removed=had_email)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot erase {supplier!r}: {exc}") from exc

