"""The Slack bot in HTTP mode: signed requests to POST /slack/events of a FastAPI app.

The Bolt app's WebClient talks to the fake Slack Web API on 127.0.0.1; requests are signed
with slack_sdk's real signer, so Bolt's verification really runs. A gated summarizer lets a
test hold the digest while it checks that Slack already got its ack.
"""

from __future__ import annotations

import json
import re
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import service.web
from service.backends.summarizers.base import cite
from service.config import Settings
from service.errors import BackendError, ConfigError
from service.models import Article, InputFailure, Summary
from service.pipeline.sentences import split_sentences
from service.slack import create_slack_app, mount_slack
from service.slack.delivery import TOKEN_ERRORS
from service.slack.worker import DigestWorker
from service.web import Collected
from tests.fake_slack_api import (
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    FakeSlackApi,
    check_message,
    command_body,
    event_payload,
    shortcut_payload,
    signed_headers,
)
from tests.fake_web_server import FakeWeb
from tests.stories import COMET, STRIKE_A, STRIKE_B, STRIKE_C

FORM = "application/x-www-form-urlencoded"
LINK = re.compile(r"<(https://[^|>]+)\|\[(\d+)\]>")
ACK_LIMIT_S = 3.0  # Slack's limit for an answer


class WordHashEmbedder:
    """A fast stand-in for MiniLM where the pipeline is not under test: bag of hashed words."""

    name = "word-hash"

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), 512), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                vectors[row, zlib.crc32(word.encode()) % 512] += 1.0
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


@pytest.fixture(scope="module")
def embedder() -> WordHashEmbedder:
    """Overrides the session's MiniLM: these tests are about Slack, not the pipeline."""
    return WordHashEmbedder()


class GatedSummarizer:
    """A summarizer that waits for the test to open its gate, then quotes each article's
    first `per_article` sentences, each citing its own article (so the verifier keeps them)."""

    name = "gated"

    def __init__(
        self, *, open_: bool = True, error: Exception | None = None, per_article: int = 1
    ) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()
        self.error = error
        self.per_article = per_article
        if open_:
            self.gate.set()

    def summarize(self, articles: list[Article], *, max_words: int) -> Summary:
        self.started.set()
        assert self.gate.wait(30), "the test never opened the gate"
        if self.error:
            raise self.error
        sentences = [
            cite(sentence.text, [article.id], articles)
            for article in articles
            for sentence in split_sentences(article.id, article.text)[: self.per_article]
        ]
        return Summary(sentences=sentences, backend=self.name)


FIRST_B = "Dock workers at the port of Valmora went on strike on Monday, demanding better pay and safety rules."
FIRST_C = "Workers at the port of Valmora started a strike on Monday over pay and safety."


def assert_cited(text: str) -> None:
    """Both first sentences are there, each followed by citations that include its article."""
    for sentence, number in [(FIRST_B, "1"), (FIRST_C, "2")]:
        match = re.search(re.escape(sentence) + r"((?:\[\d\])+)", text)
        assert match and f"[{number}]" in match.group(1), text


def long_article(sentences: int) -> str:
    """A pasted article of many long, distinct sentences."""
    return " ".join(
        f"Item {i} of the harbour plan, reviewed by committee {i % 7}, covers cranes, berths, "
        f"tugs, pilots, customs desks, rail sidings, warehouses and night shifts at dock {i}."
        for i in range(sentences)
    )


@pytest.fixture
def fake() -> Iterator[FakeSlackApi]:
    api = FakeSlackApi().start()
    yield api
    api.stop()


def slack_settings(fake: FakeSlackApi, **fields: object) -> Settings:
    values: dict[str, object] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": "fake-signing-secret",
        "slack_api_base_url": fake.base_url,
    }
    return Settings(_env_file=None, **(values | fields))  # type: ignore[arg-type]


@contextmanager
def slack_http(settings: Settings, **worker_args: object) -> Iterator[TestClient]:
    """A FastAPI app with the Slack bot mounted; waits for background digests on exit."""
    worker = DigestWorker(settings, **worker_args)  # type: ignore[arg-type]
    api = FastAPI()
    mount_slack(api, settings, slack_app=create_slack_app(settings, worker=worker))
    try:
        with TestClient(api) as client:
            yield client
    finally:
        worker.shutdown(wait=True)


def post(client: TestClient, body: str, content_type: str = FORM, **sign: object):
    headers = signed_headers(body, content_type, **sign)  # type: ignore[arg-type]
    return client.post("/slack/events", content=body, headers=headers)


def post_command(client: TestClient, fake: FakeSlackApi, text: str, **sign: object):
    return post(client, command_body(text, response_url=fake.response_url()), **sign)


def post_shortcut(client: TestClient, fake: FakeSlackApi, **payload: object):
    body = "payload=" + quote(
        json.dumps(shortcut_payload(response_url=fake.response_url(), **payload))
    )
    return post(client, body)


def post_event(client: TestClient, event: dict, **headers: str):
    body = json.dumps(event_payload(event))
    return client.post(
        "/slack/events",
        content=body,
        headers=signed_headers(body, "application/json") | headers,
    )


def with_link(text: str, url: str) -> str:
    return f"{text.strip()}\n<{url}>"


