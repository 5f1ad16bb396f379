"""The ``StateStore`` conformance suite: run it on your own store.

    from botkit.testing.store_conformance import store_conformance_tests

    test_my_store = store_conformance_tests(lambda: MyStore("…"))   # one pytest test per check

or without pytest: ``await check_store(make_store)`` (raises ``AssertionError`` naming every
failing check). ``make_store`` is called once per check and may be async; each check works
under its own random key prefix, deletes what it created, then closes the store. Expiry is
checked by waiting (polling) until a short TTL has passed, never by a fixed sleep.
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from botkit.store.base import StateStore
from botkit.testing.stream_conformance import STREAM_CHECKS

__all__ = ["CHECKS", "check_store", "run_store_check", "store_conformance_tests"]

StoreFactory = Callable[[], StateStore | Awaitable[StateStore]]
Check = Callable[[StateStore, str], Awaitable[None]]
SHORT = 0.05  # seconds: a TTL the checks wait out


async def eventually(predicate: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """Poll ``predicate`` until it holds (AssertionError after ``timeout`` seconds)."""
    try:
        async with asyncio.timeout(timeout):
            while not await predicate():  # noqa: ASYNC110 - expiry has no event to wait on
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"still not true after {timeout} s") from None


async def _expired(store: StateStore, key: str) -> bool:
    return await store.get(key) is None


async def values_round_trip(s: StateStore, p: str) -> None:
    assert await s.get(p + "missing") is None
    value = {"text": "héllo ✓", "n": 3, "x": 1.5, "ok": True, "none": None, "list": [1, "a", {}]}
    await s.set(p + "k", value)
    assert await s.get(p + "k") == value
    await s.set(p + "k", ["replaced"])
    assert await s.get(p + "k") == ["replaced"]
    got = await s.get(p + "k")
    assert isinstance(got, list)
    got.append("mutated")
    assert await s.get(p + "k") == ["replaced"], "values must be copies"
    await s.delete(p + "k")
    await s.delete(p + "never-there")
    assert await s.get(p + "k") is None


async def get_many_keeps_order(s: StateStore, p: str) -> None:
    await s.set(p + "a", 1)
    await s.set(p + "c", {"c": 3})
    assert await s.get_many([p + "c", p + "b", p + "a"]) == [{"c": 3}, None, 1]
    assert await s.get_many([]) == []


async def ttl_expires(s: StateStore, p: str) -> None:
    await s.set(p + "long", 1, ttl=60)
    await s.set(p + "reset", 1, ttl=SHORT)
    await s.set(p + "reset", 2)  # set again without ttl: no expiry any more
    await s.set(p + "short", 1, ttl=SHORT)
    await eventually(lambda: _expired(s, p + "short"))
    assert await s.get(p + "long") == 1
    assert await s.get(p + "reset") == 2


async def pop_takes_once(s: StateStore, p: str) -> None:
    await s.set(p + "k", {"v": 1})
    assert await s.pop(p + "k") == {"v": 1}
    assert await s.pop(p + "k") is None
    await s.set(p + "claim", "token")
    results = await asyncio.gather(*(s.pop(p + "claim") for _ in range(8)))
    assert sorted(results, key=str) == [None] * 7 + ["token"]


async def compare_and_set_swaps_only_on_match(s: StateStore, p: str) -> None:
    k = p + "cas"
    assert await s.compare_and_set(k, None, {"a": 1, "b": 2}) is True
    assert await s.compare_and_set(k, None, {"other": 1}) is False
    assert await s.compare_and_set(k, {"a": 9}, {"wrong": 1}) is False
    assert await s.compare_and_set(k, {"b": 2, "a": 1}, {"v": 2}) is True  # key order: same
    assert await s.get(k) == {"v": 2}
    assert await s.compare_and_set(p + "short", None, 1, ttl=SHORT) is True
    await eventually(lambda: _expired(s, p + "short"))

    async def bump() -> None:
        while True:
            current = await s.get(p + "n")
            if await s.compare_and_set(p + "n", current, (current or 0) + 1):
                return
    await asyncio.gather(*(bump() for _ in range(10)))
    assert await s.get(p + "n") == 10


async def incr_counts_atomically(s: StateStore, p: str) -> None:
    assert await s.incr(p + "c") == 1
    assert await s.incr(p + "c", 5) == 6
    assert await s.incr(p + "c", -2) == 4
    assert await s.get(p + "c") == 4
    await asyncio.gather(*(s.incr(p + "many") for _ in range(20)))
    assert await s.get(p + "many") == 20
    await s.incr(p + "short", ttl=SHORT)
    await eventually(lambda: _expired(s, p + "short"))
    assert await s.incr(p + "short") == 1


async def seen_records_once(s: StateStore, p: str) -> None:
    assert await s.seen(p + "evt", ttl=60) is False
    assert await s.seen(p + "evt", ttl=60) is True
    results = await asyncio.gather(*(s.seen(p + "race", ttl=60) for _ in range(8)))
    assert results.count(False) == 1
    assert await s.seen(p + "short", ttl=SHORT) is False

    async def fresh_again() -> bool:
        return await s.get(p + "short") is None
    await eventually(fresh_again)
    assert await s.seen(p + "short", ttl=60) is False


async def scan_lists_keys_by_prefix(s: StateStore, p: str) -> None:
    await s.set(p + "thread:b", 1)
    await s.set(p + "thread:a", 1)
    await s.list_append(p + "thread:list", 1)
    await s.set(p + "thread:gone", 1)
    await s.delete(p + "thread:gone")
    await s.set(p + "other", 1)
    await s.set(p + "thread:short", 1, ttl=SHORT)
    await eventually(lambda: _expired(s, p + "thread:short"))
    assert await s.scan(p + "thread:") == [p + "thread:a", p + "thread:b", p + "thread:list"]
    await s.set(p + "odd*[x]?\\", 1)
    await s.set(p + "oddity", 1)
    assert await s.scan(p + "odd*[x]?") == [p + "odd*[x]?\\"]


async def lists_append_and_range(s: StateStore, p: str) -> None:
    k = p + "list"
    assert await s.list_range(k) == []
    assert await s.list_len(k) == 0
    for i in range(5):
        assert await s.list_append(k, {"i": i}) == i + 1
    items = [{"i": i} for i in range(5)]
    assert await s.list_range(k) == items
    for start, stop in [(1, 3), (-2, None), (0, -1), (3, 100), (0, 0), (10, None), (-100, 2),
                        (2, 1), (0, -10)]:
        assert await s.list_range(k, start, stop) == items[start:stop], (start, stop)
    assert await s.list_len(k) == 5
    await s.delete(k)
    assert await s.list_range(k) == []


async def lists_keep_the_newest(s: StateStore, p: str) -> None:
    k = p + "capped"
    for i in range(6):
        length = await s.list_append(k, i, max_len=3)
    assert length == 3
    assert await s.list_range(k) == [3, 4, 5]
    await s.list_append(k, 6)
    await s.list_trim(k, 2)
    assert await s.list_range(k) == [5, 6]
    await s.list_trim(k, 0)
    assert await s.list_len(k) == 0
    assert await s.scan(k) == []
    await s.list_trim(p + "missing", 3)
    assert await s.list_len(p + "missing") == 0


async def lists_expire(s: StateStore, p: str) -> None:
    await s.list_append(p + "short", 1, ttl=SHORT)
    await s.list_append(p + "short", 2)  # without ttl: the expiry is kept
    await s.list_append(p + "long", 1, ttl=SHORT)
    await s.list_append(p + "long", 2, ttl=60)  # with ttl: the expiry restarts

    async def gone() -> bool:
        return await s.list_len(p + "short") == 0
    await eventually(gone)
    assert await s.list_range(p + "short") == []
    assert await s.list_range(p + "long") == [1, 2]


async def lists_pop_all_hands_items_out_once(s: StateStore, p: str) -> None:
    k = p + "queue"
    assert await s.list_pop_all(k) == []
    await s.list_append(k, "a")
    await s.list_append(k, "b")
    assert await s.list_pop_all(k) == ["a", "b"]
    assert await s.list_len(k) == 0
    got: list[Any] = []

    async def produce(i: int) -> None:
        await s.list_append(k, i)

    async def consume() -> None:
        got.extend(await s.list_pop_all(k))
    await asyncio.gather(*(f for i in range(20) for f in (produce(i), consume())))
    got.extend(await s.list_pop_all(k))
    assert sorted(got) == list(range(20))


async def locks_are_exclusive(s: StateStore, p: str) -> None:
    k = p + "lock"
    token = await s.acquire_lock(k, ttl=60)
    assert token
    assert await s.acquire_lock(k, ttl=60) is None
    assert await s.release_lock(k, "not-the-token") is False
    assert await s.acquire_lock(k, ttl=60) is None
    assert await s.release_lock(k, token) is True
    assert await s.release_lock(k, token) is False
    tokens = await asyncio.gather(*(s.acquire_lock(p + "race", ttl=60) for _ in range(8)))
    assert sum(t is not None for t in tokens) == 1


async def locks_expire_and_never_release_a_newer_holder(s: StateStore, p: str) -> None:
    k = p + "lock"
    old = await s.acquire_lock(k, ttl=SHORT)
    assert old
    newer: list[str] = []

    async def taken() -> bool:
        token = await s.acquire_lock(k, ttl=60)
        if token:
            newer.append(token)
        return token is not None
    await eventually(taken)
    assert newer[0] != old
    assert await s.extend_lock(k, old, ttl=60) is False
    assert await s.release_lock(k, old) is False
    assert await s.acquire_lock(k, ttl=60) is None, "the old token released the new holder"
    assert await s.release_lock(k, newer[0]) is True


async def locks_extend_while_held(s: StateStore, p: str) -> None:
    k = p + "lock"
    token = await s.acquire_lock(k, ttl=SHORT * 4)
    assert token
    await s.set(p + "probe", 1, ttl=SHORT * 4)  # expires when the lock would have
    assert await s.extend_lock(k, token, ttl=60) is True
    await eventually(lambda: _expired(s, p + "probe"))
    assert await s.acquire_lock(k, ttl=60) is None, "the extended lock expired"
    assert await s.release_lock(k, token) is True


CHECKS: dict[str, Check] = {f.__name__: f for f in (
    values_round_trip, get_many_keeps_order, ttl_expires, pop_takes_once,
    compare_and_set_swaps_only_on_match, incr_counts_atomically, seen_records_once,
    scan_lists_keys_by_prefix, lists_append_and_range, lists_keep_the_newest, lists_expire,
    lists_pop_all_hands_items_out_once, locks_are_exclusive,
    locks_expire_and_never_release_a_newer_holder, locks_extend_while_held, *STREAM_CHECKS,
)}


async def _make(make_store: StoreFactory) -> StateStore:
    made = make_store()
    return await made if inspect.isawaitable(made) else made


async def run_store_check(make_store: StoreFactory, name: str) -> None:
    """Run one check on a fresh store; clean up its keys and close the store."""
    store = await _make(make_store)
    prefix = f"conformance-{uuid.uuid4().hex[:12]}:"
    try:
        await CHECKS[name](store, prefix)
    finally:
        try:
            for key in await store.scan(prefix):
                await store.delete(key)
        finally:
            await store.close()


async def check_store(make_store: StoreFactory) -> None:
    """Run every check; raise one ``AssertionError`` naming all that failed."""
    failures = []
    for name in CHECKS:
        try:
            await run_store_check(make_store, name)
        except Exception as exc:
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
    if failures:
        raise AssertionError("store conformance failed:\n" + "\n".join(failures))


def store_conformance_tests(make_store: StoreFactory) -> Callable[[str], None]:
    """A pytest test function, parametrized over every check (needs pytest, not an async
    plugin): assign it to a ``test_…`` name in a test module."""
    import pytest

    @pytest.mark.parametrize("check", list(CHECKS))
    def test_store_conformance(check: str) -> None:
        asyncio.run(run_store_check(make_store, check))

    return test_store_conformance
