"""What the company declares onwards: its own template filled from a consolidation, and the
part of a consolidation that concerns some products."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..models.consolidation import Consolidation, ProductSmelters
from ..models.declaration import Declaration
from ..models.declaration import QuestionAnswer as QuestionAnswerModel
from ..models.declaration import SmelterRow as SmelterRowModel
from ..models.values import Origin, Provenance, Status, TextValue
from ..names import metal_key
from ..templates import layout_named, read_template
from .smelters import group_mines

__all__ = ["company_declaration", "product_subset"]


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


def _blank_answer(key: str, where: Provenance, choices: tuple[str, ...]) -> QuestionAnswerModel:
    return QuestionAnswerModel(question=key, answer=TextValue(provenance=where),
                               comment=TextValue(provenance=where), choices=choices)


def product_subset(result: Consolidation, numbers: Iterable[str]) -> Consolidation:
    """The part of a consolidation that concerns some products: the product-scope (B)
    declarations listing one of ``numbers`` (as the supplier's product number or the
    requester's), their smelters (with the mines those declarations name), rejected rows and
    mines. The row invariant holds for the subset. The answer roll-up is not carried over:
    it speaks for every consolidated supplier, not for these products."""
    wanted = {n.strip().casefold() for n in numbers if n.strip()}

    def hit(p: ProductSmelters) -> bool:
        return any((v or "").strip().casefold() in wanted
                   for v in (p.product_number, p.requester_number))

    files = {p.file for p in result.products if hit(p)}
    smelters = []
    for s in result.smelters:
        sources = tuple(x for x in s.sources if x.file in files)
        if sources:
            mines = tuple(group_mines(x for m in s.mines for x in m.sources if x.file in files))
            smelters.append(s.model_copy(update={
                "sources": sources, "suppliers": tuple(sorted({x.supplier for x in sources})),
                "mines": mines}))
    rejected = tuple(r for r in result.rejected if r.source.file in files)
    kept = tuple(f for f in result.files if f.file in files)
    return result.model_copy(update={
        "files": kept, "families": tuple(sorted({f.kind for f in kept if f.kind})),
        "answers": (), "mines": tuple(m for m in result.mines if m.file in files),
        "smelters": tuple(smelters), "rejected": rejected,
        "products": tuple(p for p in result.products if hit(p)),
        "rows_read": sum(len(s.sources) for s in smelters) + len(rejected)})
