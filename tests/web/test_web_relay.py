"""The relay of run events through the store, and the mirrors that follow it: numbers kept
across processes (even when the stream dropped its oldest entries), bursts stored as one
entry, a store that fails does
not hold up the run, a mirror ends when the run's record says it ended, and a mirror nobody
follows stops reading."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import ag_ui.core as agui
from polling import until

from botkit.store import MemoryStore, StateStore, StreamId, Streams
from botkit_web.keys import feed_key
from botkit_web.relay import FeedRelay, Mirrors
from botkit_web.runs import Feeds, RunFeed, RunLog, WebRun


def _run(run_id: str = "r1") -> WebRun:
    return WebRun(run_id=run_id, thread_id="t", assistant_id="a", kind="message", user=None,
                  status="running")


def _text(i: int) -> agui.TextMessageContentEvent:
    return agui.TextMessageContentEvent(message_id="m", delta=f"part {i}")


async def _all(feed: RunFeed, after: int = 0) -> list[tuple[int, Any]]:
    got = []
    async with asyncio.timeout(20):
        async for item in feed.follow(after):
            if item is not None:
                got.append((item.number, item.event))
    return got


async def test_a_mirror_keeps_the_owners_numbers_even_after_a_trim() -> None:
    store = MemoryStore()
    run = _run()
    await RunLog(store).add(run)
    relay = FeedRelay(store, feed_key("t", "r1"), max_len=3)
    owner = RunFeed(run, relay)
    for i in range(5):
        await owner.publish(_text(i), visible_to="bob" if i == 4 else None)
        await relay.flush()  # one entry each
    await owner.close(run.moved("success"))  # the stream keeps the newest 3 entries
    mirrors = Mirrors(store, Feeds(), RunLog(store), block=0.05)
    mirror = await mirrors.feed(run)
    assert mirror is not None
    assert [(n, e.delta) for n, e in await _all(mirror)] == [(4, "part 3")]  # 5 is bob's
    assert [n for n, _ in await _all(mirror, after=3)] == [4]
    assert mirror.run.status == "success"
    bob = [i.number async for i in _numbers(mirror.follow(viewer="bob"))]
    assert bob == [4, 5]
    await mirrors.close()


async def _numbers(items: Any) -> Any:
    async for item in items:
        if item is not None:
            yield item


class LosesEnds(MemoryStore):
    """A store that cannot store a run's end entry."""

    async def stream_add(self, stream: str, data: Any, *, max_len: int | None = None
                         ) -> StreamId:
        if any("end" in item for item in data["items"]):
            raise ConnectionError("the store went away")
        return await super().stream_add(stream, data, max_len=max_len)


async def test_a_lost_end_neither_holds_up_the_run_nor_its_followers_elsewhere() -> None:
    store = LosesEnds()
    runs, run = RunLog(store), _run()
    await runs.add(run)
    relay = FeedRelay(store, feed_key("t", "r1"))
    owner = RunFeed(run, relay)
    await owner.publish(agui.RunStartedEvent(thread_id="t", run_id="r1"))
    mirrors = Mirrors(store, Feeds(), runs, block=0.05)
    mirror = await mirrors.feed(run)
    assert mirror is not None
    following = asyncio.create_task(_all(mirror))
    await owner.publish(_text(1))
    await relay.flush()
    await owner.close(run.moved("success"))  # the end is lost, the close returns
    assert owner.done
    await runs.save(run.moved("success"))
    got = await following
    assert [n for n, _ in got] == [1, 2]
    assert mirror.run.status == "success"
    await mirrors.close()


async def test_a_mirror_nobody_follows_stops_and_the_next_join_starts_another() -> None:
    store = MemoryStore()
    run = _run()
    await RunLog(store).add(run)
    feeds = Feeds()
    mirrors = Mirrors(store, feeds, RunLog(store), block=0.05, idle=0.0)
    first = await mirrors.feed(run)

    async def dropped() -> bool:
        return feeds.get(run.run_id) is None
    await until(dropped, "the idle mirror to stop")
    assert first is not None
    assert first.done
    again = await mirrors.feed(run)
    assert again is not None
    assert again is not first
    await mirrors.close()
    assert again.done


async def test_without_stored_events_a_finished_run_has_no_feed_elsewhere() -> None:
    store = MemoryStore()
    run = _run().moved("success")
    await RunLog(store).add(run)
    assert await Mirrors(store, Feeds(), RunLog(store)).feed(run) is None


async def test_a_burst_is_stored_as_one_entry_and_mirrored_in_order() -> None:
    store = MemoryStore()
    run = _run()
    await RunLog(store).add(run)
    owner = RunFeed(run, FeedRelay(store, feed_key("t", "r1")))
    for i in range(50):
        await owner.publish(_text(i))
    await owner.close(run.moved("success"))
    assert await store.stream_len(feed_key("t", "r1")) < 50
    mirrors = Mirrors(store, Feeds(), RunLog(store), block=0.05)
    mirror = await mirrors.feed(run)
    assert mirror is not None
    got = await _all(mirror)
    assert [(n, e.delta) for n, e in got] == [(i + 1, f"part {i}") for i in range(50)]
    await mirrors.close()


async def _first(feed: RunFeed) -> int:
    async with asyncio.timeout(20):
        async for item in feed.follow():
            if item is not None:
                return item.number
    raise AssertionError("the feed ended empty")


async def test_one_reader_takes_in_a_mirror_made_while_it_waits(
        make_store: Callable[[], StateStore]) -> None:
    here, there = make_store(), make_store()  # two connections: two processes' views
    runs = [_run("r1"), _run("r2")]
    for run in runs:
        await RunLog(there).add(run)
    assert isinstance(there, Streams)
    owners = [RunFeed(r, FeedRelay(there, feed_key("t", r.run_id))) for r in runs]
    mirrors = Mirrors(here, Feeds(), RunLog(here), block=60.0)  # a read waits up to 60 s
    first = await mirrors.feed(runs[0])
    assert first is not None
    await owners[0].publish(_text(0))
    assert await _first(first) == 1  # the reader has it, and waits again
    second = await mirrors.feed(runs[1])  # poked awake: no 60 s wait for this one
    assert second is not None
    await owners[1].publish(_text(1))
    assert await _first(second) == 1
    assert len(mirrors) == 2
    for owner, run in zip(owners, runs, strict=True):
        await owner.close(run.moved("success"))
    got = await asyncio.wait_for(asyncio.gather(_all(first), _all(second)), 20)
    assert [[n for n, _ in g] for g in got] == [[1], [1]]
    assert len(mirrors) == 0
    await mirrors.close()
