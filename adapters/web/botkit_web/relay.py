"""Runs followed from any process: each run's events go through the store.

The process running a run keeps its ``RunFeed`` (the fast path: its own streams follow it in
memory) and a ``FeedRelay`` appends each event, then the run's end, to the run's store
stream (``web:feed:<thread>:<run>``: Redis Streams on Redis, a table on SQLite), in order,
from a background task, so the run never waits for the store; events that pile up while an
append goes are stored together as the next entry.

Another process asked to follow the run (a LangGraph join, ``adapter.follow``) makes a
*mirror*: a ``RunFeed`` of its own, filled from the run's stream. One reader per process
tails every mirrored stream in one blocking read (``XREAD BLOCK`` over all of them on Redis,
one connection however many runs; SQLite polls its table every 50 ms), and every stream in
that process follows the mirror, so a hundred followers of a run cost one read. Events keep
their numbers, so a client that reconnects to another replica with ``Last-Event-ID`` gets
exactly what it missed. A finished run replays in full from its stream while it is among its
thread's newest ``KEEP_RELAYED`` runs (older runs' streams are dropped; a join then gets the
final values only). A stream keeps a run's newest ``RELAY_MAX_LEN`` entries.

A mirror ends with the run's end entry; if the end never comes (the relay could not store
it) the mirror ends once the run's record says it finished. A mirror nobody has followed for
``MIRROR_IDLE`` seconds stops (the next join starts a new one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ag_ui.core.events as agui_events
from pydantic import TypeAdapter, ValidationError

from botkit.store.base import StateStore
from botkit.store.streams import ZERO, StreamEntry, StreamId, Streams
from botkit_web.keys import feed_key, wake_key
from botkit_web.runs import FeedItem, Feeds, RunFeed, RunLog, WebRun

__all__ = ["MIRROR_IDLE", "RELAY_MAX_LEN", "FeedRelay", "Mirrors"]

log = logging.getLogger("botkit.web")
RELAY_MAX_LEN = 10_000
MIRROR_IDLE = 60.0
_EVENT: TypeAdapter[Any] = TypeAdapter(agui_events.Event)


class FeedRelay:
    """Appends one run's feed to its store stream, in order, without holding up the run."""

    def __init__(self, store: Streams, key: str, *, max_len: int = RELAY_MAX_LEN) -> None:
        self.store, self.key, self.max_len = store, key, max_len
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    def put(self, item: FeedItem) -> None:
        self._queue.put_nowait({"n": item.number, "to": item.visible_to, "event": item.data})
        self._kick()

    async def close(self, run: WebRun) -> None:
        """Append the end (the run's final record) and wait until everything is stored."""
        self._queue.put_nowait({"end": run.to_store()})
        self._kick()
        await self.flush()

    async def flush(self) -> None:
        """Wait until every event put so far is stored (or failed to be)."""
        await self._queue.join()

    def _kick(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(
                self._write(), name=f"web-relay-{self.key}")

    async def _write(self) -> None:
        """Store what is queued, as one entry per append (a burst becomes one entry)."""
        while not self._queue.empty():
            batch = [self._queue.get_nowait() for _ in range(self._queue.qsize())]
            try:
                await self.store.stream_add(self.key, {"items": batch}, max_len=self.max_len)
            except Exception:
                log.warning("%d events of %s could not be stored; followers in other "
                            "processes miss them", len(batch), self.key, exc_info=True)
            finally:
                for _ in batch:
                    self._queue.task_done()


def _items(entry: StreamEntry) -> list[FeedItem | WebRun]:
    """A stored entry's feed items and, for the end, the run's final record."""
    found: list[FeedItem | WebRun] = []
    for data in entry.data.get("items", ()) if isinstance(entry.data, dict) else ():
        try:
            if "end" in data:
                found.append(WebRun.from_store(data["end"]))
                continue
            visible_to = data.get("to")
            found.append(FeedItem(int(data["n"]), _EVENT.validate_python(data["event"]),
                                  visible_to if isinstance(visible_to, str) else None))
        except (KeyError, TypeError, ValueError, ValidationError):
            log.warning("an unreadable run event in %s skipped", entry.id)
    return found


@dataclass
class _Mirror:
    feed: RunFeed
    cursor: StreamId = ZERO
    heard: float = field(default_factory=time.monotonic)
    """When the reader last had something for it (or last checked on it)."""


class Mirrors:
    """This process's view of runs going on elsewhere (see the module's doc): one reader
    tails every mirrored run's stream in one blocking read (``stream_read_many``), plus
    this process's own stream (``web:wake:<process>``): a new mirror pokes it so the reader
    takes the mirror in, and other processes send it cancel requests for the runs going
    here (``request_cancel``; ``on_cancel(run_id)`` acts on them)."""

    def __init__(self, store: StateStore, feeds: Feeds, runs: RunLog, *, block: float = 1.0,
                 idle: float = MIRROR_IDLE,
                 on_cancel: Callable[[str], object] | None = None) -> None:
        self.streams = store if isinstance(store, Streams) else None
        self.feeds, self.runs = feeds, runs
        self.block, self.idle = block, idle
        self.on_cancel = on_cancel
        self.process = uuid.uuid4().hex
        """This process's name on its runs' records (``WebRun.owner``)."""
        self._mirrors: dict[str, _Mirror] = {}
        self._wake, self._woken = wake_key(self.process), ZERO
        self._reader: asyncio.Task[None] | None = None
        self._closed = False

    def relay(self, run: WebRun) -> FeedRelay | None:
        """The relay of a run starting here (None on a store without streams)."""
        if self.streams is None:
            return None
        return FeedRelay(self.streams, feed_key(run.thread_id, run.run_id))

    def __len__(self) -> int:
        return len(self._mirrors)

    async def feed(self, run: WebRun) -> RunFeed | None:
        """The run's feed here: its own, an existing mirror, or a new mirror. None when the
        run finished and its events are no longer stored (or the store has no streams)."""
        if (found := self.feeds.get(run.run_id)) is not None:
            return found
        if self.streams is None:
            return None
        key = feed_key(run.thread_id, run.run_id)
        if run.finished and await self.streams.stream_len(key) == 0:
            return None
        if (found := self.feeds.get(run.run_id)) is not None:  # made while we looked
            return found
        feed = self.feeds.open(run)
        self._mirrors[key] = _Mirror(feed)
        if self._reader is None or self._reader.done():
            self.start()
        else:
            await self.streams.stream_add(self._wake, {"poke": True}, max_len=100)
        return feed

    def start(self, process: str | None = None) -> None:
        """Start the reader (the adapter starts, naming this process: its id in the
        store's heartbeat registry): it also hears cancel requests."""
        if process is not None and process != self.process:
            self.process, self._wake, self._woken = process, wake_key(process), ZERO
        if self.streams is not None and (self._reader is None or self._reader.done()):
            self._closed = False
            self._reader = asyncio.create_task(self._read(self.streams),
                                               name="web-run-mirrors")

    async def stored(self, run: WebRun) -> list[FeedItem]:
        """Every event of the run its stream holds (what another process showed)."""
        if self.streams is None:
            return []
        key, cursor, found = feed_key(run.thread_id, run.run_id), ZERO, []
        while entries := await self.streams.stream_read(key, after=cursor, count=500):
            cursor = entries[-1].id
            found += [i for e in entries for i in _items(e) if isinstance(i, FeedItem)]
        return found

    async def request_cancel(self, run: WebRun) -> bool:
        """Ask the process running ``run`` to cancel it; False when none can be asked."""
        if self.streams is None or run.owner is None or run.finished:
            return False
        await self.streams.stream_add(wake_key(run.owner), {"cancel": run.run_id},
                                      max_len=100)
        return True

    async def _read(self, streams: Streams) -> None:
        while not self._closed:
            cursors = {key: m.cursor for key, m in self._mirrors.items()}
            try:
                found = await streams.stream_read_many(
                    {**cursors, self._wake: self._woken}, count=500, block=self.block)
            except Exception:
                log.warning("following runs of other processes failed; retrying",
                            exc_info=True)
                await asyncio.sleep(self.block)
                continue
            for entry in found.pop(self._wake, ()):
                self._woken = entry.id
                wanted = entry.data.get("cancel") if isinstance(entry.data, dict) else None
                if isinstance(wanted, str) and self.on_cancel is not None:
                    self.on_cancel(wanted)
            for key, entries in found.items():
                if (mirror := self._mirrors.get(key)) is not None:
                    await self._take(key, mirror, entries)
            await self._check_quiet(streams)

    async def _take(self, key: str, mirror: _Mirror, entries: list[StreamEntry]) -> None:
        mirror.heard = time.monotonic()
        for entry in entries:
            mirror.cursor = entry.id
            for item in _items(entry):
                if isinstance(item, WebRun):
                    await self._end(key, item)
                    return
                await mirror.feed.publish(item.event, visible_to=item.visible_to,
                                          number=item.number)

    async def _end(self, key: str, run: WebRun | None) -> None:
        """Stop mirroring: the run ended (``run``), or nobody follows (None)."""
        mirror = self._mirrors.pop(key, None)
        if mirror is not None and not mirror.feed.done:
            if run is None:
                self.feeds.drop(mirror.feed.run.run_id, mirror.feed)
            await mirror.feed.close(run or mirror.feed.run)

    async def _check_quiet(self, streams: Streams) -> None:
        """Mirrors with nothing new for ``block`` seconds: stop when the run ended without
        its end entry reaching the store, or when nobody has followed for ``idle``."""
        now = time.monotonic()
        for key, mirror in list(self._mirrors.items()):
            if now - mirror.heard < self.block:
                continue
            mirror.heard = now
            run = mirror.feed.run
            found = await self.runs.get(run.thread_id, run.run_id)
            if found is None or found.finished:
                # the end entry is stored before the record says finished: one last look
                if late := await streams.stream_read(key, after=mirror.cursor, count=500):
                    await self._take(key, mirror, late)
                if key in self._mirrors:
                    await self._end(key, found or run)
            elif mirror.feed.followers == 0 and now - mirror.feed.last_followed > self.idle:
                await self._end(key, None)

    async def close(self) -> None:
        """Stop following other processes' runs (the adapter stops); their followers here
        get the end of their streams."""
        self._closed = True
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        for key in list(self._mirrors):
            await self._end(key, None)
        if self.streams is not None:
            with contextlib.suppress(Exception):
                await self.streams.delete(self._wake)
