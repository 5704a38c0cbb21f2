"""Reminder drafts: one message per supplier that has not answered or must fix its file,
as plain text and as an RFC 5322 ``.eml`` draft. Nothing is sent.

Who gets one is :attr:`CampaignStatus.outstanding <.results.CampaignStatus.outstanding>`:
a supplier on the roster with no readable submission (reason ``no-answer``: the request
again, with the due date, the template families asked for and the versions accepted), or
whose current file has errors (reason ``errors``; ``version`` when a current file is on a
template version the campaign does not accept, finding ``template-version-not-accepted``,
so that the answers must move to an accepted release). A reminder about files lists every
finding of the supplier's current files, file by file and by severity, each with its
sheet and cell, its message and what to do, as the findings were stored at ingest.

The message goes to the roster's address; only when the campaign was ingested with
personal data kept (``ingest(keep_personal=True)``) does it fall back to the contact
person the supplier's file names, and greet that person. Without it, nothing personal from
a supplier's file is in a reminder: the stored findings no longer quote it either.

Header values are made safe before they are set: a supplier or campaign name holding a
carriage return or line feed (which :class:`email.message.EmailMessage` refuses, and which
would otherwise add headers of its own) has every control character replaced by a space.
An address is not mended: one that is no plain e-mail address (a line break in it, a group,
a missing domain) leaves the draft without ``To``, and the reminder says why
(:attr:`Reminder.address_problem`).

:func:`write_reminders` writes every draft (``<supplier>.txt``, ``<supplier>.eml``) and an
``index.csv`` as one run: all of them or none (:func:`~mineral_compliance._io.run.output_run`),
and records each in the store's ``requests`` table in the same step. Drafts of an earlier
run into the same folder for suppliers no longer outstanding are removed, so the folder
never holds a reminder that is no longer due.
"""

from __future__ import annotations

import csv
import datetime as dt
import email.policy
import io
import os
import textwrap
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path, PurePath

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .._io.paths import path_inside, safe_file_name
from .._io.run import output_run, write_atomic
from .._io.text import neutralise, scrub
from .._words import counted
from ..errors import StoreError
from ..models.consolidation import FileStatus
from ..models.declaration import TemplateKind
from ..models.findings import Finding, Severity
from .campaign import CampaignInfo, suppliers_by_id
from .codec import decode_loaded
from .results import Outstanding, status
from .schema import Contact, RequestRow, Submission

__all__ = ["NOT_ACCEPTED", "TEMPLATES_URL", "RemindReport", "Reminder", "ReminderFile",
           "address_problem", "draft_reminders", "rmi_instruction", "write_reminders"]

NOT_ACCEPTED = "template-version-not-accepted"
"""The finding of a file on a template version the campaign does not accept."""

TEMPLATES_URL = "https://www.responsiblemineralsinitiative.org/reporting-templates/"
"""Where the RMI publishes its reporting templates."""

_FAMILY_NAMES = {
    "CMRT": "Conflict Minerals Reporting Template",
    "EMRT": "Extended Minerals Reporting Template",
    "CRT": "Cobalt Reporting Template",
    "AMRT": "Additional Minerals Reporting Template",
}
_SEVERITY_HEADINGS = {
    Severity.ERROR: ("Errors", "must be corrected"),
    Severity.WARNING: ("Warnings", "please check, and correct what is wrong"),
    Severity.INFO: ("Notes", "for your information"),
}
_WIDTH = 76
_HEADER_LIMIT = 200
"""The most characters of a name put into a header (a subject stays readable)."""
_EML_POLICY = email.policy.default.clone(linesep="\r\n")
"""RFC 5322 line ends in the ``.eml`` files."""


@dataclass(frozen=True)
class ReminderFile:
    """One current file of a supplier, as a reminder shows it."""

    name: str
    """The file's own name (without the folder it was ingested from)."""
    kind: str | None
    version: str | None
    accepted: bool
    """False when the file carries ``template-version-not-accepted``."""
    findings: tuple[Finding, ...]
    """Every stored finding of the file, in report order (errors first)."""


