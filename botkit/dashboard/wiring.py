"""What the dashboard's handlers reach: the threads service, and the running bot where the
page needs one (reading platform messages, answering choices, resuming interrupts)."""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from typing import Any, Protocol, cast

from aiohttp import web

from botkit.adapter import PlatformAdapter
from botkit.events import Event
from botkit.store.base import StateStore
from botkit.threads.service import Threads
from botkit.types import Conversation, ThreadMessage

__all__ = ["THREADS", "RunningBot", "ThreadHandle", "running_bot"]

THREADS: web.AppKey[Threads] = web.AppKey("dashboard_threads", Threads)


class ThreadHandle(Protocol):
    """The part of ``Thread`` the dashboard uses."""

    async def get_messages(self) -> list[ThreadMessage]: ...

    async def resume(self, value: Any = None) -> Any: ...


class RunningBot(Protocol):
    """The part of ``Bot`` the dashboard uses."""

    adapters: list[PlatformAdapter]

    @property
    def store(self) -> StateStore: ...

    async def dispatch(self, event: Event) -> None: ...

    def thread(self, platform: str, conversation: Conversation) -> ThreadHandle: ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> Any: ...


def running_bot(threads: Threads) -> RunningBot | None:
    """The bot serving ``threads`` (None for a bare ``threads_app`` over a store).

    ``bot.threads`` is built with the bot's own adapter lookup, which is how the bot is
    found here until the server hands it over itself."""
    owner = getattr(threads._adapter_for, "__self__", None)
    needed: Sequence[str] = ("dispatch", "thread", "spawn", "adapters")
    if not all(hasattr(owner, name) for name in needed):
        return None
    return cast(RunningBot, owner)
