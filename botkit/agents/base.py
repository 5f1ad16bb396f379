"""The one contract every agent backend meets: AG-UI in, AG-UI events out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Protocol, TypeAlias, runtime_checkable

from ag_ui.core import BaseEvent, RunAgentInput

__all__ = ["Agent", "AgentFactory", "AgentLike"]


@runtime_checkable
class Agent(Protocol):
    """Anything that streams one AG-UI run.

    ``run`` yields ``ag_ui.core`` events: ``RUN_STARTED`` first, then text, tool-call, state
    and custom events, and ``RUN_FINISHED`` or ``RUN_ERROR`` last. A backend that cannot
    reach its agent raises ``botkit.errors.AgentError``. Closing the iterator aborts the run.
    """

    def run(self, run_input: RunAgentInput) -> AsyncIterator[BaseEvent]: ...


AgentFactory: TypeAlias = Callable[[str], Agent]
"""Builds a fresh agent for one conversation id (for backends that keep per-run state)."""

AgentLike: TypeAlias = Agent | AgentFactory
