"""MemoryStore: the default StateStore (values copied, TTLs on an injectable clock)."""

from __future__ import annotations

import asyncio

from botkit import MemoryStore, StateStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_it_meets_the_protocol() -> None:
    assert isinstance(MemoryStore(), StateStore)


async def test_get_set_delete() -> None:
    store = MemoryStore()
    assert await store.get("k") is None
    await store.set("k", {"a": [1, 2]})
    assert await store.get("k") == {"a": [1, 2]}
    await store.set("k", "replaced")
    assert await store.get("k") == "replaced"
    await store.delete("k")
    await store.delete("never-there")
    assert await store.get("k") is None


async def test_values_are_copied_in_and_out() -> None:
    store = MemoryStore()
    value = {"items": ["a"]}
    await store.set("k", value)
    value["items"].append("mutated after set")
    out = await store.get("k")
    assert out == {"items": ["a"]}
    out["items"].append("mutated after get")
    assert await store.get("k") == {"items": ["a"]}


async def test_ttl_expires_on_the_injected_clock() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    await store.set("short", 1, ttl=10)
    await store.set("forever", 2)
    clock.now += 9.99
    assert await store.get("short") == 1
    clock.now += 0.01
    assert await store.get("short") is None
    clock.now += 10**9
    assert await store.get("forever") == 2


async def test_setting_again_resets_the_ttl() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    await store.set("k", 1, ttl=10)
    clock.now += 8
    await store.set("k", 2, ttl=10)
    clock.now += 8
    assert await store.get("k") == 2
    await store.set("k", 3)  # without ttl: no expiry any more
    clock.now += 100
    assert await store.get("k") == 3


async def test_pop_takes_the_value_once() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    await store.set("k", {"v": 1})
    assert await store.pop("k") == {"v": 1}
    assert await store.pop("k") is None
    assert await store.get("k") is None
    await store.set("old", 1, ttl=1)
    clock.now += 1
    assert await store.pop("old") is None


async def test_concurrent_pops_have_one_winner() -> None:
    store = MemoryStore()
    await store.set("claim", "token")
    results = await asyncio.gather(*(store.pop("claim") for _ in range(5)))
    assert sorted(results, key=str) == [None, None, None, None, "token"]


async def test_seen_records_once_per_ttl() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    assert await store.seen("evt:1", ttl=60) is False
    assert await store.seen("evt:1", ttl=60) is True
    assert await store.seen("evt:2", ttl=60) is False
    clock.now += 59
    assert await store.seen("evt:1", ttl=60) is True
    clock.now += 1
    assert await store.seen("evt:1", ttl=60) is False  # expired: a new delivery
    assert await store.seen("evt:1", ttl=60) is True


async def test_close_forgets_everything() -> None:
    store = MemoryStore()
    await store.set("a", 1)
    await store.seen("b", ttl=10)
    await store.close()
    assert await store.get("a") is None
    assert await store.seen("b", ttl=10) is False


async def test_a_lock_reads_as_its_token_and_a_value_like_one_stays_a_value() -> None:
    """A lock is kept as its token itself (no JSON text of it beside the one the holder
    has): it still reads, compares and expires as any value does."""
    clock = Clock()
    store = MemoryStore(clock=clock)
    token = await store.acquire_lock("lock", ttl=10)
    assert token is not None
    assert await store.get("lock") == token
    assert await store.scan("lo") == ["lock"]
    assert await store.compare_and_set("lock", "someone else's", "x") is False
    assert await store.extend_lock("lock", token, ttl=10) is True
    clock.now += 9
    assert await store.compare_and_set("lock", token, token + "!", ttl=5) is True
    assert await store.get("lock") == token + "!"
    assert await store.release_lock("lock", token) is False  # no longer its token
    await store.set("like-a-lock", token)
    assert await store.get("like-a-lock") == token
    assert await store.acquire_lock("like-a-lock", ttl=10) is None
    assert await store.pop("like-a-lock") == token


async def test_expired_keys_nobody_reads_again_are_freed() -> None:
    """Expiry is not only found on a read: writes with a TTL sweep now and then, so
    dedup marks of events that never come again do not pile up."""
    clock = Clock()
    store = MemoryStore(clock=clock)
    for i in range(3000):
        await store.seen(f"evt:old:{i}", ttl=60)
    await store.set("kept", 1)
    clock.now += 60
    for i in range(3000):  # new keys only: none of the old ones is read again
        await store.seen(f"evt:new:{i}", ttl=60)
    assert not [k for k in store._data if k.startswith("evt:old:")]
    assert not [k for k in store._expires if k.startswith("evt:old:")]
    assert await store.get("kept") == 1
    assert await store.seen("evt:new:0", ttl=60) is True
