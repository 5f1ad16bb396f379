"""Per-conversation concurrency policies: serial, parallel, drop, queue; store locks with a
heartbeat; several bots sharing one store behave as one; clicks never take the turn lock."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

import pytest

from botkit import MemoryStore, TurnContext, UserError, create_bot, ui
from botkit._turns import decode_event, encode_event
from botkit.testing import BOB, FakeAdapter, running


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


class Blocking:
    """A handler that records turns and holds the first one until ``gate`` opens."""

    def __init__(self) -> None:
        self.gate, self.started = asyncio.Event(), asyncio.Event()
        self.turns: list[tuple[str, tuple[str, ...]]] = []

    async def __call__(self, ctx: TurnContext) -> None:
        self.turns.append((ctx.text, tuple(m.text for m in ctx.skipped)))
        if len(self.turns) == 1:
            self.started.set()
            await self.gate.wait()


async def test_serial_holds_a_store_lock_while_the_turn_runs() -> None:
    fake, store = FakeAdapter(), MemoryStore()
    bot = create_bot(adapters=[fake], store=store)
    handler = Blocking()
    bot.on_mention(handler)
    async with running(bot), asyncio.timeout(5):
        first = bot.spawn(bot.dispatch(fake.message_event("first")))
        await handler.started.wait()
        assert await store.acquire_lock("turn:C1:t1", ttl=60) is None
        second = bot.spawn(bot.dispatch(fake.message_event("second")))
        await settle()
        assert [t for t, _ in handler.turns] == ["first"]
        handler.gate.set()
        await asyncio.gather(first, second)
    assert [t for t, _ in handler.turns] == ["first", "second"]
    token = await store.acquire_lock("turn:C1:t1", ttl=60)
    assert token is not None  # released


async def test_parallel_runs_turns_side_by_side() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake], concurrency="parallel")
    handler = Blocking()
    bot.on_mention(handler)
    async with running(bot), asyncio.timeout(5):
        first = bot.spawn(bot.dispatch(fake.message_event("first")))
        await handler.started.wait()
        await bot.dispatch(fake.message_event("second"))  # finishes while first still runs
        assert not first.done()
        handler.gate.set()
        await first
    assert handler.turns == [("first", ()), ("second", ())]


async def test_drop_discards_a_turn_that_arrives_while_one_runs() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake], concurrency="drop")
    handler = Blocking()
    bot.on_mention(handler)
    async with running(bot), asyncio.timeout(5):
        first = bot.spawn(bot.dispatch(fake.message_event("first")))
        await handler.started.wait()
        await bot.dispatch(fake.message_event("dropped"))
        await fake.emit_mention("elsewhere", conversation="C2:t2")  # other conversations run
        handler.gate.set()
        await first
        await fake.emit_mention("later")
    assert [t for t, _ in handler.turns] == ["first", "elsewhere", "later"]


async def test_queue_answers_the_waiting_messages_once_with_the_newest() -> None:
    fake, store = FakeAdapter(), MemoryStore()
    bot = create_bot(adapters=[fake], store=store, concurrency="queue")
    handler = Blocking()
    bot.on_mention(handler)
    async with running(bot), asyncio.timeout(5):
        first = bot.spawn(bot.dispatch(fake.message_event("first")))
        await handler.started.wait()
        events = [fake.message_event(t) for t in ("b", "c", "d")]
        for event in events:
            await bot.dispatch(event)  # queued: returns at once
        assert handler.turns == [("first", ())]
        handler.gate.set()
        await first
    assert handler.turns == [("first", ()), ("d", ("b", "c"))]
    assert await store.scan("turn") == []  # lock released, queue emptied


async def test_queue_hands_the_original_event_objects_to_the_handler() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake], concurrency="queue")
    seen: list[TurnContext] = []
    bot.on_mention(seen.append)
    async with running(bot):
        event = await fake.emit_mention("only one")
    assert seen[0].message is event
    assert seen[0].skipped == ()


async def test_two_bots_sharing_a_store_serialize_one_conversation() -> None:
    store = MemoryStore()
    fake_a, fake_b = FakeAdapter(), FakeAdapter()
    bot_a = create_bot(adapters=[fake_a], store=store)
    bot_b = create_bot(adapters=[fake_b], store=store)
    handler = Blocking()
    log: list[str] = []
    bot_a.on_mention(handler)
    bot_b.on_mention(lambda ctx: log.append(ctx.text))
    async with running(bot_a), running(bot_b), asyncio.timeout(5):
        first = bot_a.spawn(bot_a.dispatch(fake_a.message_event("on a")))
        await handler.started.wait()
        on_b = replace(fake_b.message_event("on b"), event_id="ev-on-b")  # ids are unique
        waiting = bot_b.spawn(bot_b.dispatch(on_b))
        await settle()
        assert log == []
        assert not waiting.done()
        handler.gate.set()
        await asyncio.gather(first, waiting)
    assert log == ["on b"]


async def test_a_queued_message_from_another_process_is_rebuilt_from_the_store() -> None:
    store = MemoryStore()
    fake_a, fake_b = FakeAdapter(), FakeAdapter()
    bot_a = create_bot(adapters=[fake_a], store=store, concurrency="queue")
    bot_b = create_bot(adapters=[fake_b], store=store, concurrency="queue")
    handler = Blocking()
    seen: list[TurnContext] = []

    async def record(ctx: TurnContext) -> None:
        seen.append(ctx)
        await handler(ctx)
    bot_a.on_mention(record)
    bot_b.on_mention(record)
    async with running(bot_a), running(bot_b), asyncio.timeout(5):
        first = bot_a.spawn(bot_a.dispatch(fake_a.message_event("first")))
        await handler.started.wait()
        remote = replace(fake_b.message_event("from b", user=BOB), event_id="ev-from-b")
        await bot_b.dispatch(remote)  # queued in the store; b is not running a turn
        handler.gate.set()
        await first  # a's turn picks it up
    assert handler.turns == [("first", ()), ("from b", ())]
    rebuilt = seen[1].message
    assert rebuilt is not remote
    assert rebuilt == remote  # same event, rebuilt from JSON (raw is not compared)
    assert seen[1].thread.platform == "fake"


def test_events_round_trip_through_json() -> None:
    event = FakeAdapter().message_event("hi there", user=BOB, conversation="C9:t9")
    assert decode_event(encode_event(event)) == event


class CountingStore(MemoryStore):
    def __init__(self, beats: int, *, lose: bool = False) -> None:
        super().__init__()
        self.extends = 0
        self.enough = asyncio.Event()
        self._beats, self._lose = beats, lose

    async def extend_lock(self, key: str, token: str, *, ttl: float) -> bool:
        held = False if self._lose else await super().extend_lock(key, token, ttl=ttl)
        self.extends += 1
        if self.extends >= self._beats:
            self.enough.set()
        return held


async def test_the_heartbeat_keeps_a_long_turn_locked_past_the_ttl() -> None:
    fake, store = FakeAdapter(), CountingStore(beats=4)
    bot = create_bot(adapters=[fake], store=store, lock_ttl=0.15)  # beats every 0.05 s
    handler = Blocking()
    bot.on_mention(handler)
    async with running(bot), asyncio.timeout(5):
        turn = bot.spawn(bot.dispatch(fake.message_event("long")))
        await store.enough.wait()  # four beats: longer than the 0.15 s TTL has passed
        assert await store.acquire_lock("turn:C1:t1", ttl=60) is None
        handler.gate.set()
        await turn
    assert await store.acquire_lock("turn:C1:t1", ttl=60) is not None


async def test_a_lost_lock_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    fake, store = FakeAdapter(), CountingStore(beats=1, lose=True)
    bot = create_bot(adapters=[fake], store=store, lock_ttl=0.06)
    handler = Blocking()
    bot.on_mention(handler)
    async with running(bot), asyncio.timeout(5):
        turn = bot.spawn(bot.dispatch(fake.message_event("long")))
        await store.enough.wait()
        await settle()
        handler.gate.set()
        await turn
    assert "expired before its heartbeat" in caplog.text


@pytest.mark.parametrize("policy", ["serial", "drop", "queue"])
async def test_a_click_never_waits_for_the_turn_lock(policy: Any) -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake], concurrency=policy)
    answers: list[Any] = []

    @bot.on_mention
    async def ask(ctx: TurnContext) -> None:
        answers.append(await ctx.thread.await_choice(
            ui.Message("Ship it?", ui.Actions(ui.Button("Yes", value="yes")))))

    async with running(bot), asyncio.timeout(5):
        turn = bot.spawn(bot.dispatch(fake.message_event("go")))
        await fake.wait_for_buttons()
        await fake.click("Yes")
        await turn
    assert answers == ["yes"]


def test_bad_policies_are_refused(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    with pytest.raises(UserError, match="serial, parallel, drop, queue"):
        create_bot(concurrency="sometimes")  # type: ignore[arg-type]
    with pytest.raises(UserError, match="lock_ttl"):
        create_bot(lock_ttl=0)


class SlowReleaseStore(MemoryStore):
    """A store that takes a while to release a lock (a SQLite write in a thread, a Redis
    round trip): a turn ending waits for it, and may be cancelled meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.releasing, self.answer = asyncio.Event(), asyncio.Event()

    async def release_lock(self, key: str, token: str) -> bool:
        self.releasing.set()
        await self.answer.wait()
        return await super().release_lock(key, token)


