"""What a Slack user gave us: Slack message text in, links and article texts out.

Rules (the README repeats them for users):
- a link is fetched as one article (Slack's `<https://x|label>` form included), except
  a link with its own words inside a pasted article ("rules after <https://x|an accident>
  injured two"): that is the article's prose, read as its words, not fetched;
- pasted text is one article, its blank lines its paragraphs; lines of `---` separate
  articles (people paste an article with its paragraph breaks: split on blank lines, one
  article had become several "reports" quoting each other); in a thread each message is
  one article, and an attachment without a link adds its text to it;
- a pasted article whose first or last line is only a link (`Source: <link>` too) is
  that link's text: the link is cited, not fetched;
- a text of fewer than `MIN_ARTICLE_WORDS` words is a remark ("have a look at these"),
  not an article: it is dropped, and its links are fetched; one without links and of at
  least `SHORT_TEXT_WORDS` words was meant as an article, and is counted in
  `SlackInput.too_short`, which the `/digest` ack reports (in a thread, a short message is
  usually talk, and is left out without a word);
- a shared Slack message (an attachment quoting another message) is read as that
  message's text, not fetched: its link is a slack.com permalink behind a login;
- mentions (`<@U123>`, `<#C123>`, `<!here>`) are never part of an article's text;
- `/digest` options come first, or last ("... --private"), never from inside the text,
  except `--private`: wherever it is written, the answer is private. Written with two
  dashes (or a dash a phone made of them) it is taken out of the text; "-private" inside
  prose ("the firm would go -private next year") makes the answer private too, and
  stays in the article's words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from service.errors import InputError

MIN_ARTICLE_WORDS = 25
SHORT_TEXT_WORDS = 8  # fewer words than this is a remark ("please summarize"), not a paste
_ENTITY = re.compile(r"<[^<>\n]*>")  # <https://x|label>, <@U123>, <#C123|general>, <!here>
_LABELLED_LINK = re.compile(r"<(https?://[^<>|\s]+)\|([^<>\n]+)>", re.IGNORECASE)
_BARE_URL = re.compile(r"\bhttps?://\S+", re.IGNORECASE)
_SOURCE_LINE = re.compile(
    r"^\s*(?:(?:source|link|url|via|from)\s*:\s*)?(<https?://[^<>|\s]+(?:\|[^<>\n]*)?>|https?://\S+)\s*$",
    re.IGNORECASE,
)
# a line of dashes: `---`, or what a phone makes of it ("—-", "—", "–-"); not `***` or
# `===`, which an article may use as a section break inside itself
_SEPARATOR = re.compile(r"^[ \t]*(?:-{3,}|[—–][-—–]*|-[—–][-—–]*)[ \t]*$", re.MULTILINE)
_LINE_BREAK = re.compile(r"\r\n?")
_FLAG = re.compile(r"^\s*(?:--|—|–)([A-Za-z][\w-]*)(?=\s|$)")  # clients may turn -- into a dash
_KNOWN_FLAGS = {"private", "public", "one-story", "help"}
_TRAILING_FLAG = re.compile(r"(?:^|\s)(?:--|—|–)(private|public|one-story)\s*$", re.IGNORECASE)
# "--private" anywhere ("-private", "--Private:", "<link> --private.", "--private<link>",
# "<link> —private <link>" where a client turned "--" into a dash): whoever asks for
# privacy gets it, never a post in the channel. A dash before a capital or before
# punctuation is prose ("–Private hospitals ...", "the buyout —private, not public").
_PRIVATE_ANYWHERE = re.compile(
    r"(?:^|(?<=[\s>]))(?:-{1,2}(?i:private)[.:,;!]?|[—–]private)(?=[\s<]|$)"
)
_PRIVATE_FLAG = re.compile(r"(?:^|(?<=[\s>]))(?:--(?i:private)[.:,;!]?|[—–]private)(?=[\s<]|$)")
# "-private" as the first or last word is the option, typed with one dash
_PRIVATE_EDGE = re.compile(r"^\s*-(?i:private)[.:,;!]?(?=\s|$)|(?:^|\s)-(?i:private)[.:,;!]?\s*$")
_SCHEME_AND_WWW = re.compile(r"^(?:https?://)?(?:www\.)?", re.IGNORECASE)
_SLACK_HOSTS = re.compile(r"^https?://(?:[\w-]+\.)*slack\.com(?:/|$)", re.IGNORECASE)
_HELP_WORDS = {"help", "-h", "--help", "?"}


@dataclass
class Pasted:
    """One pasted article's text, and its link when the paste named one on its own line."""

    text: str
    url: str | None = None


