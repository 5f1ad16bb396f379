"""The events adapters feed into ``bot.dispatch``.

An adapter turns whatever its platform delivered into one of these and calls
``await bot.dispatch(event)``. Everything after that is platform-neutral.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botkit._agent_context import ContextEntry
from botkit.types import (
    Attachment,
    Conversation,
    MessageRef,
    PlatformUser,
    no_raw,
    raw_decoded_on_read,
)

__all__ = [
    "CommandEvent",
    "Event",
    "InteractionEvent",
    "MessageEvent",
    "ModalCloseEvent",
    "ModalReply",
    "ModalSubmitEvent",
    "ReactionEvent",
    "ThreadStartedEvent",
]


@raw_decoded_on_read
@dataclass(frozen=True, kw_only=True, slots=True)
class MessageEvent:
    """Someone wrote in a conversation the bot can see.

    ``mentioned`` is true when the message addresses the bot (an @-mention, a DM, or any
    line typed on the console); such turns go to ``on_mention`` handlers first. ``raw`` may
    be given as ``botkit.types.RawJson`` (decoded when first read: most turns never read it).
    """

    platform: str
    event_id: str
    conversation: Conversation
    user: PlatformUser
    text: str
    ref: MessageRef
    mentioned: bool = False
    attachments: tuple[Attachment, ...] = ()
    context: tuple[ContextEntry, ...] = ()
    """Facts the sender's client sent with the message (AG-UI ``context``, from a web
    page): ``run_agent`` on this turn gives them to the agent with the bot's own."""
    raw: Mapping[str, Any] = field(default_factory=no_raw, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class InteractionEvent:
    """Someone clicked a button or picked an option on a message the bot posted.

    ``value`` is the control's value, already decoded from the wire.
    """

    platform: str
    event_id: str
    conversation: Conversation
    user: PlatformUser
    action_id: str
    value: Any = None
    message: MessageRef | None = None
    raw: Mapping[str, Any] = field(default_factory=no_raw, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class CommandEvent:
    """Someone ran a slash command (``/ticket printer is on fire``)."""

    platform: str
    event_id: str
    conversation: Conversation
    user: PlatformUser
    command: str
    text: str = ""
    raw: Mapping[str, Any] = field(default_factory=no_raw, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class ReactionEvent:
    """Someone added (``added``) or removed an emoji reaction on a message.

    ``emoji`` is the reaction's name without colons (``"eyes"``, ``"+1"``); ``message`` is
    the message reacted to, ``conversation`` the thread it is in."""

    platform: str
    event_id: str
    conversation: Conversation
    user: PlatformUser
    emoji: str
    message: MessageRef
    added: bool = True
    raw: Mapping[str, Any] = field(default_factory=no_raw, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class ThreadStartedEvent:
    """A person opened a new assistant thread (Slack's assistant pane), or, with
    ``context_changed``, moved to another place while it is open.

    ``context`` is what the platform says the person is looking at (on Slack:
    ``channel_id``, ``team_id``, ``enterprise_id``)."""

    platform: str
    event_id: str
    conversation: Conversation
    user: PlatformUser
    context: Mapping[str, Any] = field(default_factory=dict)
    context_changed: bool = False
    raw: Mapping[str, Any] = field(default_factory=no_raw, repr=False, compare=False)


@dataclass(kw_only=True, slots=True)
class ModalReply:
    """What a modal's submit handlers answer: per-field errors keep the modal open and show
    each message under its field. Filled in by ``ctx.invalid(...)``; the adapter reads it
    once ``dispatch`` returns."""

    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class ModalSubmitEvent:
    """Someone submitted a modal (``ctx.open_modal``). ``values`` maps each input's name to
    its typed value: ``str`` (text input, select), ``list[str]`` (checkboxes),
    ``datetime.date`` (date picker), ``None`` (left empty). ``conversation`` is where the
    modal was opened from."""

    platform: str
    event_id: str
    conversation: Conversation
    user: PlatformUser
    callback_id: str
    values: Mapping[str, Any] = field(default_factory=dict)
    metadata: str = ""
    reply: ModalReply = field(default_factory=ModalReply, repr=False, compare=False)
    raw: Mapping[str, Any] = field(default_factory=no_raw, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class ModalCloseEvent:
    """Someone closed (cancelled) a modal without submitting it."""

    platform: str
    event_id: str
    conversation: Conversation
    user: PlatformUser
    callback_id: str
    metadata: str = ""
    raw: Mapping[str, Any] = field(default_factory=no_raw, repr=False, compare=False)


Event = (MessageEvent | InteractionEvent | CommandEvent | ReactionEvent | ThreadStartedEvent
         | ModalSubmitEvent | ModalCloseEvent)
