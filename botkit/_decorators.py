"""The ``@bot.on_*`` decorators (mixed into ``Bot``): each registers a handler in the
bot's ``HandlerRegistry``, where misuse fails at decoration time with the fix named."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

from botkit._registry import ErrorHandler, HandlerRegistry, checked_name

__all__ = ["HandlerDecorators"]

H = TypeVar("H", bound=Callable[..., Any])
E = TypeVar("E", bound=ErrorHandler)


class HandlerDecorators:
    _registry: HandlerRegistry

    @overload
    def on_mention(self, handler: H) -> H: ...
    @overload
    def on_mention(self) -> Callable[[H], H]: ...

    def on_mention(self, handler: H | None = None) -> H | Callable[[H], H]:
        """Handle messages addressed to the bot (@-mention, DM, the console)."""
        def register(h: H) -> H:
            self._registry.add_mention(h)
            return h
        return register if handler is None else register(handler)

    @overload
    def on_message(self, handler: H) -> H: ...
    @overload
    def on_message(self) -> Callable[[H], H]: ...

    def on_message(self, handler: H | None = None) -> H | Callable[[H], H]:
        """Handle other messages the bot sees (and mentions, if no on_mention handler)."""
        def register(h: H) -> H:
            self._registry.add_message(h)
            return h
        return register if handler is None else register(handler)

    def on_interaction(self, action_id: str) -> Callable[[H], H]:
        """Handle clicks on controls with this explicit ``action_id``."""
        checked = checked_name("on_interaction", action_id, "action id", '"approve"')

        def register(handler: H) -> H:
            self._registry.add_interaction(checked, handler)
            return handler
        return register

    def on_interrupt(self, event_name: str = "*") -> Callable[[H], H]:
        """Handle the agent pausing for a human. ``event_name`` is the legacy CUSTOM event
        name or the AG-UI 1.0 interrupt ``reason``; ``"*"`` catches every interrupt."""
        checked = checked_name("on_interrupt", event_name, "event name", '"approval"',
                               optional=True)

        def register(handler: H) -> H:
            self._registry.add_interrupt(checked, handler)
            return handler
        return register

    def on_command(self, name: str) -> Callable[[H], H]:
        """Handle a slash command (``/ticket …``)."""
        checked = checked_name("on_command", name, "command name", '"ticket"')

        def register(handler: H) -> H:
            self._registry.add_command(checked, handler)
            return handler
        return register

    def on_error(self, handler: E) -> E:
        """Handle what a handler raised: ``handler(error, ctx)`` (sync or async) runs
        instead of the default (log it, tell the conversation "something went wrong").
        ``ctx`` is the failing handler's context (``ctx.thread`` answers). If the error
        handler raises too, the default applies."""
        self._registry.add_error(handler)
        return handler

    @overload
    def on_reaction(self, emoji: H) -> H: ...
    @overload
    def on_reaction(self, emoji: str | None = None) -> Callable[[H], H]: ...

    def on_reaction(self, emoji: H | str | None = None) -> H | Callable[[H], H]:
        """Handle emoji reactions added to or removed from messages (``ctx.added``), all
        of them or only ``emoji`` (``@bot.on_reaction("eyes")``). The platform must
        deliver them (Slack: the ``reaction_added``/``reaction_removed`` events)."""
        if callable(emoji):
            self._registry.add_reaction(None, emoji)
            return emoji
        name = None if emoji is None else checked_name("on_reaction", emoji, "emoji name",
                                                       '"eyes"', optional=True)

        def register(handler: H) -> H:
            self._registry.add_reaction(name, handler)
            return handler
        return register

    @overload
    def on_thread_started(self, handler: H) -> H: ...
    @overload
    def on_thread_started(self) -> Callable[[H], H]: ...

    def on_thread_started(self, handler: H | None = None) -> H | Callable[[H], H]:
        """Handle a person opening an assistant thread (Slack's assistant pane), and
        (``ctx.context_changed``) moving to another channel while it is open."""
        def register(h: H) -> H:
            self._registry.add_thread_started(h)
            return h
        return register if handler is None else register(handler)

    def on_modal_submit(self, callback_id: str = "*") -> Callable[[H], H]:
        """Handle the submission of modals with this ``callback_id`` (``"*"``: any).
        ``ctx.values`` holds the inputs by name; ``ctx.invalid(name, text)`` refuses."""
        checked = checked_name("on_modal_submit", callback_id, "modal's callback_id",
                               '"new_ticket"', optional=True)

        def register(handler: H) -> H:
            self._registry.add_modal_submit(checked, handler)
            return handler
        return register

    def on_modal_close(self, callback_id: str = "*") -> Callable[[H], H]:
        """Handle a modal with this ``callback_id`` closed without submitting."""
        checked = checked_name("on_modal_close", callback_id, "modal's callback_id",
                               '"new_ticket"', optional=True)

        def register(handler: H) -> H:
            self._registry.add_modal_close(checked, handler)
            return handler
        return register
