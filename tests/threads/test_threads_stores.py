"""Threads, checkpoints and conflicts on every store, with two ``Threads`` sharing one store
as two processes would."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import pytest

from botkit.store import MemoryStore, RedisStore, SQLiteStore, StateStore
from botkit.threads import PreconditionFailed, ThreadBusy, ThreadConflict, Threads
from botkit.threads.checkpoints import state_etag


@pytest.fixture(params=["memory", "sqlite", "redis"])
def make_stores(request: pytest.FixtureRequest, tmp_path: Path
                ) -> Callable[[], list[StateStore]]:
    if request.param == "memory":
        return lambda: [MemoryStore()] * 2
    if request.param == "sqlite":
        return lambda: [SQLiteStore(tmp_path / "state.db") for _ in range(2)]
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    return lambda: [RedisStore(url, prefix=prefix) for _ in range(2)]


@pytest.fixture
async def two(make_stores: Callable[[], list[StateStore]]
              ) -> AsyncIterator[tuple[Threads, Threads]]:
    stores = make_stores()
    yield Threads(stores[0]), Threads(stores[1])
    for store in dict.fromkeys(stores):
        await store.close()


async def test_threads_and_checkpoints_are_shared_through_the_store(
    two: tuple[Threads, Threads]
) -> None:
    a, b = two
    made = await a.create("t1", metadata={"team": "it"}, values={"step": 0}, user_id="U1")
    assert (await b.get("t1")) == made
    with pytest.raises(ThreadConflict):
        await b.create("t1")
    assert (await b.create("t1", if_exists="do_nothing")).metadata == {"team": "it"}
    first = await b.state("t1")
    assert (first.values, first.source) == ({"step": 0}, "input")
    second = await a.update_state("t1", {"step": 1}, if_match=state_etag(first.checkpoint_id))
    with pytest.raises(PreconditionFailed):
        await b.update_state("t1", {"step": 2}, if_match=state_etag(first.checkpoint_id))
    assert [c.checkpoint_id for c in await b.history("t1")] == [
        second.checkpoint_id, first.checkpoint_id]
    assert second.step > first.step

    await a.mutate("t1", lambda old: old and replace(old, status="busy", current_run="r1",
                                                     live_runs=("r1",)))
    with pytest.raises(ThreadBusy):
        await b.update_state("t1", {"step": 3})
    inside = await a.write_state("t1", {"step": 3})  # the run itself writes
    assert (inside.source, inside.run_id) == ("loop", "r1")
    await a.mutate("t1", lambda old: old and replace(old, status="idle", current_run=None,
                                                     live_runs=()))

    copied = await b.copy("t1", "t2")
    assert (await a.get_state("t2")) == {"step": 3}
    assert len(await a.history("t2")) == 3
    assert copied.user_id == "U1"
    assert await b.count(user_id="U1") == 2
    assert await b.count(values={"step": 3}, ids=["t1", "t2", "nope"]) == 2
    await a.delete("t1")
    assert await b.count() == 1
    assert await b.store.list_len("ckpt:t1") == 0
