"""How conversations feed their records: a handled message creates or touches the record
(its first message is the title; on an existing record the touch rides on the turn's run
start, one write for both), and every ``run_agent`` / ``resume`` sets the status
(``busy`` while it runs; then ``idle``, ``interrupted`` or ``error``) and appends a
``RunRecord`` to the history. Bookkeeping failures are logged, never raised into the
conversation."""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from botkit import keys
from botkit.errors import RunSuspended
from botkit.run.result import RunResult
from botkit.threads.records import RunRecord, ThreadRecord, ThreadStatus
from botkit.threads.service import UNREAD, PendingTouch, Threads
from botkit.types import Conversation

__all__ = ["RunTrace", "RunTracker", "ensure", "settle", "summarize_tool_calls", "touch"]

log = logging.getLogger("botkit")
TITLE_LENGTH = 80
PREVIEW = 1000
STATUS_AFTER: dict[str, ThreadStatus] = {
    "completed": "idle", "interrupted": "interrupted", "failed": "error",
    "max_iterations": "error", "crashed": "error"}


class RunTrace(Protocol):
    """What a run leaves for its record (the run surface collects it)."""

    tool_calls: list[dict[str, Any]]
    checkpoint: Any
    final_state: tuple[Any] | None
    """``(state,)`` when the run's last state is to be written with its end, else None."""


def _title(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1] + "…"


