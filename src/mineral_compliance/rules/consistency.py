"""Rules beyond the Checker: template instructions and contradictions between answers, lists
and the template's own reference data.

These are warnings unless the template makes the violation unambiguous (a value its data
validation would have refused).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..models.declaration import PlaceholderKind, ReadNoteCode, SmelterRow, TemplateKind
from ..models.findings import Basis, Severity
from ..models.reference import LookupEntry
from ..models.values import Status
from ..names import country_code, in_covered_country, name_key, normalise_id, same_name
from ..templates.detect import release_of, version_key
from ..templates.layouts import LAYOUTS
from ..templates.releases import current_release, releases
from ._registry import Context, Hit, clipped, rule, shown

__all__: list[str] = []

_EMAIL = re.compile(r"^[^@\s]+@[^@\s][^@\s.]*\.[^@\s]+$")
"""One address: a dot in its domain that neither starts nor ends it. The domain's first dot
after its first character is matched in one way only, so a domain of dots costs one pass."""
_CMRT = (TemplateKind.CMRT,)
_SUPERSEDED = {TemplateKind.CRT: TemplateKind.EMRT}
"""Template families the RMI has retired, and their successors."""


def _country(text: str) -> str:
    """A country as its ISO code where it names one, else as typed (case folded)."""
    return country_code(text) or text.strip().casefold()


def _current(kind: TemplateKind) -> str:
    """The current release and its re-issues, in words: '6.6 or 6.6.1'."""
    current = current_release(kind) or "?"
    reissues = [r for la in LAYOUTS for r, o in la.reissues.items() if o == current]
    return " or ".join((current, *reissues))


# -- company block and dates ------------------------------------------------------------------


@rule("effective-date-invalid", Severity.ERROR, Basis.INSTRUCTIONS, tags=("company", "dates"))
def effective_date_invalid(ctx: Context) -> Iterable[Hit]:
    """The effective date is not a date, or lies outside the range the template accepts.

    The template's data validation admits only dates after 31 December 2006, and in CMRT
    6.0 to 6.22, EMRT up to 2.1, the CRT and AMRT up to 1.3 also none after 31 March 2026;
    Excel refuses other entries, so a value outside them came from another tool. A supplier
    on a release that stops at 31 March 2026 cannot enter a current date in it: the remedy
    is the current release, named from the layouts this library reads, not a back-dated
    declaration."""
    value = ctx.decl.company.effective_date
    spec = ctx.layout.checker
    if value.is_blank or spec is None:
        return
    if value.status is Status.UNRECOGNISED or value.value is None:
        yield Hit(f"The effective date {shown(value.raw)} is not a date.", value.provenance,
                  hint="enter the date as a date, e.g. 31-Mar-2025")
        return
    date = value.value
    too_early = date < spec.date_min or (date == spec.date_min and not spec.date_min_inclusive)
    too_late = spec.date_max is not None and date > spec.date_max
    if too_early or too_late:
        bound = (f"after {spec.date_min:%d %b %Y}" if spec.date_max is None else
                 f"between {spec.date_min:%d %b %Y} and {spec.date_max:%d %b %Y}")
        hint = "check the date"
        if too_late:
            hint += "; if it is right, " + _newer_release(ctx)
        yield Hit(f"The effective date {date.isoformat()} is outside the range this template "
                  f"version accepts (dates {bound}).", value.provenance, hint=hint)


def _newer_release(ctx: Context) -> str:
    """What a supplier whose release cannot hold its date should use instead."""
    t = ctx.decl.template
    kind = _SUPERSEDED.get(t.kind, t.kind)
    current = current_release(kind)
    if current is None or (kind is t.kind
                           and version_key(release_of(t.version)) >= version_key(current)):
        return (f"fill in a release of the {kind.value} newer than {t.version} "
                "rather than back-dating the declaration")
    return (f"fill in the current release, {kind.value} {_current(kind)}, rather than "
            "back-dating the declaration")


@rule("effective-date-in-future", Severity.WARNING, Basis.CONSISTENCY, tags=("company", "dates"))
def effective_date_in_future(ctx: Context) -> Iterable[Hit]:
    """The effective date lies in the future.

    A declaration describes the supply chain as of its effective date, which cannot be later
    than the day it is checked."""
    value = ctx.decl.company.effective_date
    if value.value is not None and value.value > ctx.today:
        yield Hit(f"The effective date {value.value.isoformat()} is in the future.",
                  value.provenance, hint="enter the date the information was complete")


@rule("effective-date-before-release", Severity.WARNING, Basis.CONSISTENCY,
      tags=("company", "dates"))
def effective_date_before_release(ctx: Context) -> Iterable[Hit]:
    """The effective date is earlier than the release of the template version used.

    A form cannot have been completed before it was published; usually the date was copied
    from an earlier declaration and not updated."""
    value, released = ctx.decl.company.effective_date, ctx.decl.template.revision_date
    if value.value is not None and released is not None and value.value < released:
        yield Hit(f"The effective date {value.value.isoformat()} is before this template "
                  f"version was released ({released.isoformat()}).", value.provenance,
                  hint="update the effective date to when this declaration was completed")


@rule("template-outdated", Severity.WARNING, Basis.INSTRUCTIONS, tags=("template",))
def template_outdated(ctx: Context) -> Iterable[Hit]:
    """The supplier used an older release than the newest one this library reads.

    Older releases carry older smelter reference lists and, for some, questions that changed
    since. A re-issue without the RMI logo (CMRT 6.6.1, EMRT 2.11.1, AMRT 1.31.1) counts as
    its release. The CRT as a whole has been superseded by the EMRT."""
    kind, version = ctx.decl.template.kind, ctx.decl.template.version
    src = ctx.decl.template.version_source
    if kind in _SUPERSEDED:
        successor = _SUPERSEDED[kind]
        yield Hit(f"The {kind.value} has been superseded by the {successor.value}.", src,
                  hint=f"ask the supplier to report on the current {successor.value} next time")
        return
    newest = current_release(kind)
    if newest is not None and version_key(release_of(version)) < version_key(newest):
        yield Hit(f"{kind.value} {version} is older than the current release {newest}.",
                  src, hint=f"ask the supplier to use {kind.value} {_current(kind)} next time")


@rule("template-version-not-accepted", Severity.ERROR, Basis.POLICY, tags=("template",))
def template_version_not_accepted(ctx: Context) -> Iterable[Hit]:
    """The template version is not one the campaign accepts.

    The RMI asks companies to survey with the newest release available when they launch the
    survey and to state which versions they accepted. The policy is given as
    ``--accept 'CMRT>=6.5,EMRT>=2.1'`` (``accept=`` in Python); by default it is the current
    and the previous release of each family this library reads, and any later one. The
    supplier's remedy is the current release, named."""
    t, policy = ctx.decl.template, ctx.accept
    if policy.accepts(t.kind, t.version):
        return
    accepted = policy.describe(t.kind) if t.kind in policy.families() else None
    what = (f"{t.kind.value} {t.version} is not among the versions this campaign accepts "
            f"({accepted})." if accepted else
            f"This campaign does not accept the {t.kind.value} (it accepts "
            f"{policy.describe() or 'no template'}).")
    yield Hit(what, t.version_source, hint=_accepted_remedy(ctx))


