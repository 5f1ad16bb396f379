"""The stream facet of ``SQLiteStore``: tables in the same database file.

``streams`` names every stream (so ``scan`` finds it); ``stream_entries`` holds every
stream's entries under one ``AUTOINCREMENT`` id, so ids grow across all streams and never
repeat, even after deletes (an entry's ``StreamId`` is ``(row id, 0)``). ``stream_groups``
keeps each consumer group's last delivered id and ``stream_pending`` each delivered,
unacknowledged entry with its consumer, claim time (wall clock) and delivery count.
Everything runs on the store's one worker thread, writes inside ``BEGIN IMMEDIATE``
(``stream_add_once``, in ``SQLiteStore``, ahead of the calls queued there: the ack path). A
blocking read polls the indexed table every ``stream_poll`` seconds (sooner when this process
appends): other processes have no way to wake it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from botkit.store.base import canonical_json
from botkit.store.streams import ZERO, PendingEntry, StreamEntry, StreamId

__all__ = ["STREAM_SCHEMA", "STREAM_TABLES", "SQLiteStreams", "add_entry"]

T = TypeVar("T")
Op = Callable[[sqlite3.Connection, float], T]
STREAM_SCHEMA = """
CREATE TABLE IF NOT EXISTS streams (stream TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stream_entries (id INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS stream_entries_by_stream ON stream_entries (stream, id);
CREATE TABLE IF NOT EXISTS stream_groups (stream TEXT NOT NULL, grp TEXT NOT NULL,
    last_id INTEGER NOT NULL, PRIMARY KEY (stream, grp)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stream_pending (stream TEXT NOT NULL, grp TEXT NOT NULL,
    id INTEGER NOT NULL, consumer TEXT NOT NULL, since REAL NOT NULL,
    deliveries INTEGER NOT NULL, PRIMARY KEY (stream, grp, id)) WITHOUT ROWID;
"""
STREAM_TABLES = ("streams", "stream_entries", "stream_groups", "stream_pending")
_SELECT = "SELECT id, data FROM stream_entries WHERE stream = ? AND id > ? ORDER BY id LIMIT ?"


def add_entry(conn: sqlite3.Connection, stream: str, text: str, max_len: int | None = None
              ) -> int:
    """Append ``text`` to ``stream`` (inside a write transaction); the new row id."""
    conn.execute("INSERT OR IGNORE INTO streams (stream) VALUES (?)", (stream,))
    row = conn.execute("INSERT INTO stream_entries (stream, data) VALUES (?, ?)",
                       (stream, text)).lastrowid
    if max_len is not None:
        conn.execute("DELETE FROM stream_entries WHERE stream = ? AND id <= (SELECT id "
                     "FROM stream_entries WHERE stream = ? ORDER BY id DESC LIMIT 1 "
                     "OFFSET ?)", (stream, stream, max(0, max_len)))
    return int(row or 0)


class SQLiteStreams:
    """Mixed into ``SQLiteStore`` (which provides ``_run``/``_write``)."""

    stream_poll: float = 0.05

    async def _run(self, fn: Op[T], *, urgent: bool = False) -> T:
        raise NotImplementedError

    async def _write(self, fn: Op[T], *, urgent: bool = False) -> T:
        raise NotImplementedError

    def _added(self) -> asyncio.Event:
        event: asyncio.Event | None = getattr(self, "_stream_added", None)
        if event is None:
            event = self._stream_added = asyncio.Event()
            self._stream_loop = asyncio.get_running_loop()  # where blocked readers wait
        return event

    def _notify(self) -> None:
        self._added().set()
        self._stream_added = asyncio.Event()

    def _notify_from_any_thread(self) -> None:
        """``_notify`` on the loop the blocked readers wait on (none yet: nobody to wake)."""
        loop: asyncio.AbstractEventLoop | None = getattr(self, "_stream_loop", None)
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._notify)

    async def _blocking(self, fn: Op[list[StreamEntry]], block: float | None,
                        *, write: bool = False) -> list[StreamEntry]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (block or 0.0)
        while True:
            added = self._added()
            found = await (self._write(fn) if write else self._run(fn))
            left = deadline - loop.time()
            if found or not block or left <= 0:
                return found
            # woken by a local append, or poll again for other processes' appends
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(added.wait(), min(left, self.stream_poll))

    async def stream_add(self, stream: str, data: Any, *, max_len: int | None = None
                         ) -> StreamId:
        text = canonical_json(data)
        entry = StreamId(await self._write(lambda c, now: add_entry(c, stream, text, max_len)),
                         0)
        self._notify()
        return entry

    async def stream_add_many(self, stream: str, items: Sequence[Any], *,
                              max_len: int | None = None) -> list[StreamId]:
        texts = [canonical_json(data) for data in items]
        if not texts:
            return []

        def add(conn: sqlite3.Connection, now: float) -> list[int]:
            last = len(texts) - 1  # trimmed once, after the last
            return [add_entry(conn, stream, text, max_len if i == last else None)
                    for i, text in enumerate(texts)]
        rows = await self._write(add)
        self._notify()
        return [StreamId(row, 0) for row in rows]

    async def stream_read(self, stream: str, *, after: StreamId = ZERO, count: int = 100,
                          block: float | None = None) -> list[StreamEntry]:
        def read(conn: sqlite3.Connection, now: float) -> list[StreamEntry]:
            rows = conn.execute(_SELECT, (stream, after.ms, count)).fetchall()
            return [StreamEntry(StreamId(r[0], 0), json.loads(r[1])) for r in rows]
        return await self._blocking(read, block)

    async def stream_read_many(self, after: Mapping[str, StreamId], *, count: int = 100,
                               block: float | None = None) -> dict[str, list[StreamEntry]]:
        cursors = dict(after)

        def read(conn: sqlite3.Connection, now: float) -> list[StreamEntry]:
            return [StreamEntry(StreamId(r[0], 0), (name, json.loads(r[1])))
                    for name, cursor in cursors.items()
                    for r in conn.execute(_SELECT, (name, cursor.ms, count)).fetchall()]
        found: dict[str, list[StreamEntry]] = {}
        for entry in await self._blocking(read, block) if cursors else ():
            name, data = entry.data
            found.setdefault(name, []).append(StreamEntry(entry.id, data))
        return found

    async def stream_last_id(self, stream: str) -> StreamId | None:
        row = await self._run(lambda c, now: c.execute(
            "SELECT max(id) FROM stream_entries WHERE stream = ?", (stream,)).fetchone())
        return None if row is None or row[0] is None else StreamId(int(row[0]), 0)

    async def stream_len(self, stream: str) -> int:
        row = await self._run(lambda c, now: c.execute(
            "SELECT count(*) FROM stream_entries WHERE stream = ?", (stream,)).fetchone())
        return int(row[0])

    async def stream_group_read(self, stream: str, group: str, consumer: str, *,
                                count: int = 100, block: float | None = None
                                ) -> list[StreamEntry]:
        def take(conn: sqlite3.Connection, now: float) -> list[StreamEntry]:
            conn.execute("INSERT OR IGNORE INTO streams (stream) VALUES (?)", (stream,))
            conn.execute("INSERT OR IGNORE INTO stream_groups (stream, grp, last_id) "
                         "VALUES (?, ?, 0)", (stream, group))
            last = conn.execute("SELECT last_id FROM stream_groups WHERE stream = ? AND "
                                "grp = ?", (stream, group)).fetchone()[0]
            rows = conn.execute(_SELECT, (stream, last, count)).fetchall()
            if not rows:
                return []
            conn.executemany("INSERT OR REPLACE INTO stream_pending (stream, grp, id, consumer, "
                             "since, deliveries) VALUES (?, ?, ?, ?, ?, 1)",
                             [(stream, group, r[0], consumer, now) for r in rows])
            conn.execute("UPDATE stream_groups SET last_id = ? WHERE stream = ? AND grp = ?",
                         (rows[-1][0], stream, group))
            return [StreamEntry(StreamId(r[0], 0), json.loads(r[1]), 1) for r in rows]
        return await self._blocking(take, block, write=True)

    async def stream_ack(self, stream: str, group: str, ids: Sequence[StreamId], *,
                         delete: bool = False) -> int:
        rows = [i.ms for i in ids]

        def ack(conn: sqlite3.Connection, now: float) -> int:
            done = 0
            for row in rows:
                done += conn.execute("DELETE FROM stream_pending WHERE stream = ? AND grp = ? "
                                     "AND id = ?", (stream, group, row)).rowcount
                if delete:
                    conn.execute("DELETE FROM stream_entries WHERE id = ? AND stream = ?",
                                 (row, stream))
            return done
        return await self._write(ack) if rows else 0

    async def stream_pending(self, stream: str, group: str, *, count: int = 1000
                             ) -> list[PendingEntry]:
        def read(conn: sqlite3.Connection, now: float) -> list[PendingEntry]:
            rows = conn.execute("SELECT id, consumer, since, deliveries FROM stream_pending "
                                "WHERE stream = ? AND grp = ? ORDER BY id LIMIT ?",
                                (stream, group, count)).fetchall()
            return [PendingEntry(StreamId(r[0], 0), r[1], max(0.0, now - r[2]), r[3])
                    for r in rows]
        return await self._run(read)

    async def stream_touch(self, stream: str, group: str, consumer: str,
                           ids: Sequence[StreamId]) -> None:
        wanted = [i.ms for i in ids]
        if wanted:
            await self._write(lambda c, now: c.executemany(
                "UPDATE stream_pending SET since = ? WHERE stream = ? AND grp = ? AND id = ? "
                "AND consumer = ?", [(now, stream, group, i, consumer) for i in wanted]))

    async def stream_release(self, stream: str, group: str, ids: Sequence[StreamId]) -> None:
        rows = [(stream, group, i.ms) for i in ids]
        if rows:
            await self._write(lambda c, now: c.executemany(
                "UPDATE stream_pending SET since = 0 WHERE stream = ? AND grp = ? AND id = ?",
                rows))

    async def stream_claim(self, stream: str, group: str, consumer: str, *, min_idle: float,
                           count: int = 100) -> list[StreamEntry]:
        def claim(conn: sqlite3.Connection, now: float) -> list[StreamEntry]:
            rows = conn.execute(
                "SELECT p.id, e.data, p.deliveries FROM stream_pending p LEFT JOIN "
                "stream_entries e ON e.id = p.id WHERE p.stream = ? AND p.grp = ? AND "
                "p.since <= ? ORDER BY p.id LIMIT ?",
                (stream, group, now - min_idle, count)).fetchall()
            claimed = []
            for row, data, deliveries in rows:
                if data is None:  # trimmed or deleted meanwhile
                    conn.execute("DELETE FROM stream_pending WHERE stream = ? AND grp = ? AND "
                                 "id = ?", (stream, group, row))
                    continue
                conn.execute("UPDATE stream_pending SET consumer = ?, since = ?, deliveries = "
                             "deliveries + 1 WHERE stream = ? AND grp = ? AND id = ?",
                             (consumer, now, stream, group, row))
                claimed.append(StreamEntry(StreamId(row, 0), json.loads(data), deliveries + 1))
            return claimed
        return await self._write(claim)
