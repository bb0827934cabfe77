"""Slack message text read as prose: what a reader sees of its links and mentions, without
the marks of how it was shown, and whether a text beside a link reads as an article.

In: message text as Slack sends it (`<https://x|label>`, `<@U1|mara>`, `&gt;` escapes).
Out: plain text (`strip_links`, `unquote`) and yes or no (`reads_as_article`). The rules
themselves are listed in `service.slack.inputs`.
"""

from __future__ import annotations

import re

from service.pipeline.sentences import word_count

_ENTITY = re.compile(r"<([^<>\n]*)>")  # <https://x|label>, <@U123>, <#C123|general>, <!here>
LABELLED_LINK = re.compile(r"<(https?://[^<>|\s]+)\|([^<>\n]+)>", re.IGNORECASE)
_WEB_LINK = re.compile(r"https?://", re.IGNORECASE)
_BARE_URL = re.compile(r"\bhttps?://\S+", re.IGNORECASE)
_SCHEME_AND_WWW = re.compile(r"^(?:https?://)?(?:www\.)?", re.IGNORECASE)
_BROADCASTS = {"here", "channel", "everyone"}  # `<!here>`: a ping, never anyone's words
# where a link or mention was taken out: closed up before punctuation and at a line's end
# ("at the town hall <@U1>." had read "at the town hall ."), a space elsewhere
_HOLE = "\x00"
# a run of blanks and holes, matched from its start only and never given back: tried from
# each of its blanks, 40,000 spaces had taken seconds before the 3-second ack
_HOLES = re.compile(r"(?<![ \t\x00])[ \t]*+\x00[ \t\x00]*+(?=[.,;:!?)\]]|$)", re.MULTILINE)
# Slack's quote markers as Slack sends them at a line's start (`&gt; `, `&gt;&gt;&gt; `), and
# code fences; "&gt;50 people were hurt" (">50") is the writer's sign, and stays
_QUOTE_MARK = re.compile(r"^[ \t]*(?:&gt;|>){1,3}(?:[ \t]|$)", re.MULTILINE)
_CODE_FENCE = re.compile(r"```")

ARTICLE_SENTENCES = 3  # a text beside a link with fewer sentences is a remark on it
LONG_PASTE_PARAGRAPHS = 3  # ... unless it is a long paste: this many paragraphs,
LONG_PASTE_WORDS = 50  # and this many words
# a sentence's end, from the first mark of a run ("...", "?!") and never given back: tried
# from each dot of 12,000 dots, it had taken seconds before the 3-second ack
_SENTENCE_END = re.compile(r"(?<![.!?…])[.!?…]++[\"'”’)\]]*+(?=\s|$)|[。！？]")
# a quotation, to its closing mark or, left open, to its paragraph's end: news style runs a
# quote on over paragraphs and closes it only in the last ("“Our members deserve better."
# then the next paragraph), and its "our" had made a pasted article a remark
_QUOTED = re.compile(
    r"\"[^\"\n]*(?:\"|$)|“[^”\n]*(?:”|$)|«[^»\n]*(?:»|$)|„[^“”\n]*(?:[“”]|$)|「[^」\n]*(?:」|$)",
    re.MULTILINE,
)
# the writer speaking for themself: "I think", "honestly", "we should"; "us" only in
# lower case ("US officials" is a country), "I" only in upper case
_FIRST_PERSON = re.compile(
    r"\b(?:I|I['’](?:m|ve|d|ll)|us)\b"
    r"|\b(?i:me|my|mine|myself|we|we['’](?:re|ve|d|ll)|our|ours|ourselves"
    r"|honestly|personally|imo|imho)\b"
)
# an "I" that is no one speaking, and had made pasted articles remarks: a numeral after the
# word it numbers ("Phase I trial", "World War I", "Type I"), a road ("I-95"), a ruler's
# ("under Elizabeth I", "Charles I's court"); a month or a day before it is no name ("on
# Monday I went")
_NUMBERED = (
    "Phase|phase|War|Type|Class|Title|Chapter|Part|Stage|Grade|Article|Schedule|Division"
    "|Category|Level|Tier|Act|Section|Volume|Book|Round|Series|Vatican"
)
_NOT_A_NAME = (
    "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April"
    "|May|June|July|August|September|October|November|December|Today|Tonight|Yesterday"
)
_NAME = "[A-Z][a-zà-öø-ÿ]+[ \u00a0]+"  # a capitalized word, and the space after it
_NUMERAL_I = re.compile(
    rf"\b(?:{_NUMBERED})[ \u00a0]+I\b"
    r"|\bI(?=[-‐‑–]\d)"
    rf"|(?<=[a-z0-9,;:(][ \u00a0])(?!(?:{_NOT_A_NAME})\b){_NAME}I\b(?!['’])"  # mid-sentence
    rf"|\b{_NAME}I(?=['’]s\b|[,.;:)\n]|$)"  # a name's end: "Elizabeth I's", "Elizabeth I."
)


