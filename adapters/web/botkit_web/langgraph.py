"""LangGraph's view of a web thread's runs: ``values`` (the thread's messages in LangGraph's
message shape), and each AG-UI event as the SSE parts of the requested ``stream_mode``\\s.

Stream modes: ``values`` (the thread's messages, at the start and the end of the run),
``updates`` (what the run added, and ``__interrupt__``), ``messages`` / ``messages-tuple``
(text deltas as ``[AIMessageChunk, metadata]``), ``custom`` (botkit's ``CUSTOM`` events:
messages with their buttons), ``events`` and botkit's ``ag-ui`` (every AG-UI event as is).
Without ``stream_mode`` a stream carries ``ag-ui``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import ag_ui.core as agui

from botkit_web.messages import WebMessage
from botkit_web.runs import WebRun

__all__ = ["STREAM_MODES", "event_parts", "thread_values"]

STREAM_MODES = frozenset({"values", "updates", "messages", "messages-tuple", "custom",
                          "events", "debug", "tasks", "checkpoints", "ag-ui"})


def _args(arguments: Any) -> Any:
    if not isinstance(arguments, str):
        return arguments or {}
    try:
        return json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return {"__raw__": arguments}


def _lc_messages(message: WebMessage) -> Iterable[dict[str, Any]]:
    for record in message.agent_messages:
        if record.get("role") == "assistant" and record.get("toolCalls"):
            yield {"type": "ai", "id": record.get("id"), "content": record.get("content") or "",
                   "tool_calls": [{"id": c["id"], "name": (c.get("function") or {}).get("name"),
                                   "args": _args((c.get("function") or {}).get("arguments")),
                                   "type": "tool_call"} for c in record["toolCalls"]]}
        elif record.get("role") == "tool":
            yield {"type": "tool", "id": record.get("id"), "content": record.get("content"),
                   "tool_call_id": record.get("toolCallId"),
                   "status": "error" if record.get("error") else "success"}
    if message.is_status or message.visible_to is not None or not message.text.strip():
        return
    if message.is_bot:
        yield {"type": "ai", "id": message.id, "content": message.text, "tool_calls": []}
    else:
        yield {"type": "human", "id": message.id, "content": message.text,
               "name": message.author.display_name if message.author else None}


def thread_values(messages: Sequence[WebMessage], run: WebRun | None = None) -> dict[str, Any]:
    """``{"messages": [...]}`` (+ ``__interrupt__`` while ``run`` waits on one, and
    ``__error__`` when it failed: what ``runs.wait`` returns)."""
    values: dict[str, Any] = {"messages": [m for msg in messages for m in _lc_messages(msg)]}
    if run is not None and run.interrupts:
        values["__interrupt__"] = [
            {"id": i.get("id"), "value": (i.get("metadata") or {}).get("payload", i)}
            for i in run.interrupts]
    if run is not None and run.status == "error":
        values["__error__"] = {"error": "RunError", "message": run.error or "the run failed"}
    return values


def event_parts(event: agui.BaseEvent, modes: frozenset[str], run: WebRun
                ) -> list[tuple[str, Any]]:
    """The SSE ``(event name, data)`` parts one AG-UI event makes in these modes."""
    data = event.model_dump(mode="json", by_alias=True, exclude_none=True)
    parts: list[tuple[str, Any]] = []
    if "ag-ui" in modes:
        parts.append(("ag-ui", data))
    if "events" in modes:
        parts.append(("events", data))
    if isinstance(event, agui.TextMessageContentEvent) and modes & {"messages",
                                                                     "messages-tuple"}:
        chunk = {"type": "AIMessageChunk", "id": event.message_id, "content": event.delta}
        parts.append(("messages", [chunk, {"run_id": run.run_id, "thread_id": run.thread_id,
                                           "langgraph_node": "agent"}]))
    if isinstance(event, agui.CustomEvent) and "custom" in modes:
        parts.append(("custom", {"name": event.name, "value": event.value}))
    if isinstance(event, agui.RunErrorEvent):
        parts.append(("error", {"error": "RunError", "message": event.message}))
    return parts
