"""Reading and checking request bodies: size limits (413), JSON (400), fields (422)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from botkit.threads.records import ThreadQueryError
from botkit_web.langgraph import STREAM_MODES

__all__ = ["ActionBody", "RunBody", "checked", "read_json"]

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


class RunBody(BaseModel):
    """``POST /threads/{id}/runs[/stream|/wait]``: LangGraph's run request. Fields botkit
    does not use (``config``, ``context``, ``checkpoint`` …) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    assistant_id: str | None = Field(default=None, max_length=200)
    input: dict[str, Any] | None = None
    command: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    stream_mode: str | list[str] | None = None
    multitask_strategy: str | None = None
    if_not_exists: str | None = None

    def problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        if (self.input is None) == (self.command is None):
            found.append(("input", "send exactly one of input (new messages) or command "
                                   "({resume: ...})"))
        if self.input is not None and "messages" not in self.input:
            found.append(("input.messages", "is required: a list of user messages"))
        if self.command is not None and (set(self.command) - {"resume"}
                                         or "resume" not in self.command):
            found.append(("command", "only {resume: value} is supported"))
        for mode in self.modes() - STREAM_MODES:
            found.append(("stream_mode", f"unknown mode {mode!r}"))
        if self.multitask_strategy not in (None, "reject", "enqueue", "interrupt", "rollback"):
            found.append(("multitask_strategy",
                          "must be reject, enqueue, interrupt or rollback"))
        if self.if_not_exists not in (None, "create", "reject"):
            found.append(("if_not_exists", "must be create or reject"))
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
