"""State and records stay consistent under concurrency and failure: concurrent state
writes on every store, deletes during runs, overlapping runs, resumes after a state write,
half-made threads, independent copies, seeded supersteps, interrupts and versions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from threads_helpers import KeepingAdapter, gated_parallel_bot, make_bot

from botkit.store import MemoryStore, RedisStore, SQLiteStore, StateStore
from botkit.testing import CallTool, FakeAdapter, Rule, Say, ScriptedAgent, running
from botkit.threads import (
    PreconditionFailed,
    ThreadBusy,
    ThreadNotFound,
    Threads,
    ThreadsAPIConfig,
)
from botkit.threads.checkpoints import state_etag
from botkit.types import Conversation, PlatformUser, ThreadMessage

WRITERS = 8


@pytest.fixture(params=["memory", "sqlite", "redis"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], StateStore]:
    if request.param == "memory":
        shared = MemoryStore()
        return lambda: shared
    if request.param == "sqlite":
        return lambda: SQLiteStore(tmp_path / "state.db")
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    return lambda: RedisStore(url, prefix=prefix)


@pytest.fixture
async def two(make_store: Callable[[], StateStore]) -> AsyncIterator[tuple[Threads, Threads]]:
    """Two ``Threads`` on one store, through separate connections (two processes)."""
    stores = [make_store(), make_store()]
    yield Threads(stores[0]), Threads(stores[1])
    for store in dict.fromkeys(stores):
        await store.close()


async def test_concurrent_state_writes_lose_nothing_and_one_if_match_wins(
    two: tuple[Threads, Threads]
) -> None:
    a, b = two
    await a.create("t1", values={"start": True})
    writers = [(a, b)[i % 2] for i in range(WRITERS)]
    await asyncio.gather(*(w.update_state("t1", {f"k{i}": i})
                           for i, w in enumerate(writers)))
    values = await b.get_state("t1")
    assert values == {"start": True, **{f"k{i}": i for i in range(WRITERS)}}
    steps = [c.step for c in await a.history("t1", limit=100)]
    assert steps == list(range(WRITERS, -1, -1))  # one checkpoint per write, a chain

    base = state_etag((await a.head("t1")).checkpoint_id)  # type: ignore[union-attr]
    results = await asyncio.gather(*(w.update_state("t1", {"winner": i}, if_match=base)
                                     for i, w in enumerate(writers)),
                                   return_exceptions=True)
    won = [r for r in results if not isinstance(r, BaseException)]
    assert len(won) == 1
    assert all(isinstance(r, PreconditionFailed) for r in results if r not in won)
    assert (await b.get_state("t1"))["winner"] == won[0].values["winner"]


async def _slow_bot(fake: FakeAdapter, **kwargs: Any) -> tuple[Any, asyncio.Event,
                                                               asyncio.Event]:
    release, started = asyncio.Event(), asyncio.Event()
    bot = make_bot(fake, **kwargs)

    @bot.tool
    async def wait_here() -> str:
        """Wait."""
        started.set()
        await release.wait()
        return "ok"
    bot.agent.rules.insert(0, Rule("slow", CallTool("wait_here", {}),  # type: ignore[union-attr]
                                   Say("done")))
    return bot, release, started


async def test_a_thread_is_not_deleted_while_busy_nor_brought_back_by_its_run() -> None:
    fake = FakeAdapter()
    bot, release, started = await _slow_bot(fake)
    async with running(bot):
        run = asyncio.create_task(fake.emit_mention("slow please"))
        async with asyncio.timeout(5):
            await started.wait()
        with pytest.raises(ThreadBusy):
            await bot.threads.delete("C1:t1")
        # another process deleted it anyway (a race the busy check cannot close)
        for key in ("thread:C1:t1", "state:C1:t1", "ckpt:C1:t1", "runs:C1:t1"):
            await bot.store.delete(key)
        release.set()
        await run
    with pytest.raises(ThreadNotFound):
        await bot.threads.get("C1:t1")
    assert await bot.store.list_len("runs:C1:t1") == 0
    assert await bot.store.list_len("ckpt:C1:t1") == 0


async def test_the_thread_stays_busy_until_its_last_overlapping_run_ends() -> None:
    fake, bot, gates, started, progress = gated_parallel_bot()
    async with running(bot), asyncio.timeout(5):
        older = bot.spawn(bot.dispatch(fake.message_event("older")))
        while not started:
            progress.clear()
            await progress.wait()
        newer = bot.spawn(bot.dispatch(fake.message_event("newer")))
        while len(started) < 2:
            progress.clear()
            await progress.wait()
        gates["newer"].set()
        await newer
        record = await bot.threads.get("C1:t1")
        assert (record.status, record.live_runs) == ("busy", (record.current_run,))
        with pytest.raises(ThreadBusy):
            await bot.threads.update_state("C1:t1", {"x": 1})
        gates["older"].set()
        await older
    record = await bot.threads.get("C1:t1")
    assert (record.status, record.live_runs, record.run_count) == ("idle", (), 2)


async def test_a_resume_starts_from_the_state_written_while_it_waited() -> None:
    fake = FakeAdapter()
    bot = make_bot(fake)
    agent: ScriptedAgent = bot.agent  # type: ignore[assignment]
    async with running(bot):
        await fake.emit_mention("deploy please")
        assert (await bot.threads.get("C1:t1")).status == "interrupted"
        await bot.threads.update_state("C1:t1", {"approver": "ops"})  # accepted: not busy
        await fake.click("Yes")
    assert agent.inputs[-1].state["approver"] == "ops"
    assert (await bot.threads.get_state("C1:t1"))["approver"] == "ops"


class FailingKeeper(KeepingAdapter):
    async def add_message(self, conversation: Conversation, text: str, *, role: str,
                          user: PlatformUser | None) -> ThreadMessage:
        if text == "boom":
            raise RuntimeError("the message store is down")
        return await super().add_message(conversation, text, role=role, user=user)


async def test_a_thread_that_fails_halfway_is_not_left_half_made() -> None:
    keeper = FailingKeeper(platform="web")
    bot = make_bot(keeper)
    async with running(bot):
        with pytest.raises(RuntimeError, match="down"):
            await bot.threads.create("w1", values={"a": 1}, messages=[
                {"text": "first", "role": "user"}, {"text": "boom", "role": "user"}])
        assert await bot.threads.count() == 0
        assert keeper.history.get("w1", []) == []
        for key in ("state:w1", "ckpt:w1"):
            assert await bot.store.get(key) is None
            assert await bot.store.list_len(key) == 0
        made = await bot.threads.create("w1", messages=[{"text": "again", "role": "user"}])
        assert made.id == "w1"


async def test_a_copy_has_its_own_conversation_and_messages() -> None:
    keeper = KeepingAdapter(platform="web")
    bot = make_bot(keeper)
    async with running(bot):
        await bot.threads.create("w1", messages=[{"text": "hello", "role": "user"},
                                                 {"text": "hi!", "role": "assistant"}])
        copy = await bot.threads.copy("w1", "w2")
        assert (copy.channel, copy.conversation["id"]) == ("w2", "w2")
        assert [(m.text, m.is_bot) for m in await bot.threads.messages("w2")] == [
            ("hello", False), ("hi!", True)]
        await bot.threads.add_message("w2", "only in the copy", role="user")
        first = (await bot.threads.messages("w1")).messages[0]
        await bot.threads.delete_message("w2", (await bot.threads.messages("w2")).messages[0].id)
        assert [m.text for m in await bot.threads.messages("w1")] == ["hello", "hi!"]
        assert [m.text for m in await bot.threads.messages("w2")] == ["hi!", "only in the copy"]
        assert first.text == "hello"


@pytest.fixture
async def served() -> AsyncIterator[tuple[Any, FakeAdapter, httpx.AsyncClient]]:
    fake = FakeAdapter()
    bot = make_bot(fake, threads_api=ThreadsAPIConfig(port=0))
    async with running(bot), httpx.AsyncClient(base_url=str(bot.threads_api_url),
                                                timeout=10) as client:
        yield bot, fake, client


async def test_seeded_supersteps_keep_every_message_one_checkpoint_each(
    served: tuple[Any, FakeAdapter, httpx.AsyncClient]
) -> None:
    _bot, _fake, client = served
    made = await client.post("/threads", json={"thread_id": "s1", "supersteps": [
        {"updates": [{"values": {"messages": [{"role": "user", "content": "hi"}]},
                      "as_node": "__input__"}]},
        {"updates": [{"values": {"messages": [{"role": "ai", "content": "hello"}],
                                 "mood": "ok"}, "as_node": "agent"}]}]})
    assert made.json()["values"] == {"messages": [{"role": "user", "content": "hi"},
                                                  {"role": "ai", "content": "hello"}],
                                     "mood": "ok"}
    history = (await client.get("/threads/s1/history")).json()
    assert [h["metadata"].get("as_node") for h in history] == ["agent", "__input__"]
    assert [len(h["values"]["messages"]) for h in history] == [2, 1]


async def test_an_interrupt_reads_like_langgraphs(
    served: tuple[Any, FakeAdapter, httpx.AsyncClient]
) -> None:
    _bot, fake, client = served
    await fake.emit_mention("deploy please")
    thread = (await client.get("/threads/C1%3At1")).json()
    ((interrupt_id, interrupts),) = thread["interrupts"].items()
    assert interrupts == [{"value": {"question": "Deploy?"}, "id": interrupt_id}]
    assert interrupt_id.startswith("int_")
    state = (await client.get("/threads/C1%3At1/state")).json()
    assert state["next"] == ["agent"]
    assert state["interrupts"] == interrupts
    (task,) = state["tasks"]
    assert (task["name"], task["interrupts"]) == ("agent", interrupts)
    older = (await client.get("/threads/C1%3At1/history")).json()[1]
    assert (older["next"], older["tasks"], older["interrupts"]) == ([], [], [])
    await fake.click("Yes")
    done = (await client.get("/threads/C1%3At1/state")).json()
    assert (done["next"], done["tasks"], done["interrupts"]) == ([], [], [])
    assert (await client.get("/threads/C1%3At1")).json()["interrupts"] == {}


async def test_a_thread_etag_covers_its_values(
    served: tuple[Any, FakeAdapter, httpx.AsyncClient]
) -> None:
    bot, _fake, client = served
    got = await client.post("/threads", json={"thread_id": "e1"})
    etag = got.headers["ETag"]
    assert (await client.get("/threads/e1")).headers["ETag"] == etag  # one version, one tag
    await bot.threads.write_state("e1", {"changed": True})  # a handler's write
    stale = await client.patch("/threads/e1", json={"title": "x"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    fresh = (await client.get("/threads/e1")).headers["ETag"]
    patched = await client.patch("/threads/e1", json={"title": "x"}, headers={"If-Match": fresh})
    assert patched.status_code == 200
    again = await client.patch("/threads/e1", json={"title": "y"},
                               headers={"If-Match": patched.headers["ETag"]})
    assert again.status_code == 200
    assert (await client.delete("/threads/e1", headers={"If-Match": fresh})).status_code == 412
