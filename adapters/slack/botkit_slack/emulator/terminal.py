"""``botkit run app.py --adapter slack --emulator``: a bot on a local Slack, talked to from here.

Lines read from standard input are said by @alice in #general with the bot mentioned
(``@bob text`` speaks as bob, ``/click N`` presses button N of the newest card). The bot's
finished messages, the files it posts, its status ("is thinking…") and its tool steps
("Used `find_colleague`") are printed as Slack would show them. Piped input is read too: each
line waits for the bot's answer before the next, and the session ends after the last one.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import TYPE_CHECKING, Any, TextIO

from botkit_slack.adapter import SlackAdapter
from botkit_slack.serve import declared_adapter, until_stopped

from .cli import banner
from .config import EmulatorConfig
from .emulator import SlackEmulator
from .terminal_view import TerminalView

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from botkit import Bot

    OnReady = Callable[[SlackEmulator], Awaitable[None] | None]

__all__ = ["TerminalChat", "serve_on_emulator"]

REPLY_TIMEOUT = 120.0
"""Piped input: how long one line waits for the bot's answer before the next is said."""
CLICK_TIMEOUT = 10.0
QUIET = 1.0
"""Piped input: the bot has answered once it changed nothing (and shows no status and streams
nothing) for this long; an answer can be several messages, a card among them."""


async def serve_on_emulator(
    bot: Bot,
    *,
    http_port: int | None = None,
    out: TextIO | None = None,
    stdin: TextIO | None = None,
    on_ready: OnReady | None = None,
    stop: asyncio.Event | None = None,
    interactive: bool | None = None,
) -> None:
    """The bot on a local Slack emulator; lines on ``stdin`` are said by @alice in #general.

    ``interactive`` (default: whether ``stdin`` is a terminal) says lines as they come;
    otherwise each line waits for the bot's answer and the end of input ends the session.
    """
    out = out or sys.stdout
    async with SlackEmulator(config=EmulatorConfig()) as slack:
        http = http_port is not None
        connection: dict[str, Any] = {
            "bot_token": slack.bot_token,
            "base_url": slack.base_url,
            "socket_mode": not http,
            "app_token": None if http else slack.app_token,
            "signing_secret": slack.signing_secret if http else None,
            "host": "127.0.0.1",
            "port": http_port or 0,
        }
        adapter = declared_adapter(bot)
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
            typing = interactive if interactive is not None else _isatty(stdin)
            chat = TerminalChat(slack, out, interactive=typing)
            print(f"\n{bot.name} is connected ({how}).", file=out, flush=True)
            if stdin is None:
                print("Talk to it with the curl line above.", file=out, flush=True)
            elif typing:
                print(
                    "Type a message to say it as @alice in #general (the bot is mentioned for "
                    "you); '@bob text' speaks as bob; '/click N' presses button N of the "
                    "newest card.",
                    file=out,
                    flush=True,
                )
            else:
                print(
                    "Reading messages from standard input (one per line; each waits for the "
                    "answer).",
                    file=out,
                    flush=True,
                )
            if on_ready is not None:
                result = on_ready(slack)
                if result is not None:
                    await result
            await until_stopped(stop, chat.read(stdin) if stdin is not None else None)
        finally:
            await bot.stop()


def _isatty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):
        return False


