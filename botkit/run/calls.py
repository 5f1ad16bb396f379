"""A bot tool call in progress, as ``await_choice`` inside it sees it: what a replay of the
call needs (recorded with each pending choice) and, during a replay, the answers to give
back instead of asking again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ag_ui.core as agui

from botkit.history import AgentMessage

__all__ = ["ToolCall"]


@dataclass(kw_only=True)
class ToolCall:
    id: str
    name: str
    arguments: str
    messages: list[AgentMessage]
    """The run's messages when the tool was called: up to the assistant message that made
    the call, plus the results of calls before it in the same batch."""
    state: Any
    context: list[agui.Context]
    batch: tuple[str, ...]
    """Every call the agent made in that step (the ones after this one still to run)."""
    replay: list[Any] = field(default_factory=list)
    """Recorded answers for this call's next ``await_choice`` calls, in order (a replay)."""
    answers: list[Any] = field(default_factory=list)
    """The answers this call's ``await_choice`` calls got so far."""

    def next_recorded(self) -> tuple[bool, Any]:
        """``(True, answer)`` while replaying recorded answers, else ``(False, None)``."""
        if not self.replay:
            return False, None
        answer = self.replay.pop(0)
        self.answers.append(answer)
        return True, answer

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "arguments": self.arguments,
                "messages": self.messages, "state": self.state,
                "context": [c.model_dump() for c in self.context], "batch": list(self.batch),
                "answers": list(self.answers)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ToolCall:
        """The call as recorded (``ValueError`` when ``data`` is not a recorded call)."""
        try:
            call_id = str(data["id"])
            return cls(id=call_id, name=str(data["name"]),
                       arguments=str(data.get("arguments") or ""),
                       messages=[dict(m) for m in data.get("messages") or ()],
                       state=data.get("state"),
                       context=[agui.Context.model_validate(c) for c in data.get("context")
                                or ()],
                       batch=tuple(str(i) for i in data.get("batch") or (call_id,)),
                       answers=list(data.get("answers") or ()))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a recorded tool call: {exc}") from exc
