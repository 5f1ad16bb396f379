"""The dashboard's HTTP edges without a browser: sessions, CSRF, sign-in redirects,
escaping, and the checkpoint difference."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from dashboard_harness import TOKEN, seeded

from botkit import create_bot
from botkit.dashboard.thread_view import Point, checkpoint_diff
from botkit.store import StateStore
from botkit.testing import FakeAdapter
from botkit.threads import ThreadsAPIConfig


@dataclass
class Served:
    url: str
    session: aiohttp.ClientSession
    store: StateStore


@pytest.fixture
async def client() -> AsyncIterator[Served]:
    async with seeded(2) as bot, aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        assert bot.threads_api_url is not None
        yield Served(bot.threads_api_url, session, bot.store)


async def _sign_in(url: str, session: aiohttp.ClientSession) -> str:
    """Sign in; returns the CSRF token of the list page."""
    async with session.post(url + "/ui/login", data={"token": TOKEN, "next": "/"}) as r:
        assert r.status == 200
        html = await r.text()
    found = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


async def test_changes_need_the_pages_csrf_token(client: Served) -> None:
    url, session = client.url, client.session
    csrf = await _sign_in(url, session)
    rename = url + "/ui/threads/T000/rename"
    async with session.post(rename, data={"title": "forged"}) as r:
        assert r.status == 403
    async with session.post(rename, data={"title": "forged"},
                            headers={"X-CSRF-Token": "0" * 40}) as r:
        assert r.status == 403
    async with session.get(url + "/threads/T000", headers={
            "Authorization": f"Bearer {TOKEN}"}) as r:
        assert (await r.json())["title"] == "Ticket 000"
    async with session.post(rename, data={"title": "Renamed"},
                            headers={"X-CSRF-Token": csrf}) as r:
        assert r.status == 200
        assert "Renamed" in await r.text()


async def test_the_cookie_does_not_open_the_json_api(client: Served) -> None:
    url, session = client.url, client.session
    await _sign_in(url, session)
    async with session.get(url + "/threads") as r:
        assert r.status == 401


async def test_forged_or_expired_sessions_are_sent_to_sign_in(
        client: Served) -> None:
    url, session = client.url, client.session
    old = int(time.time()) - 13 * 3600
    for cookie in ("garbage", f"{int(time.time())}.nonce.{'0' * 64}", f"{old}.n.x"):
        session.cookie_jar.clear()
        session.cookie_jar.update_cookies({"botkit_session": cookie})
        async with session.get(url + "/ui/inbox", allow_redirects=False) as r:
            assert r.status == 303
            assert r.headers["Location"].startswith("/ui/login?next=")
        async with session.get(url + "/ui/threads", headers={"HX-Request": "true"}) as r:
            assert r.status == 401
            assert r.headers["HX-Redirect"] == "/ui/login"


async def test_sign_in_refuses_other_sites_and_foreign_redirects(
        client: Served) -> None:
    url, session = client.url, client.session
    async with session.post(url + "/ui/login", data={"token": TOKEN},
                            headers={"Origin": "https://evil.example"}) as r:
        assert r.status == 403
    assert not [c for c in session.cookie_jar if c.key == "botkit_session"]
    async with session.post(url + "/ui/login", allow_redirects=False,
                            data={"token": TOKEN, "next": "//evil.example/x"}) as r:
        assert r.status == 303
        assert r.headers["Location"] == "/"


async def test_user_text_is_escaped_in_every_page(client: Served) -> None:
    url, session = client.url, client.session
    csrf = await _sign_in(url, session)
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    async with session.post(url + "/ui/threads/T001/rename", data={"title": evil},
                            headers={"X-CSRF-Token": csrf}) as r:
        assert r.status == 200
    for path in ("/", "/ui/threads/T001", "/ui/threads?q=img"):
        async with session.get(url + path) as r:
            html = await r.text()
            assert "<img src=x" not in html
            assert "<script>alert" not in html
            assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
            assert "script-src 'self'" in r.headers["Content-Security-Policy"]


async def test_without_a_token_the_page_opens_but_changes_still_need_csrf() -> None:
    open_bot = create_bot(adapters=[FakeAdapter()], threads_api=ThreadsAPIConfig(port=0))
    await open_bot.start()
    try:
        url = open_bot.threads_api_url
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{url}/", allow_redirects=False) as r:
                assert r.status == 200
                assert "Sign out" not in await r.text()
            async with session.post(f"{url}/ui/threads/x/delete") as r:
                assert r.status == 403
    finally:
        await open_bot.stop()


def test_checkpoint_difference_lists_each_change_with_before_and_after() -> None:
    diff = checkpoint_diff(Point("c1", 1.0, "run", {"plan": ["a"], "step": 1, "old": True}),
                           Point("c2", 2.0, "run", {"plan": ["a", "b"], "step": 2}))
    changes = {(c.op, c.path): (c.before, c.after) for c in diff.changes}
    assert changes == {("add", "/plan/1"): (None, "b"), ("replace", "/step"): (1, 2),
                       ("remove", "/old"): (True, None)}


async def test_inbox_answers_are_checked_before_they_reach_the_bot(
        client: Served) -> None:
    from botkit import ui
    from botkit.ui.binding import mark_choice
    from botkit.ui.codec import encode_message

    url, session = client.url, client.session
    csrf = await _sign_in(url, session)
    card, labels = mark_choice(ui.Message(ui.Section("Deploy?"), ui.Actions(
        ui.Button("Yes", value=True), ui.Button("No", value=False))), "c1")
    async with session.get(url + "/ui/inbox") as r:
        assert "Nothing is waiting on a person." in await r.text()
    headers = {"X-CSRF-Token": csrf}
    async with session.post(url + "/ui/inbox/choices/missing", data={"number": "1"},
                            headers=headers) as r:
        assert r.status == 410
        assert "already answered or has expired" in await r.text()
    record = {"platform": "fake", "conversation": {"id": "T000", "channel": "C1"},
              "card": encode_message(card), "labels": labels, "allowed": ["U1"],
              "allowed_names": ["Alice"], "owner": "gone", "timeout": None, "deadline": None}
    store = client.store
    await store.set("choice:c1", record)
    async with session.get(url + "/ui/inbox") as r:
        html = await r.text()
        assert "Deploy?" in html
        assert '<option value="U1">' in html
    async with session.post(url + "/ui/inbox/choices/c1", data={"number": "1",
                            "as_user": "U2"}, headers=headers) as r:
        assert r.status == 403
        assert "Only Alice can answer this one." in await r.text()
    async with session.post(url + "/ui/inbox/choices/c1", data={"number": "7",
                            "as_user": "U1"}, headers=headers) as r:
        assert r.status == 422
    assert await store.get("choice:c1") == record  # nothing answered, nothing lost


async def test_scoped_tokens_sign_in_and_a_read_only_one_cannot_change_anything() -> None:
    from types import SimpleNamespace

    from aiohttp import web
    from aiohttp.test_utils import TestServer

    from botkit.dashboard import mount_dashboard
    from botkit.store import MemoryStore
    from botkit.threads import Threads
    from botkit.types import Conversation

    threads = Threads(MemoryStore())
    await threads.mutate("T1", lambda old: threads.new_record(
        "T1", "fake", Conversation(id="T1", channel="C1"), title="Kept"))
    app = web.Application()
    mount_dashboard(app, threads, token="admin-token", tokens=[
        SimpleNamespace(token="reader-token", user_id=None, scopes=("read",))])
    async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        url = str(server.make_url("")).rstrip("/")
        async with session.post(url + "/ui/login", data={"token": "reader-token"}) as r:
            html = await r.text()
            assert "Kept" in html
        found = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', html)
        assert found is not None
        async with session.post(url + "/ui/threads/T1/rename", data={"title": "Changed"},
                                headers={"X-CSRF-Token": found.group(1)}) as r:
            assert r.status == 403
            assert "can only read" in await r.text()
            assert r.headers["HX-Retarget"] == "#problem"
        assert (await threads.get("T1")).title == "Kept"
        session.cookie_jar.clear()
        async with session.post(url + "/ui/login", data={"token": "admin-token"}) as r:
            found = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', await r.text())
        assert found is not None
        async with session.post(url + "/ui/threads/T1/rename", data={"title": "Changed"},
                                headers={"X-CSRF-Token": found.group(1)}) as r:
            assert r.status == 200
        assert (await threads.get("T1")).title == "Changed"


async def test_a_user_bound_token_sees_only_its_persons_threads() -> None:
    from botkit.threads import APIToken
    from botkit.types import Conversation

    bot = create_bot(adapters=[FakeAdapter()], threads_api=ThreadsAPIConfig(
        port=0, token=TOKEN, tokens=(APIToken(token="alice-token", user_id="U1"),)))
    for thread_id, owner in (("T-alice", "U1"), ("T-bob", "U2"), ("T-shared", "U2")):
        record = bot.threads.new_record(thread_id, "fake", Conversation(id=thread_id,
                                                                        channel="C1"),
                                        title=f"Thread {thread_id}")
        record.update(user_id=owner, participants=["U1"] if thread_id == "T-shared" else [])
        await bot.store.set(f"thread:{thread_id}", record)
    await bot.start()
    try:
        url = bot.threads_api_url
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            async with s.post(f"{url}/ui/login", data={"token": "alice-token"}) as r:
                html = await r.text()
            assert "Thread T-alice" in html
            assert "Thread T-shared" in html
            assert "Thread T-bob" not in html
            assert 'id="user"' not in html  # no user filter: it is always Alice
            async with s.get(f"{url}/ui/threads/T-bob") as r:
                assert r.status == 404
            async with s.get(f"{url}/ui/threads?user=U2") as r:
                assert "Thread T-bob" not in await r.text()
            async with s.get(f"{url}/ui/threads/T-alice") as r:
                assert r.status == 200
            s.cookie_jar.clear()  # the operator filters by person
            await s.post(f"{url}/ui/login", data={"token": TOKEN})
            async with s.get(f"{url}/ui/threads?user=U2") as r:
                html = await r.text()
            assert "Thread T-bob" in html
            assert "Thread T-shared" in html
            assert "Thread T-alice" not in html
    finally:
        await bot.stop()
