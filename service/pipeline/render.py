"""Rendering a Digest for people: Markdown with `[n]` markers and a numbered source list."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from service.backends.summarizers.registry import EXTRACTIVE
from service.models import Article, Cluster, Digest, Summary

# What could turn input text into Markdown: emphasis and code marks, link brackets, an
# underscore at a word's edge (inside "snake_case" it is plain text), "<" that could open
# HTML or an autolink, and a block marker at the start ("1. FC Köln" made a nested list).
_MARKUP = re.compile(r"[\\`*\[\]]|(?<![^\W_])_|_(?![^\W_])|<(?=[A-Za-z/!?])")
_BLOCK_START = re.compile(r"^(?:>|[#+=-]+(?=\s|$)|\d{1,9}(?=[.)](?:\s|$)))")
_LINKED_SCHEMES = {"http", "https", "file"}  # never "javascript:" or "data:" from an input
_URL_SAFE = ":/?#@!$&'*+,;=%~"  # spaces, parentheses and brackets encoded: one link
_BARE_URL = re.compile(r"https?://[^\s<>]+", re.IGNORECASE)


def _plain(text: str) -> str:
    """Text from an input as it reads, never as Markdown: one line, markup characters
    escaped (a title with a newline and "## ..." added a heading; "[by](http://...)" a
    live link), and no more than that ("snake_case" and "a > b" stay as written)."""
    line = _MARKUP.sub(lambda m: "\\" + m.group(0), " ".join(text.split()))
    start = _BLOCK_START.match(line)
    if start is None:
        return line
    if start.group(0).isdigit():  # "1. FC Köln": the number stays, its stop is escaped
        return line[: start.end()] + "\\" + line[start.end() :]
    return "\\" + line


def _link(label: str, url: str | None) -> str:
    """`[label](url)` for a web or file address (what would end the link encoded), the
    label alone for anything else, or for an address that does not parse."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower() if url else ""
    except ValueError:  # "https://[bad/story": not an address
        scheme = ""
    if not url or scheme not in _LINKED_SCHEMES:
        return label
    return f"[{label}]({quote(url.strip(), safe=_URL_SAFE)})"


def _input_name(name: str) -> str:
    """A failed input as the user gave it: a web address as an autolink (escaping inside
    it would change the address), anything else as plain text."""
    if _BARE_URL.fullmatch(name.strip()):
        return f"<{name.strip()}>"
    return _plain(name)


def _source_line(cluster: Cluster, number: int, copies: dict[str, Article]) -> str:
    source = cluster.sources[number - 1]
    parts = [_link(_plain(source.title or source.article_id), source.url)]
    if source.source:
        parts.append(_plain(source.source))
    if source.published_at:
        parts.append(source.published_at.date().isoformat())
    line = f"{number}. " + " — ".join(parts)
    article = copies.get(source.article_id)
    if article and article.duplicates:  # copies folded into this article: every outlet shown
        # a copy is named by its outlet, or by its title when it has none; the outlet's own
        # copies, and copies titled as the source line is, are counted, not named again
        # ("Local Paper (also: Local Paper)", "Storm hits coast (also: Storm hits coast)")
        shown = {source.source, source.title} - {None, ""}
        names = [d.source or d.title or d.id for d in article.duplicates]
        others = [_plain(n) for n in dict.fromkeys(names) if n not in shown]
        own = sum(1 for n in names if n in shown)
        notes = [f"also: {', '.join(others)}"] if others else []
        if own:
            notes.append(f"{own} more cop{'y' if own == 1 else 'ies'}")
        line += f" ({'; '.join(notes)})"
    return line


def _summary_text(summary: Summary) -> str:
    """The summary with its `[n]` markers, its sentences' own markup escaped."""
    return " ".join(
        _plain(s.text) + "".join(f"[{n}]" for n in s.citations) for s in summary.sentences
    )


def render_markdown(digest: Digest) -> str:
    """One section per story (title, cited summary, notes, numbered sources), then unread inputs."""
    stories = _count(len(digest.clusters), "story", "stories")
    folded = sum(len(a.duplicates) for a in digest.articles)
    folded_in = f" ({_count(folded, 'copy', 'copies')} folded in)" if folded else ""
    articles = _count(len(digest.articles), "article", "articles")
    lines = [f"# Digest: {stories} from {articles}{folded_in}", ""]
    copies = {a.id: a for a in digest.articles}
    for cluster in digest.clusters:
        lines += [f"## {_plain(cluster.title)}", ""]
        if cluster.summary and cluster.summary.sentences:
            lines += [_summary_text(cluster.summary), ""]
        else:
            lines += ["_No summary: the articles had no usable sentences._", ""]
        if cluster.summary and cluster.summary.notes:  # an empty summary's note says why
            lines += [f"> {note}" for note in cluster.summary.notes] + [""]
        if cluster.summary and cluster.summary.backend != EXTRACTIVE:
            lines += [
                f"_Written by {_plain(cluster.summary.backend)}{_spent(cluster.summary)}_",
                "",
            ]
        lines += ["**Sources**", ""]
        lines += [_source_line(cluster, s.number, copies) for s in cluster.sources]
        lines.append("")
    if digest.failures:
        lines += ["## Not read", ""]
        lines += [
            f"- {_input_name(f.input)}: {f.detail or f.reason} (`{f.reason}`)"
            for f in digest.failures
        ]
        lines.append("")
    for warning in digest.warnings:
        lines.append(f"> warning: {warning}")
    if total := llm_usage(digest):
        lines += ["", f"_LLM use: {total}_"]
    return "\n".join(lines).rstrip() + "\n"


def _spent(summary: Summary) -> str:
    """' (1,234 tokens, $0.0012)', or '' for an answer that cost nothing (the cache)."""
    tokens = summary.usage.prompt_tokens + summary.usage.completion_tokens
    if not tokens:
        return " (from the cache)" if any("from the cache" in n for n in summary.notes) else ""
    cost = f", ${summary.usage.cost_usd:.4f}" if summary.usage.cost_usd else ""
    return f" ({tokens:,} tokens{cost})"


def llm_usage(digest: Digest) -> str | None:
    """What the digest's LLM calls spent, in words ('12,345 tokens (11,000 prompt, 1,345
    answer), $0.0123'); None when no model was asked."""
    # a story that fell back to the extractive summary after paid calls counts too
    summaries = [
        c.summary
        for c in digest.clusters
        if c.summary
        and (
            c.summary.backend != EXTRACTIVE
            or c.summary.usage.prompt_tokens
            or c.summary.usage.completion_tokens
        )
    ]
    prompt = sum(s.usage.prompt_tokens for s in summaries)
    answer = sum(s.usage.completion_tokens for s in summaries)
    if not summaries:
        return None
    cost = sum(s.usage.cost_usd or 0.0 for s in summaries)
    unknown = any(s.usage.cost_usd is None for s in summaries)
    priced = (
        f", ${cost:.4f}" + (" and calls of no known price" if unknown else "")
        if cost
        else " (no price known)"
        if prompt
        else ""
    )
    return f"{prompt + answer:,} tokens ({prompt:,} prompt, {answer:,} answer){priced}"


def _count(n: int, one: str, many: str) -> str:
    """'1 story', '3 stories'."""
    return f"{n} {one if n == 1 else many}"
