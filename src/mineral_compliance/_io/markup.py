"""Names of parsed XML elements, safe for every node lxml hands back."""

from __future__ import annotations

from lxml import etree


def local_name(el: etree._Element) -> str:
    """An element's name without its namespace.

    ``""`` for a comment, a processing instruction or an entity (their tag is a function, and
    ``etree.QName`` refuses them with a ``ValueError``); the whole written name for a prefix
    that no declaration binds, which lxml's incremental parser hands back as the tag (``x:c``)
    before it reports the error: it matches none of the names a reader looks for."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag[tag.find("}") + 1:]
