"""``bot.threads``: list, inspect and manage the conversations a bot keeps.

Records live in the bot's store (``thread:<id>``), next to the agent state
(``state:<id>``) and the run history (``runs:<id>``, newest ``history_limit`` runs). A
record is created the first time a handled message arrives or a run starts. ``delete``
removes what botkit stored, never the platform's messages.
"""

from __future__ import annotations

import contextlib
import copy
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import jsonpatch

from botkit import keys
from botkit.adapter import PlatformAdapter
from botkit.errors import UserError
from botkit.store.base import StateStore
from botkit.threads.events import EventHub, Subscription
from botkit.threads.records import (
    RunRecord,
    ThreadEvent,
    ThreadNotFound,
    ThreadPage,
    ThreadQueryError,
    ThreadRecord,
    check_id,
    check_list_query,
    check_page,
)
from botkit.types import Conversation, ThreadMessage

__all__ = ["Threads"]

def _sort_value(record: ThreadRecord, field: str) -> Any:
    value = getattr(record, field)
    if isinstance(value, str):
        return (1, value.casefold())
    return (0, 0.0) if value is None else (1, value)


class Threads:
    """The threads API (``bot.threads``). Works on any ``StateStore``; ``messages`` also
    needs the platform adapter, so it only works inside the running bot."""

    def __init__(
        self,
        store: StateStore,
        *,
        adapter_for: Callable[[str], PlatformAdapter | None] | None = None,
        clock: Callable[[], float] = time.time,
        history_limit: int = 100,
    ) -> None:
        self.store = store
        self._adapter_for = adapter_for
        self._clock = clock
        self.history_limit = history_limit
        self.hub = EventHub(store)
        self._seq = 0

    def now(self) -> float:
        return self._clock()

    # -- events ------------------------------------------------------------------------
    def subscribe(self, *, after: str | None = None, thread_id: str | None = None
                  ) -> contextlib.AbstractAsyncContextManager[Subscription]:
        """``async with bot.threads.subscribe() as events: async for event in events: …``;
        ``after`` (an ``event_id``) replays what came since, ``thread_id`` filters."""
        return self.hub.subscribe(after=after, thread_id=thread_id)

    def _emit(self, kind: Any, thread_id: str, record: dict[str, Any] | None) -> None:
        self._seq += 1
        thread = None if record is None else ThreadRecord.from_dict(record)
        self.hub.publish(ThreadEvent(seq=self._seq, type=kind, thread_id=thread_id,
                                     at=self._clock(), thread=thread))

    def _announce(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        tid = new["id"]
        if old is None:
            self._emit("created", tid, new)
            return
        if old.get("title") != new.get("title"):
            self._emit("renamed", tid, new)
        if old.get("archived") != new.get("archived"):
            self._emit("archived" if new.get("archived") else "unarchived", tid, new)
        if old.get("status") != new.get("status"):
            self._emit("status_changed", tid, new)
        if old.get("metadata") != new.get("metadata"):
            self._emit("updated", tid, new)

    # -- record plumbing ---------------------------------------------------------------
    async def mutate(
        self, thread_id: str,
        change: Callable[[dict[str, Any] | None], dict[str, Any] | None],
    ) -> dict[str, Any] | None:
        """Apply ``change`` to the stored record atomically (compare-and-set, retried);
        ``change`` returns the new record, or None for "leave it". Returns the result."""
        key = keys.thread_record(thread_id)
        for _ in range(100):
            old = await self.store.get(key)
            new = change(copy.deepcopy(old))
            if new is None or new == old:
                return old
            if await self.store.compare_and_set(key, old, new):
                self._announce(old, new)
                return new
        raise RuntimeError(f"the record of thread {thread_id!r} kept changing under us")

    def new_record(self, thread_id: str, platform: str, conversation: Conversation,
                   title: str = "") -> dict[str, Any]:
        now = self._clock()
        return ThreadRecord(
            id=thread_id, platform=platform, channel=conversation.channel, title=title,
            created_at=now, updated_at=now,
            conversation={"id": conversation.id, "channel": conversation.channel,
                          "thread": conversation.thread, "is_direct": conversation.is_direct},
        ).to_dict()

    # -- reading -----------------------------------------------------------------------
    async def get(self, thread_id: str) -> ThreadRecord:
        """The record (``ThreadNotFound`` when there is none)."""
        data = await self.store.get(keys.thread_record(check_id(thread_id)))
        if data is None:
            raise ThreadNotFound(thread_id)
        return ThreadRecord.from_dict(data)

    async def get_state(self, thread_id: str) -> Any:
        """The agent's state (AG-UI state; ``{}`` when none)."""
        await self.get(thread_id)
        return await self.read_state(thread_id)

    async def read_state(self, thread_id: str) -> Any:
        state = await self.store.get(keys.thread_state(thread_id))
        return {} if state is None else state

    async def history(self, thread_id: str, *, limit: int = 20) -> list[RunRecord]:
        """The newest ``limit`` runs, newest first."""
        if errors := check_page(limit, 0):
            raise ThreadQueryError(errors)
        await self.get(thread_id)
        runs = await self.store.list_range(keys.run_history(thread_id), -limit)
        return [RunRecord.from_dict(r) for r in reversed(runs)]

    async def messages(self, thread_id: str, *, limit: int = 50, offset: int = 0,
                       search: str | None = None) -> list[ThreadMessage]:
        """The conversation's messages from the platform (never stored by botkit): the
        newest ``limit`` after skipping the ``offset`` newest, oldest first. Status lines
        are left out; ``search`` keeps messages containing it (case-insensitive)."""
        if errors := check_page(limit, offset):
            raise ThreadQueryError(errors)
        record = await self.get(thread_id)
        adapter = self._adapter_for(record.platform) if self._adapter_for else None
        if adapter is None:
            raise UserError(f"messages of {thread_id!r} come from the {record.platform!r} "
                            "platform: ask the running bot (its threads API), not the store")
        if not adapter.capabilities.get_messages:
            return []
        conv = record.conversation
        items = await adapter.get_messages(Conversation(
            id=conv.get("id", record.id), channel=conv.get("channel", record.channel),
            thread=conv.get("thread"), is_direct=bool(conv.get("is_direct"))))
        items = [m for m in items if not m.is_status]
        if search:
            items = [m for m in items if search.casefold() in m.text.casefold()]
        end = max(0, len(items) - offset)
        return items[max(0, end - limit):end]

    # -- changing ----------------------------------------------------------------------
    async def rename(self, thread_id: str, title: str) -> ThreadRecord:
        return await self.update(thread_id, title=title)

    async def archive(self, thread_id: str) -> ThreadRecord:
        return await self.update(thread_id, archived=True)

    async def unarchive(self, thread_id: str) -> ThreadRecord:
        return await self.update(thread_id, archived=False)

    async def update(self, thread_id: str, *, title: str | None = None,
                     metadata: Mapping[str, Any] | None = None,
                     archived: bool | None = None) -> ThreadRecord:
        """Change several fields in one step. ``metadata`` is merged: a None value removes
        that key."""
        check_id(thread_id)
        if title is not None and (not isinstance(title, str) or not title.strip()):
            raise ThreadQueryError([("title", "must be a non-empty string")])

        def apply(old: dict[str, Any] | None) -> dict[str, Any]:
            if old is None:
                raise ThreadNotFound(thread_id)
            new = {**old, "updated_at": self._clock()}
            if title is not None:
                new["title"] = title.strip()
            if archived is not None:
                new["archived"] = bool(archived)
            if metadata is not None:
                merged = dict(old.get("metadata") or {})
                for key, value in metadata.items():
                    if value is None:
                        merged.pop(key, None)
                    else:
                        merged[key] = value
                new["metadata"] = merged
            return new
        result = await self.mutate(thread_id, apply)
        assert result is not None
        return ThreadRecord.from_dict(result)

    async def set_state(self, thread_id: str, state: Any) -> Any:
        """Replace the agent state."""
        await self.get(thread_id)
        await self.write_state(thread_id, state)
        return state

    async def update_state(self, thread_id: str, values: Mapping[str, Any] | None = None, *,
                           patch: Sequence[Mapping[str, Any]] | None = None) -> Any:
        """Merge ``values`` into the state's top level, or apply a JSON Patch (the AG-UI
        ``STATE_DELTA`` format). Returns the new state."""
        if (values is None) == (patch is None):
            raise ThreadQueryError([("values", "pass exactly one of values or patch")])
        current = await self.get_state(thread_id)
        if values is not None:
            if not isinstance(current, dict):
                raise ThreadQueryError([("values", "the state is not an object: use patch")])
            new = {**current, **values}
        else:
            try:
                new = jsonpatch.apply_patch(current, list(patch or ()))
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException,
                    TypeError, KeyError) as exc:
                raise ThreadQueryError([("patch", f"cannot apply: {exc}")]) from exc
        await self.write_state(thread_id, new)
        return new

    async def clear_state(self, thread_id: str) -> None:
        await self.get(thread_id)
        await self.store.delete(keys.thread_state(thread_id))
        self._emit("state_changed", thread_id, None)

    async def write_state(self, thread_id: str, state: Any) -> None:
        await self.store.set(keys.thread_state(thread_id), state)
        self._emit("state_changed", thread_id, None)

    async def delete(self, thread_id: str) -> None:
        """Forget the thread: record, state, run history, pending interrupt. The platform's
        messages stay where they are."""
        await self.get(thread_id)
        for key in keys.PER_THREAD:
            await self.store.delete(key(thread_id))
        await self.store.delete(keys.thread_record(thread_id))
        self._emit("deleted", thread_id, None)

    async def copy(self, thread_id: str, new_id: str | None = None, *,
                   title: str | None = None) -> ThreadRecord:
        """A new record with this thread's title, metadata, state and run history. Its
        ``messages`` are still the original conversation's."""
        problems = [(name, "must be a string") for name, value in
                    (("new_id", new_id), ("title", title))
                    if value is not None and not isinstance(value, str)]
        if problems:
            raise ThreadQueryError(problems)
        source = (await self.get(thread_id)).to_dict()
        target = new_id if new_id is not None else f"{thread_id}~{uuid.uuid4().hex[:8]}"
        check_id(target, "new_id")
        now = self._clock()
        record = {**source, "id": target, "copied_from": thread_id, "status": "idle",
                  "current_run": None, "created_at": now, "updated_at": now,
                  "title": title or source["title"]}
        if not await self.store.compare_and_set(keys.thread_record(target), None, record):
            raise ThreadQueryError([("new_id", f"a thread {target!r} already exists")])
        state = await self.store.get(keys.thread_state(thread_id))
        if state is not None:
            await self.store.set(keys.thread_state(target), state)
        for run in await self.store.list_range(keys.run_history(thread_id)):
            await self.store.list_append(keys.run_history(target), run,
                                         max_len=self.history_limit)
        self._emit("created", target, record)
        return ThreadRecord.from_dict(record)

    async def list(
        self, *, search: str | None = None, status: str | Iterable[str] | None = None,
        metadata: Mapping[str, Any] | None = None, platform: str | None = None,
        archived: bool | None = False, limit: int = 50, offset: int = 0,
        sort_by: str = "updated_at", sort_order: str = "desc",
    ) -> ThreadPage:
        """Find threads. ``search`` matches title or id (case-insensitive); ``metadata``
        keeps records whose metadata has all these pairs; ``archived`` False (default)
        hides archived threads, True shows only them, None both."""
        statuses = check_list_query(search=search, status=status, metadata=metadata,
                                    platform=platform, limit=limit, offset=offset,
                                    sort_by=sort_by, sort_order=sort_order, archived=archived)
        record_keys = await self.store.scan(keys.THREAD_RECORD_PREFIX)
        found = [ThreadRecord.from_dict(d) for d in await self.store.get_many(record_keys) if d]
        needle = search.casefold() if search else None
        picked = [
            r for r in found
            if (not statuses or r.status in statuses)
            and (platform is None or r.platform == platform)
            and (archived is None or r.archived == archived)
            and (needle is None or needle in r.title.casefold() or needle in r.id.casefold())
            and all(r.metadata.get(k) == v for k, v in (metadata or {}).items())
        ]
        picked.sort(key=lambda r: r.id)
        picked.sort(key=lambda r: _sort_value(r, sort_by), reverse=sort_order == "desc")
        return ThreadPage(threads=tuple(picked[offset:offset + limit]), total=len(picked),
                          limit=limit, offset=offset)
