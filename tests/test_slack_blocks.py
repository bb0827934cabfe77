"""Block Kit rendering: cited links, context lines, notes, and Slack's limits on long digests."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from service.models import Cluster, Digest, InputFailure, Source, Summary, SummarySentence
from service.pipeline.verify import WHERE_DROPPED_ARE_LISTED
from service.slack.blocks import SECTION_CHARS, for_chat, literal, render_digest, render_notice
from tests.fake_slack_api import check_message
from tests.test_slack_inputs import takes_linear_time


def _sources(n: int, *, with_urls: bool = True) -> list[Source]:
    return [
        Source(
            number=i,
            article_id=f"a{i}",
            title=f"Article {i}",
            source=f"Outlet {i}",
            url=f"https://outlet{i}.example/story?id={i}&x=1" if with_urls else None,
            published_at=datetime(2026, 3, i, tzinfo=UTC),
        )
        for i in range(1, n + 1)
    ]


def _cluster(number: int, sentences: list[SummarySentence], sources: list[Source], **kw) -> Cluster:
    return Cluster(
        id=f"c{number}",
        title=kw.pop("title", f"Story number {number}"),
        article_ids=[s.article_id for s in sources],
        sources=sources,
        summary=Summary(sentences=sentences, backend=kw.pop("backend", "extractive"), **kw),
    )


def _digest(clusters: list[Cluster], **kw) -> Digest:
    return Digest(created_at=datetime.now(UTC), clusters=clusters, articles=[], **kw)


def _texts(messages) -> str:
    parts = []
    for message in messages:
        for block in message.blocks:
            if "text" in block:
                parts.append(block["text"]["text"])
            parts += [e["text"] for e in block.get("elements", [])]
    return "\n".join(parts)


def _all_valid(messages) -> None:
    for message in messages:
        assert check_message(message.text, message.blocks) is None
        assert message.text  # the plain-text fallback for notifications


def test_citations_become_numbered_links_and_plain_numbers_without_url():
    sources = _sources(2)
    sources[1] = sources[1].model_copy(update={"url": None})
    sentence = SummarySentence(
        text="Workers & owners <disagree> on pay.", citations=[1, 2], article_ids=["a1", "a2"]
    )
    [message] = render_digest(_digest([_cluster(1, [sentence], sources)]))
    section = next(b for b in message.blocks if b["type"] == "section" and "pay" in str(b))
    assert section["text"]["text"] == (
        "Workers &amp; owners &lt;disagree&gt; on pay."
        "<https://outlet1.example/story?id=1&amp;x=1|[1]>[2]"
    )
    _all_valid([message])


def test_context_line_has_outlets_dates_backend_and_notes():
    sentence = SummarySentence(text="A fact.", citations=[1], article_ids=["a1"])
    cluster = _cluster(
        1,
        [sentence],
        _sources(2),
        backend="gpt-4o-mini",
        prompt="summarize.v1",
        notes=[
            "The LLM backend failed; the extractive fallback wrote this summary.",
            "verifier: dropped 1 of 2 sentence(s)" + WHERE_DROPPED_ARE_LISTED,
        ],
    )
    [message] = render_digest(_digest([cluster]), requested_by="U42")
    text = _texts([message])
    # a chat reader has no JSON digest to look in
    assert ":warning: verifier: dropped 1 of 2 sentence(s)" in text and "JSON" not in text
    assert "Outlet 1, 2026-03-01" in text and "Outlet 2, 2026-03-02" in text
    assert "`gpt-4o-mini, prompt summarize.v1`" in text
    assert ":warning: The LLM backend failed; the extractive fallback" in text
    assert "requested by <@U42>" in text
    assert message.blocks[1]["type"] == "divider"
    assert message.blocks[2] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Story number 1"},
    }


def test_long_summary_is_split_between_sentences_under_3000_chars():
    sentences = [
        SummarySentence(
            text=f"Sentence {i} " + "word " * 60 + "end.", citations=[1], article_ids=["a1"]
        )
        for i in range(20)
    ]
    [message] = render_digest(_digest([_cluster(1, sentences, _sources(1))]))
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"][1:]
    assert len(sections) >= 3
    assert all(len(s) <= SECTION_CHARS for s in sections)
    joined = " ".join(sections)
    assert re.findall(r"Sentence (\d+)", joined) == [str(i) for i in range(20)]
    assert joined.count("|[1]>") == 20  # no link was cut in two
    _all_valid([message])


def test_many_stories_become_several_valid_messages_in_order():
    sentence = SummarySentence(
        text="Something happened " + "today " * 30,
        citations=[1, 2, 3],
        article_ids=["a1", "a2", "a3"],
    )
    clusters = [_cluster(n, [sentence] * 3, _sources(3)) for n in range(1, 41)]
    messages = render_digest(_digest(clusters))
    assert len(messages) > 1
    _all_valid(messages)
    headers = [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "header"]
    assert headers == [f"Story number {n}" for n in range(1, 41)]
    for index, message in enumerate(messages, start=1):
        assert f"(part {index} of {len(messages)})" in message.text
        assert len(message.blocks) <= 50
    # a story is never cut between two messages when it fits in one
    for message in messages:
        kinds = [b["type"] for b in message.blocks]
        assert kinds.count("header") == kinds.count("divider")


def test_one_huge_story_is_split_across_messages_without_breaking_limits():
    sentences = [
        SummarySentence(text=f"Fact {i} " + "detail " * 80, citations=[1], article_ids=["a1"])
        for i in range(150)
    ]
    messages = render_digest(_digest([_cluster(1, sentences, _sources(1), title="T" * 400)]))
    assert len(messages) >= 3
    _all_valid(messages)
    text = _texts(messages)
    assert re.findall(r"Fact (\d+) ", text) == [str(i) for i in range(150)]
    header = next(b for b in messages[0].blocks if b["type"] == "header")
    assert len(header["text"]["text"]) == 150


def test_many_sources_fill_several_context_elements():
    sentence = SummarySentence(
        text="All agree.", citations=list(range(1, 31)), article_ids=[f"a{i}" for i in range(1, 31)]
    )
    sources = [
        s.model_copy(update={"source": "An outlet with a long name " * 5}) for s in _sources(30)
    ]
    messages = render_digest(_digest([_cluster(1, [sentence], sources)]))
    _all_valid(messages)
    assert all(f"|[{n}]>" in _texts(messages) for n in range(1, 31))


def test_failures_and_empty_summaries_are_said_in_plain_words():
    cluster = _cluster(1, [], _sources(1))
    failure = InputFailure(
        input="https://down.example/x", reason="timeout", detail="the page took more than 10 s"
    )
    [message] = render_digest(_digest([cluster], failures=[failure]))
    text = _texts([message])
    assert "No summary: the articles had no usable sentences" in text
    assert "Could not read 1 input" in text
    assert "<https://down.example/x|https://down.example/x>: the page took more than 10 s" in text
    _all_valid([message])


def test_notice_is_escaped_and_within_limits():
    notice = render_notice("bad <input> & " + "x" * 5000)
    _all_valid([notice])
    assert notice.blocks[0]["text"]["text"].startswith(":warning: bad &lt;input&gt; &amp;")
    assert _texts([notice]).count("x") == 5000  # split, nothing lost
    assert notice.text.startswith("bad &lt;input&gt; &amp;")  # the notification text too


def test_a_sentence_citing_many_long_links_is_split_between_links_never_inside_one():
    sources = [
        Source(
            number=i, article_id=f"a{i}", title=f"A{i}", url=f"https://n.example/{'x' * 150}/{i}"
        )
        for i in range(1, 21)
    ]
    words = " ".join(f"word{i}" for i in range(40))
    sentence = SummarySentence(
        text=f"{words} end.",
        citations=list(range(1, 21)),
        article_ids=[s.article_id for s in sources],
    )
    messages = render_digest(_digest([_cluster(1, [sentence], sources)]))
    _all_valid(messages)
    sections = [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"][1:]
    assert len(sections) > 1  # over 3,000 characters: split
    for section in sections:
        assert len(
            re.findall(r"<https://n\.example/x{150}/\d+\|\[\d+\]>", section)
        ) == section.count("<")
    assert f"{words} end." in sections[0]  # the sentence itself stays whole
    assert "".join(sections).count("|[") == 20  # every citation link, once


def test_notification_text_escapes_titles_from_the_web():
    sources = _sources(1)
    sentence = SummarySentence(text="A fact.", citations=[1], article_ids=["a1"])
    [message] = render_digest(_digest([_cluster(1, [sentence], sources, title="AT&T <!channel>")]))
    assert "AT&amp;T &lt;!channel&gt;" in message.text and "<!channel>" not in message.text


def test_mrkdwn_formatting_characters_from_articles_are_shown_as_written():
    """'*the most important decision*' had come out bold, '~weak~' struck through, and an
    outlet named 'Market_Watch *Daily*' half in italics; URLs keep their characters."""
    sources = _sources(1)
    sources[0] = sources[0].model_copy(
        update={"source": "Market_Watch *Daily*", "url": "https://x.example/a_b~c"}
    )
    sentence = SummarySentence(
        text="Analysts called it *the most important decision* and the rally ~weak~.",
        citations=[1],
        article_ids=["a1"],
    )
    [message] = render_digest(_digest([_cluster(1, [sentence], sources, title="Markets *rally*")]))
    texts = _texts([message])
    for marked in ("*the most important decision*", "~weak~", "*Daily*"):
        assert marked not in texts  # each marker has a zero-width space either side
        assert marked in texts.replace("\u200b", "")
    assert "<https://x.example/a_b~c|[1]>" in texts  # the link itself is untouched
    # inside a word Slack formats nothing: a name, or a setting to copy, stays whole
    assert "Market_Watch" in texts
    assert literal("raise DIGEST_LLM_TIMEOUT_S") == "raise DIGEST_LLM_TIMEOUT_S"
    assert literal("at https://x.example/a_b_ :white_check_mark:") == (
        "at https://x.example/a_b_ :white_check_mark:"
    )
    assert "*rally*" not in message.text and "*rally*" in message.text.replace("\u200b", "")
    _all_valid([message])


def test_a_long_name_is_clipped_between_words():
    """A pasted text's source entry had read '... walked out on Monda…'."""
    sources = _sources(1)
    title = "Dock workers at the port of Valmora walked out on Monday over pay and conditions"
    sources[0] = sources[0].model_copy(update={"source": None, "title": title})
    sentence = SummarySentence(text="A fact.", citations=[1], article_ids=["a1"])
    [message] = render_digest(_digest([_cluster(1, [sentence], sources)]))
    assert "walked out on Monday…" in _texts([message])


