"""SQLiteStore: it survives a restart, is shared by processes, and uses WAL."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

from botkit import SQLiteStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_everything_survives_closing_and_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "state.db"
    clock = Clock()
    store = SQLiteStore(path, clock=clock)
    await store.set("kv", {"a": [1, 2]})
    await store.set("short", 1, ttl=10)
    await store.list_append("list", "x")
    await store.list_append("list", "y")
    await store.incr("count", 3)
    token = await store.acquire_lock("lock", ttl=60)
    assert token
    assert await store.seen("evt:1", ttl=60) is False
    await store.close()
    await store.close()  # twice is fine

    clock.now += 11  # a restart, later: the wall clock moved on
    again = SQLiteStore(path, clock=clock)
    try:
        assert await again.get("kv") == {"a": [1, 2]}
        assert await again.get("short") is None
        assert await again.list_range("list") == ["x", "y"]
        assert await again.incr("count") == 4
        assert await again.acquire_lock("lock", ttl=60) is None  # still held
        assert await again.release_lock("lock", token) is True
        assert await again.seen("evt:1", ttl=60) is True  # dedup holds across restarts
    finally:
        await again.close()


async def test_a_closed_store_reopens_on_next_use(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    await store.set("k", 1)
    await store.close()
    assert await store.get("k") == 1
    await store.close()


async def test_two_stores_on_one_file_see_each_other(tmp_path: Path) -> None:
    one, two = SQLiteStore(tmp_path / "s.db"), SQLiteStore(tmp_path / "s.db")
    try:
        await one.set("k", "from one")
        assert await two.get("k") == "from one"
        token = await two.acquire_lock("lock", ttl=60)
        assert token
        assert await one.acquire_lock("lock", ttl=60) is None
        results = await asyncio.gather(*(s.incr("n") for s in (one, two) for _ in range(20)))
        assert sorted(results) == list(range(1, 41))
    finally:
        await one.close()
        await two.close()
    with sqlite3.connect(tmp_path / "s.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


COUNTER = """
import asyncio, sys
from botkit import SQLiteStore

async def main() -> None:
    store = SQLiteStore(sys.argv[1])
    for _ in range(50):
        await store.incr("n")
        await store.list_append("log", "child")
    await store.close()

asyncio.run(main())
"""


async def test_another_process_shares_the_counters_atomically(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    store = SQLiteStore(path)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", COUNTER, str(path), stderr=subprocess.PIPE)
    try:
        for _ in range(50):
            await store.incr("n")
            await store.list_append("log", "parent")
        _, err = await child.communicate()
        assert child.returncode == 0, err.decode()
        assert await store.get("n") == 100
        log = await store.list_range("log")
        assert (log.count("parent"), log.count("child")) == (50, 50)
    finally:
        await store.close()
