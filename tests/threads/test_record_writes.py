"""How many times a handled message reads and writes its thread record, through a real
(SQLite) store: the touch of an existing record rides on the run's start."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from threads_helpers import make_bot

from botkit import ThreadNotFound, TurnContext, keys
from botkit.store import SQLiteStore
from botkit.testing import FakeAdapter, running


class CountingStore(SQLiteStore):
    """A SQLite store that counts reads and compare-and-set writes of thread records."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.calls: Counter[str] = Counter()

    async def get(self, key: str) -> Any | None:
        if key.startswith(keys.thread_record("")):
            self.calls["read"] += 1
        return await super().get(key)

    async def compare_and_set(self, key: str, expected: Any, value: Any, *,
                              ttl: float | None = None) -> bool:
        if key.startswith(keys.thread_record("")):
            self.calls["write"] += 1
        return await super().compare_and_set(key, expected, value, ttl=ttl)


async def test_a_message_answered_by_a_run_writes_an_existing_record_twice(
        tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "state.db")
    fake = FakeAdapter()
    bot = make_bot(fake, store=store)
    async with running(bot):
        await fake.emit_mention("my printer is broken")
        first = dict(store.calls)
        before = await bot.threads.get("C1:t1")
        store.calls.clear()
        await fake.emit_mention("and now it smokes")
        second = dict(store.calls)
    record = await bot.threads.get("C1:t1")
    # a new thread: created, busy, idle; an existing one: busy (with the touch), idle
    assert first["write"] == 3
    # (3 reads before a completed run wrote its state with its end checkpoint)
    assert second == {"read": 2, "write": 2}  # was 5 reads, 3 writes
    assert (record.title, record.status, record.run_count) == (
        "my printer is broken", "idle", 2)
    assert record.updated_at > before.updated_at


async def test_a_message_no_run_follows_still_touches_the_record(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "state.db")
    fake = FakeAdapter()
    bot = make_bot(fake, store=store)
    seen: list[float] = []

    @bot.on_message
    async def note(ctx: TurnContext) -> None:
        if ctx.message is not None and ctx.message.text.startswith("note"):
            seen.append((await bot.threads.get(ctx.thread.id)).updated_at)

    async with running(bot):
        await fake.emit_mention("hello", conversation="C1:t1")
        before = await bot.threads.get("C1:t1")
        store.calls.clear()
        await fake.emit_message("note this", conversation="C1:t1")
        assert dict(store.calls) == {"read": 2, "write": 1}
        after = await bot.threads.get("C1:t1")
    assert seen == [before.updated_at]  # the touch is written once the turn ended
    assert after.updated_at > before.updated_at
    assert not bot.threads.touches


async def test_the_first_message_titles_a_record_that_has_none(tmp_path: Path) -> None:
    fake = FakeAdapter()
    bot = make_bot(fake, store=SQLiteStore(tmp_path / "state.db"))
    async with running(bot):
        await bot.threads.create("C1:t1", platform="fake")
        await asyncio.gather(fake.emit_mention("   ", conversation="C1:t1"),
                             fake.emit_mention("the printer\nsmokes", conversation="C1:t1"))
        record = await bot.threads.get("C1:t1")
    assert (record.title, record.status, record.run_count) == ("the printer smokes", "idle", 2)
    assert not bot.threads.touches


async def test_a_thread_deleted_by_the_handler_stays_deleted(tmp_path: Path) -> None:
    fake = FakeAdapter()
    bot = make_bot(fake, store=SQLiteStore(tmp_path / "state.db"))

    @bot.on_message
    async def forget(ctx: TurnContext) -> None:
        if ctx.message is not None and ctx.message.text == "forget me":
            await bot.threads.delete(ctx.thread.id)

    async with running(bot):
        await fake.emit_mention("hello", conversation="C1:t1")
        await fake.emit_message("forget me", conversation="C1:t1")
        with pytest.raises(ThreadNotFound):
            await bot.threads.get("C1:t1")
    assert not bot.threads.touches


async def test_a_completed_run_leaves_one_checkpoint_with_its_state(tmp_path: Path) -> None:
    """The state a run ends with is written with the checkpoint the run leaves (one write
    of the state, one checkpoint per run: there were two)."""
    fake = FakeAdapter()
    bot = make_bot(fake, store=SQLiteStore(tmp_path / "state.db"))
    async with running(bot):
        await fake.emit_mention("hello")
        await fake.emit_mention("again")
        points = await bot.threads.history("C1:t1", limit=10)
    assert [p.metadata.get("run_status") for p in points] == ["completed", "completed"]
    assert [p.step for p in points] == [1, 0]
    assert points[0].values == await bot.threads.get_state("C1:t1")
    assert points[0].values["scripted"]["step"] == 1
    assert points[0].run_id != points[1].run_id
