"""``SQLiteStore``: the embedded durable store for one machine (stdlib ``sqlite3``).

One file holds everything; it survives restarts and may be shared by several processes on
the same machine (WAL journal, ``BEGIN IMMEDIATE`` around every read-modify-write). Calls run
on one dedicated worker thread, so the event loop never blocks on disk; the ack path's
dedup-and-append (``stream_add_once``) goes ahead of the ordinary calls queued there
(``sqlite_worker``), the appends queued meanwhile committed together and synced
(``sqlite_ack``). Expiry uses the wall clock (``time.time``), which keeps meaning
across restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from botkit.store.base import canonical_json, slice_bounds
from botkit.store.sqlite_ack import AckWriter
from botkit.store.sqlite_streams import STREAM_SCHEMA, STREAM_TABLES, SQLiteStreams
from botkit.store.sqlite_worker import Worker
from botkit.store.streams import StreamId

__all__ = ["SQLiteStore"]

T = TypeVar("T")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lists (key TEXT PRIMARY KEY, expires REAL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS list_items (id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS list_items_by_key ON list_items (key, id);
"""
_UPSERT = ("INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) ON CONFLICT (key) "
           "DO UPDATE SET value = excluded.value, expires = excluded.expires")
_PURGE_EVERY = 500
_CHECKPOINT_EVERY = 300  # write transactions between checkpoints (SQLite's: 1,000 pages)


