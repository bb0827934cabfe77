"""The Slack app manifest matches what the listeners handle, so an install works as-is."""

from __future__ import annotations

from pathlib import Path

import yaml

from service.slack.listeners import COMMAND, THREAD_SHORTCUT
from service.slack.mount import EVENTS_PATH

MANIFEST = Path(__file__).resolve().parent.parent / "slack" / "manifest.yml"


def test_manifest_declares_the_command_shortcut_event_and_scopes_we_use():
    manifest = yaml.safe_load(MANIFEST.read_text())
    features = manifest["features"]
    [command] = features["slash_commands"]
    assert command["command"] == COMMAND
    assert command["should_escape"] is True  # links arrive as <https://...>
    [shortcut] = features["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", THREAD_SHORTCUT)
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["bot_events"] == ["app_mention"]
    urls = [
        command["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ]
    assert all(url.endswith(EVENTS_PATH) for url in urls)
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = {"commands", "chat:write", "app_mentions:read", "channels:history", "groups:history"}
    assert needed <= scopes
