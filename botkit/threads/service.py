"""``bot.threads``: create, find, inspect and manage the conversations a bot keeps.

Records live in the bot's store (``thread:<id>``), next to the agent state and its
checkpoints (``state:<id>``, ``ckpt:<id>``: see ``botkit.threads.checkpoints``), the run
history (``runs:<id>``, newest ``history_limit`` runs) and the pending interrupt. A record
is created by ``create``, or the first time a handled message arrives or a run starts.
``delete`` removes what botkit stored, never the platform's messages; it is refused
(``ThreadBusy``) while a run is going.
"""

from __future__ import annotations

import builtins
import dataclasses
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from botkit import keys
from botkit.adapter import PlatformAdapter
from botkit.codec import encode_conversation
from botkit.store.base import StateStore
from botkit.threads.announce import ThreadAnnounceMixin
from botkit.threads.checkpoints import ThreadStateMixin, head_values
from botkit.threads.copying import ThreadCopyMixin
from botkit.threads.errors import (
    PreconditionFailed,
    ThreadBusy,
    ThreadConflict,
    ThreadNotFound,
    ThreadQueryError,
)
from botkit.threads.events import EventHub
from botkit.threads.messages import ThreadMessagesMixin
from botkit.threads.queries import check_id, check_page, check_users
from botkit.threads.records import RunRecord, ThreadRecord, view_etag
from botkit.threads.search import ThreadSearchMixin
from botkit.threads.waiting import Waiting
from botkit.types import Conversation

__all__ = ["UNREAD", "WEB", "PendingTouch", "Threads"]

log = logging.getLogger("botkit")
WEB = "web"
Change = Callable[[ThreadRecord | None], ThreadRecord | None]
UNREAD: Any = object()
"""``Threads.mutate``'s ``stored`` when the caller has not read the record."""


@dataclasses.dataclass(slots=True)
class PendingTouch:
    """A touch not written yet: the title for a record that has none, and the record as
    stored when the message arrived (tried first by the write that carries the touch)."""

    title: str
    stored: Any


