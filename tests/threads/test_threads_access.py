"""Who may do what over HTTP: scoped tokens, user-bound tokens, CORS, stream tokens for a
browser EventSource."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from threads_helpers import make_bot

from botkit import Bot
from botkit.testing import FakeAdapter, running
from botkit.threads import APIToken, ThreadEvent, ThreadsAPIConfig
from botkit.threads.access import (
    Principal,
    sign_stream_token,
    signing_key,
    verify_stream_token,
)

TOKENS = (
    APIToken(token="admin-t", scopes=frozenset({"admin"})),
    APIToken(token="reader-t", scopes=frozenset({"read"})),
    APIToken(token="writer-t"),
    APIToken(token="alice-t", user_id="U_ALICE"),
)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def served() -> AsyncIterator[tuple[Bot, httpx.AsyncClient]]:
    config = ThreadsAPIConfig(port=0, tokens=TOKENS, cors_origins=("https://app.example",),
                              stream_token_ttl=60)
    bot = make_bot(FakeAdapter(), threads_api=config)
    async with running(bot), httpx.AsyncClient(base_url=str(bot.threads_api_url),
                                                timeout=10) as client:
        yield bot, client


async def test_scopes_decide_what_a_token_may_do(served: tuple[Bot, httpx.AsyncClient]
                                                 ) -> None:
    _bot, client = served
    missing = await client.post("/threads/search")
    assert (missing.status_code, missing.headers["WWW-Authenticate"]) == (401, "Bearer")
    assert (await client.post("/threads/search", headers=auth("wrong"))).status_code == 401
    made = await client.post("/threads", json={"thread_id": "t1"}, headers=auth("writer-t"))
    assert made.status_code == 200
    assert (await client.get("/threads/t1", headers={"X-Api-Key": "reader-t"})
            ).status_code == 200
    refused = await client.patch("/threads/t1", json={"title": "x"}, headers=auth("reader-t"))
    assert refused.status_code == 403
    assert "'write'" in refused.json()["message"]
    assert (await client.delete("/threads/t1", headers=auth("writer-t"))).status_code == 403
    assert (await client.delete("/threads/t1", headers=auth("admin-t"))).status_code == 204


async def test_a_user_bound_token_sees_and_acts_on_its_users_threads_only(
    served: tuple[Bot, httpx.AsyncClient]
) -> None:
    _bot, client = served
    alice = auth("alice-t")
    await client.post("/threads", json={"thread_id": "other"}, headers=auth("admin-t"))
    await client.post("/threads", json={"thread_id": "shared", "user_id": "U_BOB",
                                        "participants": ["U_ALICE"]}, headers=auth("admin-t"))
    mine = (await client.post("/threads", json={"thread_id": "mine"}, headers=alice)).json()
    assert mine["user_id"] == "U_ALICE"
    seen = (await client.post("/threads/search", json={"sort_by": "thread_id",
                                                       "sort_order": "asc"},
                              headers=alice)).json()
    assert [t["thread_id"] for t in seen] == ["mine", "shared"]
    assert (await client.post("/threads/count", json={}, headers=alice)).json() == 2
    assert (await client.get("/threads/other", headers=alice)).status_code == 404
    assert (await client.post("/threads/other/state", json={"values": {"x": 1}},
                              headers=alice)).status_code == 404
    give = await client.post("/threads", json={"user_id": "U_BOB"}, headers=alice)
    assert give.status_code == 403
    taken = await client.post("/threads", json={"thread_id": "other",
                                                "if_exists": "do_nothing"}, headers=alice)
    assert taken.status_code == 409
    by_admin = await client.post("/threads/search", json={"user_id": "U_ALICE"},
                                 headers=auth("admin-t"))
    assert sorted(t["thread_id"] for t in by_admin.json()) == ["mine", "shared"]


async def test_cors_answers_only_the_configured_origins(served: tuple[Bot, httpx.AsyncClient]
                                                        ) -> None:
    _bot, client = served
    preflight = await client.options("/threads/search", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    allowed = await client.post("/threads/search", headers={
        **auth("reader-t"), "Origin": "https://app.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example"
    other = await client.post("/threads/search", headers={
        **auth("reader-t"), "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


async def test_cors_is_off_by_default() -> None:
    bot = make_bot(FakeAdapter(), threads_api=ThreadsAPIConfig(port=0))
    async with running(bot), httpx.AsyncClient(base_url=str(bot.threads_api_url)) as client:
        response = await client.post("/threads/search", headers={"Origin": "https://a.b"})
        assert "Access-Control-Allow-Origin" not in response.headers
        preflight = await client.options("/threads/search", headers={
            "Origin": "https://a.b", "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 405


async def test_a_browser_event_source_connects_with_a_stream_token(
    served: tuple[Bot, httpx.AsyncClient]
) -> None:
    _bot, client = served
    assert (await client.get("/threads/events")).status_code == 401
    issued = await client.post("/threads/events/token", headers=auth("alice-t"))
    token = issued.json()["token"]
    assert (await client.get("/threads/events", params={"access_token": token + "x"})
            ).status_code == 401
    # a stream token opens only the stream, never anything else
    assert (await client.get("/threads/mine", params={"access_token": token})
            ).status_code == 401
    async with client.stream("GET", "/threads/events",
                             params={"access_token": token}) as stream:
        assert stream.status_code == 200
        lines = stream.aiter_lines()
        assert await anext(lines) == ": connected"
        await client.post("/threads", json={"thread_id": "not-hers"}, headers=auth("admin-t"))
        await client.post("/threads", json={"thread_id": "hers"}, headers=auth("alice-t"))
        async with asyncio.timeout(5):
            async for line in lines:
                if line.startswith("data: "):
                    break
    assert '"thread_id": "hers"' in line  # the other user's thread was not shown


class ReplayingHub:
    """An event bus that keeps history (the store-backed one): records where a subscriber
    asked to resume, and replays one event from there."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.resumed_after = inner, list[str | None]()

    def publish(self, event: ThreadEvent) -> None:
        self.inner.publish(event)

    def close(self) -> None:
        self.inner.close()

    async def aclose(self) -> None:
        await self.inner.aclose()

    @contextlib.asynccontextmanager
    async def subscribe(self, after: str | None = None, thread_id: str | None = None
                        ) -> AsyncIterator[Any]:
        self.resumed_after.append(after)
        async with self.inner.subscribe() as sub:
            sub._offer(ThreadEvent(seq=8, type="renamed", thread_id="missed", at=0.0))
            yield sub