@dataclass(frozen=True)
class Reminder:
    """The draft for one supplier: its text, its headers, and what it is about."""

    supplier: str
    reason: str
    """``no-answer``, ``errors`` or ``version`` (see the module docstring)."""
    to: str | None
    """The address it goes to; None when none is known (or the one known is unusable)."""
    subject: str
    text: str
    """The plain-text body."""
    files: tuple[ReminderFile, ...] = ()
    address_problem: str | None = None
    """Why the draft has no ``To`` although the roster gives an address."""
    sender: str | None = None
    drafted: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    supplier_id: int | None = None
    """The supplier's row in the store."""

    def email(self) -> EmailMessage:
        """The draft as an e-mail message (``X-Unsent: 1``: mail programs open it as a
        draft to send)."""
        msg = EmailMessage()
        if self.sender:
            _set_address(msg, "From", self.sender)
        if self.to:
            _set_address(msg, "To", self.to)
        msg["Subject"] = _header_text(self.subject, limit=2 * _HEADER_LIMIT)
        msg["Date"] = format_datetime(self.drafted)
        msg["X-Unsent"] = "1"
        msg.set_content(self.text)
        return msg

    def eml(self) -> bytes:
        """The ``.eml`` file: the message with CRLF line ends."""
        return self.email().as_bytes(policy=_EML_POLICY)


@dataclass(frozen=True)
class RemindReport:
    """What :func:`write_reminders` drafted and wrote."""

    reminders: tuple[Reminder, ...]
    written: tuple[Path, ...]
    unreadable: tuple[str, ...] = ()
    """Files that could not be read: no supplier can be named for them, so no reminder
    is drafted (a roster supplier with nothing else gets the ``no-answer`` one)."""
    off_roster: tuple[str, ...] = ()
    """Current files with errors from suppliers the roster does not name (no address)."""

    def count(self, reason: str) -> int:
        return sum(r.reason == reason for r in self.reminders)


# -- header values --------------------------------------------------------------------------


def _header_text(text: str, *, limit: int = _HEADER_LIMIT) -> str:
    """``text`` as one header line: every control, format or line-separating character
    (CR, LF, tab, U+2028, bidirectional overrides...) a space, runs of spaces one, cut to
    ``limit`` characters."""
    value = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in scrub(text))
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def address_problem(address: str) -> str | None:
    """Why ``address`` cannot be a header's address list; None when it can. An address is
    never mended: one holding a line break or any other control character, or naming a
    group (``name: a@x, b@y;``), is refused rather than read some other way."""
    if any(unicodedata.category(ch)[0] == "C" for ch in address):
        return f"{address!r} holds a line break or another control character"
    probe = EmailMessage()
    try:
        probe["To"] = address
        header = probe["To"]
        defects = getattr(header, "defects", ())
        addresses = getattr(header, "addresses", ())
        groups = getattr(header, "groups", ())
        if (defects or not addresses or any(not a.domain for a in addresses)
                or any(g.display_name is not None for g in groups)):
            return f"{address!r} is not an e-mail address"
        probe.as_bytes(policy=_EML_POLICY)
    except (ValueError, TypeError, IndexError, UnicodeError) as exc:
        return f"{address!r} cannot be written as an address ({exc})"
    return None


def _clean_address(address: str | None) -> tuple[str | None, str | None]:
    """(the address, or None; why it cannot be used, or None). Several addresses may be
    separated by commas or, as some mail programs write them, semicolons."""
    if address is None or not address.strip():
        return None, None
    value = address.strip().replace(";", ",")
    problem = address_problem(value)
    return (None, problem) if problem else (value, None)