def _accepted_remedy(ctx: Context) -> str:
    """The newest release the policy accepts, of the file's family or its successor."""
    t, policy = ctx.decl.template, ctx.accept
    for kind in dict.fromkeys((t.kind, _SUPERSEDED.get(t.kind, t.kind))):
        known = [r for r in releases(kind) if policy.accepts(kind, r)]
        if known:
            current = known[-1]
            label = "the current release" if current == current_release(kind) else "release"
            return (f"ask the supplier to fill in {label} {kind.value} {current} and send "
                    "it again")
    return ("ask the supplier for a template version this campaign accepts "
            f"({policy.describe() or 'none is stated'})")


@rule("layout-assumed", Severity.WARNING, Basis.INSTRUCTIONS, tags=("template",))
def layout_assumed(ctx: Context) -> Iterable[Hit]:
    """The release is newer than every layout known for its major version.

    It was read with the nearest earlier layout, which the reader allows only when the
    workbook matches that layout's structure fingerprint in every cell (list headers and the
    column after them, question labels, the Checker's total). A change the fingerprint does
    not see (an input cell moved within a block, new answer literals) would still put values
    in the wrong fields. Check the file by eye, or refuse such files with
    ``strict_version=True``."""
    t = ctx.decl.template
    if t.layout_assumed:
        yield Hit(f"{t.kind.value} {t.version} is newer than the releases this library knows; "
                  f"it was read with the {t.layout} layout.", t.version_source,
                  hint="check the values read against the file, or update mineral_compliance")


