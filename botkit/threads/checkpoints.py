"""A thread's agent state and its checkpoints (``bot.threads`` state methods).

The head checkpoint (the current state, its id and step) is one value at ``state:<id>``:
every write is a compare-and-set on it, so two writers never both win and a write never
rests on a state that moved on. After the head moves, the checkpoint is appended to
``ckpt:<id>`` (newest ``checkpoint_limit`` kept; read back ordered by step). Runs write
through ``write_state`` (and ``record_run`` at their end); callers from outside (the HTTP
API, operators) use ``update_state`` / ``set_state`` / ``clear_state``, which refuse while a
run is going (``ThreadBusy``: the run would overwrite the change when it ends) and take
``if_match`` (an ETag naming the head checkpoint) to refuse a write based on a state that
moved on (``PreconditionFailed``).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botkit import keys
from botkit.store.base import StateStore
from botkit.threads.errors import (
    PreconditionFailed,
    ThreadBusy,
    ThreadConflict,
    ThreadNotFound,
    ThreadQueryError,
)
from botkit.threads.queries import check_page
from botkit.threads.records import Checkpoint, ThreadRecord

if TYPE_CHECKING:
    import jsonpatch

__all__ = ["CheckpointNotFound", "ThreadStateMixin", "head_values", "state_etag"]

Check = Callable[[Checkpoint | None], None]
OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")


class CheckpointNotFound(ThreadNotFound):
    """No checkpoint of this thread has this id (HTTP 404)."""

    def __init__(self, thread_id: str, checkpoint_id: str) -> None:
        super().__init__(thread_id)
        self.args = (f"thread {thread_id!r} has no checkpoint {checkpoint_id!r}",)


def state_etag(checkpoint_id: str | None) -> str:
    """The version of a thread's state (``ETag`` / ``If-Match``): its head checkpoint."""
    return f'"{checkpoint_id or "none"}"'


_HEAD: Any = object()
"""``record_run``'s default: the run's checkpoint keeps the head's values."""


def _new_id(step: int) -> str:
    """Checkpoint ids that sort by step, like LangGraph's (a UUID)."""
    return str(uuid.UUID(int=(max(step, 0) << 64) | secrets.randbits(64)))


def _compiled(patch: Sequence[Mapping[str, Any]]) -> jsonpatch.JsonPatch:
    """``patch`` as a JSON Patch (RFC 6902), or ``ThreadQueryError`` naming each bad
    operation: every one needs ``path``; ``move``/``copy`` a ``from``; ``add``/``replace``
    /``test`` a ``value``."""
    import jsonpatch  # loaded by the first patched state, not by every bot (startup memory)

    problems = []
    for n, op in enumerate(patch):
        kind = op.get("op") if isinstance(op, Mapping) else None
        if kind not in OPERATIONS:
            problems.append((f"patch.{n}.op", f"must be one of {', '.join(OPERATIONS)}"))
            continue
        for name in ("path", *(("from",) if kind in ("move", "copy") else ())):
            pointer = op.get(name)
            if not isinstance(pointer, str) or (pointer and not pointer.startswith("/")):
                problems.append((f"patch.{n}.{name}", f"a {kind} needs {name}: a JSON "
                                 "Pointer (\"\" or starting with /)"))
        if kind in ("add", "replace", "test") and "value" not in op:
            problems.append((f"patch.{n}.value", f"a {kind} needs a value"))
    if problems:
        raise ThreadQueryError(problems)
    try:
        return jsonpatch.JsonPatch([dict(op) for op in patch])
    except (jsonpatch.InvalidJsonPatch, jsonpatch.JsonPointerException) as exc:
        raise ThreadQueryError([("patch", f"not a valid JSON Patch: {exc}")]) from exc


def _head_of(stored: Any) -> Checkpoint | None:
    if isinstance(stored, dict) and "checkpoint_id" in stored and "step" in stored:
        return Checkpoint.from_dict(stored)
    return None


def head_values(stored: Any) -> Any:
    """The state values in what ``state:<id>`` holds (``{}`` when nothing was written)."""
    head = _head_of(stored)
    return {} if head is None else head.values


