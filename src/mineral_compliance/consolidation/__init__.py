"""Many supplier templates in, the company's own view out.

Rules, in the order they apply:

* **Inputs.** Files, folders (searched recursively), glob patterns and zip archives (their
  .xlsx members). Every input is accounted for: read, unreadable (with the reason) or
  superseded.
* **Suppliers.** A supplier is known by its unique ID when the template gives one, else by its
  company name normalised (case, accents, punctuation and legal forms set aside). When one
  supplier sent several files of one template family, the one with the latest effective date
  is consolidated (ties: the later template version, then the file name) and the others are
  listed as superseded by it.
* **Smelters.** Each Smelter List row is resolved (:class:`~.refdata.SmelterMatcher`) against
  the reference list of its family (the newest template of that family among the inputs, or
  one given). Rows are merged by smelter ID, or, for rows the reference does not resolve, by
  metal, normalised name and country; such smelters are marked ``needs_review``. The name and
  country shown are the reference's; for unresolved smelters, the spelling most rows use (ties:
  the first file in path order). Placeholder rows, rows with nothing to resolve, rows whose ID
  belongs to another metal and conflicting rows are rejected with the reason.
* **Nothing lost.** Every row read appears once, in a smelter's sources or among the rejected
  rows; :func:`consolidate` checks this on every run and raises if it does not hold.
* **Answers.** Per family, mineral and question, from the consolidated suppliers that use the
  mineral (question 1 "Yes"): "used" questions are "Yes" if any supplier says so or lists a
  smelter of the mineral (whatever it answered), and when question 1 rolls up to "No" the
  questions after the "used" ones are left blank; covered
  countries and CAHRA sourcing are "Yes" if any supplier says so or any consolidated smelter
  of the metal is flagged, else "Unknown" if any answer is not "No", else "No"; 100 %
  recycled, all smelters identified and all information reported are "Yes" only when every
  supplier says so; the response rate comes from the supplier roster when one is given
  (suppliers on the roster, by unique ID or normalised name, with a consolidated file, over
  the roster), otherwise it is left to the user.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .._io import FileRefusedError, read_capped
from ..inputs import collect_inputs
from ..models.consolidation import (
    Comparison,
    ConsolidatedSmelter,
    Consolidation,
    FileStatus,
    ProductSmelters,
    SmelterChange,
)
from ..models.declaration import Declaration
from ..models.declaration import QuestionAnswer as QuestionAnswerModel
from ..models.declaration import SmelterRow as SmelterRowModel
from ..names import metal_key
from ..templates import layout_named, read_template
from .build import consolidate
from .smelters import unresolved_key

__all__ = [
    "collect_inputs",
    "company_declaration",
    "compare",
    "consolidate",
    "load_consolidation",
    "product_subset",
]

MAX_CONSOLIDATION_BYTES = 2 * 1024**3
"""The largest ``consolidation.json`` read back (about 200,000 supplier files' worth)."""


def load_consolidation(path: str | Path) -> Consolidation:
    """A consolidation written by :func:`~.outputs.write_consolidation` (its folder or its
    ``consolidation.json``)."""
    import json

    from ..errors import ReferenceDataError

    target = Path(path)
    if target.is_dir():
        target = target / "consolidation.json"
    try:
        data = json.loads(read_capped(target, MAX_CONSOLIDATION_BYTES).decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("the file holds no consolidation object")
        data.pop("summary", None)
        return Consolidation.model_validate(data)
    except (FileRefusedError, ValueError, RecursionError) as exc:
        # ValueError covers bad UTF-8, bad JSON and pydantic's validation errors
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ReferenceDataError(f"no readable consolidation here ({reason})", path=target,
                                 hint="point at the output folder of an earlier run") from exc


def compare(previous: Consolidation, current: Consolidation) -> Comparison:
    """Smelters added, removed or whose status changed, and suppliers new or missing.

    A smelter known by name only in one run and resolved to an ID in the other (a newer
    reference list, a supplier adding the ID) is the same smelter, listed once as
    ``identified`` (or ``unidentified`` the other way round), not as removed and added."""
    before = {s.key: s for s in previous.smelters}
    after = {s.key: s for s in current.smelters}
    added, removed = after.keys() - before.keys(), before.keys() - after.keys()
    identified = _spelled_by(added, removed, after)  # new ID key -> last run's name key
    removed -= set(identified.values())
    added -= identified.keys()
    unidentified = _spelled_by(removed, added, before)  # last run's ID key -> new name key
    added -= set(unidentified.values())
    removed -= unidentified.keys()
    pairs = [(was, k, "identified") for k, was in identified.items()]
    pairs += [(k, now, "unidentified") for k, now in unidentified.items()]
    changes = [SmelterChange(key=k, metal=after[k].metal, name=after[k].name, change="added",
                             after=after[k].status.value)
               for k in sorted(added)]
    changes += [SmelterChange(key=k, metal=before[k].metal, name=before[k].name,
                              change="removed", before=before[k].status.value)
                for k in sorted(removed)]
    changes += [SmelterChange(key=k, previous_key=was, metal=after[k].metal,
                              name=after[k].name, change=change,
                              before=before[was].status.value, after=after[k].status.value)
                for was, k, change in sorted(pairs, key=lambda p: p[1])]
    changes += [SmelterChange(key=k, metal=after[k].metal, name=after[k].name,
                              change="status-changed", before=before[k].status.value,
                              after=after[k].status.value)
                for k in sorted(before.keys() & after.keys())
                if before[k].status is not after[k].status]

    def suppliers(c: Consolidation) -> set[str]:
        return {f.supplier for f in c.files
                if f.supplier and f.status is not FileStatus.UNREADABLE}

    old, new = suppliers(previous), suppliers(current)
    return Comparison(smelters=tuple(changes), suppliers_new=tuple(sorted(new - old)),
                      suppliers_missing=tuple(sorted(old - new)))


def _spelled_by(keys: Iterable[str], pool: set[str],
                smelters: dict[str, ConsolidatedSmelter]) -> dict[str, str]:
    """Each ID key among ``keys`` -> the name-only key in ``pool`` that one of its rows spells
    (metal, normalised name and country alike), each name-only key paired at most once."""
    found: dict[str, str] = {}
    for k in sorted(keys):
        if k.startswith("name:"):
            continue
        spelled = {unresolved_key(src.metal or smelters[k].metal, src.name, src.country)
                   for src in smelters[k].sources}
        match = min((n for n in pool & spelled if n and n not in found.values()
                     and n.startswith("name:")), default=None)
        if match is not None:
            found[k] = match
    return found


def company_declaration(
    result: Consolidation,
    *,
    template: str | Path,
    company: dict[str, str] | None = None,
) -> Declaration:
    """The company's own declaration for the family of ``template`` (a blank RMI workbook):
    the rolled-up answers, and every consolidated smelter of the family's minerals (resolved
    ones by their look-up name, the others as "Smelter not listed" with name and country).
    ``company`` fills the company block (field name -> text, e.g. ``{"name": ...}``); the
    rest is left for the company to complete in the workbook."""
    from ..models.values import Origin, Provenance, Status, TextValue

    blank = read_template(template)
    layout = layout_named(blank.template.layout)
    family = blank.template.kind.value

    def text(value: str | None, where: Provenance) -> TextValue:
        if not value:
            return TextValue(provenance=where)
        return TextValue(value=value, raw=value, origin=Origin.INPUT, status=Status.OK,
                         provenance=where)

    rollup = {(a.mineral, a.question): a.answer for a in result.answers if a.family == family}
    in_family = {m for m, _ in rollup}
    minerals = blank.minerals if layout.minerals.fixed else tuple(
        sorted(in_family, key=lambda n: (n.casefold(), n))[:len(layout.minerals.selector_cells)])
    answers = {}
    for mineral in minerals:
        qas = {}
        for q in layout.questions:
            old = blank.answers.get(mineral, {}).get(q.key)
            slot = minerals.index(mineral)
            where = Provenance(file=blank.file, sheet=layout.declaration_sheet,
                               cell=f"{q.answer_col}{q.rows[slot]}")
            base = old or _blank_answer(q.key, where, q.choices_for(slot))
            qas[q.key] = base.model_copy(update={
                "answer": text(rollup.get((mineral, q.key)), where)})
        answers[mineral] = qas
    sheet = layout.smelter_list.sheet
    keys = {metal_key(m) for m in minerals}
    rows = []
    for i, s in enumerate(x for x in result.smelters if metal_key(x.metal) in keys):
        row = layout.smelter_list.first_row + i

        def at(col: str | None, row: int = row) -> Provenance:
            return Provenance(file=blank.file, sheet=sheet,
                              cell=f"{col}{row}" if col else None)

        cols = layout.smelter_list.columns
        resolved = s.smelter_id is not None and not s.needs_review
        fields = {f: TextValue(provenance=at(cols.get(f))) for f in (
            "smelter_id_input", "metal", "lookup_name", "name_input", "country", "smelter_id",
            "id_source", "street", "city", "state_province", "contact_name", "contact_email",
            "next_steps", "mine_names", "mine_countries", "recycled_scrap", "comments")}
        fields["metal"] = text(s.metal, at(cols["metal"]))
        if resolved and "smelter_id_input" in cols:
            fields["smelter_id_input"] = text(s.smelter_id, at(cols["smelter_id_input"]))
        if "lookup_name" in cols:
            fields["lookup_name"] = text(s.name if resolved else layout.not_listed,
                                         at(cols["lookup_name"]))
        if not resolved or "lookup_name" not in cols:
            fields["name_input"] = text(s.name, at(cols["name_input"]))
            fields["country"] = text(s.country, at(cols["country"]))
        rows.append(SmelterRowModel(row=row, **fields))
    updates: dict[str, object] = {
        "answers": answers, "smelters": tuple(rows), "products": (), "mines": ()}
    if not layout.minerals.fixed:
        cells = layout.minerals.selector_cells
        updates["minerals"] = minerals
        updates["minerals_selected"] = tuple(
            text(m, Provenance(file=blank.file, sheet=layout.declaration_sheet, cell=cells[i]))
            for i, m in enumerate(minerals))
    if company:
        values = {}
        for fld, value in company.items():
            ref = layout.company_cells.get(fld)
            if ref is None or fld == "effective_date":
                continue
            values[fld] = text(value, Provenance(file=blank.file,
                                                 sheet=layout.declaration_sheet, cell=ref))
        updates["company"] = blank.company.model_copy(update=values)
    return blank.model_copy(update=updates)


def _blank_answer(key: str, where: object, choices: tuple[str, ...]) -> QuestionAnswerModel:
    from ..models.values import Provenance, TextValue

    assert isinstance(where, Provenance)
    return QuestionAnswerModel(question=key, answer=TextValue(provenance=where),
                               comment=TextValue(provenance=where), choices=choices)


def product_subset(result: Consolidation, numbers: Iterable[str]) -> Consolidation:
    """The part of a consolidation that concerns some products: the product-scope (B)
    declarations listing one of ``numbers`` (as the supplier's product number or the
    requester's), their smelters, rejected rows and mines. The row invariant holds for the
    subset. The answer roll-up is not carried over: it speaks for every consolidated
    supplier, not for these products."""
    wanted = {n.strip().casefold() for n in numbers if n.strip()}

    def hit(p: ProductSmelters) -> bool:
        return any((v or "").strip().casefold() in wanted
                   for v in (p.product_number, p.requester_number))

    files = {p.file for p in result.products if hit(p)}
    smelters = []
    for s in result.smelters:
        sources = tuple(x for x in s.sources if x.file in files)
        if sources:
            smelters.append(s.model_copy(update={
                "sources": sources, "suppliers": tuple(sorted({x.supplier for x in sources}))}))
    rejected = tuple(r for r in result.rejected if r.source.file in files)
    kept = tuple(f for f in result.files if f.file in files)
    return result.model_copy(update={
        "files": kept, "families": tuple(sorted({f.kind for f in kept if f.kind})),
        "answers": (), "mines": tuple(m for m in result.mines if m.file in files),
        "smelters": tuple(smelters), "rejected": rejected,
        "products": tuple(p for p in result.products if hit(p)),
        "rows_read": sum(len(s.sources) for s in smelters) + len(rejected)})
