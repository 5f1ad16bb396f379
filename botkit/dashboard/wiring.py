"""What the dashboard's handlers reach: the threads service, and the running bot where the
page needs one (reading platform messages, answering choices, resuming interrupts)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from aiohttp import web

from botkit.adapter import PlatformAdapter
from botkit.events import Event
from botkit.store.base import StateStore
from botkit.threads.service import Threads
from botkit.types import Conversation, PlatformUser, ThreadMessage

__all__ = ["BOT", "THREADS", "BotRef", "RunningBot", "ThreadHandle", "WebChat", "running_bot",
           "web_chat"]

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


class WebChat(Protocol):
    """What the dashboard uses of the web adapter (``botkit_web.WebAdapter``), which the
    core never imports: found among the bot's adapters by its platform, ``web``."""

    platform: str
    messages: Any
    turns: Any
    engine: Any

    async def create_thread(self, thread_id: str | None = None, *,
                            user: PlatformUser | None = None, title: str = "") -> str: ...

    async def send(self, thread_id: str, text: str, *, user: PlatformUser | None = None
                   ) -> Any: ...

    def follow(self, run: Any, *, after: int = 0, viewer: str | None = None
               ) -> AsyncIterator[Any]: ...


@dataclass(frozen=True)
class BotRef:
    """The bot handed to ``mount_dashboard`` (None: a bare threads API over a store)."""

    bot: RunningBot | None


BOT: web.AppKey[BotRef] = web.AppKey("dashboard_bot", BotRef)


def web_chat(app: web.Application) -> WebChat | None:
    bot = running_bot(app)
    for adapter in bot.adapters if bot else ():
        if adapter.platform == "web" and all(hasattr(adapter, n) for n in (
                "create_thread", "send", "follow", "messages", "turns", "engine")):
            return cast(WebChat, adapter)
    return None


def running_bot(app: web.Application) -> RunningBot | None:
    """The bot serving the dashboard: the one given to ``mount_dashboard``; else (a server
    that does not hand it over yet) the owner of the threads service's adapter lookup, or
    None for a bare ``threads_app`` over a store."""
    given = app[BOT].bot if BOT in app else None
    if given is not None:
        return given
    lookup = getattr(app[THREADS], "_adapter_for", None)
    owner = getattr(lookup, "__self__", None)
    needed: Sequence[str] = ("dispatch", "thread", "spawn", "adapters")
    if not all(hasattr(owner, name) for name in needed):
        return None
    return cast(RunningBot, owner)
