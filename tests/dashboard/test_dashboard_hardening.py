"""The dashboard's edges under hostile or odd input, over real HTTP: redirects that stay
on the site, no 500 for bad input, no answer to a rebound Host without sign-in, session
cookies that are signed, expire and can be revoked, event streams that keep alive, and a
list refresh that reads the store once."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from unittest import mock

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from dashboard_harness import TOKEN, seeded

from botkit import create_bot
from botkit.dashboard import mount_dashboard
from botkit.dashboard.auth import COOKIE, Sessions, SignInToken
from botkit.store import MemoryStore
from botkit.testing import FakeAdapter
from botkit.threads import Threads, ThreadsAPIConfig
from botkit.types import Conversation

FOREIGN = ("//evil.example/x", "/%09/evil.example", "/\t/evil.example", "/\\evil.example",
           "/\\\\evil.example", "https://evil.example/", "/\n/evil.example", "\\\\evil")


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, aiohttp.ClientSession, str]]:
    """A seeded bot (T000 idle, T001 busy), a signed-in client and its CSRF token."""
    async with seeded(2) as bot, aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        url = str(bot.threads_api_url)
        async with client.post(url + "/ui/login", data={"token": TOKEN}) as r:
            found = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', await r.text())
        assert found is not None
        yield url, client, found.group(1)


async def test_sign_in_sends_only_to_this_sites_paths() -> None:
    async with seeded(1) as bot, aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        url = str(bot.threads_api_url)
        for target in FOREIGN:
            async with client.post(url + "/ui/login", allow_redirects=False,
                                   data={"token": TOKEN, "next": target}) as r:
                assert (r.status, r.headers["Location"]) == (303, "/"), target
            client.cookie_jar.clear()
        async with client.post(url + "/ui/login", allow_redirects=False, data={
                "token": TOKEN, "next": "/ui/inbox?x=1"}) as r:
            assert r.headers["Location"] == "/ui/inbox?x=1"


async def test_without_tokens_the_sign_in_page_redirects_only_on_site() -> None:
    bot = create_bot(adapters=[FakeAdapter()], threads_api=ThreadsAPIConfig(port=0))
    await bot.start()
    try:
        async with aiohttp.ClientSession() as client:
            for target in FOREIGN:
                async with client.get(f"{bot.threads_api_url}/ui/login",
                                      params={"next": target}, allow_redirects=False) as r:
                    assert (r.status, r.headers["Location"]) == (303, "/"), target
    finally:
        await bot.stop()


async def test_without_tokens_only_a_loopback_host_is_answered() -> None:
    bot = create_bot(adapters=[FakeAdapter()], threads_api=ThreadsAPIConfig(port=0))
    await bot.start()
    try:
        url = str(bot.threads_api_url)
        port = url.rsplit(":", 1)[1]
        async with aiohttp.ClientSession() as client:
            async with client.get(url + "/", headers={"Host": f"evil.example:{port}"}) as r:
                assert r.status == 421
                assert "Ticket" not in await r.text()
            for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
                async with client.get(url + "/", headers={"Host": host}) as r:
                    assert r.status == 200, host
    finally:
        await bot.stop()


async def test_bad_input_is_refused_never_a_server_error(
        served: tuple[str, aiohttp.ClientSession, str]) -> None:
    url, client, csrf = served
    headers = {"X-CSRF-Token": csrf}
    async with client.get(url + "/", params={"page": "²"}) as r:
        assert r.status == 200
    async with client.post(url + "/ui/threads/T001/state/clear", headers=headers) as r:
        assert r.status == 409  # T001 is busy with a run
        assert "busy" in await r.text()
    deep = "[" * 100_000 + "]" * 100_000
    async with client.post(url + "/ui/threads/T000/state", data={"state": deep},
                           headers=headers) as r:
        assert r.status == 422
        assert "nested too deeply" in await r.text()
    async with client.post(url + "/ui/threads/T000/state", data={"state": '"\\ud800"'},
                           headers=headers) as r:
        assert r.status == 422
        assert "lone surrogate" in await r.text()
    async with client.get(url + "/ui/threads/T000") as r:
        assert r.status == 200
    async with client.get(url + "/ui/threads/missing/state") as r:
        assert r.status == 404


async def test_a_state_holding_a_lone_surrogate_still_renders() -> None:
    async with seeded(1) as bot, aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        await bot.threads.set_state("T000", {"note": "\ud800", "name": "café"})
        url = str(bot.threads_api_url)
        async with client.post(url + "/ui/login", data={"token": TOKEN}) as r:
            assert r.status == 200
        async with client.get(url + "/ui/threads/T000") as r:
            assert r.status == 200
            assert "\\ud800" in await r.text()


def _dashboard(store: MemoryStore, **options: object) -> web.Application:
    app = web.Application()
    mount_dashboard(app, Threads(store), token=TOKEN, **options)  # type: ignore[arg-type]
    return app


async def test_cookies_are_checked_signed_expiring_and_revocable() -> None:
    store = MemoryStore()
    async with TestServer(_dashboard(store), host="127.0.0.1") as server, \
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        url = str(server.make_url("")).rstrip("/")

        async def lets_in(cookie: str) -> bool:
            client.cookie_jar.clear()
            client.cookie_jar.update_cookies({COOKIE: cookie})
            async with client.get(url + "/ui/inbox", allow_redirects=False) as r:
                return r.status == 200

        async with client.post(url + "/ui/login", data={"token": TOKEN}) as r:
            assert r.status == 200
        real = next(c.value for c in client.cookie_jar if c.key == COOKIE)
        issued, nonce, which, signature = real.split(".")
        assert await lets_in(real)
        tampered = [f"{issued}.{nonce}.{which}.{signature[:-1]}"
                    f"{'0' if signature[-1] != '0' else '1'}",
                    f"{int(issued) + 3600}.{nonce}.{which}.{signature}",
                    f"{issued}.other.{which}.{signature}"]
        for cookie in tampered:
            assert not await lets_in(cookie), cookie
        sessions = Sessions([SignInToken(TOKEN)])
        with mock.patch("time.time", return_value=time.time() - 13 * 3600):
            too_old = sessions.issue(SignInToken(TOKEN))
        with mock.patch("time.time", return_value=time.time() - 11 * 3600):
            old_enough = sessions.issue(SignInToken(TOKEN))
        assert not await lets_in(too_old)
        assert await lets_in(old_enough)

        assert await lets_in(real)
        page = await (await client.get(url + "/ui/inbox")).text()
        csrf = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', page)
        assert csrf is not None
        async with client.post(url + "/ui/logout",
                               headers={"X-CSRF-Token": csrf.group(1)}) as r:
            assert r.status == 204
        assert not await lets_in(real)  # a copy of the cookie no longer works either


async def test_the_secure_flag_can_be_forced_behind_a_tls_proxy() -> None:
    for forced, expected in ((True, True), (None, False)):
        app = _dashboard(MemoryStore(), secure_cookie=forced)
        async with TestServer(app, host="127.0.0.1") as server, \
                aiohttp.ClientSession() as c, c.post(server.make_url("/ui/login"), data={
                    "token": TOKEN}, allow_redirects=False) as r:
            cookie = r.headers["Set-Cookie"]
        assert ("Secure" in cookie) is expected, cookie


async def test_an_idle_live_feed_keeps_alive_and_ends_at_shutdown() -> None:
    store = MemoryStore()
    threads = Threads(store)
    await threads.mutate("T1", lambda old: threads.new_record(
        "T1", "fake", Conversation(id="T1", channel="C1"), title="One"))
    app = _dashboard(store, keepalive=0.05)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        url = str(server.make_url("")).rstrip("/")
        await client.post(url + "/ui/login", data={"token": TOKEN})
        async with client.get(url + "/ui/events") as feed:
            async with asyncio.timeout(10):
                await feed.content.readuntil(b": keep-alive\n\n")
                closing = asyncio.ensure_future(server.close())
                rest = await feed.content.read()  # the stream ends: the server stops
                await closing
        assert b"event:" not in rest


async def test_a_list_refresh_reads_the_store_once(
        served: tuple[str, aiohttp.ClientSession, str]) -> None:
    url, client, _ = served
    scans: list[str] = []
    original = MemoryStore.scan

    async def counted(self: MemoryStore, prefix: str) -> list[str]:
        scans.append(prefix)
        return await original(self, prefix)

    with mock.patch.object(MemoryStore, "scan", counted):
        async with client.get(url + "/ui/threads", params={"status": "busy"}) as r:
            assert r.status == 200
            assert 'data-count="busy">busy 1<' in await r.text()
    assert scans.count("thread:") == 1