def section_texts(call) -> list[str]:
    return [b["text"]["text"] for b in call.params["blocks"] if b["type"] == "section"]


# --- acceptance --------------------------------------------------------------------------


def test_acceptance_signed_digest_of_three_articles_posts_cited_summary(fake):
    """The real default pipeline (local MiniLM + extractive), end to end through Slack."""
    text = "\n---\n".join(
        with_link(story, f"https://{name}.example/valmora-strike")
        for story, name in [(STRIKE_A, "outlet-a"), (STRIKE_B, "outlet-b"), (STRIKE_C, "outlet-c")]
    )
    with slack_http(slack_settings(fake)) as client:
        started = time.monotonic()
        response = post_command(client, fake, text)
        ack_s = time.monotonic() - started
        assert response.status_code == 200
        assert response.text == "Summarizing 3 pasted texts…"
        assert ack_s < ACK_LIMIT_S
        [call] = fake.wait_for("chat.postMessage", timeout=120)
    assert time.monotonic() - started < 120
    assert call.params["channel"] == "C1" and call.token == BOT_TOKEN
    assert check_message(call.params["text"], call.params["blocks"]) is None
    summary = " ".join(section_texts(call)[1:])
    links = LINK.findall(summary)
    assert links, summary
    for url, number in links:  # every citation links to the article it numbers
        outlet = {"1": "outlet-a", "2": "outlet-b", "3": "outlet-c"}[number]
        assert url == f"https://{outlet}.example/valmora-strike"
    assert "Valmora" in summary
    assert "regime" not in summary and "dictator" not in summary  # neutral wording
    assert "from 3 articles" in call.params["text"]
    assert "Summarized by `extractive`" in json.dumps(call.params["blocks"])
    assert len(fake.calls_to("chat.postMessage")) == 1


# --- ack first, work after ---------------------------------------------------------------


def test_ack_arrives_while_the_digest_is_still_running(fake, embedder):
    summarizer = GatedSummarizer(open_=False)
    with slack_http(slack_settings(fake), embedder=embedder, summarizer=summarizer) as client:
        started = time.monotonic()
        response = post_command(client, fake, f"{STRIKE_B}\n---\n{STRIKE_C}")
        assert time.monotonic() - started < ACK_LIMIT_S
        assert response.text == "Summarizing 2 pasted texts…"
        assert summarizer.started.wait(30)  # the digest is running...
        assert fake.calls_to("chat.postMessage") == []  # ...and has not posted yet
        summarizer.gate.set()
        [call] = fake.wait_for("chat.postMessage")
    assert_cited(section_texts(call)[1])
    assert "requested by <@U1>" in section_texts(call)[0]


def test_a_slow_slack_api_never_delays_an_ack(fake, embedder):
    """Bolt had called auth.test on a request until one answered, with a 30 s timeout:
    while Slack's API hung, every command (help too) missed the 3 s deadline."""
    fake.delays = {"auth.test": 5.0}
    summarizer = GatedSummarizer()
    with slack_http(slack_settings(fake), embedder=embedder, summarizer=summarizer) as client:
        for text in ("help", STRIKE_C):
            started = time.monotonic()
            assert post_command(client, fake, text).status_code == 200
            assert time.monotonic() - started < ACK_LIMIT_S
        fake.wait_for("chat.postMessage", timeout=30)


def test_busy_worker_never_delays_an_ack(fake, embedder):
    """More digests than workers: the next command is still acked at once."""
    summarizer = GatedSummarizer(open_=False)
    settings = slack_settings(fake, slack_workers=1)
    with slack_http(settings, embedder=embedder, summarizer=summarizer) as client:
        for _ in range(7):  # more than Bolt's 5 listener threads
            started = time.monotonic()
            assert post_command(client, fake, STRIKE_C).status_code == 200
            assert time.monotonic() - started < ACK_LIMIT_S
        summarizer.gate.set()
        fake.wait_for("chat.postMessage", count=7)


# --- signatures --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sign",
    [
        {"secret": "not-the-signing-secret"},
        {"timestamp": int(time.time()) - 10 * 60},  # correctly signed, but 10 minutes old
    ],
    ids=["bad-signature", "old-timestamp"],
)
def test_bad_signature_or_old_timestamp_is_refused_before_any_work(fake, embedder, sign):
    summarizer = GatedSummarizer()
    with slack_http(slack_settings(fake), embedder=embedder, summarizer=summarizer) as client:
        response = post_command(client, fake, STRIKE_C, **sign)
        unsigned = client.post("/slack/events", content=command_body("x", response_url="u"))
        garbled = client.post(  # Bolt's verifier had raised: a 500 and a traceback
            "/slack/events",
            content=command_body("x", response_url="u"),
            headers={"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=zz"},
        )
        too_long = client.post(  # int() refuses over 4300 digits
            "/slack/events",
            content=command_body("x", response_url="u"),
            headers={"X-Slack-Request-Timestamp": "1" * 5000, "X-Slack-Signature": "v0=zz"},
        )
    assert response.status_code == 401 and unsigned.status_code == 401
    assert garbled.status_code == 401 and garbled.json()["error"] == "invalid_request"
    assert too_long.status_code == 401
    assert not summarizer.started.is_set()
    assert fake.calls == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("{bad", "application/json"), ("payload=%7Bbad", "application/x-www-form-urlencoded")],
)
def test_a_body_that_is_no_slack_request_is_a_400_not_a_500(fake, body, content_type):
    """Bolt parses the body before it checks the signature: anyone's "{bad" had been a 500."""
    with slack_http(slack_settings(fake)) as client:
        answer = client.post(
            "/slack/events",
            content=body,
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": str(int(time.time())),
                "X-Slack-Signature": "v0=zz",
            },
        )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    assert fake.calls == []


