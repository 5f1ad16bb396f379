"""How conversations feed their records: a handled message creates or touches the record
(its first message is the title), and every ``run_agent`` / ``resume`` sets the status
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
from botkit.threads.service import Threads
from botkit.types import Conversation

__all__ = ["RunTrace", "ensure", "summarize_tool_calls", "touch", "track_run"]

log = logging.getLogger("botkit")
TITLE_LENGTH = 80
PREVIEW = 1000
STATUS_AFTER: dict[str, ThreadStatus] = {
    "completed": "idle", "interrupted": "interrupted", "failed": "error",
    "max_iterations": "error", "crashed": "error"}
RawRecord = dict[str, Any]


class RunTrace(Protocol):
    """What a run leaves for its record (the run surface collects it)."""

    tool_calls: list[dict[str, Any]]
    checkpoint: Any


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


def _change(threads: Threads, platform: str, conversation: Conversation,
            edit: Callable[[ThreadRecord, bool], ThreadRecord | None]
            ) -> Callable[[RawRecord | None], RawRecord | None]:
    """A ``Threads.mutate`` step editing the typed record (``edit(record, is_new)``)."""
    def apply(old: RawRecord | None) -> RawRecord | None:
        if old is None:
            record = ThreadRecord.from_dict(threads.new_record(
                conversation.id, platform, conversation))
        else:
            record = ThreadRecord.from_dict(old)
        new = edit(record, old is None)
        return None if new is None else new.to_dict()
    return apply


async def touch(threads: Threads, platform: str, conversation: Conversation, text: str
                ) -> None:
    """A handled message arrived: create the record (titled by it) or bump ``updated_at``."""
    def edit(record: ThreadRecord, new: bool) -> ThreadRecord:
        title = record.title or (_title(text) if text.strip() else "")
        return record if new and not title else dataclasses.replace(
            record, title=title, updated_at=record.updated_at if new else threads.now())
    await _safely(threads.mutate(conversation.id, _change(threads, platform, conversation,
                                                          edit)), conversation.id)


async def ensure(threads: Threads, platform: str, conversation: Conversation) -> None:
    """Make sure the conversation has a record (proactive runs, state set by a handler)."""
    def edit(record: ThreadRecord, new: bool) -> ThreadRecord | None:
        return record if new else None
    await _safely(threads.mutate(conversation.id, _change(threads, platform, conversation,
                                                          edit)), conversation.id)


async def track_run(threads: Threads, platform: str, conversation: Conversation, kind: str,
                    run: Callable[[], Awaitable[RunResult]], trace: RunTrace) -> RunResult:
    """Run ``run()`` with the thread marked busy, then record how it ended."""
    run_id, started, tid = uuid.uuid4().hex, threads.now(), conversation.id

    def begin(record: ThreadRecord, new: bool) -> ThreadRecord:
        return dataclasses.replace(record, status="busy", current_run=run_id,
                                   updated_at=started)
    await _safely(threads.mutate(tid, _change(threads, platform, conversation, begin)), tid)

    async def finish(result: RunResult, status: str) -> None:
        await _safely(_finish(threads, platform, conversation, run_id, kind, started, result,
                              trace, status), tid)
    try:
        result = await run()
    except RunSuspended:  # waiting for a person; continued by a replay
        await finish(RunResult(status="interrupted"), "interrupted")
        raise
    except BaseException as exc:
        await finish(RunResult(status="failed", error=f"{type(exc).__name__}: {exc}"),
                     "crashed")
        raise
    await finish(result, result.status)
    return dataclasses.replace(result, run_id=run_id, thread_id=tid)


async def _finish(threads: Threads, platform: str, conversation: Conversation, run_id: str,
                  kind: str, started: float, result: RunResult, trace: RunTrace,
                  status: str) -> None:
    ended, tid = threads.now(), conversation.id
    run = RunRecord(run_id=run_id, thread_id=tid, kind="resume" if kind == "resume"
                    else "run", status=status, started_at=started, ended_at=ended,
                    iterations=result.iterations, error=result.error,
                    text=_clip(result.text) if result.text else "",
                    tool_calls=tuple(trace.tool_calls), checkpoint=trace.checkpoint)
    await threads.store.list_append(keys.run_history(tid), run.to_dict(),
                                    max_len=threads.history_limit)
    await threads.record_run(tid, run_id, status)  # every run leaves a checkpoint

    def end(record: ThreadRecord, new: bool) -> ThreadRecord:
        newer_run_going = record.current_run not in (None, run_id)
        after = STATUS_AFTER[status]
        return dataclasses.replace(
            record, status="busy" if newer_run_going else after,
            current_run=record.current_run if newer_run_going else None,
            updated_at=ended, last_run_at=ended, run_count=record.run_count + 1,
            last_error=result.error if after == "error" else None)
    await threads.mutate(tid, _change(threads, platform, conversation, end))
