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

from botkit.types import StreamPart

__all__ = ["OPEN_STREAMS", "ClosableStream", "OpenStreams", "StreamClosed"]

NOTICE = "\n\n_(Interrupted: the bot is restarting. This message will be answered again.)_"


class StreamClosed(asyncio.CancelledError):
    """The reply stream was closed by a drain: the turn stops here, like a cancelled one
    (its event stays in the inbox)."""


class ClosableStream:
    def __init__(self, owner: OpenStreams, parts: AsyncIterator[StreamPart]) -> None:
        self._owner = owner
        self._parts = parts
        self._close = asyncio.Event()
        self.notice: str | None = None

    @property
    def closed(self) -> bool:
        return self.notice is not None

    def close(self, notice: str) -> None:
        self.notice = notice
        self._close.set()

    def __aiter__(self) -> AsyncIterator[StreamPart]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[StreamPart]:
        self._owner._open.add(self)
        closing = asyncio.ensure_future(self._close.wait())
        try:
            while True:
                step = asyncio.ensure_future(anext(self._parts))
                await asyncio.wait({step, closing}, return_when=asyncio.FIRST_COMPLETED)
                if step.done():
                    try:
                        part = step.result()
                    except StopAsyncIteration:
                        return
                    yield part
                    continue
                step.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await step
                self._owner.closed += 1
                yield self.notice or NOTICE
                return
        finally:
            closing.cancel()
            self._owner._open.discard(self)
            aclose = getattr(self._parts, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()


class OpenStreams:
    """This process's open reply streams."""

    def __init__(self) -> None:
        self._open: set[ClosableStream] = set()
        self.closed = 0

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
