"""The one object every handler receives: ``ctx``.

All contexts carry ``thread`` (talk back to the conversation), ``user`` (who caused the
event), ``platform`` and ``bot``. Each kind adds what its event has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botkit.events import (
    CommandEvent,
    InteractionEvent,
    MessageEvent,
    ModalCloseEvent,
    ModalSubmitEvent,
    ReactionEvent,
    ThreadStartedEvent,
)
from botkit.types import MessageRef, PlatformUser
from botkit.ui.inputs import Modal

if TYPE_CHECKING:
    from botkit.bot import Bot
    from botkit.thread import Thread

__all__ = [
    "Action",
    "CommandContext",
    "InteractionContext",
    "InterruptContext",
    "ModalCloseContext",
    "ModalSubmitContext",
    "ReactionContext",
    "ThreadStartedContext",
    "TurnContext",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class _Base:
    thread: Thread
    user: PlatformUser | None
    platform: str
    bot: Bot = field(repr=False)


@dataclass(frozen=True, kw_only=True, slots=True)
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


@dataclass(frozen=True, kw_only=True, slots=True)
class Action:
    """The control that was clicked: its action id and its (decoded) value."""

    id: str
    value: Any = None


@dataclass(frozen=True, kw_only=True, slots=True)
class InteractionContext(_Base):
    """A click on a button or a pick in a select (``on_interaction`` and ``on_click``)."""

    action: Action
    message: MessageRef | None
    event: InteractionEvent = field(repr=False)

    @property
    def value(self) -> Any:
        return self.action.value

    async def open_modal(self, modal: Modal) -> bool:
        """Open ``modal`` for the person who clicked (False where the platform has no
        modals, or refused); its submission goes to ``@bot.on_modal_submit``."""
        return await self.thread._open_modal(self.event, modal)


@dataclass(frozen=True, kw_only=True, slots=True)
class InterruptContext(_Base):
    """The agent paused for a human (``on_interrupt``). Answer with
    ``await ctx.thread.resume(value)``, typically from a button's ``on_click``."""

    event_name: str
    payload: Any
    interrupts: tuple[dict[str, Any], ...] = ()
    message: MessageEvent | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CommandContext(_Base):
    """A slash command (``on_command``); ``text`` is everything after the command."""

    command: str
    text: str
    event: CommandEvent = field(repr=False)
    message: None = None

    async def open_modal(self, modal: Modal) -> bool:
        """Open ``modal`` for the person who ran the command (False where the platform
        has no modals, or refused); its submission goes to ``@bot.on_modal_submit``."""
        return await self.thread._open_modal(self.event, modal)


@dataclass(frozen=True, kw_only=True, slots=True)
class ReactionContext(_Base):
    """An emoji reaction added (``added``) or removed (``on_reaction``)."""

    emoji: str
    added: bool
    message: MessageRef
    event: ReactionEvent = field(repr=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class ThreadStartedContext(_Base):
    """A person opened an assistant thread, or (``context_changed``) moved elsewhere
    while it is open (``on_thread_started``). ``context`` is where they are looking."""

    context: Mapping[str, Any]
    context_changed: bool
    event: ThreadStartedEvent = field(repr=False)
    message: None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ModalSubmitContext(_Base):
    """A modal was submitted (``on_modal_submit``): ``values`` by input name, typed.
    Call ``invalid(name, text)`` for each bad field: the modal stays open showing them."""

    callback_id: str
    values: Mapping[str, Any]
    metadata: str
    event: ModalSubmitEvent = field(repr=False)
    message: None = None

    def invalid(self, name: str, text: str) -> None:
        """Refuse the submission: show ``text`` under the input ``name``."""
        self.event.reply.errors[name] = text

    @property
    def errors(self) -> Mapping[str, str]:
        return dict(self.event.reply.errors)


@dataclass(frozen=True, kw_only=True, slots=True)
class ModalCloseContext(_Base):
    """A modal was closed without submitting (``on_modal_close``)."""

    callback_id: str
    metadata: str
    event: ModalCloseEvent = field(repr=False)
    message: None = None
