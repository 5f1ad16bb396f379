"""A conversation in LangChain's message shape, as LangGraph clients read it
(``values.messages`` of a thread's state, ``runs.wait``'s result, ``values`` stream parts).

The messages are the agent's history as ``botkit.history`` builds it from the platform's
messages (the same rules the agent sees): ``human``, ``ai`` (with ``tool_calls``) and
``tool`` dicts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from botkit.history import build_agent_messages
from botkit.types import PlatformUser, ThreadMessage

__all__ = ["langchain_message", "langchain_messages"]


def _args(arguments: Any) -> Any:
    if not isinstance(arguments, str):
        return arguments or {}
    try:
        return json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return {"__raw__": arguments}


def _content(content: Any) -> Any:
    if isinstance(content, str) or content is None:
        return content or ""
    return [{"type": "text", "text": p.get("text", "")} if p.get("type") == "text" else dict(p)
            for p in content if isinstance(p, Mapping)]


def langchain_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """One AG-UI message dict as a LangChain message dict."""
    role, mid = message.get("role"), message.get("id")
    if role == "user":
        out = {"type": "human", "id": mid, "content": _content(message.get("content"))}
        if message.get("name"):
            out["name"] = message["name"]
        return out
    if role == "tool":
        return {"type": "tool", "id": mid, "content": message.get("content"),
                "tool_call_id": message.get("toolCallId"),
                "status": "error" if message.get("error") else "success"}
    calls = [{"id": c.get("id"), "name": (c.get("function") or {}).get("name"),
              "args": _args((c.get("function") or {}).get("arguments")), "type": "tool_call"}
             for c in message.get("toolCalls") or ()]
    return {"type": "ai", "id": mid, "content": _content(message.get("content")),
            "tool_calls": calls}


def langchain_messages(messages: Sequence[ThreadMessage], bot: PlatformUser | None
                       ) -> list[dict[str, Any]]:
    """A platform conversation (oldest first) as LangChain message dicts."""
    return [langchain_message(m) for m in build_agent_messages(messages, bot=bot)]
