"""``bot.threads``: create, find, inspect and manage the conversations a bot keeps.

Records live in the bot's store (``thread:<id>``), next to the agent state (``state:<id>``,
its checkpoints ``ckpt:<id>``: see ``botkit.threads.checkpoints``), the run history
(``runs:<id>``, newest ``history_limit`` runs) and the pending interrupt. A record is created
by ``create``, or the first time a handled message arrives or a run starts. ``delete``
removes what botkit stored, never the platform's messages.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import hashlib
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from botkit import keys
from botkit.adapter import PlatformAdapter
from botkit.store.base import StateStore, canonical_json
from botkit.store.streams import StreamId
from botkit.threads.checkpoints import ThreadStateMixin
from botkit.threads.events import EventHub, Subscription
from botkit.threads.messages import ThreadMessagesMixin
from botkit.threads.records import (
    PreconditionFailed,
    RunRecord,
    ThreadConflict,
    ThreadEvent,
    ThreadNotFound,
    ThreadPage,
    ThreadQueryError,
    ThreadRecord,
    check_id,
    check_list_query,
    check_page,
)
from botkit.types import Conversation

__all__ = ["Threads", "record_etag"]

WEB = "web"


def record_etag(record: ThreadRecord | Mapping[str, Any]) -> str:
    """The version of a record (``ETag`` / ``If-Match``)."""
    data = record.to_dict() if isinstance(record, ThreadRecord) else record
    return '"' + hashlib.sha256(canonical_json(data).encode()).hexdigest()[:20] + '"'


def _sort_value(record: ThreadRecord, field: str) -> Any:
    value = getattr(record, "id" if field == "thread_id" else field)
    if isinstance(value, str):
        return (1, value.casefold() if field == "title" else value)
    return (0, 0.0) if value is None else (1, value)


def _interrupts(pending: Any) -> dict[str, list[dict[str, Any]]]:
    if not isinstance(pending, dict):
        return {}
    key = str(pending.get("run_id") or pending.get("event_name") or "interrupt")
    return {key: [{"value": pending.get("payload"), "id": pending.get("event_name")}]}


def _check_users(user_id: object, participants: object) -> list[tuple[str, str]]:
    errors = []
    if user_id is not None and (not isinstance(user_id, str) or not user_id):
        errors.append(("user_id", "must be a non-empty string"))
    if not isinstance(participants, list | tuple) or not all(
            isinstance(p, str) and p for p in participants):
        errors.append(("participants", "must be a list of user ids"))
    return errors


class Threads(ThreadStateMixin, ThreadMessagesMixin):
    """The threads API (``bot.threads``). Works on any ``StateStore``; messages also need
    the platform adapter, so they only work inside the running bot."""

    def __init__(
        self,
        store: StateStore,
        *,
        adapter_for: Callable[[str], PlatformAdapter | None] | None = None,
        clock: Callable[[], float] = time.time,
        history_limit: int = 100,
        checkpoint_limit: int = 200,
    ) -> None:
        self.store = store
        self._adapter_for = adapter_for
        self._clock = clock
        self.history_limit = history_limit
        self.checkpoint_limit = checkpoint_limit
        self.hub = EventHub(store)
        self._seq = 0
        self.route_groups: list[Any] = []
        """Extra HTTP route groups (``botkit.threads.http.RouteGroup``) the threads API
        serves next to its own: an adapter appends its routes here before the bot starts."""

    def now(self) -> float:
        return self._clock()

    # -- events ------------------------------------------------------------------------
    def subscribe(self, *, last_event_id: str | None = None, after: str | None = None,
                  thread_id: str | None = None
                  ) -> contextlib.AbstractAsyncContextManager[Subscription]:
        """``async with bot.threads.subscribe() as events: async for event in events: …``
        With ``last_event_id`` (or ``after``), first the events after it that the event bus
        still keeps (every process's, in one order); ``thread_id`` keeps one thread's."""
        since = last_event_id or after
        if since is not None:
            try:
                StreamId.parse(since)
            except ValueError:
                raise ThreadQueryError([("Last-Event-ID", "must be an event id, as sent in "
                                         "the stream's id: lines")]) from None
        return self.hub.subscribe(after=since, thread_id=thread_id)

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
        if any(old.get(k) != new.get(k) for k in ("metadata", "user_id", "participants")):
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
                   title: str = "", **extra: Any) -> dict[str, Any]:
        now = self._clock()
        return ThreadRecord(
            id=thread_id, platform=platform, channel=conversation.channel, title=title,
            created_at=now, updated_at=now,
            conversation={"id": conversation.id, "channel": conversation.channel,
                          "thread": conversation.thread, "is_direct": conversation.is_direct},
            **extra,
        ).to_dict()

    # -- reading -----------------------------------------------------------------------
    async def get(self, thread_id: str) -> ThreadRecord:
        """The record (``ThreadNotFound`` when there is none)."""
        data = await self.store.get(keys.thread_record(check_id(thread_id)))
        if data is None:
            raise ThreadNotFound(thread_id)
        return ThreadRecord.from_dict(data)

    async def interrupts(self, thread_id: str) -> dict[str, list[dict[str, Any]]]:
        """The pending interrupt, LangGraph-shaped: ``{run id: [{"value", "id"}]}``."""
        return _interrupts(await self.store.get(keys.pending_interrupt(thread_id)))

    async def views(self, records: Sequence[ThreadRecord]) -> builtins.list[dict[str, Any]]:
        """The records in the API's shape, with their state values and interrupts (read
        in two store calls)."""
        ids = [r.id for r in records]
        states = await self.store.get_many([keys.thread_state(i) for i in ids])
        pending = await self.store.get_many([keys.pending_interrupt(i) for i in ids])
        return [r.to_api(values={} if v is None else v, interrupts=_interrupts(p))
                for r, v, p in zip(records, states, pending, strict=True)]

    async def runs(self, thread_id: str, *, limit: int = 20) -> list[RunRecord]:
        """The newest ``limit`` runs, newest first."""
        if errors := check_page(limit, 0):
            raise ThreadQueryError(errors)
        await self.get(thread_id)
        runs = await self.store.list_range(keys.run_history(thread_id), -limit)
        return [RunRecord.from_dict(r) for r in reversed(runs)]

    # -- creating and changing ---------------------------------------------------------
    async def create(
        self, thread_id: str | None = None, *, metadata: Mapping[str, Any] | None = None,
        if_exists: Literal["raise", "do_nothing"] = "raise", platform: str = WEB,
        title: str = "", user_id: str | None = None, participants: Sequence[str] = (),
        values: Any = None, messages: Sequence[Mapping[str, Any]] = (),
    ) -> ThreadRecord:
        """A new thread (a ``web`` thread unless ``platform`` says otherwise).
        ``if_exists="do_nothing"`` returns the existing one instead of raising
        ``ThreadConflict``. ``values`` becomes its first checkpoint; ``messages``
        (``{"text", "role"}``) are added to its platform's conversation."""
        errors = _check_users(user_id, list(participants))
        if thread_id is not None and (not isinstance(thread_id, str) or not thread_id.strip()):
            errors.append(("thread_id", "must be a non-empty string"))
        if if_exists not in ("raise", "do_nothing"):
            errors.append(("if_exists", "must be raise or do_nothing"))
        if metadata is not None and not isinstance(metadata, Mapping):
            errors.append(("metadata", "must be an object"))
        if errors:
            raise ThreadQueryError(errors)
        if messages:  # refuse before anything is created
            self.check_can_add(platform, [str(m.get("role", "user")) for m in messages])
        tid = thread_id or str(uuid.uuid4())
        record = self.new_record(
            tid, platform, Conversation(id=tid, channel=tid), title=title.strip(),
            metadata=dict(metadata or {}), user_id=user_id, participants=tuple(participants))
        if not await self.store.compare_and_set(keys.thread_record(tid), None, record):
            if if_exists == "do_nothing":
                return await self.get(tid)
            raise ThreadConflict(f"a thread {tid!r} already exists (if_exists: do_nothing "
                                 "returns it instead)")
        self._emit("created", tid, record)
        if values is not None or messages:
            await self.write_state(tid, {} if values is None else values, source="input")
        for message in messages:
            await self.add_message(tid, str(message.get("text") or message.get("content")
                                            or ""), role=message.get("role", "user"))
        return ThreadRecord.from_dict(record)

    async def rename(self, thread_id: str, title: str) -> ThreadRecord:
        return await self.update(thread_id, title=title)

    async def archive(self, thread_id: str) -> ThreadRecord:
        return await self.update(thread_id, archived=True)

    async def unarchive(self, thread_id: str) -> ThreadRecord:
        return await self.update(thread_id, archived=False)

    async def update(self, thread_id: str, *, title: str | None = None,
                     metadata: Mapping[str, Any] | None = None,
                     archived: bool | None = None, user_id: str | None = None,
                     participants: Sequence[str] | None = None,
                     if_match: str | None = None) -> ThreadRecord:
        """Change several fields in one step. ``metadata`` is merged: a None value removes
        that key. ``if_match`` (an ``ETag``) refuses the change when the record moved on."""
        check_id(thread_id)
        errors = _check_users(user_id, [] if participants is None else list(participants))
        if title is not None and not isinstance(title, str):
            errors.append(("title", "must be a string"))
        if errors:
            raise ThreadQueryError(errors)

        def apply(old: dict[str, Any] | None) -> dict[str, Any]:
            if old is None:
                raise ThreadNotFound(thread_id)
            if if_match not in (None, "*") and record_etag(old) != if_match:
                raise PreconditionFailed(f"thread {thread_id!r}", record_etag(old))
            new = {**old, "updated_at": self._clock()}
            if title is not None:
                new["title"] = title.strip()
            if archived is not None:
                new["archived"] = bool(archived)
            if user_id is not None:
                new["user_id"] = user_id
            if participants is not None:
                new["participants"] = list(participants)
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

    async def delete(self, thread_id: str, *, if_match: str | None = None) -> None:
        """Forget the thread: record, state, checkpoints, run history, pending interrupt.
        The platform's messages stay where they are."""
        record = await self.get(thread_id)
        if if_match not in (None, "*") and record_etag(record) != if_match:
            raise PreconditionFailed(f"thread {thread_id!r}", record_etag(record))
        for key in keys.PER_THREAD:
            await self.store.delete(key(thread_id))
        await self.store.delete(keys.thread_record(thread_id))
        self._emit("deleted", thread_id, None)

    async def copy(self, thread_id: str, new_id: str | None = None, *,
                   title: str | None = None) -> ThreadRecord:
        """A new record with this thread's title, metadata, state, checkpoints and run
        history. Its ``messages`` are still the original conversation's."""
        problems = [(name, "must be a string") for name, value in
                    (("new_id", new_id), ("title", title))
                    if value is not None and not isinstance(value, str)]
        if problems:
            raise ThreadQueryError(problems)
        source = (await self.get(thread_id)).to_dict()
        target = new_id if new_id else str(uuid.uuid4())
        now = self._clock()
        record = {**source, "id": target, "copied_from": thread_id, "status": "idle",
                  "current_run": None, "created_at": now, "updated_at": now,
                  "title": (title or "").strip() or source["title"]}
        if not await self.store.compare_and_set(keys.thread_record(target), None, record):
            raise ThreadConflict(f"a thread {target!r} already exists")
        await self.copy_checkpoints(thread_id, target)
        for run in await self.store.list_range(keys.run_history(thread_id)):
            await self.store.list_append(keys.run_history(target), run, max_len=self.history_limit)
        self._emit("created", target, record)
        return ThreadRecord.from_dict(record)

    # -- finding -----------------------------------------------------------------------
    async def list(
        self, *, search: str | None = None, status: str | Iterable[str] | None = None,
        metadata: Mapping[str, Any] | None = None, values: Mapping[str, Any] | None = None,
        ids: Sequence[str] | None = None, platform: str | None = None,
        user_id: str | None = None, archived: bool | None = False, limit: int = 50,
        offset: int = 0, sort_by: str = "updated_at", sort_order: str = "desc",
    ) -> ThreadPage:
        """Find threads. ``search`` matches title or id (case-insensitive); ``metadata`` /
        ``values`` keep threads whose metadata / state has all these pairs; ``ids`` only
        these threads; ``user_id`` its owner's and participant's threads; ``archived``
        False (default) hides archived threads, True shows only them, None both."""
        picked = await self._find(search=search, status=status, metadata=metadata,
                                  values=values, ids=ids, platform=platform, user_id=user_id,
                                  archived=archived, limit=limit, offset=offset,
                                  sort_by=sort_by, sort_order=sort_order)
        picked.sort(key=lambda r: r.id)
        picked.sort(key=lambda r: _sort_value(r, sort_by), reverse=sort_order == "desc")
        return ThreadPage(threads=tuple(picked[offset:offset + limit]), total=len(picked),
                          limit=limit, offset=offset)

    async def count(self, **filters: Any) -> int:
        """How many threads ``list`` would find (same filters, no paging)."""
        return (await self.list(**filters, limit=1)).total

    async def _find(self, *, search: str | None, status: Any, metadata: Any, values: Any,
                    ids: Any, platform: Any, user_id: Any, archived: Any,
                    **paging: Any) -> builtins.list[ThreadRecord]:
        errors: list[tuple[str, str]] = []
        if values is not None and not isinstance(values, Mapping):
            errors.append(("values", "must be an object of key/value pairs"))
        if ids is not None and (isinstance(ids, str) or not isinstance(ids, Sequence)
                                or not all(isinstance(i, str) for i in ids)):
            errors.append(("ids", "must be a list of thread ids"))
        if user_id is not None and not isinstance(user_id, str):
            errors.append(("user_id", "must be a string"))
        try:
            statuses = check_list_query(search=search, status=status, metadata=metadata,
                                        platform=platform, archived=archived, **paging)
        except ThreadQueryError as exc:
            errors = [(e["field"], e["message"]) for e in exc.errors] + errors
        if errors:
            raise ThreadQueryError(errors)
        record_keys = ([keys.thread_record(i) for i in dict.fromkeys(ids)] if ids is not None
                       else await self.store.scan(keys.THREAD_RECORD_PREFIX))
        found = [ThreadRecord.from_dict(d)
                 for d in await self.store.get_many(record_keys) if d]
        needle = search.casefold() if search else None
        picked = [
            r for r in found
            if (not statuses or r.status in statuses)
            and (platform is None or r.platform == platform)
            and (archived is None or r.archived == archived)
            and (user_id is None or r.visible_to(user_id))
            and (needle is None or needle in r.title.casefold() or needle in r.id.casefold())
            and all(r.metadata.get(k) == v for k, v in (metadata or {}).items())
        ]
        if values:
            states = await self.store.get_many([keys.thread_state(r.id) for r in picked])
            picked = [r for r, s in zip(picked, states, strict=True) if isinstance(s, dict)
                      and all(s.get(k) == v for k, v in values.items())]
        return picked
