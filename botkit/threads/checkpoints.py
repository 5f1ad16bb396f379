"""A thread's agent state and its checkpoints (``bot.threads`` state methods).

The current state is at ``state:<id>`` (what a run reads); every write also appends a
``Checkpoint`` to ``ckpt:<id>`` (newest ``checkpoint_limit`` kept), so the state's history
can be read back. Runs write through ``write_state`` (and ``record_run`` at their end);
callers from outside (the HTTP API, operators) use ``update_state`` / ``set_state`` /
``clear_state``, which refuse while a run is going (``ThreadBusy``: the run would overwrite
the change when it ends) and take ``if_match`` (an ETag: the checkpoint id) to refuse a
write based on a state that moved on (``PreconditionFailed``).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import jsonpatch

from botkit import keys
from botkit.store.base import StateStore
from botkit.threads.records import (
    Checkpoint,
    PreconditionFailed,
    ThreadBusy,
    ThreadConflict,
    ThreadNotFound,
    ThreadQueryError,
    ThreadRecord,
    check_page,
)

__all__ = ["CheckpointNotFound", "ThreadStateMixin", "state_etag"]


class CheckpointNotFound(ThreadNotFound):
    """No checkpoint of this thread has this id (HTTP 404)."""

    def __init__(self, thread_id: str, checkpoint_id: str) -> None:
        super().__init__(thread_id)
        self.args = (f"thread {thread_id!r} has no checkpoint {checkpoint_id!r}",)


def state_etag(checkpoint_id: str | None) -> str:
    """The version of a thread's state (``ETag`` / ``If-Match``): its head checkpoint."""
    return f'"{checkpoint_id or "none"}"'


def _new_id(step: int) -> str:
    """Checkpoint ids that sort by step, like LangGraph's (a UUID)."""
    return str(uuid.UUID(int=(step << 64) | secrets.randbits(64)))