def _clip(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"


def summarize_tool_calls(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``{id, name, arguments, result, error}`` for the tool calls in AG-UI messages."""
    calls: dict[str, dict[str, Any]] = {}
    for m in messages:
        for call in m.get("toolCalls") or () if m.get("role") == "assistant" else ():
            function = call.get("function") or {}
            calls[call["id"]] = {"id": call["id"], "name": function.get("name", ""),
                                 "arguments": _clip(function.get("arguments", "")),
                                 "result": None, "error": None}
        if m.get("role") == "tool" and m.get("toolCallId") in calls:
            entry = calls[m["toolCallId"]]
            entry["result"], entry["error"] = _clip(m.get("content", "")), m.get("error")
    return list(calls.values())


async def _safely(step: Awaitable[Any], thread_id: str) -> None:
    try:
        await step
    except Exception:
        log.exception("could not update the thread record of %s", thread_id)


Edit = Callable[[ThreadRecord], ThreadRecord | None]


def _creating(threads: Threads, platform: str, conversation: Conversation, edit: Edit,
              *, fresh: Edit | None = None) -> Callable[[ThreadRecord | None],
                                                       ThreadRecord | None]:
    """A ``Threads.mutate`` step that creates the record when there is none (``fresh``
    edits a new one; default: ``edit``)."""
    def apply(old: ThreadRecord | None) -> ThreadRecord | None:
        if old is not None:
            return edit(old)
        return (fresh or edit)(threads.new_record(conversation.id, platform, conversation))
    return apply


def _existing(edit: Edit) -> Callable[[ThreadRecord | None], ThreadRecord | None]:
    """A ``Threads.mutate`` step that never brings back a record deleted meanwhile."""
    def apply(old: ThreadRecord | None) -> ThreadRecord | None:
        return None if old is None else edit(old)
    return apply


async def touch(threads: Threads, platform: str, conversation: Conversation, text: str
                ) -> None:
    """A handled message arrived: create the record (titled by it) at once. An existing
    record's touch (``updated_at``, the title when it has none) is carried by the turn's
    next record write instead: the start of its run (one write for both), else ``settle``
    at the end of the turn."""
    tid = conversation.id
    title = _title(text) if text.strip() else ""
    try:
        stored = await threads.store.get(keys.thread_record(tid))
    except Exception:
        log.exception("could not update the thread record of %s", tid)
        return
    if stored is None:
        def titled(record: ThreadRecord) -> ThreadRecord:
            return dataclasses.replace(record, title=title)
        await _safely(threads.mutate(tid, _creating(
            threads, platform, conversation, _touched(threads, title), fresh=titled),
            stored=None), tid)
        return
    pending = threads.touches.get(tid)
    if pending is None:
        threads.touches[tid] = PendingTouch(title, stored)
    else:  # several messages before the write: the first titled one names the thread
        pending.title, pending.stored = pending.title or title, stored


def _touched(threads: Threads, title: str) -> Edit:
    def bump(record: ThreadRecord) -> ThreadRecord:
        return dataclasses.replace(record, title=record.title or title,
                                   updated_at=threads.now())
    return bump


def _take_touch(threads: Threads, tid: str) -> tuple[str, Any]:
    """The title a pending touch brings (``""``: none) and the stored record to try first,
    the touch now carried by the caller's write."""
    pending = threads.touches.pop(tid, None)
    return ("", UNREAD) if pending is None else (pending.title, pending.stored)


async def settle(threads: Threads, conversation: Conversation) -> None:
    """Write the touch still pending for the conversation (the turn ran no agent). A
    record deleted meanwhile (by the handler, say) stays deleted."""
    title, stored = _take_touch(threads, conversation.id)
    if stored is not UNREAD:
        await _safely(threads.mutate(conversation.id, _existing(_touched(threads, title)),
                                     stored=stored), conversation.id)


async def ensure(threads: Threads, platform: str, conversation: Conversation) -> None:
    """Make sure the conversation has a record (proactive runs, state set by a handler)."""
    await _safely(threads.mutate(conversation.id, _creating(
        threads, platform, conversation, lambda _: None, fresh=lambda new: new)),
        conversation.id)


class RunTracker:
    """One run's record keeping, for a caller that awaits the run in its own frame (no
    closure or coroutine of tracking's own while the run goes on): ``begin`` marks the
    thread busy (before the run reads anything), ``end`` records how it ended. A thread
    deleted meanwhile stays deleted: its end is not recorded."""

    __slots__ = ("conversation", "kind", "platform", "run_id", "started", "threads", "title")

    def __init__(self, threads: Threads, platform: str, conversation: Conversation,
                 kind: str) -> None:
        self.threads, self.platform, self.conversation, self.kind = (
            threads, platform, conversation, kind)
        self.run_id, self.started = uuid.uuid4().hex, threads.now()
        self.title = ""

    def _begin(self, record: ThreadRecord) -> ThreadRecord:
        return dataclasses.replace(record, status="busy", current_run=self.run_id,
                                   live_runs=(*record.live_runs, self.run_id),
                                   updated_at=self.started, title=record.title or self.title)

    async def begin(self) -> None:
        threads, tid = self.threads, self.conversation.id
        self.title, stored = _take_touch(threads, tid)  # the message's touch rides along
        await _safely(threads.mutate(tid, _creating(threads, self.platform, self.conversation,
                                                    self._begin), stored=stored), tid)

    async def end(self, result: RunResult, trace: RunTrace,
                  status: str | None = None) -> RunResult:
        """Record ``result`` (``status``: how it ended, when not its own, e.g. "crashed");
        the result with the run's and thread's ids."""
        await _safely(_finish(self.threads, self.conversation, self.run_id, self.kind,
                              self.started, result, trace, status or result.status),
                      self.conversation.id)
        return dataclasses.replace(result, run_id=self.run_id, thread_id=self.conversation.id)

    async def failed(self, exc: BaseException, trace: RunTrace) -> None:
        """Record a run that raised ``exc`` (waiting for a person across a restart, or
        crashed)."""
        if isinstance(exc, RunSuspended):  # waiting for a person; continued by a replay
            await self.end(RunResult(status="interrupted"), trace, "interrupted")
        else:
            await self.end(RunResult(status="failed", error=f"{type(exc).__name__}: {exc}"),
                           trace, "crashed")


async def _finish(threads: Threads, conversation: Conversation, run_id: str, kind: str,
                  started: float, result: RunResult, trace: RunTrace, status: str) -> None:
    ended, tid = threads.now(), conversation.id

    def end(record: ThreadRecord) -> ThreadRecord:
        going = tuple(r for r in record.live_runs if r != run_id)
        after = STATUS_AFTER[status]
        return dataclasses.replace(
            record, status="busy" if going else after, live_runs=going,
            current_run=going[-1] if going else None,
            updated_at=ended, last_run_at=ended, run_count=record.run_count + 1,
            last_error=result.error if after == "error" else None)
    if (stored := await threads.store.get(keys.thread_record(tid))) is None:
        log.info("thread %s was deleted during run %s: its end is not recorded", tid, run_id)
        return  # (it cannot be deleted from here on: it stays busy until `end`)
    run = RunRecord(run_id=run_id, thread_id=tid, kind="resume" if kind == "resume"
                    else "run", status=status, started_at=started, ended_at=ended,
                    iterations=result.iterations, error=result.error,
                    text=_clip(result.text) if result.text else "",
                    tool_calls=tuple(trace.tool_calls), checkpoint=trace.checkpoint)
    await threads.store.list_append(keys.run_history(tid), run.to_dict(),
                                    max_len=threads.history_limit)
    if trace.final_state is None:  # every run leaves a checkpoint
        await threads.record_run(tid, run_id, status)
    else:  # with the state it ended with (one checkpoint for the run)
        await threads.record_run(tid, run_id, status, state=trace.final_state[0])
    await threads.mutate(tid, _existing(end), stored=stored)  # unchanged since, mostly