@rule("value-not-in-list", Severity.WARNING, Basis.INSTRUCTIONS, tags=("answers",))
def value_not_in_list(ctx: Context) -> Iterable[Hit]:
    """An answer is not one of the template's drop-down choices.

    The value is kept as typed; it may be a typo of a listed answer or text pasted from
    another tool."""
    for value in ctx.decl.unrecognised_values():
        yield Hit(f"{shown(value.raw)} is not one of the template's choices for this cell.",
                  value.provenance, hint="choose one of the drop-down values")


@rule("email-malformed", Severity.WARNING, Basis.CONSISTENCY, tags=("company",))
def email_malformed(ctx: Context) -> Iterable[Hit]:
    """An e-mail address contains "@" but is not a well-formed address.

    Spaces, several "@" signs or a domain without a dot usually mean two addresses or a name
    were typed into the cell."""
    company = ctx.decl.company
    for value in (company.contact_email, company.authorizer_email):
        text = value.value
        if text and "@" in text and not _EMAIL.match(text):
            yield Hit(f"{shown(text)} does not look like a single e-mail address.",
                      value.provenance, hint="enter one address, e.g. name@example.com")


@rule("duplicate-product-number", Severity.WARNING, Basis.CONSISTENCY, tags=("products",))
def duplicate_product_number(ctx: Context) -> Iterable[Hit]:
    """The same product number appears on more than one Product List row.

    Numbers are compared without regard to case; a repeat usually means a row was pasted
    twice or two products share a number by mistake."""
    seen: dict[str, int] = {}
    for p in ctx.decl.products:
        key = (p.number.value or "").casefold()
        if not key:
            continue
        if key in seen:
            yield Hit(f"Product number {shown(p.number.value)} is listed again (first on row "
                      f"{seen[key]}).", p.number.provenance, subject=p.number.value,
                      hint="remove the repeated row")
        else:
            seen[key] = p.row


# -- answers against the Smelter List --------------------------------------------------------


def _rows_for(ctx: Context, mineral: str) -> list[SmelterRow]:
    """The Smelter List rows of one mineral (grouped once per validation)."""
    by_metal: dict[str, list[SmelterRow]] | None = ctx.memo.get("rows by metal")
    if by_metal is None:
        by_metal = {}
        for s in ctx.decl.smelters:
            by_metal.setdefault((s.value_of("metal") or "").casefold(), []).append(s)
        ctx.memo["rows by metal"] = by_metal
    return list(by_metal.get(mineral.casefold(), ()))


@rule("not-used-but-smelters-listed", Severity.WARNING, Basis.CONSISTENCY,
      tags=("answers", "smelters"))
def not_used_but_smelters_listed(ctx: Context) -> Iterable[Hit]:
    """A question says a mineral is not used or not in the product, yet smelters are listed.

    CMRT and EMRT questions 1 and 2, CRT and AMRT question 1, answered "No", while the
    Smelter List names facilities for that mineral. Either the answer or the rows are wrong."""
    for mineral in ctx.decl.minerals:
        answers = ctx.decl.answers.get(mineral, {})
        for key in ctx.layout.roles.used:
            qa = answers.get(key)
            if qa is None or qa.answer.value != "No":
                continue
            rows = [s for s in _rows_for(ctx, mineral)
                    if s.placeholder is not PlaceholderKind.NOT_YET_IDENTIFIED]
            if rows:
                yield Hit(f"Question {key} for {mineral} is 'No' but {len(rows)} {mineral} "
                          f"smelter row(s) are listed (first: row {rows[0].row}).",
                          qa.answer.provenance, subject=mineral,
                          hint="correct the answer or remove the rows")
                break


