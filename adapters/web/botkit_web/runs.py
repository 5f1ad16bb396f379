"""Runs of web threads: their records (in the store) and their live event feeds.

A run is one turn of the bot in a web thread: a new user message, a resumed interrupt, or
an answered action. Its record (``WebRun``) is kept in the store next to the thread's
messages; while it goes, a ``RunFeed`` in the process running it holds its AG-UI events, so
any number of streams can follow it and a late joiner replays what it missed (by event id).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

import ag_ui.core as agui

from botkit.store.base import StateStore
from botkit.types import PlatformUser
from botkit_web.keys import run_key, run_order_key
from botkit_web.messages import user_from_json, user_json

__all__ = ["RunFeed", "RunKind", "RunLog", "RunStatus", "WebRun", "iso"]

RunStatus = Literal["pending", "running", "success", "error", "interrupted"]
RunKind = Literal["message", "resume", "action"]
FINISHED: frozenset[str] = frozenset({"success", "error", "interrupted"})
KEEP_FEEDS = 200


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat()


@dataclass(frozen=True, kw_only=True)
class WebRun:
    """One run. ``interrupts`` lists what the agent waits for when ``status`` is
    ``interrupted`` (AG-UI ``Interrupt`` objects, wire form)."""

    run_id: str
    thread_id: str
    assistant_id: str
    kind: RunKind
    user: PlatformUser | None
    status: RunStatus = "pending"
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    multitask_strategy: str = "enqueue"
    error: str | None = None
    interrupts: tuple[Mapping[str, Any], ...] = ()
    cancel_reason: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def moved(self, status: RunStatus, **changes: Any) -> WebRun:
        return replace(self, status=status, updated_at=time.time(), **changes)

    def to_json(self) -> dict[str, Any]:
        """The LangGraph ``Run`` shape, plus botkit's fields."""
        return {
            "run_id": self.run_id, "thread_id": self.thread_id,
            "assistant_id": self.assistant_id, "status": self.status, "kind": self.kind,
            "created_at": iso(self.created_at), "updated_at": iso(self.updated_at),
            "metadata": dict(self.metadata), "multitask_strategy": self.multitask_strategy,
            "user": user_json(self.user), "error": self.error,
            "interrupts": [dict(i) for i in self.interrupts],
            "cancel_reason": self.cancel_reason,
        }

    def to_store(self) -> dict[str, Any]:
        return {**self.to_json(), "created_at": self.created_at, "updated_at": self.updated_at}

    @classmethod
    def from_store(cls, data: Mapping[str, Any]) -> WebRun:
        return cls(run_id=data["run_id"], thread_id=data["thread_id"],
                   assistant_id=data.get("assistant_id") or "", kind=data.get("kind", "message"),
                   user=user_from_json(data.get("user")), status=data.get("status", "pending"),
                   created_at=float(data["created_at"]), updated_at=float(data["updated_at"]),
                   metadata=data.get("metadata") or {},
                   multitask_strategy=data.get("multitask_strategy") or "enqueue",
                   error=data.get("error"), interrupts=tuple(data.get("interrupts") or ()),
                   cancel_reason=data.get("cancel_reason"))

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())


class RunLog:
    """Run records of web threads, in the store."""

    def __init__(self, store: StateStore, *, keep: int = 1000) -> None:
        self.store = store
        self.keep = keep

    async def add(self, run: WebRun) -> None:
        await self.save(run)
        await self.store.list_append(run_order_key(run.thread_id), run.run_id,
                                     max_len=self.keep)

    async def save(self, run: WebRun) -> None:
        await self.store.set(run_key(run.thread_id, run.run_id), run.to_store())

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

    async def forget(self, thread_id: str) -> None:
        for run_id in await self.store.list_range(run_order_key(thread_id)):
            await self.store.delete(run_key(thread_id, run_id))
        await self.store.delete(run_order_key(thread_id))


class RunFeed:
    """The AG-UI events of one run, numbered from 1, for every stream that follows it."""

    def __init__(self, run: WebRun) -> None:
        self.run = run
        self.events: list[agui.BaseEvent] = []
        self.done = False
        self._changed = asyncio.Condition()

    async def publish(self, event: agui.BaseEvent) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def close(self, run: WebRun) -> None:
        async with self._changed:
            self.run = run
            self.done = True
            self._changed.notify_all()

    async def follow(self, after: int = 0) -> AsyncIterator[tuple[int, agui.BaseEvent]]:
        """Every event after number ``after`` (replayed, then live) until the run ends."""
        seen = max(0, after)
        while True:
            async with self._changed:
                while len(self.events) <= seen and not self.done:
                    await self._changed.wait()
                fresh = self.events[seen:]
                done = self.done
            for event in fresh:
                seen += 1
                yield seen, event
            if done and seen >= len(self.events):
                return


class Feeds:
    """This process's run feeds: the live ones and the most recent finished ones."""

    def __init__(self, keep: int = KEEP_FEEDS) -> None:
        self._feeds: OrderedDict[str, RunFeed] = OrderedDict()
        self.keep = keep

    def open(self, run: WebRun) -> RunFeed:
        feed = RunFeed(run)
        self._feeds[run.run_id] = feed
        while len(self._feeds) > self.keep:
            oldest = next(iter(self._feeds))
            if not self._feeds[oldest].done:
                break
            del self._feeds[oldest]
        return feed

    def get(self, run_id: str) -> RunFeed | None:
        return self._feeds.get(run_id)