async def test_cancelling_a_turn_as_it_ends_is_not_swallowed() -> None:
    """A turn cancelled while it gives its lock back is still cancelled (and its lock
    released), not resumed as if nothing happened."""
    from botkit._turns import TurnGate

    store = SlowReleaseStore()
    gate = TurnGate(lambda: store, "serial", lock_ttl=60)

    async def body(event: Any, skipped: Any) -> None:
        pass

    turn = asyncio.create_task(gate.run(FakeAdapter().message_event("hi"), body))
    await store.releasing.wait()
    turn.cancel()  # arrives while the gate waits for the store to release the lock
    await settle()
    store.answer.set()
    with pytest.raises(asyncio.CancelledError):
        await turn
    assert await store.acquire_lock("turn:C1:t1", ttl=1) is not None  # released


async def test_a_turn_ending_with_the_memory_store_takes_no_extra_loop_turn() -> None:
    """With a store whose lock calls never wait (the memory store), taking and giving back
    the turn lock costs no task and no loop iteration: a turn whose body never waits is
    done in the step that started it."""
    from botkit._turns import TurnGate

    store = MemoryStore()
    gate = TurnGate(lambda: store, "serial", lock_ttl=60)
    ran: list[str] = []

    async def body(event: Any, skipped: Any) -> None:
        ran.append(event.text)

    turn = gate.run(FakeAdapter().message_event("hi"), body)
    with pytest.raises(StopIteration):
        turn.send(None)  # one step: lock taken, body run, lock given back
    assert ran == ["hi"]
    assert await store.acquire_lock("turn:C1:t1", ttl=1) is not None  # released