def test_a_channel_is_not_told_which_server_settings_to_change() -> None:
    from service.slack.blocks import for_chat

    timed_out = "openai/x failed (timed out after 60s (raise DIGEST_LLM_TIMEOUT_S for slow models)); openai/y answered instead"
    assert for_chat(timed_out) == "openai/x failed (timed out after 60s); openai/y answered instead"
    context = (
        "the request was longer than the model's context window (HTTP 400: too long); set "
        "DIGEST_LLM_CONTEXT_TOKENS to the model's real window (8192 tokens, the server says)"
    )
    assert for_chat(context) == (
        "the request was longer than the model's context window (HTTP 400: too long)"
    )
    unreachable = (
        "could not reach the model's server (is it running? check its address: "
        "DIGEST_API_BASE, or --api-base in the CLI): Connection refused"
    )
    assert for_chat(unreachable) == "could not reach the model's server: Connection refused"
    late = "not fetched within the run's 60 s; give fewer URLs, or raise DIGEST_WEB_RUN_TIMEOUT_S"
    assert for_chat(late) == "not fetched within the run's 60 s; give fewer URLs"
    plain = "fell back to the extractive summary (written from the articles)"
    assert for_chat(plain) == plain


def test_digest_warnings_in_the_channel_name_no_settings_or_cli_options() -> None:
    """Story notes were reworded for the channel, the digest's warnings were not: members
    read "DIGEST_API_BASE, or --api-base in the CLI"."""
    from service.slack.blocks import for_chat

    sentence = SummarySentence(text="A fact.", citations=[1], article_ids=["a1"])
    warning = (
        "1 of 1 stories fell back to the extractive summary because openai/x gave no usable "
        "answer; each story's notes say why (the first: could not reach the model's server "
        "(is it running? check its address: DIGEST_API_BASE, or --api-base in the CLI): "
        "Connection refused)"
    )
    [message] = render_digest(_digest([_cluster(1, [sentence], _sources(1))], warnings=[warning]))
    text = _texts([message])
    assert "(the first: could not reach the model's server: Connection refused)" in text
    assert "DIGEST_" not in text and "--api-base" not in text
    furniture = (
        "text-2: nothing but page furniture: no story text is left (give the story's own "
        "text, or pass --skip-invalid to leave such records out)"
    )
    assert for_chat(furniture) == (
        "text-2: nothing but page furniture: no story text is left (give the story's own text)"
    )


