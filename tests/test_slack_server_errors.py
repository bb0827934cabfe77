"""Slack answering with a server error (a 502 page from its edge, its own "internal_error")
is Slack away, not a refusal: the request is tried again after its wait. It had been told to
the asker as "Slack refused to post this digest here (Received a response in a non-JSON
format: <html>...)", and dropped."""

from __future__ import annotations

from slack_sdk import WebClient

from service.slack.app import web_client
from service.slack.delivery import Destination
from tests.fake_slack_api import BOT_TOKEN
from tests.stories import STRIKE_C
from tests.test_slack_backoff import running
from tests.test_slack_durable import (  # noqa: F401  (sqlite_db: a fixture)
    Quoting,
    pasted,
    sqlite_db,
    store_on,
    wait_until,
)
from tests.test_slack_http import embedder, fake, slack_settings  # noqa: F401  (fixtures)


def test_a_server_error_from_slack_is_tried_again_not_told_as_a_refusal(
    fake,  # noqa: F811
    embedder,  # noqa: F811
    sqlite_db,  # noqa: F811
) -> None:
    settings = slack_settings(fake)
    client = WebClient(token=BOT_TOKEN, base_url=web_client(settings).base_url)
    store = store_on(sqlite_db, retry_after_s=(0.3, 0.6))
    fake.server_errors["chat.postMessage"] = 1  # the first post meets a 502
    with running(settings, store, client, Quoting(), embedder) as worker:
        worker.accept(client, pasted(STRIKE_C), Destination("C1", user="U1"))
        posts = fake.wait_for("chat.postMessage", count=2, timeout=15)
        wait_until(lambda: store.count() == 0)
    assert fake.calls_to("chat.postEphemeral") == []  # no "Slack refused ..." to the asker
    assert posts[1].params["channel"] == "C1" and posts[1].params["text"].startswith(
        "Digest: 1 story"
    )


def test_a_refusal_is_still_told_to_the_asker_at_once(
    fake,  # noqa: F811
    embedder,  # noqa: F811
    sqlite_db,  # noqa: F811
) -> None:
    """The other side of the line: a message Slack refuses (here: the channel is archived)
    is no outage, and is not tried again."""
    settings = slack_settings(fake)
    client = WebClient(token=BOT_TOKEN, base_url=web_client(settings).base_url)
    store = store_on(sqlite_db, retry_after_s=(0.3, 0.6))
    fake.refusals["chat.postMessage"] = "is_archived"
    with running(settings, store, client, Quoting(), embedder) as worker:
        worker.accept(client, pasted(STRIKE_C), Destination("C1", user="U1"))
        [told] = fake.wait_for("chat.postEphemeral", timeout=15)
        wait_until(lambda: store.count() == 0)
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert "is_archived" in told.params["text"]