def test_url_verification_challenge_is_answered(fake):
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "t"})
    with slack_http(slack_settings(fake)) as client:
        response = post(client, body, "application/json")
    assert response.json() == {"challenge": "abc123"}


# --- what is posted, and where ---------------------------------------------------------


def test_private_option_answers_only_the_caller(fake, embedder):
    with slack_http(
        slack_settings(fake), embedder=embedder, summarizer=GatedSummarizer()
    ) as client:
        post_command(client, fake, f"--private {STRIKE_C}")
        [call] = fake.wait_for("chat.postEphemeral")
    assert call.params["user"] == "U1" and call.params["channel"] == "C1"
    assert "requested by" not in json.dumps(call.params["blocks"])
    assert fake.calls_to("chat.postMessage") == []


def test_bot_not_in_channel_answers_through_the_response_url(fake, embedder):
    fake.member_of = set()
    with slack_http(
        slack_settings(fake), embedder=embedder, summarizer=GatedSummarizer()
    ) as client:
        post_command(client, fake, STRIKE_C)
        [call] = fake.wait_for("response_url")
    assert fake.calls_to("chat.postMessage")[0]  # tried first, refused with not_in_channel
    assert call.params["response_type"] == "in_channel"
    assert FIRST_C in json.dumps(call.params["blocks"])


def test_long_digest_is_split_across_messages_slack_accepts(fake, embedder):
    summarizer = GatedSummarizer(per_article=100)  # quotes all of an article of 19,000 chars
    with slack_http(slack_settings(fake), embedder=embedder, summarizer=summarizer) as client:
        post_command(client, fake, long_article(100))
        fake.wait_for("chat.postMessage", count=2, timeout=60)
        time.sleep(0.5)  # let any further part arrive
    calls = fake.calls_to("chat.postMessage")
    for index, call in enumerate(calls, start=1):
        assert check_message(call.params["text"], call.params["blocks"]) is None
        assert f"(part {index} of {len(calls)})" in call.params["text"]
    items = re.findall(r"Item (\d+) of", " ".join(" ".join(section_texts(c)) for c in calls))
    assert items == [str(i) for i in range(100)]  # every sentence, in order, none lost


# --- thread flows ------------------------------------------------------------------------


def _thread(fake: FakeSlackApi) -> None:
    fake.threads[("C2", "100.000")] = [
        {"type": "message", "user": "U2", "ts": "100.000", "text": STRIKE_B},
        {
            "type": "message",
            "user": "U3",
            "ts": "100.001",
            "thread_ts": "100.000",
            "text": STRIKE_C,
        },
        {  # an earlier digest by our bot: never summarized again
            "type": "message",
            "bot_id": BOT_ID,
            "user": BOT_USER_ID,
            "ts": "100.002",
            "thread_ts": "100.000",
            "text": COMET,
        },
        {
            "type": "message",
            "user": "U1",
            "ts": "100.003",
            "thread_ts": "100.000",
            "text": "<@UBOT> summarize",
        },
    ]


def _assert_thread_digest(fake: FakeSlackApi) -> None:
    [placeholder] = fake.wait_for("chat.postMessage")
    [update] = fake.wait_for("chat.update")
    [replies] = fake.calls_to("conversations.replies")
    assert replies.params["ts"] == "100.000"
    assert placeholder.params["thread_ts"] == "100.000"
    assert placeholder.params["text"] == "Summarizing 2 pasted texts from this thread…"
    assert update.params["ts"] == fake.calls_to("chat.postMessage")[0].params.get(
        "ts", update.params["ts"]
    )
    assert "from 2 articles" in update.params["text"]
    blocks = json.dumps(update.params["blocks"])
    assert_cited(blocks)
    assert "Astronomers" not in blocks  # our bot's earlier message was left out


def test_message_shortcut_digests_the_thread_into_it(fake, embedder):
    _thread(fake)
    summarizer = GatedSummarizer(open_=False)
    with slack_http(slack_settings(fake), embedder=embedder, summarizer=summarizer) as client:
        response = post_shortcut(
            client, fake, channel="C2", message_ts="100.001", thread_ts="100.000"
        )
        assert response.status_code == 200 and response.text == ""
        summarizer.gate.set()
        _assert_thread_digest(fake)


