"""Bounded, safe input and output primitives shared by every layer.

* :mod:`.files`: only regular files are opened, every byte source is capped while it is read
  (never read whole and measured afterwards), zip members are inflated through a cap.
* :mod:`.encodings`: an XML part in UTF-16, or declaring another encoding, written in UTF-8
  for the byte scanners.
* :mod:`.text`: text that any output format can carry (lone surrogates replaced), and the
  length cap applied to text carried from inputs into outputs.

Nothing here knows about templates, smelters or reports; the callers choose the error type so
that a refused file is reported in the words of what it was meant to be.
"""

from .encodings import XmlEncodingError, is_utf8_xml, xml_as_utf8
from .files import (
    ZIP_ERRORS,
    FileRefusedError,
    NotARegularFileError,
    TooLargeError,
    inflate_pieces,
    read_capped,
    read_member,
    regular_file,
    stored_body,
    zip_directory,
)
from .text import MAX_TEXT_CHARS, cap_text, has_lone_surrogate, scrub

__all__ = [
    "MAX_TEXT_CHARS",
    "ZIP_ERRORS",
    "FileRefusedError",
    "NotARegularFileError",
    "TooLargeError",
    "XmlEncodingError",
    "cap_text",
    "has_lone_surrogate",
    "inflate_pieces",
    "is_utf8_xml",
    "read_capped",
    "read_member",
    "regular_file",
    "scrub",
    "stored_body",
    "xml_as_utf8",
    "zip_directory",
]
