"""Extract: a fetched HTML page (or a feed entry's full text) in, an `Article` out.

trafilatura finds the main text (navigation, ads, cookie banners, comments and
"related" boxes left out) and the metadata: title, outlet (site name), author,
publication date (timezone-aware when the page gives its UTC offset); the
language comes from the page's `lang` attribute. The Article is built by
ingest's `record_to_article`, so web articles are cleaned exactly like file
ones. Pages with fewer than MIN_WORDS words of main text fail with
'no_article_text' rather than becoming a junk article.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import htmldate
import trafilatura
from trafilatura import load_html

from service.errors import IngestError
from service.models import Article
from service.pipeline.clean import clean_text
from service.pipeline.ingest import record_to_article
from service.pipeline.sentences import word_count
from service.redact import without_credentials
from service.web.encoding import page_text
from service.web.failures import FetchFailure
from service.web.page import Page

MIN_WORDS = 40
"""Less main text than this is a login wall, an index page or a video page, not an article."""
FRONT_PAGE_LINK_SHARE = 0.5
"""A page that calls itself a website (og:type), not an article, and whose text is mostly
link text is a front or section page of teasers: summarizing it mixes many stories."""

TEASER_COUNT = 5
TEASER_WORDS = 80
"""TEASER_COUNT linked <article> blocks of under TEASER_WORDS words each are a list of teasers."""

_DATE_PARAMS = {
    "extensive_search": True,
    "original_date": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",  # %z: the offset the page gave (empty if none)
}


def article_id(url: str) -> str:
    """A stable id for the article at `url`, so re-runs cite the same ids."""
    return "web-" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]


def page_to_article(page: Page) -> Article:
    """The article in an HTML page; FetchFailure('no_article_text') when there is none."""
    tree = load_html(page_text(page.body, page.content_type))
    if tree is None:
        raise FetchFailure("no_article_text", "the page could not be parsed as HTML")
    language = (tree.get("lang") or "").strip().lower() or None
    document = trafilatura.bare_extraction(
        tree,
        url=without_credentials(page.url),  # it names the outlet by the host when nothing else
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        date_extraction_params=_DATE_PARAMS,
    )
    text = getattr(document, "text", None) or ""
    pagetype = (getattr(document, "pagetype", None) or "").strip().lower()
    if _is_front_page(tree, pagetype) or _is_teaser_list(tree, text, pagetype, page.url):
        raise FetchFailure(
            "not_an_article",
            "the page is a front or section page of links to stories, not one story; "
            "give the links of the stories themselves, or the site's feed",
        )
    title = (getattr(document, "title", None) or "").strip()
    if _says_not_found(title, tree):
        raise FetchFailure(
            "no_article_text",
            "the page says it was not found (the site answered as if it were a page); the "
            "link may be old or mistyped",
        )
    if _is_consent_wall(text):
        raise FetchFailure(
            "no_article_text",
            "the page is a cookie-consent wall in front of the story, which cannot be read "
            "without a browser; give the text, or the site's feed",
        )
    if title and text.startswith(title):  # the headline is the title, not the first sentence
        text = text[len(title) :].lstrip()
    # counted after the product's cleaning (a paywall or consent notice is not article
    # text), in words of any script (Chinese and Japanese are written without spaces)
    if word_count(clean_text(text)) < MIN_WORDS:
        raise FetchFailure(
            "no_article_text",
            "no article text found on the page (it may be an index, a login wall or a video)",
        )
    return _build(
        {
            "title": title,
            "text": text,
            "source": getattr(document, "sitename", None),
            "published_at": _published(getattr(document, "date", None), tree, page.url),
            "language": language,
        },
        page.url,
    )


# A page that answers 200 but says the story is not there ("soft 404"), and a consent
# wall in front of the story: each had become a story of its own, with no summary.
# the notice's own phrases, anywhere in the title or main heading; or a title that is
# "404" / "Not found" and little else ("404 migrants rescued", "Not found guilty: jury
# clears officer" are news)
_NOT_FOUND = re.compile(
    r"\bpage\s+not\s+found\b|\b404\s*(?:error|[-|:–—]?\s*(?:page\s+)?not\s+found)\b"
    r"|\berror\s*404\b|\bcould(?:n['’]t|\s+not)\s+find\s+(?:that|this|the)\s+page\b"
    r"|\bpage\s+(?:you\s+(?:requested|were\s+looking\s+for)\s+)?(?:does\s+not|doesn['’]t|"
    r"could\s+not\s+be|cannot\s+be)\s+(?:exist|found)\b"
    r"|^\W*(?:404|not\s+found)\W*(?:[|–—-]\s*[^|–—-]{0,60})?$",
    re.IGNORECASE,
)
_CONSENT_WORDS = re.compile(
    r"\b(?:cookies?|consent(?:ing)?|partners|personal\s+data|privacy\s+(?:policy|settings)|"
    r"preferences|personalised\s+advertising|personalized\s+advertising)\b",
    re.IGNORECASE,
)


def _says_not_found(title: str, tree: Any) -> bool:
    """The page's title or main heading says it was not found."""
    heading = tree.find(".//h1")
    shown = heading.text_content() if heading is not None else ""
    return any(_NOT_FOUND.search(line or "") for line in (title, shown))


