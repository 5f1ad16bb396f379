"""Streamed replies this process has open, so a graceful drain can close each one with a
visible notice instead of leaving it half-written in the platform's streaming state.

The run surface passes every reply stream through ``OPEN_STREAMS.wrap``. ``close_all``
(called when the drain deadline passes) makes each open stream yield a last notice and end,
so the adapter finishes the message normally; the surface then stops the run
(``StreamClosed``) and the event stays in the inbox for the next process to answer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from botkit.types import StreamPart

__all__ = ["OPEN_STREAMS", "ClosableStream", "OpenStreams", "StreamClosed"]


NOTICE = "\n\n_(Interrupted: the bot is restarting. This message will be answered again.)_"


class StreamClosed(asyncio.CancelledError):
    """The reply stream was closed by a drain: the turn stops here, like a cancelled one
    (its event stays in the inbox)."""


class ClosableStream:
    """Parts pass straight through in the consumer's own task (no task per part). ``close``
    cancels that task only while it waits here for the next part; the cancellation is
    taken back (``Task.uncancel``) and the stream yields its notice and ends."""

    def __init__(self, owner: OpenStreams, parts: AsyncIterator[StreamPart]) -> None:
        self._owner = owner
        self._parts = parts
        self._waiting: asyncio.Task[Any] | None = None  # the task awaiting the next part
        self._cancelled = False  # ``close`` cancelled it
        self.notice: str | None = None

    @property
    def closed(self) -> bool:
        return self.notice is not None

    def close(self, notice: str) -> None:
        self.notice = notice
        if self._waiting is not None and not self._cancelled:
            self._cancelled = True
            self._waiting.cancel()

    def __aiter__(self) -> AsyncIterator[StreamPart]:
        return self._iterate()

    def _take_back(self, task: asyncio.Task[Any] | None) -> bool:
        """Whether ``close`` cancelled ``task`` (then the cancellation is undone); False
        when it did not, or when someone else cancelled it too."""
        if not self._cancelled:
            return False
        self._cancelled = False
        return task is None or task.uncancel() == 0

    async def _iterate(self) -> AsyncIterator[StreamPart]:
        self._owner.track(self)
        parts = self._parts
        task = asyncio.current_task()  # the consumer's: it pulls every part
        try:
            while self.notice is None:
                # the next part, awaited here (not in a helper coroutine: one per part)
                self._waiting = task
                try:
                    part = await anext(parts)
                except StopAsyncIteration:
                    self._take_back(task)
                    return
                except asyncio.CancelledError:
                    if not self._take_back(task):
                        raise
                    break  # closed meanwhile
                finally:
                    self._waiting = None
                if self._cancelled and self._take_back(task):
                    break  # a part that beat the close is dropped
                yield part
            if self.notice is not None:
                self._owner.closed += 1
                yield self.notice or NOTICE
        finally:
            self._owner.untrack(self)
            aclose = getattr(self._parts, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()


class OpenStreams:
    """This process's open reply streams."""

    def __init__(self) -> None:
        self._open: set[ClosableStream] = set()
        self.closed = 0

    def track(self, stream: ClosableStream) -> None:
        """``stream`` started: a drain will close it."""
        self._open.add(stream)

    def untrack(self, stream: ClosableStream) -> None:
        """``stream`` ended."""
        self._open.discard(stream)

    def wrap(self, parts: AsyncIterator[StreamPart]) -> ClosableStream:
        return ClosableStream(self, parts)

    @property
    def open(self) -> int:
        return len(self._open)

    def close_all(self, notice: str = NOTICE) -> int:
        """End every open stream with ``notice``; how many there were."""
        streams = list(self._open)
        for stream in streams:
            stream.close(notice)
        return len(streams)

    async def wait_closed(self, timeout: float) -> None:
        """Until no stream is open (the adapters finished the closed ones) or ``timeout``."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self._open:  # noqa: ASYNC110 - streams end in the adapters' own time
                    await asyncio.sleep(0.02)


OPEN_STREAMS = OpenStreams()
