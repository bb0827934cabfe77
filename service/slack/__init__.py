"""The Slack front door: a Bolt app that parses requests, calls the pipeline, renders blocks.

`create_slack_app(settings)` builds the app; `mount_slack(fastapi_app, settings)` serves it
at POST /slack/events (HTTP mode); `python -m service.slack` runs it in Socket Mode.
"""

from service.slack.app import create_slack_app
from service.slack.mount import mount_slack, slack_configured

__all__ = ["create_slack_app", "mount_slack", "slack_configured"]
