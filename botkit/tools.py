"""Bot tools: functions the agent can call that run inside the bot, with the thread in hand.

Define one with ``define_bot_tool(name=…, description=…, parameters=Model, handler=fn)``
or with ``@bot.tool`` on a function whose parameters are either one pydantic model or
plain type-hinted arguments (the docstring becomes the description). The handler gets the
validated arguments and a ``ToolContext``.

Mistakes the model makes (bad JSON, invalid arguments, an unknown tool, a handler that
raises, a result that cannot be encoded) never crash the bot: they become an error result
sent back to the model (``botkit.run.tools.call_tool``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_type_hints

from pydantic import BaseModel, create_model

from botkit.errors import UserError
from botkit.events import MessageEvent
from botkit.run.tools import BotTool, ToolOutcome, call_tool, define_bot_tool, encode_result
from botkit.types import PlatformUser

if TYPE_CHECKING:
    from botkit.thread import Thread

__all__ = ["BotTool", "ToolContext", "ToolOutcome", "call_tool", "define_bot_tool",
           "encode_result", "tool_from_function"]


@dataclass(frozen=True, kw_only=True)
class ToolContext:
    """What a tool handler gets besides its arguments."""

    thread: Thread
    message: MessageEvent | None
    user: PlatformUser | None
    platform: str
    tool_call_id: str


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
