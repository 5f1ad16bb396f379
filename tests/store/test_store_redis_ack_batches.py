"""RedisStore's ack path: ``stream_add_once`` calls made together go out in one pipelined
round trip on the store's own ack connections, and survive a server that lost its scripts."""

from __future__ import annotations

import asyncio

from botkit.store import RedisStore
from botkit.store.redis_batch import ScriptBatches


async def test_calls_made_together_share_round_trips(redis_url: str, redis_prefix: str) -> None:
    store = RedisStore(redis_url, prefix=redis_prefix)
    try:
        assert store.ack_client is not store.client  # the ack path has its own connections
        ids = await asyncio.gather(*(store.stream_add_once("inbox", {"n": n},
                                                           seen_key=f"seen:{n}", ttl=60)
                                     for n in range(50)))
        batches = store.__dict__["_add_once"]
        assert isinstance(batches, ScriptBatches)
        assert batches.batches < 50 / 2, "most calls rode along in another call's batch"
        entries = await store.stream_read("inbox", count=100)
        assert sorted(e.data["n"] for e in entries) == list(range(50))
        assert sorted(i for i in ids if i is not None) == [e.id for e in entries]
        again = await asyncio.gather(*(store.stream_add_once("inbox", {"n": n},
                                                             seen_key=f"seen:{n}", ttl=60)
                                       for n in range(50)))
        assert again == [None] * 50
    finally:
        await store.close()


async def test_a_server_that_lost_the_script_gets_it_again(redis_url: str,
                                                           redis_prefix: str) -> None:
    store = RedisStore(redis_url, prefix=redis_prefix)
    try:
        assert await store.stream_add_once("inbox", 1, seen_key="seen:1", ttl=60) is not None
        batches = store.__dict__["_add_once"]
        batches._sha = "0" * 40  # what a SCRIPT FLUSH or a restarted server amounts to
        got = await asyncio.gather(store.stream_add_once("inbox", 2, seen_key="seen:2", ttl=60),
                                   store.stream_add_once("inbox", 1, seen_key="seen:1", ttl=60))
        assert got[0] is not None
        assert got[1] is None
        assert [e.data for e in await store.stream_read("inbox")] == [1, 2]
    finally:
        await store.close()
