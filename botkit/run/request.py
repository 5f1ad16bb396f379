"""What one agent run starts from, built in one place for ``run_agent``, ``resume`` and the
replay of a tool call: the messages, the agent state, the tools (the bot's, plus the run's
own: a per-run tool wins on a name clash) and the context entries (the bot's, then the
run's)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ag_ui.core as agui

from botkit.history import AgentMessage
from botkit.run.calls import ToolCall
from botkit.run.interrupts import PendingInterrupt
from botkit.run.tools import BotTool

__all__ = ["RunRequest", "merge_context", "merge_tools"]


def merge_tools(base: Mapping[str, BotTool], extra: Iterable[BotTool] | None
                ) -> dict[str, BotTool]:
    return {**base, **{t.name: t for t in extra or ()}}


def merge_context(base: Iterable[agui.Context], extra: Iterable[agui.Context] | None
                  ) -> list[agui.Context]:
    return [*base, *(extra or ())]


@dataclass(kw_only=True)
class RunRequest:
    """Everything the first iteration sends; later iterations reuse it with new messages."""

    messages: list[AgentMessage]
    state: Any
    tools: dict[str, BotTool]
    context: list[agui.Context] = field(default_factory=list)
    resume: list[agui.ResumeEntry] | None = None
    forwarded_props: Any = None

    @classmethod
    def after_interrupt(cls, pending: PendingInterrupt, value: Any, cancel: bool, *,
                        state: Any, tools: dict[str, BotTool], context: list[agui.Context]
                        ) -> RunRequest:
        """The run that continues ``pending`` with the person's answer, from the thread's
        ``state`` now (a write accepted while it waited is kept)."""
        resume, forwarded = pending.answer(value, cancel)
        return cls(messages=list(pending.messages), state=state, tools=tools,
                   context=context, resume=resume, forwarded_props=forwarded)

    @classmethod
    def replaying(cls, call: ToolCall, *, state: Any, tools: dict[str, BotTool]
                  ) -> RunRequest:
        """The run that finishes ``call``'s step (and continues) after a restart, from the
        thread's ``state`` now."""
        return cls(messages=list(call.messages), state=state, tools=tools,
                   context=list(call.context))
