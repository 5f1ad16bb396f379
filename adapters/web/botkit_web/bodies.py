"""Reading and checking request bodies: size limits (413), JSON (400), fields (422)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from botkit import ThreadQueryError
from botkit_web.langgraph import STREAM_MODES
from botkit_web.turns import UserInput

__all__ = ["ActionBody", "RunBody", "RunCommand", "RunInput", "checked", "read_json",
           "user_input"]

M = TypeVar("M", bound=BaseModel)


class TooLarge(web.HTTPRequestEntityTooLarge):
    def __init__(self, limit: int, size: int) -> None:
        super().__init__(max_size=limit, actual_size=size)


async def read_json(request: web.Request, limit: int) -> Any:
    """The body as JSON: 413 past ``limit`` bytes, 400 when it is not JSON."""
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(limit, request.content_length)
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body.extend(chunk)
        if len(body) > limit:
            raise TooLarge(limit, len(body))
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f"the body is not JSON: {exc}") from None


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


def checked(model: type[M], data: Any) -> M:
    """``data`` as ``model``, or a 422 listing every bad field."""
    if not isinstance(data, Mapping):
        raise ThreadQueryError([("body", "must be a JSON object")])
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise ThreadQueryError([(".".join(str(p) for p in e["loc"]) or "body", e["msg"])
                                for e in exc.errors()]) from None
    extra = getattr(parsed, "problems", None)
    if extra is not None and (problems := extra()):
        raise ThreadQueryError(problems)
    return parsed
