"""``ClosableStream``: parts pass through in the consumer's own task; a close while the
consumer waits for the next part ends the stream with the notice and leaves the consumer
running (its cancellation is taken back), while a cancel from outside still cancels it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from botkit.inbox.closing import OpenStreams


def slow_parts(gate: asyncio.Event, ended: list[str]) -> AsyncIterator[str]:
    async def parts() -> AsyncIterator[str]:
        try:
            yield "first "
            await gate.wait()
            yield "never"
        finally:
            ended.append("closed")
    return parts()


async def test_a_close_while_waiting_for_a_part_ends_with_the_notice() -> None:
    streams, gate, ended = OpenStreams(), asyncio.Event(), []
    stream = streams.wrap(slow_parts(gate, ended))
    first = asyncio.Event()

    async def consume() -> list[str]:
        got = []
        async for part in stream:
            got.append(part)
            first.set()
        await asyncio.sleep(0)  # the consumer is not left cancelled: it carries on
        got.append("after")
        return got
    task = asyncio.create_task(consume())
    await first.wait()
    await asyncio.sleep(0)  # the consumer now waits for the second part
    assert streams.close_all("(closed)") == 1
    assert await task == ["first ", "(closed)", "after"]
    assert ended == ["closed"]
    assert streams.open == 0
    assert streams.closed == 1
    assert not task.cancelled()


async def test_a_cancel_from_outside_still_cancels_the_consumer() -> None:
    streams, gate, ended = OpenStreams(), asyncio.Event(), []
    stream = streams.wrap(slow_parts(gate, ended))
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in stream:
            first.set()
    task = asyncio.create_task(consume())
    await first.wait()
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ended == ["closed"]
    assert streams.open == 0
    assert streams.closed == 0


async def test_parts_that_run_out_end_the_stream_without_a_notice() -> None:
    streams = OpenStreams()

    async def parts() -> AsyncIterator[str]:
        for word in ("a ", "b "):
            yield word
    assert [p async for p in streams.wrap(parts())] == ["a ", "b "]
    assert streams.open == 0
    assert streams.closed == 0