class SQLiteStore(SQLiteStreams):
    """A ``StateStore`` in a SQLite file (created, with its folder, on first use).

    ``durable_acks``: an append made for the ack path (``stream_add_once``) is synced to
    disk before it is answered (``synchronous=FULL``), so an acknowledged event survives a
    power loss; with False (``NORMAL``) it survives the process being killed, not the
    machine going down (the last commits before that may be lost). Other writes are
    ``NORMAL`` either way."""

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time,
                 busy_timeout: float = 10.0, durable_acks: bool = True) -> None:
        self.path = Path(path)
        self._clock = clock
        self._busy_timeout = busy_timeout
        self._executor: Worker | None = None
        self._conn: sqlite3.Connection | None = None
        self._writes = 0
        self._acks = AckWriter(self._open, clock, self._schedule_acks,
                               durable=durable_acks, committed=self._committed,
                               added=self._notify_from_any_thread)
        self._commits = 0  # write transactions since the WAL's last checkpoint

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    # -- plumbing ----------------------------------------------------------------------
    async def _run(self, fn: Callable[[sqlite3.Connection, float], T], *,
                   urgent: bool = False) -> T:
        """``fn(connection, now)`` on the worker thread (``urgent``: before queued calls)."""
        return await asyncio.wrap_future(self._submit(fn, urgent=urgent))

    def _submit(self, fn: Callable[[sqlite3.Connection, float], T], *,
                urgent: bool = False) -> Future[T]:
        """``_run`` from any thread: the result (or error) comes in the future."""
        if self._executor is None:
            self._executor = Worker("botkit-sqlite")
        return self._executor.submit(lambda: self._call(fn), urgent=urgent)

    def _call(self, fn: Callable[[sqlite3.Connection, float], T]) -> T:
        if self._conn is None:
            self._conn = self._connect()
        return fn(self._conn, self._clock())

    def _connect(self) -> sqlite3.Connection:
        conn = self._open()
        self._purge(conn, self._clock())
        return conn

    def _open(self) -> sqlite3.Connection:
        """A connection to the file (the worker's, and the ack path's: ``sqlite_ack``)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")  # ``_committed`` queues the checkpoints
        conn.executescript(_SCHEMA + STREAM_SCHEMA)
        return conn

    def _schedule_acks(self, write: Callable[[], None]) -> None:
        """The ack path's write runs on the worker thread, ahead of the queued calls."""
        self._submit(lambda conn, now: write(), urgent=True)

    def _committed(self) -> None:
        """Count a write transaction (on the worker thread); every ``_CHECKPOINT_EVERY`` a
        checkpoint of the WAL is queued there as an ordinary call. SQLite's own
        (``wal_autocheckpoint``) runs inside the commit that crossed its threshold, which
        could be an ack's; queued, the acks go before it. On the worker thread no other
        write of this process runs meanwhile, so it backfills the whole WAL, which then
        starts over instead of growing."""
        self._commits += 1
        if self._commits == _CHECKPOINT_EVERY:
            self._submit(self._checkpoint)

    def _checkpoint(self, conn: sqlite3.Connection, now: float) -> None:
        self._commits = 0
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")  # other processes' writers go on

    def _purge(self, conn: sqlite3.Connection, now: float) -> None:
        with _tx(conn):
            conn.execute("DELETE FROM kv WHERE expires <= ?", (now,))
            conn.execute("DELETE FROM list_items WHERE key IN "
                         "(SELECT key FROM lists WHERE expires <= ?)", (now,))
            conn.execute("DELETE FROM lists WHERE expires <= ?", (now,))

    async def _write(self, fn: Callable[[sqlite3.Connection, float], T], *,
                     urgent: bool = False) -> T:
        def wrapped(conn: sqlite3.Connection, now: float) -> T:
            if not urgent:  # the purge never delays the ack path
                self._writes += 1
                if self._writes % _PURGE_EVERY == 0:
                    self._purge(conn, now)
            with _tx(conn):
                result = fn(conn, now)
            self._committed()
            return result
        return await self._run(wrapped, urgent=urgent)

    async def close(self) -> None:
        # The connection is closed on the store's one worker thread, queued after the work
        # already submitted, and the executor is dropped only afterwards: work that arrives
        # meanwhile still runs on that same thread (reopening the file), never on a second
        # thread that would share the connection while it is being closed.
        executor = self._executor
        if executor is None:
            return

        def shut() -> None:
            self._acks.close()
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        await asyncio.wrap_future(executor.submit(shut))
        if self._executor is executor:
            self._executor = None
        executor.shutdown()
        if self._conn is not None and self._executor is None:  # reopened by late work
            self._acks.close()
            self._conn.close()
            self._conn = None


    # -- values ------------------------------------------------------------------------
    async def get(self, key: str) -> Any | None:
        return (await self.get_many([key]))[0]

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        wanted = list(keys)

        def read(conn: sqlite3.Connection, now: float) -> list[Any | None]:
            found: dict[str, str] = {}
            for i in range(0, len(wanted), 500):
                chunk = wanted[i:i + 500]
                marks = ",".join("?" * len(chunk))
                found.update(conn.execute(
                    f"SELECT key, value FROM kv WHERE key IN ({marks}) "
                    "AND (expires IS NULL OR expires > ?)", (*chunk, now)).fetchall())
            return [json.loads(found[k]) if k in found else None for k in wanted]
        return await self._run(read)

    async def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        text = canonical_json(value)
        await self._write(lambda c, now: c.execute(_UPSERT, (key, text, _exp(now, ttl))))

    async def delete(self, key: str) -> None:
        def drop(conn: sqlite3.Connection, now: float) -> None:
            for table in ("kv", "lists", "list_items"):
                conn.execute(f"DELETE FROM {table} WHERE key = ?", (key,))
            for table in STREAM_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE stream = ?", (key,))
        await self._write(drop)

    async def pop(self, key: str) -> Any | None:
        def take(conn: sqlite3.Connection, now: float) -> Any | None:
            text = _live_value(conn, key, now)
            conn.execute("DELETE FROM kv WHERE key = ?", (key,))
            return None if text is None else json.loads(text)
        return await self._write(take)

    async def compare_and_set(
        self, key: str, expected: Any | None, value: Any, *, ttl: float | None = None
    ) -> bool:
        want = None if expected is None else canonical_json(expected)
        text = canonical_json(value)

        def swap(conn: sqlite3.Connection, now: float) -> bool:
            if _live_value(conn, key, now) != want:
                return False
            conn.execute(_UPSERT, (key, text, _exp(now, ttl)))
            return True
        return await self._write(swap)

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        def add(conn: sqlite3.Connection, now: float) -> int:
            row = conn.execute("SELECT value, expires FROM kv WHERE key = ? AND "
                               "(expires IS NULL OR expires > ?)", (key, now)).fetchone()
            total = (0 if row is None else int(json.loads(row[0]))) + amount
            expires = _exp(now, ttl) if ttl is not None else (row[1] if row else None)
            conn.execute(_UPSERT, (key, str(total), expires))
            return total
        return await self._write(add)

    async def seen(self, key: str, *, ttl: float) -> bool:
        def mark(conn: sqlite3.Connection, now: float) -> bool:
            if _live_value(conn, key, now) is not None:
                return True
            conn.execute(_UPSERT, (key, "true", now + ttl))
            return False
        return await self._write(mark)

    async def stream_add_once(self, stream: str, data: Any, *, seen_key: str, ttl: float
                              ) -> StreamId | None:
        return await self._acks.add_on_loop(stream, canonical_json(data), seen_key, ttl)

    adds_from_any_thread = True
    """``add_once_from_any_thread`` works (from any thread, any event loop)."""

    def add_once_from_any_thread(self, stream: str, data: Any, *, seen_key: str, ttl: float
                                 ) -> Future[StreamId | None]:
        """``stream_add_once`` for a caller on any thread (an adapter's ack lane, with an
        event loop of its own, awaits ``stream_add_once`` there): the write runs on the
        worker's urgent lane, with the ack path's connection, together with the appends
        queued meanwhile (``sqlite_ack``), and a consumer blocked in a read on the store's
        own loop is woken from there, once per batch. The result (or error) comes in the
        future."""
        return self._acks.add(stream, canonical_json(data), seen_key, ttl)

    async def scan(self, prefix: str) -> list[str]:
        def keys(conn: sqlite3.Connection, now: float) -> list[str]:
            rows = conn.execute(
                "SELECT key FROM kv WHERE substr(key, 1, ?) = ? AND "
                "(expires IS NULL OR expires > ?) UNION SELECT key FROM lists WHERE "
                "substr(key, 1, ?) = ? AND (expires IS NULL OR expires > ?) UNION SELECT stream "
                "FROM streams WHERE substr(stream, 1, ?) = ?",
                (len(prefix), prefix, now, len(prefix), prefix, now, len(prefix), prefix)
            ).fetchall()
            return sorted(r[0] for r in rows)
        return await self._run(keys)

    # -- lists -------------------------------------------------------------------------
    async def list_append(
        self, key: str, value: Any, *, max_len: int | None = None, ttl: float | None = None
    ) -> int:
        text = canonical_json(value)

        def append(conn: sqlite3.Connection, now: float) -> int:
            live = _live_list(conn, key, now)
            conn.execute("INSERT INTO list_items (key, value) VALUES (?, ?)", (key, text))
            if ttl is not None or not live:
                conn.execute("INSERT INTO lists (key, expires) VALUES (?, ?) ON CONFLICT (key) "
                             "DO UPDATE SET expires = excluded.expires", (key, _exp(now, ttl)))
            if max_len is not None:
                _keep_newest(conn, key, max_len)
            return _count(conn, key)
        return await self._write(append)

    async def list_range(self, key: str, start: int = 0, stop: int | None = None) -> list[Any]:
        def read(conn: sqlite3.Connection, now: float) -> list[Any]:
            if not _live_list(conn, key, now):
                return []
            first, count = slice_bounds(_count(conn, key), start, stop)
            rows = conn.execute("SELECT value FROM list_items WHERE key = ? ORDER BY id "
                                "LIMIT ? OFFSET ?", (key, count, first)).fetchall()
            return [json.loads(r[0]) for r in rows]
        return await self._run(read)

    async def list_len(self, key: str) -> int:
        return await self._run(lambda c, now: _count(c, key) if _live_list(c, key, now) else 0)

    async def list_trim(self, key: str, max_len: int) -> None:
        def trim(conn: sqlite3.Connection, now: float) -> None:
            if _live_list(conn, key, now):
                _keep_newest(conn, key, max(0, max_len))
        await self._write(trim)

    async def list_pop_all(self, key: str) -> list[Any]:
        def take(conn: sqlite3.Connection, now: float) -> list[Any]:
            live = _live_list(conn, key, now)
            rows = conn.execute("SELECT value FROM list_items WHERE key = ? ORDER BY id",
                                (key,)).fetchall()
            conn.execute("DELETE FROM list_items WHERE key = ?", (key,))
            conn.execute("DELETE FROM lists WHERE key = ?", (key,))
            return [json.loads(r[0]) for r in rows] if live else []
        return await self._write(take)

    # -- locks -------------------------------------------------------------------------
    async def acquire_lock(self, key: str, *, ttl: float) -> str | None:
        token = secrets.token_hex(16)

        def take(conn: sqlite3.Connection, now: float) -> str | None:
            if _live_value(conn, key, now) is not None:
                return None
            conn.execute(_UPSERT, (key, json.dumps(token), now + ttl))
            return token
        return await self._write(take)

    async def extend_lock(self, key: str, token: str, *, ttl: float) -> bool:
        def extend(conn: sqlite3.Connection, now: float) -> bool:
            if _live_value(conn, key, now) != json.dumps(token):
                return False
            conn.execute("UPDATE kv SET expires = ? WHERE key = ?", (now + ttl, key))
            return True
        return await self._write(extend)

    async def release_lock(self, key: str, token: str) -> bool:
        def release(conn: sqlite3.Connection, now: float) -> bool:
            if _live_value(conn, key, now) != json.dumps(token):
                return False
            conn.execute("DELETE FROM kv WHERE key = ?", (key,))
            return True
        return await self._write(release)