@dataclass
class SlackInput:
    """Links to fetch and pasted articles."""

    urls: list[str] = field(default_factory=list)
    texts: list[Pasted] = field(default_factory=list)
    left_out: int = 0  # links and texts past a limit (`thread_input`)
    too_short: int = 0  # pasted texts without links, too short to be an article

    @property
    def size(self) -> int:
        return len(self.urls) + len(self.texts)

    def first(self, count: int) -> SlackInput:
        """At most `count` of the links and texts (links first: one message's order is lost)."""
        urls = self.urls[: max(count, 0)]
        return SlackInput(urls=urls, texts=self.texts[: max(count - len(urls), 0)])

    def describe(self) -> str:
        """'3 links and 1 pasted text', for the acknowledgement."""
        parts = []
        if self.urls:
            parts.append(_plural(len(self.urls), "link"))
        if self.texts:
            parts.append(_plural(len(self.texts), "pasted text"))
        return " and ".join(parts) or "nothing"

    def too_short_note(self) -> str:
        """'1 pasted text of under 25 words was left out', or ''."""
        if not self.too_short:
            return ""
        texts = _plural(self.too_short, "pasted text")
        verb = "was" if self.too_short == 1 else "were"
        return f"{texts} of under {MIN_ARTICLE_WORDS} words {verb} left out"

    def extend(self, other: SlackInput) -> None:
        """Add `other`'s articles; a link already cited by a pasted text is not fetched."""
        self.texts += other.texts
        self.too_short += other.too_short
        cited = {t.url for t in self.texts if t.url}
        self.urls = [u for u in dict.fromkeys(self.urls + other.urls) if u not in cited]


@dataclass
class Command:
    """A parsed `/digest` command: options, then what to summarize."""

    input: SlackInput
    ephemeral: bool | None = None  # None: the workspace default (DIGEST_SLACK_EPHEMERAL)
    one_story: bool = False
    help: bool = False


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def unescape(text: str) -> str:
    """Undo Slack's escaping of `&`, `<` and `>` in message text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def find_links(text: str) -> list[str]:
    """The http(s) links in Slack text, in order, each once, with Slack's escaping undone."""
    from service.web import find_urls  # lazy: the web package pulls in the fetching stack

    links: list[str] = []
    for url in find_urls(text):
        url = unescape(url)
        if url not in links:
            links.append(url)
    return links


def strip_links(text: str) -> str:
    """The text without links and mentions, unescaped: what is left to read as an article.

    A link with its own words keeps them ("after <https://x|an accident> injured two" reads
    "after an accident injured two"); a bare link, or one labelled with its own address, goes.
    """
    worded = _LABELLED_LINK.sub(lambda m: f" {_prose_label(m)} ", text)
    return unescape(_BARE_URL.sub(" ", _ENTITY.sub(" ", worded)))


def _prose_label(match: re.Match[str]) -> str:
    """A labelled link's words, or '' when the label only repeats the address."""
    label = match.group(2).strip()
    shown = _SCHEME_AND_WWW.sub("", label.lower()).rstrip("/")
    address = _SCHEME_AND_WWW.sub("", match.group(1).lower())
    looks_like_an_address = "." in shown or "/" in shown
    return "" if looks_like_an_address and address.startswith(shown) else label


def _links_to_fetch(article_text: str) -> list[str]:
    """The links of a pasted article that are not part of its prose (see strip_links)."""
    return find_links(
        _LABELLED_LINK.sub(lambda m: " " if _prose_label(m) else m.group(0), article_text)
    )


def _source_link(lines: list[str]) -> tuple[list[str], str | None]:
    """Lines without a first or last line that is only a link, and that link."""
    for index in (0, -1):
        if lines and (match := _SOURCE_LINE.match(lines[index])):
            rest = lines[1:] if index == 0 else lines[:-1]
            return rest, unescape(match.group(1).strip("<>").split("|", 1)[0])
    return lines, None


