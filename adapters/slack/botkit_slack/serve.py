"""Serve a bot on a real Slack workspace (Socket Mode or the Events API) until stopped.

Production only: nothing here imports the emulator (``botkit_slack.emulator.terminal`` serves
a bot on a local emulator instead).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from botkit_slack.adapter import SlackAdapter

if TYPE_CHECKING:
    from botkit import Bot

__all__ = ["declared_adapter", "serve_on_slack", "until_stopped"]


def declared_adapter(bot: Bot) -> SlackAdapter | None:
    """The ``SlackAdapter`` the app configured itself, if any (its options are kept)."""
    return next((a for a in bot.adapters if isinstance(a, SlackAdapter)), None)


async def serve_on_slack(bot: Bot, *, http_port: int | None = None) -> None:
    """Connect with the tokens in the environment and serve until SIGTERM or cancellation."""
    adapter = declared_adapter(bot)
    if adapter is None:
        adapter = SlackAdapter(
            socket_mode=http_port is None, port=http_port if http_port is not None else 3000
        )
    else:  # the app's own options; the environment is read again, --http sets the port
        adapter.reconfigure(**({} if http_port is None else {"socket_mode": False,
                                                             "port": http_port}))
    adapter.check_credentials()
    bot.adapters = [adapter]
    await bot.start()
    try:
        url = adapter.request_url
        how = f"the Events API at {url}" if url else "Socket Mode"
        name = adapter.bot_user and adapter.bot_user.name
        print(f"{bot.name} is on Slack via {how} as @{name}. Ctrl-C stops it.", flush=True)
        await until_stopped()
    finally:
        await bot.stop()


async def until_stopped(
    stop: asyncio.Event | None = None, reader: Awaitable[None] | None = None
) -> None:
    """Wait for ``stop``, SIGTERM, or the end of ``reader`` (whichever comes first)."""
    stop = stop or asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    waiters: set[asyncio.Future[Any]] = {asyncio.ensure_future(stop.wait())}
    if reader is not None:
        waiters.add(asyncio.ensure_future(reader))
    try:
        done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for finished in done:
            if not finished.cancelled() and finished.exception() is not None:
                raise finished.exception()  # type: ignore[misc]
    finally:
        for waiter in waiters:
            waiter.cancel()
