"""What EDGAR accepts in an HTML document, checked.

EDGAR takes a subset of HTML 3.2: a fixed set of tags, no active content (scripts, applets,
forms, frames, event attributes), no reference outside the submission except links into the
SEC's own archive, graphics only as .jpg or .gif files of the submission, and ASCII text
(other characters as character entities). :func:`edgar_problems` lists every breach of those
rules in a document; an empty list means the document passes.
"""

from __future__ import annotations

import re

from lxml import etree, html

__all__ = ["ALLOWED_TAGS", "ascii_entities", "edgar_problems"]

ALLOWED_TAGS = frozenset({
    "a", "address", "b", "big", "blockquote", "body", "br", "caption", "center", "cite",
    "code", "dd", "dfn", "dir", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5",
    "h6", "head", "hr", "html", "i", "img", "kbd", "li", "menu", "ol", "p", "pre", "samp",
    "small", "strike", "strong", "sub", "sup", "table", "td", "th", "title", "tr", "tt", "u",
    "ul", "var",
})
_SEC_ARCHIVE = re.compile(r"^https?://www\.sec\.gov/Archives/edgar/data/", re.I)
_LOCAL_GRAPHIC = re.compile(r"^[a-z0-9][a-z0-9._-]{0,27}\.(jpg|gif)$")


def ascii_entities(text: str) -> str:
    """Text with every non-ASCII character written as a numeric character entity."""
    return "".join(ch if ord(ch) < 128 else f"&#{ord(ch)};" for ch in text)


def edgar_problems(document: str | bytes) -> list[str]:
    """Every reason EDGAR would refuse this HTML document."""
    data = document.encode("utf-8") if isinstance(document, str) else document
    problems = []
    try:
        data.decode("ascii")
    except UnicodeDecodeError as exc:
        problems.append(f"non-ASCII byte at offset {exc.start}; write it as an entity")
    try:
        root = html.document_fromstring(data)
    except (etree.ParserError, ValueError) as exc:
        return [*problems, f"not parseable as HTML ({exc})"]
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue  # comments and processing instructions
        tag = el.tag.lower()
        if tag not in ALLOWED_TAGS:
            problems.append(f"<{tag}> is not an EDGAR tag")
        for raw_name, raw_value in el.attrib.items():
            name, value = str(raw_name), str(raw_value)
            lowered = name.lower()
            if lowered.startswith("on"):
                problems.append(f"<{tag} {name}>: event attributes are active content")
            if lowered == "href" and not (value.startswith("#") or _SEC_ARCHIVE.match(value)):
                problems.append(f"<a href={value!r}> leaves the submission")
            if lowered == "src" and not _LOCAL_GRAPHIC.match(value):
                problems.append(f"<{tag} src={value!r}> is not a .jpg or .gif of the "
                                "submission")
            if "javascript:" in value.lower() or "url(" in value.lower():
                problems.append(f"<{tag} {name}>: scripts and external resources are not "
                                "allowed")
    return problems