def _tidy(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    return "\n".join(line for line in lines if line)


def parse_text(text: str) -> SlackInput:
    """Links and pasted articles in one piece of Slack text (see the module's rules)."""
    found = SlackInput()
    for block in _SEPARATOR.split(_LINE_BREAK.sub("\n", text)):
        lines, source = _source_link([ln for ln in block.strip().splitlines() if ln.strip()])
        body = "\n".join(lines)
        words = _tidy(strip_links(body))
        if len(words.split()) >= MIN_ARTICLE_WORDS:
            found.extend(SlackInput(urls=_links_to_fetch(body), texts=[Pasted(words, source)]))
            continue
        links = find_links(block)
        meant = not links and not source and len(words.split()) >= SHORT_TEXT_WORDS
        found.extend(SlackInput(urls=links, too_short=int(meant)))
    return found


def parse_command(text: str) -> Command:
    """Parse `/digest [--private|--public] [--one-story] <links and/or text>`.

    Options are read at the start, and the known ones at the very end too ("<links>
    --private"), so a `--` inside pasted text is left alone; `--private` counts wherever
    it is. A dash that opens pasted text ("—Reuters reports ...") is no option.
    """
    stripped = text.strip()
    if not stripped or stripped.lower() in _HELP_WORDS:
        return Command(input=SlackInput(), help=True)
    command = Command(input=SlackInput())
    rest = stripped
    while match := _FLAG.match(rest):
        name = match.group(1).lower()
        dashed = not match.group(0).lstrip().startswith("--")
        if dashed and match.group(1) not in _KNOWN_FLAGS and name != "private":
            break  # "—Reuters reports ...", "—Public health officials ...": pasted text
            # (but "—Private", a phone's capital, is asked privacy: it wins)
        _apply_flag(command, name)
        rest = rest[match.end() :]
    while match := _TRAILING_FLAG.search(rest):
        _apply_flag(command, match.group(1).lower())
        rest = rest[: match.start()]
    if _PRIVATE_ANYWHERE.search(rest):
        command.ephemeral = True
        # "-private" inside prose stays the writer's word
        rest = _PRIVATE_EDGE.sub(" ", _PRIVATE_FLAG.sub(" ", rest))
    if rest.strip().lower() in _HELP_WORDS:
        command.help = True
    command.input = parse_text(rest)
    return command


def _apply_flag(command: Command, name: str) -> None:
    if name == "private":
        command.ephemeral = True
    elif name == "public":
        command.ephemeral = False
    elif name == "one-story":
        command.one_story = True
    elif name == "help":
        command.help = True
    else:
        raise InputError(
            f"unknown option --{name}",
            hint="use --private, --public or --one-story, or /digest help",
        )


def thread_input(
    messages: Iterable[Mapping[str, Any]], *, skip_bots: set[str], limit: int | None = None
) -> SlackInput:
    """Links and texts in a thread's messages; messages by `skip_bots` (our bot) are left out.

    With a `limit`, the thread's earliest links and texts are kept, in the order they were
    posted, and `left_out` counts the rest.
    """
    found = SlackInput()
    for message in messages:
        if message.get("bot_id") in skip_bots or message.get("user") in skip_bots:
            continue
        text = str(message.get("text") or "")
        extra_urls: list[str] = []
        for attachment in message.get("attachments") or []:
            url = (
                attachment.get("original_url")
                or attachment.get("from_url")
                or attachment.get("title_link")
            )
            if url and not _is_shared_message(attachment, str(url)):
                extra_urls.append(str(url))
            elif attachment.get("text"):
                text += "\n\n" + str(attachment["text"])
        part = parse_text(text)
        part.extend(SlackInput(urls=[unescape(u) for u in extra_urls]))
        before = found.size
        found.extend(part if limit is None else part.first(limit - before))
        found.left_out += part.size - (found.size - before)
    return found


def _is_shared_message(attachment: Mapping[str, Any], url: str) -> bool:
    """A shared or forwarded Slack message: its text is the content, its link a permalink."""
    flagged = attachment.get("is_share") or attachment.get("is_msg_unfurl")
    return bool(flagged or _SLACK_HOSTS.match(url))
