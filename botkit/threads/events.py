"""The in-process stream of thread changes behind ``bot.threads.subscribe()`` and SSE.

Every subscriber gets its own bounded queue; a subscriber that falls more than ``maxsize``
events behind loses the oldest ones (a live view, not an audit log).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from botkit.threads.records import ThreadEvent

__all__ = ["EventHub", "Subscription"]


class Subscription:
    """Async-iterate it for ``ThreadEvent``s; iteration ends when the hub closes."""

    def __init__(self, maxsize: int) -> None:
        self._queue: asyncio.Queue[ThreadEvent | None] = asyncio.Queue(maxsize)

    def _offer(self, event: ThreadEvent | None) -> None:
        while True:
            try:
                self._queue.put_nowait(event)
                return
            except asyncio.QueueFull:
                self._queue.get_nowait()

    async def get(self) -> ThreadEvent | None:
        """The next event, or None once the stream has ended."""
        return await self._queue.get()

    def __aiter__(self) -> AsyncIterator[ThreadEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[ThreadEvent]:
        while (event := await self._queue.get()) is not None:
            yield event


class EventHub:
    def __init__(self, maxsize: int = 1000) -> None:
        self._maxsize = maxsize
        self._subscribers: set[Subscription] = set()

    def publish(self, event: ThreadEvent) -> None:
        for sub in list(self._subscribers):
            sub._offer(event)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        sub = Subscription(self._maxsize)
        self._subscribers.add(sub)
        try:
            yield sub
        finally:
            self._subscribers.discard(sub)

    def close(self) -> None:
        """End every open subscription (the bot or the HTTP server is stopping)."""
        for sub in list(self._subscribers):
            sub._offer(None)
        self._subscribers.clear()
