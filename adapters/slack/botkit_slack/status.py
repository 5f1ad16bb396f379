"""The "thinking" status each turn sets in its Slack thread, sent by a few workers.

A burst of turns would otherwise start one task and one Web API call each at once: the
calls wait for a connection (``max_connections``) holding their requests, frames and tasks
(~3 KB each). Here a waiting status is a queue entry; as many workers as the connection
pool has connections send them, first come first served. Each turn gets a future, done once
its status was sent (or failed: statuses are best effort), for its first post to wait on.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from botkit.types import Conversation

__all__ = ["StatusSender"]

Send = Callable[[Conversation, str], Awaitable[None]]


class StatusSender:
    def __init__(self, send: Send, workers: int) -> None:
        self._send = send
        self._max = max(1, workers)
        self._queue: deque[tuple[Conversation, str, asyncio.Future[None]]] = deque()
        self._workers: set[asyncio.Task[None]] = set()

    def set(self, conversation: Conversation, status: str) -> asyncio.Future[None]:
        """Queue ``status`` for ``conversation``; the future is done once it was sent."""
        sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((conversation, status, sent))
        if len(self._workers) < self._max:
            worker = asyncio.create_task(self._work())
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)
        return sent

    async def _work(self) -> None:
        queue = self._queue
        while queue:
            conversation, status, sent = queue.popleft()
            try:
                await self._send(conversation, status)  # never raises but cancellation
            finally:
                if not sent.done():
                    sent.set_result(None)

    def cancel(self) -> None:
        """Stop sending (the adapter stops): queued statuses are dropped, their futures
        done."""
        for worker in self._workers:
            worker.cancel()
        while self._queue:
            _, _, sent = self._queue.popleft()
            if not sent.done():
                sent.set_result(None)
