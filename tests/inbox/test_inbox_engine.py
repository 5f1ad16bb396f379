"""The durable inbox on all three stores: delivery, order, failures, stale events, recovery
from a dead consumer and graceful drain. Events here are small dicts (``encode``/``decode``
are the identity); the real pipeline passes the event codec."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from polling import until

from botkit.errors import UserError
from botkit.inbox import Apology, DrainSummary, Inbox, Replicas
from botkit.store import StateStore, Streams

Event = dict[str, Any]


class Recorder:
    """A handler that records what it handled; events with ``"wait": True`` block until
    ``release`` (or forever)."""

    def __init__(self) -> None:
        self.handled: list[Event] = []
        self.started: list[Event] = []
        self.apologies: list[tuple[Event, Apology]] = []
        self.gate = asyncio.Event()

    async def handle(self, event: Event) -> None:
        self.started.append(event)
        if event.get("wait"):
            await self.gate.wait()
        if event.get("boom"):
            raise RuntimeError("handler failed")
        self.handled.append(event)

    async def apologize(self, event: Event, apology: Apology) -> None:
        self.apologies.append((event, apology))


def make_inbox(store: StateStore, rec: Recorder, **options: Any) -> Inbox[Event]:
    options.setdefault("replicas", Replicas(store, ttl=1.0, beat_every=0.1))
    return Inbox(store, encode=dict, decode=dict, handle=rec.handle, apologize=rec.apologize,
                 heartbeat=0.1, poll=0.05, **options)


async def finish(inbox: Inbox[Event], deadline: float) -> DrainSummary:
    """Drain, then stop the heartbeat ``make_inbox`` started."""
    try:
        return await inbox.drain(deadline)
    finally:
        await inbox.replicas.stop()


async def backlog(store: StateStore) -> tuple[int, int]:
    assert isinstance(store, Streams)
    return (await store.stream_len("inbox"),
            len(await store.stream_pending("inbox", "dispatch")))


async def test_every_event_is_handled_once_in_order_per_conversation(
        make_store: Callable[[], StateStore]) -> None:
    store, rec = make_store(), Recorder()
    inbox = make_inbox(store, rec)
    await inbox.start()
    try:
        await inbox.append({"c": "slow", "n": 0, "wait": True}, conversation="slow")
        for n in range(1, 4):
            await inbox.append({"c": "slow", "n": n}, conversation="slow")
        for n in range(10):
            await inbox.append({"c": f"fast{n % 3}", "n": n}, conversation=f"fast{n % 3}")
        # the blocked conversation holds back only itself
        await until(lambda: len(rec.handled) == 10)
        assert all(e["c"] != "slow" for e in rec.handled)
        rec.gate.set()
        await until(lambda: len(rec.handled) == 14)
        for conv in ("slow", "fast0", "fast1", "fast2"):
            ns = [e["n"] for e in rec.handled if e["c"] == conv]
            assert ns == sorted(ns), f"{conv} handled out of order: {ns}"
        assert sorted(str(e) for e in rec.handled) == sorted({str(e) for e in rec.handled})
        await until(lambda: _empty(store))
        assert inbox.stats.handled == 14
    finally:
        summary = await finish(inbox, 1)
    assert summary.handed_over == 0


async def _empty(store: StateStore) -> bool:
    return await backlog(store) == (0, 0)


async def test_a_failing_handler_is_acknowledged_not_retried(
        make_store: Callable[[], StateStore]) -> None:
    store, rec = make_store(), Recorder()
    inbox = make_inbox(store, rec)
    await inbox.start()
    try:
        await inbox.append({"boom": True}, conversation="c")
        await inbox.append({"n": 2}, conversation="c")
        await until(lambda: rec.handled == [{"n": 2}])
        await until(lambda: _empty(store))
        assert rec.started == [{"boom": True}, {"n": 2}]
        assert inbox.stats.failed == 1
    finally:
        await finish(inbox, 1)


async def test_an_event_older_than_max_age_gets_an_apology(
        make_store: Callable[[], StateStore]) -> None:
    store, rec = make_store(), Recorder()
    inbox = make_inbox(store, rec, max_age=30)
    old = inbox._clock() - 45
    await inbox.append({"n": "old"}, conversation="c", received=old)
    await inbox.append({"n": "new"}, conversation="c")
    await inbox.start()
    try:
        await until(lambda: rec.handled == [{"n": "new"}])
        assert [(e, a.reason) for e, a in rec.apologies] == [({"n": "old"}, "too_old")]
        assert rec.apologies[0][1].age >= 45
        await until(lambda: _empty(store))
    finally:
        await finish(inbox, 1)


async def test_a_dead_consumers_events_are_taken_over_on_start(
        make_store: Callable[[], StateStore]) -> None:
    writer, reader = make_store(), make_store()
    assert isinstance(writer, Streams)
    rec = Recorder()
    inbox = make_inbox(reader, rec)
    for n in range(5):
        await inbox.append({"n": n}, conversation="c")
    # a process (no heartbeat: it is gone) had taken three of them when it died
    taken = await writer.stream_group_read("inbox", "dispatch", "gone-replica", count=3)
    assert len(taken) == 3
    await inbox.start()
    try:
        await until(lambda: len(rec.handled) == 5)
        assert [e["n"] for e in rec.handled] == [0, 1, 2, 3, 4]
        assert inbox.stats.claimed == 3
        await until(lambda: _empty(writer))
    finally:
        await finish(inbox, 1)


async def test_a_live_consumers_events_are_left_alone_until_its_heartbeat_stops(
        make_store: Callable[[], StateStore]) -> None:
    other_store, store = make_store(), make_store()
    assert isinstance(other_store, Streams)
    other = Replicas(other_store, ttl=0.5, beat_every=0.1)
    await other.start()
    rec = Recorder()
    inbox = make_inbox(store, rec)
    await inbox.append({"n": 1}, conversation="c")
    await other_store.stream_group_read("inbox", "dispatch", other.replica)
    await inbox.start()
    try:
        await inbox.append({"n": 2}, conversation="d")
        await until(lambda: rec.handled == [{"n": 2}])
        assert [p.consumer for p in await other_store.stream_pending("inbox", "dispatch")] \
            == [other.replica]
        await other.stop(forget=False)  # killed: the heartbeat expires on its own
        await until(lambda: len(rec.handled) == 2)
        assert rec.handled[1] == {"n": 1}
    finally:
        await finish(inbox, 1)


async def test_an_event_that_keeps_killing_its_process_gets_an_apology(
        make_store: Callable[[], StateStore]) -> None:
    store, rec = make_store(), Recorder()
    assert isinstance(store, Streams)
    inbox = make_inbox(store, rec, max_deliveries=2)
    await inbox.append({"n": "poison"}, conversation="c")
    await store.stream_group_read("inbox", "dispatch", "dead-1")
    for dead in ("dead-2", "dead-3"):  # two more processes took it and died
        assert len(await store.stream_claim("inbox", "dispatch", dead, min_idle=0)) == 1
    await inbox.start()
    try:
        await until(lambda: len(rec.apologies) == 1)
        event, apology = rec.apologies[0]
        assert (event, apology.reason, apology.deliveries) == ({"n": "poison"}, "gave_up", 4)
        assert rec.started == []
    finally:
        await finish(inbox, 1)


async def test_drain_finishes_running_turns_and_hands_the_rest_over(
        make_store: Callable[[], StateStore]) -> None:
    first_store, second_store = make_store(), make_store()
    rec = Recorder()
    first = make_inbox(first_store, rec)
    await first.start()
    await first.append({"n": "running", "wait": True}, conversation="a")
    await first.append({"n": "queued"}, conversation="a")
    await until(lambda: len(rec.started) == 1 and first.stats.held == 2)
    draining = asyncio.ensure_future(finish(first, 10))
    await asyncio.sleep(0)  # let the drain begin; "after" may land on either side (see below)
    await first.append({"n": "after"}, conversation="b")  # acked by ingress, not taken here
    rec.gate.set()
    summary = await draining
    # "queued" is handed over; so is "after" if the reader took it before it stopped
    assert (summary.finished, summary.cut) == (1, 0)
    assert summary.handed_over in (1, 2)
    assert str(summary) == f"finished 1, handed over {summary.handed_over}, closed 0 streams"
    assert rec.handled == [{"n": "running", "wait": True}]

    rec2 = Recorder()
    second = make_inbox(second_store, rec2)
    await second.start()
    try:
        await until(lambda: len(rec2.handled) == 2)
        assert sorted(e["n"] for e in rec2.handled) == ["after", "queued"]
        await until(lambda: _empty(second_store))
    finally:
        await finish(second, 1)


async def test_drain_cuts_a_turn_at_the_deadline_and_it_runs_again_elsewhere(
        make_store: Callable[[], StateStore]) -> None:
    first_store, second_store = make_store(), make_store()
    rec = Recorder()
    first = make_inbox(first_store, rec)
    await first.start()
    await first.append({"n": "long", "wait": True}, conversation="a")
    await until(lambda: len(rec.started) == 1)
    summary = await finish(first, 0.1)
    assert (summary.finished, summary.handed_over, summary.cut) == (0, 1, 1)
    rec2 = Recorder()
    rec2.gate.set()
    second = make_inbox(second_store, rec2)
    await second.start()
    try:
        await until(lambda: rec2.handled == [{"n": "long", "wait": True}])
    finally:
        await finish(second, 1)


def test_the_inbox_needs_a_store_with_streams() -> None:
    class Plain:
        pass
    with pytest.raises(UserError, match="no stream facet"):
        Inbox(Plain(), encode=dict, decode=dict, handle=Recorder().handle)  # type: ignore[arg-type]
