"""Bots sharing a store act as one on choices: a click that reaches another replica is handed
to the one waiting (pub/sub on memory and Redis, polling on SQLite), exactly one replica acts
on a click, and a replica that does not take the answer is replaced by a replay."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import durable_helpers as h
import pytest

from botkit import MemoryStore, RedisStore, SQLiteStore, StateStore
from botkit.testing import FakeAdapter, Sent, running

EXPIRED = "This button has expired or was already used."
Pair = Callable[[], tuple[StateStore, StateStore]]


@pytest.fixture(autouse=True)
def _fresh() -> None:
    h.PREPARED.clear()


@pytest.fixture(params=["memory", "sqlite", "redis"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Pair:
    """Two handles on one store, as two processes would have."""
    if request.param == "memory":
        store = MemoryStore()
        return lambda: (store, store)
    if request.param == "sqlite":
        return lambda: (SQLiteStore(tmp_path / "s.db"), SQLiteStore(tmp_path / "s.db"))
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    return lambda: (RedisStore(url, prefix=prefix), RedisStore(url, prefix=prefix))


def closed_notes(fake: FakeAdapter) -> list[str]:
    return [s.text.splitlines()[-1] for s in fake.sent if s.kind == "update"]


def told(fake: FakeAdapter) -> list[str]:
    return [s.text for s in fake.sent if s.kind == "ephemeral"]


async def close(*stores: StateStore) -> None:
    for store in {id(s): s for s in stores}.values():
        await store.close()


async def test_a_click_at_another_replica_reaches_the_one_waiting(shared: Pair) -> None:
    store_a, store_b = shared()
    fake_a, fake_b = FakeAdapter(), FakeAdapter()
    bot_a, bot_b = h.make_bot(fake_a, store_a), h.make_bot(fake_b, store_b)
    try:
        async with running(bot_a), running(bot_b), asyncio.timeout(10):
            task = bot_a.spawn(bot_a.dispatch(fake_a.message_event("open a ticket")))
            card = await fake_a.wait_for_buttons()
            action_id, value = h.action(card, "Open it")
            await fake_b.emit_interaction(action_id, value, message=card.ref)
            await task
        assert fake_a.texts()[-1] == "Done: ticket 'printer' is open"  # finished where it waited
        assert h.PREPARED == ["printer"]  # handed over, not replayed
        assert closed_notes(fake_b) == ["· ✓ Open it (by Alice)"]
        assert fake_b.texts() == [fake_b.sent[-1].text]  # b only closed the card
        assert await store_b.scan("choice") == []
    finally:
        await close(store_a, store_b)


async def test_two_clicks_at_two_replicas_are_acted_on_once(shared: Pair) -> None:
    store_a, store_b = shared()
    fake_a, fake_b = FakeAdapter(), FakeAdapter()
    bot_a, bot_b = h.make_bot(fake_a, store_a), h.make_bot(fake_b, store_b)
    try:
        async with running(bot_a), running(bot_b), asyncio.timeout(10):
            task = bot_a.spawn(bot_a.dispatch(fake_a.message_event("open a ticket")))
            card = await fake_a.wait_for_buttons()
            (open_id, yes), (cancel_id, no) = h.action(card, "Open it"), h.action(card, "Cancel")
            await asyncio.gather(fake_a.emit_interaction(open_id, yes, message=card.ref),
                                 fake_b.emit_interaction(cancel_id, no, message=card.ref))
            await task
        done = [t for t in fake_a.texts() if t.startswith("Done:")]
        assert done in (["Done: ticket 'printer' is open"], ["Done: cancelled"])
        assert len(closed_notes(fake_a) + closed_notes(fake_b)) == 1
        assert told(fake_a) + told(fake_b) == [EXPIRED]
        assert h.PREPARED == ["printer"]
    finally:
        await close(store_a, store_b)


async def test_a_stopped_replicas_tool_is_replayed_by_another(tmp_path: Path) -> None:
    store_a, store_b = SQLiteStore(tmp_path / "s.db"), SQLiteStore(tmp_path / "s.db")
    fake_a, fake_b = FakeAdapter(), FakeAdapter()
    bot_a, bot_b = h.make_bot(fake_a, store_a), h.make_bot(fake_b, store_b)
    try:
        async with running(bot_b), asyncio.timeout(10):
            await bot_a.start()
            task = bot_a.spawn(bot_a.dispatch(fake_a.message_event("open a ticket")))
            card = await fake_a.wait_for_buttons()
            await bot_a.stop()
            await task
            action_id, value = h.action(card, "Open it")
            await fake_b.emit_interaction(action_id, value, message=card.ref)
        assert fake_b.texts()[-1] == "Done: ticket 'printer' is open"
        assert h.PREPARED == ["printer", "printer"]
    finally:
        await close(store_a, store_b)


class Deaf(SQLiteStore):
    """A replica that never manages to take the answers left for it."""

    async def pop(self, key: str) -> Any | None:
        return None if key.startswith("choiceans:") else await super().pop(key)


async def test_an_owner_that_does_not_take_the_answer_is_replaced_by_a_replay(
    tmp_path: Path,
) -> None:
    store_a, store_b = Deaf(tmp_path / "s.db"), SQLiteStore(tmp_path / "s.db")
    fake_a, fake_b = FakeAdapter(), FakeAdapter()
    bot_a, bot_b = h.make_bot(fake_a, store_a), h.make_bot(fake_b, store_b)
    for bot in (bot_a, bot_b):  # give up on a silent owner sooner than in production
        relay = bot._runtime.choices.relay
        relay.handoff_timeout, relay.poll_every = 0.2, 0.05
    try:
        async with running(bot_a), running(bot_b), asyncio.timeout(10):
            task = bot_a.spawn(bot_a.dispatch(fake_a.message_event("open a ticket")))
            card: Sent = await fake_a.wait_for_buttons()
            action_id, value = h.action(card, "Open it")
            await fake_b.emit_interaction(action_id, value, message=card.ref)
            await task  # a lets go of the call b took over (suspended, no second result)
        assert fake_b.texts()[-1] == "Done: ticket 'printer' is open"
        assert not any(t.startswith("Done:") for t in fake_a.texts())
        assert h.PREPARED == ["printer", "printer"]
        assert (await bot_a.threads.runs("C1:t1"))[0].status == "interrupted"
    finally:
        await close(store_a, store_b)