def _set_address(msg: EmailMessage, name: str, address: str) -> None:
    value, problem = _clean_address(address)
    if value is not None and problem is None:
        msg[name] = value


# -- wording ----------------------------------------------------------------------------------


def _para(text: str, indent: str = "", hanging: str | None = None) -> str:
    """``text`` wrapped, its first line indented by ``indent``, the others by ``hanging``
    (default: the same)."""
    return textwrap.fill(text, _WIDTH, initial_indent=indent,
                         subsequent_indent=indent if hanging is None else hanging,
                         break_long_words=False, break_on_hyphens=False)


def _file_name(label: str) -> str:
    """A stored file's own name: ``inbox/batch.zip!nested/emrt.xlsx`` -> ``emrt.xlsx``."""
    return PurePath(label.replace("\\", "/")).name or label


def _where(f: Finding) -> str:
    place = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else f.sheet or "the file as a whole"
    return f"{place} [{f.subject}]" if f.subject else place


def rmi_instruction(finding: Finding) -> str | None:
    """The RMI's own instruction for a Checker finding, in the language the supplier chose
    on its Declaration (read from the workbook's language sheet), with the language's code:
    ``[fr] Sélectionnez le champ (D9)``; None for other findings and English files."""
    value = (finding.instruction or "").strip()
    if not value:
        return None
    return f"[{finding.instruction_language}] {value}" if finding.instruction_language else value


_TO_REQUESTER = (("ask the supplier to ", ""), ("ask the supplier whether ", "check whether "))
"""Hints written for the company that asked (``ask the supplier to use CMRT 6.6``), and how
they read when the supplier is told: ``use CMRT 6.6``."""


def _addressed_to_supplier(hint: str) -> str:
    """A finding's hint as the supplier reads it in a reminder."""
    for prefix, instead in _TO_REQUESTER:
        if hint.casefold().startswith(prefix):
            return instead + hint[len(prefix):]
    return hint


def _finding_lines(f: Finding) -> list[str]:
    lines = [_para(f"{_where(f)}: {f.message}", "    - ", "      ")]
    if f.hint:
        lines.append(_para(f"What to do: {_addressed_to_supplier(f.hint)}", "      ",
                           "        "))
    instruction = rmi_instruction(f)
    if instruction:
        lines.append(_para(f"RMI instruction: {instruction}", "      ", "        "))
    return lines


def _accepted(campaign: CampaignInfo, kind: str | None) -> str:
    family = next((k for k in TemplateKind if k.value == kind), None)
    return campaign.accept.describe(family) if family else campaign.accept.describe()


def _file_block(campaign: CampaignInfo, f: ReminderFile) -> list[str]:
    what = " ".join(x for x in (f.kind, f.version) if x)
    lines = [f"File: {f.name}" + (f" ({what})" if what else "")]
    if not f.accepted:
        lines.append(_para(
            f"This template version is not one we accept (we accept "
            f"{_accepted(campaign, f.kind)}): please copy your answers into the current "
            f"RMI template ({TEMPLATES_URL}) and send that file.", "  "))
    if not f.findings:
        lines.append("  Nothing to correct in this file.")
    for severity, (heading, meaning) in _SEVERITY_HEADINGS.items():
        mine = [x for x in f.findings if x.severity is severity]
        if not mine:
            continue
        lines += ["", f"  {heading} ({len(mine)}): {meaning}"]
        for x in mine:
            lines += _finding_lines(x)
    return lines


def _due_words(campaign: CampaignInfo, today: dt.date) -> tuple[str, str]:
    """(when it was or is due, in a sentence's words; the deadline for sending)."""
    if campaign.due is None:
        return "", "as soon as you can"
    if today > campaign.due:
        return f"It was due on {campaign.due.isoformat()}.", "as soon as possible"
    return f"It is due on {campaign.due.isoformat()}.", f"by {campaign.due.isoformat()}"