def test_a_thread_over_the_input_limit_digests_its_earliest_posts_and_says_so(fake, embedder):
    _thread(fake)  # two pasted texts, then a mention
    fake.threads[("C2", "100.000")].append(
        {
            "type": "message",
            "user": "U4",
            "ts": "100.004",
            "thread_ts": "100.000",
            "text": "<https://late.example/1>",
        }
    )
    settings = slack_settings(fake, slack_max_inputs=2)
    with slack_http(settings, embedder=embedder, summarizer=GatedSummarizer()) as client:
        post_shortcut(client, fake, channel="C2", message_ts="100.001", thread_ts="100.000")
        [placeholder] = fake.wait_for("chat.postMessage")
        [update] = fake.wait_for("chat.update")
    # the link came last: the two texts posted before it are what is summarized
    assert placeholder.params["text"] == "Summarizing 2 pasted texts from this thread…"
    blocks = json.dumps(update.params["blocks"])
    assert "Only the first 2 of the thread's 3 links and texts were summarized" in blocks
    assert "(the app's limit)" in blocks and "DIGEST_" not in blocks  # no setting's name


def test_when_every_link_fails_the_notice_says_what_the_limit_left_untried(fake, monkeypatch):
    """The digest's "links left out" warning had vanished with the digest: the asker heard
    that 2 links failed, not that others were never tried."""
    monkeypatch.setattr(
        service.web,
        "collect",
        lambda urls, **_: Collected(
            failures=[InputFailure(input=u, reason="timeout", detail="no answer") for u in urls]
        ),
    )
    fake.threads[("C4", "4.0")] = [
        {"type": "message", "user": "U2", "ts": f"4.{i}", "text": f"<https://down.example/{i}>"}
        for i in range(3)
    ]
    with slack_http(slack_settings(fake, slack_max_inputs=2)) as client:
        post_shortcut(client, fake, channel="C4", message_ts="4.0", thread_ts=None)
        [update] = fake.wait_for("chat.update")
    assert "I could not read the 2 links" in update.params["text"]
    assert "1 more link or text in this thread was not tried" in update.params["text"]


def _thread_mention(text: str) -> dict:
    """An app_mention by U1 inside the thread `_thread` posts (C2, root 100.000)."""
    return {
        "type": "app_mention",
        "user": "U1",
        "channel": "C2",
        "ts": "100.003",
        "thread_ts": "100.000",
        "text": text,
    }


def test_app_mention_summarize_digests_the_thread(fake, embedder):
    _thread(fake)
    event = _thread_mention("<@UBOT> summarize please")
    with slack_http(
        slack_settings(fake), embedder=embedder, summarizer=GatedSummarizer()
    ) as client:
        assert post_event(client, event).status_code == 200
        _assert_thread_digest(fake)
        # Slack's retry of the same event is not digested twice
        assert post_event(client, event, **{"X-Slack-Retry-Num": "1"}).status_code == 200
        time.sleep(0.5)
    assert len(fake.calls_to("conversations.replies")) == 1


def test_the_mention_that_asked_is_no_story_of_the_thread(fake, embedder):
    """The request's own words had been read as an article of the thread: a story
    summarized "I missed the morning meeting ..."."""
    _thread(fake)
    request = (
        "<@UBOT> could you please summarize the links in this thread for me? I missed the "
        "morning meeting and I want to catch up on everything the team discussed about the "
        "port before the call tomorrow"
    )
    fake.threads[("C2", "100.000")][3]["text"] = request  # the mention, as the thread holds it
    with slack_http(
        slack_settings(fake), embedder=embedder, summarizer=GatedSummarizer()
    ) as client:
        post_event(client, _thread_mention(request))
        _assert_thread_digest(fake)  # two pasted texts, not three
    assert "I missed" not in json.dumps(fake.calls_to("chat.update")[0].params["blocks"])


def test_an_edited_mention_starts_no_second_digest(fake, embedder):
    """Slack sends an edited "@digest summarize" again, as a new event: a second digest."""
    _thread(fake)
    edited = _thread_mention("<@UBOT> summarize please") | {
        "edited": {"user": "U1", "ts": "100.009"}
    }
    with slack_http(
        slack_settings(fake), embedder=embedder, summarizer=GatedSummarizer()
    ) as client:
        post_event(client, edited)
        post_event(client, _thread_mention("<@UBOT> summarise pls"))
        _assert_thread_digest(fake)
        time.sleep(0.5)  # let a second digest show itself
    assert len(fake.calls_to("conversations.replies")) == 1


@pytest.mark.parametrize("text", ["hi there", "the summary was wrong", "your summary missed it"])
def test_app_mention_without_a_request_gets_usage_shown_to_the_asker_only(fake, text):
    """The usage had been posted in the thread for everyone."""
    event = {
        "type": "app_mention",
        "user": "U1",
        "channel": "C2",
        "ts": "5.0",
        "text": f"<@UBOT> {text}",
    }
    with slack_http(slack_settings(fake)) as client:
        post_event(client, event)
        [call] = fake.wait_for("chat.postEphemeral")
    assert call.params["thread_ts"] == "5.0" and call.params["user"] == "U1"
    assert "/digest" in call.params["text"]
    assert fake.calls_to("conversations.replies") == []
    assert fake.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    "text", ["summary please", "tl;dr", "can you sum up these links?", "recap this thread"]
)
def test_app_mention_asking_in_other_words_digests_the_thread(fake, embedder, text):
    """Only 'summarize' and 'digest' had started a digest; these got the usage text."""
    _thread(fake)
    with slack_http(
        slack_settings(fake), embedder=embedder, summarizer=GatedSummarizer()
    ) as client:
        post_event(client, _thread_mention(f"<@UBOT> {text}"))
        _assert_thread_digest(fake)