async def test_a_cancelled_turn_forgets_its_recorded_lock_owner() -> None:
    """With the durable inbox recording who holds a turn lock, a turn cancelled as it ends
    still releases the lock and drops the record (no false orphan for crash recovery)."""
    from botkit._turns import TurnGate
    from botkit.inbox import Replicas

    store = SlowReleaseStore()
    gate = TurnGate(lambda: store, "serial", lock_ttl=60)
    owners = gate.owners = Replicas(store, "me")

    async def body(event: Any, skipped: Any) -> None:
        assert [o.key for o in await owners.owned("turn:")] == ["turn:C1:t1"]

    turn = asyncio.create_task(gate.run(FakeAdapter().message_event("hi"), body))
    await store.releasing.wait()
    turn.cancel()
    await settle()
    store.answer.set()
    with pytest.raises(asyncio.CancelledError):
        await turn
    assert await owners.owned("turn:") == []
    assert await store.acquire_lock("turn:C1:t1", ttl=1) is not None


class SlowGrantStore(MemoryStore):
    """A store that grants a lock, then takes a while to say so (a SQLite write in a thread,
    a Redis round trip): the window in which a cancelled caller used to lose the token."""

    def __init__(self) -> None:
        super().__init__()
        self.granted, self.answer = asyncio.Event(), asyncio.Event()

    async def acquire_lock(self, key: str, *, ttl: float) -> str | None:
        token = await super().acquire_lock(key, ttl=ttl)
        self.granted.set()
        await self.answer.wait()
        return token


