"""SQLiteStore's ack path: the dedup-and-append a platform waits for runs before the ordinary
calls queued on the store's one worker thread (under load there are hundreds), appends made
together are committed together, and an append answered survives the process being
killed."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from botkit import SQLiteStore
from botkit.store.sqlite_worker import Worker


def test_the_worker_runs_urgent_calls_before_the_queued_ordinary_ones() -> None:
    worker = Worker("test-worker")
    busy, done = threading.Event(), []
    try:
        first = worker.submit(busy.wait)  # holds the thread while the rest queues up
        ordinary = [worker.submit(lambda n=n: done.append(f"ordinary {n}")) for n in range(3)]
        urgent = [worker.submit(lambda n=n: done.append(f"urgent {n}"), urgent=True)
                  for n in range(2)]
        busy.set()
        for future in [first, *ordinary, *urgent]:
            future.result(timeout=10)
    finally:
        worker.shutdown()
    assert done == ["urgent 0", "urgent 1", "ordinary 0", "ordinary 1", "ordinary 2"]


def test_a_failing_call_fails_its_future_and_the_worker_goes_on() -> None:
    worker = Worker("test-worker")
    try:
        failed = worker.submit(lambda: 1 / 0, urgent=True)
        fine = worker.submit(lambda: "still here")
        assert fine.result(timeout=10) == "still here"
        assert isinstance(failed.exception(timeout=10), ZeroDivisionError)
    finally:
        worker.shutdown()


async def test_the_ack_path_append_overtakes_queued_writes(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    await store.set("warm", 1)
    busy = threading.Event()
    finished: list[str] = []

    def hold(conn: sqlite3.Connection, now: float) -> None:
        busy.wait(10)

    async def note(name: str, work: asyncio.Future[object] | asyncio.Task[object]) -> None:
        await work
        finished.append(name)
    try:
        holding = asyncio.ensure_future(store._run(hold))
        writes = [asyncio.ensure_future(note(f"set {n}", asyncio.ensure_future(
            store.set(f"k{n}", n)))) for n in range(50)]
        await asyncio.sleep(0)  # every set is queued behind the held thread
        append = asyncio.ensure_future(note("append", asyncio.ensure_future(
            store.stream_add_once("inbox", {"e": 1}, seen_key="seen:e1", ttl=60))))
        await asyncio.sleep(0)
        busy.set()
        await asyncio.gather(holding, append, *writes)
        assert finished[0] == "append"
        assert len(finished) == 51
        assert [e.data for e in await store.stream_read("inbox")] == [{"e": 1}]
        assert await store.get_many([f"k{n}" for n in range(50)]) == list(range(50))
    finally:
        busy.set()
        await store.close()


async def test_appends_made_together_are_committed_together(tmp_path: Path) -> None:
    """Group commit: appends queued while the store's thread is busy go in one transaction,
    each with its own id (in the order they came) and its own dedup mark, a key seen twice
    in a batch stored once; the batch is answered on the caller's loop with one wake-up."""
    store = SQLiteStore(tmp_path / "state.db")
    transactions: list[str] = []
    try:
        await store.stream_add_once("warm", 1, seen_key="seen:warm", ttl=60)
        conn = store._acks._conn
        assert conn is not None
        conn.set_trace_callback(transactions.append)
        busy = threading.Event()
        holding = asyncio.ensure_future(store._run(lambda conn, now: busy.wait(10)))
        adds = [asyncio.ensure_future(store.stream_add_once(
            "inbox", {"n": n}, seen_key=f"seen:{n % 20}", ttl=60)) for n in range(30)]
        await asyncio.sleep(0)  # all 30 queued while the worker thread is held
        loop = asyncio.get_running_loop()
        wakeups: list[object] = []
        threadsafe = loop.call_soon_threadsafe

        def counted(callback: Any, *args: Any) -> Any:
            wakeups.append(callback)
            return threadsafe(callback, *args)
        loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
        try:
            busy.set()
            ids = await asyncio.gather(*adds)
            await holding
        finally:
            del loop.call_soon_threadsafe
        assert transactions.count("COMMIT") == 1, transactions
        assert len(wakeups) <= 2, wakeups  # the 30 answers at once (and the worker's own)
        stored = [i for i in ids if i is not None]
        assert stored == sorted(stored)
        assert len(stored) == 20
        assert ids[20:] == [None] * 10  # the same keys again: duplicates
        entries = await store.stream_read("inbox")
        assert [(e.id, e.data) for e in entries] == [(stored[n], {"n": n}) for n in range(20)]
    finally:
        await store.close()


def test_an_append_answered_survives_a_crash_right_after(tmp_path: Path) -> None:
    """The process dies (no close, no checkpoint) right after the append was answered, as
    a lane that acked and was killed: the next process finds the entry, and the resend of
    the same delivery is a duplicate."""
    path = tmp_path / "state.db"
    script = (
        "import os, sys\n"
        "from botkit import SQLiteStore\n"
        f"store = SQLiteStore({str(path)!r})\n"
        "entry = store.add_once_from_any_thread('inbox', {'e': 1}, seen_key='seen:e1', "
        "ttl=60).result(timeout=30)\n"
        "print(entry.ms, flush=True)\n"
        "os._exit(0)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True)
    answered = int(done.stdout.strip())

    async def reopen() -> None:
        store = SQLiteStore(path)
        try:
            assert [(e.id.ms, e.data) for e in await store.stream_read("inbox")] == [
                (answered, {"e": 1})]
            again = await store.stream_add_once("inbox", {"e": 1}, seen_key="seen:e1",
                                                 ttl=60)
            assert again is None, "the resend after the restart is a duplicate"
        finally:
            await store.close()
    asyncio.run(reopen())


async def test_acks_are_synced_to_disk_unless_asked_not_to(tmp_path: Path) -> None:
    """The ack path's connection commits with ``synchronous=FULL`` (an answered append
    survives a power loss), the store's other writes with ``NORMAL``; ``durable_acks=False``
    puts the ack path on ``NORMAL`` too."""
    for durable, level in ((True, 2), (False, 1)):
        store = SQLiteStore(tmp_path / f"{durable}.db", durable_acks=durable)
        try:
            await store.stream_add_once("inbox", 1, seen_key="seen:1", ttl=60)
            conn = store._acks._conn
            assert conn is not None
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == level
            assert await store._run(lambda c, now: c.execute("PRAGMA synchronous").fetchone()[0]
                                    ) == 1
        finally:
            await store.close()
