"""The stream facet's checks in the store conformance suite (``store_conformance``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from botkit.store.base import StateStore
from botkit.store.streams import PendingEntry, StreamId, Streams

__all__ = ["STREAM_CHECKS"]

IDLE = 0.3  # seconds: how idle an entry gets before a check claims it


def _streams(store: StateStore) -> Streams:
    assert isinstance(store, Streams), f"{type(store).__name__} has no stream facet"
    return store


async def _until(predicate: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():  # noqa: ASYNC110 - idle time has no event to wait on
            await asyncio.sleep(0.02)


async def streams_append_and_read(store: StateStore, p: str) -> None:
    s, k = _streams(store), p + "log"
    assert await s.stream_read(k) == []
    assert await s.stream_last_id(k) is None
    assert await s.stream_len(k) == 0
    ids = [await s.stream_add(k, {"n": i, "text": "héllo ✓"}) for i in range(5)]
    assert ids == sorted(ids), "ids must increase"
    assert len(set(ids)) == 5, "ids must be distinct"
    assert all(StreamId.parse(str(i)) == i for i in ids)
    entries = await s.stream_read(k)
    assert [e.id for e in entries] == ids
    assert [e.data for e in entries] == [{"n": i, "text": "héllo ✓"} for i in range(5)]
    assert [e.data["n"] for e in await s.stream_read(k, after=ids[1], count=2)] == [2, 3]
    assert await s.stream_read(k, after=ids[-1]) == []
    assert await s.stream_last_id(k) == ids[-1]
    assert await s.stream_len(k) == 5
    for i in range(5, 30):
        await s.stream_add(k, i, max_len=10)
    assert [e.data for e in await s.stream_read(k)] == list(range(20, 30))
    other = await s.stream_add(p + "other", "x")
    assert await s.stream_read(p + "other") == [await _one(s, p + "other")]
    assert other.ms >= 0


async def streams_add_many_in_order(store: StateStore, p: str) -> None:
    s, k = _streams(store), p + "batch"
    assert await s.stream_add_many(k, []) == []
    first = await s.stream_add(k, "before")
    ids = await s.stream_add_many(k, [{"n": i} for i in range(5)])
    assert len(ids) == 5
    assert [first, *ids] == sorted({first, *ids}), "ids must increase and be distinct"
    entries = await s.stream_read(k)
    assert [e.id for e in entries] == [first, *ids]
    assert [e.data for e in entries] == ["before", *({"n": i} for i in range(5))]
    after = await s.stream_add(k, "after")
    assert after > ids[-1]
    await s.stream_add_many(k, list(range(10, 20)), max_len=4)
    assert [e.data for e in await s.stream_read(k)] == [16, 17, 18, 19]
    assert await s.stream_len(k) == 4


async def _one(s: Streams, k: str) -> Any:
    (entry,) = await s.stream_read(k)
    return entry


async def streams_block_until_an_entry_arrives(store: StateStore, p: str) -> None:
    s, k = _streams(store), p + "live"
    assert await s.stream_read(k, block=0.05) == []
    start = await s.stream_last_id(k) or StreamId(0)
    reader = asyncio.ensure_future(s.stream_read(k, after=start, block=10))
    group_reader = asyncio.ensure_future(s.stream_group_read(k, "g", "c1", block=10))
    await asyncio.sleep(0.05)  # let both readers block before the entry exists
    added = await s.stream_add(k, "wake up")
    async with asyncio.timeout(10):
        got, grouped = await asyncio.gather(reader, group_reader)
    assert [(e.id, e.data) for e in got] == [(added, "wake up")]
    assert [(e.id, e.data, e.deliveries) for e in grouped] == [(added, "wake up", 1)]


async def streams_groups_deliver_each_entry_once(store: StateStore, p: str) -> None:
    s, k = _streams(store), p + "work"
    ids = [await s.stream_add(k, i) for i in range(20)]
    a, b = await asyncio.gather(*(s.stream_group_read(k, "g", c, count=7) for c in "ab"))
    rest = await s.stream_group_read(k, "g", "c", count=100)
    got = [e.id for e in a + b + rest]
    assert sorted(got) == ids, "every entry exactly once across the group's consumers"
    assert await s.stream_group_read(k, "g", "a") == []
    assert [e.data for e in await s.stream_group_read(k, "other", "x")] == list(range(20))
    pending = await s.stream_pending(k, "g")
    assert [e.id for e in pending] == ids
    assert {e.id: e.consumer for e in pending}[a[0].id] == "a"
    assert all(isinstance(e, PendingEntry) and e.deliveries == 1 for e in pending)
    assert await s.stream_ack(k, "g", ids[:5]) == 5
    assert await s.stream_ack(k, "g", ids[:5]) == 0
    assert await s.stream_ack(k, "g", ids[5:8], delete=True) == 3
    assert [e.id for e in await s.stream_pending(k, "g")] == ids[8:]
    assert await s.stream_len(k) == 17
    assert ids[5] not in [e.id for e in await s.stream_read(k)]
    assert await s.stream_pending(k, "never-made") == []


async def streams_claim_takes_over_idle_entries(store: StateStore, p: str) -> None:
    s, k = _streams(store), p + "claim"
    ids = [await s.stream_add(k, {"i": i}) for i in range(4)]
    assert len(await s.stream_group_read(k, "g", "dead", count=4)) == 4
    assert await s.stream_claim(k, "g", "b", min_idle=60) == []

    async def all_idle() -> bool:
        return all(e.idle >= IDLE for e in await s.stream_pending(k, "g"))
    await _until(all_idle)
    await s.stream_touch(k, "g", "dead", [ids[1]])  # its holder is alive after all
    await s.stream_touch(k, "g", "stranger", [ids[2]])  # not its holder: changes nothing
    await s.stream_add(k, "new", max_len=4)  # ids[0] leaves the stream while pending
    claimed = await s.stream_claim(k, "g", "b", min_idle=IDLE)
    assert [(e.id, e.data, e.deliveries) for e in claimed] == [
        (ids[2], {"i": 2}, 2), (ids[3], {"i": 3}, 2)]
    owners = {e.id: e.consumer for e in await s.stream_pending(k, "g")}
    assert owners == {ids[1]: "dead", ids[2]: "b", ids[3]: "b"}, \
        "a claimed entry that no longer exists is dropped"
    assert await s.stream_claim(k, "g", "c", min_idle=60) == []
    await s.stream_release(k, "g", [ids[2]])
    handed = await s.stream_claim(k, "g", "c", min_idle=60)
    assert [(e.id, e.deliveries) for e in handed] == [(ids[2], 3)]


async def streams_live_in_the_key_namespace(store: StateStore, p: str) -> None:
    s, k = _streams(store), p + "ns:stream"
    await s.stream_add(k, 1)
    await s.stream_group_read(k, "g", "c")
    await store.set(p + "ns:value", 1)
    assert await store.scan(p + "ns:") == [k, p + "ns:value"]
    await store.delete(k)
    assert await s.stream_len(k) == 0
    assert await s.stream_pending(k, "g") == []
    assert await store.scan(p + "ns:") == [p + "ns:value"]
    again = await s.stream_add(k, 2)
    assert [e.id for e in await s.stream_group_read(k, "g", "c")] == [again]


async def streams_read_many_at_once(store: StateStore, p: str) -> None:
    s, a, b, c = _streams(store), p + "many:a", p + "many:b", p + "many:c"
    assert await s.stream_read_many({}) == {}
    assert await s.stream_read_many({a: StreamId(0), b: StreamId(0)}, block=0.05) == {}
    a_ids = [await s.stream_add(a, f"a{i}") for i in range(3)]
    b_id = await s.stream_add(b, "b0")
    got = await s.stream_read_many({a: a_ids[0], b: StreamId(0), c: StreamId(0)}, count=1)
    assert {k: [(e.id, e.data) for e in v] for k, v in got.items()} == {
        a: [(a_ids[1], "a1")], b: [(b_id, "b0")]}, "each stream after its own id, count each"
    reader = asyncio.ensure_future(s.stream_read_many({a: a_ids[-1], c: StreamId(0)},
                                                      block=10))
    await asyncio.sleep(0.05)  # let the reader block before the entry exists
    added = await s.stream_add(c, "wake up")
    async with asyncio.timeout(10):
        woke = await reader
    assert {k: [(e.id, e.data) for e in v] for k, v in woke.items()} == {
        c: [(added, "wake up")]}


async def streams_add_once_dedups_and_appends_in_one_step(store: StateStore, p: str) -> None:
    s, k, key = _streams(store), p + "once", p + "seen:e1"
    first = await s.stream_add_once(k, {"e": 1}, seen_key=key, ttl=60)
    assert isinstance(first, StreamId)
    assert await s.stream_add_once(k, {"e": 1, "retry": True}, seen_key=key, ttl=60) is None, \
        "a key already recorded: a duplicate, nothing appended"
    other = await s.stream_add_once(k, {"e": 2}, seen_key=p + "seen:e2", ttl=60)
    assert other is not None
    assert other > first
    assert [(e.id, e.data) for e in await s.stream_read(k)] == [(first, {"e": 1}),
                                                                 (other, {"e": 2})]
    assert await store.seen(key, ttl=60), "the key is the one seen() records"
    assert not await store.seen(p + "seen:e3", ttl=60)
    assert await s.stream_add_once(k, {"e": 3}, seen_key=p + "seen:e3", ttl=60) is None, \
        "a key seen() recorded is a duplicate here too"
    grouped = await s.stream_group_read(k, "g", "c")
    assert [e.id for e in grouped] == [first, other], "appended entries reach consumer groups"
    short = p + "seen:short"
    assert await s.stream_add_once(k, "a", seen_key=short, ttl=IDLE) is not None

    async def forgotten() -> bool:
        return await store.get(short) is None
    await _until(forgotten)
    again = await s.stream_add_once(k, "b", seen_key=short, ttl=60)
    assert again is not None, "once the key expired, the same key appends again"
    assert await s.stream_len(k) == 4
    together = await asyncio.gather(*(s.stream_add_once(k, n, seen_key=p + "seen:same", ttl=60)
                                      for n in range(10)))
    assert sum(entry is not None for entry in together) == 1, \
        "of calls made at once with one key, exactly one appends"
    assert await s.stream_len(k) == 5


STREAM_CHECKS = (streams_append_and_read, streams_add_many_in_order,
                 streams_add_once_dedups_and_appends_in_one_step,
                 streams_block_until_an_entry_arrives, streams_read_many_at_once,
                 streams_groups_deliver_each_entry_once,
                 streams_claim_takes_over_idle_entries, streams_live_in_the_key_namespace)
