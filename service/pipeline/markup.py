"""Text given as HTML where plain text was expected, read as plain text.

Exports and CMS fields often carry a story's body as HTML (`<p>...</p>`, `&amp;`),
and a summary quoting it would carry `<script>` into any page that shows it. Text
with HTML tags is parsed (lxml, as trafilatura does for pages): script, style and
other non-text elements are dropped, block elements end their line, entities are
decoded. Text with no tags but with entities (`AT&amp;T`, `&#39;`) is only decoded.
Plain text ("a < b", "R&D") passes unchanged.
"""

from __future__ import annotations

import html
import re

from lxml import html as lxml_html
from lxml.etree import ParserError

_TAG = re.compile(
    r"<(?:!--|/?(?:p|div|br|span|a|b|i|u|em|strong|h[1-6]|ul|ol|li|table|tr|td|th|tbody"
    r"|blockquote|figure|figcaption|img|section|article|header|footer|nav|aside|main"
    r"|script|style|iframe|noscript|html|body|head|meta|link|sup|sub|small|font|center"
    r"|hr|pre|code|dl|dt|dd|time|picture|source|video|audio|svg|button|form|input)\b)",
    re.IGNORECASE,
)
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_NOT_TEXT = (
    "script", "style", "noscript", "template", "iframe", "svg", "button", "form", "head",
)  # fmt: skip
_BLOCKS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 blockquote figure figcaption section article "
    "header footer aside main table tr pre hr dl dt dd".split()
)


def has_markup(text: str) -> bool:
    """True when `text` holds HTML tags or entities."""
    return bool(_TAG.search(text) or _ENTITY.search(text))


def without_markup(text: str) -> str:
    """`text` as plain text: HTML read as a browser would show it, entities decoded."""
    if not _TAG.search(text):
        return html.unescape(text) if _ENTITY.search(text) else text
    try:
        root = lxml_html.fragment_fromstring(text, create_parent="div")
    except (ParserError, ValueError):
        return html.unescape(text)
    for element in root.xpath("|".join(f"//{tag}" for tag in _NOT_TEXT)):
        element.drop_tree()
    for element in root.iter("*"):
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
            if element.tag.lower() != "br":
                element.text = "\n" + (element.text or "")
    lines = (" ".join(line.split()) for line in root.text_content().split("\n"))
    return "\n".join(lines).strip()
