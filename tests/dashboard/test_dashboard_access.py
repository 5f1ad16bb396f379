"""Who may see and do what from the dashboard, over real HTTP: a user-bound session sees
and answers only its person's threads (the live feed, the web chat, the inbox, runs), and
scopes are those of the threads API (delete needs admin; answering for another needs it)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from dashboard_harness import TOKEN

from botkit import Bot, create_bot, ui
from botkit.testing import FakeAdapter, Say, ScriptedAgent
from botkit.threads import APIToken, ThreadsAPIConfig
from botkit.types import Conversation, PlatformUser
from botkit.ui.binding import mark_choice
from botkit.ui.codec import encode_message

TOKENS = (APIToken(token="alice-token", user_id="U1"),
          APIToken(token="bob-token", user_id="U2"),
          APIToken(token="writer-token", scopes=frozenset({"write"})))


@contextlib.asynccontextmanager
async def people_bot(*adapters: Any) -> AsyncIterator[Bot]:
    """A bot with Alice's thread T-alice and Bob's T-bob, and tokens for both people."""
    bot = create_bot(adapters=list(adapters) or [FakeAdapter()],
                     agent=ScriptedAgent([], default=Say("Hello. " * 50, delay=0.2)),
                     threads_api=ThreadsAPIConfig(port=0, token=TOKEN, tokens=TOKENS))
    for thread_id, owner in (("T-alice", "U1"), ("T-bob", "U2")):
        record = bot.threads.new_record(thread_id, "fake", Conversation(
            id=thread_id, channel="C1"), title=f"Thread {thread_id}")
        await bot.store.set(f"thread:{thread_id}",
                            dataclasses.replace(record, user_id=owner).to_dict())
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


async def signed_in(url: str, token: str) -> tuple[aiohttp.ClientSession, str]:
    """A client signed in with ``token``, and its page's CSRF token."""
    client = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with client.post(url + "/ui/login", data={"token": token}) as r:
        found = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', await r.text())
    assert found is not None
    return client, found.group(1)


async def test_the_live_feed_tells_a_person_only_about_their_threads() -> None:
    async with people_bot() as bot:
        url = str(bot.threads_api_url)
        alice, _ = await signed_in(url, "alice-token")
        async with alice, alice.get(url + "/ui/events") as feed:
            await feed.content.readuntil(b": connected\n\n")
            await bot.threads.rename("T-bob", "Bob's secret plan")
            await bot.threads.rename("T-alice", "Alice's plan")
            seen = b""
            async with asyncio.timeout(10):
                while b"T-alice" not in seen:
                    seen += await feed.content.readuntil(b"\n\n")
            assert b"T-bob" not in seen


async def test_a_person_cannot_resume_or_answer_in_someone_elses_thread() -> None:
    async with people_bot() as bot:
        url = str(bot.threads_api_url)
        await bot.store.set("interrupt:T-bob", {"payload": {"question": "Ship it?"},
                                                "interrupts": []})
        card, labels = mark_choice(ui.Message(ui.Section("Deploy?"), ui.Actions(
            ui.Button("Yes", value=True))), "c-bob")
        choice = {"platform": "fake", "conversation": {"id": "T-bob", "channel": "C1"},
                  "card": encode_message(card), "labels": labels, "allowed": None,
                  "owner": "gone", "timeout": None, "deadline": None}
        await bot.store.set("choice:c-bob", choice)
        alice, csrf = await signed_in(url, "alice-token")
        async with alice:
            async with alice.get(url + "/ui/inbox") as r:
                assert "Deploy?" not in await r.text()
            async with alice.post(url + "/ui/threads/T-bob/resume", data={"answer": "true"},
                                  headers={"X-CSRF-Token": csrf}) as r:
                assert r.status == 404
            async with alice.post(url + "/ui/inbox/choices/c-bob", data={"number": "1"},
                                  headers={"X-CSRF-Token": csrf}) as r:
                assert r.status == 410
        assert await bot.store.get("interrupt:T-bob") is not None
        assert await bot.store.get("choice:c-bob") == choice


