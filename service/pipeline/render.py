"""Rendering a Digest for people: Markdown with `[n]` markers and a numbered source list."""

from __future__ import annotations

from service.models import Cluster, Digest


def _source_line(cluster: Cluster, number: int) -> str:
    source = cluster.sources[number - 1]
    label = source.title or source.article_id
    parts = [f"[{label}]({source.url})" if source.url else label]
    if source.source:
        parts.append(source.source)
    if source.published_at:
        parts.append(source.published_at.date().isoformat())
    return f"{number}. " + " — ".join(parts)


def render_markdown(digest: Digest) -> str:
    """One section per story (title, cited summary, notes, numbered sources), then unread inputs."""
    stories = _count(len(digest.clusters), "story", "stories")
    lines = [f"# Digest: {stories} from {_count(len(digest.articles), 'article', 'articles')}", ""]
    for cluster in digest.clusters:
        lines += [f"## {cluster.title}", ""]
        if cluster.summary and cluster.summary.sentences:
            lines += [cluster.summary.text, ""]
        else:
            lines += ["_No summary: the articles had no usable sentences._", ""]
        if cluster.summary and cluster.summary.notes:  # an empty summary's note says why
            lines += [f"> {note}" for note in cluster.summary.notes] + [""]
        lines += ["**Sources**", ""]
        lines += [_source_line(cluster, s.number) for s in cluster.sources]
        lines.append("")
    if digest.failures:
        lines += ["## Not read", ""]
        lines += [f"- {f.input}: {f.detail or f.reason} (`{f.reason}`)" for f in digest.failures]
        lines.append("")
    for warning in digest.warnings:
        lines.append(f"> warning: {warning}")
    return "\n".join(lines).rstrip() + "\n"


def _count(n: int, one: str, many: str) -> str:
    """'1 story', '3 stories'."""
    return f"{n} {one if n == 1 else many}"
