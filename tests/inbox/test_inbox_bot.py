"""The inbox inside a bot (FakeAdapter, in one process): dispatch returns once the event is
stored, the consumer answers it; a drain closes a streaming reply with a notice and hands
its event to the next bot, which answers it once."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from polling import until

from botkit import Bot, MemoryStore, SQLiteStore, ToolContext, TurnContext, create_bot, ui
from botkit.errors import UserError
from botkit.inbox import InboxConfig
from botkit.inbox.closing import OPEN_STREAMS
from botkit.store.streams import StreamId
from botkit.testing import CallTool, FakeAdapter, Rule, Say, ScriptedAgent


def make(store: SQLiteStore, fake: FakeAdapter, *, words_delay: float, deadline: float
         ) -> Bot:
    agent = ScriptedAgent([Rule(r"slow", Say("one two three four five six", delay=words_delay))],
                          default=Say("quick answer"))
    bot = create_bot(adapters=[fake], agent=agent, store=store,
                     inbox=InboxConfig(drain_deadline=deadline, heartbeat=0.2,
                                       replica_ttl=1.0))

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()
    return bot


async def test_dispatch_stores_and_the_consumer_answers(tmp_path: Path) -> None:
    fake, store = FakeAdapter(), SQLiteStore(tmp_path / "state.db")
    bot = make(store, fake, words_delay=0, deadline=5)
    await bot.start()
    try:
        await fake.emit_mention("hello")  # returns once stored
        await fake.wait_for(lambda s: "quick answer" in s.text)
    finally:
        await bot.stop()
        await store.close()


async def test_a_drain_closes_the_open_stream_and_hands_the_turn_over(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeAdapter()
    store = SQLiteStore(tmp_path / "state.db")
    first = make(store, fake, words_delay=5, deadline=0.2)
    await first.start()
    await fake.emit_mention("slow please")
    # the reply is streaming (the fake shows it at the end)
    await until(lambda: OPEN_STREAMS.open > 0, "the reply to start streaming")
    with caplog.at_level(logging.INFO, logger="botkit"):
        await first.stop()
    assert "stopped: finished 0, handed over 1, closed 1 streams" in caplog.text
    assert "Interrupted: the bot is restarting" in fake.texts()[-1]
    assert OPEN_STREAMS.open == 0
    second = make(store, fake, words_delay=0, deadline=5)
    await second.start()
    try:
        await fake.wait_for(lambda s: s.text == "one two three four five six")
    finally:
        await second.stop()
        await store.close()
    assert sum(t == "one two three four five six" for t in fake.texts()) == 1


def test_inbox_options_are_checked() -> None:
    with pytest.raises(UserError, match="drain_deadline"):
        InboxConfig(drain_deadline=-1)
    with pytest.raises(UserError, match="heartbeat must be shorter"):
        InboxConfig(heartbeat=5, replica_ttl=2)
    with pytest.raises(UserError, match="inbox must be True"):
        create_bot(adapters=[FakeAdapter()], inbox="yes")  # type: ignore[arg-type]


async def test_the_stream_closer_ends_a_stream_with_its_notice() -> None:
    gate = asyncio.Event()

    async def parts() -> AsyncIterator[str]:
        yield "first "
        await gate.wait()
        yield "never"
    stream = OPEN_STREAMS.wrap(parts())
    got = []
    async for part in stream:
        got.append(part)
        if len(got) == 1:
            assert OPEN_STREAMS.close_all("(closed)") == 1
    assert got == ["first ", "(closed)"]
    assert stream.closed


async def test_a_thread_waiting_for_a_person_is_interrupted_not_busy(tmp_path: Path) -> None:
    fake, store = FakeAdapter(), SQLiteStore(tmp_path / "state.db")
    agent = ScriptedAgent([Rule(r"deploy", CallTool("confirm", {}), Say("{result}"))])
    bot = create_bot(adapters=[fake], agent=agent, store=store, inbox=True)

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()

    @bot.tool
    async def confirm(ctx: ToolContext) -> str:
        """Ask before deploying."""
        yes = await ctx.thread.await_choice(ui.Message(ui.Section("Deploy?"), ui.Actions(
            ui.Button("Yes", value=True), ui.Button("No", value=False))))
        return "deployed" if yes else "kept"

    await bot.start()
    try:
        await fake.emit_mention("deploy it")
        await fake.wait_for_buttons()
        assert (await bot.threads.get("C1:t1")).status == "interrupted"
        await fake.click("Yes")
        await fake.wait_for(lambda s: s.text == "deployed")
        async def idle() -> bool:
            return (await bot.threads.get("C1:t1")).status == "idle"
        await until(idle, "the thread to be idle")
    finally:
        await bot.stop()
        await store.close()


async def test_a_thread_left_busy_is_settled_idle_or_interrupted(tmp_path: Path) -> None:
    """Recovery puts a thread a dead process left busy back: no run goes on any more
    (``current_run`` and every live run cleared), ``interrupted`` when a question waits."""
    from botkit import keys
    from botkit.types import Conversation

    store = SQLiteStore(tmp_path / "state.db")
    bot = create_bot(adapters=[FakeAdapter()], store=store, inbox=True)
    threads, host = bot.threads, bot._inbox
    assert host is not None
    try:
        for tid in ("C1:busy", "C1:asked", "C1:idle"):
            busy = tid != "C1:idle"
            await threads.mutate(tid, lambda old, t=tid, b=busy: threads.new_record(
                t, "fake", Conversation(id=t, channel="C1", thread=t.split(":")[1]),
                status="busy" if b else "idle", current_run="r2" if b else None,
                live_runs=("r1", "r2") if b else ()))
        await store.set(keys.pending_interrupt("C1:asked"), {"run_id": "r2"})
        for tid in ("C1:busy", "C1:asked", "C1:idle"):
            await host.settle(tid)
        settled = {tid: await threads.get(tid) for tid in ("C1:busy", "C1:asked", "C1:idle")}
        assert {t: r.status for t, r in settled.items()} == {
            "C1:busy": "idle", "C1:asked": "interrupted", "C1:idle": "idle"}
        assert all(r.current_run is None and r.live_runs == () for r in settled.values())
        before = settled["C1:idle"]
        await host.settle("C1:idle")  # not busy: left alone
        assert await threads.get("C1:idle") == before
    finally:
        await store.close()


class FailsOneAppend(SQLiteStore):
    """The first inbox append fails inside its transaction (a full disk, an I/O error)."""

    failures = 1

    def _open(self) -> sqlite3.Connection:  # every connection the store opens
        conn = super()._open()

        def fail_now() -> bool:
            if self.failures <= 0:
                return False
            self.failures -= 1
            return True
        conn.create_function("fail_now", 0, fail_now)
        conn.execute("CREATE TEMP TRIGGER fail_an_append BEFORE INSERT ON stream_entries "
                     "WHEN fail_now() BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
        return conn


class LosesOneAppend(MemoryStore):
    failures = 1

    async def stream_add(self, stream: str, data: Any, *, max_len: int | None = None
                         ) -> StreamId:
        if stream == "inbox" and self.failures > 0:
            self.failures -= 1
            raise ConnectionError("the store went away")
        return await super().stream_add(stream, data, max_len=max_len)


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
async def test_a_failed_append_is_not_taken_for_a_duplicate_when_it_comes_again(
        kind: str, tmp_path: Path) -> None:
    """The dedup mark and the append are one write: when storing a delivery fails (it is
    then not acked), the platform's redelivery is stored and answered, not dropped as
    already seen."""
    fake = FakeAdapter()
    store = FailsOneAppend(tmp_path / "state.db") if kind == "sqlite" else LosesOneAppend()
    bot = create_bot(adapters=[fake], agent=ScriptedAgent([], default=Say("quick answer")),
                     store=store, inbox=True)

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()
    await bot.start()
    try:
        event = fake.message_event("hello")
        with pytest.raises((sqlite3.Error, ConnectionError)):
            await bot.dispatch(event)  # not stored: the platform gets no ack
        await bot.dispatch(event)  # its redelivery
        await fake.wait_for(lambda s: "quick answer" in s.text)
        await bot.dispatch(event)  # a redelivery of the stored one is a duplicate
    finally:
        await bot.stop()
        await store.close()
    assert fake.texts().count("quick answer") == 1
