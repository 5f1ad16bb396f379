"""The web routes' request bodies, read and checked by the threads API's helpers: size
limits (413), JSON (400), fields (422)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from botkit import ThreadQueryError
from botkit.threads.http.base import json_body
from botkit_web.langgraph import STREAM_MODES
from botkit_web.turns import UserInput

__all__ = ["ActionBody", "RunBody", "RunCommand", "RunInput", "read_body", "user_input"]

M = TypeVar("M", bound=BaseModel)


def user_input(message: Any, index: int) -> UserInput:
    """One input message (LangGraph or AG-UI shape) as ``UserInput``; 422 otherwise."""
    where = f"input.messages[{index}]"
    if not isinstance(message, Mapping):
        raise ThreadQueryError([(where, "must be an object")])
    role = message.get("role", message.get("type"))
    if role not in ("user", "human"):
        raise ThreadQueryError([(f"{where}.role", "must be 'user' (or 'human'): the bot "
                                 "writes its own messages")])
    content = message.get("content")
    if isinstance(content, list):
        texts = [str(p["text"]) for p in content if isinstance(p, Mapping)
                 and p.get("type") == "text" and isinstance(p.get("text"), str)]
        content = "\n".join(texts) if len(texts) == len(content) else None
    if not isinstance(content, str) or not content.strip():
        raise ThreadQueryError([(f"{where}.content", "must be non-empty text (a string or a "
                                 "list of {type: 'text', text} parts)")])
    client_id = message.get("id")
    if client_id is not None and (not isinstance(client_id, str) or not client_id
                                  or len(client_id) > 200):
        raise ThreadQueryError([(f"{where}.id", "must be a string of 1-200 characters")])
    return UserInput(text=content, client_id=client_id)


class RunInput(BaseModel):
    """``input``: the new user messages (``{role|type, content, id?}`` each)."""

    model_config = ConfigDict(extra="allow")

    messages: list[Any] = Field(min_length=1)

    def inputs(self) -> list[UserInput]:
        return [user_input(m, i) for i, m in enumerate(self.messages)]


class RunCommand(BaseModel):
    """``command``: only ``{resume: value}``."""

    model_config = ConfigDict(extra="forbid")

    resume: Any


class RunBody(BaseModel):
    """``POST /threads/{id}/runs[/stream|/wait]``: LangGraph's run request. Fields botkit
    does not use (``config``, ``context``, ``checkpoint`` …) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    assistant_id: str | None = Field(default=None, max_length=200)
    input: RunInput | None = None
    command: RunCommand | None = None
    metadata: dict[str, Any] | None = None
    stream_mode: str | list[str] | None = None
    multitask_strategy: Literal["reject", "enqueue", "interrupt", "rollback"] | None = None
    if_not_exists: Literal["create", "reject"] | None = None
    on_disconnect: Literal["cancel", "continue"] | None = None
    """``cancel``: a stream whose caller goes away cancels its run (default: it goes on)."""

    def problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        if (self.input is None) == (self.command is None):
            found.append(("input", "send exactly one of input (new messages) or command "
                                   "({resume: ...})"))
        for mode in sorted(self.modes() - STREAM_MODES):
            found.append(("stream_mode", f"unknown mode {mode!r}"))
        return found

    def modes(self) -> frozenset[str]:
        if self.stream_mode is None:
            return frozenset({"ag-ui"})
        return frozenset([self.stream_mode] if isinstance(self.stream_mode, str)
                         else self.stream_mode)


class ActionBody(BaseModel):
    """``POST /threads/{id}/actions``: click a button / pick an option the bot posted."""

    model_config = ConfigDict(extra="forbid")

    action_id: str = Field(min_length=1, max_length=500)
    value: Any = None
    message_id: str | None = Field(default=None, max_length=200)


async def read_body(request: web.Request, model: type[M]) -> M:
    """The JSON body as ``model`` (the threads API's ``json_body``: 413 past the app's
    body limit, 400 when it is not JSON, 422 listing every bad field), then the model's own
    cross-field ``problems()``."""
    parsed = await json_body(request, model)
    extra = getattr(parsed, "problems", None)
    if extra is not None and (problems := extra()):
        raise ThreadQueryError(problems)
    return parsed
