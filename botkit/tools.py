"""Bot tools: functions the agent can call that run inside the bot, with the thread in hand.

Define one with ``define_bot_tool(name=…, description=…, parameters=Model, handler=fn)``
or with ``@bot.tool`` on a function whose parameters are either one pydantic model or
plain type-hinted arguments (the docstring becomes the description). The handler gets the
validated arguments and a ``ToolContext``.

Mistakes the model makes (bad JSON, invalid arguments, an unknown tool, a handler that
raises) never crash the bot: they become an error result sent back to the model.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_type_hints

import ag_ui.core as agui
from pydantic import BaseModel, ValidationError, create_model

from botkit.errors import UserError
from botkit.events import MessageEvent
from botkit.types import PlatformUser

if TYPE_CHECKING:
    from botkit.thread import Thread

__all__ = ["BotTool", "ToolContext", "ToolOutcome", "define_bot_tool", "tool_from_function"]

ToolHandler = Callable[[Any, "ToolContext"], Awaitable[Any] | Any]
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True, kw_only=True)
class ToolContext:
    """What a tool handler gets besides its arguments."""

    thread: Thread
    message: MessageEvent | None
    user: PlatformUser | None
    platform: str
    tool_call_id: str


@dataclass(frozen=True, kw_only=True)
class BotTool:
    """A tool the agent may call; see ``define_bot_tool``."""

    name: str
    description: str
    parameters: type[BaseModel]
    handler: ToolHandler

    def descriptor(self) -> agui.Tool:
        """The AG-UI tool description sent to the agent with every run."""
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


def tool_from_function(
    fn: Callable[..., Any], *, name: str | None = None, description: str | None = None
) -> BotTool:
    """Build a ``BotTool`` from a function (what ``@bot.tool`` does).

    ``fn`` either takes one pydantic model and a ``ToolContext`` (``fn(args, ctx)``), or
    type-hinted arguments plus, optionally, a parameter annotated ``ToolContext``.
    """
    tool_name = name or fn.__name__
    doc = inspect.getdoc(fn) or ""
    desc = description or doc.strip() or tool_name.replace("_", " ")
    hints = get_type_hints(fn)
    params = [p for p in inspect.signature(fn).parameters.values()]
    ctx_param = next(
        (p.name for p in params if hints.get(p.name) is ToolContext or p.name == "ctx"), None
    )
    arg_params = [p for p in params if p.name != ctx_param]
    first = hints.get(arg_params[0].name) if len(arg_params) == 1 else None
    if isinstance(first, type) and issubclass(first, BaseModel):
        model: type[BaseModel] = first

        async def call_model(args: Any, ctx: ToolContext) -> Any:
            kwargs = {ctx_param: ctx} if ctx_param else {}
            return await _maybe_await(fn(args, **kwargs))

        return define_bot_tool(
            name=tool_name, description=desc, parameters=model, handler=call_model
        )

    fields: dict[str, Any] = {}
    for p in arg_params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise UserError(f"tool {tool_name!r}: *args/**kwargs cannot become tool arguments")
        if p.name not in hints:
            raise UserError(
                f"tool {tool_name!r}: argument {p.name!r} needs a type hint "
                "(the model needs a schema for it)"
            )
        default = ... if p.default is inspect.Parameter.empty else p.default
        fields[p.name] = (hints[p.name], default)
    model = create_model(f"{tool_name}_args", **fields)

    async def call_fields(args: Any, ctx: ToolContext) -> Any:
        kwargs = {f: getattr(args, f) for f in fields}
        if ctx_param:
            kwargs[ctx_param] = ctx
        return await _maybe_await(fn(**kwargs))

    return define_bot_tool(name=tool_name, description=desc, parameters=model, handler=call_fields)


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def encode_result(value: Any) -> str:
    """A handler's return value as tool-message text."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, default=str)


def _error(message: str) -> ToolOutcome:
    return ToolOutcome(content=json.dumps({"error": message}), error=message)


def _describe_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(x) for x in err["loc"]) or "arguments"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


async def call_tool(
    tools: dict[str, BotTool], name: str, raw_args: str, ctx: ToolContext
) -> ToolOutcome:
    """Run one tool call the model made, turning every failure into an error result."""
    tool = tools.get(name)
    if tool is None:
        known = ", ".join(sorted(tools)) or "none"
        return _error(f"unknown tool {name!r}; available tools: {known}")
    try:
        data = json.loads(raw_args) if raw_args.strip() else {}
    except json.JSONDecodeError as exc:
        return _error(f"invalid arguments for {name}: not valid JSON ({exc.msg})")
    try:
        args = tool.parameters.model_validate(data)
    except ValidationError as exc:
        return _error(f"invalid arguments for {name}: {_describe_validation(exc)}")
    try:
        result = await _maybe_await(tool.handler(args, ctx))
    except Exception as exc:
        return _error(f"{name} failed: {type(exc).__name__}: {exc}")
    return ToolOutcome(content=encode_result(result))