def _is_consent_wall(text: str) -> bool:
    """Text that is mostly about cookies, partners and consent: one in every 12 words or
    more is such a word (a story about a privacy law mentions them far less densely)."""
    words = len(text.split())
    return words > 0 and len(_CONSENT_WORDS.findall(text)) * 12 >= words


def _published(found: str | None, tree: Any, url: str) -> str | None:
    """The page's date, but not a year alone. Finding nothing better, htmldate's wide
    search falls back to January 1 of the footer's "Copyright 2025": a made-up date that
    moved the page's citations (articles days apart do not back each other's claims).
    Such a date is searched again without the wide search (metadata, the URL, <time>)."""
    if not found or not found.endswith("-01-01T00:00:00"):
        return found
    params = {**_DATE_PARAMS, "extensive_search": False}
    return htmldate.find_date(tree, url=url, **params)


def _is_front_page(tree: Any, pagetype: str) -> bool:
    """og:type 'website' and over FRONT_PAGE_LINK_SHARE of the body's text inside links.

    Both are needed: an article page carries menus and "related" lists of links too,
    and many pages give no og:type at all (those are read as articles, as before).
    """
    if pagetype != "website":
        return False
    body = tree.find(".//body")
    if body is None:
        return False
    total = len("".join(body.text_content().split()))
    linked = sum(len("".join(a.text_content().split())) for a in body.iter("a"))
    return total > 0 and linked / total > FRONT_PAGE_LINK_SHARE


def _is_teaser_list(tree: Any, text: str, pagetype: str, url: str) -> bool:
    """A section page that does not say what it is: most of the text found is inside
    TEASER_COUNT or more short <article> blocks linking elsewhere ("Story 3: ... Read more").
    An article page with cards of related stories keeps its own text outside them, and a
    live blog (short updates, each with a link to itself) says it is an article."""
    if pagetype and pagetype != "website":
        return False
    teasers = [
        " ".join(a.text_content().split())
        for a in tree.iter("article")
        if _links_elsewhere(a, url) and len(a.text_content().split()) < TEASER_WORDS
    ]
    if len(teasers) < TEASER_COUNT:
        return False
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    within = sum(len(line) for line in lines if any(line in teaser for teaser in teasers))
    return within > 0.5 * sum(len(line) for line in lines)


def _links_elsewhere(block: Any, url: str) -> bool:
    """Has a link to another page, not to a place on this one ("#update-3"). Another query
    is another page: sites list their stories as "/news.php?id=3" or "/?p=3"."""
    here = urlsplit(url)
    for link in block.iter("a"):
        target = urlsplit(urljoin(url, link.get("href") or ""))
        if (target.netloc, target.path.rstrip("/"), target.query) != (
            here.netloc,
            here.path.rstrip("/"),
            here.query,
        ):
            return True
    return False


def fragment_text(html: str) -> str:
    """Plain text of an HTML fragment (a feed entry's content), paragraphs kept apart."""
    tree = load_html(f"<html><body>{html}</body></html>")
    if tree is None:
        return ""
    blocks = tree.xpath("//p|//li|//h1|//h2|//h3|//blockquote")
    if not blocks:
        return " ".join(tree.text_content().split())
    return "\n\n".join(" ".join(b.text_content().split()) for b in blocks if b.text_content())


def text_to_article(
    text: str, *, url: str, key: str, title: str, source: str | None, published: Any
) -> Article:
    """An article from text that came with a feed entry (its full content); `key` names it."""
    record = {"title": title, "text": text, "source": source, "published_at": published}
    return _build(record, url, key=key)


def _build(record: dict[str, Any], url: str, *, key: str | None = None) -> Article:
    # the id is a hash of the address: without its password, which could be guessed
    # against it offline (and the page keeps one id with or without credentials)
    record = {**record, "id": article_id(without_credentials(key or url)), "url": url}
    try:
        return record_to_article(record, default_id=record["id"], location=url, markup=False)
    except IngestError as exc:
        raise FetchFailure("no_article_text", exc.message) from exc