def test_thread_without_links_or_text_says_so_to_the_asker(fake):
    fake.threads[("C3", "9.0")] = [
        {"type": "message", "user": "U1", "ts": "9.0", "text": "<@UBOT> summarize"}
    ]
    event = {
        "type": "app_mention",
        "user": "U1",
        "channel": "C3",
        "ts": "9.0",
        "text": "<@UBOT> summarize",
    }
    with slack_http(slack_settings(fake)) as client:
        post_event(client, event)
        [call] = fake.wait_for("chat.postEphemeral")
    assert (call.params["user"], call.params["thread_ts"]) == ("U1", "9.0")
    assert "I found no links or article text in this thread" in call.params["text"]
    assert fake.calls_to("chat.postMessage") == []


@pytest.mark.parametrize("error", sorted(TOKEN_ERRORS))
def test_a_refused_token_on_the_thread_says_to_ask_whoever_runs_the_app(fake, error):
    """It had said "Try again later", which never helps with a revoked token. Every code
    that posting takes for a refused token (one set, `TOKEN_ERRORS`) says so on reading."""
    _thread(fake)
    fake.refusals = {"conversations.replies": error}
    with slack_http(slack_settings(fake)) as client:
        post_shortcut(client, fake, channel="C2", message_ts="100.001", thread_ts="100.000")
        [notice] = fake.wait_for("chat.postEphemeral")
    text = notice.params["text"]
    assert "Slack no longer accepts this app's token" in text
    assert "Ask whoever runs the digest app" in text and "Try again later" not in text


def test_a_refused_notice_is_not_called_a_digest(fake):
    """The follow-up to a refused "no links here" notice had said "Slack refused to post
    this digest here", though no digest was being posted."""
    fake.threads[("C3", "9.0")] = [
        {"type": "message", "user": "U1", "ts": "9.0", "text": "<@UBOT> summarize"}
    ]
    fake.refusals = {"chat.postEphemeral": "ratelimited"}
    mention = {"type": "app_mention", "user": "U1", "channel": "C3", "ts": "9.0"}
    with slack_http(slack_settings(fake)) as client:
        post_event(client, mention | {"text": "<@UBOT> summarize"})
        notice, follow_up = fake.wait_for("chat.postEphemeral", count=2)
    assert "I found no links or article text" in notice.params["text"]
    assert follow_up.params["text"].startswith("Slack refused to post my reply here (ratelimited)")
    assert "digest" not in follow_up.params["text"]


def test_thread_the_bot_cannot_read_says_to_invite_it(fake):
    fake.member_of = set()
    with slack_http(slack_settings(fake)) as client:
        post_shortcut(client, fake, channel="C9", message_ts="7.0", thread_ts=None)
        [call] = fake.wait_for("response_url")
    assert call.params["response_type"] == "ephemeral"
    assert "Invite me with `/invite @digest`" in call.params["text"]


# --- errors in plain words ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "*/digest* turns news links"),
        ("please summarize", "I found no links or article text"),
        ("--loud https://a.example/1", "unknown option --loud"),
        (" ".join(f"<https://a.example/{i}>" for i in range(31)), "one /digest takes at most 30"),
    ],
    ids=["usage", "nothing-found", "bad-option", "too-many"],
)
def test_command_problems_are_answered_in_the_ack_and_nothing_runs(fake, text, expected):
    with slack_http(slack_settings(fake)) as client:
        response = post_command(client, fake, text)
    assert response.status_code == 200
    assert expected in response.text
    assert [c.method for c in fake.calls if c.method != "auth.test"] == []


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (BackendError("the model timed out"), "The summarizer backend failed: the model timed out"),
        (RuntimeError("boom"), "Something went wrong on our side"),
    ],
    ids=["backend-error", "bug"],
)
def test_failed_digest_is_reported_and_the_bot_keeps_working(fake, embedder, error, expected):
    failing = GatedSummarizer(error=error)
    with slack_http(slack_settings(fake), embedder=embedder, summarizer=failing) as client:
        post_command(client, fake, STRIKE_C)
        [call] = fake.wait_for("chat.postEphemeral")
        failing.error = None
        post_command(client, fake, STRIKE_C)  # the next request still works
        fake.wait_for("chat.postMessage")
    assert expected in call.params["text"] and "boom" not in call.params["text"]


def test_links_are_fetched_from_the_web_and_failures_reported(fake, embedder, tmp_path):
    """The real web collector, against the fake news web on 127.0.0.1 (allowlisted)."""
    settings = slack_settings(
        fake, web_allowlist=["127.0.0.1"], data_dir=tmp_path, web_total_timeout_s=5
    )
    with (
        FakeWeb() as web,
        slack_http(settings, embedder=embedder, summarizer=GatedSummarizer()) as client,
    ):
        text = f"<{web.url('/article')}|tram> and <{web.url('/missing')}>"
        assert post_command(client, fake, text).text == "Summarizing 2 links…"
        [call] = fake.wait_for("chat.postMessage", timeout=30)
    blocks = json.dumps(call.params["blocks"])
    assert f"<{web.url('/article')}|[1]>" in blocks  # the citation links to the page
    assert "Council approves eastern tram extension" in blocks
    assert "Riverside Gazette, 2024-05-14" in blocks  # outlet and date from the page
    assert "Could not read 1 input" in blocks and web.url("/missing") in blocks


