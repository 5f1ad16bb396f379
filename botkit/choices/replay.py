"""Closing a tool call whose choice cannot be answered any more: the call (and the calls
after it in its step) get an error result, recorded on the platform, so the history the
agent gets next is consistent. (Replaying a call with its answer is the facade's part:
``Thread`` builds the tool's context; see ``Choices``.)"""

from __future__ import annotations

from typing import Protocol

from botkit.history import AgentMessage, tool_result
from botkit.run.calls import ToolCall
from botkit.run.loop import batch_records

__all__ = ["close_tool_call"]


class Recorder(Protocol):
    async def record(self, messages: list[AgentMessage]) -> None: ...


async def close_tool_call(surface: Recorder, call: ToolCall, reason: str) -> None:
    batch = list(call.batch) or [call.id]
    messages: list[AgentMessage] = list(call.messages)
    answered = {m.get("toolCallId") for m in messages if m.get("role") == "tool"}
    for call_id in batch:
        if call_id not in answered:
            text = reason if call_id == call.id else "not run: its step expired"
            messages.append(tool_result(call_id, error=text))
    await surface.record(batch_records(messages, batch))