def _subject(campaign: CampaignInfo, supplier: str, reason: str) -> str:
    due = f" due {campaign.due.isoformat()}" if campaign.due else ""
    what = {"no-answer": "your responsible-minerals reporting template",
            "errors": "please correct your responsible-minerals reporting template",
            "version": "please resend your reporting template on an accepted version"}[reason]
    return (f"{_header_text(campaign.name)}, reporting year {campaign.year}: {what}{due} "
            f"({_header_text(supplier, limit=100)})")


def _greeting(supplier: str, contact: str | None) -> str:
    return f"Dear {contact}," if contact else f"Dear colleagues at {supplier},"


def _closing(sender: str | None) -> list[str]:
    lines = ["", "Kind regards,"]
    if sender:
        lines.append(_header_text(sender))
    return lines


def _no_answer_text(campaign: CampaignInfo, supplier: str, contact: str | None,
                    today: dt.date, sender: str | None) -> str:
    when, by = _due_words(campaign, today)
    families = campaign.families or tuple(k.value for k in campaign.accept.families())
    lines = [_greeting(supplier, contact), "",
             _para(f"For our responsible-minerals campaign {campaign.name} (reporting year "
                   f"{campaign.year}) we asked you for your completed reporting template. "
                   f"{when} We have not received it yet.".replace("  ", " ")),
             "", "What we ask for:"]
    for family in families:
        title = _FAMILY_NAMES.get(family)
        lines.append(_para(f"{family}" + (f" ({title})" if title else "")
                           + f": {_accepted(campaign, family)}", "  - ", "    "))
    lines += ["", "What to do:",
              _para(f"Download the current template from the Responsible Minerals "
                    f"Initiative ({TEMPLATES_URL}).", "  1. ", "     "),
              _para(f"Fill it in for reporting year {campaign.year}, for the products "
                    "you supply to us, and check it with the template's own Checker "
                    "sheet.", "  2. ", "     "),
              _para(f"Send it back to us as an .xlsx file {by}.", "  3. ", "     "),
              "",
              _para("If you have already sent it, it may not have reached us, or we could "
                    "not read it: please send it again, saved from Excel as an unprotected "
                    ".xlsx file."),
              *_closing(sender)]
    return "\n".join(lines) + "\n"


def _files_text(campaign: CampaignInfo, supplier: str, contact: str | None,
                files: Sequence[ReminderFile], reason: str, today: dt.date,
                sender: str | None) -> str:
    when, by = _due_words(campaign, today)
    errors = sum(x.severity is Severity.ERROR for f in files for x in f.findings)
    lines = [_greeting(supplier, contact), "",
             _para(f"Thank you for your reporting template for our responsible-minerals "
                   f"campaign {campaign.name} (reporting year {campaign.year}). Our checks "
                   f"found {counted(errors, 'error')} that must be corrected before we can "
                   f"use it. {when} Please correct what is listed below and send the file "
                   f"again {by}.".replace("  ", " "))]
    for f in files:
        lines += ["", *_file_block(campaign, f)]
    steps = []
    if reason == "version":
        steps.append(f"Move your answers into the current RMI template ({TEMPLATES_URL}); "
                     "a file on a version we do not accept cannot be used, however "
                     "complete.")
    steps += ["Correct each error listed above, at the sheet and cell given.",
              "Look at each warning, and correct what is wrong.",
              "Check the file with the template's own Checker sheet: it should show no "
              "errors.",
              f"Send the corrected file back to us as an unprotected .xlsx file {by}."]
    lines += ["", "What to do:"]
    lines += [_para(step, f"  {n}. ", "     ") for n, step in enumerate(steps, start=1)]
    lines += _closing(sender)
    return "\n".join(lines) + "\n"


# -- drafting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Current:
    id: int
    supplier_id: int
    name: str
    kind: str | None
    version: str | None
    blob: bytes


