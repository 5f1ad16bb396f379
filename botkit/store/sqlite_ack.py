"""The ack path's writes for ``SQLiteStore``: dedup-and-append (``stream_add_once``), the
write a platform waits for before it is acknowledged.

- **A connection of its own, synced on commit** (``PRAGMA synchronous=FULL``): an append
  answered is on disk, so it survives the process being killed and the machine losing
  power (the store's other writes use ``NORMAL``: they survive the process, not the
  machine; a ``FULL`` commit syncs the WAL, so every write before it too). With
  ``durable=False`` (``NORMAL``) an answered append survives a killed process, not a power
  loss or an OS crash (the last commits before it may be lost).
- **Group commit**: the appends queued while the store's thread is busy are written by one
  call there (``write_queued``, on the worker's urgent lane, ahead of the ordinary calls),
  in one transaction: ``BEGIN IMMEDIATE``, one read of the dedup marks, one insert of the
  marks, one of the entries, ``COMMIT``, whatever their number (up to ``_CHUNK``); each is
  answered after that commit. One append alone was six statements, each a release and
  re-take of the interpreter's lock, which a busy bot thread makes slow.
- **One wake-up per batch**: the appends of a batch made from one event loop are answered
  there with one ``call_soon_threadsafe`` (a write to the loop's wake-up socket; each such
  system call on the store's thread lets a busy bot thread take the GIL for up to a switch
  interval), and the store's own loop (a consumer blocked reading) is woken once.
- It never runs a checkpoint of the WAL inside its commit (``wal_autocheckpoint`` is off on
  the store's connections; ``SQLiteStore._committed`` queues them as ordinary calls).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from botkit.store.streams import StreamId

__all__ = ["AckWriter"]

_CHUNK = 100  # appends per statement (bound parameters stay under SQLite's old limit, 999)
_MARK = ("INSERT INTO kv (key, value, expires) VALUES {rows} ON CONFLICT (key) "
         "DO UPDATE SET value = excluded.value, expires = excluded.expires")
_Result = StreamId | None


@dataclass(slots=True)
class _Add:
    stream: str
    text: str
    seen_key: str
    ttl: float
    future: Future[_Result] | asyncio.Future[_Result]
    loop: asyncio.AbstractEventLoop | None  # the asyncio future's; None: a thread's future


class AckWriter:
    """Queues dedup-and-appends and writes them in batches, with a connection of its own,
    on the thread ``schedule`` runs a call on (see the module doc)."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], clock: Callable[[], float],
                 schedule: Callable[[Callable[[], None]], None], *, durable: bool = True,
                 committed: Callable[[], None] = lambda: None,
                 added: Callable[[], None] = lambda: None) -> None:
        self._connect = connect
        self._added = added
        self._clock = clock
        self._schedule = schedule
        self.durable = durable
        self._committed = committed
        self._conn: sqlite3.Connection | None = None
        self._queue: list[_Add] = []
        self._lock = threading.Lock()  # guards the queue only

    def add(self, stream: str, text: str, seen_key: str, ttl: float) -> Future[_Result]:
        """Queue an append (from any thread); answered once it is committed."""
        future: Future[_Result] = Future()
        self._put(_Add(stream, text, seen_key, ttl, future, None))
        return future

    def add_on_loop(self, stream: str, text: str, seen_key: str, ttl: float
                    ) -> asyncio.Future[_Result]:
        """``add`` for a caller on an event loop (any thread's): the appends of one batch
        made from the same loop are answered there with one wake-up."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_Result] = loop.create_future()
        self._put(_Add(stream, text, seen_key, ttl, future, loop))
        return future

    def _put(self, add: _Add) -> None:
        with self._lock:
            self._queue.append(add)
            first = len(self._queue) == 1
        if first:  # else a write is already coming for the queue
            self._schedule(self.write_queued)

    # -- writing -------------------------------------------------------------------------
    def write_queued(self) -> None:
        """Write everything queued, one transaction per ``_CHUNK``, and answer each."""
        while True:
            with self._lock:
                batch, self._queue = self._queue[:_CHUNK], self._queue[_CHUNK:]
            if not batch:
                return
            try:
                results: list[_Result | BaseException] = list(self._write(batch))
            except Exception as exc:
                results = [exc] * len(batch)
            else:
                self._committed()
            _answer_all(batch, results)
            if any(result is not None and not isinstance(result, BaseException)
                   for result in results):
                self._added()

    def _write(self, batch: list[_Add]) -> list[_Result]:
        if self._conn is None:
            self._conn = self._connect()
            self._conn.execute(f"PRAGMA synchronous={'FULL' if self.durable else 'NORMAL'}")
        conn, now = self._conn, self._clock()
        conn.execute("BEGIN IMMEDIATE")
        try:
            keys = list(dict.fromkeys(add.seen_key for add in batch))
            seen = {row[0] for row in conn.execute(
                f"SELECT key FROM kv WHERE key IN ({','.join('?' * len(keys))}) AND "
                "(expires IS NULL OR expires > ?)", (*keys, now))}
            fresh: list[_Add] = []
            last = 0
            for add in batch:  # the first of the same key in a batch wins
                if add.seen_key not in seen:
                    seen.add(add.seen_key)
                    fresh.append(add)
            if fresh:
                rows = ",".join(["(?, 'true', ?)"] * len(fresh))
                conn.execute(_MARK.format(rows=rows),
                             [v for add in fresh for v in (add.seen_key, now + add.ttl)])
                streams = list(dict.fromkeys(add.stream for add in fresh))
                conn.execute("INSERT OR IGNORE INTO streams (stream) VALUES "
                             + ",".join(["(?)"] * len(streams)), streams)
                last = int(conn.execute(
                    "INSERT INTO stream_entries (stream, data) VALUES "
                    + ",".join(["(?, ?)"] * len(fresh)),
                    [v for add in fresh for v in (add.stream, add.text)]).lastrowid or 0)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        # one statement's rows get consecutive ids: the table's write lock was held
        ids = {id(add): StreamId(last - len(fresh) + 1 + n, 0)
               for n, add in enumerate(fresh)}
        return [ids.get(id(add)) for add in batch]

    def close(self) -> None:
        """Close the connection (on the thread that writes; a later write reopens it)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def _answer_all(batch: list[_Add], results: list[_Result | BaseException]) -> None:
    """Answer a batch: a thread's future at once, an event loop's futures with one
    ``call_soon_threadsafe`` per loop (each is a write to the loop's wake-up socket, and
    every such system call lets the bot's busy thread take the GIL)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Any, _Result | BaseException]]] = {}
    for add, result in zip(batch, results, strict=True):
        if add.loop is None:
            _settle(add.future, result)
        else:
            by_loop.setdefault(add.loop, []).append((add.future, result))
    for loop, answers in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits
            loop.call_soon_threadsafe(_settle_all, answers)


def _settle_all(answers: list[tuple[Any, _Result | BaseException]]) -> None:
    for future, result in answers:
        _settle(future, result)


def _settle(future: Any, result: _Result | BaseException) -> None:
    if future.done():  # an asyncio future cancelled meanwhile
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
