"""The replica registry: heartbeats, ownership records, and releasing a dead owner's locks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from botkit.inbox import Replicas
from botkit.store import StateStore


async def test_a_dead_replicas_turn_lock_is_released_and_a_live_ones_is_not(
        make_store: Callable[[], StateStore]) -> None:
    store_a, store_b, store_c = make_store(), make_store(), make_store()
    dying = Replicas(store_a, ttl=0.3, beat_every=0.1)
    living = Replicas(store_b, ttl=5, beat_every=0.1)
    cleaner = Replicas(store_c, ttl=5, beat_every=0.1)
    for replica in (dying, living, cleaner):
        await replica.start()
    try:
        dead_token = await store_a.acquire_lock("turn:C1", ttl=300)
        live_token = await store_b.acquire_lock("turn:C2", ttl=300)
        assert dead_token
        assert live_token
        await dying.record("turn:C1", dead_token)
        await living.record("turn:C2", live_token)
        assert await cleaner.release_orphaned_locks() == []
        await dying.stop(forget=False)  # SIGKILL: the heartbeat key expires by itself
        async with asyncio.timeout(10):
            while not await cleaner.release_orphaned_locks():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        assert await store_c.acquire_lock("turn:C1", ttl=5) is not None
        assert await store_c.acquire_lock("turn:C2", ttl=5) is None
        assert [o.key for o in await cleaner.owned("turn:")] == ["turn:C2"]
    finally:
        for replica in (living, cleaner):
            await replica.stop()


async def test_a_graceful_stop_says_goodbye_at_once(make_store: Callable[[], StateStore]) -> None:
    store = make_store()
    leaving = Replicas(store, ttl=60, beat_every=1)
    watcher = Replicas(store, ttl=60, beat_every=1)
    await leaving.start()
    await watcher.start()
    assert await watcher.alive(leaving.replica)
    await leaving.record("stream:m1", {"channel": "C1", "ts": "1.2"})
    await leaving.stop()
    assert not await watcher.alive(leaving.replica)
    (orphan,) = await watcher.orphans("stream:")
    assert (orphan.key, orphan.data) == ("stream:m1", {"channel": "C1", "ts": "1.2"})
    assert await watcher.adopt(orphan) is True
    assert await watcher.adopt(orphan) is False, "exactly one process adopts an orphan"
    assert await watcher.orphans("stream:") == []
    await watcher.stop()


def test_the_heartbeat_must_beat_within_its_ttl() -> None:
    from botkit.store import MemoryStore
    with pytest.raises(ValueError, match="shorter than ttl"):
        Replicas(MemoryStore(), ttl=1, beat_every=2)
