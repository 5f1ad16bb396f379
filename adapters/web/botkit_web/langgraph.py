"""LangGraph's view of a web thread's runs: ``values`` (the thread's messages in LangChain's
message shape), and each AG-UI event as the SSE parts of the requested ``stream_mode``\\s.

Stream modes: ``values`` (the thread's messages, at the start and the end of the run),
``updates`` (``__interrupt__``), ``messages`` (LangGraph's ``messages/metadata``,
``messages/partial`` with the text so far, ``messages/complete``), ``messages-tuple`` (text
deltas as ``[AIMessageChunk, metadata]``), ``custom`` (botkit's ``CUSTOM`` events: messages
with their buttons), ``events`` and botkit's ``ag-ui`` (every AG-UI event as is). Without
``stream_mode`` a stream carries ``ag-ui``.

The messages are the agent's history as ``botkit.history`` builds it from the stored
messages (the same rules the agent sees), mapped to LangChain's message dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ag_ui.core as agui

from botkit.langchain import langchain_messages
from botkit.types import PlatformUser
from botkit_web.messages import WebMessage
from botkit_web.runs import WebRun

__all__ = ["STREAM_MODES", "LangGraphParts", "lc_messages", "thread_values"]

STREAM_MODES = frozenset({"values", "updates", "messages", "messages-tuple", "custom",
                          "events", "debug", "tasks", "checkpoints", "ag-ui"})


def lc_messages(messages: Sequence[WebMessage], bot: PlatformUser | None
                ) -> list[dict[str, Any]]:
    """The thread as LangChain message dicts (``botkit.history``'s rules)."""
    return langchain_messages([m.to_thread_message() for m in messages], bot)


def thread_values(messages: Sequence[WebMessage], bot: PlatformUser | None,
                  run: WebRun | None = None) -> dict[str, Any]:
    """``{"messages": [...]}`` (+ ``__interrupt__`` while ``run`` waits on one, and
    ``__error__`` when it failed: what ``runs.wait`` returns)."""
    values: dict[str, Any] = {"messages": lc_messages(messages, bot)}
    if run is not None and run.interrupts:
        values["__interrupt__"] = [
            {"id": i.id, "value": (i.metadata or {}).get("payload", i.model_dump(
                mode="json", by_alias=True, exclude_none=True))}
            for i in run.interrupts]
    if run is not None and run.status == "error":
        values["__error__"] = {"error": "RunError", "message": run.error or "the run failed"}
    return values


class LangGraphParts:
    """The SSE ``(event name, data)`` parts each AG-UI event of one run makes in the
    requested modes (stateful: ``messages/partial`` carries the text so far)."""

    def __init__(self, modes: frozenset[str], run: WebRun) -> None:
        self.modes = modes
        self.run = run
        self._texts: dict[str, str] = {}

    def _meta(self) -> dict[str, Any]:
        return {"run_id": self.run.run_id, "thread_id": self.run.thread_id,
                "langgraph_node": "agent"}

    def _ai(self, message_id: str) -> dict[str, Any]:
        return {"type": "ai", "id": message_id, "content": self._texts.get(message_id, ""),
                "tool_calls": []}

    def parts(self, event: agui.BaseEvent, data: dict[str, Any] | None = None
              ) -> list[tuple[str, Any]]:
        """``data`` is the event as JSON data, when the caller has it already."""
        if data is None:
            data = event.model_dump(mode="json", by_alias=True, exclude_none=True)
        modes, parts = self.modes, list[tuple[str, Any]]()
        if "ag-ui" in modes:
            parts.append(("ag-ui", data))
        if "events" in modes:
            parts.append(("events", data))
        if isinstance(event, agui.TextMessageStartEvent):
            self._texts[event.message_id] = ""
            if "messages" in modes:
                parts.append(("messages/metadata",
                              {event.message_id: {"metadata": self._meta()}}))
        if isinstance(event, agui.TextMessageContentEvent):
            self._texts[event.message_id] = self._texts.get(event.message_id, "") + event.delta
            if "messages-tuple" in modes:
                chunk = {"type": "AIMessageChunk", "id": event.message_id,
                         "content": event.delta}
                parts.append(("messages", [chunk, self._meta()]))
            if "messages" in modes:
                parts.append(("messages/partial", [self._ai(event.message_id)]))
        if isinstance(event, agui.TextMessageEndEvent) and "messages" in modes:
            parts.append(("messages/complete", [self._ai(event.message_id)]))
        if isinstance(event, agui.CustomEvent) and "custom" in modes:
            parts.append(("custom", {"name": event.name, "value": event.value}))
        if isinstance(event, agui.RunErrorEvent):
            parts.append(("error", {"error": "RunError", "message": event.message}))
        return parts