def _current_files(session: Session, campaign: CampaignInfo, suppliers: Iterable[int]
                   ) -> dict[int, list[_Current]]:
    ids = list(suppliers)
    out: dict[int, list[_Current]] = {}
    if not ids:
        return out
    rows = session.execute(
        select(Submission.id, Submission.supplier_id, Submission.original_name,
               Submission.kind, Submission.version, Submission.loaded)
        .where(Submission.campaign_id == campaign.id, Submission.supplier_id.in_(ids),
               Submission.status.not_in([FileStatus.SUPERSEDED.value,
                                         FileStatus.UNREADABLE.value]))
        .order_by(Submission.id)).all()
    for r in rows:
        if r.supplier_id is not None:
            out.setdefault(r.supplier_id, []).append(
                _Current(r.id, r.supplier_id, r.original_name, r.kind, r.version, r.loaded))
    return out


def _contacts(session: Session, submissions: Iterable[int]) -> dict[int, Contact]:
    ids = list(submissions)
    if not ids:
        return {}
    rows = session.scalars(select(Contact).where(Contact.submission_id.in_(ids))).all()
    return {c.submission_id: c for c in rows}


def _reminder_file(current: _Current) -> ReminderFile:
    loaded = decode_loaded(current.blob)
    findings = tuple(sorted(loaded.findings, key=Finding.sort_key))
    return ReminderFile(name=_file_name(current.name), kind=current.kind,
                        version=current.version,
                        accepted=not any(f.code == NOT_ACCEPTED for f in findings),
                        findings=findings)


def _draft(campaign: CampaignInfo, o: Outstanding, supplier_id: int, address: str | None,
           files: list[_Current], contacts: dict[int, Contact], today: dt.date,
           sender: str | None, drafted: dt.datetime) -> Reminder:
    # the contact person of the supplier's newest current file, kept only when asked
    contact = next((contacts[c.id] for c in reversed(files) if c.id in contacts), None)
    to, problem = _clean_address(address)
    if to is None and problem is None and contact is not None:
        to, problem = _clean_address(contact.email)
    person = _header_text(contact.name) if contact is not None and contact.name else None
    supplier = _header_text(o.supplier, limit=500)
    if o.reason == "no-answer" or not files:
        text = _no_answer_text(campaign, supplier, person, today, sender)
        shown: tuple[ReminderFile, ...] = ()
        reason = "no-answer"
    else:
        shown = tuple(_reminder_file(c) for c in files)
        # files with errors first, then the supplier's other current files
        shown = tuple(sorted(shown, key=lambda f: (
            not any(x.severity is Severity.ERROR for x in f.findings), f.name)))
        reason = "version" if any(not f.accepted for f in shown) else "errors"
        text = _files_text(campaign, supplier, person, shown, reason, today, sender)
    return Reminder(supplier=o.supplier, reason=reason, to=to,
                    subject=_subject(campaign, o.supplier, reason), text=scrub(text),
                    files=shown, address_problem=problem, sender=sender, drafted=drafted,
                    supplier_id=supplier_id)


def draft_reminders(engine: Engine, campaign: CampaignInfo, *, today: dt.date | None = None,
                    sender: str | None = None, now: dt.datetime | None = None
                    ) -> tuple[Reminder, ...]:
    """One reminder per outstanding supplier of the campaign (see the module docstring),
    in roster order. ``today``: the date the due date is measured against (default, the
    current date); ``sender``: the ``From`` address and signature; ``now``: the draft's
    date (default, the current time)."""
    state = status(engine, campaign, today=today)
    drafted = now or dt.datetime.now(dt.UTC)
    rows = {r.name: r for r in suppliers_by_id(engine, campaign).values()}
    wanted = {rows[o.supplier].id for o in state.outstanding if o.supplier in rows}
    with Session(engine) as session:
        current = _current_files(session, campaign, wanted)
        contacts = _contacts(session, (c.id for cs in current.values() for c in cs))
    out = []
    for o in state.outstanding:
        row = rows.get(o.supplier)
        if row is None:
            continue
        out.append(_draft(campaign, o, row.id, row.email, current.get(row.id, []), contacts,
                          state.today, sender, drafted))
    return tuple(out)


