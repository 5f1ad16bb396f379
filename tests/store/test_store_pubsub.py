"""The optional pub/sub facet: memory (in-process) and Redis (PUBLISH/SUBSCRIBE); SQLite has
none (botkit polls the store there instead)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from botkit import PubSub, RedisStore, SQLiteStore, StateStore, Subscription
from botkit.store import MemoryStore


@pytest.fixture(params=["memory", "redis"])
def make_pubsub(request: pytest.FixtureRequest) -> Callable[[], StateStore]:
    if request.param == "memory":
        shared = MemoryStore()
        return lambda: shared  # in-process: one store object is the "server"
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    return lambda: RedisStore(url, prefix=prefix)


async def next_message(subscription: Subscription) -> object:
    async with asyncio.timeout(5):
        async for message in subscription:
            return message
    raise AssertionError("the subscription ended")


async def test_a_message_reaches_every_subscriber_of_its_channel_only(
    make_pubsub: Callable[[], StateStore],
) -> None:
    publisher, listener_a, listener_b = make_pubsub(), make_pubsub(), make_pubsub()
    assert isinstance(publisher, PubSub)
    assert isinstance(listener_a, PubSub)
    assert isinstance(listener_b, PubSub)
    a = await listener_a.subscribe("choices:one")
    b = await listener_b.subscribe("choices:one")
    other = await listener_b.subscribe("choices:two")
    try:
        assert await publisher.publish("choices:one", {"choice": "c1", "n": [1, 2]}) == 2
        assert await next_message(a) == {"choice": "c1", "n": [1, 2]}
        assert await next_message(b) == {"choice": "c1", "n": [1, 2]}
        assert await publisher.publish("choices:two", "second") == 1
        assert await next_message(other) == "second"
        await a.close()
        assert await publisher.publish("choices:one", 3) == 1  # a closed subscription is gone
        assert await next_message(b) == 3
        assert await publisher.publish("nobody:listens", 4) == 0
    finally:
        await b.close()
        await other.close()
        for store in {id(s): s for s in (publisher, listener_a, listener_b)}.values():
            await store.close()


async def test_redis_channels_live_under_the_store_prefix(redis_url: str,
                                                          redis_prefix: str) -> None:
    mine = RedisStore(redis_url, prefix=redis_prefix)
    another_bot = RedisStore(redis_url, prefix=redis_prefix + "other:")
    subscription = await mine.subscribe("choices:r1")
    try:
        assert await another_bot.publish("choices:r1", "not for you") == 0
        assert await mine.publish("choices:r1", "hello") == 1
        assert await next_message(subscription) == "hello"
    finally:
        await subscription.close()
        await mine.close()
        await another_bot.close()


def test_sqlite_has_no_pubsub(tmp_path: Path) -> None:
    assert not isinstance(SQLiteStore(tmp_path / "state.db"), PubSub)