def test_links_are_collected_and_unreadable_ones_reported(fake, embedder, monkeypatch):
    seen: list[list[str]] = []

    def collect(urls, *, settings=None, **_):
        seen.append(list(urls))
        return Collected(
            articles=[
                Article(id="u1", title="Strike", text=STRIKE_B, url=urls[0], source="Outlet B")
            ],
            failures=[
                InputFailure(
                    input=urls[1], reason="http_404", detail="the page was not found (404)"
                )
            ],
        )

    monkeypatch.setattr(service.web, "collect", collect)
    text = "<https://b.example/strike|strike> and https://gone.example/x?a=1&amp;b=2"
    with slack_http(
        slack_settings(fake), embedder=embedder, summarizer=GatedSummarizer()
    ) as client:
        assert post_command(client, fake, text).text == "Summarizing 2 links…"
        [call] = fake.wait_for("chat.postMessage")
    assert seen == [["https://b.example/strike", "https://gone.example/x?a=1&b=2"]]
    blocks = json.dumps(call.params["blocks"])
    assert "<https://b.example/strike|[1]>" in blocks
    assert "Could not read 1 input" in blocks and "the page was not found (404)" in blocks


def test_no_link_could_be_read_says_so(fake, monkeypatch):
    failure = InputFailure(
        input="https://down.example/a", reason="timeout", detail="no answer in 10 s"
    )
    monkeypatch.setattr(service.web, "collect", lambda urls, **_: Collected(failures=[failure]))
    with slack_http(slack_settings(fake)) as client:
        post_command(client, fake, "https://down.example/a")
        [call] = fake.wait_for("chat.postEphemeral")
    assert "I could not read the link" in call.params["text"]
    assert "https://down.example/a: no answer in 10 s" in call.params["text"]


def test_a_pasted_text_that_cannot_be_an_article_is_listed_like_a_link(fake, embedder):
    """A pasted text that cleaned away to nothing, or too big, had vanished: the ack said
    "2 pasted texts" and the digest "1 article" with no word about the other."""
    junk = " ".join(["|| -- ** ##"] * 10)
    big = "Words of a long text. " * 60
    settings = slack_settings(fake, max_article_bytes=1000)
    with slack_http(settings, embedder=embedder, summarizer=GatedSummarizer()) as client:
        ack = post_command(client, fake, f"{STRIKE_C}\n---\n{junk}\n---\n{big}").text
        [call] = fake.wait_for("chat.postMessage")
        post_command(client, fake, junk)
        [alone] = fake.wait_for("chat.postEphemeral")
    assert ack == "Summarizing 3 pasted texts…"
    blocks = json.dumps(call.params["blocks"])
    assert "Could not read 2 inputs" in blocks
    assert "pasted text 2" in blocks and "pasted text 3" in blocks
    assert "over 1,000 bytes: paste a shorter text" in blocks
    assert "I could not read that text" in alone.params["text"]
    assert (
        "pasted text 1" in alone.params["text"] and "pages are public" not in alone.params["text"]
    )


# --- configuration -----------------------------------------------------------------------


def test_mount_is_a_no_op_without_slack_settings_and_strict_when_half_set(fake):
    api = FastAPI()
    mount_slack(api, Settings(_env_file=None))
    assert TestClient(api).post("/slack/events").status_code == 404
    with pytest.raises(ConfigError) as no_secret:
        mount_slack(api, Settings(_env_file=None, slack_bot_token=BOT_TOKEN))
    assert "set DIGEST_SLACK_SIGNING_SECRET" in no_secret.value.user_message
    with pytest.raises(ConfigError) as no_token:
        mount_slack(api, Settings(_env_file=None, slack_signing_secret="s"))
    assert "set DIGEST_SLACK_BOT_TOKEN" in no_token.value.user_message
    socket_mode_only = Settings(_env_file=None, slack_bot_token=BOT_TOKEN, slack_app_token="x")
    mount_slack(api, socket_mode_only)  # the Socket Mode process serves Slack: no route
    assert TestClient(api).post("/slack/events").status_code == 404
    mount_slack(api, slack_settings(fake))
    assert TestClient(api).post("/slack/events").status_code == 401  # mounted, unsigned
    assert "/slack/events" not in json.dumps(api.openapi())  # not part of the public API


def test_the_api_app_serves_slack_at_slack_events(fake, tmp_path):
    """create_app mounts the bot when DIGEST_SLACK_* are set; its middleware lets Slack in."""
    from service.api import create_app

    settings = slack_settings(fake, allow_open_access=True, data_dir=tmp_path)
    with TestClient(create_app(settings, warm_up=lambda: None)) as client:
        usage = post_command(client, fake, "help")
        unsigned = client.post("/slack/events", content=command_body("help", response_url="u"))
        schema = client.get("/openapi.json").text
    assert usage.status_code == 200 and "*/digest* turns news links" in usage.text
    assert unsigned.status_code == 401
    assert "/slack/events" not in schema