@pytest.mark.parametrize("policy", ["serial", "drop", "queue"])
async def test_a_turn_cancelled_as_the_store_grants_its_lock_gives_it_back(policy: str) -> None:
    """A web run cancelled just as it starts: the store has granted the turn lock but the
    turn never learns its token. The lock is released, so the conversation's next turn
    does not wait for the lock's TTL."""
    from botkit._turns import TurnGate

    store = SlowGrantStore()
    gate = TurnGate(lambda: store, policy, lock_ttl=60)
    ran: list[str] = []

    async def body(event: Any, skipped: Any) -> None:
        ran.append(event.text)

    turn = asyncio.create_task(gate.run(FakeAdapter().message_event("hi"), body))
    await store.granted.wait()
    assert await MemoryStore.acquire_lock(store, "turn:C1:t1", ttl=1) is None  # it is held
    turn.cancel()
    await settle()
    store.answer.set()
    with pytest.raises(asyncio.CancelledError):
        await turn
    assert ran == []
    assert await MemoryStore.acquire_lock(store, "turn:C1:t1", ttl=1) is not None


async def test_one_heartbeat_keeps_every_waiting_turn_locked() -> None:
    """Many turns held at once (people yet to answer) share one heartbeat task; each lock
    is extended, and the heartbeat ends with the last turn."""
    fake, store = FakeAdapter(), CountingStore(beats=3 * 5)
    bot = create_bot(adapters=[fake], store=store, lock_ttl=0.15)
    gate = asyncio.Event()

    @bot.on_mention
    async def wait(ctx: TurnContext) -> None:
        await gate.wait()

    def heartbeats() -> list[asyncio.Task[Any]]:
        return [t for t in asyncio.all_tasks()
                if getattr(t.get_coro(), "__qualname__", "") == "TurnGate._heartbeat"]
    async with running(bot), asyncio.timeout(10):
        turns = [bot.spawn(bot.dispatch(fake.message_event("long", conversation=f"C1:t{i}")))
                 for i in range(5)]
        await store.enough.wait()  # fifteen extends: three for each of the five locks
        for i in range(5):
            assert await store.acquire_lock(f"turn:C1:t{i}", ttl=60) is None
        beats = heartbeats()
        assert len(beats) == 1
        gate.set()
        await asyncio.gather(*turns)
        await asyncio.wait(beats)  # it ended with the last turn
        assert heartbeats() == []
    for i in range(5):
        assert await store.acquire_lock(f"turn:C1:t{i}", ttl=60) is not None


async def test_serial_turns_here_go_in_order_and_a_cancelled_waiter_leaves_the_line() -> None:
    """Turns of one conversation in this process wait in line (no lock object while a turn
    is alone); one cancelled while it waits leaves the line, the others keep their order,
    and nothing is left behind."""
    from botkit._turns import TurnGate

    store = MemoryStore()
    gate = TurnGate(lambda: store, "serial", lock_ttl=60)
    ran: list[str] = []
    release = {name: asyncio.Event() for name in ("first", "second", "third")}
    started = {name: asyncio.Event() for name in release}

    def body(name: str) -> Any:
        async def run(event: Any, skipped: Any) -> None:
            ran.append(name)
            started[name].set()
            await release[name].wait()
        return run

    fake = FakeAdapter()
    turns = {name: asyncio.create_task(gate.run(fake.message_event(name), body(name)))
             for name in release}
    await started["first"].wait()
    await settle()
    assert len(gate._locks["C1:t1"] or ()) == 2  # second and third wait in line
    turns["second"].cancel()
    with pytest.raises(asyncio.CancelledError):
        await turns["second"]
    release["first"].set()
    await started["third"].wait()
    release["third"].set()
    await asyncio.gather(turns["first"], turns["third"])
    assert ran == ["first", "third"]
    assert gate._locks == {}


async def test_a_lone_serial_turn_holds_no_lock_object() -> None:
    from botkit._turns import TurnGate

    store = MemoryStore()
    gate = TurnGate(lambda: store, "serial", lock_ttl=60)
    inside = asyncio.Event()
    go = asyncio.Event()

    async def body(event: Any, skipped: Any) -> None:
        inside.set()
        await go.wait()

    turn = asyncio.create_task(gate.run(FakeAdapter().message_event("hi"), body))
    await inside.wait()
    assert gate._locks == {"C1:t1": None}
    go.set()
    await turn
    assert gate._locks == {}
