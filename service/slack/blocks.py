"""Block Kit rendering: a Digest in, Slack messages (blocks + plain-text fallback) out.

Each story is a header, its summary as mrkdwn sections with citations turned into numbered
links (`<url|[1]>`, plain `[1]` when the article has no URL), its notes (an extractive
fallback, say), and a context line with outlets, dates and the backend that wrote it.

What stays true: no message breaks Slack's limits, so chat.postMessage never answers
`msg_too_long` or `invalid_blocks`. A section's text is at most 3,000 characters (long
summaries are split between sentences), a header 150, a context block holds at most 10
elements, and a message at most 50 blocks and `MESSAGE_CHARS` of block JSON; a long
digest becomes several messages, each labelled "part i of n", each with a fallback `text`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from service.models import Cluster, Digest, InputFailure, Source, SummarySentence
from service.pipeline.verify import WHERE_DROPPED_ARE_LISTED

SECTION_CHARS = 3000
HEADER_CHARS = 150
CONTEXT_ELEMENTS = 10
MESSAGE_BLOCKS = 50
MESSAGE_CHARS = 12_000  # block JSON per message: far below where Slack starts refusing
FALLBACK_CHARS = 2_000  # the notification text; Slack truncates `text` at 40,000

Block = dict[str, Any]
_ATOMS = re.compile(r"<[^<>]*>|[^\s<]+|\s+")  # Slack links, words, spaces
# links and :emoji: codes pass whole; a marker counts only at a word's edge
_FORMATTING = re.compile(
    r"https?://\S+|:[a-z0-9_+-]+:"
    r"|(?P<marker>(?<![A-Za-z0-9])[*_~`]|[*_~`](?![A-Za-z0-9]))",
    re.IGNORECASE,
)


@dataclass
class SlackMessage:
    """One chat.postMessage worth: blocks and the plain-text fallback for notifications."""

    text: str
    blocks: list[Block]


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def literal(text: str) -> str:
    """Text from articles (and from us about them) shown as written: escaped, and with a
    zero-width space around each `*`, `_`, `~` and backtick at a word's edge, where Slack's
    mrkdwn, which offers no escape for them, would open or close a format. Why:
    "*the most important decision*" in an article had come out bold, "~weak~" struck
    through, and one stray `*` in each of two sentences bolded all between. Markers inside
    a word (DIGEST_MAX_ARTICLE_BYTES), links and :emoji: codes are left as they are, so
    they still copy, link and show."""
    return _FORMATTING.sub(_guard, escape(text))


def _guard(match: re.Match[str]) -> str:
    marker = match.group("marker")
    return f"\u200b{marker}\u200b" if marker else match.group(0)


def link(url: str | None, label: str) -> str:
    """`<url|label>` for http(s) URLs; the bare label otherwise (no URL, or another scheme)."""
    if not url or not url.lower().startswith(("http://", "https://")):
        return literal(label)
    safe = escape(url).replace("|", "%7C").replace(" ", "%20")
    return f"<{safe}|{literal(label)}>"


def _clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut between words when a word ends in the last third
    ("…on Monda…" had been cut inside one)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 2 // 3 else cut).rstrip(" ,;:") + "…"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(texts: list[str]) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts]}


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": _clip(text, HEADER_CHARS)}}


def pack_text(pieces: Iterable[str], limit: int, sep: str = " ") -> list[str]:
    """Join pieces into chunks of at most `limit` characters, splitting a piece only if it
    alone is too long (between words, so a `<url|[n]>` link is never cut)."""
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        for part in _split_long(piece, limit):
            candidate = f"{current}{sep}{part}" if current else part
            if len(candidate) <= limit:
                current = candidate
            else:
                chunks.append(current)
                current = part
    if current:
        chunks.append(current)
    return chunks


def _split_long(piece: str, limit: int) -> list[str]:
    """Split between words, or between a word and the `<url|[n]>` links stuck to it (a
    sentence's citation marks follow its last word with no space); never inside a link."""
    if len(piece) <= limit:
        return [piece]
    parts: list[str] = []
    current = ""
    for atom in _ATOMS.findall(piece):
        if atom.isspace():
            current += " " if current else ""
            continue
        for chunk in _fit(atom, limit):
            if current and len(current.rstrip()) + len(chunk) > limit - (current[-1:] == " "):
                parts.append(current.rstrip())
                current = ""
            current += chunk
    if current.strip():
        parts.append(current.rstrip())
    return parts


def _fit(atom: str, limit: int) -> list[str]:
    """An atom within `limit`: a link too long for it keeps its label, a word is cut."""
    if len(atom) <= limit:
        return [atom]
    if atom.startswith("<") and "|" in atom:
        return _fit(atom[1:-1].split("|", 1)[1], limit)
    return [atom[i : i + limit] for i in range(0, len(atom), limit)]


def _contexts(texts: list[str]) -> list[Block]:
    """Context blocks holding `texts`, each element within the section limit."""
    elements = [chunk for text in texts for chunk in _split_long(text, SECTION_CHARS)]
    return [
        _context(elements[i : i + CONTEXT_ELEMENTS])
        for i in range(0, len(elements), CONTEXT_ELEMENTS)
    ]


def _cited(sentence: SummarySentence, sources: list[Source]) -> str:
    by_number = {s.number: s for s in sources}
    marks = "".join(
        link(by_number[n].url if n in by_number else None, f"[{n}]") for n in sentence.citations
    )
    return literal(sentence.text) + marks


def _source_entry(source: Source) -> str:
    name = source.source or _clip(source.title, 60) or source.article_id
    entry = f"{link(source.url, f'[{source.number}]')} {literal(name)}"
    if source.published_at:
        entry += f", {source.published_at.date().isoformat()}"
    return entry


def story_blocks(cluster: Cluster, number: int) -> list[Block]:
    """One story: header, cited summary sections, notes, then sources and backend."""
    blocks: list[Block] = [_header(cluster.title.strip() or f"Story {number}")]
    summary = cluster.summary
    if summary and summary.sentences:
        texts = [_cited(s, cluster.sources) for s in summary.sentences]
        blocks += [_section(chunk) for chunk in pack_text(texts, SECTION_CHARS)]
    else:
        blocks.append(_section("_No summary: the articles had no usable sentences._"))
    if summary and summary.notes:
        notes = [for_chat(note.replace(WHERE_DROPPED_ARE_LISTED, "")) for note in summary.notes]
        blocks += _contexts([f":warning: {literal(note)}" for note in notes])
    line = pack_text([_source_entry(s) for s in cluster.sources], SECTION_CHARS, sep="  ·  ")
    if summary:
        model = f"{summary.backend}, prompt {summary.prompt}" if summary.prompt else summary.backend
        line.append(f"Summarized by `{escape(model)}`")
    blocks += _contexts(line)
    return blocks


# a setting's name: ours (DIGEST_LLM_TIMEOUT_S), a provider's (OPENAI_API_KEY), or a key
# variable in words ("the key variable of 'anthropic'")
_SETTING = r"(?:\b(?:DIGEST|[A-Z][A-Z0-9]*_API)_[A-Z0-9_]*[A-Z0-9]\b|\bkey variable\b)"
_NAMES_A_SETTING = re.compile(_SETTING)
_NAMES_A_KEY = re.compile(r"_KEY\b|\bkey variable\b")
# what the operator could change, in a note: "; lower DIGEST_CONCURRENCY, set DIGEST_LLM_RPM
# ..., or retry later", to the next ";" or ":" (a parenthesis inside it included)
_SETTING_CLAUSE = re.compile(
    rf"(?P<mark>[;:])\s*+(?P<advice>(?:raise|lower|set|check|fix)\b[^;:()]*{_SETTING})"
    r"(?:[^;:()]|\([^()]*\))*"
)
# ... and one of a clause's choices: "give fewer URLs, or raise DIGEST_WEB_RUN_TIMEOUT_S"
_SETTING_CHOICE = re.compile(
    rf"(?<![,\s]),?\s*+(?:or\s++)?(?:raise|lower|set|unset|check|fix)\s++{_SETTING}[^;:,().!?]*"
)
# ... but a model's key is said as what a member can do: ask whoever runs the app ("set a
# valid key in ANTHROPIC_API_KEY" had reached the channel); by the advice's first words
_KEY_ADVICE = (
    ("set a valid key", "the app's key for this model is not valid; ask whoever runs the app"),
    ("check that the key", "the app's key may not use this model; ask whoever runs the app"),
    ("", "ask whoever runs the app to check its key for this model"),
)
# an aside, matched from the first blank before it: "(raise DIGEST_LLM_TIMEOUT_S for slow
# models)", "(... or --api-base in the CLI)"; tried from each of 20,000 blanks, it had
# taken seconds
_ASIDE = re.compile(r"(?<!\s)\s*+\(([^()]*)\)")
# a command-line option as a word, not "/--draft/" inside a link
_OPTION = re.compile(r"(?:^|(?<=[\s\"'`“‘]))--[a-z][\w-]*")
# ... and what a CLI user could pass: ", or pass --skip-invalid to leave such records out",
# to its sentence's end ("... out. The rest were summarized." keeps its next sentence)
_FLAG_CLAUSE = re.compile(
    r"(?<![,\s]),?\s*+\bor pass --[a-z][\w-]*(?:[^;().!?]|[.!?](?![\s\"'”’)]|$))*"
)


def for_chat(note: str) -> str:
    """A note or warning as a channel reads it: without the settings and command-line
    options its operator could change (the CLI and the API show them; in Slack they were
    setting names and flags to people who cannot set them), and a model's key as a matter
    for whoever runs the app."""
    shown = _ASIDE.sub(_for_chat_aside, _FLAG_CLAUSE.sub("", note))
    shown = _SETTING_CHOICE.sub("", _SETTING_CLAUSE.sub(_for_chat_clause, shown))
    return " ".join(shown.split()) or note


def _for_chat_aside(match: re.Match[str]) -> str:
    """An aside naming a setting or an option goes; another (a link's) stays."""
    inside = match.group(1)
    return "" if _NAMES_A_SETTING.search(inside) or _OPTION.search(inside) else match.group(0)


def _for_chat_clause(match: re.Match[str]) -> str:
    """A setting's advice goes; a key's says who can fix it."""
    if not _NAMES_A_KEY.search(match.group(0)):
        return ""
    advice = match.group("advice")
    words = next(said for start, said in _KEY_ADVICE if advice.startswith(start))
    return f"{match.group('mark')} {words}"


def _failure_line(failure: InputFailure) -> str:
    detail = for_chat(failure.detail or failure.reason)
    return f"• {link(failure.input, failure.input)}: {literal(detail)}"


def _tail_blocks(digest: Digest) -> list[Block]:
    blocks: list[Block] = []
    if digest.failures:
        count = len(digest.failures)
        intro = f":warning: *Could not read {count} input{'s' if count > 1 else ''}:*"
        lines = [intro] + [_failure_line(f) for f in digest.failures]
        blocks += [_section(chunk) for chunk in pack_text(lines, SECTION_CHARS, sep="\n")]
    if digest.warnings:
        blocks += _contexts(
            [f":information_source: {literal(for_chat(w))}" for w in digest.warnings]
        )
    return blocks


def _size(block: Block) -> int:
    return len(json.dumps(block, ensure_ascii=False))


def _pack(units: list[list[Block]], max_blocks: int, max_chars: int) -> list[list[Block]]:
    """Fill messages unit by unit; a unit (a story) moves whole to the next message when it
    fits there, and is split between blocks only when it is bigger than a message."""
    messages: list[list[Block]] = [[]]
    used = 0
    for unit in units:
        unit_size = sum(_size(b) for b in unit)
        fits_fresh = len(unit) <= max_blocks and unit_size <= max_chars
        fits_here = len(messages[-1]) + len(unit) <= max_blocks and used + unit_size <= max_chars
        if messages[-1] and fits_fresh and not fits_here:
            messages.append([])
            used = 0
        for block in unit:
            size = _size(block)
            if messages[-1] and (len(messages[-1]) >= max_blocks or used + size > max_chars):
                messages.append([])
                used = 0
            messages[-1].append(block)
            used += size
    return [m for m in messages if m]


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {plural or word + 's'}"


def render_digest(digest: Digest, *, requested_by: str | None = None) -> list[SlackMessage]:
    """The digest as one or more Slack messages, each within Slack's limits."""
    stories = _plural(len(digest.clusters), "story", "stories")
    headline = f"Digest: {stories} from {_plural(len(digest.articles), 'article')}"
    intro = f"*{headline}*"
    if requested_by:
        intro += f"  ·  requested by <@{requested_by}>"
    units: list[list[Block]] = [[_section(intro)]]
    for number, cluster in enumerate(digest.clusters, start=1):
        units.append([{"type": "divider"}, *story_blocks(cluster, number)])
    tail = _tail_blocks(digest)
    if tail:
        units.append(tail)
    # one block per message is kept free for the "part i of n" label
    packed = _pack(units, MESSAGE_BLOCKS - 1, MESSAGE_CHARS - 200)
    return _label(packed, headline)


def _label(packed: list[list[Block]], headline: str) -> list[SlackMessage]:
    total = len(packed)
    messages: list[SlackMessage] = []
    for index, blocks in enumerate(packed, start=1):
        story_titles = [b["text"]["text"] for b in blocks if b["type"] == "header"]
        prefix = headline if total == 1 else f"{headline} (part {index} of {total})"
        text = prefix + (": " + "; ".join(story_titles) if story_titles else "")
        if total > 1 and index > 1:
            blocks = [_context([f"_{literal(headline)}, part {index} of {total}_"]), *blocks]
        elif total > 1:
            blocks = [*blocks, _context([f"_Part 1 of {total}; the rest follows._"])]
        messages.append(SlackMessage(text=literal(_clip(text, FALLBACK_CHARS)), blocks=blocks))
    return messages


def render_notice(text: str, *, emoji: str = ":warning:") -> SlackMessage:
    """A short message in plain words (an error, a status), within the limits."""
    body = pack_text([f"{emoji} {escape(text)}"], SECTION_CHARS)
    return SlackMessage(
        text=escape(_clip(text, FALLBACK_CHARS)), blocks=[_section(b) for b in body]
    )
