"""``bot.threads``: records made by turns and runs, state, history, messages, management."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from threads_helpers import Clock, gated_parallel_bot, make_bot

from botkit import Capabilities, MemoryStore, SQLiteStore, create_bot
from botkit.agents.loop import AgentRunner
from botkit.testing import BOB, FakeAdapter, running
from botkit.threads import (
    MessagesUnavailable,
    PreconditionFailed,
    ThreadConflict,
    ThreadEvent,
    ThreadNotFound,
    ThreadQueryError,
    Threads,
)
from botkit.threads.checkpoints import state_etag
from botkit.types import Conversation


async def test_a_handled_message_creates_a_record_titled_by_it() -> None:
    fake = FakeAdapter()
    bot = make_bot(fake)
    async with running(bot):
        await fake.emit_message("chatter nobody handles", conversation="C5:t5")
        await fake.emit_mention("  my printer\n is   broken  ")
        first = await bot.threads.get("C1:t1")
        await fake.emit_mention("and now it smokes")
    record = await bot.threads.get("C1:t1")
    assert (record.id, record.platform, record.channel) == ("C1:t1", "fake", "C1")
    assert record.title == "my printer is broken"
    assert record.status == "idle"
    assert record.conversation == {"id": "C1:t1", "channel": "C1", "thread": "t1",
                                   "is_direct": False, "raw": {}}
    assert record.updated_at > first.updated_at > first.created_at == record.created_at
    assert record.run_count == 2
    with pytest.raises(ThreadNotFound):
        await bot.threads.get("C5:t5")  # no handler ran: no record


async def test_runs_set_the_status_and_fill_the_history() -> None:
    fake = FakeAdapter()
    bot = make_bot(fake)
    events: list[ThreadEvent] = []

    async def watch() -> None:
        async with bot.threads.subscribe() as stream:
            ready.set()
            async for event in stream:
                events.append(event)
    ready = asyncio.Event()
    async with running(bot), asyncio.timeout(5):
        watcher = asyncio.create_task(watch())
        await ready.wait()
        await fake.emit_mention("file a ticket")
        assert (await bot.threads.get("C1:t1")).status == "idle"
        await fake.emit_mention("deploy it")
        assert (await bot.threads.get("C1:t1")).status == "interrupted"
        await fake.click("Yes", user=BOB)
        assert (await bot.threads.get("C1:t1")).status == "idle"
        await fake.emit_mention("crash now")
        record = await bot.threads.get("C1:t1")
    await watcher
    assert record.status == "error"
    assert record.last_error == "model overloaded"
    assert record.current_run is None
    runs = await bot.threads.runs("C1:t1")
    assert [(r.kind, r.status) for r in runs] == [
        ("run", "failed"), ("resume", "completed"), ("run", "interrupted"), ("run", "completed")]
    ticket = runs[-1]
    assert ticket.iterations == 2
    assert ticket.text == "Filed T-1 (printer)."
    (call,) = ticket.tool_calls
    assert (call["name"], call["result"], call["error"]) == ("create_ticket", "T-1 (printer)",
                                                             None)
    assert '"printer"' in call["arguments"]
    assert ticket.checkpoint["scripted"]["rule"] == 0  # the state the run left
    assert runs[0].error == "model overloaded"
    assert ticket.started_at <= ticket.ended_at
    assert [r.kind for r in await bot.threads.runs("C1:t1", limit=1)] == ["run"]
    statuses = [e.thread.status for e in events if e.type == "status_changed" and e.thread]
    assert statuses == ["busy", "idle", "busy", "interrupted", "busy", "idle", "busy", "error"]
    assert events[0].type == "created"
    assert [e.seq for e in events] == sorted(e.seq for e in events)


async def test_a_crashing_run_is_recorded_and_still_raises(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    async def explode(self: AgentRunner, request: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(AgentRunner, "run", explode)
    fake = FakeAdapter()
    bot = make_bot(fake)
    async with running(bot):
        await fake.emit_mention("hello")
    (run,) = await bot.threads.runs("C1:t1")
    assert (run.status, run.error) == ("crashed", "RuntimeError: disk on fire")
    assert (await bot.threads.get("C1:t1")).status == "error"
    assert "something went wrong" in fake.texts()[-1]


async def test_thread_state_and_title_go_through_the_threads_layer() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])

    @bot.on_command("note")
    async def note(ctx: Any) -> None:
        await ctx.thread.set_state({"note": ctx.text})
        await ctx.thread.set_title("Notes")

    async with running(bot):
        await fake.emit_command("/note", "buy milk")
        thread = bot.thread("fake", fake.conversation())
        assert await thread.get_state() == {"note": "buy milk"}
    assert (await bot.threads.get("C1:t1")).title == "Notes"
    assert await bot.threads.get_state("C1:t1") == {"note": "buy milk"}
    assert (await bot.threads.head("C1:t1")).values == {"note": "buy milk"}  # type: ignore[union-attr]


async def test_state_can_be_merged_patched_replaced_and_cleared() -> None:
    fake = FakeAdapter()
    bot = make_bot(fake)
    async with running(bot):
        await fake.emit_message("hi")  # no mention handler for plain messages: no record yet
        await fake.emit_mention("hi")
    threads = bot.threads
    first = await threads.set_state("C1:t1", {"a": 1})
    merged = await threads.update_state("C1:t1", {"b": 2})
    assert merged.values == {"a": 1, "b": 2}
    assert merged.parent_checkpoint_id == first.checkpoint_id
    patched = await threads.update_state("C1:t1", {"d": 0}, patch=[
        {"op": "replace", "path": "/a", "value": 5}, {"op": "add", "path": "/c", "value": [1]}])
    assert patched.values == {"a": 5, "b": 2, "c": [1], "d": 0}
    assert await threads.get_state("C1:t1") == patched.values
    with pytest.raises(ThreadConflict, match="patch"):
        await threads.update_state("C1:t1", patch=[{"op": "remove", "path": "/missing"}])
    with pytest.raises(PreconditionFailed):
        await threads.update_state("C1:t1", {"e": 1}, if_match=state_etag(first.checkpoint_id))
    cleared = await threads.clear_state("C1:t1", if_match=state_etag(patched.checkpoint_id))
    assert await threads.get_state("C1:t1") == {}
    history = await threads.history("C1:t1", limit=4)
    assert [c.checkpoint_id for c in history] == [
        cleared.checkpoint_id, patched.checkpoint_id, merged.checkpoint_id, first.checkpoint_id]
    assert [c.source for c in history] == ["update"] * 4
    older = await threads.history("C1:t1", before=merged.checkpoint_id)
    assert older[0] == first
    assert (await threads.checkpoint("C1:t1", merged.checkpoint_id)).values == {"a": 1, "b": 2}
    with pytest.raises(ThreadNotFound):
        await threads.get_state("nope")


async def test_messages_come_from_the_platform_newest_page_oldest_first() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    bot.on_mention(lambda ctx: ctx.thread.post(f"echo {ctx.text}"))
    async with running(bot):
        for i in range(4):
            await fake.emit_mention(f"m{i}")
        await bot.thread("fake", fake.conversation()).show_notice("a status line")
    threads = bot.threads
    texts = [m.text for m in await threads.messages("C1:t1")]
    assert texts == ["m0", "echo m0", "m1", "echo m1", "m2", "echo m2", "m3", "echo m3"]
    page = await threads.messages("C1:t1", limit=3, offset=2)
    assert ([m.text for m in page], page.total) == (["echo m1", "m2", "echo m2"], 8)
    found = await threads.messages("C1:t1", search="ECHO M")
    assert ([m.text for m in found], found.total) == (
        ["echo m0", "echo m1", "echo m2", "echo m3"], 4)
    assert list(await threads.messages("C1:t1", offset=100)) == []
    with pytest.raises(ThreadQueryError, match="offset"):
        await threads.messages("C1:t1", offset=-1)
    store_only = Threads(bot.store)
    with pytest.raises(Exception, match="running bot"):
        await store_only.messages("C1:t1")


async def test_messages_are_empty_where_the_platform_cannot_read_history() -> None:
    fake = FakeAdapter(capabilities=Capabilities())
    bot = create_bot(adapters=[fake])
    bot.on_mention(lambda ctx: None)
    async with running(bot):
        await fake.emit_mention("hello")
    assert list(await bot.threads.messages("C1:t1")) == []


async def test_rename_archive_copy_and_delete() -> None:
    fake = FakeAdapter()
    bot = make_bot(fake)
    async with running(bot):
        await fake.emit_mention("deploy it")  # leaves a pending interrupt
    threads = bot.threads
    assert (await threads.rename("C1:t1", "  Release 1.2 ")).title == "Release 1.2"
    with pytest.raises(ThreadQueryError, match="title"):
        await threads.rename("C1:t1", 5)  # type: ignore[arg-type]
    archived = await threads.archive("C1:t1")
    assert archived.archived
    assert [t.id for t in await threads.list()] == []
    assert [t.id for t in await threads.list(archived=True)] == ["C1:t1"]
    assert not (await threads.unarchive("C1:t1")).archived
    updated = await threads.update("C1:t1", metadata={"team": "ops", "x": 1})
    assert dict(updated.metadata) == {"team": "ops", "x": 1}
    updated = await threads.update("C1:t1", metadata={"x": None}, title="R1")
    assert (dict(updated.metadata), updated.title) == ({"team": "ops"}, "R1")

    copy = await threads.copy("C1:t1", "C1:t1-copy")
    assert (copy.copied_from, copy.title, copy.status) == ("C1:t1", "R1", "idle")
    assert await threads.get_state("C1:t1-copy") == await threads.get_state("C1:t1")
    assert len(await threads.runs("C1:t1-copy")) == 1
    assert await threads.history("C1:t1-copy") == [
        replace(c, thread_id="C1:t1-copy") for c in await threads.history("C1:t1")]
    with pytest.raises(MessagesUnavailable, match="a copy has no conversation there"):
        await threads.messages("C1:t1-copy")  # not the original's: fake keeps its own
    with pytest.raises(ThreadConflict, match="already exists"):
        await threads.copy("C1:t1", "C1:t1-copy")
    assert str(uuid.UUID((await threads.copy("C1:t1")).id))

    assert await bot.store.get("interrupt:C1:t1") is not None
    await threads.delete("C1:t1")
    for key in ("thread:C1:t1", "state:C1:t1", "interrupt:C1:t1", "ckstep:C1:t1"):
        assert await bot.store.get(key) is None
    assert await bot.store.list_len("runs:C1:t1") == 0
    assert await bot.store.list_len("ckpt:C1:t1") == 0
    assert next(m.text for m in fake.history["C1:t1"]) == "deploy it"  # platform untouched
    with pytest.raises(ThreadNotFound):
        await threads.delete("C1:t1")
    async with running(bot):
        await fake.emit_mention("hello again")
    assert (await threads.get("C1:t1")).title == "hello again"  # a fresh record


async def make_records(threads: Threads) -> None:
    specs = [("a", "slack", "Printer broken", "idle", {"team": "it"}),
             ("b", "slack", "VPN down", "error", {"team": "net"}),
             ("c", "console", "printer toner", "busy", {"team": "it", "vip": True}),
             ("d", "slack", "Lunch", "interrupted", {})]
    for tid, platform, title, status, metadata in specs:
        record = threads.new_record(tid, platform, Conversation(id=tid, channel="C"), title)
        await threads.mutate(tid, lambda _, r=record, s=status, m=metadata:
                             replace(r, status=s, metadata=m))


async def test_list_filters_sorts_and_pages() -> None:
    threads = Threads(MemoryStore(), clock=Clock())
    await make_records(threads)

    async def ids(**kwargs: Any) -> list[str]:
        return [t.id for t in await threads.list(**kwargs)]
    assert await ids() == ["d", "c", "b", "a"]  # newest update first
    assert await ids(sort_order="asc") == ["a", "b", "c", "d"]
    assert await ids(sort_by="title", sort_order="asc") == ["d", "a", "c", "b"]
    assert await ids(search="PRINTER") == ["c", "a"]
    assert await ids(search="a") == ["a"]  # ids match too
    assert await ids(status="error") == ["b"]
    assert await ids(status=["idle", "busy"]) == ["c", "a"]
    assert await ids(platform="console") == ["c"]
    assert await ids(metadata={"team": "it"}) == ["c", "a"]
    assert await ids(metadata={"team": "it", "vip": True}) == ["c"]
    page = await threads.list(limit=2, offset=1)
    assert ([t.id for t in page], page.total, page.limit, page.offset) == (["c", "b"], 4, 2, 1)
    assert len(page) == 2


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"offset": -1}, "offset"),
    ({"sort_by": "colour"}, "sort_by"), ({"sort_order": "up"}, "sort_order"),
    ({"status": "sleepy"}, "status"), ({"metadata": ["x"]}, "metadata"),
    ({"search": 5}, "search"),
])
async def test_list_rejects_bad_arguments(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ThreadQueryError) as error:
        await Threads(MemoryStore()).list(**kwargs)
    assert [e["field"] for e in error.value.errors] == [field]


async def test_empty_ids_are_refused() -> None:
    threads = Threads(MemoryStore())
    for call in (threads.get(""), threads.history(""), threads.rename("", "x")):
        with pytest.raises(ThreadQueryError, match="thread_id"):
            await call


async def test_records_history_and_state_survive_a_restart_on_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    fake = FakeAdapter()
    bot = make_bot(fake, SQLiteStore(path))
    async with running(bot):
        await fake.emit_mention("file a ticket please")
        await fake.emit_mention("deploy it")
    await bot.store.close()

    again = make_bot(FakeAdapter(), SQLiteStore(path))
    try:
        record = await again.threads.get("C1:t1")
        assert (record.title, record.status, record.run_count) == (
            "file a ticket please", "interrupted", 2)
        assert [r.status for r in await again.threads.runs("C1:t1")] == [
            "interrupted", "completed"]
        assert "scripted" in await again.threads.get_state("C1:t1")
        assert await again.store.get("interrupt:C1:t1") is not None
        assert [t.id for t in await again.threads.list(status="interrupted")] == ["C1:t1"]
    finally:
        await again.store.close()


async def test_under_parallel_the_status_follows_the_newest_run() -> None:
    fake, bot, gates, started, progress = gated_parallel_bot()
    async with running(bot), asyncio.timeout(5):
        older = bot.spawn(bot.dispatch(fake.message_event("older")))
        newer = bot.spawn(bot.dispatch(fake.message_event("newer")))
        while len(started) < 2:
            progress.clear()
            await progress.wait()
        gates["older"].set()
        await older
        assert (await bot.threads.get("C1:t1")).status == "busy"  # the newer run goes on
        gates["newer"].set()
        await newer
    assert (await bot.threads.get("C1:t1")).status == "idle"


def test_the_api_config_never_shows_its_token() -> None:
    from botkit import UserError
    from botkit.threads import ThreadsAPIConfig

    config = ThreadsAPIConfig(token="s3cret-token-value")
    assert "s3cret" not in repr(config)
    with pytest.raises(UserError, match="must be a string"):
        ThreadsAPIConfig(token=123)  # type: ignore[arg-type]
