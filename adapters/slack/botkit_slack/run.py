"""``botkit run app.py --adapter slack [--http PORT] [--emulator]``: the bot in Slack.

Tokens come from the environment: ``SLACK_BOT_TOKEN`` plus ``SLACK_APP_TOKEN`` (Socket Mode)
or ``SLACK_SIGNING_SECRET`` with ``--http PORT`` (Events API); ``SLACK_API_URL`` points at
another Slack. ``--emulator`` starts a local Slack in the same process instead, connects the
bot to it and lets you talk to it from this terminal (or with curl).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TextIO

from botkit_slack.adapter import SlackAdapter
from botkit_slack.emulator import SlackEmulator
from botkit_slack.emulator.cli import banner

if TYPE_CHECKING:
    from botkit import Bot

__all__ = ["run_on_slack", "serve_on_emulator", "serve_on_slack"]

OnReady = Callable[[SlackEmulator], Awaitable[None] | None]


def run_on_slack(bot: Bot, *, http_port: int | None = None, emulator: bool = False) -> int:
    """Serve ``bot`` until Ctrl-C (the CLI's entry point)."""
    with contextlib.suppress(KeyboardInterrupt):
        if emulator:
            stdin = sys.stdin if sys.stdin.isatty() else None
            asyncio.run(serve_on_emulator(bot, http_port=http_port, stdin=stdin))
        else:
            asyncio.run(serve_on_slack(bot, http_port=http_port))
    return 0


def _declared(bot: Bot) -> SlackAdapter | None:
    """The ``SlackAdapter`` the app configured itself, if any (its options are kept)."""
    return next((a for a in bot.adapters if isinstance(a, SlackAdapter)), None)


async def serve_on_slack(bot: Bot, *, http_port: int | None = None) -> None:
    adapter = _declared(bot)
    if adapter is None:
        adapter = SlackAdapter(socket_mode=http_port is None,
                               port=http_port if http_port is not None else 3000)
    else:  # the app's own options; the environment is read again, --http sets the port
        adapter.reconfigure(**({} if http_port is None else
                               {"socket_mode": False, "port": http_port}))
    adapter.check_credentials()
    bot.adapters = [adapter]
    await bot.start()
    try:
        url = adapter.request_url
        how = f"the Events API at {url}" if url else "Socket Mode"
        print(f"{bot.name} is on Slack via {how} as @{adapter.bot_user and adapter.bot_user.name}"
              ". Ctrl-C stops it.", flush=True)
        await _until_stopped()
    finally:
        await bot.stop()


async def serve_on_emulator(
    bot: Bot, *, http_port: int | None = None, out: TextIO | None = None,
    stdin: TextIO | None = None, on_ready: OnReady | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """The bot on a local Slack emulator; lines typed on ``stdin`` are said by @alice in
    #general, mentioning the bot (``@bob …`` speaks as bob, ``/click N`` presses a button)."""
    out = out or sys.stdout
    async with SlackEmulator() as slack:
        http = http_port is not None
        connection: dict[str, Any] = {
            "bot_token": slack.bot_token, "base_url": slack.base_url, "socket_mode": not http,
            "app_token": None if http else slack.app_token,
            "signing_secret": slack.signing_secret if http else None, "host": "127.0.0.1",
            "port": http_port or 0}
        adapter = _declared(bot)
        if adapter is None:
            adapter = SlackAdapter(**connection)
        else:
            adapter.reconfigure(**connection)
        bot.adapters = [adapter]
        await bot.start()
        try:
            if adapter.request_url is not None:
                slack.events_to(adapter.request_url)
            else:
                await slack.wait_for_socket()
            print(banner(slack), file=out, flush=True)
            how = adapter.transport.describe() if adapter.transport else "?"
            print(f"\n{bot.name} is connected ({how}). Type a message to say it as @alice in "
                  "#general (the bot is mentioned for you); '@bob text' speaks as bob; "
                  "'/click N' presses button N.", file=out, flush=True)
            chat = _TerminalChat(slack, out)
            if on_ready is not None:
                result = on_ready(slack)
                if result is not None:
                    await result
            await _until_stopped(stop, chat.read(stdin) if stdin is not None else None)
        finally:
            await bot.stop()


class _TerminalChat:
    """Shows the bot's finished messages and turns typed lines into messages and clicks."""

    def __init__(self, slack: SlackEmulator, out: TextIO) -> None:
        self.slack = slack
        self.out = out
        self.thread: str | None = None
        self.buttons: list[tuple[str, str, str]] = []  # (message ts, action id, label)
        self._shown: dict[str, str] = {}
        slack.core.subscribe(self._changed)

    def _changed(self, kind: str, obj: Any) -> None:
        if kind != "message" or not getattr(obj, "bot_id", None):
            return
        if obj.stream is not None and obj.stream.state == "in_progress":
            return
        asyncio.get_running_loop().call_later(0.6, self._show, obj.ts, obj.channel)

    def _show(self, ts: str, channel: str) -> None:
        try:
            message = self.slack.message(ts, channel)
        except ValueError:
            return
        text = str(message.get("text") or "")
        if self._shown.get(ts) == text or message.get("streaming_state") == "in_progress":
            return
        edited = " (edited)" if ts in self._shown else ""
        self._shown[ts] = text
        print(f"bot{edited}: {text}", file=self.out, flush=True)
        for block in message.get("blocks") or ():
            for element in block.get("elements") or () if block.get("type") == "actions" else ():
                self.buttons.append((ts, element.get("action_id", ""),
                                     str((element.get("text") or {}).get("text", ""))))
                print(f"  [{len(self.buttons)}] {self.buttons[-1][2]}", file=self.out, flush=True)

    async def say(self, line: str) -> None:
        user, text = "alice", line.strip()
        if text.startswith("@") and " " in text:
            user, text = text[1:].split(" ", 1)
        if text.startswith("/click "):
            number = text.split()[1]
            if not number.isdigit() or not 0 < int(number) <= len(self.buttons):
                print("! no such button", file=self.out, flush=True)
                return
            ts, action_id, _ = self.buttons[int(number) - 1]
            await self.slack.click(ts, action_id, user=user)
            return
        said = await self.slack.user_says(user, f"<@{self.slack.bot_user_id}> {text}",
                                          self.slack.general, self.thread)
        self.thread = self.thread or str(said["ts"])

    async def read(self, stdin: TextIO) -> None:
        """Say each line typed on ``stdin`` (a terminal); returns at end of input."""
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str] = asyncio.Queue()
        try:
            fd = stdin.fileno()
            loop.add_reader(fd, lambda: lines.put_nowait(stdin.readline()))
        except (NotImplementedError, ValueError, OSError, AttributeError):
            print("! typing is not available here; use the curl line above", file=self.out)
            await asyncio.Event().wait()
            return
        try:
            while line := await lines.get():
                if line.strip():
                    try:
                        await self.say(line)
                    except ValueError as exc:
                        print(f"! {exc}", file=self.out, flush=True)
        finally:
            loop.remove_reader(fd)


async def _until_stopped(stop: asyncio.Event | None = None,
                         reader: Awaitable[None] | None = None) -> None:
    stop = stop or asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    waiters: set[asyncio.Future[Any]] = {asyncio.ensure_future(stop.wait())}
    if reader is not None:
        waiters.add(asyncio.ensure_future(reader))
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
