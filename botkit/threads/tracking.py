"""How conversations feed their records: a handled message creates or touches the record
(its first message is the title), and every ``run_agent`` / ``resume`` sets the status
(``busy`` while it runs; then ``idle``, ``interrupted`` or ``error``) and appends a
``RunRecord`` to the history. Bookkeeping failures are logged, never raised into the
conversation."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from botkit import keys
from botkit.agents.loop import RunResult
from botkit.errors import RunSuspended
from botkit.threads.records import RunRecord
from botkit.threads.service import Threads

if TYPE_CHECKING:
    from botkit.thread import Thread

__all__ = ["RunTrace", "ensure", "summarize_tool_calls", "touch", "track_run"]

log = logging.getLogger("botkit")
TITLE_LENGTH = 80
PREVIEW = 1000
STATUS_AFTER = {"completed": "idle", "interrupted": "interrupted", "failed": "error",
                "max_iterations": "error", "crashed": "error"}


class RunTrace(Protocol):
    """What a run leaves for its record (the run host collects it)."""

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


async def touch(threads: Threads, thread: Thread, text: str) -> None:
    """A handled message arrived: create the record (titled by it) or bump ``updated_at``."""
    def apply(old: dict[str, Any] | None) -> dict[str, Any]:
        if old is None:
            return threads.new_record(thread.id, thread.platform, thread.conversation,
                                      title=_title(text))
        new = {**old, "updated_at": threads.now()}
        if not new.get("title") and text.strip():
            new["title"] = _title(text)
        return new
    await _safely(threads.mutate(thread.id, apply), thread.id)


async def ensure(threads: Threads, thread: Thread) -> None:
    """Make sure the conversation has a record (proactive runs, state set by a handler)."""
    def apply(old: dict[str, Any] | None) -> dict[str, Any] | None:
        if old is not None:
            return None
        return threads.new_record(thread.id, thread.platform, thread.conversation)
    await _safely(threads.mutate(thread.id, apply), thread.id)


async def track_run(threads: Threads, thread: Thread, kind: str,
                    run: Callable[[], Awaitable[RunResult]], trace: RunTrace) -> RunResult:
    """Run ``run()`` with the thread marked busy, then record how it ended."""
    run_id, started = uuid.uuid4().hex, threads.now()

    def begin(old: dict[str, Any] | None) -> dict[str, Any]:
        base = old or threads.new_record(thread.id, thread.platform, thread.conversation)
        return {**base, "status": "busy", "current_run": run_id, "updated_at": started}
    await _safely(threads.mutate(thread.id, begin), thread.id)
    try:
        result = await run()
    except RunSuspended:  # waiting for a person; continued by a replay
        paused = RunResult(status="interrupted")
        await _safely(_finish(threads, thread, run_id, kind, started, paused, trace,
                              "interrupted"), thread.id)
        raise
    except BaseException as exc:
        failed = RunResult(status="failed", error=f"{type(exc).__name__}: {exc}")
        await _safely(_finish(threads, thread, run_id, kind, started, failed, trace, "crashed"),
                      thread.id)
        raise
    await _safely(_finish(threads, thread, run_id, kind, started, result, trace, result.status),
                  thread.id)
    return result


async def _finish(threads: Threads, thread: Thread, run_id: str, kind: str, started: float,
                  result: RunResult, trace: RunTrace, status: str) -> None:
    ended = threads.now()
    record = RunRecord(run_id=run_id, thread_id=thread.id, kind="resume" if kind == "resume"
                       else "run", status=status, started_at=started, ended_at=ended,
                       iterations=result.iterations, error=result.error,
                       text=_clip(result.text) if result.text else "",
                       tool_calls=tuple(trace.tool_calls), checkpoint=trace.checkpoint)
    await threads.store.list_append(keys.run_history(thread.id), record.to_dict(),
                                    max_len=threads.history_limit)

    def end(old: dict[str, Any] | None) -> dict[str, Any]:
        base = old or threads.new_record(thread.id, thread.platform, thread.conversation)
        newer_run_going = base.get("current_run") not in (None, run_id)
        return {**base, "status": "busy" if newer_run_going else STATUS_AFTER[status],
                "current_run": base.get("current_run") if newer_run_going else None,
                "updated_at": ended, "last_run_at": ended,
                "run_count": int(base.get("run_count") or 0) + 1,
                "last_error": result.error if STATUS_AFTER[status] == "error" else None}
    await threads.mutate(thread.id, end)