APP_KEY = "the app's key for this model is not valid; ask whoever runs the app"


@pytest.mark.parametrize(
    ("note", "shown"),
    [
        (
            "openai/x: authentication failed (HTTP 401): set a valid key in OPENAI_API_KEY",
            f"openai/x: authentication failed (HTTP 401): {APP_KEY}",
        ),
        (
            "anthropic/y: authentication failed (HTTP 401): set a valid key in DIGEST_API_KEY "
            "or ANTHROPIC_API_KEY (the key sent was ANTHROPIC_API_KEY); not asked again for 15 "
            "minutes",
            f"anthropic/y: authentication failed (HTTP 401): {APP_KEY}; not asked again for 15 "
            "minutes",
        ),
        (
            "no model answered: openai/x: authentication failed (HTTP 401): set DIGEST_API_KEY "
            "or the provider's key variable (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...)",
            "no model answered: openai/x: authentication failed (HTTP 401): ask whoever runs "
            "the app to check its key for this model",
        ),
        (
            "access denied (HTTP 403): forbidden; check that the key in GEMINI_API_KEY may use "
            "this model",
            "access denied (HTTP 403): forbidden; the app's key may not use this model; ask "
            "whoever runs the app",
        ),
        (
            "no API key was given for this model: set the key variable of 'anthropic'",
            "no API key was given for this model: ask whoever runs the app to check its key for "
            "this model",
        ),
    ],
    ids=["invalid", "invalid-not-asked-again", "invalid-any-key", "denied", "missing"],
)
def test_a_models_key_is_a_matter_for_whoever_runs_the_app(note, shown):
    """Settings without the DIGEST_ prefix had reached the channel: 'set a valid key in
    ANTHROPIC_API_KEY', to people who cannot set it."""
    assert for_chat(note) == shown
    assert "_API_KEY" not in for_chat(note) and "key variable" not in for_chat(note)


