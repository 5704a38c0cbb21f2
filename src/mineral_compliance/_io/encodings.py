"""The encoding of an XML part, read once so every scanner after it sees UTF-8.

ECMA-376 Part 2 (Open Packaging Conventions, M1.17) lets the XML parts of a package be UTF-8
or UTF-16. The byte scanners of the readers look for ASCII markup in UTF-8, so a part in
UTF-16 (with a byte order mark, or starting ``<`` in either byte order) is decoded and
written again in UTF-8 first, its declaration then naming UTF-8.

A declaration naming another encoding breaks M1.17, but an XML parser reads such a part in
the encoding it names, and so does Excel; it is read that way here too, for the encodings
XML parsers know (ISO 8859, Windows code pages, the national encodings of East Asia), so that
the scanners and lxml never read one part two ways. Text is decoded by Python's codecs, which
read Shift_JIS's bytes 0x5C and 0x7E as Windows does (backslash and tilde, where libxml2 reads
yen and overline). Any other encoding name, a part whose
bytes are not in the encoding found, or one that grows past the caller's limit once written
in UTF-8 raises :class:`XmlEncodingError`.

A part in UTF-8 costs a look at its first few hundred bytes."""

from __future__ import annotations

import codecs
import re

__all__ = ["XmlEncodingError", "is_utf8_xml", "xml_as_utf8"]


class XmlEncodingError(ValueError):
    """A part whose encoding cannot be read, with the reason (``str(exc)``)."""


_DECLARATION = re.compile(rb"<\?xml[ \t\r\n][^<>]{0,400}?\?>")
"""An XML declaration (bounded: one longer than this is left to the parser to judge)."""
_ENCODING = re.compile(rb"""[ \t\r\n]encoding[ \t\r\n]*=[ \t\r\n]*(["'])([^"'<>]{0,64})\1""")
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16 = {b"\xff\xfe": ("utf-16-le", 2), b"\xfe\xff": ("utf-16-be", 2),
          b"<\x00": ("utf-16-le", 0), b"\x00<": ("utf-16-be", 0)}
"""How a part in UTF-16 starts: its byte order mark, or its first ``<`` in either order."""
_KNOWN = re.compile(r"utf-8|iso8859-\d{1,2}|ascii|cp125\d|cp874|koi8-[ru]|mac-roman"
                    r"|shift_jis|cp932|euc_jp|iso2022_jp|gb2312|gbk|gb18030|big5|big5hkscs"
                    r"|cp950|euc_kr|cp949|tis-620")
"""Canonical names (:func:`codecs.lookup`) of the 8-bit and East Asian encodings read as
declared: text encodings only (never ``unicode_escape``, ``rot13`` or a byte transform)."""


def _declared(data: bytes, start: int) -> tuple[re.Match[bytes], str] | None:
    """The encoding declared at ``start`` (its match and its canonical name, ``"?"`` for one
    unknown), or None when no encoding is declared there."""
    decl = _DECLARATION.match(data, start)
    if decl is None:
        return None
    found = _ENCODING.search(data, decl.start(), decl.end())
    if found is None:
        return None
    try:
        name = codecs.lookup(found.group(2).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        name = "?"
    return found, name


def is_utf8_xml(head: bytes) -> bool:
    """Whether a part that starts with ``head`` (its first few hundred bytes) is UTF-8 as it
    stands: not UTF-16, and declaring no other encoding."""
    if head[:2] in _UTF16:
        return False
    start = 3 if head.startswith(_UTF8_BOM) else 0
    declared = _declared(head, start)
    return declared is None or declared[1] == "utf-8"


def xml_as_utf8(data: bytes, limit: int) -> bytes:
    """``data`` itself when it is UTF-8 XML, else its text written in UTF-8, its declaration
    naming UTF-8; :class:`XmlEncodingError` when that cannot be done within ``limit`` bytes."""
    utf16 = _UTF16.get(data[:2])
    if utf16 is not None:
        codec, skip = utf16
        body = memoryview(data)[skip:]
    else:
        start = 3 if data.startswith(_UTF8_BOM) else 0
        declared = _declared(data, start)
        if declared is None or declared[1] == "utf-8":
            return data
        found, codec = declared
        label = found.group(2).decode("ascii", "replace")
        if codec.startswith("utf-16"):
            raise XmlEncodingError(f"it declares the encoding {label!r} but its bytes are not "
                                   "UTF-16 (no byte order mark, no '<' in two bytes)")
        if _KNOWN.fullmatch(codec) is None:
            raise XmlEncodingError(
                f"it declares the encoding {label!r}, which is not one an XML part is read "
                "in (ECMA-376 Part 2 allows UTF-8 and UTF-16)")
        body = memoryview(data)[start:]
    try:
        text = str(body, codec)
    except UnicodeDecodeError as exc:
        raise XmlEncodingError(f"it is not valid {codec.upper()} ({exc.reason} at byte "
                               f"{exc.start + len(data) - len(body)})") from exc
    if len(text) > limit:  # (before writing it: UTF-8 takes at least a byte per character)
        raise XmlEncodingError(f"it holds more than {limit:,} characters")
    out = text.encode("utf-8")  # (a strict decoding leaves no lone surrogate)
    declared = _declared(out, 0)
    if declared is not None:  # name the encoding it is now in (the declaration is ASCII)
        found = declared[0]
        out = out[:found.start(2)] + b"UTF-8" + out[found.end(2):]
    if len(out) > limit:
        raise XmlEncodingError(f"it takes more than {limit:,} bytes once written in UTF-8")
    return out