class ThreadStateMixin:
    store: StateStore
    checkpoint_limit: int

    if TYPE_CHECKING:
        def now(self) -> float: ...
        async def get(self, thread_id: str) -> ThreadRecord: ...
        def _emit(self, kind: Any, thread_id: str, record: dict[str, Any] | None) -> None: ...
        async def mutate(self, thread_id: str, change: Callable[[dict[str, Any] | None],
                         dict[str, Any] | None]) -> dict[str, Any] | None: ...

    # -- reading -----------------------------------------------------------------------
    async def read_state(self, thread_id: str) -> Any:
        state = await self.store.get(keys.thread_state(thread_id))
        return {} if state is None else state

    async def head(self, thread_id: str) -> Checkpoint | None:
        """The newest checkpoint (None before the first state write)."""
        items = await self.store.list_range(keys.checkpoints(thread_id), -1)
        return Checkpoint.from_dict(items[0]) if items else None

    async def state(self, thread_id: str, checkpoint_id: str | None = None) -> Checkpoint:
        """The state at ``checkpoint_id`` (default: now) as a ``Checkpoint``. A thread
        never written to has an empty one whose ``checkpoint_id`` is ""."""
        record = await self.get(thread_id)
        if checkpoint_id is not None:
            return await self.checkpoint(thread_id, checkpoint_id)
        head = await self.head(thread_id)
        if head is not None:
            return head
        return Checkpoint(checkpoint_id="", thread_id=thread_id, step=-1, source="input",
                          values=await self.read_state(thread_id),
                          created_at=record.created_at)

    async def get_state(self, thread_id: str, checkpoint_id: str | None = None) -> Any:
        """The agent's state values (AG-UI state; ``{}`` when none)."""
        return (await self.state(thread_id, checkpoint_id)).values

    async def checkpoint(self, thread_id: str, checkpoint_id: str) -> Checkpoint:
        for item in await self.store.list_range(keys.checkpoints(thread_id)):
            if item.get("checkpoint_id") == checkpoint_id:
                return Checkpoint.from_dict(item)
        await self.get(thread_id)
        raise CheckpointNotFound(thread_id, checkpoint_id)

    async def history(self, thread_id: str, *, limit: int = 10, before: str | None = None,
                      metadata: Mapping[str, Any] | None = None) -> list[Checkpoint]:
        """Checkpoints, newest first: ``limit`` of them, older than ``before`` (a
        checkpoint id) when given, whose metadata has all of ``metadata``'s pairs."""
        errors = check_page(limit, 0, max_limit=1000)
        if metadata is not None and not isinstance(metadata, Mapping):
            errors.append(("metadata", "must be an object"))
        if errors:
            raise ThreadQueryError(errors)
        await self.get(thread_id)
        items = [Checkpoint.from_dict(d)
                 for d in reversed(await self.store.list_range(keys.checkpoints(thread_id)))]
        if before is not None:
            ids = [c.checkpoint_id for c in items]
            if before not in ids:
                raise CheckpointNotFound(thread_id, before)
            items = items[ids.index(before) + 1:]
        if metadata:
            items = [c for c in items if all(
                c.to_state()["metadata"].get(k) == v for k, v in metadata.items())]
        return items[:limit]

    # -- writing -----------------------------------------------------------------------
    async def write_state(self, thread_id: str, state: Any, *, source: str | None = None,
                          run_id: str | None = None,
                          metadata: Mapping[str, Any] | None = None) -> Checkpoint:
        """Store the state and make a checkpoint of it, without the busy check (for runs
        and handlers). Inside a run (the record says busy) the checkpoint names the run."""
        if source is None:
            record = await self.store.get(keys.thread_record(thread_id)) or {}
            run_id = run_id or (record.get("current_run") if record.get("status") == "busy"
                                else None)
            source = "loop" if run_id else "update"
        head = await self.head(thread_id)
        step = await self.store.incr(keys.checkpoint_step(thread_id))
        point = Checkpoint(checkpoint_id=_new_id(step), thread_id=thread_id, values=state,
                           created_at=self.now(), step=step, source=source,
                           parent_checkpoint_id=None if head is None else head.checkpoint_id,
                           run_id=run_id, metadata=dict(metadata or {}))
        await self.store.list_append(keys.checkpoints(thread_id), point.to_dict(),
                                     max_len=self.checkpoint_limit)
        await self.store.set(keys.thread_state(thread_id), state)
        self._emit("state_changed", thread_id, None)
        return point

    async def record_run(self, thread_id: str, run_id: str, status: str) -> Checkpoint:
        """The checkpoint a run leaves when it ends (run tracking calls this)."""
        return await self.write_state(thread_id, await self.read_state(thread_id),
                                      source="loop", run_id=run_id,
                                      metadata={"run_status": status})

    async def _guarded_write(self, thread_id: str, if_match: str | None,
                             compute: Callable[[Any], Any],
                             metadata: Mapping[str, Any] | None = None) -> Checkpoint:
        head = await self.head(thread_id)
        current = state_etag(None if head is None else head.checkpoint_id)

        def claim(old: dict[str, Any] | None) -> dict[str, Any]:
            if old is None:
                raise ThreadNotFound(thread_id)
            if old.get("status") == "busy":
                raise ThreadBusy(thread_id)
            if if_match not in (None, "*") and if_match != current:
                raise PreconditionFailed(f"the state of {thread_id!r}", current)
            return {**old, "updated_at": self.now()}
        await self.mutate(thread_id, claim)
        new = compute(await self.read_state(thread_id))
        return await self.write_state(thread_id, new, source="update", metadata=metadata)

    async def set_state(self, thread_id: str, state: Any, *,
                        if_match: str | None = None) -> Checkpoint:
        """Replace the agent state (a new checkpoint)."""
        return await self._guarded_write(thread_id, if_match, lambda _: state)

    async def update_state(self, thread_id: str, values: Mapping[str, Any] | None = None, *,
                           patch: Sequence[Mapping[str, Any]] | None = None,
                           if_match: str | None = None,
                           as_node: str | None = None) -> Checkpoint:
        """Merge ``values`` into the state's top level, then apply ``patch`` (a JSON Patch,
        the AG-UI ``STATE_DELTA`` format): a new checkpoint. ``ThreadBusy`` while a run is
        going; ``ThreadConflict`` when they do not apply to the current state."""
        if values is not None and not isinstance(values, Mapping):
            raise ThreadQueryError([("values", "must be an object")])

        def compute(current: Any) -> Any:
            new = current
            if values:
                if not isinstance(current, dict):
                    raise ThreadConflict("the state is not an object, so values cannot be "
                                         "merged into it: use patch")
                new = {**current, **values}
            if patch:
                try:
                    new = jsonpatch.apply_patch(new, list(patch))
                except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException,
                        TypeError, KeyError, ValueError, IndexError) as exc:
                    raise ThreadConflict(f"the patch does not apply to the current state: "
                                         f"{exc}") from exc
            return new
        meta = {"as_node": as_node} if as_node else None
        return await self._guarded_write(thread_id, if_match, compute, meta)

    async def clear_state(self, thread_id: str, *, if_match: str | None = None) -> Checkpoint:
        """Empty the state (a new checkpoint whose values are ``{}``)."""
        return await self._guarded_write(thread_id, if_match, lambda _: {})

    async def copy_checkpoints(self, source: str, target: str) -> None:
        for item in await self.store.list_range(keys.checkpoints(source)):
            await self.store.list_append(keys.checkpoints(target), {**item, "thread_id": target},
                                         max_len=self.checkpoint_limit)
        head = await self.head(source)
        if head is not None:
            await self.store.incr(keys.checkpoint_step(target), head.step)
        state = await self.store.get(keys.thread_state(source))
        if state is not None:
            await self.store.set(keys.thread_state(target), state)
