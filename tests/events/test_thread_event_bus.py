"""The thread event bus on all three stores: fan-out across hubs (and real processes) sharing
a store, one global order, exact replay after an event id, and the per-thread filter."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence

import pytest

from botkit.store import StateStore, StreamId, store_from_url
from botkit.threads.events import EventHub, Subscription
from botkit.threads.records import ThreadEvent


def event(thread_id: str, seq: int, kind: str = "renamed") -> ThreadEvent:
    return ThreadEvent(seq=seq, type=kind, thread_id=thread_id, at=1700000000.0 + seq)  # type: ignore[arg-type]


async def take(sub: Subscription, n: int) -> list[ThreadEvent]:
    got: list[ThreadEvent] = []
    async with asyncio.timeout(10):
        while len(got) < n:
            item = await sub.get()
            assert item is not None, "the subscription ended early"
            got.append(item)
    return got


async def test_every_hub_sees_every_hubs_events_in_one_order(
        make_store: Callable[[], StateStore]) -> None:
    a, b = EventHub(make_store(), poll=0.2), EventHub(make_store(), poll=0.2)
    async with a.subscribe() as at_a, b.subscribe() as at_b:
        for i in range(6):
            (a if i % 2 else b).publish(event(f"T{i}", i))
            await (a if i % 2 else b).flush()
        seen_a, seen_b = await take(at_a, 6), await take(at_b, 6)
    assert [e.thread_id for e in seen_a] == [f"T{i}" for i in range(6)]
    assert [(e.event_id, e.thread_id) for e in seen_a] == \
        [(e.event_id, e.thread_id) for e in seen_b]
    ids = [e.event_id for e in seen_a]
    assert len(set(ids)) == 6
    assert [StreamId.parse(i) for i in ids] == sorted(StreamId.parse(i) for i in ids)
    await a.aclose()
    await b.aclose()


async def test_a_reconnect_after_an_event_id_replays_exactly_the_missed_events(
        make_store: Callable[[], StateStore]) -> None:
    writer, reader = EventHub(make_store(), poll=0.2), EventHub(make_store(), poll=0.2)
    async with reader.subscribe() as first:
        for i in range(3):
            writer.publish(event("T", i))
        await writer.flush()
        got = await take(first, 3)
    last_seen = got[0].event_id  # the client saw only the first before it disconnected
    for i in range(3, 5):
        writer.publish(event("T", i))
    await writer.flush()
    async with reader.subscribe(after=last_seen) as again:
        replayed = await take(again, 4)
        assert [e.seq for e in replayed] == [1, 2, 3, 4]
        writer.publish(event("T", 5))
        await writer.flush()
        (live,) = await take(again, 1)
        assert live.seq == 5
    await writer.aclose()
    await reader.aclose()


async def test_a_subscription_can_follow_one_thread(make_store: Callable[[], StateStore]) -> None:
    hub = EventHub(make_store(), poll=0.2)
    async with hub.subscribe(thread_id="T2") as only, hub.subscribe() as every:
        for i in range(4):
            hub.publish(event(f"T{i % 3}", i))
        await hub.flush()
        assert [e.seq for e in await take(every, 4)] == [0, 1, 2, 3]
        assert [e.seq for e in await take(only, 1)] == [2]
        assert only._queue.empty()
    await hub.aclose()


async def test_a_bad_last_event_id_is_refused(make_store: Callable[[], StateStore]) -> None:
    hub = EventHub(make_store())
    with pytest.raises(ValueError, match="not a stream entry id"):
        async with hub.subscribe(after="yesterday"):
            pass
    await hub.aclose()


async def test_without_a_store_the_hub_stays_in_process() -> None:
    hub = EventHub()
    async with hub.subscribe() as sub:
        hub.publish(event("T", 1))
        hub.publish(event("T", 2))
        assert [(e.seq, e.event_id) for e in await take(sub, 2)] == [(1, "1"), (2, "2")]
    await hub.aclose()


PUBLISHER = textwrap.dedent("""
    import asyncio, sys
    from botkit.store import store_from_url
    from botkit.threads.events import EventHub
    from botkit.threads.records import ThreadEvent

    async def main() -> None:
        store = store_from_url(sys.argv[1])
        hub = EventHub(store)
        for i in range(int(sys.argv[2])):
            hub.publish(ThreadEvent(seq=i, type="renamed", thread_id="from-child", at=0.0))
        await hub.flush()
        await store.close()
    asyncio.run(main())
""")



async def test_events_published_by_another_process_arrive(shared_url: str) -> None:
    url = shared_url
    store = store_from_url(url)
    hub = EventHub(store, poll=0.2)
    async with hub.subscribe() as sub:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-c", PUBLISHER, url, "5", env={**os.environ},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, err = await child.communicate()
        assert child.returncode == 0, err.decode()
        got = await take(sub, 5)
    assert [(e.seq, e.thread_id) for e in got] == [(i, "from-child") for i in range(5)]
    await hub.aclose()
    await store.close()


async def test_a_burst_of_events_is_stored_in_slices_the_loop_goes_round_between() -> None:
    """On the memory store an append never waits: a burst of thousands (2,000 runs
    ending together) must not be written in one loop iteration."""
    from botkit.store import MemoryStore

    class Counting(MemoryStore):
        added = 0

        appends = 0

        async def stream_add_many(self, stream: str, items: Sequence[object], *,
                                  max_len: int | None = None) -> list[StreamId]:
            self.added += len(items)
            self.appends += 1
            return await super().stream_add_many(stream, items, max_len=max_len)

    store = Counting()
    hub = EventHub(store)
    count = 20_000
    async with hub.subscribe():  # events are stored once someone reads them
        for i in range(count):
            hub.publish(event("t1", i))
        stored_when_the_loop_came_round: list[int] = []
        asyncio.get_running_loop().call_soon(
            lambda: stored_when_the_loop_came_round.append(store.added))
        await hub.flush()
    await hub.aclose()
    assert store.added == count
    assert store.appends == count // 100  # what was queued, 100 events an append
    [stored] = stored_when_the_loop_came_round
    assert 0 < stored < count


async def test_the_memory_store_keeps_thread_events_once_a_hub_reads_them() -> None:
    """A store only this process reads: before any hub tailed the stream nobody holds an
    event id to replay after, so nothing is kept; from the first subscription (of any hub
    on that store) on, everything is, and a reconnect replays it."""
    from botkit.store import MemoryStore
    from botkit.threads.events import STREAM

    store = MemoryStore()
    writer, reader = EventHub(store, poll=0.2), EventHub(store, poll=0.2)
    for i in range(5):
        writer.publish(event("T", i))
    await writer.flush()
    assert await store.stream_len(STREAM) == 0
    async with reader.subscribe() as first:
        for i in range(5, 8):
            writer.publish(event("T", i))
        await writer.flush()
        got = await take(first, 3)
    assert [e.seq for e in got] == [5, 6, 7]
    for i in range(8, 10):  # nobody subscribed now: kept for the reconnect
        writer.publish(event("T", i))
    await writer.flush()
    async with reader.subscribe(after=got[0].event_id) as again:
        assert [e.seq for e in await take(again, 4)] == [6, 7, 8, 9]
    assert await store.stream_len(STREAM) == 5
    await writer.aclose()
    await reader.aclose()
