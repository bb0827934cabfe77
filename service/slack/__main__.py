"""`python -m service.slack`: run the Slack bot in Socket Mode."""

from service.slack.socket_mode import main

raise SystemExit(main())
