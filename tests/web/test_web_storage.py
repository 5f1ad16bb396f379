"""What the store keeps: server-minted message ids, unambiguous keys, cleanup when a thread
is deleted, bounded lists and feeds, no email in shared payloads, partial replies kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import ag_ui.core as agui
import httpx
import pytest
from polling import until
from web_helpers import ALICE, as_user, running_helpdesk

from botkit import AdapterError, PlatformUser, ui
from botkit.errors import UserError
from botkit.store import MemoryStore
from botkit.types import MessageRef
from botkit_web import UserInput, WebMessage, WebRun
from botkit_web.keys import message_key, thread_prefixes
from botkit_web.messages import MessageLog
from botkit_web.runs import Feeds, RunLog


async def test_client_message_ids_never_overwrite_stored_messages(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h, httpx.AsyncClient(base_url=h.url) as http:
        tid = await h.adapter.create_thread("ids", user=ALICE)
        first = {"input": {"messages": [{"role": "user", "content": "mine", "id": "m1"}]}}
        assert (await http.post(f"/threads/{tid}/runs/wait", json=first,
                                headers=as_user("alice"))).status_code == 200
        stored = await h.adapter.messages.all(tid)
        bot_reply = stored[-1]
        again = {"input": {"messages": [{"role": "user", "content": "overwritten",
                                         "id": "m1"}]}}
        refused = await http.post(f"/threads/{tid}/runs", json=again,
                                  headers=as_user("alice"))
        assert refused.status_code == 409
        assert refused.json() == {"error": "conflict",
                                  "message": "message 'm1' is already in the thread"}
        clash = {"input": {"messages": [{"role": "user", "content": "x",
                                         "id": bot_reply.id}]}}
        assert (await http.post(f"/threads/{tid}/runs/wait", json=clash,
                                headers=as_user("alice"))).status_code == 200
        texts = [m.text for m in await h.adapter.messages.all(tid)]
        assert texts[:2] == ["mine", bot_reply.text]  # nothing was replaced
        assert "overwritten" not in texts
        mine = (await h.adapter.messages.all(tid))[0]
        assert mine.client_id == "m1"
        assert mine.id != "m1"


async def test_keys_of_threads_with_colons_never_collide() -> None:
    assert message_key("a", "b:c") != message_key("a:b", "c")
    store = MemoryStore()
    log = MessageLog(store)
    for tid, mid in (("a", "b:c"), ("a:b", "c")):
        await log.add(WebMessage(id=mid, thread_id=tid, text=f"{tid}/{mid}"))
    assert [m.text for m in await log.all("a")] == ["a/b:c"]
    assert [m.text for m in await log.all("a:b")] == ["a:b/c"]
    for prefix in thread_prefixes("a"):
        assert all(not k.startswith(prefix) for k in await store.scan("web:msg:a%3Ab"))
    with pytest.raises(Exception, match="already exists"):
        await log.add(WebMessage(id="c", thread_id="a:b", text="again"))


async def test_deleting_a_thread_deletes_its_web_data(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h:
        tid = await h.adapter.create_thread("doomed", user=ALICE)
        await h.adapter.run(tid, "hello", user=ALICE)
        await h.adapter.run(tid, "deploy", user=ALICE)  # leaves an interrupt waiting
        thread = h.bot.thread("web", h.adapter.conversation(tid))
        await thread.post_file(b"data", "f.txt")
        store = h.bot.store

        async def web_keys() -> list[str]:
            return [k for k in await store.scan("web:") if "doomed" in k]
        assert len(await web_keys()) > 5
        await h.bot.threads.delete(tid)

        async def gone() -> bool:
            return await web_keys() == []
        await until(gone, "the web data of the deleted thread to go")
        await h.adapter.create_thread(tid, user=ALICE)
        assert await h.adapter.messages.all(tid) == []
        assert await h.adapter.engine.log.list(tid) == []


async def test_leftovers_of_a_thread_deleted_elsewhere_are_cleared_on_create(
        tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h:
        tid = await h.adapter.create_thread("elsewhere", user=ALICE)
        await h.adapter.run(tid, "hello", user=ALICE)
        await h.bot.store.delete(f"thread:{tid}")  # another process deleted the record
        await h.adapter.create_thread(tid, user=ALICE)
        assert await h.adapter.messages.all(tid) == []


async def test_lists_feeds_and_locks_stay_bounded() -> None:
    store = MemoryStore()
    messages = MessageLog(store, keep=3)
    for i in range(5):
        await messages.add(WebMessage(id=f"m{i}", thread_id="t", text=str(i)))
    assert [m.text for m in await messages.all("t")] == ["2", "3", "4"]
    assert await store.get(message_key("t", "m0")) is None
    runs = RunLog(store, keep=2)
    made = [WebRun(run_id=f"r{i}", thread_id="t", assistant_id="a", kind="message", user=None)
            for i in range(3)]
    for run in made:
        await runs.add(run)
    assert await runs.get("t", "r0") is None
    assert [r.run_id for r in await runs.list("t")] == ["r2", "r1"]
    feeds = Feeds(keep=2)
    live = feeds.open(made[0])
    for i in range(10):
        feed = feeds.open(WebRun(run_id=f"x{i}", thread_id="t", assistant_id="a",
                                 kind="message", user=None))
        await feed.close(feed.run)
        feeds.finished(feed.run.run_id)
    assert len(feeds) <= 3
    assert feeds.get(live.run.run_id) is live


async def test_shared_payloads_carry_no_email(tmp_path: Path) -> None:
    carol = PlatformUser(id="carol", name="Carol", email="carol@example.com")
    async with running_helpdesk(tmp_path) as h, httpx.AsyncClient(base_url=h.url) as http:
        tid = await h.adapter.create_thread("mail", user=carol, participants=["alice"])
        run = await h.adapter.run(tid, "hello", user=carol)
        got = await http.get(f"/threads/{tid}/runs/{run.run_id}", headers=as_user("alice"))
        assert got.json()["user"]["name"] == "Carol"
        joined = await http.get(f"/threads/{tid}/runs/{run.run_id}/stream",
                                headers=as_user("alice"))
        for text in (got.text, joined.text, str([m.to_json() for m in
                                                await h.adapter.messages.all(tid)])):
            assert "carol@example.com" not in text
        # the store keeps it, for lookup_user
        assert await h.bot.thread("web", h.adapter.conversation(tid)).lookup_user(
            "carol@") == carol


async def test_text_shown_before_a_cancel_is_kept(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h:
        shown = asyncio.Event()

        async def slow() -> AsyncIterator[str]:
            yield "half of "
            yield "an answer"
            shown.set()
            await asyncio.Event().wait()
            yield "never"

        @h.bot.on_mention
        async def stream(ctx: Any) -> None:
            if ctx.message.text == "slowly":
                await ctx.thread.stream(slow())
        tid = await h.adapter.create_thread("cut", user=ALICE)
        run = await h.adapter.turns.send(tid, [UserInput(text="slowly")], user=ALICE)
        await asyncio.wait_for(shown.wait(), 20)
        h.adapter.engine.cancel(run.run_id)
        assert (await h.adapter.engine.wait(run)).status == "cancelled"
        texts = [m.text for m in await h.adapter.messages.all(tid)]
        assert "half of an answer" in texts


async def test_editing_a_missing_message_is_not_a_usage_error(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h:
        tid = await h.adapter.create_thread("edits", user=ALICE)
        with pytest.raises(AdapterError) as missing:  # the platform refused, as Slack would
            await h.adapter.update(h.adapter.conversation(tid), MessageRef(id="gone"),
                                   ui.Message("x"))
        assert not isinstance(missing.value, UserError)
        assert missing.value.code == "message_not_found"


async def test_a_failing_run_shows_an_error_reference_not_the_exception(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with running_helpdesk(tmp_path) as h, httpx.AsyncClient(base_url=h.url) as http:
        tid = await h.adapter.create_thread("boom", user=ALICE)

        async def broken(event: Any) -> None:
            raise RuntimeError("password=hunter2 at db.internal")
        monkeypatch.setattr(h.bot, "dispatch", broken)
        run = await h.adapter.send(tid, "hello", user=ALICE)
        events = [e async for e in h.adapter.follow(run)]
        assert isinstance(events[-1], agui.RunErrorEvent)
        values = await http.get(f"/threads/{tid}/runs/{run.run_id}/join",
                                headers=as_user("alice"))
        for text in (events[-1].message, values.text):
            assert "hunter2" not in text
            assert "error " in text
