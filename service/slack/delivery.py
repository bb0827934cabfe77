"""Posting rendered messages to Slack: where they go, and what to do when Slack says no.

In: SlackMessages and a Destination. Out: chat.update of a placeholder, then
chat.postMessage (or chat.postEphemeral) for the rest, in the thread when there is one.
When Slack refuses a post (the bot is not in the channel, an announcement-only channel,
rate limits past the SDK's retries) and gave a `response_url` (slash commands, shortcuts),
the rest goes through it instead, which needs no membership; without one, the asker is
told privately why. If the placeholder cannot be updated (deleted meanwhile, rate limits),
the answer is posted as a new message, and the placeholder deleted when still there. A
`response_url` takes at most `RESPONSE_URL_POSTS` posts, so a longer digest sent that way
ends with a note on how to get the rest. Slack errors are logged and, where a message can
still reach the user, told to them; never raised: a listener must not crash.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from service.slack.blocks import SlackMessage, render_notice

log = logging.getLogger(__name__)

_NOT_MEMBER = {"not_in_channel", "channel_not_found", "is_archived"}
_ELSEWHERE = (
    "Only some members may post in this channel: ask in another channel, or use "
    "`/digest --private`."
)
_SLOWER = "Slack is limiting how fast I may post: try again in a minute."
_INVITE = "Invite me with `/invite @digest`, then try again."
_PERMISSION = "The app lacks a permission here: ask whoever installed it."
# The token itself refused: no Web API call can tell the asker, but a command's or a
# shortcut's reply address needs no token, and the operator's log says what to do. One set
# for posting and for reading a thread (`worker`), so neither misses a code the other knows
TOKEN_ERRORS = frozenset(
    {"invalid_auth", "token_revoked", "token_expired", "account_inactive", "not_authed"}
)
# Refusals about where the bot posts, not what, and what the asker can do about each
_WHAT_TO_DO = {
    "restricted_action": _ELSEWHERE,
    "restricted_action_read_only_channel": _ELSEWHERE,  # announcement-only channels
    "restricted_action_thread_only_channel": "This channel takes only replies in threads: "
    "use the message shortcut in a thread, or `/digest --private`.",
    "restricted_action_non_threadable_channel": "I cannot answer in a thread here: use "
    "`/digest` in the channel, or `/digest --private`.",
    "no_permission": _PERMISSION,
    "team_access_not_granted": _PERMISSION,
    "ratelimited": _SLOWER,
    "rate_limited": _SLOWER,
    "not_in_channel": _INVITE,
    "channel_not_found": _INVITE,
    "is_archived": "The channel is archived: ask in another one.",
}
# ... which the request's response_url can still answer (it needs no membership)
_CHANNEL_REFUSALS = set(_WHAT_TO_DO) | {"user_not_in_channel"} | TOKEN_ERRORS
# Slack's own words for a failure on its side (https://api.slack.com/web#errors)
_SERVER_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
RESPONSE_URL_POSTS = 5  # Slack's limit per response_url (within 30 minutes)
DIGEST = "this digest"  # what `deliver` posts, as the note on a refusal names it
REPLY = "my reply"  # a notice: an error, "queued", the usage


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


def deliver(
    client: WebClient,
    messages: list[SlackMessage],
    destination: Destination,
    *,
    what: str = DIGEST,
) -> bool:
    """Post `messages` in order; True when all of them reached Slack. `what` they are
    (`DIGEST`, `REPLY`) is named to the asker when Slack refuses them."""
    for index, message in enumerate(messages):
        try:
            if index == 0 and destination.placeholder_ts:
                destination = _replace_placeholder(client, message, destination)
            else:
                _post(client, message, destination)
        except SlackApiError as exc:
            if is_outage(exc):
                raise  # not a refusal: the worker tries the request again after a wait
            error = str(exc.response.get("error"))
            log.error("Slack refused a message (%s) for channel %s", error, destination.channel)
            if error in TOKEN_ERRORS:
                log.error(
                    "Slack refused the bot token (%s): set DIGEST_SLACK_BOT_TOKEN to the app's "
                    "current Bot User OAuth Token (xoxb-...) and restart",
                    error,
                )
            if destination.response_url and error in _CHANNEL_REFUSALS:
                # needs no membership and no right to post; a message Slack finds wrong
                # (invalid_blocks, msg_too_long) would be refused there too
                if _deliver_by_response_url(messages[index:], destination, error):
                    return True
            _tell_refused(client, destination, index, len(messages), error, what=what)
            return False
    return True


def is_outage(error: SlackApiError) -> bool:
    """Whether Slack answered with a server error (a 5xx, often a proxy's HTML page, or its
    own `internal_error`...): Slack away, not refusing the message. Such an answer had been
    told to the asker as "Slack refused to post this digest here (Received a response in a
    non-JSON format: <html>...)", and the request dropped."""
    status = getattr(error.response, "status_code", 200) or 200
    return status >= 500 or str(error.response.get("error")) in _SERVER_ERRORS