async def test_deleting_and_answering_for_others_need_the_admin_scope(
        caplog: pytest.LogCaptureFixture) -> None:
    async with people_bot() as bot:
        url = str(bot.threads_api_url)
        card, labels = mark_choice(ui.Message(ui.Section("Deploy?"), ui.Actions(
            ui.Button("Yes", value=True))), "c1")
        choice = {"platform": "fake", "conversation": {"id": "T-bob", "channel": "C1"},
                  "card": encode_message(card), "labels": labels, "allowed": ["U2"],
                  "allowed_names": ["Bob"], "owner": "gone", "timeout": None,
                  "deadline": None}
        await bot.store.set("choice:c1", choice)
        writer, csrf = await signed_in(url, "writer-token")
        async with writer:
            async with writer.post(url + "/ui/threads/T-bob/delete",
                                   headers={"X-CSRF-Token": csrf}) as r:
                assert r.status == 403
                assert "admin" in await r.text()
            async with writer.post(url + "/ui/inbox/choices/c1", data={
                    "number": "1", "as_user": "U2"}, headers={"X-CSRF-Token": csrf}) as r:
                assert r.status == 403
        assert (await bot.threads.get("T-bob")).title == "Thread T-bob"
        assert await bot.store.get("choice:c1") == choice
        admin, csrf = await signed_in(url, TOKEN)
        with caplog.at_level("INFO", logger="botkit"):
            async with admin, admin.post(url + "/ui/inbox/choices/c1", data={
                    "number": "1", "as_user": "U2"}, headers={"X-CSRF-Token": csrf}) as r:
                assert r.status == 200
        assert any("answered" in m and "U2" in m and "operator" in m
                   for m in caplog.messages)


botkit_web = pytest.importorskip("botkit_web", reason="the web adapter (adapters/web) is "
                                 "not installed in this checkout")


async def test_a_person_cannot_read_follow_or_stop_someone_elses_web_chat() -> None:
    web = botkit_web.WebAdapter(port=0)
    async with people_bot(web) as bot:
        url = str(bot.threads_api_url)
        bob_thread = await web.create_thread(user=PlatformUser(id="U2"), title="Bob's chat")
        run = await web.send(bob_thread, "my salary is 100k", user=PlatformUser(id="U2"))
        alice_thread = await web.create_thread(user=PlatformUser(id="U1"), title="Mine")
        alice, csrf = await signed_in(url, "alice-token")
        async with alice:
            for path in (f"/ui/chat/{bob_thread}", f"/ui/chat/{bob_thread}/log",
                         f"/ui/chat/{bob_thread}/runs/{run.run_id}/events",
                         f"/ui/chat/{alice_thread}/runs/{run.run_id}/events",
                         "/ui/chat/nope/log"):
                async with alice.get(url + path) as r:
                    assert r.status == 404, path
                    assert "salary" not in await r.text()
            for path in (f"/ui/chat/{bob_thread}/runs/{run.run_id}/cancel",
                         f"/ui/chat/{alice_thread}/runs/{run.run_id}/cancel"):
                async with alice.post(url + path, headers={"X-CSRF-Token": csrf}) as r:
                    assert r.status == 404, path
            async with alice.get(url + "/ui/chat") as r:
                html = await r.text()
            assert "Mine" in html
            assert "Bob&#39;s chat" not in html
        finished = await web.engine.wait(run)
        assert finished.status == "success"  # not stopped by Alice


async def test_the_chat_sidebar_finds_a_persons_threads_among_many() -> None:
    web = botkit_web.WebAdapter(port=0)
    async with people_bot(web) as bot:
        url = str(bot.threads_api_url)
        await web.create_thread(user=PlatformUser(id="U1"), title="Alice's only chat")
        for n in range(201):
            await web.create_thread(user=PlatformUser(id="U2"), title=f"Bob {n}")
        alice, _ = await signed_in(url, "alice-token")
        async with alice, alice.get(url + "/ui/chat/sidebar") as r:
            html = await r.text()
        assert "Alice&#39;s only chat" in html
        assert "Bob 1" not in html