@contextlib.contextmanager
def _tx(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (rolled back on error): one writer at a time."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _exp(now: float, ttl: float | None) -> float | None:
    return None if ttl is None else now + ttl


def _live_value(conn: sqlite3.Connection, key: str, now: float) -> str | None:
    row = conn.execute("SELECT value FROM kv WHERE key = ? AND (expires IS NULL OR expires > ?)",
                       (key, now)).fetchone()
    return None if row is None else str(row[0])


def _live_list(conn: sqlite3.Connection, key: str, now: float) -> bool:
    """Whether the list exists; an expired one is removed (callers may be read-only, so
    the removal only happens inside a write transaction)."""
    row = conn.execute("SELECT expires FROM lists WHERE key = ?", (key,)).fetchone()
    if row is None:
        return False
    if row[0] is not None and row[0] <= now:
        if conn.in_transaction:
            conn.execute("DELETE FROM list_items WHERE key = ?", (key,))
            conn.execute("DELETE FROM lists WHERE key = ?", (key,))
        return False
    return True


def _count(conn: sqlite3.Connection, key: str) -> int:
    return int(conn.execute("SELECT count(*) FROM list_items WHERE key = ?",
                            (key,)).fetchone()[0])


def _keep_newest(conn: sqlite3.Connection, key: str, max_len: int) -> None:
    conn.execute("DELETE FROM list_items WHERE key = ? AND id NOT IN (SELECT id FROM list_items "
                 "WHERE key = ? ORDER BY id DESC LIMIT ?)", (key, key, max_len))
    if max_len == 0:
        conn.execute("DELETE FROM lists WHERE key = ?", (key,))
