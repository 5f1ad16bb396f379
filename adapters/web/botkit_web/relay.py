"""Runs followed from any process: each run's events go through the store.

The process running a run keeps its ``RunFeed`` (the fast path: its own streams follow it in
memory) and a ``FeedRelay`` appends each event, then the run's end, to the run's store
stream (``web:feed:<thread>:<run>``: Redis Streams on Redis, a table on SQLite), in order,
from a background task, so the run never waits for the store; events that pile up while an
append goes are stored together as the next entry.

Another process asked to follow the run (a LangGraph join, ``adapter.follow``) makes a
*mirror*: a ``RunFeed`` of its own, filled by one reader per run that tails the stream
(``XREAD BLOCK`` on Redis; SQLite polls its table every 50 ms). Every stream in that
process follows the mirror, so a hundred followers cost one reader. Events keep their
numbers, so a client that reconnects to another replica with ``Last-Event-ID`` gets exactly
what it missed. A finished run replays in full from the stream while it is among its
thread's newest ``KEEP_RELAYED`` runs (older runs' streams are dropped; a join then gets
the final values only). A stream keeps a run's newest ``RELAY_MAX_LEN`` entries.

A mirror ends with the run's end entry; if the end never comes (the relay could not store
it) the mirror ends once the run's record says it finished. A mirror nobody has followed for
``MIRROR_IDLE`` seconds stops reading (the next join starts a new one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import ag_ui.core.events as agui_events
from pydantic import TypeAdapter, ValidationError

from botkit.store.base import StateStore
from botkit.store.streams import ZERO, StreamEntry, Streams
from botkit_web.keys import feed_key
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


class Mirrors:
    """This process's view of runs going on elsewhere (see the module's doc)."""

    def __init__(self, store: StateStore, feeds: Feeds, runs: RunLog, *, block: float = 1.0,
                 idle: float = MIRROR_IDLE) -> None:
        self.streams = store if isinstance(store, Streams) else None
        self.feeds, self.runs = feeds, runs
        self.block, self.idle = block, idle
        self._readers: dict[str, tuple[asyncio.Task[None], RunFeed]] = {}

    def relay(self, run: WebRun) -> FeedRelay | None:
        """The relay of a run starting here (None on a store without streams)."""
        if self.streams is None:
            return None
        return FeedRelay(self.streams, feed_key(run.thread_id, run.run_id))

    async def feed(self, run: WebRun) -> RunFeed | None:
        """The run's feed here: its own, an existing mirror, or a new mirror. None when the
        run finished and its events are no longer stored (or the store has no streams)."""
        if (found := self.feeds.get(run.run_id)) is not None:
            return found
        if self.streams is None:
            return None
        if run.finished and await self.streams.stream_len(
                feed_key(run.thread_id, run.run_id)) == 0:
            return None
        if (found := self.feeds.get(run.run_id)) is not None:  # made while we looked
            return found
        feed = self.feeds.open(run)
        self._readers[run.run_id] = (asyncio.create_task(
            self._mirror(self.streams, feed), name=f"web-mirror-{run.run_id}"), feed)
        return feed

    async def _mirror(self, streams: Streams, feed: RunFeed) -> None:
        run = feed.run
        key = feed_key(run.thread_id, run.run_id)
        cursor = ZERO
        try:
            while True:
                try:
                    batch = await streams.stream_read(key, after=cursor, count=500,
                                                      block=self.block)
                    if not batch and await self._stop(streams, feed, key, cursor):
                        return
                except Exception:
                    log.warning("following run %s failed; retrying", run.run_id,
                                exc_info=True)
                    await asyncio.sleep(self.block)
                    continue
                for entry in batch:
                    cursor = entry.id
                    for item in _items(entry):
                        if isinstance(item, WebRun):
                            await feed.close(item)
                            return
                        await feed.publish(item.event, visible_to=item.visible_to,
                                           number=item.number)
        finally:
            self._readers.pop(run.run_id, None)
            if not feed.done:
                self.feeds.drop(run.run_id, feed)
                await feed.close(feed.run)

    async def _stop(self, streams: Streams, feed: RunFeed, key: str, after: Any) -> bool:
        """Nothing new came: stop when the run ended without its end entry, or when nobody
        has followed the mirror for ``idle`` seconds."""
        run = feed.run
        found = await self.runs.get(run.thread_id, run.run_id)
        if found is None or found.finished:
            # the end entry is stored before the record says finished: one last look
            if await streams.stream_read(key, after=after, count=1):
                return False
            await feed.close(found or run)
            return True
        quiet = time.monotonic() - feed.last_followed
        return feed.followers == 0 and quiet > self.idle

    async def close(self) -> None:
        """Stop every mirror (the adapter stops); their followers get the end."""
        readers = list(self._readers.values())
        for task, _ in readers:
            task.cancel()
        for task, feed in readers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if not feed.done:  # cancelled before it began
                self.feeds.drop(feed.run.run_id, feed)
                await feed.close(feed.run)