class Threads(ThreadAnnounceMixin, ThreadStateMixin, ThreadMessagesMixin, ThreadSearchMixin,
              ThreadCopyMixin):
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
        self.touches: dict[str, PendingTouch] = {}
        """Handled messages whose touch of an existing record (``updated_at``, a title
        when it has none) waits for the turn's next record write (``botkit.run.tracking``:
        the run's start, else the end of the turn), by thread id."""
        self.route_groups: builtins.list[Any] = []
        """Extra HTTP route groups (``botkit.threads.http.RouteGroup``) the threads API
        serves next to its own: an adapter appends its routes here before the bot starts."""

    def now(self) -> float:
        return self._clock()

    # -- record plumbing ---------------------------------------------------------------
    async def mutate(self, thread_id: str, change: Change, *, stored: Any = UNREAD
                     ) -> ThreadRecord | None:
        """Apply ``change`` to the stored record atomically (compare-and-set, retried):
        it gets the record (None when there is none) and returns the new one, or None
        for "leave it". Returns the record as it then is (None when there is none).
        ``stored``: the record's stored value as the caller last read it, tried first
        (one read less; when it is stale the compare-and-set fails and the record is read
        again)."""
        key = keys.thread_record(thread_id)
        for _ in range(100):
            read = stored is UNREAD
            if read:
                stored = await self.store.get(key)
            old = None if stored is None else ThreadRecord.from_dict(stored)
            new = change(old)
            if new is None or new == old:
                if read:
                    return old
                stored = UNREAD  # decided on the caller's copy: read the record to be sure
                continue
            if await self.store.compare_and_set(key, stored, new.to_store()):
                self._announce(old, new)
                return new
            stored = UNREAD
        raise RuntimeError(f"the record of thread {thread_id!r} kept changing under us")

    def new_record(self, thread_id: str, platform: str, conversation: Conversation,
                   title: str = "", **extra: Any) -> ThreadRecord:
        now = self._clock()
        return ThreadRecord(id=thread_id, platform=platform, channel=conversation.channel,
                            title=title, created_at=now, updated_at=now,
                            conversation=encode_conversation(dataclasses.replace(
                                conversation, raw={})),  # the platform's own data stays out
                            **extra)

    # -- reading -----------------------------------------------------------------------
    async def get(self, thread_id: str) -> ThreadRecord:
        """The record (``ThreadNotFound`` when there is none)."""
        data = await self.store.get(keys.thread_record(check_id(thread_id)))
        if data is None:
            raise ThreadNotFound(thread_id)
        return ThreadRecord.from_dict(data)

    async def waiting(self, thread_id: str) -> Waiting:
        """The interrupts the thread waits on (``Waiting()`` when none)."""
        return Waiting.of(await self.store.get(keys.pending_interrupt(thread_id)))

    async def interrupts(self, thread_id: str) -> dict[str, builtins.list[dict[str, Any]]]:
        """The pending interrupts, LangGraph-shaped: ``{interrupt id: [{"value", "id"}]}``."""
        return (await self.waiting(thread_id)).by_id()

    async def views(self, records: Sequence[ThreadRecord]) -> builtins.list[dict[str, Any]]:
        """The records in the API's shape, with their state values and interrupts (read
        in two store calls)."""
        ids = [r.id for r in records]
        heads = await self.store.get_many([keys.thread_state(i) for i in ids])
        pending = await self.store.get_many([keys.pending_interrupt(i) for i in ids])
        return [r.to_api(values=head_values(h), interrupts=Waiting.of(p).by_id())
                for r, h, p in zip(records, heads, pending, strict=True)]

    async def etag(self, record: ThreadRecord) -> str:
        """The record's version as the API shows it (``ETag``): over the whole thread,
        values and interrupts included."""
        return view_etag((await self.views([record]))[0])

    async def _check_version(self, record: ThreadRecord, if_match: str | None) -> None:
        if if_match not in (None, "*") and (current := await self.etag(record)) != if_match:
            raise PreconditionFailed(f"thread {record.id!r}", current)

    async def runs(self, thread_id: str, *, limit: int = 20) -> builtins.list[RunRecord]:
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
        supersteps: Sequence[Sequence[tuple[Any, str | None]]] = (),
    ) -> ThreadRecord:
        """A new thread (a ``web`` thread unless ``platform`` says otherwise).
        ``if_exists="do_nothing"`` returns the existing one instead of raising
        ``ThreadConflict``. ``values`` becomes its first checkpoint; ``supersteps`` (each a
        list of ``(values, as_node)`` updates; list values are appended, as LangGraph's
        messages reducer does) one checkpoint each; ``messages`` (``{"text", "role",
        "user"}``) are added to its platform's conversation. Nothing is left behind when
        a step fails: the thread is created whole or not at all."""
        errors = check_users(user_id, builtins.list(participants))
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
        if not await self.store.compare_and_set(keys.thread_record(tid), None,
                                                record.to_store()):
            if if_exists == "do_nothing":
                return await self.get(tid)
            raise ThreadConflict(f"a thread {tid!r} already exists (if_exists: do_nothing "
                                 "returns it instead)")
        added: builtins.list[str] = []
        try:
            await self._fill(tid, values, supersteps, messages, added)
        except BaseException:
            await self._undo(tid, added)
            raise
        self._emit("created", tid, record)
        return record

    async def _fill(self, tid: str, values: Any,
                    supersteps: Sequence[Sequence[tuple[Any, str | None]]],
                    messages: Sequence[Mapping[str, Any]], added: builtins.list[str]
                    ) -> None:
        if values is not None or (messages and not supersteps):
            await self.write_state(tid, {} if values is None else values, source="input")
        for step in supersteps:
            await self.apply_superstep(tid, step)
        for message in messages:
            added.append((await self.add_message(
                tid, str(message.get("text") or message.get("content") or ""),
                role=message.get("role", "user"), user=message.get("user"))).id)

    async def _undo(self, tid: str, added: Sequence[str]) -> None:
        """Take back a half-made thread: its messages (where they can go), then its data."""
        for message_id in added:
            try:
                await self.delete_message(tid, message_id)
            except Exception:
                log.warning("could not take back message %s of the thread %s that failed "
                            "to be created", message_id, tid)
        await self._forget(tid)

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
        that key. ``if_match`` (an ``ETag``) refuses the change when the thread moved on."""
        check_id(thread_id)
        errors = check_users(user_id, [] if participants is None else builtins.list(
            participants))
        if title is not None and not isinstance(title, str):
            errors.append(("title", "must be a string"))
        if errors:
            raise ThreadQueryError(errors)
        version = await self.etag(await self.get(thread_id)) if if_match else None

        def apply(old: ThreadRecord | None) -> ThreadRecord:
            if old is None:
                raise ThreadNotFound(thread_id)
            if if_match not in (None, "*") and version != if_match:
                raise PreconditionFailed(f"thread {thread_id!r}", str(version))
            merged = dict(old.metadata)
            for key, value in (metadata or {}).items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            return ThreadRecord.from_dict({
                **old.to_dict(), "updated_at": self._clock(), "metadata": merged,
                **({} if title is None else {"title": title.strip()}),
                **({} if archived is None else {"archived": bool(archived)}),
                **({} if user_id is None else {"user_id": user_id}),
                **({} if participants is None else {"participants": tuple(participants)})})
        result = await self.mutate(thread_id, apply)
        assert result is not None
        return result

    async def delete(self, thread_id: str, *, if_match: str | None = None) -> None:
        """Forget the thread: record, state, checkpoints, run history, pending interrupt.
        The platform's messages stay where they are. ``ThreadBusy`` while a run is going
        (the run would leave its records behind)."""
        record = await self.get(thread_id)
        if record.status == "busy":
            raise ThreadBusy(thread_id, "it can be deleted")
        await self._check_version(record, if_match)
        await self._forget(thread_id)
        self._emit("deleted", thread_id, None)

    async def _forget(self, thread_id: str) -> None:
        await self.store.delete(keys.thread_record(thread_id))
        for key in keys.PER_THREAD:
            await self.store.delete(key(thread_id))
