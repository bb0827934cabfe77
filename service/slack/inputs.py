"""What a Slack user gave us: Slack message text in, links and article texts out.

Rules (the README repeats them for users):
- a link is fetched as one article (Slack's `<https://x|label>` form included), except
  a link with its own words inside a pasted article ("rules after <https://x|an accident>
  injured two"): that is the article's prose, read as its words, not fetched;
- pasted text is one article, its blank lines its paragraphs; lines of `---` separate
  articles (people paste an article with its paragraph breaks: split on blank lines, one
  article had become several "reports" quoting each other); in a thread each message is
  one article (unless it reads as talk, `reads_as_talk`: its writer speaks in the first
  person and it is no long paste; it is left out), and an attachment without a link adds
  its text to it; Slack's quote
  markers (`> `) and code fences are not part of it;
- a pasted article whose first or last line is only a link (`Source: <link>` too) is
  that link's text, cited, not fetched, when it reads as an article (`_reads_as_article`):
  "<link>\nHonestly I think the union is right ..." in a thread is a remark about the
  link, which is fetched; the remark had been cited as the outlet's words; in a thread,
  such an article takes the place of its link posted bare, before it or after it;
- a text of fewer than `MIN_ARTICLE_WORDS` words (`word_count`: Chinese and Japanese,
  written without spaces, count too) is a remark ("have a look at these"), not an
  article: it is dropped, and its links are fetched; one without links and of at
  least `SHORT_TEXT_WORDS` words was meant as an article, and is counted in
  `SlackInput.too_short`, which the `/digest` ack reports (in a thread, a short message is
  usually talk, and is left out without a word);
- a shared Slack message (an attachment quoting another message) is read as that
  message's text, not fetched: its link is a slack.com permalink behind a login;
- mentions are never links to fetch: `<@U1|mara>`, `<#C1|general>` and
  `<mailto:a@x|a@x>` keep their shown words (@mara, #general, a@x), so a quoted sentence
  keeps them; `<!here>` and unlabelled `<@U1>` go;
- `/digest` options come first, or last ("... --private"), never from inside the text,
  except `--private`: wherever it is written, the answer is private, whatever `--public`
  says. Written with two dashes (a dash a phone made of them, or hyphens of another
  kind), alone or in brackets, quotes or Slack formatting (`(--private)`, `*--private*`),
  it is taken out of the text; "-private" inside prose ("the firm would go -private next
  year") makes the answer private too, and stays in the article's words.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from service.errors import InputError
from service.pipeline.sentences import word_count
from service.slack.prose import (
    LABELLED_LINK,
    prose_label,
    reads_as_article,
    reads_as_talk,
    strip_links,
    unescape,
    unquote,
)

MIN_ARTICLE_WORDS = 25
SHORT_TEXT_WORDS = 8  # fewer words than this is a remark ("please summarize"), not a paste
_SOURCE_LINE = re.compile(
    r"^\s*(?P<label>(?:source|link|url|via|from)\s*:\s*)?"
    r"(?P<link><https?://[^<>|\s]+(?:\|[^<>\n]*)?>|https?://\S+)\s*$",
    re.IGNORECASE,
)
# a line of dashes: `---`, or what a phone makes of it ("—-", "—", "–-"); not `***` or
# `===`, which an article may use as a section break inside itself
_SEPARATOR = re.compile(r"^[ \t]*(?:-{3,}|[—–][-—–]*|-[—–][-—–]*)[ \t]*$", re.MULTILINE)
_LINE_BREAK = re.compile(r"\r\n?")
# an option's dashes: two hyphens of any kind (a keyboard may send U+2011 or a minus
# sign), or one dash a client made of them
_HYPHEN = "[-\u2010\u2011\u2012\u2212\ufe63\uff0d]"
_DASH = "[\u2013\u2014\u2015]"
_OPTION_DASHES = f"(?:{_HYPHEN}{{2}}|{_DASH})"
_FLAG = re.compile(rf"^\s*(?P<dashes>{_OPTION_DASHES})(?P<name>[A-Za-z][\w-]*)(?=\s|$)")
_KNOWN_FLAGS = {"private", "public", "one-story", "help"}
_TRAILING_FLAG = re.compile(
    rf"(?:^|\s){_OPTION_DASHES}(private|public|one-story)\s*$", re.IGNORECASE
)
# "--private" anywhere ("-private", "--Private:", "<link> --private.", "--private<link>",
# "<link> —private <link>" where a client turned "--" into a dash), in brackets, quotes or
# Slack formatting too ("(--private)", "`--private`", "*--private*"): whoever asks for
# privacy gets it, never a post in the channel. A dash before a capital or before
# punctuation is prose ("–Private hospitals ...", "the buyout —private, not public").
_OPENING = "[(\\[{`*_~\"'“‘]*"
_CLOSING = "[)\\]}`*_~\"'”’]*"
_ENDING = "[.:,;!?)\\]}`*_~\"'”’]*"  # closing marks, and punctuation after the word


def _private(hyphens: str) -> re.Pattern[str]:
    """`private` after `hyphens` hyphens (or dashes a client made), in its brackets or marks."""
    word = rf"(?:{_HYPHEN}{hyphens}(?i:private){_ENDING}|{_DASH}+private{_CLOSING})"
    return re.compile(rf"(?:^|(?<=[\s>])){_OPENING}{word}(?=[\s<]|$)")


_PRIVATE_ANYWHERE = _private("{1,2}")
_PRIVATE_FLAG = _private("{2}")  # the option, taken out of the text
# "-private" as the first or last word is the option, typed with one dash
_PRIVATE_EDGE = re.compile(
    rf"^\s*{_OPENING}{_HYPHEN}(?i:private){_ENDING}(?=\s|$)"
    rf"|(?:^|\s){_OPENING}{_HYPHEN}(?i:private){_ENDING}\s*$"
)
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

    def first(self, count: int, *, replacing: Collection[str] = ()) -> SlackInput:
        """At most `count` of the links and texts (links first: one message's order is lost);
        a pasted text of a link in `replacing` takes that link's place, and none of `count`."""
        urls = self.urls[: max(count, 0)]
        room = max(count - len(urls), 0)
        texts: list[Pasted] = []
        for pasted in self.texts:
            if pasted.url in replacing:
                texts.append(pasted)
            elif room:
                texts.append(pasted)
                room -= 1
        return SlackInput(urls=urls, texts=texts)

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

    def keys(self) -> set[str]:
        """What tells a repeat: each link, and each pasted text (its link when it names one)."""
        return set(self.urls) | {t.url or t.text for t in self.texts}

    def without(self, seen: set[str], *, bare_links: Collection[str] = ()) -> SlackInput:
        """These links and texts less those whose `keys` are in `seen`. A pasted text of a
        link seen only bare (in `bare_links`) is no repeat: it is that link's article, and
        takes its place. "Source: <link>" and its (paywalled) article, posted under the
        bare link, had been dropped as a repeat, and the link fetched."""
        return SlackInput(
            urls=[u for u in self.urls if u not in seen],
            texts=[t for t in self.texts if t.url in bare_links or (t.url or t.text) not in seen],
            too_short=self.too_short,
        )

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


def find_links(text: str) -> list[str]:
    """The http(s) links in Slack text, in order, each once, with Slack's escaping undone."""
    from service.web import find_urls  # lazy: the web package pulls in the fetching stack

    links: list[str] = []
    for url in find_urls(text):
        url = unescape(url)
        if url not in links:
            links.append(url)
    return links


def _links_to_fetch(article_text: str) -> list[str]:
    """The links of a pasted article that are not part of its prose (see strip_links)."""
    return find_links(
        LABELLED_LINK.sub(
            lambda m: " " if prose_label(m.group(1), m.group(2)) else m.group(0), article_text
        )
    )


def _source_link(lines: list[str]) -> tuple[list[str], str | None, bool]:
    """Lines without a first or last line that is only a link, that link, and whether the
    line said it was the source ("Source: <link>")."""
    for index in (0, -1):
        if lines and (match := _SOURCE_LINE.match(lines[index])):
            rest = lines[1:] if index == 0 else lines[:-1]
            link = unescape(match.group("link").strip("<>").split("|", 1)[0])
            return rest, link, bool(match.group("label"))
    return lines, None, False


def _tidy(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    return "\n".join(line for line in lines if line)


def parse_text(text: str) -> SlackInput:
    """Links and pasted articles in one piece of Slack text (see the module's rules)."""
    found = SlackInput()
    for block in _SEPARATOR.split(unquote(_LINE_BREAK.sub("\n", text))):
        lines, source, labelled = _source_link(
            [ln for ln in block.strip().splitlines() if ln.strip()]
        )
        body = "\n".join(lines)
        words = _tidy(strip_links(body))
        long_enough = word_count(words) >= MIN_ARTICLE_WORDS
        if long_enough and (not source or labelled or reads_as_article(words)):
            found.extend(SlackInput(urls=_links_to_fetch(body), texts=[Pasted(words, source)]))
            continue
        links = find_links(block)  # a remark: on a link beside it, its link is fetched
        meant = not links and not source and word_count(words) >= SHORT_TEXT_WORDS
        found.extend(SlackInput(urls=links, too_short=int(meant)))
    return found


def parse_command(text: str) -> Command:
    """Parse `/digest [--private|--public] [--one-story] <links and/or text>`.

    Options are read at the start, and the known ones at the very end too ("<links>
    --private"), so a `--` inside pasted text is left alone; `--private` counts wherever
    it is, and wins over `--public` (the asker's privacy is never overruled). A dash that
    opens pasted text ("—Reuters reports ...") is no option.
    """
    stripped = text.strip()
    if not stripped or stripped.lower() in _HELP_WORDS:
        return Command(input=SlackInput(), help=True)
    command = Command(input=SlackInput())
    rest = stripped
    while match := _FLAG.match(rest):
        name = match.group("name").lower()
        dashed = len(match.group("dashes")) == 1
        if dashed and match.group("name") not in _KNOWN_FLAGS and name != "private":
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
    """Set option `name`; `--private` wins over `--public`, whichever comes first."""
    if name == "private":
        command.ephemeral = True
    elif name == "public":
        command.ephemeral = command.ephemeral or False
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
    messages: Iterable[Mapping[str, Any]],
    *,
    skip_bots: set[str],
    limit: int | None = None,
    request_ts: str | None = None,
) -> SlackInput:
    """Links and texts in a thread's messages; messages by `skip_bots` (our bot) are left out.

    The message that asked for the digest (`request_ts`, an `@digest` mention) is a request,
    not an article: only its links are read ("@digest could you summarize the links in this
    thread for me? I missed the meeting ..." had become a story). With a `limit`, the
    thread's earliest links and texts are kept, in the order they were posted, and
    `left_out` counts the rest; a link or text posted again is read once, and is no input
    left out (a repeated link had made "the first 2 of the thread's 4" out of 2). A pasted
    article of a link wins over the bare link, posted before it or after it.
    """
    found = SlackInput()
    passed_over: set[str] = set()
    for message in messages:
        if message.get("bot_id") in skip_bots or message.get("user") in skip_bots:
            continue
        asking = request_ts is not None and message.get("ts") == request_ts
        part = _message_input(message, links_only=asking).without(
            found.keys() | passed_over, bare_links=found.urls
        )
        kept = part if limit is None else part.first(limit - found.size, replacing=found.urls)
        found.extend(kept)
        passed_over |= part.keys() - kept.keys()
    found.left_out = len(passed_over)
    return found


def _message_input(message: Mapping[str, Any], *, links_only: bool) -> SlackInput:
    """One thread message's article and links, its attachments' included."""
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
    part = SlackInput(urls=find_links(text)) if links_only else parse_text(text)
    part.texts = [p for p in part.texts if p.url or not reads_as_talk(p.text)]  # talk: left out
    part.extend(SlackInput(urls=[unescape(u) for u in extra_urls]))
    return part


def _is_shared_message(attachment: Mapping[str, Any], url: str) -> bool:
    """A shared or forwarded Slack message: its text is the content, its link a permalink."""
    flagged = attachment.get("is_share") or attachment.get("is_msg_unfurl")
    return bool(flagged or _SLACK_HOSTS.match(url))
