"""Runs of web threads: their records (in the store) and their live event feeds.

A run is one turn of the bot in a web thread: a new user message, a resumed interrupt, or
an answered action. Its record (``WebRun``) is kept in the store next to the thread's
messages; while it goes, a ``RunFeed`` in the process running it holds its AG-UI events, so
any number of streams can follow it and a late joiner replays what it missed (by event id).
The feed also hands each event to its relay (``botkit_web.relay``), which copies it into the
store, so other processes follow the run through a mirror feed numbered the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import ag_ui.core as agui
from ag_ui.encoder import EventEncoder
from pydantic import BaseModel, ConfigDict, Field

from botkit.store.base import StateStore
from botkit.types import PlatformUser
from botkit_web.keys import feed_key, live_key, run_key, run_order_key
from botkit_web.messages import public_user

if TYPE_CHECKING:
    from botkit_web.relay import FeedRelay

__all__ = ["FINISHED", "Feeds", "RunFeed", "RunKind", "RunLog", "RunStatus", "WebRun", "iso"]

RunStatus = Literal["pending", "running", "success", "error", "interrupted", "cancelled"]
RunKind = Literal["message", "resume", "action"]
FINISHED: frozenset[str] = frozenset({"success", "error", "interrupted", "cancelled"})
KEEP_FEEDS = 200
KEEP_RUNS = 1000
KEEP_RELAYED = 20
"""Per thread, the newest runs whose events stay in the store (joinable in full anywhere)."""


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat()


class WebRun(BaseModel):
    """One run (stored as its JSON dump). ``interrupts`` lists what the agent waits for
    when ``status`` is ``interrupted``; a cancelled run is ``cancelled``. ``error`` is an
    opaque reference (the details are in the server's log)."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    thread_id: str
    assistant_id: str
    kind: RunKind
    user: PlatformUser | None
    status: RunStatus = "pending"
    created_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)
    metadata: dict[str, Any] = Field(default_factory=dict)
    multitask_strategy: str = "enqueue"
    error: str | None = None
    interrupts: tuple[agui.Interrupt, ...] = ()
    cancel_reason: str | None = None
    owner: str | None = None
    """The process running it (where another replica sends a cancel request)."""

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def moved(self, status: RunStatus, **changes: Any) -> WebRun:
        return self.model_copy(update={"status": status, "updated_at": time.time(), **changes})

    def to_json(self) -> dict[str, Any]:
        """The LangGraph ``Run`` shape, plus botkit's fields (the user without email)."""
        return {**self.model_dump(mode="json", by_alias=True, exclude={"user", "owner"}),
                "user": public_user(self.user),
                "created_at": iso(self.created_at), "updated_at": iso(self.updated_at)}

    def to_store(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def from_store(cls, data: Mapping[str, Any]) -> WebRun:
        return cls.model_validate(data)

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())


class RunLog:
    """Run records of web threads, in the store (the newest ``keep`` per thread)."""

    def __init__(self, store: StateStore, *, keep: int = KEEP_RUNS,
                 keep_relayed: int = KEEP_RELAYED) -> None:
        self.store = store
        self.keep, self.keep_relayed = keep, keep_relayed

    async def add(self, run: WebRun) -> None:
        if not run.finished:  # in the index of live runs (``botkit_web.recovery``)
            await self.store.set(live_key(run.thread_id, run.run_id),
                                 {"thread_id": run.thread_id, "run_id": run.run_id})
        await self.save(run)
        order = run_order_key(run.thread_id)
        length = await self.store.list_append(order, run.run_id)
        if length > self.keep_relayed:  # one run's events leave the store per run added
            older = await self.store.list_range(order, length - self.keep_relayed - 1,
                                                length - self.keep_relayed)
            for run_id in older:
                await self.store.delete(feed_key(run.thread_id, str(run_id)))
        if length > self.keep:
            dropped = await self.store.list_range(order, 0, length - self.keep)
            await self.store.list_trim(order, self.keep)
            for run_id in dropped:
                await self.store.delete(run_key(run.thread_id, str(run_id)))

    async def save(self, run: WebRun) -> None:
        await self.store.set(run_key(run.thread_id, run.run_id), run.to_store())
        if run.finished:
            await self.store.delete(live_key(run.thread_id, run.run_id))

    async def get(self, thread_id: str, run_id: str) -> WebRun | None:
        data = await self.store.get(run_key(thread_id, run_id))
        return None if data is None else WebRun.from_store(data)

    async def list(self, thread_id: str, *, limit: int = 10, offset: int = 0,
                   status: str | None = None) -> list[WebRun]:
        """Newest first."""
        ids = list(reversed(await self.store.list_range(run_order_key(thread_id))))
        found = await self.store.get_many([run_key(thread_id, i) for i in ids])
        runs = [WebRun.from_store(d) for d in found if d is not None]
        if status is not None:
            runs = [r for r in runs if r.status == status]
        return runs[offset:offset + limit]