def unescape(text: str) -> str:
    """Undo Slack's escaping of `&`, `<` and `>` in message text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def unquote(text: str) -> str:
    """The text without Slack's quote markers (`> `) and code fences: they say how a paste
    was shown, and had come out in a summary and its headline ("> Dock workers ...")."""
    return _QUOTE_MARK.sub("", _CODE_FENCE.sub(" ", text))


def strip_links(text: str) -> str:
    """The text as a reader sees it, without links to fetch and pings, unescaped: what is
    left to read as an article.

    A link with its own words keeps them ("after <https://x|an accident> injured two" reads
    "after an accident injured two"); a bare link, or one labelled with its own address,
    goes. A mention keeps what Slack shows ("write to <mailto:p@x|p@x>", "<@U1|mara>" reads
    "@mara"): dropped, it had left holes in quoted sentences ("write to for updates").
    """
    shown = _BARE_URL.sub(_HOLE, _ENTITY.sub(_shown, text))
    return unescape(_HOLES.sub("", shown).replace(_HOLE, " "))


def _shown(match: re.Match[str]) -> str:
    """What Slack shows for one `<...>` entity, or a hole where nothing should stay."""
    target, _, label = match.group(1).partition("|")
    label = label.strip()
    if _WEB_LINK.match(target):
        return prose_label(target, label) or _HOLE
    if target.lower().startswith("mailto:"):
        return label or target[len("mailto:") :]
    if target[:1] in "@#":  # <@U1|mara>, <#C1|general>; a bare id means nothing to a reader
        return (label if label.startswith(target[0]) else target[0] + label) if label else _HOLE
    if target.startswith("!") and target[1:].split("^")[0] in _BROADCASTS:
        return _HOLE
    return label or _HOLE  # <!subteam^S1|@team>, <!date^...|fallback>


def prose_label(url: str, label: str) -> str:
    """A labelled link's words, or '' when the label only repeats the address."""
    label = label.strip()
    shown = _SCHEME_AND_WWW.sub("", label.lower()).rstrip("/")
    address = _SCHEME_AND_WWW.sub("", url.lower())
    looks_like_an_address = "." in shown or "/" in shown
    return "" if looks_like_an_address and address.startswith(shown) else label


def reads_as_article(text: str) -> bool:
    """True when a text pasted beside its link reads as that link's article, not as a
    remark on it: a long paste (`LONG_PASTE_PARAGRAPHS` paragraphs and `LONG_PASTE_WORDS`
    words), or `ARTICLE_SENTENCES` sentences with no one speaking in the first person
    outside quotation marks. "<link>\\nInteresting take. Honestly I think the union is
    right ..." had been cited as the outlet's words, and the link was never read."""
    paragraphs = len([line for line in text.splitlines() if line.strip()])
    if paragraphs >= LONG_PASTE_PARAGRAPHS and word_count(text) >= LONG_PASTE_WORDS:
        return True
    sentences = len(_SENTENCE_END.findall(text))
    return sentences >= ARTICLE_SENTENCES and not _speaks_in_first_person(text)


def reads_as_talk(text: str) -> bool:
    """True for a thread message that is someone talking, not an article pasted there: its
    writer speaks in the first person outside quotation marks, and it is no long paste.
    "I think the union has a point here, we covered the last strike in 2019 ..." in the
    thread being summarized had been cited as a source of the story."""
    paragraphs = len([line for line in text.splitlines() if line.strip()])
    if paragraphs >= LONG_PASTE_PARAGRAPHS and word_count(text) >= LONG_PASTE_WORDS:
        return False
    return _speaks_in_first_person(text)


def _speaks_in_first_person(text: str) -> bool:
    """Whether the writer of `text` speaks for themself outside quotation marks: the
    speakers of a news story are quoted, and its numerals ("Phase I", "Elizabeth I") are
    no one."""
    return bool(_FIRST_PERSON.search(_NUMERAL_I.sub(" ", _QUOTED.sub(" ", text))))
