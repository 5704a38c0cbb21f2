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
* **Smelters.** Each Smelter List row is resolved
  (:class:`~mineral_compliance.refdata.SmelterMatcher`) against the reference list of its
  family (the newest template of that family among the inputs, or one given). Rows are
  merged by smelter ID, or, for rows the reference does not resolve, by metal, normalised name
  and country; such smelters are marked ``needs_review``. The name and country shown are the
  reference's; for unresolved smelters, the spelling most rows use (ties: the first file in
  path order). Placeholder rows, rows with nothing to resolve, rows whose ID
  belongs to another metal and conflicting rows are rejected with the reason.
* **Declared mines.** The mine name and country of a Smelter List row (CMRT columns N and O;
  a smelter repeated on one row per mine declares several) and each Mine List row naming a
  smelter of its file's Smelter List are the mines of the smelter that row merged into: one
  per mine name key and country (ISO code where it names one), every declaration kept with
  its cell and the row's comment. Recycled or scrap entries are not mines.
* **Statuses.** Each resolved row is read against the status lists as of ``as_of`` (default:
  31 December of last year): a smelter whose conformance ran out before it is not conformant
  and its row gets ``status-expired`` in its file's findings (``status-expiring`` when it runs
  out before the following 31 May); with lists of several dates each smelter keeps its
  history across them.
* **Nothing lost.** Every row read appears once, in a smelter's sources or among the rejected
  rows, and every mine declared for a consolidated smelter among its mines;
  :func:`consolidate` checks this on every run and raises if it does not hold.
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

One module per job: :mod:`.loading` (the worker side), :mod:`.suppliers`, :mod:`.smelters`,
:mod:`.references` (what each family is resolved against), :mod:`.rollup`, :mod:`.build`
(:func:`consolidate`), :mod:`.spool` (each file's rows on disk until they are resolved),
:mod:`.comparison`, :mod:`.declaration` (the company's own template,
product subsets), :mod:`.rescreen` (a stored consolidation against another CAHRA list) and
:mod:`.store` (``consolidation.json``).
"""

from __future__ import annotations

from ..inputs import collect_inputs
from .build import consolidate
from .comparison import compare
from .declaration import company_declaration, product_subset
from .rescreen import rescreen
from .store import MAX_CONSOLIDATION_BYTES, load_consolidation

__all__ = [
    "MAX_CONSOLIDATION_BYTES",
    "collect_inputs",
    "company_declaration",
    "compare",
    "consolidate",
    "load_consolidation",
    "product_subset",
    "rescreen",
]