@dataclass(frozen=True)
class FeedItem:
    number: int
    """The event's number in its run (from 1; the same in every process)."""
    event: agui.BaseEvent
    visible_to: str | None = None
    """Shown only to this user id (an ephemeral message)."""

    # encoded once for every stream that sends the event
    @functools.cached_property
    def data(self) -> dict[str, Any]:
        """The event as JSON data (AG-UI's field names)."""
        return self.event.model_dump(mode="json", by_alias=True, exclude_none=True)

    @functools.cached_property
    def text(self) -> str:
        """``data`` as JSON text."""
        return json.dumps(self.data, ensure_ascii=False, default=str)

    @functools.cached_property
    def frames(self) -> dict[tuple[str, int], bytes]:
        """SSE frames of this event already made (by part name and index), for reuse."""
        return {}

    @functools.cached_property
    def agui_sse(self) -> bytes:
        """The event as AG-UI's own SSE encoder writes it."""
        return EventEncoder().encode(self.event).encode()


class RunFeed:
    """The AG-UI events of one run, numbered from 1, for every stream that follows it.
    With a ``relay``, each event is also copied to the store for other processes."""

    def __init__(self, run: WebRun, relay: FeedRelay | None = None) -> None:
        self.run = run
        self.items: list[FeedItem] = []
        self.done = False
        self.relay = relay
        self.followers = 0
        self.last_followed = time.monotonic()
        self._changed = asyncio.Condition()
        self._floor = 0

    def carry(self, items: list[FeedItem], *, gap: int = 0) -> None:
        """Start from the events another process showed for this run (a run taken over
        from a stopped process): kept, not relayed again; new events are numbered from
        ``gap`` past the last (events it showed but never stored keep their numbers)."""
        self.items.extend(items)
        self._floor = (items[-1].number if items else 0) + gap

    async def publish(self, event: agui.BaseEvent, *, visible_to: str | None = None,
                      number: int | None = None) -> None:
        """Add the next event (a mirror gives each event the number it had)."""
        async with self._changed:
            if number is None:
                number = max(self.items[-1].number if self.items else 0, self._floor) + 1
            item = FeedItem(number, event, visible_to)
            self.items.append(item)
            if self.relay is not None:
                self.relay.put(item)
            self._changed.notify_all()

    async def close(self, run: WebRun) -> None:
        """The run ended: followers here get the end at once; then the relay stores every
        event and the end (so other processes see the end after every event)."""
        async with self._changed:
            self.run = run
            self.done = True
            self._changed.notify_all()
        if self.relay is not None:
            await self.relay.close(run)

    async def follow(self, after: int = 0, *, viewer: str | None = None,
                     idle: float | None = None
                     ) -> AsyncIterator[FeedItem | None]:
        """Every event after number ``after`` that ``viewer`` may see (replayed, then live)
        until the run ends; None after each ``idle`` seconds without one (a keepalive)."""
        async for batch in self.follow_batches(after, viewer=viewer, idle=idle):
            if batch is None:
                yield None
            for item in batch or ():
                yield item

    async def follow_batches(self, after: int = 0, *, viewer: str | None = None,
                             idle: float | None = None
                             ) -> AsyncIterator[list[FeedItem] | None]:
        """``follow``, a batch at a time: every event that came since the last batch (so a
        stream writes them at once)."""
        seen, index = max(0, after), 0
        self.followers += 1
        try:
            while True:
                async with self._changed:
                    if len(self.items) <= index and not self.done:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._changed.wait(), idle)
                    fresh = self.items[index:]
                    done = self.done
                if not fresh and not done:
                    yield None
                    continue
                index += len(fresh)
                batch = [i for i in fresh if i.number > seen
                         and (i.visible_to is None or i.visible_to == viewer)]
                seen = max(seen, fresh[-1].number) if fresh else seen
                if batch:
                    yield batch
                if done:
                    return
        finally:
            self.followers -= 1
            self.last_followed = time.monotonic()


class Feeds:
    """This process's run feeds: the live ones and the ``keep`` most recent finished."""

    def __init__(self, keep: int = KEEP_FEEDS) -> None:
        self._feeds: OrderedDict[str, RunFeed] = OrderedDict()
        self.keep = keep

    def open(self, run: WebRun, relay: FeedRelay | None = None) -> RunFeed:
        feed = RunFeed(run, relay)
        self._feeds[run.run_id] = feed
        self._evict()
        return feed

    def _evict(self) -> None:
        extra = len(self._feeds) - self.keep
        for run_id in [i for i, f in self._feeds.items() if f.done][:max(0, extra)]:
            del self._feeds[run_id]

    def drop(self, run_id: str, feed: RunFeed | None = None) -> None:
        """Forget the run's feed (only if it is still ``feed``, when given)."""
        if feed is None or self._feeds.get(run_id) is feed:
            self._feeds.pop(run_id, None)

    def get(self, run_id: str) -> RunFeed | None:
        return self._feeds.get(run_id)

    def finished(self, run_id: str) -> None:
        """Called when a run ends (finished feeds past ``keep`` go)."""
        if run_id in self._feeds:
            self._evict()

    def __len__(self) -> int:
        return len(self._feeds)