# -- writing -----------------------------------------------------------------------------------


def _names(reminders: Sequence[Reminder]) -> list[str]:
    """A file stem per reminder: the supplier's name made safe, unique (ignoring case)."""
    taken = {"index"}
    out = []
    for r in reminders:
        stem = safe_file_name(r.supplier, fallback="supplier")
        name, n = stem, 1
        while name.casefold() in taken:
            n += 1
            name = f"{stem} ({n})"
        taken.add(name.casefold())
        out.append(name)
    return out


def _index(reminders: Sequence[Reminder], stems: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["supplier", "reason", "to", "address_problem", "files", "errors",
                     "text", "eml"])
    for r, stem in zip(reminders, stems, strict=True):
        errors = sum(x.severity is Severity.ERROR for f in r.files for x in f.findings)
        writer.writerow([neutralise(v) for v in (
            _header_text(r.supplier, limit=500), r.reason, r.to or "",
            r.address_problem or "", "; ".join(f.name for f in r.files), errors,
            f"{stem}.txt", f"{stem}.eml")])
    return scrub(buffer.getvalue()).encode("utf-8")


def _not_drafted(engine: Engine, campaign: CampaignInfo) -> tuple[tuple[str, ...],
                                                                 tuple[str, ...]]:
    with Session(engine) as session:
        rows = session.execute(select(Submission.original_name, Submission.status).where(
            Submission.campaign_id == campaign.id, Submission.supplier_id.is_(None),
            Submission.status.in_([FileStatus.UNREADABLE.value, FileStatus.ERRORS.value]))
            .order_by(Submission.id)).all()
    unreadable = tuple(n for n, s in rows if s == FileStatus.UNREADABLE.value)
    off_roster = tuple(n for n, s in rows if s == FileStatus.ERRORS.value)
    return unreadable, off_roster


def write_reminders(engine: Engine, campaign: CampaignInfo, outdir: str | os.PathLike[str], *,
                    today: dt.date | None = None, sender: str | None = None,
                    now: dt.datetime | None = None) -> RemindReport:
    """Draft the campaign's reminders (:func:`draft_reminders`) and write them into
    ``outdir``: ``<supplier>.txt`` and ``<supplier>.eml`` each, and ``index.csv``, as one
    run, all or none; each is recorded in the store's ``requests`` table (kind
    ``reminder``, its reason, when it was drafted and the ``.eml`` file) in the same step:
    if the files cannot be written, nothing is recorded."""
    reminders = draft_reminders(engine, campaign, today=today, sender=sender, now=now)
    unreadable, off_roster = _not_drafted(engine, campaign)
    folder = Path(outdir)
    stems = _names(reminders)
    written: list[Path] = []
    try:
        with (Session(engine) as session, session.begin(),
              output_run(folder, name="reminders")):
            for r, stem in zip(reminders, stems, strict=True):
                text, eml = (path_inside(folder, f"{stem}.txt"),
                             path_inside(folder, f"{stem}.eml"))
                write_atomic(text, r.text)
                write_atomic(eml, r.eml())
                written += [text, eml]
                if r.supplier_id is not None:
                    session.add(RequestRow(
                        campaign_id=campaign.id, supplier_id=r.supplier_id,
                        kind="reminder", reason=r.reason, drafted=r.drafted,
                        file=str(eml.resolve())))
            index = folder / "index.csv"
            write_atomic(index, _index(reminders, stems))
            written.append(index)
            session.flush()  # a failure to record leaves the files unwritten too
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot record the reminders of {campaign.name!r}: {exc}") from exc
    return RemindReport(tuple(reminders), tuple(written), unreadable, off_roster)
