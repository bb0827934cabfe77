"""Text given as HTML where plain text was expected, read as plain text.

Exports and CMS fields often carry a story's body as HTML (`<p>...</p>`, `&amp;`),
and a summary quoting it would carry `<script>` into any page that shows it. Text
that is markup, with closing block tags (`</p>`, `</div>`) or line breaks (`<br>`),
is parsed (lxml, as trafilatura does for pages): script, style and other non-text
elements are dropped, block elements end their line, entities are decoded. Text that
only mentions a tag ("planted a <script> tag", "write to <b.smith@example.com>") is
text, with only its paired inline tags ("<i>Hamlet</i>") taken out: parsed, an
unclosed `<script>` had swallowed the rest of the article. Entities are decoded only
when closed by ";" ("?a=1&copy=2" stays). Plain text ("a < b", "R&D") is unchanged.
"""

from __future__ import annotations

import html
import re

from lxml import html as lxml_html
from lxml.etree import ParserError

# markup, not a mention of a tag: a block element's tag (opening with its ">", or
# closing), an image, a rule or a line break
_MARKUP = re.compile(
    r"</?(?:p|div|ul|ol|li|h[1-6]|table|tr|td|th|tbody|blockquote|figure|figcaption"
    r"|section|article|header|footer|aside|main|html|body|pre|dl|dt|dd)(?:\s[^<>]*)?>"
    r"|<(?:br|hr|img)\b[^<>]*>",
    re.IGNORECASE,
)
# an inline element's tags ("<i>", "</i>"): taken out where they pair up, in one pass
_INLINE_TAG = re.compile(
    r"<(/?)(b|i|u|em|strong|span|a|small|sup|sub|font|cite|q|abbr|mark|time|code)"
    r"(?:\s[^<>]*)?>",
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


def without_markup(text: str) -> str:
    """`text` as plain text: HTML read as a browser would show it, entities decoded."""
    if not _MARKUP.search(text):
        return _decoded(_without_inline_tags(text))
    try:
        root = lxml_html.fragment_fromstring(_unmatched_as_text(text), create_parent="div")
    except (ParserError, ValueError):
        return _decoded(text)
    for element in root.xpath("|".join(f"//{tag}" for tag in _NOT_TEXT)):
        element.drop_tree()
    for element in root.iter("*"):
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
            if element.tag.lower() != "br":
                element.text = "\n" + (element.text or "")
    lines = (" ".join(line.split()) for line in root.text_content().split("\n"))
    return "\n".join(lines).strip()


def _without_inline_tags(text: str) -> str:
    """Inline tags out where each kind opens and closes as often ("<b><i>x</i></b>" ->
    "x"); a kind that does not pair up is left as written (a mention, not markup)."""
    tags = list(_INLINE_TAG.finditer(text))
    if not tags:
        return text
    balance: dict[str, int] = {}
    for tag in tags:
        name = tag.group(2).lower()
        balance[name] = balance.get(name, 0) + (-1 if tag.group(1) else 1)
    paired = {name for name, left in balance.items() if left == 0}
    return _INLINE_TAG.sub(lambda m: "" if m.group(2).lower() in paired else m.group(), text)


def _decoded(text: str) -> str:
    """Entities closed by ";" decoded; "&copy=2" in a link's query is no entity."""
    if "&" not in text:
        return text
    return _ENTITY.sub(lambda m: html.unescape(m.group()), text)


def _unmatched_as_text(text: str) -> str:
    """Script, style and other non-text tags without their other half are escaped, so the
    parser shows them as text: an unclosed `<script>` mentioned in a story would otherwise
    take the rest of the story with it. An opening tag pairs with the next closing one
    before another opening: a story's real `<script>...</script>` is still dropped when
    the story also mentions "<script> tags" (every one had been escaped, and the script's
    code kept as the story's text)."""
    unpaired: list[int] = []  # where each tag without its other half starts
    for tag in _NOT_TEXT:
        opened: int | None = None
        for match in re.finditer(rf"<{tag}\b|</{tag}\s*>", text, re.IGNORECASE):
            if match.group().startswith("</"):
                if opened is None:
                    unpaired.append(match.start())
                opened = None
            else:
                if opened is not None:
                    unpaired.append(opened)
                opened = match.start()
        if opened is not None:
            unpaired.append(opened)
    for start in sorted(unpaired, reverse=True):
        text = f"{text[:start]}&lt;{text[start + 1 :]}"
    return text
