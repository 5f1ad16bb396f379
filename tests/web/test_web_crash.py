"""A web run whose process is SIGKILLed mid-answer, with a real process and the real
``langgraph-sdk`` client, on one SQLite file and on one Redis: replica A streams part of
the answer and is killed; replica B (running, or started after the kill) takes the run
over, so the run a client followed and joined on B ends with exactly one answer, and the
thread is not left busy."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

from crash_app import ANSWER, crash_bot
from web_helpers import ALICE, alice_sdk, replica_here

from botkit_web import WebAdapter
from botkit_web.recovery import STOPPED

APP = Path(__file__).parent / "crash_app.py"
BOT = partial(crash_bot, word_delay=0.0)  # replica B answers at once
SLOW = "1.0"  # seconds between words on A: it is killed long before it finishes



@contextlib.asynccontextmanager
async def doomed_replica(url: str) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """Replica A in its own process (the test kills it); yields its URL and process."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, str(APP), url, SLOW, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, env={**os.environ})
    assert child.stdout is not None
    assert child.stdin is not None
    try:
        line = await asyncio.wait_for(child.stdout.readline(), 60)
        assert line.startswith(b"http"), f"replica A did not start: {line!r}"
        yield line.decode().strip(), child
    finally:
        if child.returncode is None:
            child.kill()
        await child.wait()



async def _start_and_kill(a_url: str, child: asyncio.subprocess.Process, tid: str,
                          watch_url: str) -> tuple[str, list[Any]]:
    """Start a slow run on A, follow it from ``watch_url`` until A streamed part of the
    answer, SIGKILL A. The run id and the follower's task."""
    async with alice_sdk(a_url) as on_a:
        run = await on_a.runs.create(tid, "crash", input={
            "messages": [{"role": "user", "content": "a slow question"}]})
    seen: list[Any] = []
    streaming = asyncio.Event()

    async def follow() -> None:
        async with alice_sdk(watch_url) as client:
            async for part in client.runs.join_stream(tid, run["run_id"],
                                                      stream_mode="ag-ui"):
                seen.append(part)
                if part.event == "ag-ui" and part.data["type"] == "TEXT_MESSAGE_CONTENT":
                    streaming.set()
    follower = asyncio.create_task(follow())
    await asyncio.wait_for(streaming.wait(), 60)
    child.kill()  # SIGKILL: nothing of A's shutdown runs
    await child.wait()
    await asyncio.wait_for(follower, 180)
    return run["run_id"], seen


async def _answered_once(b: WebAdapter, tid: str, rid: str) -> None:
    assert b.url is not None
    async with alice_sdk(b.url) as on_b:
        joined = await asyncio.wait_for(on_b.runs.join(tid, rid), 180)
        assert joined["messages"][-1]["content"] == ANSWER
        assert (await on_b.runs.get(tid, rid))["status"] == "success"
        said = [m.text for m in await b.messages.all(tid) if m.is_bot and not m.is_status]
        assert said == [ANSWER]
        asked = [m.text for m in await b.messages.all(tid) if not m.is_bot]
        assert asked == ["a slow question"]
        record = await b.bot.records.thread_record(tid)
        assert record is not None
        assert record["status"] == "idle"
        # the thread takes the next message as usual
        again = await asyncio.wait_for(on_b.runs.wait(tid, "crash", input={
            "messages": [{"role": "user", "content": "hi"}]}), 180)
        assert again["messages"][-1]["content"] == "Hello again."


def _check_stream(seen: list[Any]) -> None:
    assert seen[-1].event == "end"
    assert seen[-1].data["status"] == "success"
    numbered = [p for p in seen if p.event == "ag-ui"]
    assert [p.data["type"] for p in numbered].count("RUN_STARTED") == 1
    assert numbered[-1].data["type"] == "RUN_FINISHED"
    ids = [tuple(int(n) for n in p.id.split(".")) for p in numbered]  # "<event>.<part>"
    assert ids == sorted(set(ids))  # numbered on across the takeover, never reused
    texts = [p.data for p in numbered if p.data["type"] == "TEXT_MESSAGE_CONTENT"]
    cut = [t for t in texts if STOPPED in t["delta"]]
    assert len(cut) == 1  # A's half-written reply, cut off with the notice
    again = "".join(t["delta"] for t in texts if t["messageId"] != cut[0]["messageId"])
    assert again == ANSWER  # then the answer, whole, once


async def test_a_killed_replicas_run_is_answered_once_by_a_running_replica(
        shared_url: str) -> None:
    async with replica_here(shared_url, BOT) as b, doomed_replica(shared_url) as (a_url, child):
        assert b.url is not None
        tid = await b.create_thread("crash", user=ALICE)
        rid, seen = await _start_and_kill(a_url, child, tid, b.url)
        _check_stream(seen)
        await _answered_once(b, tid, rid)


async def test_a_killed_replicas_run_is_answered_by_a_replica_started_after(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'later.db'}"
    async with doomed_replica(url) as (a_url, child):
        async with replica_here(url, BOT) as watcher:  # only follows, then goes away first
            assert watcher.url is not None
            tid = await watcher.create_thread("later", user=ALICE)
            async with alice_sdk(a_url) as on_a:
                run = await on_a.runs.create(tid, "crash", input={
                    "messages": [{"role": "user", "content": "a slow question"}]})
            found = await watcher.engine.log.get(tid, run["run_id"])
            assert found is not None
            async for event in watcher.follow(found):  # until A streams part of its answer
                if type(event).__name__ == "TextMessageContentEvent":
                    break
        child.kill()
        await child.wait()
    async with replica_here(url, BOT) as b:  # started after A died: it looks when it starts
        await _answered_once(b, tid, run["run_id"])