@rule("all-identified-but-unidentified-rows", Severity.WARNING, Basis.CONSISTENCY,
      tags=("answers", "smelters"))
def all_identified_but_unidentified_rows(ctx: Context) -> Iterable[Hit]:
    """The supplier says all smelters are identified, yet none of them is.

    The question (CMRT 7, EMRT 6, CRT 5) is "Yes" while every Smelter List row for the
    mineral is "Smelter not yet identified"."""
    key = ctx.layout.roles.identified
    if key is None:
        return
    for mineral in ctx.decl.minerals:
        qa = ctx.decl.answers.get(mineral, {}).get(key)
        rows = _rows_for(ctx, mineral)
        if qa is None or qa.answer.value != "Yes" or not rows:
            continue
        if all(s.placeholder is PlaceholderKind.NOT_YET_IDENTIFIED for s in rows):
            yield Hit(f"Question {key} for {mineral} says all smelters are identified, but "
                      f"every {mineral} row is 'Smelter not yet identified'.",
                      qa.answer.provenance, subject=mineral,
                      hint="identify the smelters or answer 'No'")


@rule("covered-country-but-q3-no", Severity.WARNING, Basis.CONSISTENCY,
      kinds=_CMRT, tags=("answers", "smelters", "countries"))
def covered_country_but_q3_no(ctx: Context) -> Iterable[Hit]:
    """Question 3 rules out the covered countries, yet a listed smelter is located there.

    The covered countries are the DRC and its nine neighbours. A smelter's location is not
    its ore's origin, so this is a prompt to check, not proof."""
    key = ctx.layout.roles.covered_countries
    if key is None:
        return
    for mineral in ctx.decl.minerals:
        qa = ctx.decl.answers.get(mineral, {}).get(key)
        if qa is None or qa.answer.value != "No":
            continue
        located = [s for s in _rows_for(ctx, mineral) if in_covered_country(s.country.value)]
        if located:
            s = located[0]
            yield Hit(f"Question {key} for {mineral} is 'No' but the smelter on row {s.row} "
                      f"is located in {clipped(s.country.value or '')}.", qa.answer.provenance,
                      subject=mineral, hint="confirm with the smelter where its ore comes from")


@rule("recycled-answer-contradicts-rows", Severity.WARNING, Basis.CONSISTENCY,
      tags=("answers", "smelters"))
def recycled_answer_contradicts_rows(ctx: Context) -> Iterable[Hit]:
    """The supplier says 100 % recycled or scrap, yet a smelter row says otherwise.

    The question (CMRT 5, EMRT 4, CRT 3) is "Yes" while a listed smelter's row says its
    feedstock is not entirely recycled or scrap."""
    key = ctx.layout.roles.recycled
    if key is None:
        return
    column = ctx.layout.smelter_list.columns.get("recycled_scrap", "?")
    for mineral in ctx.decl.minerals:
        qa = ctx.decl.answers.get(mineral, {}).get(key)
        if qa is None or qa.answer.value != "Yes":
            continue
        rows = [s for s in _rows_for(ctx, mineral) if s.recycled_scrap.value == "No"]
        if rows:
            yield Hit(f"Question {key} for {mineral} says 100% recycled or scrap, but row "
                      f"{rows[0].row} says that smelter's feedstock is not.",
                      qa.answer.provenance, subject=mineral,
                      hint=f"correct the answer or the row's column {column}")


# -- smelter rows against the template's own look-up -----------------------------------------


def _entries(ctx: Context, smelter_id: str) -> tuple[LookupEntry, ...]:
    return ctx.smelters_by_id.get(smelter_id.casefold(), ())


@rule("smelter-id-unknown", Severity.WARNING, Basis.CONSISTENCY, tags=("smelters",))
def smelter_id_unknown(ctx: Context) -> Iterable[Hit]:
    """A smelter ID is not in the template's own Smelter Look-up.

    It may be mistyped, retired, or newer than the template's reference list."""
    if ctx.reference is None:
        return
    for s in ctx.decl.smelters:
        sid = s.smelter_id.value
        if sid and not _entries(ctx, sid):
            yield Hit(f"Smelter ID {shown(sid)} on row {s.row} is not in this template's Smelter "
                      "Look-up.", s.smelter_id.provenance, subject=sid,
                      hint="check the ID against the RMI facility list")


