"""Bolt's app, built the first time it is needed (``BoltOnDemand``).

Over HTTP with one workspace, Events API events go without Bolt (``ingress.events_api``),
so only a click, a modal, a slash command or Slack's ``url_verification`` needs it: Bolt is
imported and the app built with botkit's listeners then. Socket Mode and OAuth installs ask
for it at start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slack_bolt.app.async_app import AsyncApp

    from botkit.adapter import BotHandle
    from botkit_slack.ingress.events import EventBuilder

__all__ = ["BoltOnDemand"]


class BoltOnDemand:
    """Calling it returns the app (built once). ``options`` are ``build_app``'s, or
    ``build_multi_app``'s when they hold an OAuth ``flow``."""

    def __init__(self, bot: BotHandle, events: EventBuilder, **options: Any) -> None:
        self.bot = bot
        self.events = events
        self.options = options
        self.app: AsyncApp | None = None

    def __call__(self) -> AsyncApp:
        if self.app is None:
            from botkit_slack.ingress import bolt

            build = bolt.build_multi_app if "flow" in self.options else bolt.build_app
            app = build(**self.options, durable=self.bot.durable_intake)
            bolt.register(app, self.events, has_command=self.bot.has_command,
                          durable=self.bot.durable_intake)
            self.app = app
        return self.app
