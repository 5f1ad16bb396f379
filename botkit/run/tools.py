"""Bot tools as the run loop sees them: the tool value, and running one call the model
made. Every mistake the model can make (an unknown tool, arguments that are not JSON or
nested or sized beyond what Python parses, invalid arguments, a handler that raises, a
result that cannot be encoded) becomes an error result the model reads; none escapes as an
exception."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import ag_ui.core as agui
from pydantic import BaseModel, ValidationError

from botkit.errors import UserError

__all__ = ["BotTool", "ToolHandler", "ToolOutcome", "call_tool", "define_bot_tool",
           "encode_result"]

ToolHandler = Callable[[Any, Any], Awaitable[Any] | Any]
"""``handler(args, ctx)``: ``ctx`` is the ``botkit.ToolContext`` of the call."""
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True, kw_only=True)
class BotTool:
    """A tool the agent may call; see ``define_bot_tool``."""

    name: str
    description: str
    parameters: type[BaseModel]
    handler: ToolHandler

    def descriptor(self) -> agui.Tool:
        """The AG-UI tool description sent to the agent with every run: built once (its
        JSON schema is the costly part), the same value in every run's input."""
        return self._descriptor

    @cached_property
    def _descriptor(self) -> agui.Tool:
        schema = self.parameters.model_json_schema()
        schema.pop("title", None)
        return agui.Tool(name=self.name, description=self.description, parameters=schema)


@dataclass(frozen=True, kw_only=True)
class ToolOutcome:
    """A tool call's result as the model will read it; ``error`` set when it failed."""

    content: str
    error: str | None = None


def define_bot_tool(
    *,
    name: str,
    description: str,
    parameters: type[BaseModel],
    handler: ToolHandler,
) -> BotTool:
    """Define a bot tool from a pydantic model of its arguments and a handler
    ``handler(args, ctx)`` (sync or async)."""
    if not _NAME.match(name):
        raise UserError(
            f"tool name {name!r} is not allowed: use 1-64 letters, digits, '_' or '-' "
            "(models reject other names)"
        )
    if not (isinstance(parameters, type) and issubclass(parameters, BaseModel)):
        raise UserError(
            f"tool {name!r}: parameters must be a pydantic model class, got {parameters!r}"
        )
    return BotTool(name=name, description=description, parameters=parameters, handler=handler)


def encode_result(value: Any) -> str:
    """A handler's return value as tool-message text (``ValueError`` when it cannot be
    encoded: a circular structure, one nested too deeply)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    try:
        if isinstance(value, BaseModel):
            return value.model_dump_json()
        return json.dumps(value, default=str)
    except RecursionError as exc:
        raise ValueError("it is nested too deeply") from exc


def _error(message: str) -> ToolOutcome:
    return ToolOutcome(content=json.dumps({"error": message}), error=message)


def _describe_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(x) for x in err["loc"]) or "arguments"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def _parse(raw_args: str) -> Any:
    """The call's arguments; ``ValueError`` naming what is wrong with them."""
    if not raw_args.strip():
        return {}
    try:
        return json.loads(raw_args)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg})") from exc
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise ValueError(f"not parseable ({exc})") from exc


async def call_tool(tools: Mapping[str, BotTool], name: str, raw_args: str, ctx: Any
                    ) -> ToolOutcome:
    """Run one tool call the model made, turning every failure into an error result."""
    tool = tools.get(name)
    if tool is None:
        known = ", ".join(sorted(tools)) or "none"
        return _error(f"unknown tool {name!r}; available tools: {known}")
    try:
        data = _parse(raw_args)
    except ValueError as exc:
        return _error(f"invalid arguments for {name}: {exc}")
    try:
        args = tool.parameters.model_validate(data)
    except ValidationError as exc:
        return _error(f"invalid arguments for {name}: {_describe_validation(exc)}")
    except (RecursionError, ValueError) as exc:
        return _error(f"invalid arguments for {name}: {type(exc).__name__}")
    try:
        result = handler_result = tool.handler(args, ctx)
        if inspect.isawaitable(handler_result):
            result = await handler_result
    except Exception as exc:
        return _error(f"{name} failed: {type(exc).__name__}: {exc}")
    try:
        return ToolOutcome(content=encode_result(result))
    except Exception as exc:
        return _error(f"{name} returned a value that cannot be sent to the model: "
                      f"{type(exc).__name__}: {exc}")
