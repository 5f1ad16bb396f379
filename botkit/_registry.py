"""What a bot was told to do: its handlers, tools and agent context entries, with the
lookups the dispatch pipeline makes. Pure data: registering never touches the store or the
network, and misuse fails here, at decoration time, with the fix in the message."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import ag_ui.core as agui

from botkit._actions import ActionRegistry
from botkit._agent_context import to_agui_context
from botkit.errors import UserError
from botkit.events import MessageEvent
from botkit.run.request import merge_context, merge_tools
from botkit.run.tools import BotTool

__all__ = ["ErrorHandler", "Handler", "HandlerRegistry", "command_key"]

log = logging.getLogger("botkit")
H = TypeVar("H", bound=Callable[..., Any])
Handler = Callable[[Any], Awaitable[Any] | Any]
ErrorHandler = Callable[[Exception, Any], Awaitable[Any] | Any]


def command_key(name: str) -> str:
    """``/File-Issue`` and ``file_issue`` route to the same handler."""
    return name.strip().lstrip("/").lower().replace("-", "_")


def no_such_attribute(obj: object, name: str) -> AttributeError:
    """The error for ``bot.<name>`` when a bot has no such attribute: it names the closest
    public name (``bot.on_mentoin`` → ``bot.on_mention``)."""
    if name.startswith("_"):
        return AttributeError(name)
    import difflib  # only for this message (startup memory)

    public = [n for n in dir(type(obj)) if not n.startswith("_")]
    close = difflib.get_close_matches(name, public, n=1, cutoff=0.6)
    hint = f"; did you mean bot.{close[0]}?" if close else \
        f"; a bot has {', '.join(n for n in public if n.startswith('on_'))}, tool, …"
    return AttributeError(f"'{type(obj).__name__}' object has no attribute {name!r}{hint}")


def checked_handler(decorator: str, handler: Any) -> None:
    if not callable(handler):
        raise UserError(f"@bot.{decorator} decorates a function; got {handler!r}")


def checked_name(decorator: str, value: Any, what: str, example: str, *,
                 optional: bool = False) -> str:
    """The id/name a decorator factory was given; ``UserError`` naming the fix when the
    decorator was used bare (``@bot.on_interaction`` over a function) or given nonsense."""
    if callable(value):
        also = f" (or @bot.{decorator}() for all)" if optional else ""
        raise UserError(
            f"@bot.{decorator} needs the {what}: write @bot.{decorator}({example}){also} "
            f"above {getattr(value, '__name__', 'the function')}(), not @bot.{decorator}")
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"@bot.{decorator}(...) takes the {what} as a non-empty string, "
                        f"e.g. @bot.{decorator}({example}); got {value!r}")
    return value


class HandlerRegistry:
    def __init__(self, actions: ActionRegistry) -> None:
        self.actions = actions
        """Notes the modules handlers come from (durable click handlers are restored only
        from those)."""
        self.mention: list[Handler] = []
        self.message: list[Handler] = []
        self.interactions: dict[str, Handler] = {}
        self.interrupts: dict[str, Handler] = {}
        self.commands: dict[str, Handler] = {}
        self.reactions: list[tuple[str | None, Handler]] = []
        self.thread_started: list[Handler] = []
        self.modal_submits: dict[str, Handler] = {}
        self.modal_closes: dict[str, Handler] = {}
        self.errors: list[ErrorHandler] = []
        self.tools: dict[str, BotTool] = {}
        self.context: list[agui.Context] = []

    # -- registering -------------------------------------------------------------------
    def add_mention(self, handler: Handler) -> None:
        checked_handler("on_mention", handler)
        self.mention.append(self.actions.trusted(handler))

    def add_message(self, handler: Handler) -> None:
        checked_handler("on_message", handler)
        self.message.append(self.actions.trusted(handler))

    def add_interaction(self, action_id: str, handler: Handler) -> None:
        checked_handler("on_interaction", handler)
        self.interactions[action_id] = self.actions.trusted(handler)

    def add_interrupt(self, event_name: str, handler: Handler) -> None:
        checked_handler("on_interrupt", handler)
        self.interrupts[event_name] = self.actions.trusted(handler)

    def add_command(self, name: str, handler: Handler) -> None:
        checked_handler("on_command", handler)
        self.commands[command_key(name)] = self.actions.trusted(handler)

    def add_reaction(self, emoji: str | None, handler: Handler) -> None:
        checked_handler("on_reaction", handler)
        name = None if emoji is None else emoji.strip().strip(":")
        self.reactions.append((name, self.actions.trusted(handler)))

    def add_thread_started(self, handler: Handler) -> None:
        checked_handler("on_thread_started", handler)
        self.thread_started.append(self.actions.trusted(handler))

    def add_modal_submit(self, callback_id: str, handler: Handler) -> None:
        checked_handler("on_modal_submit", handler)
        self.modal_submits[callback_id] = self.actions.trusted(handler)

    def add_modal_close(self, callback_id: str, handler: Handler) -> None:
        checked_handler("on_modal_close", handler)
        self.modal_closes[callback_id] = self.actions.trusted(handler)

    def add_error(self, handler: ErrorHandler) -> None:
        checked_handler("on_error", handler)
        self.errors.append(handler)

    def add_tool(self, tool: BotTool, origin: Any) -> None:
        if tool.name in self.tools:
            raise UserError(f"two tools are named {tool.name!r}; tool names must be unique")
        self.tools[tool.name] = self.actions.trusted(tool, origin=origin)

    def add_context(self, entries: Iterable[Any]) -> None:
        self.context.extend(to_agui_context(c) for c in entries)

    # -- looking up --------------------------------------------------------------------
    def turn_handlers(self, event: MessageEvent) -> list[Handler]:
        """``on_mention`` handlers for a message addressing the bot (when there are any),
        else ``on_message`` handlers."""
        return self.mention if event.mentioned and self.mention else self.message

    def has_message_handlers(self) -> bool:
        return bool(self.mention or self.message)

    def command(self, name: str) -> Handler | None:
        return self.commands.get(command_key(name))

    def has_command(self, name: str) -> bool:
        return command_key(name) in self.commands

    def reaction_handlers(self, emoji: str) -> list[Handler]:
        return [h for name, h in self.reactions if name is None or name == emoji]

    def modal_handler(self, callback_id: str, *, submit: bool) -> Handler | None:
        table = self.modal_submits if submit else self.modal_closes
        return table.get(callback_id) or table.get("*")

    def interrupt(self, event_name: str) -> Handler | None:
        return self.interrupts.get(event_name) or self.interrupts.get("*")

    def tools_with(self, extra: Iterable[BotTool] | None) -> dict[str, BotTool]:
        return merge_tools(self.tools, extra)

    def context_with(self, extra: Iterable[Any] | None) -> list[agui.Context]:
        return merge_context(self.context, (to_agui_context(c) for c in extra or ()))
