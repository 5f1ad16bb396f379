"""Agent backends. Each one is a thin producer of AG-UI events for the one run loop.

- ``AgUiHttpAgent(url, headers=...)``: any AG-UI server over HTTP (the primary backend).
- ``OpenAIChatAgent(model)``: any OpenAI-compatible Chat Completions server.
- ``PydanticAIAgent(agent)``: a pydantic-ai agent in-process (``botkit[pydantic-ai]``).
- ``ScriptedAgent(rules)``: deterministic and offline, for demos and tests.
"""

import typing as _typing

from botkit._lazy import lazy_exports
from botkit.agents.base import Agent, AgentFactory, AgentLike
from botkit.agents.scripted import ScriptedAgent

if _typing.TYPE_CHECKING:
    from botkit.agents.http import AgUiHttpAgent
    from botkit.agents.openai import OpenAIChatAgent
    from botkit.agents.pydantic_ai import PydanticAIAgent

# the HTTP backends need httpx (and what it imports): loaded when first named, so a bot
# that does not use them does not carry them; the pydantic-ai backend likewise (its module
# is small, but a bot on another agent never needs it)
HTTP_BACKENDS = {"AgUiHttpAgent": "botkit.agents.http",
                 "OpenAIChatAgent": "botkit.agents.openai"}
LAZY_BACKENDS = {**HTTP_BACKENDS, "PydanticAIAgent": "botkit.agents.pydantic_ai"}
"""Names loaded when first used (``botkit`` re-exports them the same way)."""


__getattr__, __dir__ = lazy_exports(__name__, LAZY_BACKENDS)

__all__ = [
    "AgUiHttpAgent",
    "Agent",
    "AgentFactory",
    "AgentLike",
    "OpenAIChatAgent",
    "PydanticAIAgent",
    "ScriptedAgent",
]
