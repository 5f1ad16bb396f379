"""Streamed replies left open by a process that died: adapters record them through the
handle (``stream_opened`` / ``stream_ended``), and a live bot sharing the store hands each
one a dead process left to its adapter's ``close_stream`` (once, with the notice), on start
and when a replica's heartbeat expires. Records of live processes are left alone."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from polling import until

from botkit import Bot, create_bot, keys
from botkit.adapter import OpenStream
from botkit.inbox import InboxConfig, Replicas
from botkit.inbox.closing import NOTICE
from botkit.store import StateStore
from botkit.testing import FakeAdapter
from botkit.types import Conversation, MessageRef


class ClosingAdapter(FakeAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.closed: list[tuple[OpenStream, str]] = []

    async def close_stream(self, stream: OpenStream, notice: str) -> None:
        self.closed.append((stream, notice))


def reply(n: int) -> OpenStream:
    conversation = Conversation(id=f"C1:{n}.0", channel="C1", thread=f"{n}.0",
                                raw={"big": "x" * 100})
    return OpenStream(id=f"r{n}", platform="fake", conversation=conversation,
                      ref=MessageRef(id=f"{n}.5", channel="C1"), opened_at=float(n))


def bot_on(store: StateStore, adapter: FakeAdapter) -> Bot:
    return create_bot(adapters=[adapter], store=store,
                      inbox=InboxConfig(heartbeat=0.1, replica_ttl=0.5))


async def open_records(store: StateStore) -> list[str]:
    return await store.scan(keys.owned(keys.open_reply("")))


def test_an_open_stream_record_round_trips_without_the_conversations_raw() -> None:
    data = reply(1).to_data()
    assert "big" not in str(data)
    assert OpenStream.from_data(data) == reply(1)
    opening = OpenStream(id="r9", platform="fake", conversation=reply(9).conversation)
    assert OpenStream.from_data(opening.to_data()) == opening  # no message yet
    for bad in (None, {}, {"platform": 3, "id": "r"}, {"platform": "fake"},
                {"platform": "fake", "id": "r", "ref": {}}):
        try:
            OpenStream.from_data(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was read as an open stream")


async def test_a_dead_processes_open_reply_is_closed_once_on_start(
        make_store: Callable[[], StateStore]) -> None:
    store, other = make_store(), make_store()
    dead = Replicas(store, "dead-one", ttl=60, beat_every=1)  # never beats: dead
    await dead.record(keys.open_reply("fake", "r1"), reply(1).to_data())
    await dead.record(keys.open_reply("fake", "r2"), {"not": "a record"})
    alive = Replicas(store, "alive-one", ttl=60, beat_every=1)
    await alive.start()
    await alive.record(keys.open_reply("fake", "r3"), reply(3).to_data())
    first, second = ClosingAdapter(), ClosingAdapter()
    one, two = bot_on(store, first), bot_on(other, second)
    await asyncio.gather(one.start(), two.start())
    try:
        await until(lambda: len(first.closed) + len(second.closed) >= 1)
        [(stream, notice)] = first.closed + second.closed  # one of the two bots closed it
        assert stream == reply(1)
        assert notice == NOTICE
        only_the_live_one = [keys.owned(keys.open_reply("fake", "r3"))]

        async def settled() -> bool:  # the closed record and the unreadable one are dropped
            return await open_records(store) == only_the_live_one
        await until(settled, "the dead process's records to be dropped")
        assert first.closed + second.closed == [(reply(1), NOTICE)]  # still closed once
    finally:
        await asyncio.gather(one.stop(), two.stop())
        await alive.stop()


async def test_replies_recorded_through_the_handle_are_closed_when_their_process_dies(
        make_store: Callable[[], StateStore]) -> None:
    store, other = make_store(), make_store()
    dying_adapter, watcher_adapter = ClosingAdapter(), ClosingAdapter()
    dying, watcher = bot_on(store, dying_adapter), bot_on(other, watcher_adapter)
    await dying.start()
    await watcher.start()
    try:
        await dying.stream_opened(reply(1))
        await dying.stream_opened(reply(2))
        await dying.stream_ended(reply(2))  # complete: nothing to close
        assert len(await open_records(store)) == 1
        host = dying._inbox
        assert host is not None
        assert host.replicas is not None
        assert host.inbox is not None
        # the process dies: its heartbeat stops and nothing else of it runs
        await host.inbox.drain(0)
        await host.replicas.stop(forget=False)
        await until(lambda: bool(watcher_adapter.closed))  # its replica_ttl runs out
        assert [s for s, _ in watcher_adapter.closed] == [reply(1)]

        async def dropped() -> bool:
            return await open_records(store) == []
        await until(dropped, "the closed reply's record to be dropped")
        assert dying_adapter.closed == []
    finally:
        await watcher.stop()
        await dying.stop()


async def test_without_the_inbox_the_handle_records_nothing(
        make_store: Callable[[], StateStore]) -> None:
    store = make_store()
    bot = create_bot(adapters=[FakeAdapter()], store=store)
    await bot.start()
    try:
        await bot.stream_opened(reply(1))
        assert await open_records(store) == []
        await bot.stream_ended(reply(1))
    finally:
        await bot.stop()