def test_refused_bot_token_is_a_config_error(fake):
    settings = slack_settings(fake, slack_bot_token="xoxb-wrong")
    with pytest.raises(ConfigError) as refused:
        create_slack_app(settings, verify_token=True)
    assert refused.value.user_message == (
        "Slack refused the bot token (check DIGEST_SLACK_BOT_TOKEN: the Bot User OAuth Token, "
        "xoxb-...)"
    )


# --- when Slack or the worker gets in the way ----------------------------------------------


def test_deleted_placeholder_means_the_digest_is_posted_anew(fake, embedder):
    _thread(fake)
    summarizer = GatedSummarizer(open_=False)
    with slack_http(slack_settings(fake), embedder=embedder, summarizer=summarizer) as client:
        post_shortcut(client, fake, channel="C2", message_ts="100.001", thread_ts="100.000")
        assert summarizer.started.wait(30)
        fake.messages.clear()  # someone deleted the "Summarizing..." message meanwhile
        summarizer.gate.set()
        placeholder, answer = fake.wait_for("chat.postMessage", count=2)
    [update] = fake.calls_to("chat.update")  # tried, answered message_not_found
    assert placeholder.params["text"].startswith("Summarizing")
    assert answer.params["thread_ts"] == "100.000"
    assert_cited(json.dumps(answer.params["blocks"]))


@pytest.mark.parametrize("delete_refused", [False, True], ids=["deleted", "delete-refused"])
def test_a_placeholder_slack_will_not_update_is_deleted_once_the_answer_is_posted(
    fake, embedder, delete_refused
):
    """Rate limited past the SDK's retries, chat.update failed and the digest was posted
    anew, below a "Summarizing ..." that stayed; a refused delete changes nothing else."""
    _thread(fake)
    fake.refusals = {"chat.update": "ratelimited"}
    if delete_refused:
        fake.refusals["chat.delete"] = "ratelimited"
    with slack_http(
        slack_settings(fake), embedder=embedder, summarizer=GatedSummarizer()
    ) as client:
        post_shortcut(client, fake, channel="C2", message_ts="100.001", thread_ts="100.000")
        placeholder, answer = fake.wait_for("chat.postMessage", count=2)
        [delete] = fake.wait_for("chat.delete")
        time.sleep(0.3)  # a refusal notice, if any, would come now
    [update] = fake.calls_to("chat.update")
    assert delete.params["ts"] == update.params["ts"]  # the placeholder's
    assert_cited(json.dumps(answer.params["blocks"]))
    shown = [str(m["text"]) for m in fake.messages.values()]
    assert any(text.startswith("Summarizing") for text in shown) == delete_refused
    assert fake.calls_to("chat.postEphemeral") == []  # the answer is there: nothing to tell


CHINESE = (
    "瓦尔莫拉港的码头工人周一举行罢工，要求提高工资和改善安全规定。港口官员表示，罢工导致约"
    "40艘集装箱船停止装货。工会要求加薪百分之十二，并在去年发生两起事故后进行新的安全检查。"
)


def test_a_pasted_chinese_article_is_summarized(fake, embedder):
    """Its words had been counted by spaces: 'I found no links or article text'."""
    with slack_http(
        slack_settings(fake), embedder=embedder, summarizer=GatedSummarizer()
    ) as client:
        ack = post_command(client, fake, CHINESE).text
        [call] = fake.wait_for("chat.postMessage")
        short = post_command(client, fake, "瓦尔莫拉港的码头工人周一举行罢工，要求提高工资。").text
    assert ack == "Summarizing 1 pasted text…"
    assert "瓦尔莫拉港的码头工人周一举行罢工" in json.dumps(
        call.params["blocks"], ensure_ascii=False
    )
    assert "That text is too short to summarize (14 words" in short


def test_a_busy_worker_tells_the_asker_at_once_and_refuses_past_its_queue(fake, embedder):
    _thread(fake)
    summarizer = GatedSummarizer(open_=False)
    settings = slack_settings(fake, slack_workers=1)
    with slack_http(settings, embedder=embedder, summarizer=summarizer) as client:
        post_command(client, fake, STRIKE_C)
        assert summarizer.started.wait(30)  # the one worker is now held
        queued = post_command(client, fake, STRIKE_B).text
        post_shortcut(client, fake, channel="C2", message_ts="100.001", thread_ts="100.000")
        [notice] = fake.wait_for("chat.postEphemeral")
        for _ in range(8):
            post_command(client, fake, STRIKE_C)
        refused = post_command(client, fake, STRIKE_C).text  # 1 running, 10 waiting
        summarizer.gate.set()
        fake.wait_for("chat.postMessage", count=11, timeout=60)  # 10 digests + a placeholder
    assert (
        queued
        == "Summarizing 1 pasted text… Yours is queued behind another digest; it will appear here when done."
    )
    assert notice.params["user"] == "U1" and notice.params["thread_ts"] == "100.000"
    assert "queued behind 2 other digests" in notice.params["text"]
    assert "can't take another" in refused


