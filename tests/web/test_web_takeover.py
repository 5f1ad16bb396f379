"""Runs left unfinished by a process that stopped (``botkit_web.recovery``), in one process:
the store holds what the stopped process left (its run record naming it, the run's
events up to a half-written reply, the user's message, a bot message it posted, the thread
``busy``) and two live replicas look at once — exactly one takes the run over; a message
run is answered once, a resume run ends as an error every follower sees; a live owner's
run is left alone. (``test_web_crash.py`` SIGKILLs a real process.)"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import ag_ui.core as agui
from polling import until
from web_helpers import ALICE

from botkit import Bot, create_bot
from botkit.store import SQLiteStore, StateStore, Streams
from botkit.testing import Rule, Say, ScriptedAgent
from botkit_web import WebAdapter, WebRun
from botkit_web.keys import feed_key
from botkit_web.messages import WebMessage, new_id
from botkit_web.recovery import STOPPED
from botkit_web.relay import FeedRelay
from botkit_web.runs import FeedItem, RunLog

GONE = "a-stopped-process"
ANSWER = "the whole answer, once."


def _bot(adapter: WebAdapter, store: StateStore) -> Bot:
    bot = create_bot(adapters=[adapter], store=store, name="takeover",
                     agent=ScriptedAgent([Rule(r"question", Say(ANSWER))], default=Say("hm")))

    @bot.on_mention
    async def answer(ctx: Any) -> None:
        await ctx.thread.run_agent()
    return bot


@contextlib.asynccontextmanager
async def replicas(path: Path, count: int) -> AsyncIterator[list[WebAdapter]]:
    """``count`` live replicas on one SQLite file; they look for stopped runs only when
    asked (``recovery.check()``)."""
    adapters, bots, stores = [], [], []
    try:
        for _ in range(count):
            adapter = WebAdapter()
            adapter.recover_every = 3600.0
            store = SQLiteStore(path)
            bot = _bot(adapter, store)
            await bot.start()
            adapters.append(adapter)
            bots.append(bot)
            stores.append(store)
        yield adapters
    finally:
        for bot in bots:
            await bot.stop()
        for store in stores:
            await store.close()


async def leave_a_run(adapter: WebAdapter, *, kind: str = "message", owner: str = GONE,
                      with_message: bool = True) -> tuple[WebRun, str]:
    """What a process killed in the middle of a run leaves in the store."""
    store = adapter.bot.records.store
    assert isinstance(store, Streams)
    tid = await adapter.create_thread(user=ALICE)
    run = WebRun(run_id=WebRun.new_id(), thread_id=tid, assistant_id="botkit",
                 kind=kind, user=ALICE, status="running", owner=owner)  # type: ignore[arg-type]
    now = time.time()
    if with_message:
        await adapter.messages.add(WebMessage(
            id=new_id(), thread_id=tid, text="a question", author=ALICE, run_id=run.run_id,
            created_at=now, updated_at=now))
    posted = WebMessage(id=new_id(), thread_id=tid, text="Looking into it…",
                        author=adapter.bot_user, is_bot=True, run_id=run.run_id,
                        created_at=now, updated_at=now)
    await adapter.messages.add(posted)
    await RunLog(store).add(run)
    relay = FeedRelay(store, feed_key(tid, run.run_id))
    for number, event in enumerate([
            agui.RunStartedEvent(thread_id=tid, run_id=run.run_id),
            agui.TextMessageStartEvent(message_id="half", role="assistant"),
            agui.TextMessageContentEvent(message_id="half", delta="the wh")], start=1):
        relay.put(FeedItem(number, event))
    await relay.flush()

    def busy(record: dict[str, Any] | None) -> dict[str, Any] | None:
        assert record is not None
        return {**record, "status": "busy", "current_run": "core-run",
                "live_runs": ["core-run"]}
    await adapter.bot.records.edit_thread_record(tid, busy)
    return run, posted.id


async def _mirroring(adapter: WebAdapter) -> bool:
    return len(adapter.engine.mirrors) == 1


async def _events(adapter: WebAdapter, run: WebRun) -> list[agui.BaseEvent]:
    async with asyncio.timeout(60):
        return [e async for e in adapter.follow(run)]


async def test_two_replicas_take_over_a_stopped_message_run_exactly_once(
        tmp_path: Path) -> None:
    async with replicas(tmp_path / "takeover.db", 2) as (b, c):
        run, posted = await leave_a_run(b)
        taken = await asyncio.gather(b.recovery.check(), c.recovery.check(),
                                     b.recovery.check(), c.recovery.check())
        assert sorted(r for found in taken for r in found) == [run.run_id]  # exactly one
        other = c if taken[0] or taken[2] else b
        assert not other.engine.here(run.run_id)
        done = await asyncio.wait_for(other.engine.wait(run, poll=0.05), 60)
        assert done.status == "success"
        events = await _events(other, run)
        # the half-written reply is cut off with a notice and ended, then answered anew
        deltas = [(e.message_id, e.delta) for e in events
                  if isinstance(e, agui.TextMessageContentEvent)]
        assert deltas[0] == ("half", "the wh")
        assert deltas[1][0] == "half"
        assert STOPPED in deltas[1][1]
        assert "".join(d for m, d in deltas if m != "half").strip() == ANSWER
        ends = [e.message_id for e in events if isinstance(e, agui.TextMessageEndEvent)]
        assert ends[0] == "half"
        assert sum(isinstance(e, agui.RunStartedEvent) for e in events) == 1
        assert isinstance(events[-1], agui.RunFinishedEvent)
        deleted = [e.value["id"] for e in events if isinstance(e, agui.CustomEvent)
                   and e.name == "botkit.message_deleted"]
        assert deleted == [posted]
        said = [m.text for m in await other.messages.all(run.thread_id)
                if m.is_bot and not m.is_status]
        assert said == [ANSWER]  # one answer; what the stopped process posted is gone
        record = await other.bot.records.thread_record(run.thread_id)
        assert record is not None
        assert record["status"] == "idle"
        assert await b.recovery.check() == await c.recovery.check() == []


async def test_a_stopped_resume_run_ends_as_an_error_every_follower_sees(
        tmp_path: Path) -> None:
    async with replicas(tmp_path / "resume.db", 2) as (b, c):
        run, _ = await leave_a_run(b, kind="resume")
        follower = asyncio.create_task(_events(c, run))  # a follower on the other replica
        await until(lambda: _mirroring(c), "C follows the run")
        assert await b.recovery.check() == [run.run_id]
        done = await asyncio.wait_for(c.engine.wait(run, poll=0.05), 60)
        assert (done.status, done.error) == ("error", STOPPED)
        events = await follower
        assert isinstance(events[-1], agui.RunErrorEvent)
        assert events[-1].message == STOPPED
        deltas = [e.delta for e in events if isinstance(e, agui.TextMessageContentEvent)]
        assert deltas[0] == "the wh"
        assert STOPPED in deltas[1]
        record = await c.bot.records.thread_record(run.thread_id)
        assert record is not None
        assert record["status"] == "idle"


async def test_a_message_run_whose_message_is_gone_ends_as_an_error(tmp_path: Path) -> None:
    async with replicas(tmp_path / "gone.db", 1) as (b,):
        run, _ = await leave_a_run(b, with_message=False)
        assert await b.recovery.check() == [run.run_id]
        done = await asyncio.wait_for(b.engine.wait(run), 60)
        assert (done.status, done.error) == ("error", STOPPED)


async def test_the_run_of_a_live_process_is_left_alone(tmp_path: Path) -> None:
    async with replicas(tmp_path / "alive.db", 2) as (b, c):
        owner = await c.bot.heartbeat()  # C is alive: its heartbeat is in the store
        run, _ = await leave_a_run(b, owner=owner)
        assert await b.recovery.check() == []
        found = await RunLog(b.bot.records.store).get(run.thread_id, run.run_id)
        assert found is not None
        assert (found.status, found.owner) == ("running", owner)


async def test_a_replica_that_starts_takes_over_what_a_stopped_one_left(
        tmp_path: Path) -> None:
    async with replicas(tmp_path / "start.db", 1) as (b,):
        run, _ = await leave_a_run(b)
        await b.bot.stop()  # B was not looking; it starts again and looks at once
        await b.bot.start()
        done = await asyncio.wait_for(b.engine.wait(run, poll=0.05), 60)
        assert done.status == "success"
