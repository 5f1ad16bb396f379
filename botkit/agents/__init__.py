"""Agent backends. Each one is a thin producer of AG-UI events for the one run loop.

- ``AgUiHttpAgent(url, headers=...)``: any AG-UI server over HTTP (the primary backend).
- ``OpenAIChatAgent(model)``: any OpenAI-compatible Chat Completions server.
- ``PydanticAIAgent(agent)``: a pydantic-ai agent in-process (``botkit[pydantic-ai]``).
- ``ScriptedAgent(rules)``: deterministic and offline, for demos and tests.
"""

from botkit.agents.base import Agent, AgentFactory, AgentLike
from botkit.agents.http import AgUiHttpAgent
from botkit.agents.openai import OpenAIChatAgent
from botkit.agents.pydantic_ai import PydanticAIAgent
from botkit.agents.scripted import ScriptedAgent

__all__ = [
    "AgUiHttpAgent",
    "Agent",
    "AgentFactory",
    "AgentLike",
    "OpenAIChatAgent",
    "PydanticAIAgent",
    "ScriptedAgent",
]
