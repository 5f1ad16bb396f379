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
    """One reply stream; ``close`` makes it yield its notice and end.

    Parts are pulled in the consuming task itself (no task or future per part: a reply
    streams thousands of deltas). A ``close`` while that task waits for the next part
    cancels the wait (the agent's generator sees ``CancelledError`` where it awaits, as it
    would on any cancelled turn) and the cancellation is taken back (``Task.uncancel``)."""

    def __init__(self, owner: OpenStreams, parts: AsyncIterator[StreamPart]) -> None:
        self._owner = owner
        self._parts = parts
        self._waiting: asyncio.Task[Any] | None = None
        """The consuming task while it waits for the next part."""
        self._interrupted = False
        self._ended = False
        self.notice: str | None = None

    @property
    def closed(self) -> bool:
        return self.notice is not None

    def close(self, notice: str) -> None:
        if self.notice is not None:
            return
        self.notice = notice
        if self._waiting is not None and not self._interrupted:
            self._interrupted = True
            self._waiting.cancel()

    def __aiter__(self) -> AsyncIterator[StreamPart]:
        return self._iterate()

    async def _next(self) -> StreamPart | None:
        """The next part; None when the parts ended or ``close`` interrupted the wait."""
        task = asyncio.current_task()
        self._waiting = task
        part: StreamPart | None = None
        try:
            part = await anext(self._parts)
        except StopAsyncIteration:
            self._ended = not self._interrupted
        except asyncio.CancelledError:
            if not self._interrupted or task is None or task.uncancel() > 0:
                raise  # cancelled from elsewhere too: the turn is being cancelled
            return None
        finally:
            self._waiting = None
        if self._interrupted and task is not None:
            task.uncancel()  # the parts swallowed the interruption
        return part

    async def _iterate(self) -> AsyncIterator[StreamPart]:
        self._owner.track(self)
        try:
            while self.notice is None:
                part = await self._next()
                if part is None:
                    break
                yield part
            if self.notice is not None and not self._ended:
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