def _replace_placeholder(
    client: WebClient, message: SlackMessage, destination: Destination
) -> Destination:
    """Update the "Summarizing..." message with `message`; post it anew when that message is
    gone or can no longer be edited (then the placeholder, when still there, is deleted:
    "Summarizing ..." had stayed above the answer). The destination for the rest."""
    try:
        client.chat_update(
            channel=destination.channel,
            ts=destination.placeholder_ts,
            text=message.text,
            blocks=message.blocks,
        )
        return destination
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        if error in _NOT_MEMBER or is_outage(exc):
            raise
        log.warning("could not update the status message (%s); posting the answer anew", error)
    fresh = replace(destination, placeholder_ts=None)
    _post(client, message, fresh)
    if error != "message_not_found":
        _delete_placeholder(client, destination)
    return fresh


def _delete_placeholder(client: WebClient, destination: Destination) -> None:
    """Delete the "Summarizing..." message; a refusal is logged, the answer is posted."""
    try:
        client.chat_delete(channel=destination.channel, ts=destination.placeholder_ts)
    except SlackApiError as exc:
        log.warning("could not delete the status message: %s", exc.response.get("error"))


def _tell_refused(
    client: WebClient,
    destination: Destination,
    index: int,
    total: int,
    error: str,
    *,
    what: str,
) -> None:
    """Part `index + 1` of `total` of `what` was refused: say so to whoever asked, only to
    them, if Slack lets us (an announcement-only channel refuses the bot, not a private
    note). A refused notice is named as one: "this digest" had been said of an error."""
    if not destination.user:
        return
    if index == 0:
        text = f"Slack refused to post {what} here ({error}). " + _WHAT_TO_DO.get(
            error, "Try again in a few minutes."
        )
    else:
        text = (
            f"Slack refused part {index + 1} of {total} of {what} ({error}), so the rest "
            "is missing. Ask again, or ask for fewer links at a time."
        )
    try:
        _post(
            client, render_notice(text), replace(destination, ephemeral=True, placeholder_ts=None)
        )
    except SlackApiError as exc:
        log.error("could not tell the user that Slack refused: %s", exc.response.get("error"))


def _post(client: WebClient, message: SlackMessage, dest: Destination) -> None:
    if dest.ephemeral and dest.user:
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


def _deliver_by_response_url(
    messages: list[SlackMessage], destination: Destination, error: str
) -> bool:
    """The rest of the answer through the request's response_url, after the Web API
    refused it with `error`."""
    assert destination.response_url is not None
    webhook = WebhookClient(destination.response_url)
    kind = "ephemeral" if destination.ephemeral else "in_channel"
    if len(messages) > RESPONSE_URL_POSTS:
        kept = RESPONSE_URL_POSTS - 1
        why = (
            "because I am not a member of this channel. Invite me with `/invite @digest` to "
            "get whole digests, or ask for fewer links at a time"
            if error in _NOT_MEMBER
            else f"because Slack refused my posts ({error}). Ask for fewer links at a time"
        )
        messages = messages[:kept] + [
            render_notice(
                f"This digest has {len(messages)} parts, and Slack lets me send only {kept} "
                f"here {why}."
            )
        ]
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
