"""The one object every handler receives: ``ctx``.

All contexts carry ``thread`` (talk back to the conversation), ``user`` (who caused the
event), ``platform`` and ``bot``. Each kind adds what its event has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botkit.events import CommandEvent, InteractionEvent, MessageEvent
from botkit.types import MessageRef, PlatformUser

if TYPE_CHECKING:
    from botkit.bot import Bot
    from botkit.thread import Thread

__all__ = ["Action", "CommandContext", "InteractionContext", "InterruptContext", "TurnContext"]


@dataclass(frozen=True, kw_only=True)
class _Base:
    thread: Thread
    user: PlatformUser | None
    platform: str
    bot: Bot = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class TurnContext(_Base):
    """A message for the bot (``on_mention`` / ``on_message``).

    ``skipped`` holds the earlier messages this turn stands for, oldest first: with
    ``create_bot(concurrency="queue")`` the messages that arrived while a turn ran are
    answered together by one turn on the newest (``message``). Empty otherwise."""

    message: MessageEvent
    skipped: tuple[MessageEvent, ...] = ()

    @property
    def text(self) -> str:
        return self.message.text


@dataclass(frozen=True, kw_only=True)
class Action:
    """The control that was clicked: its action id and its (decoded) value."""

    id: str
    value: Any = None


@dataclass(frozen=True, kw_only=True)
class InteractionContext(_Base):
    """A click on a button or a pick in a select (``on_interaction`` and ``on_click``)."""

    action: Action
    message: MessageRef | None
    event: InteractionEvent = field(repr=False)

    @property
    def value(self) -> Any:
        return self.action.value


@dataclass(frozen=True, kw_only=True)
class InterruptContext(_Base):
    """The agent paused for a human (``on_interrupt``). Answer with
    ``await ctx.thread.resume(value)``, typically from a button's ``on_click``."""

    event_name: str
    payload: Any
    interrupts: tuple[dict[str, Any], ...] = ()
    message: MessageEvent | None = None


@dataclass(frozen=True, kw_only=True)
class CommandContext(_Base):
    """A slash command (``on_command``); ``text`` is everything after the command."""

    command: str
    text: str
    event: CommandEvent = field(repr=False)
    message: None = None