class ThreadStateMixin:
    store: StateStore
    checkpoint_limit: int

    if TYPE_CHECKING:
        def now(self) -> float: ...
        async def get(self, thread_id: str) -> ThreadRecord: ...
        def _emit(self, kind: Any, thread_id: str, record: ThreadRecord | None) -> None: ...
        async def mutate(self, thread_id: str, change: Callable[[ThreadRecord | None],
                         ThreadRecord | None]) -> ThreadRecord | None: ...

    # -- reading -----------------------------------------------------------------------
    async def read_state(self, thread_id: str) -> Any:
        """The current state values (``{}`` before the first write)."""
        head = await self.head(thread_id)
        return {} if head is None else head.values

    async def head(self, thread_id: str) -> Checkpoint | None:
        """The newest checkpoint (None before the first state write)."""
        return _head_of(await self.store.get(keys.thread_state(thread_id)))

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
                          values={}, created_at=record.created_at)

    async def get_state(self, thread_id: str, checkpoint_id: str | None = None) -> Any:
        """The agent's state values (AG-UI state; ``{}`` when none)."""
        return (await self.state(thread_id, checkpoint_id)).values

    async def _points(self, thread_id: str) -> list[Checkpoint]:
        """Every kept checkpoint, newest first (the head too, if its append is pending)."""
        items = {d["checkpoint_id"]: Checkpoint.from_dict(d)
                 for d in await self.store.list_range(keys.checkpoints(thread_id))
                 if isinstance(d, dict) and "checkpoint_id" in d}
        head = await self.head(thread_id)
        if head is not None:
            items.setdefault(head.checkpoint_id, head)
        return sorted(items.values(), key=lambda c: c.step, reverse=True)

    async def checkpoint(self, thread_id: str, checkpoint_id: str) -> Checkpoint:
        for point in await self._points(thread_id):
            if point.checkpoint_id == checkpoint_id:
                return point
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
        items = await self._points(thread_id)
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
    async def _commit(self, thread_id: str, compute: Callable[[Any], Any], *, source: str,
                      run_id: str | None = None, metadata: Mapping[str, Any] | None = None,
                      check: Check | None = None) -> Checkpoint:
        """Move the head: ``check(head)`` may refuse, ``compute(values)`` gives the new
        values; a compare-and-set on the head, retried from the new head if it moved."""
        key = keys.thread_state(thread_id)
        for _ in range(100):
            stored = await self.store.get(key)
            head = _head_of(stored)
            if check is not None:
                check(head)
            step = 0 if head is None else head.step + 1
            point = Checkpoint(
                checkpoint_id=_new_id(step), thread_id=thread_id,
                values=compute({} if head is None else head.values), created_at=self.now(),
                step=step, source=source, run_id=run_id, metadata=dict(metadata or {}),
                parent_checkpoint_id=None if head is None else head.checkpoint_id)
            data = point.to_dict()  # the store copies it (or serializes it) each time
            if await self.store.compare_and_set(key, stored, data):
                await self.store.list_append(keys.checkpoints(thread_id), data,
                                             max_len=self.checkpoint_limit)
                self._emit("state_changed", thread_id, None)
                return point
        raise ThreadConflict(f"the state of {thread_id!r} kept changing under this write")

    async def write_state(self, thread_id: str, state: Any, *, source: str | None = None,
                          run_id: str | None = None,
                          metadata: Mapping[str, Any] | None = None) -> Checkpoint:
        """Make ``state`` the head (a new checkpoint), without the busy check (for runs
        and handlers). Inside a run (the record says busy) the checkpoint names the run.
        ``ThreadNotFound`` when the thread has no record (deleted: its state stays gone)."""
        stored = await self.store.get(keys.thread_record(thread_id))
        if stored is None:
            raise ThreadNotFound(thread_id)
        if source is None:
            record = ThreadRecord.from_dict(stored)
            run_id = run_id or (record.current_run if record.status == "busy" else None)
            source = "loop" if run_id else "update"
        return await self._commit(thread_id, lambda _: state, source=source, run_id=run_id,
                                  metadata=metadata)

    async def record_run(self, thread_id: str, run_id: str, status: str, *,
                         state: Any = _HEAD) -> Checkpoint:
        """The checkpoint a run leaves when it ends (run tracking calls this): ``state``,
        the state the run ended with, else the head's values, whoever wrote them last."""
        def compute(values: Any) -> Any:
            return values if state is _HEAD else state
        return await self._commit(thread_id, compute, source="loop", run_id=run_id,
                                  metadata={"run_status": status})

    async def _guarded_write(self, thread_id: str, if_match: str | None,
                             compute: Callable[[Any], Any],
                             metadata: Mapping[str, Any] | None = None) -> Checkpoint:
        def claim(old: ThreadRecord | None) -> ThreadRecord | None:
            if old is None:
                raise ThreadNotFound(thread_id)
            if old.status == "busy":
                raise ThreadBusy(thread_id)
            return None
        await self.mutate(thread_id, claim)

        def check(head: Checkpoint | None) -> None:
            current = state_etag(None if head is None else head.checkpoint_id)
            if if_match not in (None, "*") and if_match != current:
                raise PreconditionFailed(f"the state of {thread_id!r}", current)
        return await self._commit(thread_id, compute, source="update", metadata=metadata,
                                  check=check)

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
        going; ``ThreadConflict`` when they do not apply to the current state;
        ``ThreadQueryError`` for a patch that is not a valid JSON Patch."""
        if values is not None and not isinstance(values, Mapping):
            raise ThreadQueryError([("values", "must be an object")])
        compiled = _compiled(patch) if patch else None

        def compute(current: Any) -> Any:
            import jsonpatch

            new = current
            if values:
                if not isinstance(current, dict):
                    raise ThreadConflict("the state is not an object, so values cannot be "
                                         "merged into it: use patch")
                new = {**current, **values}
            if compiled is not None:
                try:
                    new = compiled.apply(new)
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
        """The source's checkpoints and head, as the target's (before anyone writes it)."""
        points = await self._points(source)
        for point in reversed(points):
            await self.store.list_append(keys.checkpoints(target),
                                         {**point.to_dict(), "thread_id": target},
                                         max_len=self.checkpoint_limit)
        if points:
            await self.store.set(keys.thread_state(target),
                                 {**points[0].to_dict(), "thread_id": target})
