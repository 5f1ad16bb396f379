"""Copying a thread (``bot.threads.copy``) and seeding one with LangGraph supersteps."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botkit import keys
from botkit.codec import encode_conversation
from botkit.store.base import StateStore
from botkit.threads.errors import ThreadConflict, ThreadQueryError
from botkit.threads.records import Checkpoint, ThreadRecord
from botkit.types import Conversation

__all__ = ["ThreadCopyMixin", "reduce_values"]


def reduce_values(current: Any, update: Any) -> Any:
    """One update applied the way LangGraph's reducers do for a messages-style state: a
    list value is appended to the list already there; any other value replaces."""
    if not isinstance(update, Mapping):
        return update
    base = dict(current) if isinstance(current, Mapping) else {}
    for key, value in update.items():
        old = base.get(key)
        base[key] = [*old, *value] if isinstance(old, list) and isinstance(value, list) \
            else value
    return base


class ThreadCopyMixin:
    store: StateStore
    history_limit: int

    if TYPE_CHECKING:
        def now(self) -> float: ...
        async def get(self, thread_id: str) -> ThreadRecord: ...
        def _emit(self, kind: Any, thread_id: str, record: ThreadRecord | None) -> None: ...
        async def _forget(self, thread_id: str) -> None: ...
        async def copy_checkpoints(self, source: str, target: str) -> None: ...
        async def copy_messages(self, source: str, target: str) -> int: ...
        async def _commit(self, thread_id: str, compute: Any, *, source: str,
                          run_id: str | None = None, metadata: Mapping[str, Any] | None = None,
                          check: Any = None) -> Checkpoint: ...

    async def apply_superstep(self, thread_id: str,
                              updates: Sequence[tuple[Any, str | None]]) -> Checkpoint:
        """One superstep: its updates applied in order (``reduce_values``), one
        checkpoint named after the last update's node (``as_node``)."""
        node = next((n for _, n in reversed(updates) if n), None)

        def compute(values: Any) -> Any:
            for update, _ in updates:
                values = reduce_values(values, update)
            return values
        return await self._commit(thread_id, compute, source="input",
                                  metadata={"as_node": node} if node else None)

    async def copy(self, thread_id: str, new_id: str | None = None, *,
                   title: str | None = None) -> ThreadRecord:
        """A new, independent thread with this one's title, metadata, state, checkpoints
        and run history, in a conversation of its own. Where botkit keeps the platform's
        messages (a ``MessageKeeper``, the web adapter) they are copied too; on a platform
        that keeps its own (Slack) the copy has no messages."""
        problems = [(name, "must be a string") for name, value in
                    (("new_id", new_id), ("title", title))
                    if value is not None and not isinstance(value, str)]
        if problems:
            raise ThreadQueryError(problems)
        source = await self.get(thread_id)
        target = new_id if new_id else str(uuid.uuid4())
        now = self.now()
        record = ThreadRecord.from_dict({
            **source.to_dict(), "id": target, "copied_from": thread_id, "status": "idle",
            "current_run": None, "live_runs": (), "created_at": now, "updated_at": now,
            "channel": target,
            "conversation": encode_conversation(Conversation(id=target, channel=target)),
            "title": (title or "").strip() or source.title})
        if not await self.store.compare_and_set(keys.thread_record(target), None,
                                                record.to_store()):
            raise ThreadConflict(f"a thread {target!r} already exists")
        try:
            await self.copy_checkpoints(thread_id, target)
            for run in await self.store.list_range(keys.run_history(thread_id)):
                await self.store.list_append(keys.run_history(target),
                                             {**run, "thread_id": target},
                                             max_len=self.history_limit)
            await self.copy_messages(thread_id, target)
        except BaseException:
            await self._forget(target)
            raise
        self._emit("created", target, record)
        return record
