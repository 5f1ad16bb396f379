"""RedisStore's ack lane: ``stream_add_once`` calls made together go out pipelined, in few
round trips, from the lane's own thread and connection; a server that lost the script gets
it again; a store given a ready client calls the script on that client."""

from __future__ import annotations

import asyncio

from botkit.store import RedisStore


async def test_calls_made_together_share_round_trips(redis_url: str, redis_prefix: str) -> None:
    store = RedisStore(redis_url, prefix=redis_prefix)
    try:
        lane = store.ack_lane
        assert lane is not None
        ids = await asyncio.gather(*(store.stream_add_once("inbox", {"n": n},
                                                           seen_key=f"seen:{n}", ttl=60)
                                     for n in range(50)))
        assert lane.batches < 50 / 2, "most calls rode along in another call's round trip"
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
        assert store.ack_lane is not None
        store.ack_lane.sha = "0" * 40  # what a SCRIPT FLUSH or a restarted server amounts to
        got = await asyncio.gather(store.stream_add_once("inbox", 2, seen_key="seen:2", ttl=60),
                                   store.stream_add_once("inbox", 1, seen_key="seen:1", ttl=60))
        assert got[0] is not None
        assert got[1] is None
        assert [e.data for e in await store.stream_read("inbox")] == [1, 2]
    finally:
        await store.close()


async def test_a_closed_store_sends_again_on_next_use(redis_url: str, redis_prefix: str) -> None:
    store = RedisStore(redis_url, prefix=redis_prefix)
    try:
        assert await store.stream_add_once("inbox", 1, seen_key="seen:1", ttl=60) is not None
        await store.close()
        assert await store.stream_add_once("inbox", 2, seen_key="seen:2", ttl=60) is not None
        assert await store.stream_len("inbox") == 2
    finally:
        await store.close()


async def test_a_store_on_a_ready_client_dedups_and_appends_on_it(
        redis_url: str, redis_prefix: str) -> None:
    from redis.asyncio import Redis
    client = Redis.from_url(redis_url, decode_responses=True)
    store = RedisStore(prefix=redis_prefix, client=client)
    try:
        assert store.ack_lane is None
        assert await store.stream_add_once("inbox", 1, seen_key="seen:1", ttl=60) is not None
        assert await store.stream_add_once("inbox", 1, seen_key="seen:1", ttl=60) is None
        assert await store.stream_len("inbox") == 1
    finally:
        await store.close()
        await client.aclose()
