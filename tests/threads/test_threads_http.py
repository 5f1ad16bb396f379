"""The threads HTTP API through real HTTP: threads, state and checkpoints, messages,
conflicts, bad input, the event stream."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from threads_helpers import make_bot

from botkit import Bot, UserError
from botkit.dashboard.auth import is_dashboard_path
from botkit.testing import BOB, CallTool, FakeAdapter, Rule, Say, running
from botkit.threads import ThreadsAPIConfig
from botkit.threads.http import threads_app

ID = quote("C1:t1", safe="")
JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def served() -> AsyncIterator[tuple[Bot, FakeAdapter, httpx.AsyncClient]]:
    fake = FakeAdapter()
    bot = make_bot(fake, threads_api=ThreadsAPIConfig(port=0))
    async with running(bot):
        assert bot.threads_api_url is not None
        async with httpx.AsyncClient(base_url=bot.threads_api_url, timeout=10) as client:
            yield bot, fake, client


async def test_threads_are_created_found_changed_copied_and_deleted(
    served: tuple[Bot, FakeAdapter, httpx.AsyncClient]
) -> None:
    _bot, fake, client = served
    empty = await client.post("/threads", json={})
    assert empty.status_code == 200
    made = empty.json()
    assert (made["status"], made["values"], made["metadata"], made["platform"]) == (
        "idle", {}, {}, "web")
    assert made["created_at"].endswith("+00:00")
    named = (await client.post("/threads", json={
        "thread_id": "t-1", "metadata": {"team": "it"}, "title": "Printer",
        "supersteps": [{"updates": [{"values": {"step": 1}, "as_node": "__input__"}]},
                       {"updates": [{"values": {"note": "hi"}, "as_node": "agent"}]}]})).json()
    assert (named["thread_id"], named["values"]) == ("t-1", {"step": 1, "note": "hi"})
    again = await client.post("/threads", json={"thread_id": "t-1"})
    assert again.status_code == 409
    kept = await client.post("/threads", json={"thread_id": "t-1", "if_exists": "do_nothing"})
    assert kept.json()["title"] == "Printer"
    await fake.emit_mention("deploy please")  # a Slack-like thread, interrupted

    found = await client.post("/threads/search", json={"sort_by": "thread_id",
                                                       "sort_order": "asc"})
    assert [t["thread_id"] for t in found.json()] == sorted(
        ["C1:t1", "t-1", made["thread_id"]])
    assert found.headers["X-Pagination-Total"] == "3"
    by_meta = await client.post("/threads/search", json={"metadata": {"team": "it"}})
    assert [t["thread_id"] for t in by_meta.json()] == ["t-1"]
    by_values = await client.post("/threads/search", json={"values": {"note": "hi"},
                                                           "select": ["thread_id"]})
    assert by_values.json() == [{"thread_id": "t-1"}]
    waiting = await client.post("/threads/search", json={"status": "interrupted"})
    (interrupted,) = waiting.json()
    assert interrupted["interrupts"]
    assert (await client.post("/threads/count", json={"status": "idle"})).json() == 2
    listed = await client.get("/threads", params={"limit": 1, "offset": 1,
                                                  "sort_by": "created_at"})
    assert (len(listed.json()), listed.headers["X-Pagination-Total"]) == (1, "3")

    got = await client.get("/threads/t-1")
    etag = got.headers["ETag"]
    patched = await client.patch("/threads/t-1", json={"title": "Printer 2",
                                                       "metadata": {"team": None, "x": 1}},
                                 headers={"If-Match": etag})
    assert (patched.json()["title"], patched.json()["metadata"]) == ("Printer 2", {"x": 1})
    stale = await client.patch("/threads/t-1", json={"title": "lost"},
                               headers={"If-Match": etag})
    assert stale.status_code == 412
    assert (await client.get("/threads/t-1")).json()["title"] == "Printer 2"

    copied = (await client.post("/threads/t-1/copy")).json()
    assert (copied["copied_from"], copied["values"]) == ("t-1", {"step": 1, "note": "hi"})
    assert (await client.delete("/threads/t-1", headers={"If-Match": '"old"'})
            ).status_code == 412
    assert (await client.delete("/threads/t-1")).status_code == 204
    assert (await client.get("/threads/t-1")).status_code == 404
    assert (await client.get(f"/threads/{quote(copied['thread_id'])}")).status_code == 200


async def test_every_run_and_state_write_makes_a_checkpoint(
    served: tuple[Bot, FakeAdapter, httpx.AsyncClient]
) -> None:
    _bot, fake, client = served
    await fake.emit_mention("file a ticket")
    state = await client.get(f"/threads/{ID}/state")
    body = state.json()
    assert body["metadata"]["source"] == "loop"
    assert body["checkpoint"]["checkpoint_id"] == state.headers["ETag"].strip('"')
    assert "scripted" in body["values"]
    updated = await client.post(f"/threads/{ID}/state", json={"values": {"note": "hi"}},
                                headers={"If-Match": state.headers["ETag"]})
    assert updated.status_code == 200, updated.text
    point = updated.json()["checkpoint"]
    assert point["thread_id"] == "C1:t1"
    stale = await client.post(f"/threads/{ID}/state", json={"values": {"note": "lost"}},
                              headers={"If-Match": state.headers["ETag"]})
    assert stale.status_code == 412
    patched = await client.post(f"/threads/{ID}/state", json={
        "patch": [{"op": "add", "path": "/extra", "value": [1]}]})
    assert patched.json()["values"]["extra"] == [1]
    bad_patch = await client.post(f"/threads/{ID}/state", json={
        "patch": [{"op": "remove", "path": "/missing"}]})
    assert bad_patch.status_code == 409

    history = (await client.post(f"/threads/{ID}/history", json={"limit": 10})).json()
    assert [h["metadata"]["source"] for h in history][:3] == ["update", "update", "loop"]
    assert history[1]["checkpoint"] == point
    assert history[0]["parent_checkpoint"] == point
    older = await client.get(f"/threads/{ID}/history",
                             params={"before": point["checkpoint_id"], "limit": 1})
    assert older.json() == history[2:3]
    at = await client.get(f"/threads/{ID}/state/{point['checkpoint_id']}")
    assert at.json()["values"]["note"] == "hi"
    assert "extra" not in at.json()["values"]
    missing = await client.get(f"/threads/{ID}/state/nope")
    assert missing.status_code == 404
    cleared = await client.delete(f"/threads/{ID}/state")
    assert cleared.json()["values"] == {}


async def test_a_state_write_during_a_run_is_refused_not_lost() -> None:
    fake = FakeAdapter()
    release, started = asyncio.Event(), asyncio.Event()
    bot = make_bot(fake, threads_api=ThreadsAPIConfig(port=0))

    @bot.tool
    async def wait_for_approval() -> str:
        """Wait."""
        started.set()
        await release.wait()
        return "ok"
    bot.agent.rules.insert(0, _rule("slow", "wait_for_approval"))  # type: ignore[union-attr]
    async with running(bot), httpx.AsyncClient(base_url=str(bot.threads_api_url)) as client:
        run = asyncio.create_task(fake.emit_mention("slow please"))
        async with asyncio.timeout(5):
            await started.wait()
        assert (await client.get(f"/threads/{ID}")).json()["status"] == "busy"
        refused = await client.post(f"/threads/{ID}/state", json={"values": {"x": 1}})
        assert refused.status_code == 409
        assert refused.json()["error"] == "thread_busy"
        release.set()
        await run
        assert (await client.get(f"/threads/{ID}")).json()["status"] == "idle"
        accepted = await client.post(f"/threads/{ID}/state", json={"values": {"x": 1}})
        assert accepted.status_code == 200
        assert (await client.get(f"/threads/{ID}/state")).json()["values"]["x"] == 1


def _rule(word: str, tool: str) -> Rule:
    return Rule(word, CallTool(tool, {}), Say("done"))


async def test_messages_list_add_get_and_delete(
    served: tuple[Bot, FakeAdapter, httpx.AsyncClient]
) -> None:
    _bot, fake, client = served
    await fake.emit_mention("file a ticket")
    listed = (await client.get(f"/threads/{ID}/messages")).json()
    assert [m["content"] for m in listed["messages"]] == ["file a ticket", "Filed T-1 (printer)."]
    assert (listed["total"], listed["messages"][0]["role"]) == (2, "user")
    searched = (await client.get(f"/threads/{ID}/messages", params={"search": "FILED"})).json()
    assert ([m["content"] for m in searched["messages"]], searched["total"]) == (
        ["Filed T-1 (printer)."], 1)
    added = await client.post(f"/threads/{ID}/messages", json={"messages": [
        {"role": "assistant", "content": "An operator here: I'll take it from now."}]})
    assert added.status_code == 201
    (message,) = added.json()["messages"]
    assert fake.texts()[-1] == "An operator here: I'll take it from now."  # in the platform
    one = await client.get(f"/threads/{ID}/messages/{message['id']}")
    assert one.json()["message"]["is_bot"]
    as_user = await client.post(f"/threads/{ID}/messages", json={"messages": [
        {"role": "user", "content": "pretend"}]})
    assert as_user.status_code == 422  # a platform thread only takes the bot's own words
    user_message = listed["messages"][0]["id"]
    assert (await client.delete(f"/threads/{ID}/messages/{user_message}")).status_code == 409
    assert (await client.delete(f"/threads/{ID}/messages/{message['id']}")).status_code == 204
    assert (await client.get(f"/threads/{ID}/messages/{message['id']}")).status_code == 404
    web_thread = (await client.post("/threads", json={})).json()["thread_id"]
    unserved = await client.get(f"/threads/{web_thread}/messages")
    assert unserved.status_code == 409
    assert "does not serve" in unserved.json()["message"]


@pytest.mark.parametrize(("method", "path", "kwargs", "fields"), [
    ("GET", f"/threads/{ID}/messages", {"params": {"limit": "0", "offset": "-1"}},
     ["limit", "offset"]),
    ("POST", f"/threads/{ID}/messages", {"json": {"messages": [{"content": ""}]}},
     ["messages.0.content"]),
    ("POST", f"/threads/{ID}/messages", {"json": {"messages": []}}, ["messages"]),
    ("POST", "/threads/search", {"json": {"limit": 0, "sort_by": "x", "status": "nap",
                                          "bogus": 1}},
     ["status", "limit", "sort_by", "bogus"]),
    ("GET", "/threads", {"params": {"status": ""}}, ["status"]),
    ("PATCH", f"/threads/{ID}", {}, ["body"]),
    ("PATCH", f"/threads/{ID}", {"json": {"title": 5, "archived": "yes"}},
     ["title", "archived"]),
    ("POST", f"/threads/{ID}/copy", {"json": {"new_id": None, "title": None, "x": 1}},
     ["x"]),
    ("POST", "/threads", {"json": {"thread_id": "", "if_exists": "maybe"}},
     ["thread_id", "if_exists"]),
])
async def test_invalid_requests_are_422_naming_each_field(
    served: tuple[Bot, FakeAdapter, httpx.AsyncClient], method: str, path: str,
    kwargs: dict[str, Any], fields: list[str]
) -> None:
    _bot, fake, client = served
    await fake.emit_mention("hello")
    response = await client.request(method, path, **kwargs)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    assert sorted(e["field"] for e in body["errors"]) == sorted(fields)
    assert all(e["message"] for e in body["errors"])


async def test_other_bad_requests(served: tuple[Bot, FakeAdapter, httpx.AsyncClient]) -> None:
    _bot, _fake, client = served
    assert (await client.get("/threads/nope")).json() == {
        "error": "not_found", "message": "no thread 'nope'"}
    assert (await client.get("/threads/nope/history")).status_code == 404
    bad = await client.post("/threads/search", content=b"{nope",
                            headers={"Content-Type": "application/json"})
    assert (bad.status_code, bad.json()["error"]) == (400, "bad_request")
    wrong_method = await client.put(f"/threads/{ID}/copy")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "POST"
    nested = b'{"metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    deep = await client.post("/threads", content=nested, headers=JSON)
    assert (deep.status_code, deep.json()["error"]) == (400, "bad_request")
    digits = await client.post("/threads", headers=JSON,
                               content=b'{"metadata": {"n": ' + b"9" * 5000 + b"}}")
    assert digits.status_code == 400
    surrogate = await client.post("/threads", content=b'{"title": "\\ud800"}', headers=JSON)
    assert (surrogate.status_code, surrogate.json()["error"]) == (400, "bad_request")
    assert (await client.post("/threads/search")).status_code == 200  # still serving
    huge = await client.post("/threads", content=b'{"title": "' + b"x" * 2_000_000 + b'"}',
                             headers=JSON)
    assert (huge.status_code, huge.json()["error"]) == (413, "too_large")
    assert (await client.get("/nowhere")).status_code == 404


def test_config_is_checked() -> None:
    for host in ("0.0.0.0", "192.168.1.5", "example.com"):
        with pytest.raises(UserError) as error:
            ThreadsAPIConfig(host=host, port=0)
        assert "--threads-api-token" in str(error.value)
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        ThreadsAPIConfig(host=host, port=0)
    ThreadsAPIConfig(host="0.0.0.0", port=0, token="t")
    with pytest.raises(UserError, match="empty"):
        ThreadsAPIConfig(token=" ")
    with pytest.raises(UserError, match="port"):
        ThreadsAPIConfig(port=70000)
    with pytest.raises(UserError, match="cors_origins"):
        ThreadsAPIConfig(cors_origins=("",))
    with pytest.raises(UserError, match="max_body_bytes"):
        ThreadsAPIConfig(max_body_bytes=10)


async def test_a_busy_port_is_a_clear_error() -> None:
    first = make_bot(FakeAdapter(), threads_api=ThreadsAPIConfig(port=0))
    async with running(first):
        assert first.threads_api_url is not None
        port = int(first.threads_api_url.rsplit(":", 1)[1])
        second = make_bot(FakeAdapter(), threads_api=ThreadsAPIConfig(port=port))
        with pytest.raises(UserError, match="cannot listen"):
            await second.start()


async def read_events(lines: AsyncIterator[str], count: int) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    kind, data = "", ""
    async for line in lines:
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and kind:
            events.append((kind, json.loads(data)))
            kind = ""
            if len(events) == count:
                break
    return events


async def test_the_event_stream_reports_changes(
    served: tuple[Bot, FakeAdapter, httpx.AsyncClient]
) -> None:
    _bot, fake, client = served
    async with client.stream("GET", "/threads/events") as stream, \
            client.stream("GET", "/threads/events", params={"thread_id": "C2:t2"}) as only:
        assert stream.headers["content-type"] == "text/event-stream"
        lines, only_lines = stream.aiter_lines(), only.aiter_lines()
        assert await anext(lines) == ": connected"
        assert await anext(only_lines) == ": connected"
        await fake.emit_mention("deploy now")
        await client.patch(f"/threads/{ID}", json={"title": "Deploy", "archived": True})
        await client.delete(f"/threads/{ID}")
        await fake.emit_mention("hello", conversation="C2:t2")
        async with asyncio.timeout(5):
            events = await read_events(lines, 11)
            mine = await read_events(only_lines, 1)
    assert [kind for kind, _ in events] == [
        "created", "status_changed", "state_changed", "state_changed", "status_changed",
        "renamed", "archived", "deleted", "created", "status_changed", "state_changed"]
    assert events[1][1]["thread"]["status"] == "busy"
    assert events[4][1]["thread"]["status"] == "interrupted"
    assert events[5][1]["thread"]["title"] == "Deploy"
    assert events[5][1]["thread"]["thread_id"] == "C1:t1"
    assert events[5][1]["at"].endswith("+00:00")
    assert mine[0][0] == "created"
    assert mine[0][1]["thread_id"] == "C2:t2"
    await fake.click("Yes", user=BOB)  # the interrupted thread is gone: still answered


async def test_a_served_api_replays_from_the_start_what_came_before_any_stream(
    served: tuple[Bot, FakeAdapter, httpx.AsyncClient]
) -> None:
    """The default (memory) store keeps thread events only for readers: serving the API
    counts as one, so ``Last-Event-ID: 0`` replays a mention no stream was open for."""
    bot, fake, client = served
    await fake.emit_mention("deploy now")
    await bot.threads.hub.flush()
    headers = {"Last-Event-ID": "0"}
    async with client.stream("GET", "/threads/events", headers=headers) as stream:
        lines = stream.aiter_lines()
        assert await anext(lines) == ": connected"
        async with asyncio.timeout(5):
            events = await read_events(lines, 2)
    assert [kind for kind, _ in events] == ["created", "status_changed"]
    assert events[0][1]["thread_id"] == "C1:t1"


async def test_stopping_the_bot_ends_open_streams() -> None:
    bot = make_bot(FakeAdapter(), threads_api=ThreadsAPIConfig(port=0))
    await bot.start()
    assert bot.threads_api_url is not None
    async with httpx.AsyncClient(base_url=bot.threads_api_url) as client, \
            client.stream("GET", "/threads/events") as stream:
        lines = stream.aiter_lines()
        assert await anext(lines) == ": connected"
        async with asyncio.timeout(5):
            await bot.stop()
            rest = [line async for line in lines]
    assert rest == [""]
    assert bot.threads_api_url is None


async def test_the_openapi_document_covers_every_route(
    served: tuple[Bot, FakeAdapter, httpx.AsyncClient]
) -> None:
    bot, _, client = served
    doc = (await client.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    routes = {(r.resource.canonical, r.method.lower())
              for r in threads_app(bot.threads).router.routes()
              if r.method != "HEAD" and r.resource is not None
              and not is_dashboard_path(r.resource.canonical)}  # pages, not API
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert routes == documented
    for path, ops in doc["paths"].items():
        for op in ops.values():
            assert op["summary"]
            if "{thread_id}" in path:
                assert {"404", "422"} <= set(op["responses"])


async def test_a_cancelled_event_stream_stays_cancelled_and_unsubscribes() -> None:
    from aiohttp.test_utils import make_mocked_request

    from botkit.store import MemoryStore
    from botkit.threads import Threads
    from botkit.threads.access import EVERYONE
    from botkit.threads.http.base import PRINCIPAL
    from botkit.threads.http.event_routes import stream_events

    threads = Threads(MemoryStore())
    subscribed, left = asyncio.Event(), asyncio.Event()
    subscribe = threads.hub.subscribe

    @contextlib.asynccontextmanager
    async def watched(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        async with subscribe(*args, **kwargs) as events:
            subscribed.set()
            try:
                yield events
            finally:
                left.set()
    threads.hub.subscribe = watched  # type: ignore[method-assign]
    request = make_mocked_request("GET", "/threads/events", app=threads_app(threads))
    request[PRINCIPAL] = EVERYONE
    serving = asyncio.create_task(stream_events(request))
    async with asyncio.timeout(5):
        await subscribed.wait()  # it now waits for an event
    serving.cancel()  # the server shuts down, or the client's task is cancelled
    with pytest.raises(asyncio.CancelledError):
        await serving
    assert left.is_set()
