"""``python -m botkit_slack.emulator``: run a local Slack until Ctrl-C."""

import sys

from .cli import main

sys.exit(main())
