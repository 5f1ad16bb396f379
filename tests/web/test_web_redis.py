"""Web threads on Redis (replicas share it): a second bot process on the same Redis sees the
thread's messages and runs, and rebuilds the same history; a run going on one replica is
listed, read, streamed live, answered and waited for from the other."""

from __future__ import annotations

import asyncio

import httpx
from web_helpers import ALICE, as_user, first_card, helpdesk_bot

from botkit.store import RedisStore
from botkit_web import UserInput, WebAdapter, header_user


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


async def test_a_run_on_one_replica_is_seen_and_joined_from_another(
        redis_url: str, redis_prefix: str) -> None:
    stores = [RedisStore(redis_url, prefix=redis_prefix) for _ in range(2)]
    adapters = [WebAdapter(port=0, authenticate=header_user()) for _ in range(2)]
    bots = [helpdesk_bot(a, s) for a, s in zip(adapters, stores, strict=True)]
    for bot in bots:
        await bot.start()
    try:
        a, b = adapters
        tid = await a.create_thread("across", user=ALICE)
        run = await a.turns.send(tid, [UserInput(text="a ticket")], user=ALICE)
        card = await first_card(a, run)
        alice = as_user("alice")
        async with httpx.AsyncClient(base_url=str(b.url), headers=alice) as on_b:
            listed = await on_b.get(f"/threads/{tid}/runs")
            assert [(r["run_id"], r["status"]) for r in listed.json()] == [
                (run.run_id, "running")]
            got = await on_b.get(f"/threads/{tid}/runs/{run.run_id}")
            assert got.json()["status"] == "running"
            async with on_b.stream("GET", f"/threads/{tid}/runs/{run.run_id}/stream",
                                   params={"stream_mode": "custom"}) as stream:
                assert stream.status_code == 200
                async for line in stream.aiter_lines():  # the card, live from A
                    if line.startswith("data:") and card["id"] in line:
                        break
            joined = asyncio.create_task(on_b.get(f"/threads/{tid}/runs/{run.run_id}/join"))
            answered = await on_b.post(f"/threads/{tid}/actions", json={
                "action_id": card["controls"][0]["action_id"], "message_id": card["id"]})
            assert answered.status_code == 200  # a click on B reaches the run on A
            values = (await asyncio.wait_for(joined, 30)).json()
            assert values["messages"][-1]["content"] == "Ticket says: opened HD-7"
            assert (await on_b.get(f"/threads/{tid}/runs/{run.run_id}")
                    ).json()["status"] == "success"
    finally:
        for bot in bots:
            await bot.stop()
        for store in stores:
            await store.close()
