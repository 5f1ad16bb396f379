"""The thread event bus behind ``bot.threads.subscribe()`` and the SSE stream.

With a store (``EventHub(store)``), every event goes through the store's stream facet (Redis
Streams on Redis, a table on SQLite, in-process on memory): ``publish`` appends it, and one
reader per process tails the stream (``XREAD BLOCK`` on Redis; SQLite polls its table) and
hands each event to this process's subscribers. So every process sharing the store sees
every process's events, in one global order, each with its store id (``event_id``). A
subscriber may ask for what it missed: ``subscribe(after=<event_id>)`` replays exactly the
events after that id still kept (the newest ``max_len``), then continues live.
``thread_id`` limits a subscription to one thread.

On a store only this process reads (``MemoryStore``) events are stored once a hub has
tailed the stream (its first subscription): before that nobody holds an event id to
replay after, so nobody could ask for them. Until then ``publish`` keeps nothing (10,000
threads created with nobody watching kept 10,000 copies of their records). A served
threads API keeps them from its start (``keep_for_replay``).

Without a store the hub fans out in-process only (ids are a local counter). Every subscriber
has its own bounded queue; one that falls more than ``maxsize`` events behind loses the
oldest ones (a live view, not an audit log).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import weakref
from collections.abc import AsyncIterator
from typing import Any

from botkit.store.base import StateStore
from botkit.store.memory import MemoryStore
from botkit.store.streams import StreamEntry, StreamId, Streams
from botkit.threads.records import ThreadEvent, ThreadRecord

__all__ = ["EventHub", "Subscription", "decode_event", "encode_event"]

WRITE_SLICE = 0.002
"""Seconds the writer task runs before it lets the loop go round (between two appends)."""
WRITE_BATCH = 100
"""The most queued events one append (``stream_add_many``) writes."""

log = logging.getLogger("botkit.threads")
STREAM = "events:threads"
_TAILED: weakref.WeakSet[MemoryStore] = weakref.WeakSet()
"""The in-process stores whose thread events a hub has tailed: only these keep them."""


def encode_event(event: ThreadEvent) -> dict[str, Any]:
    """What the stream keeps of ``event``: its thread record in the store's compact form
    (``decode_event`` gives back the same event; ``ThreadEvent.to_dict`` is unchanged)."""
    return {"seq": event.seq, "type": event.type, "thread_id": event.thread_id,
            "at": event.at, "thread": None if event.thread is None else event.thread.to_store()}


def decode_event(data: Any, event_id: str) -> ThreadEvent:
    thread = data.get("thread")
    return ThreadEvent(seq=int(data["seq"]), type=data["type"], thread_id=data["thread_id"],
                       at=float(data["at"]), event_id=event_id,
                       thread=None if thread is None else ThreadRecord.from_dict(thread))


def _decoded(entry: StreamEntry) -> ThreadEvent | None:
    try:
        return decode_event(entry.data, str(entry.id))
    except (KeyError, TypeError, ValueError, AttributeError):
        log.warning("unreadable thread event %s skipped", entry.id)
        return None


class Subscription:
    """Async-iterate it for ``ThreadEvent``s; iteration ends when the hub closes."""

    def __init__(self, maxsize: int, thread_id: str | None = None,
                 after: StreamId | None = None) -> None:
        self._queue: asyncio.Queue[ThreadEvent | None] = asyncio.Queue(maxsize)
        self.thread_id = thread_id
        self._cursor = after
        self._held: list[tuple[StreamId, ThreadEvent]] | None = None  # while replaying

    def _offer(self, event: ThreadEvent | None) -> None:
        if event is not None and self.thread_id is not None and \
                event.thread_id != self.thread_id:
            return
        while True:
            try:
                self._queue.put_nowait(event)
                return
            except asyncio.QueueFull:
                self._queue.get_nowait()

    def _deliver(self, entry: StreamId, event: ThreadEvent) -> None:
        """A live stored event: held back while the replay runs."""
        if self._held is not None:
            self._held.append((entry, event))
        else:
            self._in_order(entry, event)

    def _in_order(self, entry: StreamId, event: ThreadEvent) -> None:
        """Offer each stored event once, in id order (replay and live meet here)."""
        if self._cursor is None or entry > self._cursor:
            self._cursor = entry
            self._offer(event)

    async def get(self) -> ThreadEvent | None:
        """The next event, or None once the stream has ended."""
        return await self._queue.get()

    def __aiter__(self) -> AsyncIterator[ThreadEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[ThreadEvent]:
        while (event := await self._queue.get()) is not None:
            yield event


class EventHub:
    def __init__(self, store: StateStore | None = None, *, stream: str = STREAM,
                 max_len: int = 10_000, maxsize: int = 1000, poll: float = 1.0) -> None:
        self._store: Streams | None = store if isinstance(store, Streams) else None
        self._stream, self._max_len = stream, max_len
        self._maxsize, self._poll = maxsize, poll
        self._subscribers: set[Subscription] = set()
        self._local_seq = 0
        self._outbox: asyncio.Queue[ThreadEvent] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closed = False
        self._read_to = StreamId(0)
        self._advanced = asyncio.Event()

    # -- publishing --------------------------------------------------------------------
    def publish(self, event: ThreadEvent) -> None:
        """Send ``event`` to every subscriber (in every process, with a store). Appends
        are queued and written in order by one task; ``flush`` waits for them."""
        if isinstance(self._store, MemoryStore) and self._store not in _TAILED:
            return  # nobody in this process reads it (no reader, so no subscriber)
        if self._store is None:
            self._local_seq += 1
            stamped = dataclasses.replace(event, event_id=str(self._local_seq))
            for sub in list(self._subscribers):
                sub._offer(stamped)
            return
        if self._outbox is None:
            self._outbox = asyncio.Queue()
        self._outbox.put_nowait(event)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        assert self._outbox is not None
        assert self._store is not None
        began = time.perf_counter()
        while not self._outbox.empty():
            if time.perf_counter() - began > WRITE_SLICE:
                # a store that does not wait (memory) would write a burst of thousands
                # in one loop iteration: let timers and I/O run between slices
                await asyncio.sleep(0)
                began = time.perf_counter()
            # what is queued goes in one append (a run's events mostly come together)
            batch = [self._outbox.get_nowait()
                     for _ in range(min(WRITE_BATCH, self._outbox.qsize()))]
            try:
                await self._store.stream_add_many(
                    self._stream, [encode_event(e) for e in batch], max_len=self._max_len)
            except Exception:
                log.warning("%d thread event(s) (the first: %s of %s) could not be stored; "
                            "subscribers miss them", len(batch), batch[0].type,
                            batch[0].thread_id, exc_info=True)
            finally:
                for _ in batch:
                    self._outbox.task_done()

    async def flush(self) -> None:
        """Wait until every published event is stored."""
        if self._outbox is not None:
            await self._outbox.join()

    # -- subscribing -------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def subscribe(self, *, after: str | None = None, thread_id: str | None = None
                        ) -> AsyncIterator[Subscription]:
        """Events from now on (or after the event ``after``: a ``Last-Event-ID``), of every
        thread or only ``thread_id``. ``ValueError`` for an ``after`` that is not an id."""
        cursor = None if after is None else StreamId.parse(after)
        sub = Subscription(self._maxsize, thread_id, cursor)
        if self._store is not None:
            await self._ensure_reader()
            if cursor is not None:
                sub._held = []
        self._subscribers.add(sub)
        try:
            if cursor is not None and self._store is not None:
                await self._replay(sub, cursor)
            yield sub
        finally:
            self._subscribers.discard(sub)

    async def _replay(self, sub: Subscription, cursor: StreamId) -> None:
        assert self._store is not None
        while batch := await self._store.stream_read(self._stream, after=cursor, count=500):
            for entry in batch:
                if (event := _decoded(entry)) is not None:
                    sub._in_order(entry.id, event)
            cursor = batch[-1].id
        held, sub._held = sub._held or [], None
        for entry_id, event in held:  # live events that came while replaying
            sub._in_order(entry_id, event)

    def keep_for_replay(self) -> None:
        """Store every event from now on, even before anyone subscribes: a served threads
        API may be asked to replay from any id (``Last-Event-ID: 0``). Only a
        ``MemoryStore`` ever skips storing; other stores always keep them."""
        if isinstance(self._store, MemoryStore):
            _TAILED.add(self._store)

    async def _ensure_reader(self) -> None:
        if self._reader is None or self._reader.done():
            assert self._store is not None
            self._closed = False
            self.keep_for_replay()
            start = await self._store.stream_last_id(self._stream) or StreamId(0)
            self._reader = asyncio.create_task(self._read(start), name="botkit-thread-events")

    async def _read(self, cursor: StreamId) -> None:
        assert self._store is not None
        while not self._closed:
            try:
                batch = await self._store.stream_read(self._stream, after=cursor, count=500,
                                                      block=self._poll)
            except Exception:
                log.warning("reading thread events failed; retrying", exc_info=True)
                await asyncio.sleep(self._poll)
                continue
            for entry in batch:
                cursor = entry.id
                if (event := _decoded(entry)) is not None:
                    for sub in list(self._subscribers):
                        sub._deliver(entry.id, event)
            self._read_to = cursor
            self._advanced.set()

    # -- closing -----------------------------------------------------------------------
    def close(self) -> None:
        """End every open subscription (the bot or the HTTP server is stopping)."""
        for sub in list(self._subscribers):
            sub._offer(None)
        self._subscribers.clear()

    async def aclose(self) -> None:
        """Store what is still queued, let subscribers have it, ``close``, stop the reader."""
        await self.flush()
        if self._store is not None and self._reader is not None and self._subscribers:
            last = await self._store.stream_last_id(self._stream)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll + 5):
                    while last is not None and self._read_to < last and \
                            not self._reader.done():
                        self._advanced.clear()
                        await self._advanced.wait()
        self.close()
        self._closed = True
        reader, self._reader = self._reader, None
        if reader is not None:
            await asyncio.wait({reader}, timeout=self._poll + 5)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)