@rule("smelter-id-other-metal", Severity.WARNING, Basis.CONSISTENCY, tags=("smelters",))
def smelter_id_other_metal(ctx: Context) -> Iterable[Hit]:
    """A row's metal differs from the metal the Smelter Look-up gives for its smelter ID.

    A smelter ID identifies one facility processing one metal; the row's metal or its ID is
    wrong."""
    for s in ctx.decl.smelters:
        sid, metal = s.value_of("smelter_id"), s.value_of("metal")
        entries = _entries(ctx, sid) if sid else ()
        if not entries or not metal:
            continue
        metals = {e.metal.casefold() for e in entries}
        if metal.casefold() not in metals:
            yield Hit(f"Row {s.row} lists {sid} as a {metal} smelter; the look-up lists it "
                      f"for {entries[0].metal}.", s.metal.provenance, subject=sid,
                      hint="correct the metal or the ID")


@rule("smelter-details-contradict-id", Severity.WARNING, Basis.CONSISTENCY, tags=("smelters",))
def smelter_details_contradict_id(ctx: Context) -> Iterable[Hit]:
    """A typed smelter name or country contradicts the facility its ID identifies.

    Names are compared with every alias the look-up lists for the ID, ignoring case and
    punctuation."""
    for s in ctx.decl.smelters:
        sid = s.value_of("smelter_id")
        entries = _entries(ctx, sid) if sid else ()
        if not entries:
            continue
        names = [n for e in entries for n in (e.lookup_name, e.standard_name)]
        typed = s.name_input.value
        if typed and s.placeholder is None and not any(same_name(typed, n) for n in names):
            yield Hit(f"Row {s.row} names {shown(typed)}, but {clipped(sid)} is "
                      f"{shown(entries[0].standard_name or entries[0].lookup_name)}.",
                      s.name_input.provenance, subject=sid,
                      hint="check which facility is meant")
        countries = {_country(e.country) for e in entries if e.country}
        country = s.country
        if (country.origin == "input" and country.value and countries
                and _country(country.value) not in countries):
            yield Hit(f"Row {s.row} places {clipped(sid)} in {clipped(country.value)}; the "
                      f"look-up places it in {entries[0].country}.", country.provenance,
                      subject=sid, hint="check the country or the ID")


@rule("duplicate-smelter-row", Severity.WARNING, Basis.CONSISTENCY, tags=("smelters",))
def duplicate_smelter_row(ctx: Context) -> Iterable[Hit]:
    """The same facility is listed twice for the same metal, with the same mine data.

    Rows are the same facility when they carry the same smelter ID, or, without an ID, the
    same name (ignoring case and punctuation). Suppliers declare several mines of one smelter
    by repeating the smelter on one row per mine (columns N and O of the CMRT): such rows are
    the smelter's declared mines, not duplicates. A row repeats another only when its mine
    name (compared as facility names are) and mine country (as an ISO code where it names
    one) are those of the other row too, both blank included; a row without mine data beside
    rows that name mines is not a repeat of them. Placeholder rows are not compared."""
    first: dict[tuple[str, str], dict[tuple[str, str], int]] = {}
    for s in ctx.decl.smelters:
        if s.placeholder is not None:
            continue
        metal = (s.value_of("metal") or "").casefold()
        ident = normalise_id(s.value_of("smelter_id")) or name_key(s.name or "")
        if not ident:
            continue
        mine_name, mine_country = s.value_of("mine_names"), s.value_of("mine_countries")
        mine = (name_key(mine_name or ""), _country(mine_country or ""))
        rows = first.setdefault((metal, ident), {})  # the smelter's rows, by mine
        if mine not in rows:
            rows[mine] = s.row
            continue
        what = (f"and its mine ({', '.join(clipped(x) for x in (mine_name, mine_country) if x)})"
                if mine_name or mine_country else "with no mine named on either row")
        yield Hit(f"Row {s.row} repeats the {clipped(s.metal.value or '')} smelter of row "
                  f"{rows[mine]} ({clipped(s.smelter_id.value or s.name or '')}) {what}."
                  .replace("  ", " "),
                  s.smelter_id.provenance if s.smelter_id.value else s.name_input.provenance,
                  subject=s.smelter_id.value or s.name,
                  hint="remove the repeated row, or name on it the other mine it declares")


