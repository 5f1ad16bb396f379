"""``PydanticAIAgent``: a pydantic-ai ``Agent`` run in-process, speaking AG-UI.

    from pydantic_ai import Agent, DeferredToolRequests
    from botkit.agents.pydantic_ai import PydanticAIAgent

    brain = Agent("openai:gpt-4o", output_type=[str, DeferredToolRequests])
    bot = create_bot(adapters=[...], agent=PydanticAIAgent(brain))

The agent's own tools run inside pydantic-ai (the chat sees their progress and results);
botkit's bot tools reach it as AG-UI frontend tools and run in the bot, as with any
backend. Tools declared with ``requires_approval=True`` pause the run with an AG-UI 1.0
interrupt; answer it with ``thread.resume({"approved": True})`` (or ``False`` plus a
``"reason"``), or ``thread.cancel_interrupt()``. Needs the extra:
``pip install "botkit[pydantic-ai]"``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

import ag_ui.core as agui

from botkit.errors import UserError

if TYPE_CHECKING:
    from pydantic_ai.agent import AbstractAgent
    from pydantic_ai.ui.ag_ui import AGUIAdapter

__all__ = ["PydanticAIAgent"]

_INSTALL_HINT = 'PydanticAIAgent needs pydantic-ai: pip install "botkit[pydantic-ai]"'


def _adapter_class() -> type[AGUIAdapter[Any, Any]]:
    try:
        from pydantic_ai.ui.ag_ui import AGUIAdapter
    except ImportError as exc:
        raise UserError(f"{_INSTALL_HINT} ({exc})") from exc
    return AGUIAdapter


class PydanticAIAgent:
    """Run ``agent`` (a ``pydantic_ai.Agent``) for each AG-UI run, without HTTP.

    ``deps`` is passed to every run (a ``StateDeps`` receives the AG-UI state);
    ``run_options`` are further keyword arguments of pydantic-ai's ``run_stream``
    (``model_settings``, ``usage_limits``, ``instructions`` …). ``adapter_options`` go
    to pydantic-ai's ``AGUIAdapter`` (``include_usage``, ``manage_system_prompt`` …).
    """

    def __init__(
        self,
        agent: AbstractAgent[Any, Any],
        *,
        deps: Any = None,
        run_options: Mapping[str, Any] | None = None,
        adapter_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._adapter = _adapter_class()
        self.agent = agent
        self.deps = deps
        self.run_options = dict(run_options or {})
        self.adapter_options = dict(adapter_options or {})

    def __repr__(self) -> str:
        name = getattr(self.agent, "name", None) or type(self.agent).__name__
        return f"PydanticAIAgent({name!r})"

    async def run(self, run_input: agui.RunAgentInput) -> AsyncIterator[agui.BaseEvent]:
        adapter = self._adapter(agent=self.agent, run_input=run_input,
                                accept="text/event-stream", **self.adapter_options)
        events = adapter.run_stream(deps=self.deps, **self.run_options)
        try:
            async for event in events:
                yield event
        finally:
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                await aclose()
