"""Posting rendered messages to Slack: where they go, and what to do when Slack says no.

In: SlackMessages and a Destination. Out: chat.update of a placeholder, then
chat.postMessage (or chat.postEphemeral) for the rest, in the thread when there is one.
When the bot is not in the channel (`not_in_channel`, `channel_not_found`) and Slack gave
a `response_url` (slash commands, shortcuts), the messages go through it instead, which
needs no membership. Slack errors are logged, never raised: a listener must not crash.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from service.slack.blocks import SlackMessage

log = logging.getLogger(__name__)

_NOT_MEMBER = {"not_in_channel", "channel_not_found", "is_archived"}


@dataclass(frozen=True)
class Destination:
    """Where a request's answer goes."""

    channel: str
    user: str | None = None
    thread_ts: str | None = None
    ephemeral: bool = False
    response_url: str | None = None
    placeholder_ts: str | None = None  # a "Summarizing..." message the first answer replaces

    def private(self) -> Destination:
        """The same place, seen only by the user who asked (for errors of a slash command)."""
        if self.placeholder_ts or not self.user:
            return self
        return replace(self, ephemeral=True)


def post_placeholder(client: WebClient, destination: Destination, text: str) -> Destination:
    """Post a status message to replace later; the destination, with it when it was posted."""
    if destination.ephemeral:
        return destination  # ephemeral messages cannot be updated through the Web API
    try:
        response = client.chat_postMessage(
            channel=destination.channel, thread_ts=destination.thread_ts, text=text
        )
    except SlackApiError as exc:
        log.warning("could not post the status message: %s", exc.response.get("error"))
        return destination
    return replace(destination, placeholder_ts=str(response["ts"]))


def deliver(client: WebClient, messages: list[SlackMessage], destination: Destination) -> bool:
    """Post `messages` in order; True when all of them reached Slack."""
    for index, message in enumerate(messages):
        try:
            _post(client, message, destination, replace_placeholder=index == 0)
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            if error in _NOT_MEMBER and destination.response_url:
                return _deliver_by_response_url(messages[index:], destination)
            log.error("Slack refused a message (%s) for channel %s", error, destination.channel)
            return False
    return True


def _post(
    client: WebClient, message: SlackMessage, dest: Destination, *, replace_placeholder: bool
) -> None:
    if replace_placeholder and dest.placeholder_ts:
        client.chat_update(
            channel=dest.channel, ts=dest.placeholder_ts, text=message.text, blocks=message.blocks
        )
    elif dest.ephemeral and dest.user:
        client.chat_postEphemeral(
            channel=dest.channel,
            user=dest.user,
            thread_ts=dest.thread_ts,
            text=message.text,
            blocks=message.blocks,
        )
    else:
        client.chat_postMessage(
            channel=dest.channel,
            thread_ts=dest.thread_ts,
            text=message.text,
            blocks=message.blocks,
            unfurl_links=False,  # citation links would otherwise unfurl into page previews
            unfurl_media=False,
        )


def _deliver_by_response_url(messages: list[SlackMessage], destination: Destination) -> bool:
    assert destination.response_url is not None
    webhook = WebhookClient(destination.response_url)
    kind = "ephemeral" if destination.ephemeral else "in_channel"
    for message in messages:
        response = webhook.send(
            text=message.text,
            blocks=message.blocks,
            response_type=kind,
            replace_original=False,
            unfurl_links=False,
            unfurl_media=False,
        )
        if response.status_code != 200:
            log.error("response_url refused a message: %s %s", response.status_code, response.body)
            return False
    return True
