"""Running a botkit bot on the Slack emulator with the real slack_bolt / slack_sdk clients."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slack_faults import EdgeProxy

from botkit.bot import Bot
from botkit.cli import load_app
from botkit_slack.adapter import SlackAdapter
from botkit_slack.emulator import EmulatorConfig, SlackEmulator

HELPDESK = Path(__file__).resolve().parents[2] / "examples" / "helpdesk.py"
MODES = ("socket", "http")


@dataclass
class Harness:
    slack: SlackEmulator
    bot: Bot
    adapter: SlackAdapter

    def at_bot(self, text: str) -> str:
        return f"<@{self.slack.bot_user_id}> {text}"

    async def mention(self, text: str, *, user: str = "alice", thread_ts: str | None = None,
                      channel: str | None = None) -> dict[str, Any]:
        """A person @-mentions the bot; returns the person's message."""
        return await self.slack.user_says(user, self.at_bot(text), channel or self.slack.general,
                                          thread_ts)

    async def reply(self, thread_ts: str, text: str | None = None, *,
                    channel: str | None = None, after: str | None = None,
                    timeout: float = 10.0) -> dict[str, Any]:
        """The bot's message in the thread (containing ``text``), once it is complete."""

        def done(message: dict[str, Any]) -> bool:
            return message.get("streaming_state", "completed") == "completed"

        return await self.slack.wait_for_message(
            done, channel=channel or self.slack.general, thread_ts=thread_ts, from_bot=True,
            text=text, after=after, timeout=timeout)

    async def press(self, message: dict[str, Any], label: str, *, user: str = "alice") -> None:
        """``user`` clicks the button labelled ``label`` on ``message``."""
        for block in message.get("blocks") or ():
            for element in block.get("elements") or () if block["type"] == "actions" else ():
                if element.get("text", {}).get("text") == label:
                    await self.slack.click(message, element["action_id"], user=user)
                    return
        raise LookupError(f"no button {label!r} on {message.get('text')!r}")

    def bot_messages(self, thread_ts: str, channel: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.slack.messages(channel or self.slack.general, thread_ts)
                if m.get("bot_id") == self.slack.bot_id]

    async def settle(self) -> None:
        """Wait until every delivery (retries included) is settled, Bolt has handed each to
        the bot (a mention answered after them proves it), and every bot task is done."""
        await self.slack.drain()
        asked = await self.mention("hello")
        await self.reply(asked["ts"])
        while self.bot._tasks:
            await next(iter(self.bot._tasks))


@contextlib.asynccontextmanager
async def running(
    mode: str = "socket", *, app: str | Path = HELPDESK, config: EmulatorConfig | None = None,
    bot: Bot | None = None, proxy: EdgeProxy | None = None, **options: Any,
) -> AsyncIterator[Harness]:
    """The emulator plus ``app``'s bot on a ``SlackAdapter`` in ``mode`` (socket or http);
    with ``proxy`` the adapter's Web API calls go through it."""
    config = config or EmulatorConfig.fast()
    async with SlackEmulator(config=config) as slack:
        the_bot = bot or load_app(str(app))
        base_url = slack.base_url
        if proxy is not None:
            proxy.target, base_url = slack.base_url.rstrip("/"), proxy.url
        kwargs: dict[str, Any] = {"bot_token": slack.bot_token, "base_url": base_url,
                                  "edit_interval": 0.2, "first_post_delay": 0.0, **options}
        if mode == "socket":
            kwargs.update(app_token=slack.app_token, socket_mode=True)
        else:
            kwargs.update(signing_secret=slack.signing_secret, socket_mode=False,
                          host="127.0.0.1", port=0)
        adapter = SlackAdapter(**kwargs)
        the_bot.adapters = [adapter]
        await the_bot.start()
        try:
            if mode == "socket":
                await slack.wait_for_socket()
            else:
                assert adapter.request_url is not None
                slack.events_to(adapter.request_url)
            yield Harness(slack, the_bot, adapter)
        finally:
            await the_bot.stop()
