"""The threads HTTP API through real HTTP: routes, 422/404/400/401, SSE, OpenAPI."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from threads_helpers import make_bot

from botkit import Bot, UserError
from botkit.dashboard.auth import is_dashboard_path
from botkit.testing import BOB, FakeAdapter, running
from botkit.threads import RunRecord, ThreadRecord, ThreadsAPIConfig
from botkit.threads.http import threads_app

ID = quote("C1:t1", safe="")


@pytest.fixture
async def served() -> AsyncIterator[tuple[Bot, FakeAdapter, httpx.AsyncClient]]:
    fake = FakeAdapter()
    bot = make_bot(fake, threads_api=ThreadsAPIConfig(port=0))
    async with running(bot):
        assert bot.threads_api_url is not None
        async with httpx.AsyncClient(base_url=bot.threads_api_url, timeout=10) as client:
            yield bot, fake, client


async def test_every_route_over_http(served: tuple[Bot, FakeAdapter, httpx.AsyncClient]
                                     ) -> None:
    bot, fake, client = served
    await fake.emit_mention("file a ticket")
    await fake.emit_mention("deploy please", conversation="C2:t2")

    page = (await client.get("/threads")).json()
    assert [t["id"] for t in page["threads"]] == ["C2:t2", "C1:t1"]
    assert (page["total"], page["limit"], page["offset"]) == (2, 50, 0)
    waiting = (await client.get("/threads", params={"status": "interrupted,error"})).json()
    assert [t["id"] for t in waiting["threads"]] == ["C2:t2"]
    found = await client.post("/threads/search", json={"search": "TICKET", "limit": 1})
    assert [t["title"] for t in found.json()["threads"]] == ["file a ticket"]

    one = (await client.get(f"/threads/{ID}")).json()
    assert (one["id"], one["platform"], one["status"], one["run_count"]) == (
        "C1:t1", "fake", "idle", 1)
    patched = await client.patch(f"/threads/{ID}", json={"title": "Printer",
                                                          "metadata": {"team": "it"}})
    assert (patched.json()["title"], patched.json()["metadata"]) == ("Printer", {"team": "it"})
    by_meta = await client.get("/threads", params={"metadata": json.dumps({"team": "it"})})
    assert [t["id"] for t in by_meta.json()["threads"]] == ["C1:t1"]
    await client.patch(f"/threads/{ID}", json={"archived": True})
    assert [t["id"] for t in (await client.get("/threads")).json()["threads"]] == ["C2:t2"]
    archived = await client.get("/threads", params={"archived": "true"})
    assert [t["id"] for t in archived.json()["threads"]] == ["C1:t1"]
    assert (await client.get("/threads", params={"archived": "all"})).json()["total"] == 2

    state = (await client.get(f"/threads/{ID}/state")).json()
    assert state["thread_id"] == "C1:t1"
    assert "scripted" in state["state"]
    merged = await client.post(f"/threads/{ID}/state", json={"values": {"note": "hi"}})
    assert merged.json()["state"]["note"] == "hi"
    patched_state = await client.post(f"/threads/{ID}/state", json={
        "patch": [{"op": "replace", "path": "/note", "value": "yo"}]})
    assert patched_state.json()["state"]["note"] == "yo"
    replaced = await client.post(f"/threads/{ID}/state", json={"state": {"only": 1}})
    assert replaced.json()["state"] == {"only": 1}
    assert (await client.delete(f"/threads/{ID}/state")).json()["state"] == {}
    assert await bot.threads.get_state("C1:t1") == {}

    runs = (await client.get(f"/threads/{ID}/history", params={"limit": 5})).json()["runs"]
    assert [(r["status"], [c["name"] for c in r["tool_calls"]]) for r in runs] == [
        ("completed", ["create_ticket"])]
    messages = (await client.get(f"/threads/{ID}/messages")).json()["messages"]
    assert [m["text"] for m in messages] == ["file a ticket", "Filed T-1 (printer)."]
    assert messages[0]["user"]["id"] == "U_ALICE"
    assert messages[1]["is_bot"]
    paged = await client.get(f"/threads/{ID}/messages", params={"limit": 1, "offset": 1})
    assert [m["text"] for m in paged.json()["messages"]] == ["file a ticket"]
    searched = await client.get(f"/threads/{ID}/messages", params={"search": "filed"})
    assert [m["text"] for m in searched.json()["messages"]] == ["Filed T-1 (printer)."]

    copied = await client.post(f"/threads/{ID}/copy", json={"new_id": "C1:copy"})
    assert copied.status_code == 201
    assert copied.json()["copied_from"] == "C1:t1"
    deleted = await client.delete(f"/threads/{ID}")
    assert deleted.json() == {"deleted": "C1:t1"}
    assert (await client.get(f"/threads/{ID}")).status_code == 404
    assert fake.history["C1:t1"][0].text == "file a ticket"  # platform messages stay


BAD_REQUESTS: list[tuple[str, str, dict[str, Any], list[str]]] = [
    ("GET", "/threads?limit=0", {}, ["limit"]),
    ("GET", "/threads?limit=201", {}, ["limit"]),
    ("GET", "/threads?limit=ten&offset=-1", {}, ["limit", "offset"]),
    ("GET", "/threads?offset=-1", {}, ["offset"]),
    ("GET", "/threads?sort_by=colour&sort_order=up", {}, ["sort_by", "sort_order"]),
    ("GET", "/threads?status=sleepy", {}, ["status"]),
    ("GET", "/threads?archived=maybe", {}, ["archived"]),
    ("GET", "/threads?metadata=%7Bnot-json", {}, ["metadata"]),
    ("POST", "/threads/search", {"json": {"limit": 0, "offset": -2}}, ["limit", "offset"]),
    ("POST", "/threads/search", {"json": {"sort_by": "size"}}, ["sort_by"]),
    ("POST", "/threads/search", {"json": {"bogus": 1}}, ["bogus"]),
    ("POST", "/threads/search", {"json": ["a list"]}, ["body"]),
    ("POST", "/threads/search", {"json": {"metadata": "x", "search": 3}}, ["search",
                                                                          "metadata"]),
    ("GET", "/threads/%20", {}, ["thread_id"]),
    ("GET", "/threads/", {}, ["thread_id"]),
    ("DELETE", "/threads/", {}, ["thread_id"]),
    ("GET", "/threads//state", {}, ["thread_id"]),
    ("PATCH", f"/threads/{ID}", {"json": {"title": " "}}, ["title"]),
    ("PATCH", f"/threads/{ID}", {"json": {"archived": "yes", "metadata": []}},
     ["metadata", "archived"]),
    ("GET", f"/threads/{ID}/history?limit=0", {}, ["limit"]),
    ("GET", f"/threads/{ID}/messages?offset=-1&limit=1000", {}, ["limit", "offset"]),
    ("POST", f"/threads/{ID}/state", {"json": {}}, ["body"]),
    ("POST", f"/threads/{ID}/state", {"json": {"values": 1}}, ["values"]),
    ("POST", f"/threads/{ID}/copy", {"json": {"new_id": ""}}, ["new_id"]),
    ("POST", f"/threads/{ID}/copy", {"json": {"title": 5, "new_id": 7}}, ["new_id", "title"]),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "fields"), BAD_REQUESTS)
async def test_invalid_requests_are_422_naming_each_field(
    served: tuple[Bot, FakeAdapter, httpx.AsyncClient], method: str, path: str,
    kwargs: dict[str, Any], fields: list[str],
) -> None:
    _, fake, client = served
    await fake.emit_mention("hello")
    response = await client.request(method, path, **kwargs)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    assert [e["field"] for e in body["errors"]] == fields
    assert all(e["message"] for e in body["errors"])


@pytest.mark.parametrize(("method", "suffix"), [
    ("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/state"), ("POST", "/state"),
    ("DELETE", "/state"), ("GET", "/history"), ("GET", "/messages"), ("POST", "/copy")])
async def test_unknown_ids_are_404(served: tuple[Bot, FakeAdapter, httpx.AsyncClient],
                                   method: str, suffix: str) -> None:
    _, _, client = served
    body = {"json": {"PATCH": {"title": "x"}, "POST": {"values": {}} if suffix == "/state"
                     else {}}[method]} if method in {"POST", "PATCH"} else {}
    response = await client.request(method, f"/threads/nope{suffix}", **body)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "no thread 'nope'"}


async def test_bad_json_is_400_and_unknown_routes_404(
    served: tuple[Bot, FakeAdapter, httpx.AsyncClient]
) -> None:
    _, fake, client = served
    await fake.emit_mention("hello")
    bad = await client.post("/threads/search", content=b"{nope",
                            headers={"Content-Type": "application/json"})
    assert bad.status_code == 400
    assert "not valid JSON" in bad.json()["message"]
    assert (await client.patch(f"/threads/{ID}", content=b"[1,")).status_code == 400
    assert (await client.get("/nowhere")).json()["error"] == "not_found"


async def test_a_token_is_required_when_configured() -> None:
    bot = make_bot(FakeAdapter(), threads_api=ThreadsAPIConfig(port=0, token="s3cret"))
    async with running(bot):
        assert bot.threads_api_url is not None
        async with httpx.AsyncClient(base_url=bot.threads_api_url) as client:
            missing = await client.get("/threads")
            assert missing.status_code == 401
            assert missing.headers["WWW-Authenticate"] == "Bearer"
            wrong = await client.get("/threads", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            assert (await client.get("/openapi.json")).status_code == 401
            ok = await client.get("/threads", headers={"Authorization": "Bearer s3cret"})
            assert ok.status_code == 200


def test_a_non_loopback_host_without_a_token_is_refused() -> None:
    for host in ("0.0.0.0", "192.168.1.10", "example.com", ""):
        with pytest.raises(UserError, match="token") as error:
            ThreadsAPIConfig(host=host, port=0)
        assert "--threads-api-token" in str(error.value)
        assert "BOTKIT_THREADS_API_TOKEN" in str(error.value)
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        ThreadsAPIConfig(host=host, port=0)
    ThreadsAPIConfig(host="0.0.0.0", port=0, token="t")
    with pytest.raises(UserError, match="empty"):
        ThreadsAPIConfig(token=" ")
    with pytest.raises(UserError, match="port"):
        ThreadsAPIConfig(port=70000)


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
            events = await read_events(lines, 10)
            mine = await read_events(only_lines, 1)
    assert [kind for kind, _ in events] == [
        "created", "status_changed", "state_changed", "status_changed", "renamed", "archived",
        "deleted", "created", "status_changed", "state_changed"]
    assert events[1][1]["thread"]["status"] == "busy"
    assert events[3][1]["thread"]["status"] == "interrupted"
    assert events[4][1]["thread"]["title"] == "Deploy"
    assert events[6][1] == {**events[6][1], "type": "deleted", "thread_id": "C1:t1",
                            "thread": None}
    assert [e["seq"] for _, e in events] == sorted(e["seq"] for _, e in events)
    assert mine[0][0] == "created"
    assert mine[0][1]["thread_id"] == "C2:t2"
    await fake.click("Yes", user=BOB)  # the interrupted thread is gone: still answered


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


async def test_the_openapi_document_matches_the_routes(
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
            assert {"200", "201"} & set(op["responses"])
            if "{id}" in path:
                assert {"404", "422"} <= set(op["responses"])
    schemas = doc["components"]["schemas"]
    assert set(schemas["Thread"]["properties"]) == set(ThreadRecord.__dataclass_fields__)
    assert set(schemas["Run"]["properties"]) == set(RunRecord.__dataclass_fields__)
