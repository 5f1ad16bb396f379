"""What other parts plug into the threads API: extra route groups, and a platform whose
messages botkit keeps (``MessageKeeper``, as the web adapter does)."""

from __future__ import annotations

import httpx
from aiohttp import web
from threads_helpers import KeepingAdapter, make_bot

from botkit.testing import FakeAdapter, running
from botkit.threads import APIToken, MessageKeeper, ThreadsAPIConfig
from botkit.threads.http import Route, RouteGroup
from botkit.threads.http.base import caller, json_response, ok, threads_of, visible_thread


async def count_runs(request: web.Request) -> web.Response:
    """How many runs a thread had."""
    record = await visible_thread(request)
    return ok({"thread_id": record.id, "runs": len(await threads_of(request).runs(record.id)),
               "caller": caller(request).user_id})


async def ping(request: web.Request) -> web.Response:
    """Answer pong."""
    return ok({"pong": True})


async def test_extra_route_groups_are_served_secured_and_documented() -> None:
    tokens = (APIToken(token="reader", scopes=frozenset({"read"})),
              APIToken(token="alice", user_id="U_ALICE"))
    fake = FakeAdapter()
    bot = make_bot(fake, threads_api=ThreadsAPIConfig(port=0, tokens=tokens))
    bot.threads.route_groups.append(RouteGroup("runs", [
        Route("GET", "/threads/{thread_id}/run-count", count_runs, summary="Count runs",
              responses={"200": json_response({"type": "object"})})]))
    bot.threads.route_groups.append(RouteGroup.of("plain", [web.post("/ping", ping)]))
    async with running(bot), httpx.AsyncClient(base_url=str(bot.threads_api_url)) as client:
        await fake.emit_mention("file a ticket")
        reader = {"Authorization": "Bearer reader"}
        counted = await client.get("/threads/C1%3At1/run-count", headers=reader)
        assert counted.json() == {"thread_id": "C1:t1", "runs": 1, "caller": None}
        assert (await client.get("/threads/C1%3At1/run-count")).status_code == 401
        hidden = await client.get("/threads/C1%3At1/run-count",
                                  headers={"Authorization": "Bearer alice"})
        assert hidden.status_code == 404  # not alice's thread
        assert (await client.post("/ping", headers=reader)).status_code == 403  # POST: write
        assert (await client.post("/ping", headers={"Authorization": "Bearer alice"})
                ).json() == {"pong": True}
        doc = (await client.get("/openapi.json")).json()
        assert doc["paths"]["/threads/{thread_id}/run-count"]["get"]["summary"] == "Count runs"
        assert doc["paths"]["/ping"]["post"]["summary"] == "Answer pong."


async def test_a_kept_platform_takes_messages_from_anyone_without_a_run() -> None:
    keeper = KeepingAdapter(platform="web")
    assert isinstance(keeper, MessageKeeper)
    bot = make_bot(keeper, threads_api=ThreadsAPIConfig(port=0))
    async with running(bot), httpx.AsyncClient(base_url=str(bot.threads_api_url)) as client:
        made = await client.post("/threads", json={"thread_id": "w1", "messages": [
            {"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi!"}]})
        assert made.status_code == 200, made.text
        listed = (await client.get("/threads/w1/messages")).json()
        assert [(m["role"], m["content"]) for m in listed["messages"]] == [
            ("user", "hello"), ("assistant", "hi!")]
        added = await client.post("/threads/w1/messages", json={"messages": [
            {"role": "user", "content": "one more"}]})
        assert added.status_code == 201
        first = listed["messages"][0]["id"]
        assert (await client.delete(f"/threads/w1/messages/{first}")).status_code == 204
        left = (await client.get("/threads/w1/messages")).json()
        assert (left["total"], [m["content"] for m in left["messages"]]) == (
            2, ["hi!", "one more"])
        assert keeper.sent == []  # nothing was posted anywhere, and no run started
        assert (await bot.threads.get("w1")).run_count == 0


async def test_a_thread_whose_messages_cannot_be_added_is_not_created() -> None:
    fake = FakeAdapter()
    bot = make_bot(fake, threads_api=ThreadsAPIConfig(port=0))
    async with running(bot), httpx.AsyncClient(base_url=str(bot.threads_api_url)) as client:
        unserved = await client.post("/threads", json={"thread_id": "w1", "messages": [
            {"role": "user", "content": "hello"}]})
        assert unserved.status_code == 409
        as_user = await client.post("/threads", json={
            "thread_id": "f1", "platform": "fake", "messages": [
                {"role": "user", "content": "hello"}]})
        assert as_user.status_code == 422
        assert (await client.post("/threads/count", json={})).json() == 0
        posted = await client.post("/threads", json={
            "thread_id": "f1", "platform": "fake", "messages": [
                {"role": "assistant", "content": "Hello from the operator."}]})
        assert posted.status_code == 200
        assert fake.texts() == ["Hello from the operator."]