def test_response_url_gets_at_most_five_posts_the_last_says_how_to_get_all(fake, embedder):
    fake.member_of = set()
    summarizer = GatedSummarizer(per_article=400)
    with slack_http(slack_settings(fake), embedder=embedder, summarizer=summarizer) as client:
        post_command(client, fake, long_article(400))
        posts = fake.wait_for("response_url", count=5, timeout=60)
        time.sleep(0.5)  # let any further post arrive
    assert len(fake.calls_to("response_url")) == 5
    assert "(part 4 of" in posts[3].params["text"]
    assert "Invite me with `/invite @digest`" in posts[4].params["text"]


def test_too_short_text_and_gone_threads_get_specific_answers(fake):
    with slack_http(slack_settings(fake)) as client:
        short = post_command(
            client, fake, "The port strike ended today after a long night of talks"
        ).text
        post_shortcut(client, fake, channel="C7", message_ts="3.0", thread_ts=None)
        [gone] = fake.wait_for("chat.postEphemeral")
    assert "too short to summarize (11 words" in short
    assert "I can't find that thread any more" in gone.params["text"]


@pytest.mark.parametrize(
    "error", ["restricted_action", "restricted_action_read_only_channel", "token_revoked"]
)
def test_a_refused_post_reaches_the_asker_through_the_response_url(fake, embedder, error, caplog):
    """An announcement-only channel refuses the bot; the answer went nowhere, though the
    command's response_url needs no right to post (nor a valid token)."""
    fake.refusals = {"chat.postMessage": error}
    with slack_http(
        slack_settings(fake), embedder=embedder, summarizer=GatedSummarizer()
    ) as client:
        post_command(client, fake, STRIKE_C)
        [call] = fake.wait_for("response_url")
    assert FIRST_C in json.dumps(call.params["blocks"])
    # a refused token is no one's channel problem: the operator's log says what to set
    told = "set DIGEST_SLACK_BOT_TOKEN" in caplog.text
    assert told == (error == "token_revoked")


def test_a_refused_mention_answer_is_explained_to_the_asker(fake, embedder):
    _thread(fake)
    fake.refusals = {"chat.postMessage": "restricted_action"}
    event = _thread_mention("<@UBOT> summarize")
    with slack_http(
        slack_settings(fake), embedder=embedder, summarizer=GatedSummarizer()
    ) as client:
        post_event(client, event)
        [notice] = fake.wait_for("chat.postEphemeral")
    assert notice.params["user"] == "U1"
    assert "restricted_action" in notice.params["text"] and "--private" in notice.params["text"]


def test_one_event_is_answered_once_and_a_redelivery_of_a_lost_one_is_answered(fake, embedder):
    """Slack redelivers after a failed delivery (`http_error`: the service restarting);
    that copy is the only one. The same event id twice is one digest."""
    _thread(fake)
    event = _thread_mention("<@UBOT> summarize")
    body = json.dumps(event_payload(event))
    with slack_http(
        slack_settings(fake), embedder=embedder, summarizer=GatedSummarizer()
    ) as client:
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
        for extra in (retry, {}):  # the lost first delivery's redelivery, then a duplicate
            headers = signed_headers(body, "application/json") | extra
            assert client.post("/slack/events", content=body, headers=headers).status_code == 200
        _assert_thread_digest(fake)
        time.sleep(0.5)
    assert len(fake.calls_to("conversations.replies")) == 1


def test_queued_and_busy_notices_are_posted_off_the_listener_thread(monkeypatch):
    """The SDK sleeps through Slack's rate limits; posting the "queued" notice on Bolt's
    listener thread held the next /digest's ack past Slack's 3 seconds."""
    from service.slack import listeners
    from service.slack import worker as worker_module

    posted: list[str] = []
    done = threading.Event()

    def slow_deliver(client, messages, destination, **_):
        time.sleep(0.3)  # a rate-limited Slack
        posted.append(threading.current_thread().name)
        done.set()
        return True

    monkeypatch.setattr(worker_module, "deliver", slow_deliver)
    worker = worker_module.DigestWorker(Settings(_env_file=None, slack_workers=1))
    gate = threading.Event()
    worker.submit(gate.wait)  # the one worker is busy
    try:
        started = time.monotonic()
        destination = listeners.Destination(channel="C1", user="U1", thread_ts="1.0")
        monkeypatch.setattr(worker, "summarize_thread", lambda *a, **k: None)
        listeners._digest_thread(worker, None, "1.0", destination, skip_bots=set())
        assert time.monotonic() - started < 0.2  # the listener did not wait for Slack
        assert done.wait(5) and posted[0].startswith("slack-notice")
    finally:
        gate.set()
        worker.shutdown()


def test_a_message_slack_finds_wrong_is_not_resent_elsewhere_and_the_asker_is_told(fake, embedder):
    """Only refusals about where the bot posts go to the response_url; one about the
    message itself would be refused there too, and the asker heard nothing."""
    fake.refusals = {"chat.postMessage": "invalid_blocks"}
    with slack_http(
        slack_settings(fake), embedder=embedder, summarizer=GatedSummarizer()
    ) as client:
        post_command(client, fake, STRIKE_C)
        [notice] = fake.wait_for("chat.postEphemeral")
    assert "invalid_blocks" in notice.params["text"]
    assert fake.calls_to("response_url") == []
