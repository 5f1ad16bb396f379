"""``store_from_url`` and the Redis key namespace."""

from __future__ import annotations

from pathlib import Path

import pytest

from botkit import MemoryStore, RedisStore, SQLiteStore, UserError, store_from_url


def test_memory_and_sqlite_urls(tmp_path: Path) -> None:
    assert isinstance(store_from_url("memory://"), MemoryStore)
    relative = store_from_url("sqlite:///data/bot.db")
    assert isinstance(relative, SQLiteStore)
    assert relative.path == Path("data/bot.db")
    absolute = store_from_url(f"sqlite:///{tmp_path}/bot%20one.db")
    assert isinstance(absolute, SQLiteStore)
    assert absolute.path == tmp_path / "bot one.db"


async def test_redis_urls_take_a_prefix() -> None:
    store = store_from_url("redis://127.0.0.1:6399/2?prefix=helpdesk:&socket_timeout=5")
    assert isinstance(store, RedisStore)
    assert store.prefix == "helpdesk:"
    kwargs = store.client.connection_pool.connection_kwargs
    assert (kwargs["port"], kwargs["db"], kwargs["socket_timeout"]) == (6399, 2, 5.0)
    default = store_from_url("rediss://example.com")
    assert isinstance(default, RedisStore)
    assert default.prefix == "botkit:"
    await store.close()
    await default.close()


@pytest.mark.parametrize("url", ["", "postgres://x", "sqlite://", "sqlite:///",
                                 "sqlite://host/x.db", "bot.db"])
def test_bad_urls_say_what_works(url: str) -> None:
    with pytest.raises(UserError, match="sqlite:///"):
        store_from_url(url)


async def test_redis_keys_live_under_the_prefix(redis_url: str, redis_prefix: str) -> None:
    store = RedisStore(redis_url, prefix=redis_prefix)
    neighbour = RedisStore(redis_url, prefix=redis_prefix + "other:")
    try:
        await store.set("k", 1)
        await store.list_append("l", 1)
        await neighbour.set("k", 2)
        assert await store.get("k") == 1
        assert await neighbour.get("k") == 2
        assert sorted(await store.client.keys(redis_prefix + "*")) == sorted(
            [redis_prefix + "k", redis_prefix + "l", redis_prefix + "other:k"])
        assert await neighbour.scan("") == ["k"]
    finally:
        await neighbour.delete("k")
        await store.close()
        await neighbour.close()
