"""The disclosure templates, rendered as EDGAR HTML or as Markdown.

Each document is one template in ``templates/`` written once for both forms: it lays out its
blocks (headings, paragraphs, tables, the company's slots) with the macros of ``_html.j2`` or
``_markdown.j2``, chosen by the environment it is rendered in.

In HTML every interpolated value passes through :func:`_edgar`: escaped, then every non-ASCII
character written as a numeric character entity, so that a company or smelter name can
neither become markup nor put a byte outside ASCII into an EDGAR filing. Markdown escapes table
cells (:func:`_md_cell`); a value can carry no line break into a heading or paragraph in
either form (:func:`_oneline`).
"""

from __future__ import annotations

import html
import re
from functools import cache
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from .._words import counted
from ..names import country_name
from .edgar import ascii_entities

__all__ = ["render_html", "render_markdown"]

Form = Literal["html", "markdown"]

_BREAKS = re.compile(r"[\r\n]+")


def _edgar(value: object) -> Markup:
    """A printed value as EDGAR takes it: escaped, ASCII, other characters as entities
    (markup the templates built themselves passes through)."""
    if isinstance(value, Markup):
        return value
    return Markup(ascii_entities(html.escape(str(value), quote=True)))


def _md_cell(value: object) -> str:
    """A value as one Markdown table cell: a ``|`` cannot end the cell, nor a line break the
    row."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _oneline(text: str) -> str:
    """Text as one line: line breaks (and the indentation around them) become one space."""
    # (split, then trimmed: a pattern with the spaces before a break would start again at
    # every space of a long run without one, and scan the run to its end each time)
    joined = " ".join(line.strip(" \t") for line in _BREAKS.split(text)).strip()
    return Markup(joined) if isinstance(text, Markup) else joined


def _thousands(value: float, places: int | None = None) -> str:
    """``1234.5`` as ``1,234.5`` (``places`` decimals, or as many as an integer has)."""
    return f"{value:,}" if places is None else f"{value:,.{places}f}"


def _country(code: str) -> str:
    """A declared country code by name; a declaration that names no country as such."""
    return country_name(code) or ("no country named" if code == "unresolved" else code)


def _percent(value: float | None) -> str:
    """A percentage as the tables print it; ``-`` for none."""
    return "-" if value is None else f"{value}%"


@cache
def _environment(form: Form) -> Environment:
    env = Environment(loader=PackageLoader("mineral_compliance", "disclosures/templates"),
                      autoescape=form == "html", undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      finalize=_edgar if form == "html" else None)
    env.globals["blocks"] = "_html.j2" if form == "html" else "_markdown.j2"
    env.globals["counted"] = counted
    env.filters["cell"] = _md_cell
    env.filters["oneline"] = _oneline
    env.filters["thousands"] = _thousands
    env.filters["percent"] = _percent
    env.filters["country"] = _country
    return env


def render_html(template: str, **context: object) -> str:
    """``template`` as an HTML document: one block a line."""
    text = _environment("html").get_template(template).render(**context)
    return re.sub(r"\n{2,}", "\n", text).lstrip("\n")


def render_markdown(template: str, **context: object) -> str:
    """``template`` as a Markdown document: blocks apart by one blank line."""
    text = _environment("markdown").get_template(template).render(**context)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"