class TerminalChat:
    """Turns typed lines into messages and clicks; :class:`TerminalView` prints what happens."""

    def __init__(self, slack: SlackEmulator, out: TextIO, *, interactive: bool = True) -> None:
        self.slack = slack
        self.out = out
        self.interactive = interactive
        self.thread: str | None = None
        self.view = TerminalView(slack, out)

    def _note(self, text: str) -> None:
        print(f"! {text}", file=self.out, flush=True)

    async def say(self, line: str) -> None:
        """One line: a click, or a message said by @alice (or ``@name``)."""
        user, text = "alice", line.strip()
        if text.startswith("@") and " " in text:
            user, text = text[1:].split(" ", 1)
        if text.startswith("/click"):
            await self._click(user, text.removeprefix("/click").strip())
            return
        said = await self.slack.user_says(
            user, f"<@{self.slack.bot_user_id}> {text}", self.slack.general, self.thread
        )
        self.thread = self.thread or str(said["ts"])
        if not self.interactive:
            await self._await_answer(str(said["ts"]))

    async def _click(self, user: str, number: str) -> None:
        card = self.view.newest_card
        buttons = card.buttons if card is not None else []
        if not number.isdigit() or not 0 < int(number) <= len(buttons):
            if card is not None and card.answered:
                self._note("that button is no longer active")
            elif buttons:
                self._note(f"no such button: the newest card has [1] to [{len(buttons)}]")
            else:
                self._note("no card with buttons to click")
            return
        assert card is not None
        button = buttons[int(number) - 1]
        before = self.view.bot_changes
        try:
            await self.slack.click(card.ts, button.action_id, button.value, user=user)
        except LookupError:  # the card changed since it was shown: the button is gone
            self._note("that button is no longer active")
            return
        if not self.interactive:
            await self._await_change(before)

    async def _await_answer(self, said_ts: str) -> None:
        """Piped input: wait until the bot's answer to ``said_ts`` is complete and shown."""
        try:
            await self.slack.wait_for_message(
                from_bot=True,
                after=said_ts,
                predicate=lambda m: m.get("streaming_state") != "in_progress",
                timeout=REPLY_TIMEOUT,
            )
        except TimeoutError:
            self._note(f"no answer within {REPLY_TIMEOUT:.0f}s; going on")
        await self._settle()

    async def _await_change(self, before: int) -> None:
        """Piped input: wait for the bot to change a message after a click (if it does)."""
        view = self.view
        with contextlib.suppress(TimeoutError):
            await self.slack.core.wait(
                lambda: True if view.bot_changes > before else None,
                CLICK_TIMEOUT,
                "the bot's answer to a click",
            )
        await self._settle()

    def _busy(self) -> bool:
        """Whether the bot shows a status or streams a message right now."""
        core = self.slack.core
        if any("status" in state for state in core.ws.assistant.values()):
            return True
        return any(
            m.stream is not None and m.stream.state == "in_progress" and m.bot_id == core.app.bot_id
            for channel in core.ws.channels.values()
            for m in channel.messages.values()
        )

    async def _settle(self) -> None:
        """Wait until the bot has been quiet for :data:`QUIET` seconds, then print."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REPLY_TIMEOUT
        while loop.time() < deadline:
            mark = self.view.bot_changes
            await asyncio.sleep(QUIET)
            if self.view.bot_changes == mark and not self._busy():
                break
        await self.slack.drain()
        self.view.flush()

    async def read(self, stdin: TextIO) -> None:
        """Say each line of ``stdin``; returns at the end of input (an input that ends before
        its first line, such as ``/dev/null``, keeps the session open for curl instead)."""
        said = 0
        async for line in _lines(stdin):
            if not line.strip():
                continue
            said += 1
            if not self.interactive:
                print(f"> {line.strip()}", file=self.out, flush=True)
            try:
                await self.say(line)
            except (ValueError, LookupError) as exc:
                self._note(str(exc))
        self.view.flush()
        if not said:
            print(
                "Standard input is empty: serving until Ctrl-C (use the curl line above).",
                file=self.out,
                flush=True,
            )
            await asyncio.Event().wait()


async def _lines(stdin: TextIO) -> Any:
    """Lines of ``stdin`` without blocking the loop: a reader on pipes and terminals, a worker
    thread for regular files (which the event loop cannot watch)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()
    try:
        fd = stdin.fileno()
        loop.add_reader(fd, lambda: queue.put_nowait(stdin.readline()))
    except (NotImplementedError, ValueError, OSError, AttributeError):
        while line := await asyncio.to_thread(stdin.readline):
            yield line
        return
    try:
        while line := await queue.get():
            yield line
    finally:
        loop.remove_reader(fd)
