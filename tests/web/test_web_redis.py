"""Web threads on Redis (replicas share it): a second bot process on the same Redis sees the
thread's messages and runs, and rebuilds the same history."""

from __future__ import annotations

from web_helpers import ALICE, helpdesk_bot

from botkit.store import RedisStore
from botkit_web import WebAdapter


async def test_a_second_replica_sees_the_thread_and_continues_it(redis_url: str,
                                                                 redis_prefix: str) -> None:
    stores = [RedisStore(redis_url, prefix=redis_prefix) for _ in range(2)]
    adapters = [WebAdapter(), WebAdapter()]
    bots = [helpdesk_bot(a, s) for a, s in zip(adapters, stores, strict=True)]
    for bot in bots:
        await bot.start()
    try:
        tid = await adapters[0].create_thread("shared")
        first = await adapters[0].run(tid, "remember the printer", user=ALICE)
        assert first.status == "success"
        assert await adapters[1].engine.log.get(tid, first.run_id) == first
        second = await adapters[1].run(tid, "and again", user=ALICE)
        assert second.status == "success"
        texts = [m.text for m in await adapters[0].messages.all(tid) if not m.is_status]
        assert texts == ["remember the printer", "Hello remember the printer, I am the helpdesk.",
                         "and again", "Hello and again, I am the helpdesk."]
        runs = await adapters[0].engine.log.list(tid)
        assert [r.run_id for r in runs] == [second.run_id, first.run_id]
    finally:
        for bot in bots:
            await bot.stop()
        for store in stores:
            await store.close()
