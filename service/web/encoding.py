"""A fetched page's bytes as text, decoded as a browser would.

trafilatura, given bytes, ignores what the page declares: it tries UTF-8, then guesses,
and on short pages guesses wrong (a Latin-1 headline read as Windows-1250: "Café ŕ
Zürich"). Browsers follow the declaration, and read "iso-8859-1" as Windows-1252,
whose curly quotes, dashes and euro sign a Latin-1 decoder drops ("Were proud",
"at a cost of 12 million"). w3lib (Scrapy's) implements the browsers' rules.
"""

from __future__ import annotations

import re

import charset_normalizer
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    to_unicode,
)

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def page_text(body: bytes, content_type: str = "") -> str:
    """`body` decoded: a byte-order mark; else valid UTF-8 as UTF-8, whatever the page
    says (a mislabelled UTF-8 page is far more common than Latin-1 that happens to be valid
    UTF-8); else the encoding the Content-Type header or the page declares, with the
    browsers' aliases; else a guess from the bytes (`_guessed`)."""
    encoding, mark = read_bom(body)
    if encoding is not None and mark is not None:
        return _without_xml_declaration(to_unicode(body[len(mark) :], encoding))
    try:
        return _without_xml_declaration(body.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    declared = http_content_type_encoding(content_type) or html_body_declared_encoding(body)
    if declared is not None and declared != "utf-8":  # a UTF-8 label was just proved wrong
        return _without_xml_declaration(to_unicode(body, declared))
    return _without_xml_declaration(to_unicode(body, _guessed(body)))


def _guessed(body: bytes) -> str:
    """The likeliest encoding of undeclared bytes. Where Windows-1252 fits as well as the
    best guess, it wins: it is the web's default, and on a page of German or French the
    detector scores Windows-1250 and -1257 the same, and lists one of them first."""
    matches = charset_normalizer.from_bytes(body)
    best = matches.best()
    if best is None:
        return "cp1252"
    tied = (m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence))
    return "cp1252" if any(m.encoding == "cp1252" for m in tied) else best.encoding


def _without_xml_declaration(text: str) -> str:
    """An XHTML page's `<?xml ... encoding=...?>` is dropped: the text is decoded already,
    and lxml refuses (or re-decodes) a string that still declares an encoding."""
    return _XML_DECLARATION.sub("", text, count=1)