# -- what the reader changed to stay within its bounds -----------------------------------------


@rule("text-truncated", Severity.WARNING, Basis.CONSISTENCY, tags=("reading",))
def text_truncated(ctx: Context) -> Iterable[Hit]:
    """A cell holds more text than the reader keeps; only its beginning was read.

    No field of an RMI template needs thousands of characters, and text carried from a
    supplier's file into every report is capped so that one oversized cell cannot swell them;
    the finding gives the cell's length and the length kept."""
    for note in ctx.decl.notes:
        if note.code is ReadNoteCode.TEXT_TRUNCATED:
            yield Hit(f"The text is {note.found or 0:,} characters long; only the first "
                      f"{note.kept or 0:,} were kept.", note.provenance,
                      hint="shorten the entry; long explanations belong in a separate document")


@rule("text-replaced", Severity.WARNING, Basis.CONSISTENCY, tags=("reading",))
def text_replaced(ctx: Context) -> Iterable[Hit]:
    """A cell holds characters that cannot be encoded; each was replaced by U+FFFD.

    The workbook stores half of a character pair on its own (a lone UTF-16 surrogate, left
    by a damaged copy and paste or by a tool that cut text between the two halves). No UTF-8
    output can carry it, so the reader puts the replacement character in its place."""
    for note in ctx.decl.notes:
        if note.code is ReadNoteCode.TEXT_REPLACED:
            yield Hit("The text holds characters that cannot be encoded; they were replaced by "
                      "the replacement character (U+FFFD).", note.provenance,
                      hint="retype the entry in the template")


@rule("rows-capped", Severity.ERROR, Basis.INSTRUCTIONS, tags=("reading",))
def rows_capped(ctx: Context) -> Iterable[Hit]:
    """A list sheet has more filled rows than the reader reads.

    The rows after the cap are missing from the declaration. An error, not a warning: the
    template's formulas and Checker cover about 2,500 rows and the cap is four times that, so
    the file is not a completed template, and whatever the rows past the cap declare
    (smelters, mines, products) is absent from every check and consolidation of the file."""
    for note in ctx.decl.notes:
        if note.code is ReadNoteCode.ROWS_CAPPED:
            yield Hit(f"The {note.provenance.sheet} sheet has more than {note.kept or 0:,} "
                      f"filled rows; only the first {note.kept or 0:,} were read, none from "
                      f"row {(note.provenance.cell or '').lstrip('ABCDEFGHIJKLMNOPQRSTUVWXYZ')} "
                      "on.",
                      note.provenance,
                      hint="check the file: a list this long is not a completed RMI template; "
                      "split it, or remove rows that were filled by mistake")


@rule("template-structure-differs", Severity.ERROR, Basis.INSTRUCTIONS,
      tags=("template", "reading"))
def template_structure_differs(ctx: Context) -> Iterable[Hit]:
    """A sheet is not shaped as its template release is: values may be read from wrong cells.

    Every layout table names the few cells that prove it fits a workbook: a header in each
    column of a list sheet it reads and none after the last, the question labels of the
    Declaration, the Checker's total. A supplier who inserted or deleted a column or row, or
    a tool that re-saved a sheet otherwise, moves them; the values the reader takes from that
    sheet may then belong to other fields. An error: the template's instructions ask for the
    unmodified workbook, and nothing read from the sheet can be trusted as it stands."""
    for note in ctx.decl.notes:
        if note.code is ReadNoteCode.STRUCTURE_DIFFERS:
            sheet = note.provenance.sheet
            yield Hit(f"The {sheet} sheet is not laid out as in the {ctx.decl.template.kind.value}"
                      f" {ctx.decl.template.version} template: {note.detail}.",
                      note.provenance,
                      hint="ask the supplier to copy the answers into an unmodified copy of the "
                      "template (no columns or rows inserted or deleted) and send it again")
