"""``botkit run app.py --adapter slack [--http PORT] [--emulator]``: the bot in Slack.

Tokens come from the environment: ``SLACK_BOT_TOKEN`` plus ``SLACK_APP_TOKEN`` (Socket Mode)
or ``SLACK_SIGNING_SECRET`` with ``--http PORT`` (Events API); ``SLACK_API_URL`` points at
another Slack. ``--emulator`` starts a local Slack in the same process instead, connects the
bot to it and lets you talk to it from this terminal (or with curl).

The work lives in :mod:`botkit_slack.serve` (production) and
:mod:`botkit_slack.emulator.terminal` (the emulator session); this module keeps the names the
CLI calls, and imports the emulator only when asked for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import TYPE_CHECKING, Any

from botkit_slack.serve import serve_on_slack

if TYPE_CHECKING:
    from botkit import Bot
    from botkit_slack.emulator.terminal import serve_on_emulator

__all__ = ["run_on_slack", "serve_on_emulator", "serve_on_slack"]


def run_on_slack(bot: Bot, *, http_port: int | None = None, emulator: bool = False) -> int:
    """Serve ``bot`` until Ctrl-C (the CLI's entry point)."""
    with contextlib.suppress(KeyboardInterrupt):
        if emulator:
            from botkit_slack.emulator.terminal import serve_on_emulator

            asyncio.run(serve_on_emulator(bot, http_port=http_port, stdin=sys.stdin))
        else:
            asyncio.run(serve_on_slack(bot, http_port=http_port))
    return 0


def __getattr__(name: str) -> Any:
    if name == "serve_on_emulator":  # imported on demand: production never loads the emulator
        from botkit_slack.emulator.terminal import serve_on_emulator

        return serve_on_emulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