async def test_last_event_id_is_handed_to_the_event_bus(served: tuple[Bot, httpx.AsyncClient]
                                                        ) -> None:
    bot, client = served
    hub = ReplayingHub(bot.threads.hub)
    bot.threads.hub = hub  # type: ignore[assignment]
    headers = {**auth("reader-t"), "Last-Event-ID": "7"}
    async with client.stream("GET", "/threads/events", headers=headers) as stream:
        lines = stream.aiter_lines()
        assert await anext(lines) == ": connected"
        async with asyncio.timeout(5):
            assert await anext(lines) == ""
            assert await anext(lines) == "id: 8"
            assert await anext(lines) == "event: renamed"
    assert hub.resumed_after == ["7"]


def test_stream_tokens_expire_and_cannot_be_forged() -> None:
    key = signing_key(TOKENS)
    alice = Principal(scopes=frozenset({"write"}), user_id="U_ALICE")
    token, expires = sign_stream_token(key, alice, 60, now=1000.0)
    assert expires == 1060.0
    assert verify_stream_token(key, token, now=1059.0) == Principal(
        scopes=frozenset({"read"}), user_id="U_ALICE")  # read only, the same user
    assert verify_stream_token(key, token, now=1061.0) is None
    assert verify_stream_token(signing_key(TOKENS[:1]), token, now=1000.0) is None
    body, _, mac = token.partition(".")
    assert verify_stream_token(key, body[:-2] + "xx." + mac, now=1000.0) is None
    assert verify_stream_token(key, "garbage", now=1000.0) is None