def test_an_options_clause_ends_with_its_sentence_and_a_link_in_brackets_stays():
    """', or pass --skip-invalid ...' had run on to the note's end, and taken the next
    sentence with it; a bracketed link with '--' in its path had been taken for an option."""
    note = "3 records had no text, or pass --skip-invalid to leave them out. The rest were read."
    assert for_chat(note) == "3 records had no text. The rest were read."
    link = "the page moved (https://x.example/--draft/story) on Monday"
    assert for_chat(link) == link
    assert for_chat("it failed (run it again with --verbose) on Monday") == ("it failed on Monday")


@pytest.mark.parametrize(
    "adversarial",
    [
        lambda n: " " * n + "x",  # an option's clause tried from each blank
        lambda n: "(" + "--a " * (n // 4),  # an aside that never closes
        lambda n: " " * n + "(x)",
        lambda n: "or pass --a " * (n // 12),
        lambda n: "; set x" + ": set x" * (n // 7),
        lambda n: "; set DIGEST_A " + "(" * n,
        lambda n: "x, or raise " * (n // 12),
    ],
    ids=[
        "blanks",
        "open-aside",
        "blanks-aside",
        "or-pass",
        "set-clauses",
        "open-asides",
        "choices",
    ],
)
def test_notes_are_worded_for_chat_in_linear_time(adversarial):
    takes_linear_time(for_chat, adversarial)
