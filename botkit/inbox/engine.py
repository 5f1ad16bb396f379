"""The durable inbox: inbound events are appended to a store stream before the platform is
acknowledged, and leave it only once their handler has finished.

Ingress calls ``append`` (the event, its conversation key, when it arrived), or
``append_once`` (the same, deduplicated by a key in the same store write). The consumer
reads the stream in a consumer group (this process is one consumer, named by its replica
id) and hands each event to ``handle``: one at a time per conversation, conversations side
by side. An entry is acknowledged (and deleted) when its handler returns or raises; if the
process dies first, the entry stays pending and another process takes it over:

- every ``heartbeat`` seconds this process touches the entries it holds and checks the
  pending list: entries of a consumer whose replica heartbeat has expired are released and
  claimed, as are entries idle for ``claim_after`` seconds (a stuck holder);
- ``start`` does the same before reading anything new, so a restart picks up what the last
  process left (a graceful drain leaves its entries claimable at once).

An event older than ``max_age`` seconds, or handed out more than ``max_deliveries`` times
(it kept ending with its process), goes to ``apologize`` instead of ``handle``. ``drain``
stops reading, lets running handlers finish until a deadline and leaves the rest pending.
``on_heartbeat`` (optional) runs after each heartbeat's recovery (more cleanup of the dead).

On ``MemoryStore`` the same engine runs in-process: nothing survives the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from botkit.errors import UserError
from botkit.inbox.records import Apology, DrainSummary, Envelope, InboxStats
from botkit.inbox.replicas import Replicas
from botkit.store.base import StateStore
from botkit.store.streams import StreamEntry, StreamId, Streams

__all__ = ["Inbox"]

log = logging.getLogger("botkit.inbox")
E = TypeVar("E")


@dataclass(slots=True)
class _Item(Generic[E]):
    entry: StreamEntry
    envelope: Envelope
    event: E


class Inbox(Generic[E]):
    """A durable inbox over ``store``'s stream facet (``Streams``)."""

    def __init__(
        self,
        store: StateStore,
        *,
        encode: Callable[[E], Any],
        decode: Callable[[Any], E],
        handle: Callable[[E], Awaitable[None]],
        apologize: Callable[[E, Apology], Awaitable[None]] | None = None,
        replicas: Replicas | None = None,
        stream: str = "inbox",
        group: str = "dispatch",
        max_age: float = 600.0,
        max_deliveries: int = 3,
        claim_after: float = 60.0,
        heartbeat: float = 2.0,
        max_held: int = 500,
        poll: float = 1.0,
        clock: Callable[[], float] = time.time,
        on_heartbeat: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        if not isinstance(store, Streams):
            raise UserError(f"{type(store).__name__} has no stream facet; the inbox needs one "
                            "(MemoryStore, SQLiteStore and RedisStore have it)")
        if not (max_age > 0 and claim_after > 0 and heartbeat > 0 and poll > 0):
            raise UserError("max_age, claim_after, heartbeat and poll must be positive seconds")
        if max_deliveries < 1 or max_held < 1:
            raise UserError("max_deliveries and max_held must be at least 1")
        self.store: Streams = store
        self._encode, self._decode = encode, decode
        self._handle, self._apologize = handle, apologize
        self._own_replicas = replicas is None
        self.replicas = replicas or Replicas(store)
        self.stream, self.group = stream, group
        self.max_age, self.max_deliveries = max_age, max_deliveries
        self.claim_after, self.heartbeat = claim_after, heartbeat
        self.max_held, self.poll = max_held, poll
        self._clock = clock
        self._on_heartbeat = on_heartbeat
        self._held: dict[StreamId, _Item[E]] = {}
        self._running: dict[StreamId, asyncio.Task[None]] = {}
        self._lanes: dict[str, deque[_Item[E]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()
        self._keeper_stop = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._stopping = False
        self._counts = dict.fromkeys(("appended", "handled", "apologised", "failed",
                                      "claimed"), 0)

    @property
    def consumer(self) -> str:
        return self.replicas.replica

    @property
    def stats(self) -> InboxStats:
        return InboxStats(**self._counts, held=len(self._held), running=len(self._running))

    # -- ingress -----------------------------------------------------------------------
    async def append(self, event: E, *, conversation: str, received: float | None = None
                     ) -> StreamId:
        """Record ``event`` durably; acknowledge the platform only after this returns."""
        envelope = Envelope(conversation, self._clock() if received is None else received,
                            self._encode(event))
        entry = await self.store.stream_add(self.stream, envelope.to_data())
        self._counts["appended"] += 1
        return entry

    @property
    def appends_from_any_thread(self) -> bool:
        """Whether ``append_once`` may be awaited on another thread's event loop (the
        store's ``add_once_from_any_thread``: SQLite; Redis with its ack lane)."""
        return bool(getattr(self.store, "adds_from_any_thread", False))

    async def append_once(self, event: E, *, conversation: str, seen_key: str, ttl: float,
                          received: float | None = None) -> StreamId | None:
        """``append``, unless ``seen_key`` was recorded within ``ttl`` seconds (a platform's
        redelivery: None). The dedup and the append are one store write, so a failure
        leaves neither behind (the redelivery is then stored, not taken for a duplicate)."""
        envelope = Envelope(conversation, self._clock() if received is None else received,
                            self._encode(event))
        entry = await self.store.stream_add_once(self.stream, envelope.to_data(),
                                                 seen_key=seen_key, ttl=ttl)
        if entry is not None:
            self._counts["appended"] += 1
        return entry

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        """Take over what stopped processes left, then consume new events."""
        if self._reader is not None:
            return
        self._stopping = False
        self._keeper_stop = asyncio.Event()
        await self.replicas.start()
        await self._recover()
        self._reader = asyncio.create_task(self._read_loop(), name="botkit-inbox-reader")
        self._keeper = asyncio.create_task(self._keep_loop(), name="botkit-inbox-keeper")

    async def drain(self, deadline: float = 20.0, *,
                    at_deadline: Callable[[], Awaitable[None]] | None = None,
                    grace: float = 5.0) -> DrainSummary:
        """Stop taking events; let running handlers finish for up to ``deadline`` seconds;
        leave everything else pending (claimable at once) for the next process. Handlers
        still running then get ``at_deadline`` (e.g. closing their streams) and ``grace``
        seconds to wind down before they are cancelled."""
        self._stopping = True  # the reader returns within ``poll``; lanes start nothing new
        self._room.set()
        reader, self._reader = self._reader, None
        running = dict(self._running)
        waiting = set(self._tasks) | ({reader} if reader is not None else set())
        if waiting:
            await asyncio.wait(waiting, timeout=max(0.0, deadline))
        cut = [task for task in running.values() if not task.done()]
        if cut and at_deadline is not None:
            await at_deadline()
            await asyncio.wait(cut, timeout=grace)
        await _cancel(reader)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._keeper_stop.set()
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            await asyncio.wait({keeper}, timeout=30)
            await _cancel(keeper)
        mine = [p.id for p in await self.store.stream_pending(self.stream, self.group,
                                                              count=100_000)
                if p.consumer == self.consumer]
        await self.store.stream_release(self.stream, self.group, mine)
        self._held.clear()
        self._lanes.clear()
        if self._own_replicas:
            await self.replicas.stop()
        return DrainSummary(finished=len(running) - len(cut), handed_over=len(mine),
                            cut=len(cut))

    # -- consuming ---------------------------------------------------------------------
    async def _read_loop(self) -> None:
        while not self._stopping:
            room = self.max_held - len(self._held)
            if room <= 0:
                self._room.clear()
                await self._room.wait()
                continue
            try:
                entries = await self.store.stream_group_read(
                    self.stream, self.group, self.consumer, count=min(room, 100),
                    block=self.poll)
            except Exception:
                log.warning("reading the inbox failed; retrying", exc_info=True)
                await asyncio.sleep(self.poll)
                continue
            for entry in entries:
                self._accept(entry)

    def _accept(self, entry: StreamEntry) -> None:
        if entry.id in self._held:
            return
        try:
            envelope = Envelope.from_data(entry.data)
            event = self._decode(envelope.event)
        except Exception as exc:
            log.error("inbox entry %s cannot be read (%s: %s); dropped", entry.id,
                      type(exc).__name__, exc)
            self._spawn(self._ack(entry.id))
            return
        item = _Item(entry, envelope, event)
        self._held[entry.id] = item
        lane = self._lanes.get(envelope.conversation)
        if lane is None:
            lane = self._lanes[envelope.conversation] = deque()
            self._spawn(self._run_lane(envelope.conversation, lane))
        lane.append(item)

    def _spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            await work
        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_lane(self, conversation: str, lane: deque[_Item[E]]) -> None:
        try:
            while lane and not self._stopping:
                item = lane.popleft()
                task = asyncio.create_task(self._process(item))
                self._running[item.entry.id] = task
                try:
                    await task  # cancelling the lane (a drain's deadline) cancels the turn
                finally:
                    self._running.pop(item.entry.id, None)
        finally:
            if self._lanes.get(conversation) is lane and not lane:
                del self._lanes[conversation]

    async def _process(self, item: _Item[E]) -> None:
        entry, envelope = item.entry, item.envelope
        age = max(0.0, self._clock() - envelope.received)
        try:
            if age > self.max_age:
                await self._give_up(item, Apology("too_old", age, entry.deliveries, entry.id))
            elif entry.deliveries > self.max_deliveries:
                await self._give_up(item, Apology("gave_up", age, entry.deliveries, entry.id))
            else:
                await self._handle(item.event)
                self._counts["handled"] += 1
        except Exception:
            self._counts["failed"] += 1
            log.exception("handling inbox entry %s of %s failed", entry.id,
                          envelope.conversation)
        await self._ack(entry.id)

    async def _give_up(self, item: _Item[E], apology: Apology) -> None:
        self._counts["apologised"] += 1
        if self._apologize is None:
            log.warning("inbox entry %s dropped (%s after %.0f s)", item.entry.id,
                        apology.reason, apology.age)
            return
        await self._apologize(item.event, apology)

    async def _ack(self, entry: StreamId) -> None:
        try:
            await self.store.stream_ack(self.stream, self.group, [entry], delete=True)
        except Exception:
            log.warning("acknowledging inbox entry %s failed; it may run again", entry,
                        exc_info=True)
        finally:
            self._held.pop(entry, None)
            self._room.set()

    # -- keeping and recovering --------------------------------------------------------
    async def _keep_loop(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):  # a drain wakes it to end between calls
                await asyncio.wait_for(self._keeper_stop.wait(), self.heartbeat)
            if self._stopping:
                return
            try:
                if self._held:
                    await self.store.stream_touch(self.stream, self.group, self.consumer,
                                                  list(self._held))
                if not self._stopping:
                    await self._recover()
                    if self._on_heartbeat is not None:
                        await self._on_heartbeat()
            except Exception:
                log.warning("inbox heartbeat failed; retrying", exc_info=True)

    async def _recover(self) -> None:
        """Release the entries of consumers whose process is gone; claim what is claimable."""
        pending = await self.store.stream_pending(self.stream, self.group, count=10_000)
        others = {p.consumer for p in pending if p.consumer != self.consumer}
        dead = {c for c in others if not await self.replicas.alive(c)}
        orphans = [p.id for p in pending if p.consumer in dead]
        if orphans:
            await self.store.stream_release(self.stream, self.group, orphans)
        room = self.max_held - len(self._held)
        if room <= 0:
            return
        claimed = await self.store.stream_claim(self.stream, self.group, self.consumer,
                                                min_idle=self.claim_after, count=room)
        if claimed:
            log.info("took over %d inbox event(s) from stopped processes", len(claimed))
        self._counts["claimed"] += len(claimed)
        for entry in claimed:
            self._accept(entry)


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
